using System.Reflection;
using System.Runtime.InteropServices;

namespace NpsTriggers.Core.Kafka;

/// <summary>
/// The few librdkafka entry points the embedded mock cluster needs (rdkafka.h, rdkafka_mock.h of librdkafka 2.16).
/// The mock API is experimental and outside librdkafka's ABI guarantee, so these signatures are tied to
/// the librdkafka.redist version pinned in Directory.Packages.props.
/// </summary>
internal static partial class LibRdKafkaNative
{
    /// <summary>
    /// librdkafka.redist's default <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, which Debian 12 lacks;
    /// its <c>centos8-librdkafka.so</c> sibling has no missing dependencies (docs: CONVENTIONS.md, Part 1).
    /// </summary>
    internal const string LibraryName = "centos8-librdkafka.so";

    internal const int RdKafkaProducer = 0;

    // An explicit static constructor runs before the first call into this class, so the resolver is in place
    // before any of the imports below binds; the runtime runs it once, under its own lock.
    static LibRdKafkaNative() =>
        NativeLibrary.SetDllImportResolver(typeof(LibRdKafkaNative).Assembly, Resolve);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibraryName ? Load() : IntPtr.Zero;

    /// <summary>Loads (or finds already loaded) the library; the test-side fault injection binds its mock calls through it.</summary>
    internal static IntPtr Load()
    {
        var searched = new List<string>();
        foreach (var directory in CandidateDirectories())
        {
            var path = Path.Combine(directory, LibraryName);
            searched.Add(path);
            if (File.Exists(path))
                return NativeLibrary.Load(path);
        }

        throw new DllNotFoundException(
            $"{LibraryName} (from the librdkafka.redist package) was not found; searched: {string.Join(", ", searched)}.");
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        const string nativeFolder = "runtimes/linux-x64/native";
        yield return Path.Combine(AppContext.BaseDirectory, nativeFolder);

        // Differs from the base directory when Confluent.Kafka is loaded from elsewhere (a plugin or tool folder).
        var confluentDirectory = Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location);
        if (!string.IsNullOrEmpty(confluentDirectory))
        {
            yield return Path.Combine(confluentDirectory, nativeFolder);
            yield return confluentDirectory;
        }
    }

    [LibraryImport(LibraryName)]
    internal static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(LibraryName)]
    internal static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int rd_kafka_conf_set(
        IntPtr conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(LibraryName)]
    internal static unsafe partial IntPtr rd_kafka_new(int type, IntPtr conf, byte* errstr, nuint errstrSize);

    [LibraryImport(LibraryName)]
    internal static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr rd_kafka_err2name(int err);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(LibraryName)]
    internal static partial void rd_kafka_mock_cluster_destroy(IntPtr mcluster);

    [LibraryImport(LibraryName)]
    internal static partial IntPtr rd_kafka_mock_cluster_bootstraps(MockClusterSafeHandle mcluster);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_mock_topic_create(
        MockClusterSafeHandle mcluster, string topic, int partitionCount, int replicationFactor);

    /// <summary>librdkafka's symbolic name for an error code, e.g. <c>TOPIC_ALREADY_EXISTS</c>.</summary>
    internal static string ErrorName(int err) =>
        Marshal.PtrToStringUTF8(rd_kafka_err2name(err)) ?? err.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
