using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Tokens;

/// <summary>How survey links are built and signed. Section <c>SurveyLinks</c>.</summary>
public sealed class SurveyLinkOptions : IValidatableObject
{
    /// <summary>The public base URL of the ingest role, as customers reach it (links in emails start with it).</summary>
    /// <value>Required. <c>scripts/run.sh</c> uses <c>http://127.0.0.1:5080</c>.</value>
    [Required(ErrorMessage = "SurveyLinks:PublicBaseUrl is required (e.g. https://nps.example.com).")]
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>Base64 HMAC key that signs new link tokens, at least 32 bytes; keep it in a secret.</summary>
    /// <value>Required. To rotate, move the old key to <see cref="RetiredKeys"/> and give the new one a new <see cref="SigningKeyId"/>.</value>
    [Required(ErrorMessage = "SurveyLinks:SigningKey is required (base64, at least 32 bytes).")]
    public string SigningKey { get; set; } = "";

    /// <summary>The id written into every new token (0–255), so a verifier knows which key signed it.</summary>
    /// <value>Defaults to 1.</value>
    [Range(0, 255)]
    public int SigningKeyId { get; set; } = 1;

    /// <summary>Keys that no longer sign but still verify the links they signed, until those expire. Drop a key once
    /// the longest survey validity has passed since it was retired.</summary>
    public List<RetiredSigningKey> RetiredKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            yield return new ValidationResult($"SurveyLinks:PublicBaseUrl '{PublicBaseUrl}' is not an absolute http(s) URL.", [nameof(PublicBaseUrl)]);
        if (KeyBytes() is not { Length: >= 32 })
            yield return new ValidationResult("SurveyLinks:SigningKey must be base64 of at least 32 bytes (openssl rand -base64 32).", [nameof(SigningKey)]);
        var ids = new HashSet<int> { SigningKeyId };
        for (var i = 0; i < RetiredKeys.Count; i++)
        {
            if (RetiredKeys[i].Id is < 0 or > 255 || !ids.Add(RetiredKeys[i].Id))
                yield return new ValidationResult($"SurveyLinks:RetiredKeys:{i}:Id {RetiredKeys[i].Id} must be 0–255 and differ from every other key id.", [nameof(RetiredKeys)]);
            if (Decode(RetiredKeys[i].Key) is not { Length: >= 32 })
                yield return new ValidationResult($"SurveyLinks:RetiredKeys:{i}:Key must be base64 of at least 32 bytes.", [nameof(RetiredKeys)]);
        }
    }

    public byte[]? KeyBytes() => Decode(SigningKey);

    /// <summary>The retired keys by id, for verification only.</summary>
    public Dictionary<byte, byte[]> RetiredKeyBytes() => RetiredKeys.ToDictionary(k => (byte)k.Id, k => Decode(k.Key)!);

    private static byte[]? Decode(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }
}

/// <summary>A key that verifies older links but signs no new ones.</summary>
public sealed class RetiredSigningKey
{
    /// <summary>The id it signed with (its former <c>SigningKeyId</c>).</summary>
    public int Id { get; set; }

    /// <summary>Base64, as it was configured.</summary>
    public string Key { get; set; } = "";
}
