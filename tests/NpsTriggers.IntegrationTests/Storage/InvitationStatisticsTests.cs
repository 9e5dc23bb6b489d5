using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Storage;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Storage;

/// <summary>
/// The planner's picture of <c>invitations</c> after a burst of sends the last analyze did not see (migration 0023).
/// With statistics that say no invitation is sent, a lookup by id that also asks for <c>state = 'sent'</c> is planned
/// as a scan of the whole <c>invitations_open</c> partial index; PostgreSQL's own autovacuum must analyze the table
/// again after a fixed number of changed rows, long before a tenth of a large table has changed.
/// </summary>
public sealed class InvitationStatisticsTests
{
    private const int Scheduled = 100_000;

    // More than migration 0023's threshold (5,000 changed rows), fewer than PostgreSQL's default trigger for this table
    // (50 + 10 % of 100,000 = 10,050), so only the migration's setting has autovacuum analyze the table again.
    private const int Sent = 6_000;

    [Fact]
    public async Task AfterSendsTheLastAnalyzeMissed_AutovacuumAnalyzesAgain_AndAnswersAreReadByPrimaryKey()
    {
        await using var data = NpgsqlDataSource.Create(await PostgresServer.Shared.CreateDatabaseAsync());
        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        // Autovacuum is held off while the picture is made, so the only analyze it can run is one after the sends.
        await ExecuteAsync(data, "alter table invitations set (autovacuum_enabled = false)");
        await ExecuteAsync(data, $$"""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, attributes,
                                     state, created_at, due_at, valid_for)
            select gen_random_uuid(), 'stats-test', 'e-' || g, 'order.delivered', 'delivery', 'delivery', 'email', 'c-' || g,
                   'person-' || g || '@example.com', '{}', 'scheduled', now(), now() + interval '14 days', interval '7 days'
            from generate_series(1, {{Scheduled}}) g
            """);
        await ExecuteAsync(data, "analyze invitations");
        await ExecuteAsync(data, $"""
            update invitations set state = 'sent', contacted_at = now(), sent_at = now(), expires_at = now() + interval '7 days',
                                   message_id = id::text
            where event_id in (select 'e-' || g from generate_series(1, {Sent}) g)
            """);
        var answered = new List<Guid>();
        await using (var read = data.CreateCommand("select id from invitations where state = 'sent' limit 16"))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                answered.Add(reader.GetGuid(0));
        // The hazard itself: statistics from before the sends, and the answers' statement reads the open partial index.
        (await PlanOfAnswersAsync(data, answered)).ShouldContain("invitations_open");
        var analyzedBefore = await AutoanalyzeCountAsync(data);
        await ExecuteAsync(data, "alter table invitations reset (autovacuum_enabled)");

        // Autovacuum visits each database about once per autovacuum_naptime (a minute by default), later when its workers
        // are busy with the suite's other databases.
        var clock = Stopwatch.StartNew();
        while (await AutoanalyzeCountAsync(data) == analyzedBefore)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromMinutes(5), "autovacuum did not analyze invitations after the sends");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var plan = await PlanOfAnswersAsync(data, answered);
        plan.ShouldContain("invitations_pkey", customMessage: plan);
        plan.ShouldNotContain("invitations_open", customMessage: plan);
    }

    /// <summary>The plan of the API answers' recording statement (<see cref="ReplyStatements"/>) for <paramref name="ids"/>.</summary>
    private static async Task<string> PlanOfAnswersAsync(NpgsqlDataSource data, IReadOnlyList<Guid> ids)
    {
        var outbox = new ResponseOutbox(Options.Create(new OutboxOptions()), Options.Create(new AlertOptions()), TimeProvider.System);
        var statement = ReplyStatements.InsertAnswersCommand([.. ids.Select(id => new ApiResponseStore.ApiAnswer(id, 9, null, "kiosk"))],
            TimeProvider.System.GetUtcNow(), outbox);
        await using var connection = await data.OpenConnectionAsync();
        await using var explain = new NpgsqlCommand("explain " + statement.CommandText, connection);
        foreach (var parameter in statement.Parameters.ToList())
        {
            statement.Parameters.Remove(parameter);
            explain.Parameters.Add(parameter);
        }
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            lines.Add(reader.GetString(0));
        return string.Join('\n', lines);
    }

    private static async Task<long> AutoanalyzeCountAsync(NpgsqlDataSource data)
    {
        await using var command = data.CreateCommand("select autoanalyze_count from pg_stat_user_tables where relid = 'invitations'::regclass");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource data, string sql)
    {
        await using var command = data.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
