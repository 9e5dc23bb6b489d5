using System.ComponentModel.DataAnnotations;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Access;

/// <summary>Keys of the integration APIs (<c>/api/responses</c>, <c>/api/follow-ups</c>). Section <c>Api</c>.</summary>
public sealed class ApiOptions : IValidatableObject
{
    /// <summary>
    /// Accepted values of the <c>X-Api-Key</c> header (policy <see cref="KeyPolicies.Integration"/>), each at least
    /// <see cref="ApiKeyRules.MinLength"/> characters; rotate by listing the old and the new key for a while.
    /// </summary>
    /// <value>None by default: the endpoints answer 404, as if absent, until a key is configured.</value>
    public string[] Keys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) => ApiKeyRules.Validate("Api:Keys", Keys, nameof(Keys));
}
