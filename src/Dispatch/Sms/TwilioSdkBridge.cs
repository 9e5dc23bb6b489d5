using System.Net;
using NpsTriggers.Core.Sms;

namespace NpsTriggers.Dispatch.Sms;

/// <summary>
/// The outermost handler of the "twilio" <see cref="HttpClient"/>, for what the Twilio SDK cannot say itself. The SDK
/// always calls <c>https://api.twilio.com</c> (its region and edge settings only change the host name), so requests
/// are sent to <see cref="TwilioOptions.BaseAddress"/> instead when that is set elsewhere (a local stand-in, an
/// egress proxy). The SDK takes no <see cref="CancellationToken"/>, so the caller's rides along in
/// <see cref="Cancellation"/> and cancels the request with its retries. And the SDK drops the HTTP status of an error
/// answer that is not Twilio's JSON (a proxy's HTML page), so such an answer becomes an <see cref="SmsSendException"/>
/// here, with its status, which <see cref="TwilioClient"/> takes back out of the SDK's wrapper.
/// </summary>
public sealed class TwilioSdkBridge(TwilioOptions options) : DelegatingHandler
{
    /// <summary>The host the SDK addresses.</summary>
    public const string TwilioApiHost = "api.twilio.com";

    /// <summary>The cancellation of the send in flight on this async flow (set by <see cref="TwilioClient"/>).</summary>
    internal static readonly AsyncLocal<CancellationToken> Cancellation = new();

    private readonly Uri? _redirect = options.BaseAddress.Host.Equals(TwilioApiHost, StringComparison.OrdinalIgnoreCase)
                                      && options.BaseAddress.Scheme == Uri.UriSchemeHttps && options.BaseAddress.IsDefaultPort
                                      && options.BaseAddress.AbsolutePath == "/"
        ? null
        : new Uri(options.BaseAddress.ToString().TrimEnd('/') + "/");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_redirect is not null && request.RequestUri is { } uri && uri.Host.EndsWith("twilio.com", StringComparison.OrdinalIgnoreCase))
            request.RequestUri = new Uri(_redirect, uri.PathAndQuery.TrimStart('/'));
        var caller = Cancellation.Value;
        HttpResponseMessage response;
        if (caller.CanBeCanceled)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, caller);
            response = await base.SendAsync(request, linked.Token);
        }
        else
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        if (response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.OrdinalIgnoreCase) == true)
            return response;
        using (response)
            throw await NotTwilioAsync(response, cancellationToken);
    }

    /// <summary>An error answered by something in front of Twilio: classified by its status as the JSON ones are by code.</summary>
    private static async Task<SmsSendException> NotTwilioAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (text.Length > 500)
            text = text[..500] + "…";
        var permanent = status is >= 400 and < 500 and not (int)HttpStatusCode.TooManyRequests
            and not (int)HttpStatusCode.Unauthorized and not (int)HttpStatusCode.Forbidden;
        return new SmsSendException($"Twilio {status} (not Twilio's error body): {text}", permanent);
    }
}
