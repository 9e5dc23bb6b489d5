using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Tokens;

/// <summary>
/// Builds and reads the customer-facing links: <c>/s/{token}</c> records a score (the token binds it),
/// <c>/u/{token}</c> is the RFC 8058 unsubscribe target (a token without a score).
/// </summary>
public sealed class SurveyLinks(IOptions<SurveyLinkOptions> options)
{
    private readonly SurveyTokenCodec _codec = new(options.Value.KeyBytes()!, (byte)options.Value.SigningKeyId, options.Value.RetiredKeyBytes());
    private readonly string _base = options.Value.PublicBaseUrl.TrimEnd('/');

    public SurveyTokenCodec Codec => _codec;

    public Uri Score(Guid invitationId, DateTimeOffset expiresAt, int score) =>
        new($"{_base}/s/{_codec.Encode(new SurveyToken(invitationId, expiresAt, score))}");

    public IReadOnlyList<Uri> Scores(Guid invitationId, DateTimeOffset expiresAt) =>
        [.. Enumerable.Range(0, 11).Select(score => Score(invitationId, expiresAt, score))];

    public Uri Unsubscribe(Guid invitationId, DateTimeOffset expiresAt) =>
        new($"{_base}/u/{_codec.Encode(new SurveyToken(invitationId, expiresAt, null))}");
}
