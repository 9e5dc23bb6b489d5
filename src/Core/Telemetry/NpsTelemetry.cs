using System.Diagnostics;

namespace NpsTriggers.Core.Telemetry;

/// <summary>
/// The service's traces (activity source <c>NpsTriggers</c>). One trace follows a business event end to end: the
/// producer's W3C <c>traceparent</c> Kafka header is the parent of the consume span; the invitation row keeps the
/// context (<c>invitations.trace_parent</c>) across the delay, so the send span continues the trace days later;
/// the send replaces it with its own, so the reply to the survey link continues from the send.
/// </summary>
public static class NpsTelemetry
{
    public const string SourceName = "NpsTriggers";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a span under a stored or received <c>traceparent</c> (a new trace when there is none or it is invalid).</summary>
    public static Activity? StartFrom(string name, string? traceParent, ActivityKind kind)
    {
        if (!Source.HasListeners())
            return null;
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)
            ? Source.StartActivity(name, kind, parent)
            : Source.StartActivity(name, kind, parentContext: default);
    }
}
