using System.ComponentModel.DataAnnotations;

namespace NpsTriggers.Core.Storage;

/// <summary>Where the service keeps its state. Section <c>Postgres</c>.</summary>
public sealed class PostgresOptions
{
    /// <summary>Npgsql connection string. Hangfire uses the same database (schema <c>hangfire</c>).</summary>
    /// <value>Required. <c>scripts/run.sh</c> points it at the private cluster it starts in <c>.data/pg</c>.</value>
    [Required(ErrorMessage = "Postgres:ConnectionString is required (an Npgsql connection string).")]
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations at start.</summary>
    /// <value>Defaults to <see langword="true"/>; the Helm chart turns it off and runs them in a pre-upgrade Job.</value>
    public bool MigrateOnStart { get; set; } = true;
}
