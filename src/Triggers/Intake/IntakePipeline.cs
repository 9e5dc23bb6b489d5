using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Events;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Privacy;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Telemetry;
using NpsTriggers.Triggers.Events;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// The one way an event comes in, whichever door it used (the Kafka consumer, <c>POST /api/events</c>): read the
/// CloudEvent, plan it against the rules into a batch, and commit the batch. Every record ends in the batch as an event
/// (with its invitations and decisions), a duplicate or skip that leaves no trace, or a dead letter with its reason.
/// </summary>
public sealed partial class IntakePipeline(IOptions<KafkaOptions> options, InvitationPlanner planner, IntakeCommitter committer,
    TriggersMetrics metrics, ILogger<IntakePipeline> logger)
{
    private readonly int _maxRecordBytes = options.Value.MaxRecordBytes;

    /// <summary>What became of a record added to a batch; <see cref="Reason"/> says why it was dead-lettered.</summary>
    public readonly record struct Admission(AdmissionOutcome Outcome, string? Reason = null);

    /// <summary>The topic name dead letters and inbox rows of <c>POST /api/events</c> carry.</summary>
    public const string HttpTopic = "http";

    public enum AdmissionOutcome { Accepted, Duplicate, Skipped, DeadLettered }

    /// <summary>
    /// Reads and plans one record into <paramref name="batch"/>. <paramref name="raw"/> is what a dead letter keeps;
    /// with <paramref name="keepRaw"/> the inbox row keeps it too, for a refusal by the database at commit (the Kafka
    /// consumer reads the record back instead, see <see cref="KafkaRecordReader"/>).
    /// </summary>
    public Admission Add(IntakeBatch batch, SendRules rules, EventRecord record, string topic, int partition, long offset, RawRecord raw, bool keepRaw)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(raw);
        var (invitations, decisions, cancels) = (batch.Invitations.Count, batch.Decisions.Count, batch.Cancels.Count);
        string reason;
        BusinessEvent? known = null;
        try
        {
            var read = CloudEventReader.Read(record, _maxRecordBytes);
            known = read.Event;
            if (read.Event is not { } e)
                reason = read.Reason ?? "unreadable record";
            else if (batch.Seen.Contains((e.Source, e.Id)))
            {
                metrics.Duplicates.Add(1);
                return new Admission(AdmissionOutcome.Duplicate);
            }
            else
            {
                var plan = planner.Add(e, rules, batch);
                if (plan.Refused is null && plan.Relevant)
                {
                    metrics.Matched.Add(1);
                    Trace(record, e, batch, invitations, topic);
                    // Only what the inbox records counts as seen: a skipped or refused event leaves no trace, here as in the database.
                    batch.Seen.Add((e.Source, e.Id));
                    batch.Inbox.Add(new InboxRow(e.Source, e.Id, e.Type, topic, partition, offset, keepRaw ? raw : null));
                    return new Admission(AdmissionOutcome.Accepted);
                }
                if (plan.Refused is null)
                {
                    batch.Skipped++;
                    metrics.Skipped.Add(1);
                    return new Admission(AdmissionOutcome.Skipped);
                }
                reason = plan.Refused;
            }
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            // A fault of ours on one record: keep the record with the fault as its reason, and go on with the others.
            batch.Invitations.RemoveRange(invitations, batch.Invitations.Count - invitations);
            batch.Decisions.RemoveRange(decisions, batch.Decisions.Count - decisions);
            batch.Cancels.RemoveRange(cancels, batch.Cancels.Count - cancels);
            LogUnexpected(e, $"{topic}/{partition}@{offset}");
            reason = $"the service failed on this record ({e.GetType().Name}: {e.Message}); please report it";
        }
        batch.DeadLetters.Add(new DeadLetterRow(topic, partition, offset, raw.Key, KafkaHeadersJson.Write(raw.Headers), raw.Value, reason,
            DeadLetterEvents.Of(record, known)));
        LogDeadLettered($"{topic}/{partition}@{offset}", PersonalData.Redact(reason));
        return new Admission(AdmissionOutcome.DeadLettered, reason);
    }

    /// <summary>
    /// Commits a batch in one transaction; a record the database refuses is found and dead-lettered, the others commit
    /// once (<see cref="IntakeCommitter"/>). Transient database errors go to the caller.
    /// </summary>
    public async Task<IntakeCommitter.Result> CommitAsync(IntakeBatch batch, CancellationToken cancellationToken,
        Func<InboxRow, CancellationToken, Task<RawRecord?>>? readRaw = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var committed = await committer.CommitAsync(batch, cancellationToken, readRaw);
        metrics.InvitationsCreated.Add(committed.Created);
        metrics.DeadLettered.Add(batch.DeadLetters.Count + committed.Refused.Count);
        return committed;
    }

    /// <summary>
    /// The consume span, child of the producer's <c>traceparent</c> header; the invitations this event scheduled keep
    /// its context so their send continues the trace. Costs nothing while no tracer listens.
    /// </summary>
    private static void Trace(EventRecord record, BusinessEvent e, IntakeBatch batch, int firstInvitation, string topic)
    {
        if (!NpsTelemetry.Source.HasListeners())
            return;
        using var activity = NpsTelemetry.StartFrom($"consume {e.Type}", record.Header("traceparent"), ActivityKind.Consumer);
        if (activity is null)
            return;
        if (topic != HttpTopic)
            activity.SetTag("messaging.system", "kafka");
        activity.SetTag("cloudevents.event_id", e.Id);
        activity.SetTag("cloudevents.event_source", e.Source);
        activity.SetTag("cloudevents.event_type", e.Type);
        for (var i = firstInvitation; i < batch.Invitations.Count; i++)
            batch.Invitations[i] = batch.Invitations[i] with { TraceParent = activity.Id };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on record {Position}; it is dead-lettered and intake goes on")]
    private partial void LogUnexpected(Exception e, string position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Position}: {Reason}")]
    private partial void LogDeadLettered(string position, string reason);
}
