using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

using NpsTriggers.IntegrationTests.Loop;
using NpsTriggers.Core.Invitations;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// Replies written in shared transactions (<see cref="ReplyWriter"/>): what concurrent replies find is what one at a
/// time would have found, every change has its one outbox event, and a reply that cannot be written fails alone.
/// </summary>
public sealed class ReplyBatchTests
{
    private static async Task<(ServiceUnderTest Service, Guid[] Ids)> StartWithSentAsync(int invitations,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>(OutboxPublisherTests.FastOutbox);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            configuration[key] = value;
        var service = await ServiceUnderTest.StartAsync(configuration);
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
                "select string_agg(invitation_id || ':' || version, ',' order by xid, version) from response_events where invitation_id = @id", ("id", group.Key));
            events.ShouldBe(string.Join(',', Enumerable.Range(1, changes).Select(v => $"{group.Key}:{v}")));
            var score = await service.ScalarAsync<int>("select score from responses where invitation_id = @id", ("id", group.Key));
            group.Select(o => o.Score).ShouldContain(score);
        }
        (await service.ScalarAsync<long>($"select count(*) from invitations where {InvitationState.EffectiveSql()} = 'answered'")).ShouldBe(ids.Length);
        (await service.ScalarAsync<long>("select count(*) from follow_up_tasks")).ShouldBe(ids.Length);
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
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(11);
        // Each answer recorded comes back as stored: what the API reads afterwards.
        var api = service.Host!.Services.GetRequiredService<ApiResponseStore>();
        foreach (var recorded in results.Where(r => r.Outcome == ApiRecordOutcome.Recorded).Select(r => r.Response!))
        {
            var read = (await api.GetAsync(recorded.InvitationId, default))!;
            (recorded.Survey, recorded.Channel, recorded.Score, recorded.Category, recorded.Comment, recorded.AnsweredAt, recorded.UpdatedAt, recorded.Version)
                .ShouldBe((read.Survey, read.Channel, read.Score, read.Category, read.Comment, read.AnsweredAt, read.UpdatedAt, read.Version));
            recorded.Metadata.GetRawText().ShouldBe(read.Metadata.GetRawText());
        }
    }

    [Fact]
    public async Task ABatchOfScoresAndApiAnswers_WritesOneOutboxRowPerChangeAndDestination_AndNoneForAnUnchangedScore()
    {
        // Two alert webhooks (detractors; everyone) beside Kafka, with a delay no test outlasts, so every webhook row
        // stays pending and a newer change visibly supersedes an older one.
        var (service, all) = await StartWithSentAsync(40, new Dictionary<string, string?>
        {
            ["Alerts:Webhooks:support:Url"] = "http://127.0.0.1:9/support",
            ["Alerts:Webhooks:support:Categories:0"] = "detractor",
            ["Alerts:Webhooks:all:Url"] = "http://127.0.0.1:9/all",
            ["Alerts:Webhooks:all:Categories:0"] = "detractor",
            ["Alerts:Webhooks:all:Categories:1"] = "passive",
            ["Alerts:Webhooks:all:Categories:2"] = "promoter",
            ["Alerts:Delay"] = "01:00:00",
        });
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var lane = ReplyWriter.LaneOf(all[0]);
        var ids = all.Where(id => ReplyWriter.LaneOf(id) == lane).Take(6).ToArray();
        ids.Length.ShouldBe(6);
        var unknown = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).First(id => ReplyWriter.LaneOf(id) == lane);
        (await writer.RecordScoreAsync(ids[0], 9, default)).ShouldBe(RecordOutcome.Recorded);
        (await writer.RecordScoreAsync(ids[1], 3, default)).ShouldBe(RecordOutcome.Recorded);

        // Hold the first batch on a row lock, so the replies sent meanwhile gather into one batch of both kinds.
        await using var blocker = new NpgsqlConnection(service.ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from invitations where id = @id for update", blocker, hold))
        {
            lockRow.Parameters.AddWithValue("id", ids[5]);
            await lockRow.ExecuteScalarAsync();
        }
        var first = writer.RecordScoreAsync(ids[5], 8, default);
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"), n => n == 1, null, "the writer waiting");
        var unchanged = writer.RecordScoreAsync(ids[0], 9, default);
        var changed = writer.RecordScoreAsync(ids[1], 7, default);
        var recorded = writer.RecordScoreAsync(ids[2], 2, default);
        var kiosk = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[3], 10, "great", "kiosk"), default);
        var phone = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[4], 0, null, "phone"), default);
        var duplicate = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[0], 4, null, "phone"), default);
        var nobody = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(unknown, 4, null, "phone"), default);
        await hold.RollbackAsync();

        (await first).ShouldBe(RecordOutcome.Recorded);
        (await unchanged).ShouldBe(RecordOutcome.Unchanged);
        (await changed).ShouldBe(RecordOutcome.Changed);
        (await recorded).ShouldBe(RecordOutcome.Recorded);
        (await kiosk).Outcome.ShouldBe(ApiRecordOutcome.Recorded);
        (await phone).Outcome.ShouldBe(ApiRecordOutcome.Recorded);
        (await duplicate).Outcome.ShouldBe(ApiRecordOutcome.Duplicate);
        (await nobody).Outcome.ShouldBe(ApiRecordOutcome.Unknown);

        // Kafka takes every change, "support" the detractors, "all" everything; ids[0]'s second click changed nothing.
        string[] Rows(Guid id, int version, params string[] hooks) =>
            [$"{id}:{version} kafka", .. hooks.Select(h => $"{id}:{version} webhook:{h}")];
        string[] expected =
        [
            .. Rows(ids[0], 1, "all"), .. Rows(ids[1], 1, "support", "all"), .. Rows(ids[1], 2, "all"),
            .. Rows(ids[2], 1, "support", "all"), .. Rows(ids[3], 1, "all"), .. Rows(ids[4], 1, "support", "all"),
            .. Rows(ids[5], 1, "all"),
        ];
        // Kafka's events are rows of the response event stream, the webhooks' rows of the outbox.
        var rows = await service.ScalarAsync<string>("""
            select string_agg(row, '|') from (
                select event_id || ' ' || destination as row from outbox
                union all
                select invitation_id || ':' || version || ' kafka' from response_events) t
            """);
        rows.Split('|').Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal));
        // The passive change replaced the detractor alert still waiting for "all"; the one for "support" stays.
        (await service.ScalarAsync<string>("select string_agg(event_id || ' ' || destination, '|') from outbox where state = 'superseded'"))
            .ShouldBe($"{ids[1]}:1 webhook:all");

        // Each event carries the response as stored and its invitation's fields, whichever statement wrote it, as a
        // consumer reads it from Kafka (the log keeps only what each version changed, migration 0028).
        string[] kafkaEvents = [.. expected.Where(r => r.EndsWith(" kafka", StringComparison.Ordinal)).Select(r => r[..^" kafka".Length])];
        await service.WaitForCountAsync(ResponseEvents.PublishedSql, kafkaEvents.Length, TimeSpan.FromSeconds(60));
        var published = ResponseEvents.ReadAll(service.Kafka.BootstrapServers, atLeast: kafkaEvents.Length, quiet: TimeSpan.FromSeconds(2))
            .ToDictionary(r => r.Event.GetProperty("id").GetString()!, r => r.Event.GetProperty("data"));
        published.Keys.Order(StringComparer.Ordinal).ShouldBe(kafkaEvents.Order(StringComparer.Ordinal));
        var kioskEvent = published[$"{ids[3]}:1"];
        kioskEvent.GetProperty("invitationId").GetGuid().ShouldBe(ids[3]);
        kioskEvent.GetProperty("version").GetInt32().ShouldBe(1);
        kioskEvent.GetProperty("survey").GetString().ShouldBe("delivery");
        kioskEvent.GetProperty("score").GetInt32().ShouldBe(10);
        kioskEvent.GetProperty("category").GetString().ShouldBe("promoter");
        kioskEvent.GetProperty("channel").GetString().ShouldBe("kiosk");
        kioskEvent.GetProperty("comment").GetString().ShouldBe("great");
        kioskEvent.GetProperty("rule").GetString().ShouldBe("delivery");
        kioskEvent.GetProperty("customerId").GetString()!.ShouldStartWith("c-");
        kioskEvent.GetProperty("event").GetProperty("source").GetString().ShouldBe("batch-test");
        kioskEvent.GetProperty("event").GetProperty("id").GetString()!.ShouldStartWith("reply-");
        kioskEvent.GetProperty("metadata").GetProperty("store").GetString().ShouldBe("north");
        kioskEvent.GetProperty("answeredAt").GetDateTimeOffset().ShouldBe(kioskEvent.GetProperty("updatedAt").GetDateTimeOffset());
        // The event keeps the order of its fields that docs/EVENTS.md shows, invitationId first.
        kioskEvent.EnumerateObject().Select(p => p.Name).ShouldBe(["invitationId", "version", "survey", "channel", "score", "category",
            "comment", "customerId", "rule", "event", "answeredAt", "updatedAt", "metadata"]);
        // The first version of a changed response keeps its own score and category, the second has the change's.
        published[$"{ids[1]}:1"].GetProperty("score").GetInt32().ShouldBe(3);
        published[$"{ids[1]}:1"].GetProperty("category").GetString().ShouldBe("detractor");
        var changeEvent = published[$"{ids[1]}:2"];
        changeEvent.GetProperty("score").GetInt32().ShouldBe(7);
        changeEvent.GetProperty("category").GetString().ShouldBe("passive");
        changeEvent.GetProperty("channel").GetString().ShouldBe("email");
        changeEvent.GetProperty("comment").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        // The first answer's time is kept; the change's time is the update's.
        changeEvent.GetProperty("answeredAt").GetDateTimeOffset().ShouldBeLessThanOrEqualTo(changeEvent.GetProperty("updatedAt").GetDateTimeOffset());
        // The webhooks' rows carry the same event as Kafka does.
        var webhookPayload = await service.ScalarAsync<string>("select payload::text from outbox where event_id = @e and destination = 'webhook:all'",
            ("e", $"{ids[3]}:1"));
        using (var webhook = System.Text.Json.JsonDocument.Parse(webhookPayload))
            foreach (var field in kioskEvent.EnumerateObject())
            {
                var stored = webhook.RootElement.GetProperty(field.Name);
                if (field.Name is "answeredAt" or "updatedAt")
                    stored.GetDateTimeOffset().ShouldBe(field.Value.GetDateTimeOffset(), field.Name);
                else
                    System.Text.Json.JsonElement.DeepEquals(stored, field.Value).ShouldBeTrue($"{field.Name}: {stored} against {field.Value}");
            }

        // One follow-up per answered invitation; the changed one follows the new category.
        (await service.ScalarAsync<long>("select count(*) from follow_up_tasks")).ShouldBe(6);
        (await service.ScalarAsync<string>("select category from follow_up_tasks where invitation_id = @id", ("id", ids[1]))).ShouldBe("passive");
        (await service.ScalarAsync<string>("select category from follow_up_tasks where invitation_id = @id", ("id", ids[0]))).ShouldBe("promoter");
        (await service.ScalarAsync<string>("select category from follow_up_tasks where invitation_id = @id", ("id", ids[4]))).ShouldBe("detractor");
    }

    [Fact]
    public async Task AppendingOneVersionTwice_FailsOnTheEventKey_InsteadOfDroppingTheSecondRow()
    {
        var (service, ids) = await StartWithSentAsync(1);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        (await writer.RecordScoreAsync(ids[0], 9, default)).ShouldBe(RecordOutcome.Recorded);
        var outbox = service.Host!.Services.GetRequiredService<ResponseOutbox>();
        await using var connection = await service.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Touch the response without a new version: the append then sees this transaction's change of version 1 again.
        await using (var touch = new NpgsqlCommand("update responses set updated_at = updated_at where invitation_id = @id", connection, transaction))
        {
            touch.Parameters.AddWithValue("id", ids[0]);
            (await touch.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        var failure = await Should.ThrowAsync<PostgresException>(() => outbox.AppendAsync(connection, transaction, ids[0], default));
        failure.SqlState.ShouldBe(PostgresErrorCodes.UniqueViolation);
        failure.ConstraintName.ShouldBe("response_events_pkey");
    }

    [Fact]
    public async Task AnApiAnswerToAnUnansweredInvitationThatHasAResponse_FailsOnTheResponseKey_AndMarksNothingAnswered()
    {
        var (service, ids) = await StartWithSentAsync(2);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        // A state no writer of the service leaves behind: a response whose invitation has no answered_at.
        await using (var stray = service.DataSource.CreateCommand("""
            insert into responses (invitation_id, survey, channel, score, attributes, answered_at, updated_at)
            select id, survey, channel, 5, attributes, now(), now() from invitations where id = @id
            """))
        {
            stray.Parameters.AddWithValue("id", ids[0]);
            (await stray.ExecuteNonQueryAsync()).ShouldBe(1);
        }

        var failing = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[0], 9, "stray", "kiosk"), default);
        var other = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[1], 8, null, "kiosk"), default);

        var failure = await Should.ThrowAsync<PostgresException>(() => failing);
        failure.SqlState.ShouldBe(PostgresErrorCodes.UniqueViolation);
        failure.ConstraintName.ShouldBe("responses_pkey");
        (await other).Outcome.ShouldBe(ApiRecordOutcome.Recorded);
        // Nothing of the failed answer committed: not its answered_at, not its event, and the stray response is as it was.
        (await service.ScalarAsync<bool>("select answered_at is null from invitations where id = @id", ("id", ids[0]))).ShouldBeTrue();
        (await service.ScalarAsync<string>("select score || ' v' || version from responses where invitation_id = @id", ("id", ids[0])))
            .ShouldBe("5 v1");
        (await service.ScalarAsync<string>("select string_agg(invitation_id || ':' || version, ',') from response_events"))
            .ShouldBe($"{ids[1]}:1");
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
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(21);
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
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(3);
    }

    [Fact]
    public async Task AScoreWaitingOnAFirstAnswerOfAnotherTransaction_IsRecordedOnTopOfIt_NotLost()
    {
        var (service, ids) = await StartWithSentAsync(1);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var id = ids[0];

        // Another replica's first answer, still uncommitted: the invitation answered (answered_at), its response inserted.
        await using var other = new NpgsqlConnection(service.ConnectionString);
        await other.OpenAsync();
        await using var answering = await other.BeginTransactionAsync();
        await using (var first = new NpgsqlCommand("""
            with opened as (
                update invitations set answered_at = now() where id = @id and state = 'sent' and answered_at is null
                returning id, survey, channel, attributes)
            insert into responses (invitation_id, survey, channel, score, attributes, answered_at, updated_at)
            select id, survey, channel, 10, attributes, now(), now() from opened
            """, other, answering))
        {
            first.Parameters.AddWithValue("id", id);
            (await first.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        // This writer's statement saw the invitation sent; it waits for the row, then finds it answered.
        var later = writer.RecordScoreAsync(id, 3, default);
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"), n => n == 1, null, "the writer waiting");
        await answering.CommitAsync();

        (await later).ShouldNotBe(RecordOutcome.Unknown);
        (await later).ShouldNotBe(RecordOutcome.Closed);
        (await service.ScalarAsync<string>("select score || ' v' || version from responses where invitation_id = @id", ("id", id)))
            .ShouldBe("3 v2", "the later score replaced the first answer");
        (await service.ScalarAsync<string>($"select {InvitationState.EffectiveSql()} from invitations where id = @id", ("id", id))).ShouldBe("answered");
        (await service.ScalarAsync<string>("select string_agg(invitation_id || ':' || version, ',') from response_events"))
            .ShouldBe($"{id}:2", "the other transaction appended no event of its own here; this one appends its change");
    }

    [Fact]
    public async Task ARequestThatBlocksWhenAnswered_HoldsNeitherItsLaneNorTheRepliesOfLaterBatches()
    {
        var (service, ids) = await StartWithSentAsync(8);
        await using var _ = service;
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        // Two invitations of one lane: the second reply can only be written by the loop that wrote the first.
        var first = ids[0];
        var second = ids.Skip(1).First(id => ReplyWriter.LaneOf(id) == ReplyWriter.LaneOf(first));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // A caller whose continuation blocks the thread that answers it (ExecuteSynchronously runs it there): were
        // requests answered on the lane's own loop, that loop would stop here and never write the second reply.
        var blocked = writer.RecordScoreAsync(first, 9, default).ContinueWith(recorded =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(60));
            return recorded.Result;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            (await Task.Run(() => entered.Wait(TimeSpan.FromSeconds(30)))).ShouldBeTrue("the first reply was answered");
            (await writer.RecordScoreAsync(second, 4, default).WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(RecordOutcome.Recorded);
        }
        finally
        {
            release.Set();
        }
        (await blocked).ShouldBe(RecordOutcome.Recorded);
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(2);
    }
}
