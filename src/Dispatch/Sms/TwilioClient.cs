using NpsTriggers.Core.Sms;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Dispatch.Sms;

/// <summary>
/// Twilio's Messages API over a typed <see cref="HttpClient"/>: <c>POST /2010-04-01/Accounts/{AccountSid}/Messages.json</c>,
/// form-encoded, basic auth. Its resilience pipeline ("twilio", see <see cref="SmsExtensions"/>) retries only what
/// cannot have been sent (429, refused connections); everything else surfaces as an <see cref="SmsSendException"/>
/// classified from Twilio's error code.
/// </summary>
public sealed class TwilioClient(HttpClient http, IOptions<TwilioOptions> options)
{
    /// <summary>Twilio errors that retrying cannot fix (https://www.twilio.com/docs/api/errors).</summary>
    private static readonly HashSet<int> PermanentCodes = [21211, 21214, 21217, 21401, 21407, 21408, 21421, 21606, 21610, 21612, 21614, 21660];

    public sealed record SentMessage(string Sid, string Status);

    public async Task<SentMessage> SendAsync(string to, string body, Uri? statusCallback, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("Body", body) };
        form.Add(string.IsNullOrWhiteSpace(settings.MessagingServiceSid)
            ? new("From", settings.From!)
            : new("MessagingServiceSid", settings.MessagingServiceSid));
        if (statusCallback is not null)
            form.Add(new("StatusCallback", statusCallback.ToString()));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/2010-04-01/Accounts/{Uri.EscapeDataString(settings.AccountSid!)}/Messages.json")
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException
                                       or Polly.CircuitBreaker.BrokenCircuitException && !cancellationToken.IsCancellationRequested)
        {
            throw new SmsSendException($"Twilio unreachable: {e.Message}", permanent: false, inner: e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.Created || response.IsSuccessStatusCode)
            {
                using var ok = JsonDocument.Parse(text);
                return new SentMessage(ok.RootElement.GetProperty("sid").GetString()!, ok.RootElement.TryGetProperty("status", out var s) ? s.GetString() ?? "queued" : "queued");
            }
            int? code = null;
            var message = text;
            try
            {
                using var error = JsonDocument.Parse(text);
                if (error.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number)
                    code = c.GetInt32();
                if (error.RootElement.TryGetProperty("message", out var m))
                    message = m.GetString() ?? text;
            }
            catch (JsonException)
            {
                // Not Twilio's JSON error body (a proxy page, say): report the raw text.
            }
            var status = (int)response.StatusCode;
            var permanent = code is { } known ? PermanentCodes.Contains(known) : status is >= 400 and < 500 and not 429 and not 401 and not 403;
            throw new SmsSendException($"Twilio {status}{(code is null ? "" : $" error {code}")}: {message}", permanent, code);
        }
    }
}
