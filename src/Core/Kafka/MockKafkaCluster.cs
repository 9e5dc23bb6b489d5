using System.Globalization;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using static NpsTriggers.Core.Kafka.LibRdKafkaNative;

namespace NpsTriggers.Core.Kafka;

/// <summary>
/// An in-process Kafka cluster for the embedded development mode, tests and benchmarks: librdkafka's mock cluster,
/// a real Kafka wire-protocol broker (consumer groups, offset commits, headers, idempotent producer) listening
/// on loopback ports. Ordinary Confluent.Kafka clients connect to <see cref="BootstrapServers"/>.
/// </summary>
/// <remarks>
/// See <see href="https://github.com/confluentinc/librdkafka/blob/master/src/rdkafka_mock.h">rdkafka_mock.h</see>.
/// The mock API is experimental in librdkafka. Members are safe to call from any thread: librdkafka serialises
/// them on the cluster's own thread or under its lock. Dispose clients before the cluster, or they will log
/// connection errors until they are disposed. Its fault injection (brokers down, request errors) is test-side code
/// (<c>NpsTriggers.Testing.MockKafkaFaults</c>), not part of the service. Each partition keeps only its newest 5 MiB (or 100,000 produce
/// batches): a consumer lagging further behind finds its offset out of range, which matters for benchmarks.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    private const int ErrorStringSize = 512;

    private readonly MockClusterSafeHandle _handle;

    private MockKafkaCluster(MockClusterSafeHandle handle, string bootstrapServers)
    {
        _handle = handle;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The native cluster, for the test-side fault injection.</summary>
    internal MockClusterSafeHandle Handle
    {
        get
        {
            ThrowIfDisposed();
            return _handle;
        }
    }

    /// <summary>Comma-separated <c>host:port</c> of every broker, e.g. <c>127.0.0.1:41233,127.0.0.1:36677</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Starts a cluster whose brokers have ids 1 to <paramref name="brokerCount"/>.</summary>
    /// <exception cref="InvalidOperationException">librdkafka could not create the handle or the cluster.</exception>
    public static MockKafkaCluster Start(int brokerCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);

        var rk = CreateHandle();
        var mockCluster = rd_kafka_mock_cluster_new(rk, brokerCount);
        if (mockCluster == IntPtr.Zero)
        {
            rd_kafka_destroy(rk);
            throw new InvalidOperationException(
                $"rd_kafka_mock_cluster_new failed for {brokerCount} broker(s); librdkafka logged the reason to stderr.");
        }

        var handle = new MockClusterSafeHandle(mockCluster, rk);
        // The string is owned by the cluster; copy it while the handle is certainly alive.
        var bootstraps = Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(handle));
        if (string.IsNullOrEmpty(bootstraps))
        {
            handle.Dispose();
            throw new InvalidOperationException("rd_kafka_mock_cluster_bootstraps returned no address.");
        }

        return new MockKafkaCluster(handle, bootstraps);
    }

    /// <summary>
    /// Creates <paramref name="topic"/> up front instead of relying on auto-creation by clients (which gives
    /// 4 partitions). The mock caps <paramref name="replicationFactor"/> at the broker count.
    /// </summary>
    /// <exception cref="KafkaException">
    /// The cluster refused, e.g. with <see cref="ErrorCode.TopicAlreadyExists"/>; the message holds librdkafka's error name.
    /// </exception>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ThrowIfDisposed();

        ThrowOnError(
            rd_kafka_mock_topic_create(_handle, topic, partitions, replicationFactor),
            $"rd_kafka_mock_topic_create(\"{topic}\", partitions: {partitions}, replicationFactor: {replicationFactor})");
    }

    /// <summary>Stops the brokers and frees the cluster; calling it again does nothing.</summary>
    public void Dispose() => _handle.Dispose();

    private static unsafe IntPtr CreateHandle()
    {
        var conf = rd_kafka_conf_new();
        var errstr = stackalloc byte[ErrorStringSize];

        // The cluster logs through this handle (to stderr); the client id says whose lines they are.
        if (rd_kafka_conf_set(conf, "client.id", "nps-mock-cluster", errstr, ErrorStringSize) != 0)
        {
            rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_conf_set failed: {Marshal.PtrToStringUTF8((IntPtr)errstr)}");
        }

        var rk = rd_kafka_new(RdKafkaProducer, conf, errstr, ErrorStringSize);
        if (rk == IntPtr.Zero)
        {
            // rd_kafka_new takes ownership of conf only when it succeeds.
            rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {Marshal.PtrToStringUTF8((IntPtr)errstr)}");
        }

        return rk;
    }

    /// <summary>Throws a <see cref="KafkaException"/> naming <paramref name="call"/> and librdkafka's error, unless <paramref name="err"/> is 0.</summary>
    internal static void ThrowOnError(int err, string call)
    {
        if (err == 0)
            return;
        var name = ErrorName(err);
        throw new KafkaException(new Error(
            (ErrorCode)err,
            string.Create(CultureInfo.InvariantCulture, $"{call} failed: {name} ({err})")));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
}
