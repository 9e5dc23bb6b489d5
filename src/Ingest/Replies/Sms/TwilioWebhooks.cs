using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Sms;
using NpsTriggers.Core.Tokens;
using Twilio.Security;
using Twilio.TwiML;

namespace NpsTriggers.Ingest.Replies.Sms;

/// <summary>
/// Twilio's webhooks, each checked against <c>X-Twilio-Signature</c> first, then deduplicated (<see cref="WebhookReceipts"/>)
/// on <c>I-Twilio-Idempotency-Token</c> and on what the signed body names — the inbound <c>MessageSid</c>, a message's
/// status — so a replay changes nothing: the signature has no timestamp, so a captured START sent again after a STOP
/// would otherwise opt the person back in. <c>POST /twilio/status</c> records delivery status (forward only, so late
/// callbacks are no-ops too); <c>POST /twilio/inbound</c> reads replies: a score ("9 great courier"), the "why?" that
/// follows a bare score, keywords (<see cref="SmsKeywords"/>: opt-out, opt-in, help — never taken for an answer), or
/// anything else (the help text). Replies are TwiML; their texts come from <see cref="SmsReplyTexts"/>.
/// </summary>
public static partial class TwilioWebhooks
{
    public static IEndpointRouteBuilder MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        // Twilio signs its requests; antiforgery tokens do not apply to server-to-server webhooks.
        var twilio = app.MapGroup("/twilio").DisableAntiforgery().RequireRateLimiting(RatePolicies.Webhook);
        twilio.MapPost("/status", StatusAsync);
        twilio.MapPost("/inbound", InboundAsync);
        return app;
    }

    private static async Task<IResult> StatusAsync(HttpRequest request, IOptions<TwilioOptions> twilio, IOptions<SurveyLinkOptions> links,
        SmsReplyStore store, WebhookReceipts receipts, CancellationToken cancellationToken)
    {
        if (await VerifiedFormAsync(request, twilio.Value, links.Value, cancellationToken) is not { } form)
            return Forbidden();
        var sid = form.GetValueOrDefault("MessageSid");
        var status = form.GetValueOrDefault("MessageStatus");
        if (string.IsNullOrEmpty(sid) || string.IsNullOrEmpty(status))
            return TypedResults.Problem(title: "MessageSid and MessageStatus are required", statusCode: StatusCodes.Status400BadRequest);
        var errorCode = form.GetValueOrDefault("ErrorCode");
        status = status.ToLowerInvariant();
        var overflowed = errorCode == "30001" && status is "failed" or "undelivered";
        Guid? invitation = Guid.TryParseExact(request.Query["invitation"].ToString(), "N", out var id) ? id : null;
        await using var claim = await receipts.ClaimAsync(Keys(request, $"status:{sid}:{status}:{errorCode}"), cancellationToken);
        if (claim is null)
            return TypedResults.Ok(); // handled before
        await store.RecordStatusAsync(sid, status, errorCode, overflowed ? twilio.Value.QueueOverflowResendAfter : null, cancellationToken, invitation);
        await claim.CompleteAsync(cancellationToken);
        return TypedResults.Ok();
    }

    private static async Task<IResult> InboundAsync(HttpRequest request, IOptions<TwilioOptions> twilio, IOptions<SurveyLinkOptions> links,
        SmsReplyStore store, ResponseStore responses, RulesProvider rules, WebhookReceipts receipts, CancellationToken cancellationToken)
    {
        if (await VerifiedFormAsync(request, twilio.Value, links.Value, cancellationToken) is not { } form)
            return Forbidden();
        var sid = form.GetValueOrDefault("MessageSid");
        await using var claim = await receipts.ClaimAsync(Keys(request, string.IsNullOrEmpty(sid) ? null : $"sms:{sid}"), cancellationToken);
        if (claim is null)
            return TwiMl(null); // handled before; the first answer already replied
        var reply = await ReplyAsync(form, store, responses, rules, cancellationToken);
        await claim.CompleteAsync(cancellationToken);
        return reply;
    }

    private static async Task<IResult> ReplyAsync(Dictionary<string, string> form, SmsReplyStore store, ResponseStore responses, RulesProvider rules,
        CancellationToken cancellationToken)
    {
        var from = form.GetValueOrDefault("From") ?? "";
        var body = (form.GetValueOrDefault("Body") ?? "").Trim();
        // A keyword is never an answer, not even the "why?" after a bare score: HELP there asks for help.
        var keyword = SmsKeywords.Match(body);
        switch (keyword.Kind)
        {
            case SmsKeywordKind.OptOut:
                await store.OptOutAsync(from, cancellationToken);
                return TwiMl(null); // Twilio confirms opt-outs itself; a second message would be noise.
            case SmsKeywordKind.OptIn:
                await store.OptInAsync(from, cancellationToken);
                return TwiMl(SmsReplyTexts.OptedIn(await LanguageAsync(store, from, keyword, cancellationToken)));
            case SmsKeywordKind.Help:
                // Leaves awaiting_comment alone: the comment that follows HELP is still the answer to "why?".
                return TwiMl(SmsReplyTexts.Help(await LanguageAsync(store, from, keyword, cancellationToken)));
        }
        var open = await store.OpenInvitationAsync(from, cancellationToken);
        var scored = ScoreReply().Match(body);
        if (scored.Success)
        {
            if (open is not { } invitation)
                return TwiMl(SmsReplyTexts.NoOpenSurvey(await store.LatestLocaleAsync(from, cancellationToken)));
            var score = int.Parse(scored.Groups["score"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var outcome = await responses.RecordScoreAsync(invitation.Id, score, cancellationToken);
            if (outcome is RecordOutcome.Unknown or RecordOutcome.Closed)
                return TwiMl(SmsReplyTexts.Closed(invitation.Locale));
            var comment = scored.Groups["comment"].Value.Trim();
            if (comment.Length > 0)
            {
                await responses.SetCommentAsync(invitation.Id, comment, cancellationToken);
                await store.SetAwaitingCommentAsync(invitation.Id, false, cancellationToken);
                return TwiMl(SmsReplyTexts.Thanks(invitation.Locale));
            }
            await store.SetAwaitingCommentAsync(invitation.Id, true, cancellationToken);
            var why = rules.Current.Surveys.TryGetValue(invitation.Survey, out var survey)
                ? survey.Texts(invitation.Locale).Why.Render(_ => null)
                : SmsReplyTexts.DefaultWhy(invitation.Locale);
            return TwiMl(SmsReplyTexts.ThanksWhy(invitation.Locale, why));
        }
        if (open is { AwaitingComment: true } awaiting && body.Length > 0)
        {
            await responses.SetCommentAsync(awaiting.Id, body[..Math.Min(body.Length, 2000)], cancellationToken);
            await store.SetAwaitingCommentAsync(awaiting.Id, false, cancellationToken);
            return TwiMl(SmsReplyTexts.Thanks(awaiting.Locale));
        }
        return TwiMl(SmsReplyTexts.Help(open?.Locale ?? await store.LatestLocaleAsync(from, cancellationToken)));
    }

    /// <summary>The language to answer a keyword in: the person's open invitation's, else the keyword's own (the words they
    /// just chose), else their latest invitation's.</summary>
    private static async Task<string?> LanguageAsync(SmsReplyStore store, string from, SmsKeyword keyword, CancellationToken cancellationToken) =>
        (await store.OpenInvitationAsync(from, cancellationToken))?.Locale ?? keyword.Language ?? await store.LatestLocaleAsync(from, cancellationToken);

    /// <summary>A webhook's receipt keys: Twilio's idempotency token (the same on each of its retries) and what the body names.</summary>
    private static List<string> Keys(HttpRequest request, string? signed)
    {
        var keys = new List<string>(2);
        if (request.Headers["I-Twilio-Idempotency-Token"].ToString() is { Length: > 0 } token)
            keys.Add($"token:{token}");
        if (signed is not null)
            keys.Add(signed);
        return keys;
    }

    /// <summary>The form, if its signature matches the URL Twilio called (our public base URL, as a proxy may rewrite the host).</summary>
    private static async Task<Dictionary<string, string>?> VerifiedFormAsync(HttpRequest request, TwilioOptions twilio, SurveyLinkOptions links,
        CancellationToken cancellationToken)
    {
        if (!twilio.Enabled || !request.HasFormContentType)
            return null;
        var form = (await request.ReadFormAsync(cancellationToken)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var url = links.PublicBaseUrl.TrimEnd('/') + request.Path + request.QueryString;
        var signature = request.Headers["X-Twilio-Signature"].ToString();
        // The SDK's validator: HMAC-SHA1 over the URL and the sorted form, compared in constant time (it throws on an
        // empty signature, which is simply unsigned here).
        return signature.Length > 0 && new RequestValidator(twilio.AuthToken!).Validate(url, form, signature) ? form : null;
    }

    private static IResult Forbidden() =>
        TypedResults.Problem(title: "Invalid Twilio signature", statusCode: StatusCodes.Status403Forbidden,
            detail: "X-Twilio-Signature does not match this request; check Twilio:AuthToken and SurveyLinks:PublicBaseUrl.");

    // An empty <Response/> (nothing to send back) is the same every time.
    private static readonly string EmptyTwiMl = new MessagingResponse().ToString(SaveOptions.DisableFormatting);

    private static IResult TwiMl(string? message) => TypedResults.Content(
        message is null ? EmptyTwiMl : new MessagingResponse().Message(message).ToString(SaveOptions.DisableFormatting),
        "text/xml; charset=utf-8");

    // "9", "9 great courier", "10!", "7, slow" — a whole number 0-10 first, then optional text.
    [GeneratedRegex(@"^(?<score>10|[0-9])(?![0-9])(?![.,][0-9])[\s,.:;!\-]*(?<comment>.*)$", RegexOptions.Singleline)]
    private static partial Regex ScoreReply();
}
