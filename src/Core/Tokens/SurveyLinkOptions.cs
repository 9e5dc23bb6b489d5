using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Tokens;

/// <summary>How survey links are built and signed. Section <c>SurveyLinks</c>.</summary>
public sealed class SurveyLinkOptions : IValidatableObject
{
    /// <summary>The public base URL of the ingest role, as customers reach it (links in emails start with it).</summary>
    /// <value>Required. <c>scripts/run.sh</c> uses <c>http://127.0.0.1:5080</c>.</value>
    [Required(ErrorMessage = "SurveyLinks:PublicBaseUrl is required (e.g. https://nps.example.com).")]
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>Base64 HMAC key for link tokens, at least 32 bytes; keep it in a secret.</summary>
    /// <value>Required. Rotating it invalidates links already sent.</value>
    [Required(ErrorMessage = "SurveyLinks:SigningKey is required (base64, at least 32 bytes).")]
    public string SigningKey { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            yield return new ValidationResult($"SurveyLinks:PublicBaseUrl '{PublicBaseUrl}' is not an absolute http(s) URL.", [nameof(PublicBaseUrl)]);
        if (KeyBytes() is not { Length: >= 32 })
            yield return new ValidationResult("SurveyLinks:SigningKey must be base64 of at least 32 bytes (openssl rand -base64 32).", [nameof(SigningKey)]);
    }

    public byte[]? KeyBytes()
    {
        var buffer = new byte[SigningKey.Length];
        return Convert.TryFromBase64String(SigningKey, buffer, out var written) ? buffer[..written] : null;
    }
}
