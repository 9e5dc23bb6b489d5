using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace NpsTriggers.Core.Tokens;

/// <summary>What a survey link proves: which invitation, until when, and (for score links) which score.</summary>
public readonly record struct SurveyToken(Guid InvitationId, DateTimeOffset ExpiresAt, int? Score);

/// <summary>Why a token was refused; each maps to a clear 4xx page.</summary>
public enum TokenError { None, Malformed, BadSignature, Expired }

/// <summary>
/// Signs and verifies survey links. Layout: version(1) | key id(1) | invitation id(16) | expiry unix s(8) |
/// score(1, 255 = none), followed by the first 18 bytes of HMAC-SHA256 over those 27 bytes; base64url.
/// The invitation id is random (no guessable ids) and the MAC binds the score, so editing any byte fails.
/// Keys rotate: new links are signed with the current key and carry its id; links signed with a retired key still
/// verify (until they expire) as long as that key is listed, so rotating never breaks links already sent.
/// </summary>
public sealed class SurveyTokenCodec
{
    private const byte Version = 1;
    private const byte NoScore = 255;
    private const int PayloadLength = 27;
    // 27 + 18 = 45 bytes, a multiple of 3: the base64url text has no unused bits, so exactly one string decodes to a token.
    private const int MacLength = 18;
    private readonly Mac _key;
    private readonly byte _keyId;
    private readonly Dictionary<byte, Mac> _verifying;

    public SurveyTokenCodec(byte[] key, byte keyId = 1, IReadOnlyDictionary<byte, byte[]>? retired = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
            throw new ArgumentException("The token signing key must be at least 32 bytes.", nameof(key));
        _key = new Mac(key);
        _keyId = keyId;
        _verifying = new Dictionary<byte, Mac> { [keyId] = _key };
        foreach (var (id, old) in retired ?? new Dictionary<byte, byte[]>())
        {
            if (old.Length < 32)
                throw new ArgumentException($"Retired token key {id} must be at least 32 bytes.", nameof(retired));
            if (!_verifying.TryAdd(id, new Mac(old)))
                throw new ArgumentException($"Token key id {id} is used twice.", nameof(retired));
        }
    }

    public string Encode(SurveyToken token)
    {
        if (token.Score is < 0 or > 10)
            throw new ArgumentOutOfRangeException(nameof(token), "A score is 0 to 10.");
        Span<byte> buffer = stackalloc byte[PayloadLength + MacLength];
        buffer[0] = Version;
        buffer[1] = _keyId;
        token.InvitationId.TryWriteBytes(buffer.Slice(2, 16));
        BinaryPrimitives.WriteInt64BigEndian(buffer.Slice(18, 8), token.ExpiresAt.ToUnixTimeSeconds());
        buffer[26] = token.Score is { } s ? (byte)s : NoScore;
        _key.Sign(buffer[..PayloadLength], buffer[PayloadLength..]);
        return Base64Url.EncodeToString(buffer);
    }

    public TokenError TryDecode(string text, DateTimeOffset now, out SurveyToken token)
    {
        token = default;
        Span<byte> buffer = stackalloc byte[PayloadLength + MacLength + 3];
        if (string.IsNullOrEmpty(text) || text.Length > 64
            || Base64Url.DecodeFromChars(text, buffer, out _, out var written) != OperationStatus.Done
            || written != PayloadLength + MacLength
            || buffer[0] != Version)
            return TokenError.Malformed;
        if (!_verifying.TryGetValue(buffer[1], out var key))
            return TokenError.BadSignature;
        Span<byte> expected = stackalloc byte[MacLength];
        key.Sign(buffer[..PayloadLength], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, buffer.Slice(PayloadLength, MacLength)))
            return TokenError.BadSignature;
        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(buffer.Slice(18, 8)));
        var score = buffer[26];
        if (score != NoScore && score > 10)
            return TokenError.Malformed;
        token = new SurveyToken(new Guid(buffer.Slice(2, 16)), expires, score == NoScore ? null : score);
        return now >= expires ? TokenError.Expired : TokenError.None;
    }

    /// <summary>
    /// HMAC-SHA256 under one key, with a keyed context per thread that is reset after each use: the one-shot
    /// <c>HMACSHA256.HashData</c> looks the algorithm up in OpenSSL and keys a new context on every call, about twice the
    /// time of the MAC itself, and every score link's page and answer verifies one (issue 21, docs/BENCHMARKS.md).
    /// </summary>
    private sealed class Mac
    {
        private readonly ThreadLocal<IncrementalHash> _contexts;

        public Mac(byte[] key)
        {
            var own = key.ToArray(); // the caller's array may change; the contexts of later threads must use this key
            _contexts = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, own));
        }

        public void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
        {
            var context = _contexts.Value!;
            Span<byte> full = stackalloc byte[32];
            context.AppendData(payload);
            context.GetHashAndReset(full); // back to its keyed start for the thread's next call
            full[..MacLength].CopyTo(mac);
        }
    }
}
