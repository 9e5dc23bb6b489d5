using System.Text;
using NpsTriggers.Core.Faults;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Host;

namespace NpsTriggers.Tests.Hosting;

/// <summary>Issue 18, item 4: the fail points' behaviour and the broker's fault injection are test-side code only.</summary>
public sealed class ProductionAssembliesTests
{
    /// <summary>The service's own assemblies, as the image ships them: the host and every NpsTriggers assembly it references.</summary>
    private static List<string> ServiceAssemblies()
    {
        var host = typeof(NpsHost).Assembly;
        var files = host.GetReferencedAssemblies()
            .Where(a => a.Name!.StartsWith("NpsTriggers.", StringComparison.Ordinal))
            .Select(a => System.Reflection.Assembly.Load(a).Location)
            .Append(host.Location)
            .ToList();
        files.Count.ShouldBe(5); // Host, Core, Triggers, Dispatch, Ingest
        return files;
    }

    [Theory]
    [InlineData("NPSTRIGGERS_FAILPOINTS")]             // arming fail points from the environment
    [InlineData("rd_kafka_mock_broker_set_down")]      // taking brokers down
    [InlineData("rd_kafka_mock_push_request_errors")]  // injecting request errors
    public void ServiceAssemblies_Scanned_HoldNoFaultInjection(string marker)
    {
        // User strings are UTF-16 in metadata, native entry point names UTF-8: look for both.
        foreach (var file in ServiceAssemblies())
        {
            var bytes = File.ReadAllBytes(file);
            bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)).ShouldBe(-1, $"{Path.GetFileName(file)} mentions {marker}");
            bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(marker)).ShouldBe(-1, $"{Path.GetFileName(file)} mentions {marker}");
        }
    }

    [Fact]
    public void MockKafkaCluster_PublicSurface_OffersNoFaultInjection() =>
        typeof(MockKafkaCluster).GetMethods().Select(m => m.Name)
            .ShouldNotContain(name => name.Contains("Down", StringComparison.Ordinal) || name.Contains("Error", StringComparison.Ordinal));

    [Fact]
    public void Reached_WithoutTheTestHook_DoesNothing() =>
        // The unit-test process loads no startup hook: reaching an armed-looking point must not kill anything.
        Should.NotThrow(() => FailPoints.Reached(FailPoints.IntakeAfterCommit));
}
