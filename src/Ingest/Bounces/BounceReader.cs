using System.Net.Sockets;
using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Core.Privacy;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// Polls the bounce mailbox over IMAP (MailKit's <see cref="ImapClient"/>) every <see cref="BounceOptions.PollInterval"/>:
/// each message not yet flagged is read (<see cref="BounceParser"/>), applied with its receipt (<see cref="BounceStore"/>)
/// and then flagged <see cref="ProcessedKeyword"/>, or <see cref="FailedKeyword"/> when it could not be used (unreadable,
/// naming no invitation, refused by the database), with the reason in the log. Flags are set after the commit, so a crash
/// in between reads the message again and its receipt makes that a no-op. An unreachable server or database is retried
/// with a doubling backoff and turns readiness Degraded; it never stops the host.
/// </summary>
public sealed partial class BounceReader(
    IOptions<BounceOptions> options, BounceStore store, BounceMetrics metrics, BounceReaderStatus status, ILogger<BounceReader> logger) : BackgroundService
{
    public const string ProcessedKeyword = "NpsTriggersProcessed";
    public const string FailedKeyword = "NpsTriggersFailed";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = settings.PollInterval;
            try
            {
                await PollAsync(settings, stoppingToken);
                status.Succeeded();
            }
            catch (Exception e) when (IsOutage(e) && !stoppingToken.IsCancellationRequested)
            {
                var failures = status.Failed(e.Message);
                metrics.PollFailures.Add(1);
                var doubled = settings.PollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
                wait = TimeSpan.FromMilliseconds(Math.Min(doubled, settings.MaxBackoff.TotalMilliseconds));
                LogPollFailed(e, failures, wait.TotalSeconds);
            }
            try
            {
                await Task.Delay(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the mailbox; returns the messages read.</summary>
    public async Task<int> PollAsync(BounceOptions settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var client = new ImapClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        await client.ConnectAsync(settings.Host!, settings.Port, settings.Security, cancellationToken);
        await client.AuthenticateAsync(settings.Username!, settings.Password!, cancellationToken);
        var folder = await client.GetFolderAsync(settings.Folder, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        var uids = await folder.SearchAsync(SearchQuery.NotKeyword(ProcessedKeyword).And(SearchQuery.NotKeyword(FailedKeyword)), cancellationToken);
        var read = 0;
        foreach (var uid in uids.Take(settings.BatchSize))
        {
            using var raw = new MemoryStream();
            await using (var stream = await folder.GetStreamAsync(uid, cancellationToken))
                await stream.CopyToAsync(raw, cancellationToken);
            var keyword = await HandleAsync(raw.ToArray(), cancellationToken);
            await folder.StoreAsync(uid, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen, [keyword]) { Silent = true }, cancellationToken);
            read++;
        }
        await client.DisconnectAsync(quit: true, cancellationToken);
        return read;
    }

    private async Task<string> HandleAsync(byte[] raw, CancellationToken cancellationToken)
    {
        using var parsed = new MemoryStream(raw, writable: false);
        var report = BounceParser.Parse(parsed, cancellationToken);
        string? outcome;
        try
        {
            outcome = await store.ApplyAsync(Key(raw), report, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState[..2] is "22" or "23" or "54")
        {
            // What the message holds, not the database being away: this message can never go in; the others can.
            metrics.Read(report.KindName, "error");
            LogUnusable(report.KindName, $"database refused it: {e.MessageText}");
            return FailedKeyword;
        }
        metrics.Read(report.KindName, outcome ?? "duplicate");
        if (report.Kind == BounceKind.Unreadable || outcome == "unmatched")
        {
            LogUnusable(report.KindName, PersonalData.Redact(report.Detail) + (outcome == "unmatched" ? "; it names no invitation of this service" : ""));
            return FailedKeyword;
        }
        LogApplied(report.KindName, report.InvitationId, report.Status, outcome ?? "duplicate");
        return ProcessedKeyword;
    }

    /// <summary>The report's own Message-Id, or a hash of its bytes when it has none (garbage has none).</summary>
    public static string Key(byte[] raw)
    {
        using var stream = new MemoryStream(raw, writable: false);
        try
        {
            var headers = MimeKit.HeaderList.Load(stream);
            if (headers["Message-Id"] is { Length: > 0 and < 900 } id)
                return "message-id:" + id.Trim();
        }
        catch (FormatException)
        {
            // Not even headers: the bytes themselves are the key.
        }
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw));
    }

    private static bool IsOutage(Exception e) =>
        e is IOException or SocketException or TimeoutException or ImapProtocolException or ImapCommandException or ServiceNotConnectedException
            or ServiceNotAuthenticatedException or MailKit.Security.AuthenticationException or FolderNotFoundException or OperationCanceledException
        || e is NpgsqlException { IsTransient: true } || e is NpgsqlException and not PostgresException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce mailbox poll failed ({Failures} in a row); next try in {Seconds:F1} s")]
    private partial void LogPollFailed(Exception exception, int failures, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce mailbox message ({Kind}) flagged " + FailedKeyword + ": {Reason}")]
    private partial void LogUnusable(string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bounce mailbox message ({Kind}) for invitation {InvitationId}, status {Status}: {Outcome}")]
    private partial void LogApplied(string kind, Guid? invitationId, string? status, string outcome);
}
