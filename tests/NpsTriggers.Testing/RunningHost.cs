using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NpsTriggers.Host;

namespace NpsTriggers.Testing;

/// <summary>
/// The real host, built exactly as Program.cs builds it, listening on a loopback port over real HTTP, with
/// test settings layered over appsettings.json and, optionally, a fake clock.
/// </summary>
public sealed class RunningHost : IAsyncDisposable
{
    private RunningHost(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };
        Ops = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };
        Ops.DefaultRequestHeaders.Add("X-Api-Key", TestKeys.Admin);
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    /// <summary>A client that sends <see cref="TestKeys.Admin"/>, for the ops endpoints of a host configured with it.</summary>
    public HttpClient Ops { get; }
    public IServiceProvider Services => App.Services;

    /// <summary>A base64 32-byte key for tests only.</summary>
    public const string TestSigningKey = "dGVzdC1vbmx5LXNpZ25pbmcta2V5LTMyLWJ5dGVzLSE=";

    /// <summary>
    /// Builds and starts the host; <paramref name="environment"/> names the host environment (the default is Production,
    /// as in a deployment, since nothing sets one).
    /// </summary>
    public static async Task<RunningHost> StartAsync(IDictionary<string, string?> settings, TimeProvider? time = null, int? port = null, LogCapture? logs = null,
        string? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var bound = port ?? FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{bound}");
        var all = new Dictionary<string, string?>
        {
            ["SurveyLinks:PublicBaseUrl"] = url.ToString(),
            ["SurveyLinks:SigningKey"] = TestSigningKey,
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("NPS_TEST_LOGLEVEL") ?? "Warning",
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        // The content root is where the shipped appsettings.json was copied (this assembly's folder), as in a deployment,
        // whatever folder the caller runs from: the benchmarks run from the repository's root, where there is none.
        string[] args = ["--urls", url.ToString(), "--contentRoot", AppContext.BaseDirectory, .. environment is null ? [] : new[] { "--environment", environment }];
        var app = NpsHost.Build(args, builder =>
        {
            builder.Configuration.AddInMemoryCollection(all);
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole();
            if (logs is not null)
                builder.Logging.AddProvider(logs);
            if (time is not null)
                builder.Services.AddSingleton(time);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new RunningHost(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Ops.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
    }
}
