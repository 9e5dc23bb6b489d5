using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Tokens;

namespace NpsTriggers.Core.Privacy;

/// <summary>
/// A keyed hash that stands for a person where a key must tell people apart but may not name them: the event id of a
/// relational invitation (<c>rule:h&lt;pseudonym&gt;:period</c>), which is copied into decisions and outbox payloads
/// and must survive an erasure without holding an email address or customer id. The key is derived (HKDF) from
/// <c>SurveyLinks:SigningKey</c>, so it is as secret as the links; without it, a list of addresses cannot be hashed
/// and compared. Rotating the signing key changes every pseudonym, which only matters within one programme period,
/// where the programme's own check of recent invitations already keeps a person from a second survey.
/// </summary>
public sealed class PersonPseudonyms(IOptions<SurveyLinkOptions> links)
{
    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, links.Value.KeyBytes()!, 32,
        info: "npstriggers/person-pseudonym/v1"u8.ToArray());

    /// <summary>The pseudonym of a person key (<c>Sampling.PersonKey</c>): 32 hex digits, the first 128 bits of HMAC-SHA256.</summary>
    public string Of(string personKey)
    {
        ArgumentNullException.ThrowIfNull(personKey);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(personKey)).AsSpan(0, 16));
    }
}
