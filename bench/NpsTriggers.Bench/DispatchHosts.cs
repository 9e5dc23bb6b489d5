using System.Globalization;
using NpsTriggers.Testing;

namespace NpsTriggers.Bench;

/// <summary>Dispatch-only hosts (<c>Roles=dispatch</c>) on one database, on the wall clock, sending to the stand-ins.</summary>
public sealed class DispatchHosts : IAsyncDisposable
{
    private readonly List<RunningHost> _hosts = [];
    private readonly string _rulesPath;

    private DispatchHosts(string rulesPath) => _rulesPath = rulesPath;

    public static async Task<DispatchHosts> StartAsync(
        int count, string database, Uri twilio, SmtpCaptureServer smtp, double smsPerSecond, double smsBurst, double emailPerSecond, double emailBurst)
    {
        ArgumentNullException.ThrowIfNull(twilio);
        ArgumentNullException.ThrowIfNull(smtp);
        var folder = Path.Combine(Path.GetTempPath(), "npstriggers-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var rulesPath = Path.Combine(folder, "send-rules.yaml");
        await File.WriteAllTextAsync(rulesPath, DueInvitations.Rules);
        var hosts = new DispatchHosts(rulesPath);
        var settings = Settings(database, rulesPath, twilio, smtp, smsPerSecond, smsBurst, emailPerSecond, emailBurst);
        try
        {
            // One after the other: the first applies the migrations.
            for (var i = 0; i < count; i++)
                hosts._hosts.Add(await RunningHost.StartAsync(settings));
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }
        return hosts;
    }

    /// <summary>A dispatch-only host's settings: the stand-ins as providers, a sweep every second, the given rates.</summary>
    public static Dictionary<string, string?> Settings(
        string database, string rulesPath, Uri twilio, SmtpCaptureServer smtp, double smsPerSecond, double smsBurst, double emailPerSecond, double emailBurst)
    {
        ArgumentNullException.ThrowIfNull(twilio);
        ArgumentNullException.ThrowIfNull(smtp);
        string F(double value) => value.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string?>
        {
            ["Roles"] = "dispatch",
            ["Postgres:ConnectionString"] = database,
            ["Rules:Path"] = rulesPath,
            ["Twilio:AccountSid"] = TwilioStandIn.AccountSid,
            ["Twilio:AuthToken"] = TwilioStandIn.AuthToken,
            ["Twilio:From"] = TwilioStandIn.From,
            ["Twilio:BaseAddress"] = twilio.ToString(),
            ["Smtp:Host"] = smtp.Host,
            ["Smtp:Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Smtp:Security"] = "None",
            ["Email:FromAddress"] = "surveys@acme.test",
            ["Email:FromName"] = "Acme",
            ["Email:MessageIdDomain"] = "nps.acme.test",
            ["Dispatch:SweepCron"] = "* * * * * *",
            ["Dispatch:RelationalCron"] = "0 0 31 2 *",
            ["RateLimits:Sms:PerSecond"] = F(smsPerSecond),
            ["RateLimits:Sms:Burst"] = F(smsBurst),
            ["RateLimits:Email:PerSecond"] = F(emailPerSecond),
            ["RateLimits:Email:Burst"] = F(emailBurst),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
            await host.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_rulesPath)!, recursive: true);
    }
}
