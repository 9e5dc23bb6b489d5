using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>
/// Peak resident memory of each role, run as its own process (<c>dotnet NpsTriggers.Host.dll</c>, as deployed), idle
/// and then under the benchmarks' loads: triggers taking 200,000 events, dispatch sending 20,000 due emails, ingest
/// answering wrk's score clicks for 15 s over 128 connections (the reply benchmark's top level). The idle figure, read from the same process just before its load, is the
/// baseline.
/// </summary>
public static class MemoryBenchmark
{
    private const string Topic = "business-events";

    /// <summary>Returns the largest loaded / idle ratio of the three roles.</summary>
    public static async Task<double> RunAsync()
    {
        Console.WriteLine("Memory: peak resident set (VmHWM) of each role as its own process, idle for 5 s, then under load");
        var ratios = new[] { await TriggersAsync(200_000), await DispatchAsync(20_000), await IngestAsync(50_000) };
        var worst = ratios.Max();
        Console.WriteLine($"  ratio loaded / idle, largest of the three roles = {worst:F2}");
        return worst;
    }

    private static double Report(string role, string load, long idle, long loaded)
    {
        Console.WriteLine($"  {role,-9} idle {idle / 1048576.0,6:F0} MiB   {load}: {loaded / 1048576.0,6:F0} MiB   ({(double)loaded / idle:F2}x)");
        return (double)loaded / idle;
    }

    private static async Task<long> IdlePeakAsync(HostProcess host)
    {
        await Task.Delay(TimeSpan.FromSeconds(5));
        return host.PeakWorkingSet;
    }

    private static async Task<double> TriggersAsync(int events)
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, IntakeBenchmark.PartitionsFor(events));
        var database = await PostgresServer.Shared.CreateDatabaseAsync("memtriggers");
        await using var data = NpgsqlDataSource.Create(database);
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Roles"] = "triggers",
            ["Postgres:ConnectionString"] = database,
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers,
            ["Rules:Path"] = RepoRoot.Combine("src", "Host", "send-rules.yaml"),
        });
        var idle = await IdlePeakAsync(host);
        IntakeBenchmark.Produce(kafka.BootstrapServers, events);
        await DueInvitations.WaitForCountAsync(data, "true", events, TimeSpan.FromMinutes(5));
        return Report("triggers", $"{events:N0} events taken in", idle, host.PeakWorkingSet);
    }

    private static async Task<double> DispatchAsync(int emails)
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        await using var smtp = await SmtpCaptureServer.StartAsync();
        var database = await PostgresServer.Shared.CreateDatabaseAsync("memdispatch");
        await using var data = NpgsqlDataSource.Create(database);
        var rules = Path.Combine(Path.GetTempPath(), $"npstriggers-mem-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(rules, DueInvitations.Rules);
        try
        {
            await using var host = await HostProcess.StartAsync(
                DispatchHosts.Settings(database, rules, twilio.BaseAddress, smtp, 100_000, 100_000, 100_000, 100_000));
            var idle = await IdlePeakAsync(host);
            await DueInvitations.InsertAsync(data, "email", emails, "mem");
            await DueInvitations.WaitForCountAsync(data, "state = 'sent'", emails, TimeSpan.FromMinutes(5));
            return Report("dispatch", $"{emails:N0} emails sent", idle, host.PeakWorkingSet);
        }
        finally
        {
            File.Delete(rules);
        }
    }

    private static async Task<double> IngestAsync(int invitations)
    {
        var database = await PostgresServer.Shared.CreateDatabaseAsync("memingest");
        await using var data = NpgsqlDataSource.Create(database);
        var folder = Path.Combine(Path.GetTempPath(), "npstriggers-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var rules = Path.Combine(folder, "send-rules.yaml");
            await File.WriteAllTextAsync(rules, DueInvitations.Rules);
            using var kafka = MockKafkaCluster.Start();
            await using var host = await HostProcess.StartAsync(new Dictionary<string, string?>(ReplyBenchmark.Unlimited)
            {
                ["Roles"] = "ingest",
                ["Postgres:ConnectionString"] = database,
                ["Rules:Path"] = rules,
                ["Kafka:BootstrapServers"] = kafka.BootstrapServers,
            });
            var idle = await IdlePeakAsync(host);
            await DueInvitations.InsertSentAsync(data, invitations, "click");
            // The host signs its links with the test key (HostProcess); the same options sign them here.
            var links = new SurveyLinks(Options.Create(new SurveyLinkOptions { PublicBaseUrl = host.BaseAddress.ToString(), SigningKey = RunningHost.TestSigningKey }));
            var (_, answers) = await ReplyBenchmark.WriteClicksAsync(data, links, "click", folder);
            var script = await ReplyBenchmark.WriteScriptAsync(folder);
            var load = await ReplyBenchmark.WrkAsync(host.BaseAddress, script, "ANSWER", null, answers, TimeSpan.FromSeconds(15), 128);
            if (load.Errors > 0)
                throw new InvalidOperationException($"{load.Errors} clicks failed.");
            return Report("ingest", $"{load.PerSecond:N0} clicks/s for 15 s", idle, host.PeakWorkingSet);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
