using System.Net;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// An answer writes no indexed column of <c>invitations</c> (issue 21): it sets <c>answered_at</c>, leaves the state
/// <c>sent</c>, and its new row version is heap-only (HOT). The sweeps complete the move to <c>answered</c>: an answered
/// invitation gets no reminder and does not expire (docs/ARCHITECTURE.md, "Invitations: a state machine").
/// </summary>
public sealed class AnsweredInvitationTests
{
    private const string Yaml = """
        version: 1
        surveys:
          delivery:
            subject: 'How was order #{{ data.orderId }}?'
            question: How likely are you to recommend Acme?
        rules:
          - name: delivered
            on: order.delivered
            survey: delivery
            delay: 1h
            keep: [orderId]
            reminders: { count: 1, after: 3d }
          - name: collected
            on: order.collected
            survey: delivery
            delay: 1h
            keep: [orderId]
            expiry: 2d
        """;

    private static readonly DateTimeOffset Sent = ServiceUnderTest.Start.AddHours(1);

    private static object Order(string person) =>
        new { recipient = new { customerId = person, email = $"{person}@example.com", timeZone = "Europe/London" }, orderId = person };

    /// <summary>Invitations written as sent, straight into the table (the answers are what is under test here).</summary>
    internal static async Task<Guid[]> InsertSentAsync(ServiceUnderTest service, int count, TimeSpan validFor)
    {
        await using var insert = service.DataSource.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, attributes, state, created_at, due_at,
                                     valid_for, sent_at, expires_at, email, customer_id)
            select gen_random_uuid(), 'answered-test', 'answer-' || g, 'order.delivered', 'delivery', 'delivery', 'email', '{}',
                   'sent', @now, @now, @valid, @now, @now + @valid, 'person-' || g || '@example.com', 'c-' || g
            from generate_series(1, @count) g
            order by g
            returning id
            """);
        insert.Parameters.AddWithValue("now", ServiceUnderTest.Start);
        insert.Parameters.AddWithValue("valid", validFor);
        insert.Parameters.AddWithValue("count", count);
        var ids = new List<Guid>();
        await using (var reader = await insert.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                ids.Add(reader.GetGuid(0));
        return [.. ids];
    }

    /// <summary>Whether the invitation's current row version is heap-only (HEAP_ONLY_TUPLE, 0x8000 in t_infomask2).</summary>
    private static Task<bool> HeapOnlyAsync(ServiceUnderTest service, Guid id) => service.ScalarAsync<bool>("""
        select (h.t_infomask2 & 32768) <> 0
        from invitations i, heap_page_items(get_raw_page('invitations', (i.ctid::text::point)[0]::bigint)) h
        where i.id = @id and h.lp = (i.ctid::text::point)[1]::int
        """, ("id", id));

    /// <summary>Index entries on the leaf pages of every index of <c>invitations</c>, per index.</summary>
    private static Task<string> IndexEntriesAsync(ServiceUnderTest service) => service.ScalarAsync<string>("""
        select string_agg(name || '=' || entries, ', ' order by name)
        from (select c.relname as name,
                     (select coalesce(sum(s.live_items), 0)
                      from generate_series(1::bigint, pg_relation_size(c.oid) / current_setting('block_size')::bigint - 1) b,
                           bt_page_stats(c.relname::text, b) s
                      where s.type = 'l') as entries
              from pg_index x join pg_class c on c.oid = x.indexrelid
              where x.indrelid = 'invitations'::regclass) q
        """);

    [Fact]
    public async Task Answers_ScoreAndApi_AreHeapOnlyUpdates_AndAddNoIndexEntry()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await service.ScalarAsync<int>("create extension if not exists pageinspect; select 1");
        // Migration 0025: room on each page for the answers' heap-only versions.
        (await service.ScalarAsync<string>("select array_to_string(reloptions, ',') from pg_class where oid = 'invitations'::regclass"))
            .ShouldContain("fillfactor=80");
        var ids = await InsertSentAsync(service, 3, TimeSpan.FromDays(7));
        (await HeapOnlyAsync(service, ids[0])).ShouldBeFalse("a row as inserted is not heap-only");
        var before = await IndexEntriesAsync(service);
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();

        (await writer.RecordScoreAsync(ids[0], 7, default)).ShouldBe(RecordOutcome.Recorded);
        (await writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[1], 3, "slow", "phone"), default)).Outcome.ShouldBe(ApiRecordOutcome.Recorded);

        (await HeapOnlyAsync(service, ids[0])).ShouldBeTrue("the score answer's version is heap-only (HOT)");
        (await HeapOnlyAsync(service, ids[1])).ShouldBeTrue("the API answer's version is heap-only (HOT)");
        (await IndexEntriesAsync(service)).ShouldBe(before, "no index of invitations gained an entry");
        (await service.ScalarAsync<string>(
            $"select string_agg(state || ' ' || (answered_at is not distinct from @at) || ' ' || {InvitationState.EffectiveSql()}, ', ' order by event_id) from invitations",
            ("at", ServiceUnderTest.Start)))
            .ShouldBe("sent true answered, sent true answered, sent false sent");

        // Answered either way: a second API answer is a duplicate, whichever channel answered first.
        (await writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[0], 5, null, "phone"), default)).Outcome.ShouldBe(ApiRecordOutcome.Duplicate);
        (await writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(ids[1], 5, null, "phone"), default)).Outcome.ShouldBe(ApiRecordOutcome.Duplicate);
        // A score change keeps the first answer's time.
        service.Clock.Advance(TimeSpan.FromMinutes(5));
        (await writer.RecordScoreAsync(ids[0], 9, default)).ShouldBe(RecordOutcome.Changed);
        (await service.ScalarAsync<DateTime>("select answered_at from invitations where id = @id", ("id", ids[0]))).ShouldBe(ServiceUnderTest.Start.UtcDateTime);

        // The check sees what it is for: a change of state (an indexed column) is not heap-only and adds entries.
        await service.ScalarAsync<int>($"update invitations set state = '{InvitationState.Answered}' where id = @id returning 1", ("id", ids[2]));
        (await HeapOnlyAsync(service, ids[2])).ShouldBeFalse();
        (await IndexEntriesAsync(service)).ShouldNotBe(before);
    }

    [Fact]
    public async Task AnsweredInvitation_WhoseReminderFallsDue_GetsNoReminder_AndEndsAnswered()
    {
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await SendTwoAndAnswerOneAsync(service, "order.delivered", 8);
        (await service.ScalarAsync<string>("select state || ' ' || (answered_at is not null) from invitations where event_id = 'answers'"))
            .ShouldBe("sent true");

        // Three days on, both reminders fall due: the quiet one's goes out, the answered one's does not.
        await ClockSteps.ArrivesAtAsync(service, Sent.AddDays(3), async () => (await service.Smtp.WaitForMessagesAsync(0, TimeSpan.Zero)).Count, 3,
            "the quiet one's reminder");
        (await ClockSteps.MailToAsync(service, "answers@example.com")).ShouldBe(1);
        (await ClockSteps.MailToAsync(service, "quiet@example.com")).ShouldBe(2);
        (await service.ScalarAsync<string>(
            "select string_agg(event_id || ' ' || state || ' ' || reminders_sent || ' ' || (answered_at is not null), ', ' order by event_id) from invitations"))
            .ShouldBe("answers answered 0 true, quiet sent 1 false");
        (await service.ScalarAsync<long>(
            $"select count(*) from decisions d join invitations i on i.id = d.invitation_id where i.event_id = 'answers' and d.outcome = '{DecisionTexts.ReminderSent}'"))
            .ShouldBe(0);
        (await service.ScalarAsync<int>("select score from responses r join invitations i on i.id = r.invitation_id where i.event_id = 'answers'")).ShouldBe(8);
    }

    [Fact]
    public async Task AnsweredInvitation_WhoseLinksExpire_EndsAnswered_NotExpired()
    {
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings());
        await SendTwoAndAnswerOneAsync(service, "order.collected", 2);

        service.Clock.SetUtcNow(Sent.AddDays(2).AddMinutes(1));
        await service.WaitForCountAsync($"select count(*) from invitations where event_id = 'quiet' and state = '{InvitationState.Expired}'", 1);
        await service.WaitForSweepAsync();
        (await service.ScalarAsync<string>(
            "select string_agg(event_id || ' ' || state || ' ' || (answered_at is not null) || ' ' || (expired_at is not null), ', ' order by event_id) from invitations"))
            .ShouldBe("answers answered true false, quiet expired false true");
        (await service.ScalarAsync<string>(
            $"select string_agg(i.event_id, ',') from decisions d join invitations i on i.id = d.invitation_id where d.outcome = '{DecisionTexts.Expired}'"))
            .ShouldBe("quiet");
    }

    [Fact]
    public async Task AnswerCommittedWhileTheExpirySweepWaitsForItsRow_IsNotExpired()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var id = (await InsertSentAsync(service, 1, TimeSpan.FromDays(1)))[0];
        var outbox = service.Host!.Services.GetRequiredService<ResponseOutbox>();

        // An answer, in the writer's own statement, inside a transaction left open: it holds the invitation's row.
        await using var other = new NpgsqlConnection(service.ConnectionString);
        await other.OpenAsync();
        await using var answering = await other.BeginTransactionAsync();
        await using (var answer = new NpgsqlBatch(other, answering)
                     { BatchCommands = { ReplyStatements.RecordScoresCommand([id], [6], service.Clock.GetUtcNow(), outbox) } })
        await using (var reader = await answer.ExecuteReaderAsync())
        {
            (await reader.ReadAsync()).ShouldBeTrue();
            reader.GetBoolean(1).ShouldBeTrue("the answer updated the invitation");
            while (await reader.NextResultAsync())
            {
            }
        }

        // The links expire; the sweep's expiry waits for the row the answer holds.
        service.Clock.SetUtcNow(ServiceUnderTest.Start.AddDays(1).AddMinutes(1));
        await Eventually.Until(() => service.ScalarAsync<long>("""
            select count(*) from pg_stat_activity
            where wait_event_type = 'Lock' and datname = current_database() and query like '%remembered_cancels%'
            """), n => n >= 1, null, "the expiry sweep waiting for the answered row");
        await answering.CommitAsync();

        await service.WaitForSweepAsync();
        (await service.ScalarAsync<string>("select state || ' ' || (answered_at is not null) || ' ' || (expired_at is not null) from invitations where id = @id",
            ("id", id))).ShouldBe("answered true false");
        (await service.ScalarAsync<long>($"select count(*) from decisions where outcome = '{DecisionTexts.Expired}'")).ShouldBe(0);
        (await service.ScalarAsync<int>("select score from responses where invitation_id = @id", ("id", id))).ShouldBe(6);
    }

    [Fact]
    public async Task ApiAnswerWaitingOnAnotherTransactionsApiAnswer_RecordsNothing_AndIsADuplicate()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var id = (await InsertSentAsync(service, 1, TimeSpan.FromDays(7)))[0];
        var outbox = service.Host!.Services.GetRequiredService<ResponseOutbox>();
        var writer = service.Host.Services.GetRequiredService<ReplyWriter>();

        // Another replica's API answer (as with an Idempotency-Key, in its own transaction), still uncommitted.
        await using var other = new NpgsqlConnection(service.ConnectionString);
        await other.OpenAsync();
        await using var answering = await other.BeginTransactionAsync();
        await using (var first = new NpgsqlBatch(other, answering)
                     { BatchCommands = { ReplyStatements.InsertAnswersCommand([new ApiResponseStore.ApiAnswer(id, 10, "first", "kiosk")], service.Clock.GetUtcNow(), outbox) } })
        await using (var reader = await first.ExecuteReaderAsync())
            (await ReplyStatements.ReadAnswerOutcomesAsync(reader, default)).Single().Outcome.ShouldBe(ApiRecordOutcome.Recorded);

        // This writer's statement saw the invitation unanswered; it waits for the row, then finds it answered.
        var later = writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(id, 2, "second", "phone"), default);
        await Eventually.Until(() => service.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"), n => n == 1, null, "the writer waiting");
        await answering.CommitAsync();

        (await later).Outcome.ShouldBe(ApiRecordOutcome.Duplicate);
        (await service.ScalarAsync<string>("select score || ' ' || comment || ' v' || version from responses where invitation_id = @id", ("id", id)))
            .ShouldBe("10 first v1");
        (await service.ScalarAsync<long>("select count(*) from response_events")).ShouldBe(1);
    }

    // Two invitations of one rule, "quiet" and "answers", sent an hour after their events; "answers" then clicks the
    // given score in its email.
    private static async Task SendTwoAndAnswerOneAsync(ServiceUnderTest service, string type, int score)
    {
        await service.PublishAsync(
            BusinessEvents.Binary("quiet", type, Order("quiet"), ServiceUnderTest.Start),
            BusinessEvents.Binary("answers", type, Order("answers"), ServiceUnderTest.Start));
        await service.WaitForCountAsync("select count(*) from invitations", 2);
        service.Clock.Advance(TimeSpan.FromHours(1));
        var first = await service.Smtp.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        MimeMessage mail = first.Single(m => m.To.Mailboxes.Single().Address == "answers@example.com");
        var link = EndToEndTests.ScoreLinks(mail, service.Host!.BaseAddress)[score];
        (await ScoreClicks.ClickAsync(service.Host.Http, link)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }
}
