using NpsTriggers.Core.Tokens;

namespace NpsTriggers.Tests;

public class SurveyTokenCodecTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private readonly SurveyTokenCodec _codec = new(Key);

    [Fact]
    public void Decode_RoundTrip_ReturnsSameInvitationScoreAndExpiry()
    {
        var token = new SurveyToken(Guid.NewGuid(), Now.AddDays(30), 9);
        _codec.TryDecode(_codec.Encode(token), Now, out var decoded).ShouldBe(TokenError.None);
        decoded.ShouldBe(token);
    }

    [Fact]
    public void Decode_TokenWithoutScore_HasNullScore()
    {
        var text = _codec.Encode(new SurveyToken(Guid.NewGuid(), Now.AddDays(1), null));
        _codec.TryDecode(text, Now, out var decoded).ShouldBe(TokenError.None);
        decoded.Score.ShouldBeNull();
    }

    [Fact]
    public void Decode_AnyFlippedCharacter_IsRefused()
    {
        var text = _codec.Encode(new SurveyToken(Guid.NewGuid(), Now.AddDays(30), 3));
        for (var i = 0; i < text.Length; i++)
        {
            var chars = text.ToCharArray();
            chars[i] = chars[i] == 'A' ? 'B' : 'A';
            _codec.TryDecode(new string(chars), Now, out _).ShouldNotBe(TokenError.None, $"position {i}");
        }
    }

    [Fact]
    public void Decode_AfterExpiry_IsExpired()
    {
        var text = _codec.Encode(new SurveyToken(Guid.NewGuid(), Now.AddDays(30), 10));
        _codec.TryDecode(text, Now.AddDays(30), out _).ShouldBe(TokenError.Expired);
        _codec.TryDecode(text, Now.AddDays(30).AddSeconds(-1), out _).ShouldBe(TokenError.None);
    }

    [Fact]
    public void Decode_OtherKey_IsBadSignature()
    {
        var other = new SurveyTokenCodec(Enumerable.Repeat((byte)7, 32).ToArray());
        var text = other.Encode(new SurveyToken(Guid.NewGuid(), Now.AddDays(30), 5));
        _codec.TryDecode(text, Now, out _).ShouldBe(TokenError.BadSignature);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("!!!!")]
    public void Decode_Garbage_IsMalformed(string text) =>
        _codec.TryDecode(text, Now, out _).ShouldBe(TokenError.Malformed);

    [Fact]
    public void Constructor_ShortKey_IsRejected() =>
        Should.Throw<ArgumentException>(() => new SurveyTokenCodec(new byte[16]));
}
