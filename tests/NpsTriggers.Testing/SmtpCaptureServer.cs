using System.Diagnostics;
using MimeKit;

namespace NpsTriggers.Testing;

/// <summary>A real SMTP server (scripts/smtp-capture.py on aiosmtpd) on a free loopback port, storing what it receives.</summary>
public sealed class SmtpCaptureServer : IAsyncDisposable
{
    private readonly Process _process;

    private SmtpCaptureServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public string Host => "127.0.0.1";
    public int Port { get; }
    public string Directory { get; }

    /// <summary>
    /// Starts the server. <paramref name="latency"/> plus a uniform random -<paramref name="jitter"/>..+<paramref name="jitter"/>
    /// delays each answer to the end of DATA, as a relay's 30-100 ms per message would; PIPELINING is offered unless
    /// <paramref name="pipelining"/> is false; <paramref name="noopDelay"/> delays each answer to NOOP.
    /// </summary>
    public static async Task<SmtpCaptureServer> StartAsync(string? failRecipients = null, int tempFailFirst = 0, int? port = null, int acceptDelayMs = 0,
        TimeSpan? latency = null, TimeSpan? jitter = null, bool pipelining = true, TimeSpan? noopDelay = null)
    {
        var chosen = port ?? FreePort.Next();
        var directory = Path.Combine(Path.GetTempPath(), "npstriggers-tests", $"smtp-{Environment.ProcessId}-{chosen}-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { RepoRoot.Combine("scripts", "smtp-capture.py"), "--port", chosen.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", directory })
            start.ArgumentList.Add(arg);
        if (failRecipients is not null)
        {
            start.ArgumentList.Add("--fail-rcpt");
            start.ArgumentList.Add(failRecipients);
        }
        start.ArgumentList.Add("--tempfail-first");
        start.ArgumentList.Add(tempFailFirst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--accept-delay-ms");
        start.ArgumentList.Add(acceptDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--latency-ms");
        start.ArgumentList.Add(((int)(latency ?? TimeSpan.Zero).TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--jitter-ms");
        start.ArgumentList.Add(((int)(jitter ?? TimeSpan.Zero).TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--noop-delay-ms");
        start.ArgumentList.Add(((int)(noopDelay ?? TimeSpan.Zero).TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!pipelining)
            start.ArgumentList.Add("--no-pipelining");
        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith("READY", StringComparison.Ordinal))
                throw new InvalidOperationException($"smtp-capture.py did not start: {line}{await process.StandardError.ReadToEndAsync(timeout.Token)}");
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("smtp-capture.py did not report READY within 20 s.");
        }
        return new SmtpCaptureServer(process, chosen, directory);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived (or the timeout), then returns all of them, in arrival order.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Files().Length < count && deadline.Elapsed < timeout)
            await Task.Delay(50);
        var messages = new List<MimeMessage>();
        foreach (var file in Files())
            messages.Add(await MimeMessage.LoadAsync(file));
        return messages;
    }

    /// <summary>The envelope sender (SMTP <c>MAIL FROM</c>) of each message received so far, in arrival order.</summary>
    public IReadOnlyList<string> EnvelopeSenders() =>
        [.. Files().Select(file => File.ReadAllText(Path.ChangeExtension(file, ".from")))];

    /// <summary>What the server counted so far (scripts/smtp-capture.py's stats.json).</summary>
    public SmtpServerStats Stats()
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "stats.json")));
        var root = json.RootElement;
        return new SmtpServerStats(root.GetProperty("connections").GetInt32(), root.GetProperty("open").GetInt32(), root.GetProperty("max_open").GetInt32(),
            root.GetProperty("mail").GetInt32(), root.GetProperty("pipelined_mail").GetInt32());
    }

    private string[] Files() =>
        System.IO.Directory.Exists(Directory) ? [.. System.IO.Directory.GetFiles(Directory, "*.eml").Order(StringComparer.Ordinal)] : [];

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Connections accepted, open now and most open at once; MAIL commands, and those the client pipelined (RFC 2920).</summary>
public sealed record SmtpServerStats(int Connections, int Open, int MaxOpen, int Mail, int PipelinedMail);
