using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Hangfire;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// The hand-rolled design intake is compared with: a consumer that schedules one Hangfire job per event (due when the
/// survey should go out), on the same events in the same broker, with Hangfire.PostgreSql on the same server.
/// </summary>
public static class NaiveIntakeBaseline
{
    /// <summary>Returns events per second over the first <paramref name="limit"/> events (from the first one read).</summary>
    public static async Task<double> RunAsync(string bootstrap, string topic, int limit)
    {
        var database = await PostgresServer.Shared.CreateDatabaseAsync("naiveintake");
        var client = new BackgroundJobClient(NaiveHangfire.Storage(database));
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "naive-intake",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
        }).Build();
        consumer.Subscribe(topic);
        var clock = new Stopwatch();
        var scheduled = 0;
        while (scheduled < limit)
        {
            var record = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("No record within 30 s.");
            if (record.IsPartitionEOF)
                continue;
            clock.Start();
            var id = record.Message.Headers.TryGetLastBytes("ce_id", out var bytes) ? Encoding.UTF8.GetString(bytes) : record.Offset.ToString();
            client.Schedule(() => NaiveSurvey.Send(id), TimeSpan.FromDays(14));
            scheduled++;
        }
        clock.Stop();
        consumer.Commit();
        consumer.Close();
        var rate = scheduled / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  naive baseline: {scheduled:N0} events → one scheduled Hangfire job each in {clock.Elapsed.TotalSeconds:F1} s: {rate:N0} events/s");
        return rate;
    }
}

/// <summary>The naive baseline's job; never runs within the benchmark (scheduled 14 days ahead).</summary>
public static class NaiveSurvey
{
    public static void Send(string eventId) => ArgumentNullException.ThrowIfNull(eventId);
}
