using Npgsql;
using NpsTriggers.Core.Rules;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// Decides, just before a first send, whether the person was contacted too recently, and if not records the
/// contact. Both happen in one transaction holding advisory locks on the person's identities (customer id,
/// email, phone), so two dispatchers sending two surveys to the same person at once cannot both pass: the second
/// sees the first's <c>contacted_at</c>.
/// </summary>
public sealed class ThrottleGate(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>Why an invitation is throttled: the scope, the earlier invitation, and until when.</summary>
    public sealed record Throttled(string Scope, Guid Earlier, string EarlierSurvey, DateTimeOffset ContactedAt, DateTimeOffset Until)
    {
        public override string ToString() =>
            $"throttled by the {Scope} recontact period: invitation {Earlier} (survey '{EarlierSurvey}') contacted this person at {ContactedAt.UtcDateTime:yyyy-MM-dd HH:mm}Z; no survey until {Until.UtcDateTime:yyyy-MM-dd HH:mm}Z";
    }

    /// <summary>Returns null when the send may go ahead (and the contact is recorded), else why not (and the invitation is suppressed).</summary>
    public async Task<Throttled?> TryContactAsync(ClaimedInvitation invitation, SendRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(rules);
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Sorted, so two transactions lock shared identities in the same order and cannot deadlock.
        foreach (var key in Identities(invitation).Order(StringComparer.Ordinal))
        {
            await using var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended(@key, 7))", connection, tx);
            lockCommand.Parameters.AddWithValue("key", key);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        var earlier = new List<(Guid Id, string Survey, DateTimeOffset At)>();
        await using (var read = new NpgsqlCommand("""
            select id, survey, contacted_at from invitations
            where id <> @id and contacted_at > @since
              and (customer_id = @customer or lower(email) = lower(@email) or phone = @phone)
            order by contacted_at desc
            """, connection, tx))
        {
            read.Parameters.AddWithValue("id", invitation.Id);
            read.Parameters.AddWithValue("since", now - rules.Throttle.Longest(rules.Surveys.Values));
            read.Parameters.Add(new NpgsqlParameter("customer", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)invitation.CustomerId ?? DBNull.Value });
            read.Parameters.Add(new NpgsqlParameter("email", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)invitation.Email ?? DBNull.Value });
            read.Parameters.Add(new NpgsqlParameter("phone", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)invitation.Phone ?? DBNull.Value });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                earlier.Add((reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        var verdict = Evaluate(invitation.Survey, earlier, rules, now);
        await using (var write = new NpgsqlCommand(verdict is null
            ? "update invitations set contacted_at = @now where id = @id and state = 'sending' and claim_id = @run"
            : """
              with moved as (
                  update invitations set state = 'suppressed', suppressed_at = @now, failure_reason = @reason,
                                         throttled_by = @earlier, claimed_until = null
                  where id = @id and state = 'sending' and claim_id = @run
                  returning id, event_source, event_id, event_type, rule, customer_id, email)
              insert into decisions (event_source, event_id, event_type, rule, customer_id, email, invitation_id, outcome, detail, at)
              select event_source, event_id, event_type, rule, customer_id, email, id, 'throttled', @reason, @now from moved
              """, connection, tx))
        {
            write.Parameters.AddWithValue("id", invitation.Id);
            write.Parameters.AddWithValue("run", invitation.Run);
            write.Parameters.AddWithValue("now", now);
            if (verdict is not null)
            {
                write.Parameters.AddWithValue("reason", verdict.ToString());
                write.Parameters.AddWithValue("earlier", verdict.Earlier);
            }
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return verdict;
    }

    /// <summary>
    /// All scopes apply at once; the one reported is the first violated in the order survey, group, global
    /// (docs/RULES.md), each judged against the most recent contact it covers.
    /// </summary>
    public static Throttled? Evaluate(string survey, IReadOnlyList<(Guid Id, string Survey, DateTimeOffset At)> earlier, SendRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(rules);
        var surveyPeriod = rules.RecontactPeriod(survey);
        foreach (var e in earlier.Where(e => e.Survey == survey))
            if (e.At + surveyPeriod > now)
                return new Throttled($"survey '{survey}' ({surveyPeriod.TotalDays:0.##} days)", e.Id, e.Survey, e.At, e.At + surveyPeriod);
        foreach (var group in rules.Throttle.Groups.Where(g => g.Surveys.Contains(survey)))
            foreach (var e in earlier.Where(e => group.Surveys.Contains(e.Survey)))
                if (e.At + group.Period > now)
                    return new Throttled($"group '{group.Name}' ({group.Period.TotalDays:0.##} days)", e.Id, e.Survey, e.At, e.At + group.Period);
        foreach (var e in earlier)
            if (e.At + rules.Throttle.Global > now)
                return new Throttled($"global ({rules.Throttle.Global.TotalDays:0.##} days)", e.Id, e.Survey, e.At, e.At + rules.Throttle.Global);
        return null;
    }

    private static IEnumerable<string> Identities(ClaimedInvitation invitation)
    {
        if (!string.IsNullOrEmpty(invitation.CustomerId))
            yield return "customer:" + invitation.CustomerId;
        if (!string.IsNullOrEmpty(invitation.Email))
            yield return "email:" + invitation.Email.ToLowerInvariant();
        if (!string.IsNullOrEmpty(invitation.Phone))
            yield return "phone:" + invitation.Phone;
    }
}
