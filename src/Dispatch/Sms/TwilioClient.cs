using Microsoft.Extensions.Options;
using NpsTriggers.Core.Sms;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace NpsTriggers.Dispatch.Sms;

/// <summary>
/// Twilio's Messages API through the Twilio SDK (<see cref="MessageResource"/>), sending over the typed
/// <see cref="System.Net.Http.HttpClient"/> whose pipeline (see <see cref="SmsExtensions"/>) redirects, cancels
/// (<see cref="TwilioSdkBridge"/>) and retries only what cannot have been sent (429, refused connections). What Twilio
/// refuses surfaces as an <see cref="SmsSendException"/> classified from Twilio's error code.
/// </summary>
public sealed class TwilioClient
{
    /// <summary>Twilio errors that retrying cannot fix (https://www.twilio.com/docs/api/errors).</summary>
    private static readonly HashSet<int> PermanentCodes = [21211, 21214, 21217, 21401, 21407, 21408, 21421, 21606, 21610, 21612, 21614, 21660];

    private readonly TwilioOptions _options;
    private readonly TwilioRestClient? _client;
    private readonly PhoneNumber? _from;

    public TwilioClient(System.Net.Http.HttpClient http, IOptions<TwilioOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        if (!_options.Enabled)
            return;
        // Built once: the SDK client holds no per-message state, and SmsChannel keeps this instance for the process.
        _client = new TwilioRestClient(_options.AccountSid, _options.AuthToken, httpClient: new SystemNetHttpClient(http));
        _from = string.IsNullOrWhiteSpace(_options.MessagingServiceSid) ? new PhoneNumber(_options.From) : null;
    }

    public sealed record SentMessage(string Sid, string Status);

    public async Task<SentMessage> SendAsync(string to, string body, Uri? statusCallback, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new SmsSendException("the sms channel is not configured (Twilio:AccountSid is empty)", permanent: true);
        cancellationToken.ThrowIfCancellationRequested();
        var message = new CreateMessageOptions(new PhoneNumber(to)) { Body = body, StatusCallback = statusCallback };
        if (_from is null)
            message.MessagingServiceSid = _options.MessagingServiceSid;
        else
            message.From = _from;
        // Only this async flow sees it; the bridge handler links it into the request and its retries.
        TwilioSdkBridge.Cancellation.Value = cancellationToken;
        try
        {
            var sent = await MessageResource.CreateAsync(message, client);
            return new SentMessage(sent.Sid, sent.Status?.ToString() ?? "queued");
        }
        catch (ApiConnectionException e) when (e.InnerException is SmsSendException answered)
        {
            throw answered; // an error page from in front of Twilio, classified by the bridge
        }
        catch (ApiConnectionException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The SMS send was cancelled.", e, cancellationToken);
        }
        catch (ApiConnectionException e)
        {
            // Refused, timed out, or the circuit is open: the inner exception says which.
            throw new SmsSendException($"Twilio unreachable: {(e.InnerException ?? e).Message}", permanent: false, inner: e);
        }
        catch (ApiException e) when (e.Code != 0 || e.Status != 0)
        {
            throw Refused(e.Status, e.Code, e.Message, e);
        }
        catch (ApiStandardException e) when (e.Code != 0 || e.Status != 0)
        {
            // Twilio's newer APIs answer errors as RFC 9457 problem details; the Messages API may follow.
            throw Refused(e.Status, e.Code, e.Detail ?? e.Title ?? e.Message, e);
        }
        catch (TwilioException e)
        {
            // JSON that is neither Twilio's error nor its message resource: report what the SDK could not read.
            throw new SmsSendException($"Twilio's answer could not be read: {e.Message}", permanent: false, inner: e);
        }
    }

    private static SmsSendException Refused(int status, int code, string message, Exception inner)
    {
        var permanent = code != 0 ? PermanentCodes.Contains(code) : status is >= 400 and < 500 and not 429 and not 401 and not 403;
        return new SmsSendException($"Twilio {status}{(code == 0 ? "" : $" error {code}")}: {message}", permanent, code == 0 ? null : code, inner);
    }
}
