using System.ComponentModel.DataAnnotations;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Access;

/// <summary>Keys for the ops surface (admin APIs, reports, dashboards). Section <c>Admin</c>.</summary>
public sealed class AdminOptions : IValidatableObject
{
    /// <summary>
    /// Accepted keys (policy <see cref="KeyPolicies.Admin"/>), in <c>X-Api-Key</c> or as the password of HTTP Basic,
    /// each at least <see cref="ApiKeyRules.MinLength"/> characters.
    /// </summary>
    /// <value>None by default, which turns the ops surface off (404), so nothing is open by accident.</value>
    public string[] ApiKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) => ApiKeyRules.Validate("Admin:ApiKeys", ApiKeys, nameof(ApiKeys));
}
