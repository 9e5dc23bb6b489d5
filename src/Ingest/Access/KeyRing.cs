using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Access;
using NpsTriggers.Triggers.Http;

namespace NpsTriggers.Ingest.Access;

/// <summary>
/// Every configured key as its SHA-256 digest with the policy it serves, built once at start. A presented key is
/// hashed and compared with every digest in constant time (<see cref="CryptographicOperations.FixedTimeEquals"/>): the
/// digests all have one length, so neither a key's length nor how much of it matched shows in the time taken.
/// </summary>
public sealed class KeyRing
{
    private readonly (byte[] Digest, string Role)[] _keys;

    public KeyRing(IOptions<AdminOptions> admin, IOptions<ApiOptions> api, IOptions<EventsApiOptions> events)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(events);
        _keys = [.. Digests(admin.Value.ApiKeys, KeyPolicies.Admin), .. Digests(api.Value.Keys, KeyPolicies.Integration),
            .. Digests(events.Value.ApiKeys, KeyPolicies.Events)];
    }

    /// <summary>Whether any key serves <paramref name="role"/>; without one, its endpoints are off (404).</summary>
    public bool HasKeys(string role) => _keys.Any(k => k.Role == role);

    /// <summary>The roles of every configured key whose digest equals <paramref name="digest"/> (SHA-256 of the presented key).</summary>
    public List<string> RolesOf(ReadOnlySpan<byte> digest)
    {
        var roles = new List<string>(1);
        // Every digest is compared, matched or not, so the time taken does not say which key matched.
        foreach (var (key, role) in _keys)
            if (CryptographicOperations.FixedTimeEquals(digest, key) && !roles.Contains(role))
                roles.Add(role);
        return roles;
    }

    public static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim()));

    private static IEnumerable<(byte[], string)> Digests(string[] keys, string role) =>
        keys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => (Digest(k), role));
}
