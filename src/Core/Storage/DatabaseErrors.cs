using Npgsql;

namespace NpsTriggers.Core.Storage;

/// <summary>Which database errors are worth waiting out.</summary>
public static class DatabaseErrors
{
    /// <summary>
    /// True for errors that go away by themselves: what Npgsql reports as transient (network failures, timeouts,
    /// serialization failures, …) and the server shutting down, crashing or still starting (SQLSTATE 57P01, 57P02,
    /// 57P03), which is what a restart or failover looks like to the connections that were open at the time.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow } => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };
}
