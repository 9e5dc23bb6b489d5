using System.Runtime.InteropServices;
using Confluent.Kafka;
using NpsTriggers.Core.Kafka;

namespace NpsTriggers.Testing;

/// <summary>
/// Fault injection into the embedded broker (librdkafka's mock cluster, rdkafka_mock.h of librdkafka 2.16), for tests
/// only: the service ships the broker for development but none of this (issue 18, item 4). The entry points are bound
/// by name from the library the service already loaded, so both sides use the one copy of librdkafka.
/// </summary>
public static unsafe class MockKafkaFaults
{
    private static readonly Lazy<IntPtr> Library = new(LibRdKafkaNative.Load);

    /// <summary>
    /// Closes the broker's connections and refuses new ones on the same port until <see cref="SetBrokerUp"/>.
    /// Partition leadership does not move, so partitions it leads become unavailable.
    /// </summary>
    /// <param name="brokerId">A broker id from 1 to the broker count, or -1 for all brokers.</param>
    /// <exception cref="KafkaException">No broker has that id.</exception>
    public static void SetBrokerDown(this MockKafkaCluster cluster, int brokerId)
    {
        var call = (delegate* unmanaged<IntPtr, int, int>)Export("rd_kafka_mock_broker_set_down");
        MockKafkaCluster.ThrowOnError(Run(cluster, handle => call(handle, brokerId)), $"rd_kafka_mock_broker_set_down({brokerId})");
    }

    /// <summary>Makes a broker taken down by <see cref="SetBrokerDown"/> accept connections again.</summary>
    /// <param name="brokerId">A broker id from 1 to the broker count, or -1 for all brokers.</param>
    /// <exception cref="KafkaException">No broker has that id.</exception>
    public static void SetBrokerUp(this MockKafkaCluster cluster, int brokerId)
    {
        var call = (delegate* unmanaged<IntPtr, int, int>)Export("rd_kafka_mock_broker_set_up");
        MockKafkaCluster.ThrowOnError(Run(cluster, handle => call(handle, brokerId)), $"rd_kafka_mock_broker_set_up({brokerId})");
    }

    /// <summary>
    /// Makes the next <c>errors.Length</c> requests of type <paramref name="apiKey"/>, sent by any client to any
    /// broker, fail with these errors in order (cluster-wide error stack). The error is returned in the response
    /// (per partition where the protocol has partitions); <see cref="ErrorCode.Local_Transport"/> instead makes
    /// the broker drop the connection.
    /// </summary>
    /// <param name="apiKey">Kafka protocol request type, e.g. 0 Produce, 1 Fetch, 8 OffsetCommit, 11 JoinGroup.</param>
    /// <param name="errors">The errors to return, first one first.</param>
    public static void PushRequestErrors(this MockKafkaCluster cluster, short apiKey, params ErrorCode[] errors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(apiKey);
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
            throw new ArgumentException("Push at least one error.", nameof(errors));
        var call = (delegate* unmanaged<IntPtr, short, nuint, int*, void>)Export("rd_kafka_mock_push_request_errors_array");
        // ErrorCode's values are librdkafka's rd_kafka_resp_err_t values, and both are 32-bit enums.
        var codes = Array.ConvertAll(errors, e => (int)e);
        Run(cluster, handle =>
        {
            fixed (int* first = codes)
                call(handle, apiKey, (nuint)codes.Length, first);
            return 0;
        });
    }

    private static IntPtr Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    /// <summary>Runs a mock call on the cluster's pointer, holding a reference so a concurrent Dispose cannot free it meanwhile.</summary>
    private static int Run(MockKafkaCluster cluster, Func<IntPtr, int> call)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var handle = cluster.Handle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return call(handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }
}
