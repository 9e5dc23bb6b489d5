using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Npgsql;
using NpgsqlTypes;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Testing;
using NpsTriggers.Triggers;

namespace NpsTriggers.Bench;

/// <summary>
/// N CloudEvents already in Kafka → invitations committed in PostgreSQL and offsets committed, against a plain
/// binary COPY of the same rows into an equivalent table, measured in the same run on the same server.
/// </summary>
public static class IntakeBenchmark
{
    private const string Topic = "business-events";

    public static async Task<double> RunAsync(int events)
    {
        var partitions = PartitionsFor(events);
        Console.WriteLine($"intake: {events:N0} order.delivered events, {partitions} partitions, PostgreSQL {PostgresServer.Shared.Port}");
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, partitions);
        var produced = Stopwatch.StartNew();
        Produce(kafka.BootstrapServers, events);
        Console.WriteLine($"  produced in {produced.Elapsed.TotalSeconds:F1} s");
        EnsureNothingDropped(kafka.BootstrapServers, partitions, events);

        var copyRate = await CopyBaselineAsync(events);
        Console.WriteLine($"  baseline COPY of {events:N0} invitation rows: {copyRate:N0} rows/s");

        var database = await PostgresServer.Shared.CreateDatabaseAsync("bench");
        var settings = new Dictionary<string, string?>
        {
            ["Roles"] = "triggers",
            ["Postgres:ConnectionString"] = database,
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers,
            ["Rules:Path"] = RepoRoot.Combine("src", "Host", "send-rules.yaml"),
        };
        await using var data = NpgsqlDataSource.Create(database);
        // Progress comes from the intake's own counter (committed invitations), not from polling count(*),
        // which would compete with the intake for the same two cores.
        using var created = new CounterTotal(TriggersMetrics.MeterName, "nps.invitations.created");
        var clock = Stopwatch.StartNew();
        await using var host = await RunningHost.StartAsync(settings);
        var started = clock.Elapsed;
        TimeSpan? first = null;
        while (created.Value < events)
        {
            if (first is null && created.Value > 0)
                first = clock.Elapsed;
            await Task.Delay(5);
        }
        var done = clock.Elapsed;
        var stored = await CountAsync(data);
        if (stored != events)
            throw new InvalidOperationException($"{stored} invitations in PostgreSQL, expected {events}.");
        await WaitForOffsetsAsync(kafka.BootstrapServers, "nps-triggers", events);
        var committed = clock.Elapsed;
        var rate = events / (done - (first ?? started)).TotalSeconds;
        var rateWithJoin = events / committed.TotalSeconds;
        Console.WriteLine($"  host start {started.TotalSeconds:F2} s, first invitation {first?.TotalSeconds:F2} s, all {events:N0} at {done.TotalSeconds:F2} s, offsets committed at {committed.TotalSeconds:F2} s");
        Console.WriteLine($"  intake: {rate:N0} events/s steady ({rateWithJoin:N0} events/s including start-up, group join and offset commit)");
        // The naive design on the same events, over a sample: at a few hundred jobs per second all N would take long.
        var naive = await NaiveIntakeBaseline.RunAsync(kafka.BootstrapServers, Topic, Math.Min(events, 10_000));
        Console.WriteLine($"  ratio intake / naive one-job-per-event = {rate / naive:F1}x");
        await ConsumerLoopAsync(kafka.BootstrapServers, events);
        var ratio = rate / copyRate;
        Console.WriteLine($"  ratio intake / COPY = {ratio:P1}");
        return ratio;
    }

    /// <summary>
    /// The consumer loop with nothing to do against Confluent.Kafka's bare consume on the same broker and records: a
    /// triggers host whose rules match no event (every record is read, parsed as a CloudEvent, matched against the
    /// rules and skipped; each batch commits nothing and its offsets are stored), against a plain consumer that
    /// only reads every record.
    /// </summary>
    private static async Task ConsumerLoopAsync(string bootstrap, int events)
    {
        var bare = BareConsume(bootstrap, events);
        Console.WriteLine($"  bare Confluent.Kafka consume: {bare:N0} records/s");
        var folder = Path.Combine(Path.GetTempPath(), "npstriggers-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // The shipped rules with their trigger renamed: every rule is valid, none fires for these events.
            var rules = Path.Combine(folder, "send-rules.yaml");
            var shipped = await File.ReadAllTextAsync(RepoRoot.Combine("src", "Host", "send-rules.yaml"));
            await File.WriteAllTextAsync(rules, shipped.Replace("on: order.delivered", "on: order.delivered.never", StringComparison.Ordinal));
            var database = await PostgresServer.Shared.CreateDatabaseAsync("noop");
            using var consumed = new CounterTotal(TriggersMetrics.MeterName, "nps.events.consumed");
            using var skipped = new CounterTotal(TriggersMetrics.MeterName, "nps.events.skipped");
            await using var host = await RunningHost.StartAsync(new Dictionary<string, string?>
            {
                ["Roles"] = "triggers",
                ["Postgres:ConnectionString"] = database,
                ["Kafka:BootstrapServers"] = bootstrap,
                ["Kafka:GroupId"] = "nps-triggers-noop",
                ["Rules:Path"] = rules,
            });
            TimeSpan? first = null;
            var clock = Stopwatch.StartNew();
            while (consumed.Value < events)
            {
                if (first is null && consumed.Value > 0)
                    first = clock.Elapsed;
                await Task.Delay(5);
            }
            var loop = events / (clock.Elapsed - (first ?? TimeSpan.Zero)).TotalSeconds;
            await WaitForOffsetsAsync(bootstrap, "nps-triggers-noop", events);
            if (skipped.Value != events)
                throw new InvalidOperationException($"{skipped.Value:N0} of {events:N0} events skipped; the no-op rules matched some.");
            Console.WriteLine($"  consumer loop, no rule matching (no-op handler): {loop:N0} records/s, offsets committed");
            Console.WriteLine($"  ratio consumer loop (no-op) / bare consume = {loop / bare:P1}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Reads every record once with a plain consumer (own group, no offsets stored), from the first record to the last.</summary>
    private static double BareConsume(string bootstrap, int events)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bare-consume",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topic);
        var read = 0;
        long bytes = 0;
        Stopwatch? clock = null;
        while (read < events)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException($"Only {read:N0} of {events:N0} records consumed.");
            clock ??= Stopwatch.StartNew();
            // Touch the value, as any handler would.
            bytes += result.Message.Value?.Length ?? 0;
            read++;
        }
        var rate = events / clock!.Elapsed.TotalSeconds;
        consumer.Close();
        return bytes > 0 ? rate : throw new InvalidOperationException("The records had no values.");
    }

    /// <summary>
    /// librdkafka's mock broker keeps at most 5 MB (or 100,000 message sets) per partition and drops the oldest beyond
    /// that: at least 3 partitions, and one more per 50,000 events, keeps every record.
    /// </summary>
    internal static int PartitionsFor(int events) => Math.Max(3, (events + 49_999) / 50_000);

    internal static void Produce(string bootstrap, int events)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            LingerMs = 20,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
            CompressionType = CompressionType.Lz4,
        }).Build();
        var time = new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < events; i++)
        {
            var message = BusinessEvents.Binary($"bench-{i}", "order.delivered", BusinessEvents.OrderDelivered(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"customer{i}@example.com"), time);
            producer.Produce(Topic, message);
            if (i % 100_000 == 0)
                producer.Poll(TimeSpan.Zero);
        }
        producer.Flush(TimeSpan.FromMinutes(5));
    }

    /// <summary>The same rows the intake writes, loaded with binary COPY into a table shaped like <c>invitations</c>.</summary>
    private static async Task<double> CopyBaselineAsync(int events)
    {
        var database = await PostgresServer.Shared.CreateDatabaseAsync("copy");
        await using var data = NpgsqlDataSource.Create(database);
        await using (var create = data.CreateCommand("""
            create table invitations (
                id uuid primary key, event_source text not null, event_id text not null, event_type text not null, rule text not null,
                survey text not null, channel text not null, customer_id text, email text, phone text, name text, locale text,
                time_zone text, attributes jsonb not null, state text not null, created_at timestamptz not null,
                due_at timestamptz not null, valid_for interval not null, unique (event_source, event_id, rule));
            create index invitations_due on invitations (due_at) where state = 'scheduled';
            """))
            await create.ExecuteNonQueryAsync();
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        var attributes = JsonSerializer.Serialize(new { orderId = "1", product = "Trail shoes", store = "web-uk", country = "GB", amount = 89.9 });
        var clock = Stopwatch.StartNew();
        await using (var connection = await data.OpenConnectionAsync())
        await using (var writer = await connection.BeginBinaryImportAsync(
            "copy invitations (id, event_source, event_id, event_type, rule, survey, channel, customer_id, email, name, locale, time_zone, attributes, state, created_at, due_at, valid_for) from stdin (format binary)"))
        {
            for (var i = 0; i < events; i++)
            {
                writer.StartRow();
                writer.Write(Guid.CreateVersion7(now), NpgsqlDbType.Uuid);
                writer.Write("/shop/orders", NpgsqlDbType.Text);
                writer.Write($"bench-{i}", NpgsqlDbType.Text);
                writer.Write("order.delivered", NpgsqlDbType.Text);
                writer.Write("order-delivered-email", NpgsqlDbType.Text);
                writer.Write("delivery", NpgsqlDbType.Text);
                writer.Write("email", NpgsqlDbType.Text);
                writer.Write($"c-{i}", NpgsqlDbType.Text);
                writer.Write($"customer{i}@example.com", NpgsqlDbType.Text);
                writer.Write("Anna", NpgsqlDbType.Text);
                writer.Write("en-GB", NpgsqlDbType.Text);
                writer.Write("Europe/London", NpgsqlDbType.Text);
                writer.Write(attributes, NpgsqlDbType.Jsonb);
                writer.Write("scheduled", NpgsqlDbType.Text);
                writer.Write(now, NpgsqlDbType.TimestampTz);
                writer.Write(now.AddDays(14), NpgsqlDbType.TimestampTz);
                writer.Write(TimeSpan.FromDays(30), NpgsqlDbType.Interval);
            }
            await writer.CompleteAsync();
        }
        return events / clock.Elapsed.TotalSeconds;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource data)
    {
        await using var command = data.CreateCommand("select count(*) from invitations");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static void EnsureNothingDropped(string bootstrap, int partitions, int events)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "watermarks" }).Build();
        var watermarks = Enumerable.Range(0, partitions)
            .Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(10))).ToList();
        if (watermarks.Any(w => w.Low.Value > 0) || watermarks.Sum(w => w.High.Value) != events)
            throw new InvalidOperationException($"The mock broker does not hold all {events:N0} events (low/high watermarks: " +
                string.Join(", ", watermarks.Select(w => $"{w.Low.Value}/{w.High.Value}")) + "); use more partitions.");
    }

    private static async Task WaitForOffsetsAsync(string bootstrap, string group, int events)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(Topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartition(Topic, p.PartitionId)).ToList();
        while (true)
        {
            var offsets = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, partitions)]);
            if (offsets.Sum(g => g.Partitions.Sum(p => Math.Max(0, p.Offset.Value))) >= events)
                return;
            await Task.Delay(50);
        }
    }
}
