using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace NpsTriggers.Triggers.Kafka;

/// <summary>
/// An in-process Kafka broker speaking the real wire protocol: librdkafka's mock cluster. Ordinary
/// Confluent.Kafka clients connect to <see cref="BootstrapServers"/>. For development, tests and benchmarks,
/// including fault injection; never for production data (it keeps everything in memory).
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly Lock _gate = new();
    private IntPtr _handle;
    private IntPtr _cluster;

    private MockKafkaCluster(IntPtr handle, IntPtr cluster, string bootstrapServers)
    {
        _handle = handle;
        _cluster = cluster;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Loopback address list of the brokers, <c>127.0.0.1:port,…</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Starts a cluster of <paramref name="brokerCount"/> brokers (ids 1…n) on free loopback ports.</summary>
    public static MockKafkaCluster Start(int brokerCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        LibRdKafkaNative.EnsureResolver();
        var errors = new byte[512];
        var conf = LibRdKafkaNative.rd_kafka_conf_new();
        // The owning handle never connects anywhere; it only hosts the mock cluster's threads.
        if (LibRdKafkaNative.rd_kafka_conf_set(conf, "log_level", "3", errors, (nuint)errors.Length) != 0)
            throw new InvalidOperationException("rd_kafka_conf_set failed: " + Text(errors));
        var handle = LibRdKafkaNative.rd_kafka_new(0, conf, errors, (nuint)errors.Length);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(errors));
        var cluster = LibRdKafkaNative.rd_kafka_mock_cluster_new(handle, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            LibRdKafkaNative.rd_kafka_destroy(handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }
        var bootstrap = Marshal.PtrToStringUTF8(LibRdKafkaNative.rd_kafka_mock_cluster_bootstraps(cluster))!;
        return new MockKafkaCluster(handle, cluster, bootstrap);
    }

    /// <summary>Creates a topic (the mock broker also auto-creates topics on first use, with default settings).</summary>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1) =>
        Check(LibRdKafkaNative.rd_kafka_mock_topic_create(Cluster, topic, partitions, replicationFactor), $"creating topic {topic}");

    /// <summary>Takes broker <paramref name="brokerId"/> down: its connections close and new ones are refused.</summary>
    public void SetBrokerDown(int brokerId) =>
        Check(LibRdKafkaNative.rd_kafka_mock_broker_set_down(Cluster, brokerId), $"taking broker {brokerId} down");

    public void SetBrokerUp(int brokerId) =>
        Check(LibRdKafkaNative.rd_kafka_mock_broker_set_up(Cluster, brokerId), $"bringing broker {brokerId} up");

    /// <summary>The next requests of <paramref name="apiKey"/> (e.g. 0 Produce, 8 OffsetCommit) fail with these errors, in order.</summary>
    public void PushRequestErrors(short apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        LibRdKafkaNative.rd_kafka_mock_push_request_errors_array(Cluster, apiKey, (nuint)errors.Length, [.. errors.Select(e => (int)e)]);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // The cluster belongs to the handle's instance: destroy it first, then the handle.
            if (_cluster != IntPtr.Zero)
                LibRdKafkaNative.rd_kafka_mock_cluster_destroy(_cluster);
            if (_handle != IntPtr.Zero)
                LibRdKafkaNative.rd_kafka_destroy(_handle);
            _cluster = IntPtr.Zero;
            _handle = IntPtr.Zero;
        }
    }

    private IntPtr Cluster
    {
        get
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            return _cluster;
        }
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException(
                $"Mock Kafka cluster: {what} failed with {Marshal.PtrToStringUTF8(LibRdKafkaNative.rd_kafka_err2name(error))}.");
    }

    private static string Text(byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));
}
