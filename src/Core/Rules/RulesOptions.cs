using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Rules;

/// <summary>Where the send rules live. Section <c>Rules</c>.</summary>
public sealed class RulesOptions
{
    /// <summary>Path of the send-rules YAML file, relative to the content root unless absolute.</summary>
    /// <value>Defaults to <c>send-rules.yaml</c>, the sample shipped next to the executable.</value>
    [Required]
    public string Path { get; set; } = "send-rules.yaml";

    /// <summary>Reload the file when it changes.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Watch { get; set; } = true;
}
