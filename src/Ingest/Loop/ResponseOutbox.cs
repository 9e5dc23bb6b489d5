using Microsoft.Extensions.Options;
using Npgsql;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Writes what a response change causes, inside the caller's transaction (the one that changed the response):
/// the <c>nps.response.recorded</c> event for Kafka (a row of the append-only log <c>response_events</c>, which
/// <see cref="OutboxPublisher"/> reads by a cursor) and one outbox row per alert webhook whose categories match. Because
/// they commit or roll back together with the change, no change is ever published without being stored, nor stored
/// without being published. The change's follow-up task needs no row: it is the response itself (<see cref="FollowUpStore"/>).
/// </summary>
public sealed class ResponseOutbox(IOptions<OutboxOptions> outbox, IOptions<AlertOptions> alerts, TimeProvider time)
{
    public const string EventType = "nps.response.recorded";
    public const string KafkaDestination = "kafka";
    public const string WebhookPrefix = "webhook:";

    // The event id is "<invitation id>:<version>": the same change always gets the same id, so an event published
    // twice (a crash between the broker's ack and moving the cursor) is recognisable downstream. The append has no
    // "on conflict": each version is written by exactly one statement (a response is never deleted and its version
    // only grows), and appended once, in that statement's transaction; a second append of one version would be a bug,
    // and fails loudly on the key of response_events (and of the outbox) instead of vanishing. A speculative insertion
    // costs a WAL record per row (issue 21).
    /// <summary>
    /// The append as common table expressions, to follow a CTE named <c>changed</c> that holds one row per response this
    /// statement changed, with the columns invitation_id, version, survey, channel, score, comment, attributes,
    /// answered_at, updated_at (the response as now stored), customer_id, rule, event_source, event_id (its invitation)
    /// and category. The recording statements of <c>ReplyStatements</c> build <c>changed</c> from their own
    /// <c>returning</c> rows, so a batch of replies is one statement that reads nothing again (issue 21); the parameters
    /// come from <see cref="AddParameters"/>, <c>@now</c> from the statement. Without <paramref name="webhooks"/> the
    /// statement has no webhook CTEs at all: PostgreSQL sets up every data-modifying CTE of a statement on each execution,
    /// empty or not, and an empty webhook append cost a reply batch more than its Kafka event (issue 21,
    /// docs/BENCHMARKS.md). <see cref="HasWebhooks"/> says which one this configuration needs.
    /// </summary>
    internal static string AppendCtes(bool webhooks) => webhooks ? StreamCte + ",\n" + EventCte + ",\n" + WebhookCtes : StreamCte;

    // The Kafka event: one row of the append-only log that OutboxPublisher reads by its cursor (0024_response_events.sql),
    // with only what this version changed (0028_response_events_lean.sql); the publisher adds the rest when it reads.
    private const string StreamCte = """
        streamed as (
            insert into response_events (invitation_id, version, score, comment, updated_at, created_at)
            select invitation_id, version, score, comment, updated_at, @now from changed where @publish
            returning 1)
        """;

    // The whole event of each change, for the webhooks' outbox rows, which carry it as their payload.
    private const string EventCte = """
        evented as (
            select c.invitation_id, c.version, c.category,
                   json_build_object(
                       'invitationId', c.invitation_id, 'version', c.version, 'survey', c.survey, 'channel', c.channel,
                       'score', c.score, 'category', c.category, 'comment', c.comment, 'customerId', c.customer_id,
                       'rule', c.rule, 'event', json_build_object('source', c.event_source, 'id', c.event_id),
                       'answeredAt', c.answered_at, 'updatedAt', c.updated_at, 'metadata', c.attributes) as payload
            from changed c)
        """;

