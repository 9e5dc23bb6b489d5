using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Privacy;
using NpsTriggers.Core.Rules;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Triggers.Programmes;

/// <summary>
/// Relational programmes (rules with <c>every:</c>): each run schedules the survey for every known person — anyone
/// the service has invited before, by email or phone — who has not had that survey within the period, on the channel
/// the rule's <c>channel:</c> gives them (the same choice as for events, <see cref="ChannelChoice"/>). The invitation's key
/// (<c>relational</c>, rule:h&lt;pseudonym&gt;:period number) makes a second run in the same period a no-op; the person
/// appears in it only as a keyed hash (<see cref="PersonPseudonyms"/>), so no identifier outlives an erasure there. The
/// recontact throttle still applies at send time, shared with event-triggered surveys. A trigger like an event's, fired
/// by the clock: the dispatch role's Hangfire servers run it on <c>Dispatch:RelationalCron</c>.
/// </summary>
public sealed partial class RelationalProgrammes(NpgsqlDataSource dataSource, RulesProvider rules, PersonPseudonyms pseudonyms,
    TimeProvider time, ILogger<RelationalProgrammes> logger) : IRelationalProgrammes
{
    private const int Chunk = 1000;

    /// <summary>
    /// The key of the PostgreSQL advisory lock a run holds for its whole length (<see cref="ScheduleDueAsync"/>), as
    /// <c>pg_locks</c> shows it: arbitrary but fixed, and not the migrator's.
    /// </summary>
    public const long RunLockKey = 0x4E505354_52454C41;

    // Known people are everyone invited before with an email or a phone number, each field their latest known one: a
    // person last reached by SMS keeps their latest email address, so `channel: email` still reaches them. @lacking
    // picks the people the rule's channel can reach (false) or those it cannot (true: phone-only people under
    // `channel: email`, say), whose no_contact decision explains why they are not surveyed. Pages go in the order of the
    // person's key, each after the last key of the one before: a sampled-out person stays a candidate, and without the
    // key a page full of them would end the run before the people after them were reached.
    private const string Candidates = """
        with people as (
            select max(customer_id) as customer_id,
                   (array_agg(email order by created_at desc) filter (where email is not null))[1] as email,
                   (array_agg(phone order by created_at desc) filter (where phone is not null))[1] as phone,
                   (array_agg(name order by created_at desc) filter (where name is not null))[1] as name,
                   (array_agg(locale order by created_at desc) filter (where locale is not null))[1] as locale,
                   (array_agg(time_zone order by created_at desc) filter (where time_zone is not null))[1] as time_zone,
                   coalesce(customer_id, 'e:' || lower(email), 'p:' || phone) as key
            from invitations
            where email is not null or phone is not null
            group by coalesce(customer_id, 'e:' || lower(email), 'p:' || phone))
        select p.customer_id, p.email, p.phone, p.name, p.locale, p.time_zone, p.key
        from people p
        where ((@needs = 'email' and p.email is null) or (@needs = 'phone' and p.phone is null)) = @lacking
          and p.key collate "C" > @after
          and not exists (
            select 1 from invitations i
            where i.survey = @survey and i.created_at > @since
              and (i.customer_id = p.customer_id or lower(i.email) = lower(p.email) or i.phone = p.phone))
        order by p.key collate "C"
        limit @limit
        """;

    // One no_contact (or sampled_out) decision per person, rule and period: the event id is the invitation key the person
    // would have had, so a person left out stays one row however often the programme runs in the period.
    private const string LeftOut = """
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select 'relational', v.event_id, 'relational', @rule, v.customer_id, v.email, v.phone, null, @outcome, v.detail, @now
        from unnest(@event_id, @customer_id, @email, @phone, @detail) as v(event_id, customer_id, email, phone, detail)
        where not exists (select 1 from decisions d
                          where d.event_source = 'relational' and d.event_id = v.event_id and d.outcome = @outcome)
        """;

    private static readonly string Insert = $$"""
        with invited as (
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, phone, name,
                                     locale, time_zone, state, created_at, due_at, valid_for, reminders_left, reminder_after)
            select v.id, 'relational', v.event_id, 'relational', @rule, @survey, v.channel, v.customer_id, v.email, v.phone, v.name,
                   v.locale, v.time_zone, '{{InvitationState.Scheduled}}', @now, v.due_at, @valid_for, @reminders, @reminder_after
            from unnest(@id, @event_id, @channel, @customer_id, @email, @phone, @name, @locale, @time_zone, @due_at)
                 as v(id, event_id, channel, customer_id, email, phone, name, locale, time_zone, due_at)
            on conflict do nothing
            returning id, event_id, channel, customer_id, email, phone, due_at)
        insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
        select 'relational', event_id, 'relational', @rule, customer_id, email, phone, id, 'scheduled',
               'relational programme every ' || @every || ', by ' || channel || ': send at ' || to_char(due_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || 'Z', @now
        from invited
        """;

    /// <summary>
    /// Runs every relational rule once, unless another run holds the run lock: then it does nothing and returns 0.
    /// </summary>
    /// <remarks>
    /// Two runs at once would be harmless for invitations (their key) but not for the left-out decisions, whose
    /// <c>not exists</c> cannot see another transaction's uncommitted rows. Hangfire's <c>DisableConcurrentExecution</c>
    /// does not prevent it: Hangfire.PostgreSql counts a lock older than <c>DistributedLockTimeout</c> (30 s, so that a
    /// killed process cannot stall the sweep) as abandoned, even when its holder is still running. So a run holds a
    /// PostgreSQL session lock of its own for its whole length, on a connection it keeps open. PostgreSQL releases it
    /// when that session ends, so a killed run leaves nothing behind.
    /// </remarks>
    public async Task<int> ScheduleDueAsync(CancellationToken cancellationToken)
    {
        await using var held = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("select pg_try_advisory_lock(@key)", held))
        {
            take.Parameters.AddWithValue("key", RunLockKey);
            if (await take.ExecuteScalarAsync(cancellationToken) is not true)
            {
                LogAnotherRun();
                return 0;
            }
        }
        try
        {
            var current = rules.Current;
            var scheduled = 0;
            foreach (var rule in current.Rules.Where(r => r.IsRelational))
                scheduled += await RunRuleAsync(rule, cancellationToken);
            return scheduled;
        }
        finally
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock(@key)", held);
            release.Parameters.AddWithValue("key", RunLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task<int> RunRuleAsync(SendRule rule, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var every = rule.Every!.Value;
        var period = (long)Math.Floor(now.ToUnixTimeSeconds() / every.TotalSeconds);
        var total = 0;
        await ExplainUnreachableAsync(rule, now, period, cancellationToken);
        var after = "";
        while (true)
        {
            var candidates = await CandidatesAsync(rule, now - every, lacking: false, after, cancellationToken);
            var keyed = candidates.Select(p => (Person: p, Key: Sampling.PersonKey(p.CustomerId, p.Email, p.Phone)!)).ToList();
            var rows = keyed.Where(p => rule.SamplePercent is not { } percent || Sampling.InSample(rule.Survey, p.Key, percent)).ToList();
            if (rows.Count < keyed.Count)
                await LeaveOutAsync(rule, now, "sampled_out", [.. keyed.Except(rows).Select(p => (p.Person, p.Key,
                    $"relational programme: bucket {Sampling.Bucket(rule.Survey, p.Key)} of 10000 is outside the {rule.SamplePercent!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}% sample for survey '{rule.Survey}'"))],
                    period, cancellationToken);
            if (rows.Count > 0)
                total += await InsertAsync(rule, now, period, rows, cancellationToken);
            if (candidates.Count < Chunk)
                break;
            after = candidates[^1].Key;
        }
        if (total > 0)
            LogScheduled(rule.Name, total);
        return total;
    }

    private sealed record Person(string? CustomerId, string? Email, string? Phone, string? Name, string? Locale, string? TimeZone, string Key)
    {
        // A known person has no stated preference (that lives in an event's data), so `preferred` means email first.
        public (InvitationChannel? Channel, string Why) Channel(SurveyChannel mode) =>
            ChannelChoice.For(mode, Email is not null, Phone is not null, preferred: null, "the person");
    }

    private string EventId(SendRule rule, string key, long period) => $"{rule.Name}:h{pseudonyms.Of(key)}:{period}";

    /// <summary>Records why people the rule's channel cannot reach are not surveyed (a bounded batch per run).</summary>
    private async Task ExplainUnreachableAsync(SendRule rule, DateTimeOffset now, long period, CancellationToken cancellationToken)
    {
        if (ChannelChoice.Needs(rule.Channel) == "any")
            return;
        var people = await CandidatesAsync(rule, now - rule.Every!.Value, lacking: true, after: "", cancellationToken);
        if (people.Count == 0)
            return;
        await LeaveOutAsync(rule, now, "no_contact",
            [.. people.Select(p => (p, Sampling.PersonKey(p.CustomerId, p.Email, p.Phone)!, $"relational programme: {p.Channel(rule.Channel).Why}"))],
            period, cancellationToken);
    }

    /// <summary>One <paramref name="outcome"/> decision per person left out of this period (<see cref="LeftOut"/>).</summary>
    private async Task LeaveOutAsync(SendRule rule, DateTimeOffset now, string outcome, List<(Person Person, string Key, string Detail)> people, long period,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(LeftOut);
        command.Parameters.AddWithValue("rule", rule.Name);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("outcome", outcome);
        command.Parameters.Add(new NpgsqlParameter<string[]>("event_id", [.. people.Select(p => EventId(rule, p.Key, period))]));
        command.Parameters.Add(Text("customer_id", people.Select(p => p.Person.CustomerId)));
        command.Parameters.Add(Text("email", people.Select(p => p.Person.Email)));
        command.Parameters.Add(Text("phone", people.Select(p => p.Person.Phone)));
        command.Parameters.Add(Text("detail", people.Select(p => p.Detail)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<Person>> CandidatesAsync(SendRule rule, DateTimeOffset since, bool lacking, string after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Candidates);
        command.Parameters.AddWithValue("needs", ChannelChoice.Needs(rule.Channel));
        command.Parameters.AddWithValue("lacking", lacking);
        command.Parameters.AddWithValue("survey", rule.Survey);
        command.Parameters.AddWithValue("since", since);
        command.Parameters.AddWithValue("limit", Chunk);
        command.Parameters.AddWithValue("after", after);
        var people = new List<Person>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            people.Add(new Person(Text(0), Text(1), Text(2), Text(3), Text(4), Text(5), reader.GetString(6)));
        }
        return people;
    }

    private async Task<int> InsertAsync(SendRule rule, DateTimeOffset now, long period, List<(Person Person, string Key)> rows, CancellationToken cancellationToken)
    {
        DateTimeOffset Due(Person p)
        {
            if (rule.Window is not { } window)
                return now;
            var zone = TimeZoneInfo.TryFindSystemTimeZoneById(p.TimeZone ?? rule.TimeZone ?? "UTC", out var z) ? z : TimeZoneInfo.Utc;
            return window.NextOpening(now, zone);
        }
        var reminders = rule.EffectiveReminders;
        await using var command = dataSource.CreateCommand(Insert);
        var p = command.Parameters;
        p.AddWithValue("rule", rule.Name);
        p.AddWithValue("survey", rule.Survey);
        p.AddWithValue("now", now);
        p.AddWithValue("valid_for", rule.Expiry);
        p.AddWithValue("reminders", reminders.Count);
        p.Add(new NpgsqlParameter("reminder_after", NpgsqlDbType.Interval) { Value = reminders.Count > 0 ? reminders.After : DBNull.Value });
        p.AddWithValue("every", Duration.Format(rule.Every!.Value));
        p.Add(new NpgsqlParameter<Guid[]>("id", [.. rows.Select(_ => Guid.CreateVersion7(now))]));
        p.Add(new NpgsqlParameter<string[]>("event_id", [.. rows.Select(r => EventId(rule, r.Key, period))]));
        p.Add(new NpgsqlParameter<string[]>("channel", [.. rows.Select(r => r.Person.Channel(rule.Channel).Channel!.Value.Column())]));
        p.Add(Text("customer_id", rows.Select(r => r.Person.CustomerId)));
        p.Add(Text("email", rows.Select(r => (string?)r.Person.Email)));
        p.Add(Text("phone", rows.Select(r => r.Person.Phone)));
        p.Add(Text("name", rows.Select(r => r.Person.Name)));
        p.Add(Text("locale", rows.Select(r => r.Person.Locale)));
        p.Add(Text("time_zone", rows.Select(r => r.Person.TimeZone)));
        p.Add(new NpgsqlParameter<DateTimeOffset[]>("due_at", [.. rows.Select(r => Due(r.Person))]));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    [LoggerMessage(Level = LogLevel.Information, Message = "Relational rule {Rule} scheduled {Count} surveys")]
    private partial void LogScheduled(string rule, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relational programmes not run: another run (this replica's or another's) still holds the run lock")]
    private partial void LogAnotherRun();
}
