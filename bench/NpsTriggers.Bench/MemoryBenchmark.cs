using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Testing;
using NpsTriggers.Triggers.Kafka;

namespace NpsTriggers.Bench;

/// <summary>
/// Peak resident memory of each role, run as its own process (<c>dotnet NpsTriggers.Host.dll</c>, as deployed), idle
/// and then under the benchmarks' loads: triggers taking 200,000 events, dispatch sending 20,000 due emails, ingest
/// answering wrk's score clicks for 15 s. The idle figure, read from the same process just before its load, is the
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

    private static async Task WaitForAsync(NpgsqlDataSource data, string sql, long expected, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await using var command = data.CreateCommand(sql);
            if ((long)(await command.ExecuteScalarAsync())! >= expected)
                return;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Not reached within {timeout}: {sql}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static async Task<double> TriggersAsync(int events)
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, Math.Max(3, (events + 49_999) / 50_000));
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
        await WaitForAsync(data, "select count(*) from invitations", events, TimeSpan.FromMinutes(5));
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
            await using var host = await HostProcess.StartAsync(new Dictionary<string, string?>
            {
                ["Roles"] = "dispatch",
                ["Postgres:ConnectionString"] = database,
                ["Rules:Path"] = rules,
                ["Smtp:Host"] = smtp.Host,
                ["Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Smtp:Security"] = "None",
                ["Email:FromAddress"] = "surveys@acme.test",
                ["Email:FromName"] = "Acme",
                ["Email:MessageIdDomain"] = "nps.acme.test",
                ["Twilio:AccountSid"] = TwilioStandIn.AccountSid,
                ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
                ["Twilio:From"] = TwilioStandIn.From,
                ["Twilio:BaseAddress"] = twilio.BaseAddress.ToString(),
                ["Dispatch:SweepCron"] = "* * * * * *",
                ["RateLimits:Email:PerSecond"] = "100000",
                ["RateLimits:Email:Burst"] = "100000",
            });
            var idle = await IdlePeakAsync(host);
            await DueInvitations.InsertAsync(data, "email", emails, "mem");
            await WaitForAsync(data, "select count(*) from invitations where state = 'sent'", emails, TimeSpan.FromMinutes(5));
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
            await using var host = await HostProcess.StartAsync(new Dictionary<string, string?>
            {
                ["Roles"] = "ingest",
                ["Postgres:ConnectionString"] = database,
                ["Rules:Path"] = rules,
            });
            var idle = await IdlePeakAsync(host);
            await DueInvitations.InsertAsync(data, "email", invitations, "click");
            await using (var sent = data.CreateCommand("update invitations set state = 'sent', sent_at = now(), expires_at = now() + interval '7 days', message_id = id::text"))
                await sent.ExecuteNonQueryAsync();
            // The host signs its links with the test key (HostProcess); the same options sign them here.
            var links = new SurveyLinks(Options.Create(new SurveyLinkOptions { PublicBaseUrl = host.BaseAddress.ToString(), SigningKey = RunningHost.TestSigningKey }));
            var clicks = new List<string>();
            await using (var read = data.CreateCommand("select id, expires_at from invitations"))
            await using (var reader = await read.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    clicks.Add(links.Score(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), clicks.Count % 11).PathAndQuery);
            var file = Path.Combine(folder, "clicks.txt");
            await File.WriteAllLinesAsync(file, clicks);
            var script = Path.Combine(folder, "load.lua");
            await File.WriteAllTextAsync(script, ReplyBenchmark.WrkScript);
            var load = await ReplyBenchmark.WrkAsync(host.BaseAddress, script, "GET", null, file, TimeSpan.FromSeconds(15), 32);
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
