using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>
/// The response event stream's cursor (0024_response_events.sql, <see cref="ResponseEventStream"/>): transactions that
/// append events commit or roll back in any order relative to the order of their transaction ids, while the publisher
/// reads and moves its cursor between them. Every committed event must be read exactly once, no rolled-back one ever.
/// </summary>
public sealed class ResponseEventStreamTests
{
    private sealed record Writer(int Events, bool Commits);

    private enum Step { Write, End, Read }

    /// <summary>A schedule: writers (each writes its events in one transaction, then commits or rolls back) and publisher
    /// reads of at most <c>Limit</c> events, interleaved; a writer's write always comes before its end.</summary>
    private sealed record Schedule(Writer[] Writers, (Step Step, int Writer)[] Steps, int Limit);

    private static Gen<Schedule> ScheduleGen() =>
        from writers in Gen.Choose(1, 3).Zip(Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false))))
            .Select(w => new Writer(w.Item1, w.Item2)).ArrayOf().Where(a => a.Length is >= 2 and <= 6)
        from reads in Gen.Choose(1, 8)
        from keys in Gen.Choose(0, 1_000_000).ArrayOf(writers.Length * 2 + reads)
        from limit in Gen.Choose(1, 4)
        select Build(writers, reads, keys, limit);

    private static Schedule Build(Writer[] writers, int reads, int[] keys, int limit)
    {
        var steps = new List<(Step, int, int)>();
        for (var w = 0; w < writers.Length; w++)
        {
            // The write takes the smaller key: it comes first.
            var (a, b) = (keys[2 * w], keys[(2 * w) + 1]);
            steps.Add((Step.Write, w, Math.Min(a, b)));
            steps.Add((Step.End, w, Math.Max(a, b)));
        }
        for (var r = 0; r < reads; r++)
            steps.Add((Step.Read, -1, keys[(writers.Length * 2) + r]));
        return new Schedule(writers, [.. steps.OrderBy(s => s.Item3).ThenBy(s => s.Item1).Select(s => (s.Item1, s.Item2))], limit);
    }

    [Fact]
    public async Task Cursor_UnderGeneratedInterleavingsOfWritersAndReads_ReadsEveryCommittedEventOnce_AndNoRolledBackOne()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync(); // no host, so no publisher
        var stream = new ResponseEventStream(service.DataSource);
        var schedules = ScheduleGen().Sample(60, new Rnd(20261206), 10);
        var inverted = 0;
        foreach (var schedule in schedules)
        {
            await using (var reset = service.DataSource.CreateCommand("""
                truncate response_events;
                update response_event_cursors set xid = '0', invitation_id = '00000000-0000-0000-0000-000000000000', version = 0
                """))
                await reset.ExecuteNonQueryAsync();
            var connections = new NpgsqlConnection?[schedule.Writers.Length];
            var transactions = new NpgsqlTransaction?[schedule.Writers.Length];
            var written = new List<string>[schedule.Writers.Length];
            var committed = new List<string>();
            var read = new List<string>();
            var commitOrder = new List<int>();
            try
            {
                foreach (var (step, w) in schedule.Steps)
                {
                    switch (step)
                    {
                        case Step.Write:
                            connections[w] = await service.DataSource.OpenConnectionAsync();
                            transactions[w] = await connections[w]!.BeginTransactionAsync();
                            written[w] = await AppendAsync(connections[w]!, transactions[w]!, schedule.Writers[w].Events);
                            break;
                        case Step.End when schedule.Writers[w].Commits:
                            await transactions[w]!.CommitAsync();
                            committed.AddRange(written[w]);
                            commitOrder.Add(w);
                            break;
                        case Step.End:
                            await transactions[w]!.RollbackAsync();
                            break;
                        default:
                            read.AddRange(await ReadOnceAsync(stream, schedule.Limit));
                            break;
                    }
                }
            }
            finally
            {
                foreach (var connection in connections)
                    if (connection is not null)
                        await connection.DisposeAsync();
            }
            // Writers commit in an order other than the order of their transaction ids (their writes' order) in most schedules.
            if (!commitOrder.SequenceEqual(commitOrder.Order()))
                inverted++;

            // Every writer has ended: reading on drains the stream (another database's transaction may hold it back a moment).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (read.Count < committed.Count && clock.Elapsed < TimeSpan.FromSeconds(30))
                read.AddRange(await ReadOnceAsync(stream, schedule.Limit));
            read.AddRange(await ReadOnceAsync(stream, schedule.Limit));
            read.ShouldBe(read.Distinct().ToList(), $"an event read twice; schedule {schedule.Steps.Length} steps");
            read.Order(StringComparer.Ordinal).ShouldBe(committed.Order(StringComparer.Ordinal),
                $"schedule: {string.Join(' ', schedule.Steps.Select(s => $"{s.Step}{s.Writer}"))}, commits {string.Join(',', schedule.Writers.Select(w => w.Commits))}");
        }
        inverted.ShouldBeGreaterThan(10, "the generated schedules commit out of transaction-id order often");
    }

    [Fact]
    public async Task Read_WhileAnOlderWriterIsStillOpen_WaitsForIt_AndThenReadsBothInTransactionOrder()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        var stream = new ResponseEventStream(service.DataSource);
        await using var older = await service.DataSource.OpenConnectionAsync();
        await using var olderTransaction = await older.BeginTransactionAsync();
        var first = await AppendAsync(older, olderTransaction, 1);
        await using var newer = await service.DataSource.OpenConnectionAsync();
        await using (var newerTransaction = await newer.BeginTransactionAsync())
        {
            await AppendAsync(newer, newerTransaction, 1);
            await newerTransaction.CommitAsync();
        }

        // The newer writer committed, but the older one may still commit an event below it: the cursor must not pass it.
        (await ReadOnceAsync(stream, 10)).ShouldBeEmpty();
        await olderTransaction.CommitAsync();
        var read = await Eventually.Until(() => ReadOnceAsync(stream, 10), r => r.Count > 0, TimeSpan.FromSeconds(30), "the stream");
        read.Count.ShouldBe(2);
        read[0].ShouldBe(first[0]);
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(0);
    }

    [Fact]
    public async Task Lock_HeldByOnePublisher_AnotherGetsNothing_UntilItCompletes()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        var stream = new ResponseEventStream(service.DataSource);
        await using (var connection = await service.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await AppendAsync(connection, transaction, 3);
            await transaction.CommitAsync();
        }
        // The writer has ended; a transaction still open elsewhere in the cluster may hold the stream back a moment.
        await using var held = await LockWhenReadableAsync(stream);
        held.Events.Count.ShouldBe(3);
        (await stream.LockAsync(10, TimeSpan.FromMinutes(1), default)).ShouldBeNull("another replica holds the cursor");
        await held.CompleteAsync(2, [], default);
        await using var next = await stream.LockAsync(10, TimeSpan.FromMinutes(1), default);
        next!.Events.Select(e => e.EventId).ShouldBe([held.Events[2].EventId], "the cursor moved past the first two only");
    }

    [Fact]
    public async Task Prune_DeletesPublishedEventsPastRetention_KeepsTheRest()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        var stream = new ResponseEventStream(service.DataSource);
        await using (var seed = service.DataSource.CreateCommand("""
            insert into response_events (invitation_id, version, payload, created_at) values
                ('00000000-0000-0000-0000-00000000000a', 1, '{}', clock_timestamp() - interval '8 days'),
                ('00000000-0000-0000-0000-00000000000b', 1, '{}', clock_timestamp() - interval '6 days')
            """))
            await seed.ExecuteNonQueryAsync();
        (await Eventually.Until(() => ReadOnceAsync(stream, 10), r => r.Count > 0, TimeSpan.FromSeconds(30), "the stream")).Count.ShouldBe(2);
        // Published, one of them past retention; and one past retention not yet published.
        await using (var late = service.DataSource.CreateCommand("""
            insert into response_events (invitation_id, version, payload, created_at)
            values ('00000000-0000-0000-0000-00000000000c', 1, '{}', clock_timestamp() - interval '9 days')
            """))
            await late.ExecuteNonQueryAsync();

        (await stream.PruneAsync(TimeSpan.FromDays(7), default)).ShouldBe(1);
        (await service.ScalarAsync<string>("select string_agg(right(invitation_id::text, 1), ',' order by invitation_id) from response_events"))
            .ShouldBe("b,c");
    }

    [Fact]
    public async Task Prune_WithNothingOldEnough_ReadsOneBatchOfTheLog_NotAllOfIt()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        // A week's log in small: 6,000 published events, none past retention, pruned in batches of 500.
        await service.ExecuteAsync("""
            insert into response_events (invitation_id, version, score, updated_at, created_at)
            select gen_random_uuid(), 1, 9, clock_timestamp(), clock_timestamp() - interval '1 day' from generate_series(1, 6000);
            update response_event_cursors set xid = (select max(xid) from response_events),
                invitation_id = 'ffffffff-ffff-ffff-ffff-ffffffffffff', version = 2147483647;
            analyze response_events;
            """);

        await using var connection = await service.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var explain = new NpgsqlCommand("explain (analyze, format json) " + ResponseEventStream.PruneSql, connection, transaction);
        explain.Parameters.AddWithValue("retention", TimeSpan.FromDays(7));
        explain.Parameters.AddWithValue("batch", 500);
        using var plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
        await transaction.RollbackAsync();
        // Every row a scan of the log produced or filtered out to choose what to delete (the subquery of the plan).
        static double Read(System.Text.Json.JsonElement node) =>
            (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "response_events"
                ? node.GetProperty("Actual Rows").GetDouble() * node.GetProperty("Actual Loops").GetDouble()
                  + (node.TryGetProperty("Rows Removed by Filter", out var removed) ? removed.GetDouble() : 0)
                : 0)
            + (node.TryGetProperty("Plans", out var plans) ? plans.EnumerateArray().Sum(Read) : 0);
        static System.Text.Json.JsonElement? Chosen(System.Text.Json.JsonElement node) =>
            node.GetProperty("Node Type").GetString() == "Subquery Scan" ? node
            : node.TryGetProperty("Plans", out var plans) ? plans.EnumerateArray().Select(Chosen).FirstOrDefault(n => n is not null) : null;
        var chosen = Chosen(plan.RootElement[0].GetProperty("Plan"));
        chosen.ShouldNotBeNull(plan.RootElement.GetRawText());
        Read(chosen.Value).ShouldBeInRange(1, 500, plan.RootElement.GetRawText());
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(6000);
    }

    [Fact]
    public async Task Prune_WithOldEventsToDelete_ReadsOneBatchOfTheLog_NotAllOfIt()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        // One connection, so the statistics read back are the pruning session's own (flushed by pg_stat_force_next_flush).
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        // A log of 6,000 published events in transactions of 100; those of the first ten transactions are past retention.
        await using (var connection = await service.DataSource.OpenConnectionAsync())
            for (var t = 0; t < 60; t++)
                await using (var append = new NpgsqlCommand("""
                    insert into response_events (invitation_id, version, score, updated_at, created_at)
                    select gen_random_uuid(), 1, 9, clock_timestamp(), clock_timestamp() - @age from generate_series(1, 100)
                    """, connection))
                {
                    append.Parameters.AddWithValue("age", t < 10 ? TimeSpan.FromDays(8) : TimeSpan.FromDays(1));
                    await append.ExecuteNonQueryAsync();
                }
        await service.ExecuteAsync("""
            update response_event_cursors set xid = (select max(xid) from response_events),
                invitation_id = 'ffffffff-ffff-ffff-ffff-ffffffffffff', version = 2147483647;
            analyze response_events;
            """);
        var stream = new ResponseEventStream(oneConnection);

        var before = await EntriesReadAsync(oneConnection);
        (await stream.PruneAsync(TimeSpan.FromDays(7), default, batch: 500)).ShouldBe(500);
        var read = await EntriesReadAsync(oneConnection) - before;

        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(5500);
        (await service.ScalarAsync<long>("select count(*) from response_events where created_at < clock_timestamp() - interval '7 days'")).ShouldBe(500);
        // The batch's entries of the xid index, and the 500 rows deleted by address. The statement before joined the
        // batch back to the log by key, which the planner did by hashing it against a scan of the whole log: 6,502 read.
        read.ShouldBeInRange(500, 510);
    }

    [Fact]
    public async Task Read_FarBehindTheWriters_ReadsOneBatchOfTheLog_WithTheStatisticsOfASmallLogOrOfTheBacklog()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        // One connection, so every read below runs the statement the first one prepared, with the plan it got then.
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        var stream = new ResponseEventStream(oneConnection);
        const int Limit = 500, PerTransaction = 50, Backlog = 6000;
        await AppendInTransactionsAsync(service, 1, PerTransaction);
        await service.ExecuteAsync("analyze response_events");
        (await ReadWhenReadableAsync(stream, oneConnection, Limit, expected: PerTransaction)).Events.ShouldBe(PerTransaction);

        // The publisher falls behind: 6,000 events in 120 transactions wait after the cursor, and the statement (the
        // same text: the limit is part of it) was planned while the log held 50 (too few for the autovacuum to analyze it again meanwhile).
        await AppendInTransactionsAsync(service, Backlog / PerTransaction, PerTransaction);
        var stale = await ReadWhenReadableAsync(stream, oneConnection, Limit, expected: Limit);
        stale.Events.ShouldBe(Limit);
        // Every index entry the read's scan took: the rest of the cursor's own transaction (passed over), the batch, and up
        // to the end of the transaction its last event belongs to (the next one's first entry tells where that ends).
        const int OneBatch = Limit + 2 * PerTransaction;
        stale.EntriesRead.ShouldBeInRange(Limit, OneBatch);

        // Statistics that know the backlog: the statement is planned again.
        await service.ExecuteAsync("analyze response_events");
        var fresh = await ReadWhenReadableAsync(stream, oneConnection, Limit, expected: Limit);
        fresh.Events.ShouldBe(Limit);
        fresh.EntriesRead.ShouldBeInRange(Limit, OneBatch);
        (await service.ScalarAsync<long>("select count(*) from response_events_waiting")).ShouldBe(Backlog - 2 * Limit);
    }

    [Fact]
    public async Task Readiness_WithABacklogWaiting_ReadsTheEventTheStreamWaitsOn_NotTheBacklog()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        const int PerTransaction = 50;
        await AppendInTransactionsAsync(service, 1, PerTransaction);
        await service.ExecuteAsync("analyze response_events");
        await AppendInTransactionsAsync(service, 6000 / PerTransaction, PerTransaction);
        // A round published part of it: the cursor stands at the end of a transaction, with 5,500 events after it.
        (await ReadWhenReadableAsync(new ResponseEventStream(oneConnection), oneConnection, 500, expected: 500)).Events.ShouldBe(500);
        var waitingSince = await service.ScalarAsync<DateTime>(
            "select created_at from response_events_waiting order by xid, invitation_id, version limit 1");

        async Task<(HealthStatus Status, long EntriesRead)> CheckAsync(TimeSpan later)
        {
            var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(waitingSince, TimeSpan.Zero) + later);
            var before = await EntriesReadAsync(oneConnection);
            var result = await new OutboxHealthCheck(oneConnection, clock).CheckHealthAsync(new HealthCheckContext());
            return (result.Status, await EntriesReadAsync(oneConnection) - before);
        }

        var (healthy, readWhileYoung) = await CheckAsync(OutboxHealthCheck.StreamStalledAfter - TimeSpan.FromMinutes(1));
        healthy.ShouldBe(HealthStatus.Healthy);
        var (stalled, readWhileStalled) = await CheckAsync(OutboxHealthCheck.StreamStalledAfter + TimeSpan.FromMinutes(1));
        stalled.ShouldBe(HealthStatus.Degraded);
        // The rest of the cursor's own transaction, passed over, and the first event after it; not the 5,500 waiting.
        readWhileYoung.ShouldBeInRange(1, PerTransaction + 1);
        readWhileStalled.ShouldBeInRange(1, PerTransaction + 1);
    }

    // Appends events in transactions of their own, as writers do (each transaction's events share an xid).
    private static async Task AppendInTransactionsAsync(ServiceUnderTest service, int transactions, int events)
    {
        await using var connection = await service.DataSource.OpenConnectionAsync();
        for (var t = 0; t < transactions; t++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await AppendAsync(connection, transaction, events);
            await transaction.CommitAsync();
        }
    }

    // One publisher round of at most `limit` events once `expected` of them are readable (no writer elsewhere in the
    // cluster holds the stream back), moving the cursor past them; with the index entries of response_events that round's read took, from
    // the statistics its session reported (flushed at once by pg_stat_force_next_flush, on the same connection).
    private static async Task<(int Events, long EntriesRead)> ReadWhenReadableAsync(ResponseEventStream stream, NpgsqlDataSource oneConnection, int limit, int expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var before = await EntriesReadAsync(oneConnection);
            int events;
            await using (var batch = await stream.LockAsync(limit, TimeSpan.FromMinutes(1), default))
            {
                batch.ShouldNotBeNull("no other publisher runs here");
                events = batch.Events.Count;
                await batch.CompleteAsync(events, [], default);
            }
            var read = await EntriesReadAsync(oneConnection) - before;
            if (events == expected || clock.Elapsed > TimeSpan.FromSeconds(30))
                return (events, read);
            await Task.Delay(100);
        }
    }

    private static async Task<long> EntriesReadAsync(NpgsqlDataSource oneConnection) =>
        (await RowsRead.CountAsync(oneConnection, "response_events"))[0];

    private static async Task<List<string>> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int events)
    {
        var ids = Enumerable.Range(0, events).Select(_ => Guid.NewGuid()).ToArray();
        await using var command = new NpgsqlCommand("""
            insert into response_events (invitation_id, version, payload, created_at)
            select id, 1, jsonb_build_object('invitationId', id), clock_timestamp() from unnest(@ids) as t (id)
            """, connection, transaction);
        command.Parameters.AddWithValue("ids", ids);
        (await command.ExecuteNonQueryAsync()).ShouldBe(events);
        return [.. ids.Select(id => $"{id}:1")];
    }

    // The cursor locked with the events after it, once any writer elsewhere in the cluster that holds the stream back has ended.
    private static async Task<ResponseEventBatch> LockWhenReadableAsync(ResponseEventStream stream)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var batch = await stream.LockAsync(10, TimeSpan.FromMinutes(1), default);
            batch.ShouldNotBeNull("no other publisher runs here");
            if (batch.Events.Count > 0 || clock.Elapsed > TimeSpan.FromSeconds(30))
                return batch;
            await batch.DisposeAsync();
            await Task.Delay(100);
        }
    }

    // One publisher round that every event it read was acknowledged: read after the cursor, move the cursor past them.
    private static async Task<List<string>> ReadOnceAsync(ResponseEventStream stream, int limit)
    {
        await using var batch = await stream.LockAsync(limit, TimeSpan.FromMinutes(1), default);
        batch.ShouldNotBeNull("no other publisher runs here");
        await batch.CompleteAsync(batch.Events.Count, [], default);
        return [.. batch.Events.Select(e => e.EventId)];
    }
}
