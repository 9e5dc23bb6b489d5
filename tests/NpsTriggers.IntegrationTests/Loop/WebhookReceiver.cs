using System.Net;
using System.Text.Json;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Loop;

/// <summary>A real HTTP endpoint standing in for a Slack incoming webhook: answers 500 to the first requests, then 200.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _failuresLeft;

    public WebhookReceiver(int failFirst)
    {
        _failuresLeft = failFirst;
        Url = $"http://127.0.0.1:{FreePort.Next()}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Every request, failed ones included: (event id header, body, status answered).</summary>
    public List<(string EventId, JsonElement Body, int Status)> Requests { get; } = [];

    public List<(string EventId, JsonElement Body)> Accepted
    {
        get
        {
            lock (Requests)
                return [.. Requests.Where(r => r.Status == 200).Select(r => (r.EventId, r.Body))];
        }
    }

    public int Count
    {
        get
        {
            lock (Requests)
                return Requests.Count;
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (HttpListenerException)
            {
                return; // stopped
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
            var status = Interlocked.Decrement(ref _failuresLeft) >= 0 ? 500 : 200;
            lock (Requests)
                Requests.Add((context.Request.Headers["X-Nps-Event-Id"] ?? "", body.RootElement.Clone(), status));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
