using System.Security.Cryptography;
using System.Text;

namespace NpsTriggers.Core.Access;

/// <summary>
/// Every configured key as its SHA-256 digest with the policy it serves, built once at start. A presented key is
/// hashed and compared with every digest in constant time (<see cref="CryptographicOperations.FixedTimeEquals"/>): the
/// digests all have one length, so neither a key's length nor how much of it matched shows in the time taken.
/// </summary>
public sealed class KeyRing
{
    private readonly (byte[] Digest, string Role)[] _keys;

    /// <param name="sources">The keys of each policy, as the areas that own them registered them (<see cref="KeySource"/>).</param>
    public KeyRing(IEnumerable<KeySource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        _keys = [.. sources.SelectMany(source => Digests(source.Keys(), source.Policy))];
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

    private static IEnumerable<(byte[], string)> Digests(IEnumerable<string> keys, string role) =>
        keys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => (Digest(k), role));
}
