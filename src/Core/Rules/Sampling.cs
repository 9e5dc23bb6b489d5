using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NpsTriggers.Core.Rules;

/// <summary>
/// Deterministic sampling: a person is always in or always out for a given survey, whichever replica decides and
/// however often, because the decision is a hash of (survey, person) — not a random draw.
/// </summary>
public static class Sampling
{
    /// <summary>The person's key: customer id, else the normalised email, else the phone.</summary>
    public static string? PersonKey(string? customerId, string? email, string? phone) =>
        !string.IsNullOrEmpty(customerId) ? "c:" + customerId
        : !string.IsNullOrEmpty(email) ? "e:" + email.ToLowerInvariant()
        : !string.IsNullOrEmpty(phone) ? "p:" + phone
        : null;

    /// <summary>The person's bucket in [0, 10000) for the survey; in the sample when below percent × 100.</summary>
    public static int Bucket(string survey, string personKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(survey + "\n" + personKey), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % 10_000);
    }

    public static bool InSample(string survey, string personKey, decimal percent) => Bucket(survey, personKey) < percent * 100;
}