    private const string WebhookCtes = """
        -- One outbox row per alert webhook whose categories match, due after the alert delay.
        outboxed as (
            insert into outbox (event_id, destination, event_type, partition_key, payload, created_at, next_attempt_at)
            select e.invitation_id::text || ':' || e.version, d.destination, @type, e.invitation_id::text, e.payload::jsonb, @now,
                   clock_timestamp() + @alert_delay
            from evented e
            cross join unnest(@destinations::text[], @categories::text[]) as d (destination, categories)
            where d.categories = '*' or e.category = any (string_to_array(d.categories, ','))
            returning destination, event_id, partition_key),
        -- An alert still waiting (its delay, or a webhook outage) is replaced by this newer one, which carries the whole
        -- current response: a detractor who clicks and then comments gets one Slack message, with the comment. The
        -- update sees the table as before this statement, so it cannot touch the rows just inserted. It names the
        -- predicate of outbox_open_webhooks, so it reads the open webhook rows only, never the open Kafka rows.
        superseded as (
            update outbox o set state = 'superseded', finished_at = clock_timestamp(), last_error = 'superseded by ' || n.event_id
            from outboxed n
            where n.destination like 'webhook:%' and o.destination = n.destination and o.partition_key = n.partition_key
              and o.destination like 'webhook:%' and o.state = 'pending'
            returning 1)
        """;

    /// <summary>Whether any alert webhook is configured: the statements then append its outbox rows (<see cref="AppendCtes"/>).</summary>
    internal bool HasWebhooks => alerts.Value.Webhooks.Count > 0;

    /// <summary>A statement's two texts, built once: without the webhook CTEs, and with them (<see cref="AppendCtes"/>).</summary>
    internal static string[] Texts(Func<bool, string> build) => [build(false), build(true)];

    /// <summary>The one of <paramref name="texts"/> (from <see cref="Texts"/>) that this configuration runs.</summary>
    internal string Text(string[] texts) => texts[HasWebhooks ? 1 : 0];

    // The append after a change made by an earlier statement of the transaction (a comment): the changed responses are
    // those of @ids that this transaction wrote (their xmin is its id), read again with their invitations.
    private static readonly string[] Append = Texts(AppendSql);

    private static string AppendSql(bool webhooks) => $"""
        with changed as (
            select r.invitation_id, r.version, r.survey, r.channel, r.score, r.comment, r.attributes, r.answered_at,
                   r.updated_at, i.customer_id, i.rule, i.event_source, i.event_id,
                   nps_category(r.score) as category
            from responses r join invitations i on i.id = r.invitation_id
            where r.invitation_id = any (@ids) and r.xmin = pg_current_xact_id()::xid),
        {AppendCtes(webhooks)}
        select count(*) from streamed
        """;

    /// <summary>Appends the event and outbox rows of the response's current version; call after changing it, in the same transaction.</summary>
    public async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid invitationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Text(Append), connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [invitationId]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        AddParameters(command.Parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Adds the parameters of <see cref="AppendCtes"/> (for <see cref="HasWebhooks"/>) but <c>@now</c>: whether to append
    /// the Kafka event (<c>Outbox:Publish</c>), and when there are webhooks, each with the categories it wants and the
    /// alert delay.
    /// </summary>
    internal void AddParameters(NpgsqlParameterCollection parameters)
    {
        parameters.Add(new NpgsqlParameter<bool>("publish", outbox.Value.Publish));
        if (!HasWebhooks)
            return;
        var hooks = alerts.Value.Webhooks;
        var destinations = new List<string>(hooks.Count);
        var categories = new List<string>(hooks.Count);
        foreach (var (name, hook) in hooks)
        {
            destinations.Add(WebhookPrefix + name);
            categories.Add(string.Join(',', hook.Categories));
        }
        parameters.Add(new NpgsqlParameter<string>("type", EventType));
        parameters.Add(new NpgsqlParameter<string[]>("destinations", [.. destinations]));
        parameters.Add(new NpgsqlParameter<string[]>("categories", [.. categories]));
        parameters.Add(new NpgsqlParameter<TimeSpan>("alert_delay", alerts.Value.Delay));
    }
}
