using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Testing;

namespace NpsTriggers.Tests.Kafka;

public sealed class MockKafkaClusterTests
{
    private const string Topic = "business-events";
    private const short ProduceApiKey = 0;
    private const short OffsetCommitApiKey = 8;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public void Start_ThreeBrokers_BootstrapServersListsThreeLoopbackListeners()
    {
        using var cluster = MockKafkaCluster.Start(brokerCount: 3);

        var servers = cluster.BootstrapServers.Split(',');

        servers.Length.ShouldBe(3);
        servers.ShouldAllBe(s => s.StartsWith("127.0.0.1:", StringComparison.Ordinal));
        servers.Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public async Task Consume_HeaderedMessagesOnThreePartitions_GroupReadsAllBackWithHeadersAndCommits()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 3);
        using var producer = BuildProducer(cluster);

        var delivered = await ProduceEventsAsync(producer, "first", count: 30);
        delivered.Select(d => d.Partition.Value).Distinct().Count().ShouldBe(3, "the keys should spread over all partitions");

        using var consumer = BuildConsumer(cluster, "surveys");
        consumer.Subscribe(Topic);
        var consumed = ConsumeAndStore(consumer, 30);
        var committed = consumer.Commit();
        consumer.Close();

        consumed.Select(r => (r.Message.Key, r.Message.Value, r.TopicPartitionOffset))
            .ShouldBe(delivered.Select(d => (d.Message.Key, d.Message.Value, d.TopicPartitionOffset)), ignoreOrder: true);
        foreach (var result in consumed)
        {
            result.Message.Headers.Count.ShouldBe(2);
            Header(result, "ce_id").ShouldBe(result.Message.Value);
            Header(result, "ce_type").ShouldBe("order.delivered");
        }

