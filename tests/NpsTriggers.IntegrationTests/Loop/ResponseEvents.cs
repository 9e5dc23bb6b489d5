using System.Text.Json;
using Confluent.Kafka;
using Npgsql;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>Reads the <c>nps.response.recorded</c> topic from the beginning, as a downstream consumer would.</summary>
internal static class ResponseEvents
{
    public const string Topic = "nps-responses";

    /// <summary>
    /// The response events not yet acknowledged by Kafka: after the stream's cursor (0024_response_events.sql), or parked
    /// as outbox rows still waiting (OutboxPublisher).
    /// </summary>
    public const string WaitingSql = """
        select (select count(*) from response_events_waiting)
             + (select count(*) from outbox where destination = 'kafka' and event_type = 'nps.response.recorded' and state <> 'delivered')
        """;

    /// <summary>The response events Kafka acknowledged: all of them but those <see cref="WaitingSql"/> counts.</summary>
    public const string PublishedSql = $"select (select count(*) from response_events) - ({WaitingSql})";

    /// <summary>
    /// Another session's writing transaction left open (a long migration, a forgotten psql session): it has a transaction
    /// id, and it could still commit events below any later one, so the stream may not pass it until it ends
    /// (0024_response_events.sql). <see cref="StreamHold.ReleaseAsync"/> rolls it back and lets the stream go on.
    /// </summary>
    public static async Task<StreamHold> HoldStreamAsync(ServiceUnderTest service)
    {
        var connection = await service.DataSource.OpenConnectionAsync();
        var open = await connection.BeginTransactionAsync();
        await using (var write = new NpgsqlCommand("select pg_current_xact_id()", connection, open))
            await write.ExecuteScalarAsync();
        return new StreamHold(connection, open);
    }

    /// <summary>The open transaction of <see cref="HoldStreamAsync"/>, with its connection.</summary>
    public sealed class StreamHold(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public Task ReleaseAsync() => transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Every record on the topic: consumes until <paramref name="atLeast"/> arrived and then nothing more for <paramref name="quiet"/>.</summary>
    public static List<(string Key, string ContentType, JsonElement Event)> ReadAll(string bootstrapServers, int atLeast, TimeSpan quiet)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "check-" + Guid.NewGuid(),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topic);
        var records = new List<(string, string, JsonElement)>();
        var deadline = TimeSpan.FromSeconds(60);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastArrival = clock.Elapsed;
        while (clock.Elapsed < deadline && (records.Count < atLeast || clock.Elapsed - lastArrival < quiet))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
                continue;
            var contentType = result.Message.Headers.TryGetLastBytes("content-type", out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "";
            using var json = JsonDocument.Parse(result.Message.Value);
            records.Add((result.Message.Key, contentType, json.RootElement.Clone()));
            lastArrival = clock.Elapsed;
        }
        consumer.Close();
        return records;
    }
}
