using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Ingest.Loop;

/// <summary>
/// Delivers the outbox's webhook rows (<c>webhook:&lt;name&gt;</c>, written with the response change): claim a batch
/// (SKIP LOCKED, lease), POST each alert, mark 2xx delivered, put anything else back with backoff (honouring
/// <c>Retry-After</c>). Nothing is dropped: a webhook that stays down keeps its alerts pending, with the reason in
/// <c>last_error</c>, and they go out when it recovers. At-least-once; <c>X-Nps-Event-Id</c> lets receivers dedupe.
/// </summary>
public sealed partial class AlertSender(
    OutboxStore store, IHttpClientFactory clients, IOptionsMonitor<AlertOptions> alerts, IOptions<OutboxOptions> outbox,
    OutboxMetrics metrics, ILogger<AlertSender> logger) : BackgroundService
{
    public const string ClientName = "alerts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var settings = outbox.Value;
        // While PostgreSQL is away, a round (its claim and the marks of its sends) backs off from half a second, doubling up
        // to Outbox:MaxBackoff, and then claims again: rows claimed by the failed round wait for their lease.
        var retry = DatabaseRetry.Create(TimeSpan.FromSeconds(0.5), settings.MaxBackoff, onRetry: (e, _, _) => LogDatabaseUnavailable(e));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!await retry.ExecuteAsync(token => RoundAsync(settings, token), stoppingToken))
                    await Task.Delay(settings.PollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: claimed rows go back to the pool when their lease runs out.
        }
    }

    /// <summary>Claims a batch and sends each alert; false when there was nothing to send.</summary>
    private async ValueTask<bool> RoundAsync(OutboxOptions settings, CancellationToken stoppingToken)
    {
        var rows = await store.ClaimAsync(ResponseOutbox.WebhookPrefix + "%", settings.BatchSize, settings.Lease, stoppingToken);
        if (rows.Count == 0)
            return false;
        // Webhooks are independent: one slow or failing receiver must not hold up the others' alerts.
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = stoppingToken },
            async (row, cancellationToken) => await SendAsync(row, settings, cancellationToken));
        return true;
    }

    private async Task SendAsync(OutboxRow row, OutboxOptions settings, CancellationToken cancellationToken)
    {
        var name = row.Destination[ResponseOutbox.WebhookPrefix.Length..];
        if (!alerts.CurrentValue.Webhooks.TryGetValue(name, out var hook))
        {
            // Kept, not dropped: the webhook may come back in the configuration; the error says why nothing is sent.
            await store.MarkFailedAsync(row.Id, $"webhook '{name}' is not configured (Alerts:Webhooks:{name})", settings.MaxBackoff, CancellationToken.None);
            return;
        }
        string? error;
        TimeSpan? retryAfter = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = JsonContent.Create(SlackMessage.FromEvent(row.Payload)) };
            request.Headers.Add("X-Nps-Event-Id", row.EventId);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(alerts.CurrentValue.AttemptTimeout);
            using var response = await clients.CreateClient(ClientName).SendAsync(request, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                await store.MarkDeliveredAsync([row.Id], CancellationToken.None);
                metrics.Delivered("webhook");
                return;
            }
            error = $"HTTP {(int)response.StatusCode} from webhook '{name}'";
            if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta is { } delta)
                retryAfter = delta;
        }
        catch (HttpRequestException e)
        {
            error = $"webhook '{name}': {e.Message}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"webhook '{name}' did not answer within {alerts.CurrentValue.AttemptTimeout}";
        }
        var backoff = OutboxStore.Backoff(row.Attempts, settings.MaxBackoff);
        LogAlertFailed(row.EventId, row.Attempts, error);
        metrics.Failed("webhook");
        await store.MarkFailedAsync(row.Id, error, retryAfter > backoff ? retryAfter.Value : backoff, CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alerts: PostgreSQL unavailable, backing off")]
    private partial void LogDatabaseUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert for {EventId} not delivered (attempt {Attempts}), will retry: {Error}")]
    private partial void LogAlertFailed(string eventId, int attempts, string error);
}
