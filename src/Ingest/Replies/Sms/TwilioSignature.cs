using System.Security.Cryptography;
using System.Text;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>
/// Twilio's webhook signature: base64(HMAC-SHA1(auth token, full URL + every POST parameter's name and value,
/// sorted by name)) in <c>X-Twilio-Signature</c>, compared in constant time
/// (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        var data = new StringBuilder(url);
        foreach (var (key, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(key).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature) =>
        !string.IsNullOrEmpty(signature)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Compute(authToken, url, parameters)), Encoding.UTF8.GetBytes(signature));
}
