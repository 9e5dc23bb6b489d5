using System.Collections.Concurrent;
using System.Diagnostics;
using NpsTriggers.FailPointHook;

namespace NpsTriggers.Testing;

/// <summary>
/// The service as its own operating-system process (<c>dotnet NpsTriggers.Host.dll</c>), configured through
/// environment variables the way the Helm chart configures it, so a test can SIGKILL it — or arm a fail point that
/// makes it SIGKILL itself at an exact step — and start it again on the same database and broker.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>The process's peak resident set so far (VmHWM on Linux), in bytes.</summary>
    public long PeakWorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    /// <summary>What the process wrote to stdout and stderr, for failure messages.</summary>
    public string Output => string.Join('\n', _output.TakeLast(80));

    /// <summary>
    /// Starts the host with <paramref name="settings"/> (configuration keys such as <c>Postgres:ConnectionString</c>)
    /// and, optionally, fail points armed (<see cref="ArmedFailPoints"/>, loaded by a startup hook), and waits until <c>/healthz/live</c> answers.
    /// </summary>
    public static async Task<HostProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string? failPoints = null, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var url = new Uri($"http://127.0.0.1:{port ?? FreePort.Next()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NpsTriggers.Host.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url.ToString());
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["SurveyLinks__PublicBaseUrl"] = url.ToString();
        start.Environment["SurveyLinks__SigningKey"] = RunningHost.TestSigningKey;
        start.Environment["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("NPS_TEST_LOGLEVEL") ?? "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        start.Environment.Remove(ArmedFailPoints.EnvironmentVariable);
        start.Environment.Remove("DOTNET_STARTUP_HOOKS");
        if (failPoints is not null)
        {
            // The fail points' behaviour is test-side code (NpsTriggers.FailPointHook), loaded before the host's Main.
            start.Environment[ArmedFailPoints.EnvironmentVariable] = failPoints;
            start.Environment["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppContext.BaseDirectory, "NpsTriggers.FailPointHook.dll");
        }

        var process = new Process { StartInfo = start };
        var host = new HostProcess(process, url);
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // An armed fail point can fire before the host answers its first request: that is the test's to check.
            await host.WaitLiveAsync(TimeSpan.FromSeconds(60), mayDie: failPoints is not null);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        while (_output.Count > 2000)
            _output.TryDequeue(out _);
    }

    private async Task WaitLiveAsync(TimeSpan timeout, bool mayDie)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited && mayDie)
                return;
            if (_process.HasExited)
                throw new InvalidOperationException($"The host process exited with {_process.ExitCode} before it was live:\n{Output}");
            try
            {
                using var response = await Http.GetAsync(new Uri("/healthz/live", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The host process was not live within {timeout.TotalSeconds:F0} s:\n{Output}");
    }

    /// <summary>Waits for the process to end (a fail point killed it); its exit code, 137 for SIGKILL.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The host process did not exit within {timeout.TotalSeconds:F0} s:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL, from outside: the process gets no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await KillAsync();
        _process.Dispose();
    }
}
