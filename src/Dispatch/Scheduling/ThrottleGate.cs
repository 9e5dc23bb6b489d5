using Npgsql;
using NpsTriggers.Core.Invitations;
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

    /// <summary>What the gate decided for one invitation of a batch.</summary>
    /// <param name="Contacted">The contact is recorded and the send may go ahead.</param>
    /// <param name="Verdict">Why the invitation was throttled (and is now suppressed), or null.</param>
    public readonly record struct Decision(Invitation Invitation, bool Contacted, Throttled? Verdict);

    /// <summary>
    /// Decides a batch of invitations in one transaction, in their order: each either has its contact recorded or is
    /// throttled (suppressed, with a decision row). A later invitation of the batch sees the contacts of the earlier
    /// ones, as it would in a later transaction. An invitation this run no longer holds is neither.
    /// </summary>
    public async Task<List<Decision>> TryContactAsync(IReadOnlyList<Invitation> invitations, SendRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitations);
        ArgumentNullException.ThrowIfNull(rules);
        if (invitations.Count == 0)
            return [];
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var earlier = new List<Contact>();
        // One round trip: the advisory locks on every identity of the batch, sorted so two transactions lock shared
        // identities in the same order and cannot deadlock, then every recent contact of any of them.
        await using (var read = new NpgsqlBatch(connection, tx))
        {
            var keys = invitations.SelectMany(Identities).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            // One statement takes them all, one after the other in the array's order.
            read.BatchCommands.Add(Command("""
                select count(pg_advisory_xact_lock(hashtextextended(k, 7)))
                from (select k from unnest($1::text[]) with ordinality as u(k, n) order by n) ordered
                """, keys));
            read.BatchCommands.Add(Command("""
                select id, survey, contacted_at, customer_id, lower(email), phone from invitations
                where contacted_at > $1
                  and (customer_id = any($2) or lower(email) = any($3) or phone = any($4))
                order by contacted_at desc
                """,
                now - rules.Throttle.Longest(rules.Surveys.Values),
                invitations.Where(i => !string.IsNullOrEmpty(i.CustomerId)).Select(i => i.CustomerId!).ToArray(),
                invitations.Where(i => !string.IsNullOrEmpty(i.Email)).Select(i => i.Email!.ToLowerInvariant()).ToArray(),
                invitations.Where(i => !string.IsNullOrEmpty(i.Phone)).Select(i => i.Phone!).ToArray()));
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                earlier.Add(new Contact(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        var verdicts = new List<(Invitation Invitation, Throttled? Verdict)>(invitations.Count);
        foreach (var invitation in invitations)
        {
            // The batch's own contacts are the most recent of all, so they come first, as the query orders them.
            var covered = earlier.Where(e => e.Id != invitation.Id && e.Covers(invitation)).Select(e => (e.Id, e.Survey, e.At)).ToList();
            var verdict = Evaluate(invitation.Survey, covered, rules, now);
            if (verdict is null)
                earlier.Insert(0, new Contact(invitation.Id, invitation.Survey, now, invitation.CustomerId, invitation.Email?.ToLowerInvariant(), invitation.Phone));
            verdicts.Add((invitation, verdict));
        }

        var contacted = new HashSet<Guid>();
        var throttled = new HashSet<Guid>();
        await using (var write = new NpgsqlBatch(connection, tx))
        {
            var passing = verdicts.Where(v => v.Verdict is null).Select(v => v.Invitation).ToArray();
            var refused = verdicts.Where(v => v.Verdict is not null).ToArray();
            write.BatchCommands.Add(Command($"""
                update invitations i set contacted_at = $1
                from unnest($2::uuid[], $3::uuid[]) as u(id, run)
                where i.id = u.id and i.state = '{InvitationState.Sending}' and i.claim_id = u.run
                returning i.id
                """, now, passing.Select(i => i.Id).ToArray(), passing.Select(i => i.Run).ToArray()));
            write.BatchCommands.Add(Command($"""
                with moved as (
                    update invitations i set state = '{InvitationState.Suppressed}', suppressed_at = $1, failure_reason = u.reason,
                                             throttled_by = u.earlier, claimed_until = null
                    from unnest($2::uuid[], $3::uuid[], $4::text[], $5::uuid[]) as u(id, run, reason, earlier)
                    where i.id = u.id and i.state = '{InvitationState.Sending}' and i.claim_id = u.run
                    returning i.id, i.event_source, i.event_id, i.event_type, i.rule, i.customer_id, i.email, i.phone, u.reason)
                insert into decisions (event_source, event_id, event_type, rule, customer_id, email, phone, invitation_id, outcome, detail, at)
                select event_source, event_id, event_type, rule, customer_id, email, phone, id, 'throttled', reason, $1 from moved
                returning invitation_id
                """, now, refused.Select(v => v.Invitation.Id).ToArray(), refused.Select(v => v.Invitation.Run).ToArray(),
                refused.Select(v => v.Verdict!.ToString()).ToArray(), refused.Select(v => v.Verdict!.Earlier).ToArray()));
            await using var reader = await write.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                contacted.Add(reader.GetGuid(0));
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                throttled.Add(reader.GetGuid(0));
        }
        await tx.CommitAsync(cancellationToken);
        return [.. verdicts.Select(v => new Decision(v.Invitation, contacted.Contains(v.Invitation.Id), throttled.Contains(v.Invitation.Id) ? v.Verdict : null))];
    }

    /// <summary>
    /// A batch command with positional parameters $1, $2, …. The first value is a parameter of its own, so a lone array
    /// (the lock keys) is one parameter, not spread into several by <c>params</c>.
    /// </summary>
    private static NpgsqlBatchCommand Command(string sql, object first, params object[] more)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = first });
        foreach (var value in more)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>A recent contact, with the identities it was made under (email lower-cased).</summary>
    private sealed record Contact(Guid Id, string Survey, DateTimeOffset At, string? CustomerId, string? Email, string? Phone)
    {
        public bool Covers(Invitation invitation) =>
            (!string.IsNullOrEmpty(CustomerId) && CustomerId == invitation.CustomerId)
            || (!string.IsNullOrEmpty(Email) && string.Equals(Email, invitation.Email, StringComparison.OrdinalIgnoreCase))
            || (!string.IsNullOrEmpty(Phone) && Phone == invitation.Phone);
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

    private static IEnumerable<string> Identities(Invitation invitation)
    {
        if (!string.IsNullOrEmpty(invitation.CustomerId))
            yield return "customer:" + invitation.CustomerId;
        if (!string.IsNullOrEmpty(invitation.Email))
            yield return "email:" + invitation.Email.ToLowerInvariant();
        if (!string.IsNullOrEmpty(invitation.Phone))
            yield return "phone:" + invitation.Phone;
    }
}