        // The committed position of each partition is one past the last message delivered to it.
        var expected = delivered
            .GroupBy(d => d.Partition)
            .ToDictionary(g => g.Key, g => g.Max(d => d.Offset.Value) + 1);
        committed.ToDictionary(c => c.Partition, c => c.Offset.Value).ShouldBe(expected, ignoreOrder: true);
    }

    [Fact]
    public async Task Consume_SecondConsumerInGroupAfterCommit_StartsWhereFirstLeftOff()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 3);
        using var producer = BuildProducer(cluster);

        await ProduceEventsAsync(producer, "first", count: 12);
        using (var first = BuildConsumer(cluster, "surveys"))
        {
            first.Subscribe(Topic);
            ConsumeAndStore(first, 12);
            first.Commit();
            first.Close();
        }

        var secondBatch = await ProduceEventsAsync(producer, "second", count: 6);
        using var second = BuildConsumer(cluster, "surveys");
        second.Subscribe(Topic);
        var consumed = ConsumeAndStore(second, 6);
        second.Close();

        // Each partition is read in order and every "first" message precedes every "second" one in it, so had
        // the group restarted below the commit, "first" messages would have come back before these six.
        consumed.Select(r => r.Message.Value).Order().ShouldBe(secondBatch.Select(d => d.Message.Value).Order());
        consumed.Select(r => r.TopicPartitionOffset)
            .ShouldBe(secondBatch.Select(d => d.TopicPartitionOffset), ignoreOrder: true);
    }

    [Fact]
    public async Task SetBrokerUp_AfterBrokerWentDown_PendingProduceIsDelivered()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 1);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Error>();
        using var producer = BuildProducer(cluster, new ProducerConfig
        {
            MessageTimeoutMs = 60_000,
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 500,
        }, (_, error) => errors.Enqueue(error));
        var before = await ProduceEventsAsync(producer, "before", count: 1);

        cluster.SetBrokerDown(1);
        var pending = producer.ProduceAsync(Topic, Event("during", 0));
        // The producer reports the broker unreachable: only a broker that took the connection could acknowledge anything.
        await Eventually.Until(() => Task.FromResult(errors.Any(e => e.Code is ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown)),
            down => down, Bound, "the producer finding the broker down");
        pending.IsCompleted.ShouldBeFalse("no broker accepts connections, so nothing can be acknowledged");

        cluster.SetBrokerUp(1);
        var delivered = await pending.WaitAsync(Bound);

        delivered.Status.ShouldBe(PersistenceStatus.Persisted);
        delivered.Offset.Value.ShouldBe(before[0].Offset.Value + 1);
    }

    [Fact]
    public async Task PushRequestErrors_PermanentProduceError_FailsTheNextDeliveriesOnly()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 1);
        using var producer = BuildProducer(cluster);
        await ProduceEventsAsync(producer, "warm-up", count: 1);

        cluster.PushRequestErrors(ProduceApiKey, ErrorCode.InvalidRecord, ErrorCode.InvalidRecord);

        for (var i = 0; i < 2; i++)
        {
            var failure = await Should.ThrowAsync<ProduceException<string, string>>(
                producer.ProduceAsync(Topic, Event("rejected", i)).WaitAsync(Bound));
            failure.Error.Code.ShouldBe(ErrorCode.InvalidRecord);
            failure.DeliveryResult.Status.ShouldBe(PersistenceStatus.NotPersisted);
        }

        var next = await producer.ProduceAsync(Topic, Event("accepted", 0)).WaitAsync(Bound);
        next.Offset.Value.ShouldBe(1, "the rejected messages must not have been appended");
    }

    [Fact]
    public async Task PushRequestErrors_RetriableProduceErrors_IdempotentProducerRetriesWithoutDuplicates()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 1);
        string? latestStatistics = null;
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            EnableIdempotence = true,
            StatisticsIntervalMs = 100,
        }).SetStatisticsHandler((_, json) => Volatile.Write(ref latestStatistics, json)).Build();
        await ProduceEventsAsync(producer, "warm-up", count: 1);

        cluster.PushRequestErrors(ProduceApiKey, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        var delivered = await producer.ProduceAsync(Topic, Event("retried", 0)).WaitAsync(Bound);

        delivered.Status.ShouldBe(PersistenceStatus.Persisted);
        delivered.Offset.Value.ShouldBe(1, "each rejected attempt must leave nothing in the log");
        // Statistics reach the handler in order with delivery reports, so any snapshot from now on was taken
        // after the last transmission: two messages produced, four sent, the second one went out three times.
        Volatile.Write(ref latestStatistics, null);
        var (produced, transmitted) = await PartitionZeroCountersAsync(() => Volatile.Read(ref latestStatistics), produced: 2);
        transmitted.ShouldBe(produced + 2);
    }

    [Fact]
    public async Task PushRequestErrors_OnOffsetCommit_CommitThrowsThatErrorAndRetrySucceeds()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 1);
        using var producer = BuildProducer(cluster);
        await ProduceEventsAsync(producer, "first", count: 3);
        using var consumer = BuildConsumer(cluster, "surveys");
        consumer.Subscribe(Topic);
        ConsumeAndStore(consumer, 3);

        cluster.PushRequestErrors(OffsetCommitApiKey, ErrorCode.OffsetMetadataTooLarge);

        var failure = Should.Throw<KafkaException>(() => consumer.Commit());
        failure.Error.Code.ShouldBe(ErrorCode.OffsetMetadataTooLarge);
        consumer.Commit().ShouldHaveSingleItem().Offset.Value.ShouldBe(3);
        consumer.Close();
    }

    [Fact]
    public void CreateTopic_ExistingTopic_ThrowsKafkaExceptionNamingTheError()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic(Topic, partitions: 2);

        var ex = Should.Throw<KafkaException>(() => cluster.CreateTopic(Topic, partitions: 2));

        ex.Error.Code.ShouldBe(ErrorCode.TopicAlreadyExists);
        ex.Message.ShouldContain("TOPIC_ALREADY_EXISTS");
    }

    [Fact]
    public void SetBrokerDown_UnknownBrokerId_ThrowsKafkaException()
    {
        using var cluster = MockKafkaCluster.Start(brokerCount: 2);

        var ex = Should.Throw<KafkaException>(() => cluster.SetBrokerDown(3));

        ex.Error.Code.ShouldBe(ErrorCode.BrokerNotAvailable);
    }

    [Fact]
    public void Dispose_CalledTwice_ClosesListenersAndLaterCallsThrowObjectDisposed()
    {
        var cluster = MockKafkaCluster.Start();
        var port = int.Parse(cluster.BootstrapServers.Split(':')[1], CultureInfo.InvariantCulture);

        cluster.Dispose();
        cluster.Dispose();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Should.Throw<SocketException>(() => socket.Connect("127.0.0.1", port))
            .SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        Should.Throw<ObjectDisposedException>(() => cluster.CreateTopic(Topic, partitions: 1));
        Should.Throw<ObjectDisposedException>(() => cluster.PushRequestErrors(ProduceApiKey, ErrorCode.Local_Transport));
    }

    private static IProducer<string, string> BuildProducer(MockKafkaCluster cluster, ProducerConfig? config = null,
        Action<IProducer<string, string>, Error>? onError = null)
    {
        config ??= new ProducerConfig();
        config.BootstrapServers = cluster.BootstrapServers;
        config.Acks = Acks.All;
        var builder = new ProducerBuilder<string, string>(config);
        if (onError is not null)
            builder.SetErrorHandler(onError);
        return builder.Build();
    }

    private static IConsumer<string, string> BuildConsumer(MockKafkaCluster cluster, string groupId) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            // When the last member leaves, the mock group does not turn Empty like a real broker: it waits
            // session timeout - 1 s for members to rejoin before answering the next JoinGroup. Kafka's minimum
            // session timeout keeps that wait at 5 s instead of 44 s.
            SessionTimeoutMs = 6_000,
            HeartbeatIntervalMs = 1_000,
        }).Build();

    private static Message<string, string> Event(string batch, int index)
    {
        var value = string.Create(CultureInfo.InvariantCulture, $"{batch}-{index}");
        return new Message<string, string>
        {
            Key = string.Create(CultureInfo.InvariantCulture, $"customer-{index % 7}"),
            Value = value,
            Headers = new Headers
            {
                { "ce_id", Encoding.UTF8.GetBytes(value) },
                { "ce_type", "order.delivered"u8.ToArray() },
            },
        };
    }

    private static async Task<DeliveryResult<string, string>[]> ProduceEventsAsync(
        IProducer<string, string> producer, string batch, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.ProduceAsync(Topic, Event(batch, i))))
            .WaitAsync(Bound);

    /// <summary>Consumes exactly <paramref name="count"/> messages within the bound, storing each offset.</summary>
    private static List<ConsumeResult<string, string>> ConsumeAndStore(IConsumer<string, string> consumer, int count)
    {
        var results = new List<ConsumeResult<string, string>>();
        var clock = Stopwatch.StartNew();
        while (results.Count < count && clock.Elapsed < Bound)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
                continue;
            results.Add(result);
            consumer.StoreOffset(result);
        }

        results.Count.ShouldBe(count, $"expected {count} messages within {Bound}");
        return results;
    }

    /// <summary>Waits for a statistics snapshot that counts <paramref name="produced"/> messages on partition 0.</summary>
    private static async Task<(long Produced, long Transmitted)> PartitionZeroCountersAsync(
        Func<string?> latestStatistics, long produced)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound)
        {
            if (latestStatistics() is { } json)
            {
                using var document = JsonDocument.Parse(json);
                var partition = document.RootElement.GetProperty("topics").GetProperty(Topic)
                    .GetProperty("partitions").GetProperty("0");
                // msgs: messages handed to the producer; txmsgs: messages sent to the broker, retries included.
                var counters = (partition.GetProperty("msgs").GetInt64(), partition.GetProperty("txmsgs").GetInt64());
                if (counters.Item1 == produced)
                    return counters;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no statistics counted {produced} messages within {Bound}");
    }

    private static string Header(ConsumeResult<string, string> result, string name) =>
        Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(name));
}
