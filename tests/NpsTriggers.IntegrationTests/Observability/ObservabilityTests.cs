using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using NpsTriggers.Core.Telemetry;
using NpsTriggers.IntegrationTests.Pipeline;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Observability;

/// <summary>Health, metrics and one trace, scraped and collected from a running host after a real survey round trip.</summary>
public sealed class ObservabilityTests
{
    /// <summary>Collects the service's spans of one trace (tests run in parallel in this process; others' traces are ignored).</summary>
    private sealed class TraceCollector : IDisposable
    {
        private readonly ActivityListener _listener;

        public TraceCollector(ActivityTraceId trace)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == NpsTelemetry.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.TraceId == trace)
                        Spans.Enqueue(activity);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Spans { get; } = new();

        public void Dispose() => _listener.Dispose();
    }

    private static string Metric(string text, string name, string labels = "")
    {
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + (labels.Length == 0 ? " " : "{"), StringComparison.Ordinal)
                                                         && labels.Split(',', StringSplitOptions.RemoveEmptyEntries).All(l.Contains));
        line.ShouldNotBeNull($"{name}{{{labels}}} is not in /metrics");
        return line[(line.LastIndexOf(' ') + 1)..].Trim();
    }

    [Fact]
    public async Task RoundTrip_ShowsInHealthMetricsAndOneTrace_FromTheKafkaHeaderThroughTheSendToTheReply()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var producerSpan = ActivitySpanId.CreateRandom();
        using var traces = new TraceCollector(traceId);
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Metrics:DatabaseSampleInterval"] = "00:00:00.500" });

        var message = BusinessEvents.Binary("traced-1", "order.delivered", BusinessEvents.OrderDelivered("T1"), ServiceUnderTest.Start);
        message.Headers.Add("traceparent", Encoding.ASCII.GetBytes($"00-{traceId}-{producerSpan}-01"));
        await service.PublishAsync(message, BusinessEvents.Raw(Encoding.UTF8.GetBytes("{not json"), ("content-type", "application/cloudevents+json")));
        await service.WaitForCountAsync("select count(*) from invitations", 1);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var email = (await service.Smtp.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))).Single();
        await service.WaitForCountAsync("select count(*) from invitations where state = 'sent'", 1);
        (await ScoreClicks.ClickAsync(service.Host!.Http, EndToEndTests.ScoreLinks(email, service.Host.BaseAddress)[9])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await service.Host.Http.GetAsync("/healthz/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var ready = await service.Host.Http.GetAsync("/healthz/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ready.Content.ReadAsStringAsync()).ShouldContain("Healthy");

        // The database gauges refresh in the background, and the consumer's lag is sampled once librdkafka knows the
        // partition's high watermark (a second or more under load): wait for both to show.
        var metrics = await Eventually.Until(() => service.Host.Http.GetStringAsync("/metrics"),
            text => text.Contains("state=\"answered\"", StringComparison.Ordinal) && text.Contains("nps_consumer_lag{", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "nps_invitations{state=answered} and nps_consumer_lag");
        Metric(metrics, "nps_events_consumed_total").ShouldBe("2");
        Metric(metrics, "nps_events_matched_total").ShouldBe("1");
        Metric(metrics, "nps_events_dead_lettered_total").ShouldBe("1");
        Metric(metrics, "nps_sends_total", "channel=\"email\",outcome=\"sent\"").ShouldBe("1");
        Metric(metrics, "nps_invitations", "state=\"answered\"").ShouldBe("1");
        Metric(metrics, "nps_provider_duration_seconds_count", "provider=\"smtp\",outcome=\"accepted\"").ShouldBe("1");
        Metric(metrics, "nps_circuit_state", "provider=\"smtp\"").ShouldBe("0");
        Metric(metrics, "nps_consumer_lag", $"topic=\"{BusinessEvents.Topic}\"").ShouldBe("0");

        Metric(metrics, "nps_responses_total", "category=\"promoter\",change=\"recorded\"").ShouldBe("1");

        // One trace: the producer's span → consume → send → the reply to the survey link.
        var spans = await Eventually.Until(() => Task.FromResult(traces.Spans.ToArray()), s => s.Length >= 3, TimeSpan.FromSeconds(5), "spans");
        var consume = spans.Single(s => s.OperationName == "consume order.delivered");
        consume.ParentSpanId.ShouldBe(producerSpan);
        consume.Kind.ShouldBe(ActivityKind.Consumer);
        var send = spans.Single(s => s.OperationName == "send email");
        send.ParentSpanId.ShouldBe(consume.SpanId);
        send.GetTagItem("nps.invitation_id").ShouldBe((await service.ScalarAsync<Guid>("select id from invitations")).ToString());
        // The invitation carries the send's context, and the reply continues from it.
        (await service.ScalarAsync<string>("select trace_parent from invitations")).ShouldBe(send.Id);
        var reply = spans.Single(s => s.OperationName == "reply");
        reply.ParentSpanId.ShouldBe(send.SpanId);
        reply.GetTagItem("nps.outcome").ShouldBe("Recorded");
    }
}
