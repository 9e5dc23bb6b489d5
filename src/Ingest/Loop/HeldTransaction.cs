using System.Globalization;
using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// A transaction the Kafka publisher holds open while the broker acknowledges what it read in it (outbox rows it locked,
/// <see cref="OutboxLock"/>; the stream's cursor, <see cref="ResponseEventBatch"/>): completed by one batch of
/// statements and a commit, or disposed, which rolls it back and leaves everything as it was.
/// </summary>
public abstract class HeldTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    /// <summary>The longest <c>last_error</c> kept on an outbox row.</summary>
    internal const int MaxError = 2000;

    private bool _disposed;

    /// <summary>
    /// The statement that has PostgreSQL end the holding session after <paramref name="lease"/> idle in its transaction
    /// (a hung publisher), which frees whatever it holds.
    /// </summary>
    internal static string IdleTimeoutSql(TimeSpan lease) =>
        string.Create(CultureInfo.InvariantCulture, $"set local idle_in_transaction_session_timeout = {(long)lease.TotalMilliseconds}");

    /// <summary><paramref name="error"/> cut to <see cref="MaxError"/> characters, for <c>last_error</c>.</summary>
    internal static string ErrorText(string error) => error.Length > MaxError ? error[..MaxError] : error;

    /// <summary>Runs <paramref name="commands"/> in the transaction in one round trip (none: no round trip), and commits.</summary>
    protected async Task CommitAsync(IReadOnlyList<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var command in commands)
                batch.BatchCommands.Add(command);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Rolls back what was not completed and gives the connection back; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
