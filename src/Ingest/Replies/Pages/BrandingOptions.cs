using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>How the survey pages look. Section <c>Branding</c>.</summary>
public sealed class BrandingOptions : IValidatableObject
{
    /// <summary>Shown in the page header and title.</summary>
    /// <value>Defaults to <c>Acme</c>.</value>
    [Required]
    public string Name { get; set; } = "Acme";

    /// <summary>Buttons, the selected score and focus rings, as <c>#rrggbb</c>. White text sits on it, so it must reach 4.5:1 against white.</summary>
    /// <value>Defaults to <c>#0b57d0</c>.</value>
    public string PrimaryColor { get; set; } = "#0b57d0";

    /// <summary>Logo image URL (absolute https, or a path on this host); none when empty. Served by you: the pages load nothing else from elsewhere.</summary>
    public string? LogoUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Luminance(PrimaryColor) is not { } luminance)
            yield return new ValidationResult($"Branding:PrimaryColor '{PrimaryColor}' is not a #rrggbb colour.", [nameof(PrimaryColor)]);
        else if (1.05 / (luminance + 0.05) < 4.5)
            yield return new ValidationResult(
                $"Branding:PrimaryColor '{PrimaryColor}' is too light: white text on it has a contrast of {1.05 / (luminance + 0.05):F2}:1, WCAG 2.1 AA needs 4.5:1.",
                [nameof(PrimaryColor)]);
        if (!string.IsNullOrEmpty(LogoUrl) && !(LogoUrl.StartsWith('/') || (Uri.TryCreate(LogoUrl, UriKind.Absolute, out var uri) && uri.Scheme == "https")))
            yield return new ValidationResult($"Branding:LogoUrl '{LogoUrl}' must be an https URL or a path on this host.", [nameof(LogoUrl)]);
    }

    /// <summary>WCAG 2.1 relative luminance of a #rrggbb colour.</summary>
    public static double? Luminance(string? color)
    {
        if (color is not { Length: 7 } || color[0] != '#' || !int.TryParse(color.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb))
            return null;
        static double Channel(int value)
        {
            var c = value / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel((rgb >> 16) & 0xff) + 0.7152 * Channel((rgb >> 8) & 0xff) + 0.0722 * Channel(rgb & 0xff);
    }
}
