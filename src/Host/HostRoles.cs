namespace NpsTriggers.Host;

/// <summary>
/// Which parts this process runs: <c>Roles=all</c> (default) or a comma list of <c>triggers</c>, <c>dispatch</c>,
/// <c>ingest</c>. The Helm chart runs each role as its own Deployment from the same image.
/// </summary>
public sealed record HostRoles(bool Triggers, bool Dispatch, bool Ingest)
{
    public static HostRoles From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration["Roles"];
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "all")
            return new HostRoles(true, true, true);
        var roles = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var unknown = roles.Except(["triggers", "dispatch", "ingest"]).ToArray();
        if (unknown.Length > 0)
            throw new InvalidOperationException(
                $"Roles: '{string.Join(", ", unknown)}' is not a role; use all, or a comma list of triggers, dispatch, ingest.");
        return new HostRoles(roles.Contains("triggers"), roles.Contains("dispatch"), roles.Contains("ingest"));
    }

    public override string ToString() =>
        string.Join(",", new[] { Triggers ? "triggers" : null, Dispatch ? "dispatch" : null, Ingest ? "ingest" : null }.OfType<string>());
}
