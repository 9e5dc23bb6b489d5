using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
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

    [Fact]
    public void Decode_AfterRotation_OldLinksVerifyWhileTheirKeyIsRetired_AndNewLinksUseTheNewKey()
    {
        var newKey = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var token = new SurveyToken(Guid.NewGuid(), Now.AddDays(30), 9);
        var sentBefore = _codec.Encode(token);

        var rotated = new SurveyTokenCodec(newKey, keyId: 2, retired: new Dictionary<byte, byte[]> { [1] = Key });
        rotated.TryDecode(sentBefore, Now, out var old).ShouldBe(TokenError.None);
        old.ShouldBe(token);
        var sentAfter = rotated.Encode(token);
        sentAfter.ShouldNotBe(sentBefore);
        rotated.TryDecode(sentAfter, Now, out _).ShouldBe(TokenError.None);
        // A server still on the old key alone cannot read the new links (and must not).
        _codec.TryDecode(sentAfter, Now, out _).ShouldBe(TokenError.BadSignature);
        // Retired keys still honour expiry.
        rotated.TryDecode(sentBefore, Now.AddDays(31), out _).ShouldBe(TokenError.Expired);

        // Once the old key is dropped, its links are refused.
        new SurveyTokenCodec(newKey, keyId: 2).TryDecode(sentBefore, Now, out _).ShouldBe(TokenError.BadSignature);
    }

    [Fact]
    public void Decode_KeyIdSwappedToAnotherKnownKey_IsBadSignature()
    {
        var other = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var codec = new SurveyTokenCodec(other, keyId: 2, retired: new Dictionary<byte, byte[]> { [1] = Key });
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(codec.Encode(new SurveyToken(Guid.NewGuid(), Now.AddDays(1), 3)));
        bytes[1] = 1; // claim the retired key signed it
        codec.TryDecode(System.Buffers.Text.Base64Url.EncodeToString(bytes), Now, out _).ShouldBe(TokenError.BadSignature);
    }

    [Fact]
    public void Constructor_RetiredKeyWithTheCurrentId_IsRejected() =>
        Should.Throw<ArgumentException>(() => new SurveyTokenCodec(Key, keyId: 1, retired: new Dictionary<byte, byte[]> { [1] = Key }))
            .Message.ShouldStartWith("Token key id 1 is used twice.");

    [Fact]
    public void Options_RetiredKeyWithADuplicateIdOrBadKey_FailsValidationWithItsPath()
    {
        var options = new SurveyLinkOptions
        {
            PublicBaseUrl = "https://nps.example.com",
            SigningKey = Convert.ToBase64String(Key),
            SigningKeyId = 2,
            RetiredKeys = [new() { Id = 2, Key = Convert.ToBase64String(Key) }, new() { Id = 1, Key = "c2hvcnQ=" }],
        };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();
        errors.ShouldBe([
            "SurveyLinks:RetiredKeys:0:Id 2 must be 0–255 and differ from every other key id.",
            "SurveyLinks:RetiredKeys:1:Key must be base64 of at least 32 bytes.",
        ]);
    }

    private static Gen<(byte[] Key, Guid Id, long Expires, int? Score)> Tokens() =>
        from key in Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(32)
        from bytes in Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(16)
        from expires in Gen.Choose(1, int.MaxValue)
        from score in Gen.Elements<int?>(null, 0, 1, 6, 7, 8, 9, 10)
        select (key, new Guid(bytes), (long)expires, score);

    [Fact]
    public void Encode_AnyKeyAndToken_SignsWithTheFirst18BytesOfHmacSha256_AsTheFrameworksHmacComputesIt()
    {
        // The MAC checked against .NET's HMACSHA256 class over the layout the codec documents, not against the codec
        // itself: a context reused between calls (the codec keeps one per thread and key) must give the one-shot MAC.
        Prop.ForAll(Tokens().ToArbitrary(), t =>
        {
            var codec = new SurveyTokenCodec(t.Key);
            var first = Base64Url.DecodeFromChars(codec.Encode(new SurveyToken(t.Id, DateTimeOffset.FromUnixTimeSeconds(t.Expires), t.Score)));
            var again = Base64Url.DecodeFromChars(codec.Encode(new SurveyToken(t.Id, DateTimeOffset.FromUnixTimeSeconds(t.Expires), t.Score)));
            var payload = new byte[27];
            payload[0] = 1;
            payload[1] = 1;
            t.Id.TryWriteBytes(payload.AsSpan(2, 16));
            BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(18, 8), t.Expires);
            payload[26] = t.Score is { } s ? (byte)s : (byte)255;
            using var hmac = new HMACSHA256(t.Key);
            var expected = payload.Concat(hmac.ComputeHash(payload).Take(18)).ToArray();
            return first.SequenceEqual(expected) && again.SequenceEqual(expected);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Decode_TokensOfSeveralKeysOnManyThreadsAtOnce_EachVerifiesUnderItsOwnKeysOnly()
    {
        var keys = Enumerable.Range(0, 4).Select(k => Enumerable.Range(k * 40, 32).Select(i => (byte)i).ToArray()).ToArray();
        // Codec 0 verifies its own links and (rotated) those of key 1, which it lists as retired; codecs 2 and 3 only their own.
        var codecs = new[]
        {
            new SurveyTokenCodec(keys[0], keyId: 2, retired: new Dictionary<byte, byte[]> { [1] = keys[1] }),
            new SurveyTokenCodec(keys[1], keyId: 1),
            new SurveyTokenCodec(keys[2], keyId: 2),
            new SurveyTokenCodec(keys[3], keyId: 1),
        };
        bool Accepts(int verifier, int signer) => verifier == signer || (verifier == 0 && signer == 1);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 2_000; i++)
            {
                var (signer, verifier) = (random.Next(4), random.Next(4));
                var token = new SurveyToken(Guid.NewGuid(), Now.AddDays(1), random.Next(11));
                var found = codecs[verifier].TryDecode(codecs[signer].Encode(token), Now, out var decoded);
                var expected = Accepts(verifier, signer) ? TokenError.None : TokenError.BadSignature;
                if (found != expected || (found == TokenError.None && decoded != token))
                    failures.Add($"signed by {signer}, verified by {verifier}: {found}");
            }
        });
        failures.ShouldBeEmpty();
    }
}
