using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NpsTriggers.Testing;

/// <summary>
/// A local HTTP stand-in for Twilio that follows its documented REST API: <c>POST
/// /2010-04-01/Accounts/{AccountSid}/Messages.json</c> with basic auth and form fields, <c>201</c> with a message
/// resource, JSON errors with Twilio codes (20003 authentication, 21211 invalid To, 21602 missing Body, 21610
/// unsubscribed recipient, 20429 too many requests with Retry-After). It also plays Twilio's side of the
/// webhooks: signed status callbacks and inbound messages. The service reaches it through the Twilio SDK, whose
/// requests its bridge handler redirects here from api.twilio.com.
/// </summary>
public sealed partial class TwilioStandIn : IAsyncDisposable
{
    public const string AccountSid = "AC00000000000000000000000000000001";
    public const string AuthToken = "stand-in-auth-token-0123456789abcdef";
    public const string From = "+15005550006";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, int Code, string Message, int? RetryAfter, string? Page)> _scripted = new();
    private readonly HttpClient _webhooks = new();

    public sealed record Message(string Sid, string To, string Body, string? StatusCallback)
    {
        /// <summary>The sender as posted: a <c>From</c> number, or <c>MessagingServiceSid</c> when that was sent instead.</summary>
        public string? From { get; init; }
        public string? MessagingServiceSid { get; init; }

        /// <summary>When its request arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), before the stand-in's latency.</summary>
        public long ReceivedAt { get; init; }

        /// <summary>When the stand-in accepted it (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), for rate measurements.</summary>
        public long AcceptedAt { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private TwilioStandIn(WebApplication app, Uri baseAddress, TimeSpan latency, TimeSpan jitter)
    {
        _app = app;
        BaseAddress = baseAddress;
        _latency = latency;
        _jitter = jitter;
    }

    // Real providers answer in 100-300 ms (Twilio's Messages API) where a loopback stand-in answers in one: a latency
    // models them, so a design bound by round trips shows in tests and benchmarks.
    private readonly TimeSpan _latency;
    private readonly TimeSpan _jitter;
    private int _concurrent;
    private int _maxConcurrent;

    /// <summary>API calls being answered right now.</summary>
    public int Concurrent => Volatile.Read(ref _concurrent);

    /// <summary>The most API calls this stand-in was answering at once.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public Uri BaseAddress { get; }

    /// <summary>The service's settings that send its SMS through this stand-in, with its account and signing token.</summary>
    public (string Key, string? Value)[] Settings =>
    [
        ("Twilio:AccountSid", AccountSid), ("Twilio:AuthToken", AuthToken), ("Twilio:From", From), ("Twilio:BaseAddress", BaseAddress.ToString()),
    ];
    public ConcurrentQueue<Message> Messages { get; } = new();
    public ConcurrentBag<string> Unsubscribed { get; } = [];
    public int Requests => _requests;
    private int _requests;

    /// <summary>When the stand-in last answered with a scripted failure (a <see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 before any).</summary>
    public long LastFailedAt => Interlocked.Read(ref _lastFailedAt);
    private long _lastFailedAt;

    /// <summary>
    /// Starts the stand-in. Each API call is answered after <paramref name="latency"/> plus a uniform random
    /// 0..<paramref name="jitter"/> either way (never below zero); by default at once.
    /// </summary>
    public static async Task<TwilioStandIn> StartAsync(TimeSpan? latency = null, TimeSpan? jitter = null)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new TwilioStandIn(app, new Uri($"http://127.0.0.1:{port}"), latency ?? TimeSpan.Zero, jitter ?? TimeSpan.Zero);
        app.MapPost("/2010-04-01/Accounts/{account}/Messages.json", standIn.CreateMessageAsync);
        await app.StartAsync();
        return standIn;
    }

    /// <summary>The next API calls fail like this, in order (e.g. 429 / 20429 with Retry-After).</summary>
    public void FailNext(int status, int code, string message, int? retryAfterSeconds = null) =>
        _scripted.Enqueue((status, code, message, retryAfterSeconds, null));

    /// <summary>The next API call is answered by something in front of Twilio: <paramref name="status"/> with an HTML page.</summary>
    public void FailNextWithPage(int status, string html) => _scripted.Enqueue((status, 0, "", null, html));

    /// <summary>Drops the failures still scripted: the provider has recovered.</summary>
    public void ClearFailures() => _scripted.Clear();

    private async Task<IResult> CreateMessageAsync(string account, HttpRequest request)
    {
        var received = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _requests);
        var concurrent = Interlocked.Increment(ref _concurrent);
        for (var max = _maxConcurrent; concurrent > max; max = _maxConcurrent)
            Interlocked.CompareExchange(ref _maxConcurrent, concurrent, max);
        try
        {
            if (Delay() is var delay && delay > TimeSpan.Zero)
                await Task.Delay(delay);
            return await AnswerAsync(account, request, received);
        }
        finally
        {
            Interlocked.Decrement(ref _concurrent);
        }
    }

    /// <summary>This call's answer time: the latency plus uniform jitter in [-jitter, +jitter].</summary>
    private TimeSpan Delay() =>
        _latency + _jitter * (2 * Random.Shared.NextDouble() - 1) is var delay && delay > TimeSpan.Zero ? delay : TimeSpan.Zero;

    private async Task<IResult> AnswerAsync(string account, HttpRequest request, long received)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        if (account != AccountSid || request.Headers.Authorization.ToString() != expected)
            return Error(401, 20003, "Authenticate");
        if (_scripted.TryDequeue(out var failure))
        {
            Interlocked.Exchange(ref _lastFailedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            if (failure.RetryAfter is { } seconds)
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (failure.Page is { } page)
                return Results.Content(page, "text/html; charset=utf-8", Encoding.UTF8, failure.Status);
            return Error(failure.Status, failure.Code, failure.Message);
        }
        var form = await request.ReadFormAsync();
        var to = form["To"].ToString();
        if (!E164().IsMatch(to))
            return Error(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        if (string.IsNullOrEmpty(form["From"]) && string.IsNullOrEmpty(form["MessagingServiceSid"]))
            return Error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
        if (string.IsNullOrEmpty(form["Body"]))
            return Error(400, 21602, "Message body is required.");
        if (Unsubscribed.Contains(to))
            return Error(400, 21610, "Attempt to send to unsubscribed recipient");
        var sid = "SM" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var callback = form["StatusCallback"].ToString();
        var from = form["From"].ToString();
        var service = form["MessagingServiceSid"].ToString();
        Messages.Enqueue(new Message(sid, to, form["Body"].ToString(), callback.Length == 0 ? null : callback)
        {
            From = from.Length == 0 ? null : from, MessagingServiceSid = service.Length == 0 ? null : service, ReceivedAt = received,
        });
        // The message resource as Twilio documents it (https://www.twilio.com/docs/messaging/api/message-resource),
        // dates in RFC 2822 as Twilio writes them.
        var now = TimeProvider.System.GetUtcNow().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture);
        var uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{sid}";
        return Results.Json(new Dictionary<string, object?>
        {
            ["account_sid"] = AccountSid, ["api_version"] = "2010-04-01", ["body"] = form["Body"].ToString(), ["date_created"] = now,
            ["date_sent"] = null, ["date_updated"] = now, ["direction"] = "outbound-api", ["error_code"] = null, ["error_message"] = null,
            ["from"] = from.Length == 0 ? null : from, ["messaging_service_sid"] = service.Length == 0 ? null : service, ["num_media"] = "0",
            ["num_segments"] = "1", ["price"] = null, ["price_unit"] = "USD", ["sid"] = sid, ["status"] = service.Length == 0 ? "queued" : "accepted",
            ["subresource_uris"] = new Dictionary<string, string> { ["media"] = uri + "/Media.json" }, ["to"] = to, ["uri"] = uri + ".json",
        }, statusCode: 201);
    }

    private static IResult Error(int status, int code, string message) => Results.Json(new Dictionary<string, object?>
    {
        ["code"] = code, ["message"] = message, ["more_info"] = $"https://www.twilio.com/docs/errors/{code}", ["status"] = status,
    }, statusCode: status);

    /// <summary>Posts a signed status callback for a message, as Twilio does.</summary>
    public Task<HttpResponseMessage> SendStatusAsync(Message message, string status, string? errorCode = null, string? idempotencyToken = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["MessageSid"] = message.Sid, ["SmsSid"] = message.Sid, ["MessageStatus"] = status,
            ["SmsStatus"] = status, ["To"] = message.To, ["From"] = From, ["ApiVersion"] = "2010-04-01",
        };
        if (errorCode is not null)
            form["ErrorCode"] = errorCode;
        return PostSignedAsync(new Uri(message.StatusCallback!), form, idempotencyToken: idempotencyToken);
    }

    /// <summary>
    /// Posts a signed inbound-message webhook: <paramref name="from"/> texted <paramref name="body"/> to our number. Give
    /// <paramref name="messageSid"/> and <paramref name="idempotencyToken"/> of an earlier one to replay it.
    /// </summary>
    public Task<HttpResponseMessage> SendInboundAsync(Uri webhook, string from, string body, string? messageSid = null, string? idempotencyToken = null) =>
        PostSignedAsync(webhook, new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid, ["MessageSid"] = messageSid ?? "SM" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["From"] = from, ["To"] = From, ["Body"] = body, ["NumMedia"] = "0", ["ApiVersion"] = "2010-04-01",
        }, idempotencyToken: idempotencyToken);

    /// <summary>
    /// Posts a signed webhook as Twilio does, with an <c>I-Twilio-Idempotency-Token</c> that Twilio keeps across its
    /// retries of one webhook (a fresh one unless <paramref name="idempotencyToken"/> is given).
    /// </summary>
    public async Task<HttpResponseMessage> PostSignedAsync(Uri url, Dictionary<string, string> form, string? signature = null, string? idempotencyToken = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? Sign(url.ToString(), form));
        request.Headers.Add("I-Twilio-Idempotency-Token", idempotencyToken ?? Guid.NewGuid().ToString());
        return await _webhooks.SendAsync(request);
    }

    // Written apart from the service's validator on purpose, so a shared mistake cannot hide.
    private static string Sign(string url, Dictionary<string, string> form)
    {
        var keys = form.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        var payload = url + string.Concat(keys.Select(k => k + form[k]));
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(AuthToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(payload)));
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    public async ValueTask DisposeAsync()
    {
        _webhooks.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
