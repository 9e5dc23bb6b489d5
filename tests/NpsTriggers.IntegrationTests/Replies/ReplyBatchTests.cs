using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

using NpsTriggers.IntegrationTests.Loop;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// Replies written in shared transactions (<see cref="ReplyWriter"/>): what concurrent replies find is what one at a
/// time would have found, every change has its one outbox event, and a reply that cannot be written fails alone.
/// </summary>
public sealed class ReplyBatchTests
{
    private static async Task<(ServiceUnderTest Service, Guid[] Ids)> StartWithSentAsync(int invitations)
    {
        var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox));
        await using var insert = service.DataSource.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, attributes, state, created_at, due_at,
                                     valid_for, sent_at, expires_at, email, customer_id)
            select gen_random_uuid(), 'batch-test', 'reply-' || g, 'order.delivered', 'delivery', 'delivery', 'email', '{"store": "north"}',
                   'sent', @now, @now, interval '7 days', @now, @now + interval '7 days', 'person-' || g || '@example.com', 'c-' || g
            from generate_series(1, @count) g
            returning id
            """);
        insert.Parameters.AddWithValue("now", ServiceUnderTest.Start);
        insert.Parameters.AddWithValue("count", invitations);
        var ids = new List<Guid>();
        await using (var reader = await insert.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                ids.Add(reader.GetGuid(0));
        return (service, [.. ids]);
    }

    [Fact]
    public async Task ConcurrentScores_OneRecordedPerInvitation_AndOneEventPerChange()
    {
        var (service, ids) = await StartWithSentAsync(60);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var random = new Random(7);
        // Four replies per invitation, all at once: a batch takes one per invitation and leaves the others to the next.
        var replies = ids.SelectMany(id => Enumerable.Range(0, 4).Select(_ => (Id: id, Score: random.Next(0, 11)))).ToArray();
        random.Shuffle(replies);
        var outcomes = await Task.WhenAll(replies.Select(async r => (r.Id, r.Score, Outcome: await writer.RecordScoreAsync(r.Id, r.Score, default))));

        foreach (var group in outcomes.GroupBy(o => o.Id))
        {
            group.Count(o => o.Outcome == RecordOutcome.Recorded).ShouldBe(1);
            var changes = group.Count(o => o.Outcome is RecordOutcome.Recorded or RecordOutcome.Changed);
            // The stored version counts the changes, and each change has its own event "<id>:<version>".
            (await service.ScalarAsync<int>("select version from responses where invitation_id = @id", ("id", group.Key))).ShouldBe(changes);
            var events = await service.ScalarAsync<string>(
                "select string_agg(event_id, ',' order by id) from outbox where destination = 'kafka' and partition_key = @id", ("id", group.Key.ToString()));
            events.ShouldBe(string.Join(',', Enumerable.Range(1, changes).Select(v => $"{group.Key}:{v}")));
            var score = await service.ScalarAsync<int>("select score from responses where invitation_id = @id", ("id", group.Key));
            group.Select(o => o.Score).ShouldContain(score);
        }
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'answered'")).ShouldBe(ids.Length);
        (await service.ScalarAsync<long>("select count(*) from follow_ups")).ShouldBe(ids.Length);
    }

    [Fact]
    public async Task ConcurrentApiAnswers_ToOneInvitation_OneRecordedTheRestDuplicates()
    {
        var (service, ids) = await StartWithSentAsync(11);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var contested = ids[0];
        var answers = Enumerable.Range(0, 8).Select(i => new ApiResponseStore.ApiAnswer(contested, i, $"take {i}", "phone"))
            .Concat(ids[1..].Select(id => new ApiResponseStore.ApiAnswer(id, 9, null, "kiosk")))
            .Append(new ApiResponseStore.ApiAnswer(Guid.NewGuid(), 5, null, "kiosk"))
            .ToArray();
        var results = await Task.WhenAll(answers.Select(a => writer.RecordAnswerAsync(a, default)));

        var mine = results.Where(r => r.Response?.InvitationId == contested || r.Outcome == ApiRecordOutcome.Duplicate).ToList();
        mine.Count(r => r.Outcome == ApiRecordOutcome.Recorded).ShouldBe(1);
        mine.Count(r => r.Outcome == ApiRecordOutcome.Duplicate).ShouldBe(7);
        var stored = mine.Single(r => r.Outcome == ApiRecordOutcome.Recorded).Response!;
        stored.Channel.ShouldBe("phone");
        stored.Comment.ShouldBe($"take {stored.Score}");
        stored.Metadata.GetProperty("store").GetString().ShouldBe("north");
        results.Count(r => r.Outcome == ApiRecordOutcome.Recorded && r.Response!.Channel == "kiosk").ShouldBe(10);
        results[^1].Outcome.ShouldBe(ApiRecordOutcome.Unknown);
        (await service.ScalarAsync<long>("select count(*) from outbox where destination = 'kafka'")).ShouldBe(11);
    }

    [Fact]
    public async Task AReplyThatCannotBeWritten_FailsAlone_AndItsBatchIsWrittenWithoutIt()
    {
        var (service, all) = await StartWithSentAsync(80);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        // Replies to invitations of one lane are written by one loop, in order; another lane's loop runs beside it.
        var lane = ReplyWriter.LaneOf(all[0]);
        var ids = all.Where(id => ReplyWriter.LaneOf(id) == lane).Take(22).ToArray();
        ids.Length.ShouldBe(22);
        var unknown = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).First(id => ReplyWriter.LaneOf(id) == lane);

        // Hold the first invitation's row so its lane's writer waits on its reply; the replies sent meanwhile gather into one batch.
        await using var blocker = new NpgsqlConnection(service.ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from invitations where id = @id for update", blocker, hold))
        {
            lockRow.Parameters.AddWithValue("id", ids[0]);
            await lockRow.ExecuteScalarAsync();
        }
        var first = writer.RecordScoreAsync(ids[0], 9, default);
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"), n => n == 1, null, "the writer waiting");
        var valid = ids[1..21].Select(id => writer.RecordScoreAsync(id, 3, default)).ToArray();
        // Score 11 breaks the responses check constraint: this one reply cannot be written, whatever it is batched with.
        var broken = writer.RecordScoreAsync(ids[21], 11, default);
        var invalidLater = writer.RecordScoreAsync(unknown, 11, default);
        await hold.RollbackAsync();

        (await first).ShouldBe(RecordOutcome.Recorded);
        foreach (var reply in valid)
            (await reply).ShouldBe(RecordOutcome.Recorded);
        var failure = await Should.ThrowAsync<PostgresException>(() => broken);
        failure.SqlState.ShouldBe(PostgresErrorCodes.CheckViolation);
        // An unknown invitation is not an error: nothing to write, so it answers Unknown even with a bad score.
        (await invalidLater).ShouldBe(RecordOutcome.Unknown);
        service.Logs.Lines.ShouldContain(line => line.Contains("A batch of 22 replies failed", StringComparison.Ordinal));
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(21);
        (await service.ScalarAsync<long>("select count(*) from responses where score = 3")).ShouldBe(20);
        (await service.ScalarAsync<long>("select count(*) from outbox where destination = 'kafka'")).ShouldBe(21);
    }

    [Fact]
    public async Task AWriterWhoseConnectionIsKilled_WritesTheNextBatchOnAFreshConnection()
    {
        var (service, all) = await StartWithSentAsync(40);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var lane = ReplyWriter.LaneOf(all[0]);
        var ids = all.Where(id => ReplyWriter.LaneOf(id) == lane).Take(3).ToArray();
        ids.Length.ShouldBe(3);

        // The lane keeps its connection from batch to batch while replies keep coming. Hold the first invitation's row so
        // the lane's first batch waits on it, queue a second reply behind it, then kill the backend that waits.
        await using var blocker = new NpgsqlConnection(service.ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from invitations where id = @id for update", blocker, hold))
        {
            lockRow.Parameters.AddWithValue("id", ids[0]);
            await lockRow.ExecuteScalarAsync();
        }
        var first = writer.RecordScoreAsync(ids[0], 9, default);
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"), n => n == 1, null, "the writer waiting");
        var second = writer.RecordScoreAsync(ids[1], 4, default);
        (await service.ScalarAsync<bool>("""
            select pg_terminate_backend(pid) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()
            """)).ShouldBeTrue();

        // The killed batch (one reply) fails: nothing of it was committed. The reply queued behind it is written alone on a
        // fresh connection, not on the dead one the lane held; so is a reply after it.
        (await Should.ThrowAsync<Exception>(() => first)).ShouldBeAssignableTo<NpgsqlException>();
        (await second).ShouldBe(RecordOutcome.Recorded);
        await hold.RollbackAsync();
        (await writer.RecordScoreAsync(ids[2], 7, default)).ShouldBe(RecordOutcome.Recorded);
        (await writer.RecordScoreAsync(ids[0], 9, default)).ShouldBe(RecordOutcome.Recorded);
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(3);
        (await service.ScalarAsync<long>("select count(*) from outbox where destination = 'kafka'")).ShouldBe(3);
    }
}
