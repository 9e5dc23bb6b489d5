using Microsoft.Win32.SafeHandles;

namespace NpsTriggers.Core.Kafka;

/// <summary>
/// Owns a librdkafka mock cluster together with the <c>rd_kafka_t</c> it was created on, and releases them
/// in the only order librdkafka accepts: <c>rd_kafka_destroy</c> aborts the process (rd_assert) while a mock
/// cluster created by <c>rd_kafka_mock_cluster_new</c> on that handle is still alive, so the cluster goes first.
/// Keeping both pointers in one handle means even the finalizer cannot get the order wrong, and SafeHandle's
/// reference count keeps the cluster alive while a mock call is running on another thread.
/// </summary>
internal sealed class MockClusterSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly IntPtr _rk;

    internal MockClusterSafeHandle(IntPtr mockCluster, IntPtr rk) : base(ownsHandle: true)
    {
        _rk = rk;
        SetHandle(mockCluster);
    }

    protected override bool ReleaseHandle()
    {
        // Joins the mock cluster's thread and closes its listeners; needs the rd_kafka_t still alive.
        LibRdKafkaNative.rd_kafka_mock_cluster_destroy(handle);
        LibRdKafkaNative.rd_kafka_destroy(_rk);
        return true;
    }
}
