using System.Reflection;
using System.Runtime.InteropServices;

namespace NpsTriggers.Triggers.Kafka;

/// <summary>
/// The few librdkafka functions the mock cluster needs. They bind to <c>centos8-librdkafka.so</c> from
/// librdkafka.redist: the default <c>librdkafka.so</c> there needs libsasl2.so.3, which Debian 12 lacks
/// (shared/CONVENTIONS.md).
/// </summary>
internal static partial class LibRdKafkaNative
{
    private const string Library = "librdkafka-mock";
    private static readonly object Gate = new();
    private static bool _resolverSet;

    public static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_resolverSet)
                return;
            NativeLibrary.SetDllImportResolver(typeof(LibRdKafkaNative).Assembly, Resolve);
            _resolverSet = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
            return IntPtr.Zero;
        var candidates = new[]
        {
            AppContext.BaseDirectory,
            Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location) ?? AppContext.BaseDirectory,
        }.Select(dir => Path.Combine(dir, "runtimes", "linux-x64", "native", "centos8-librdkafka.so"));
        foreach (var path in candidates)
            if (File.Exists(path))
                return NativeLibrary.Load(path);
        throw new DllNotFoundException(
            "centos8-librdkafka.so was not found under runtimes/linux-x64/native; the embedded Kafka broker needs librdkafka.redist's Linux build.");
    }

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [LibraryImport(Library)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [LibraryImport(Library)]
    public static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library)]
    public static partial IntPtr rd_kafka_err2name(int error);
}
