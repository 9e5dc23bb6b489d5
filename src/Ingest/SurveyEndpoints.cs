using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Ingest.Pages;
using NpsTriggers.Ingest.Responses;

namespace NpsTriggers.Ingest;

/// <summary>
/// Customer links. <c>GET /s/{token}</c> records the score the token carries (one click in the email), then asks
/// "why?"; <c>POST /s/{token}</c> stores the comment; <c>/u/{token}</c> is the RFC 8058 unsubscribe target, where
/// only the POST unsubscribes because mail scanners fetch every link with GET.
/// </summary>
public static class SurveyEndpoints
{
    public static IEndpointRouteBuilder MapSurveyPages(this IEndpointRouteBuilder app)
    {
        // The signed token in the path is the capability; there is no session to forge requests against,
        // and RFC 8058 POSTs come from mail providers, so antiforgery tokens do not apply here.
        var survey = app.MapGroup("/s").DisableAntiforgery();
        survey.MapGet("/{token}", AnswerAsync);
        survey.MapPost("/{token}", CommentAsync);
        var unsubscribe = app.MapGroup("/u").DisableAntiforgery();
        unsubscribe.MapGet("/{token}", (string token) => Page(StatusCodes.Status200OK, SurveyPages.Unsubscribe($"/u/{token}")));
        unsubscribe.MapPost("/{token}", UnsubscribeAsync);
        return app;
    }

    private static async Task<ContentHttpResult> AnswerAsync(
        string token, SurveyLinks links, ResponseStore responses, RulesProvider rules, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Refuse(token, links, time, requireScore: true, out var decoded) is { } refused)
            return refused;
        var (outcome, surveyName) = await responses.RecordScoreAsync(decoded.InvitationId, decoded.Score!.Value, cancellationToken);
        if (Closed(outcome) is { } closed)
            return closed;
        var why = surveyName is not null && rules.Current.Surveys.TryGetValue(surveyName, out var survey)
            ? survey.Default.Why.Render(_ => null)
            : "What is the main reason for your score?";
        return Page(StatusCodes.Status200OK, SurveyPages.Why(decoded.Score.Value, why, $"/s/{token}", outcome == RecordOutcome.Changed));
    }

    private static async Task<ContentHttpResult> CommentAsync(
        string token, HttpRequest request, SurveyLinks links, ResponseStore responses, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Refuse(token, links, time, requireScore: true, out var decoded) is { } refused)
            return refused;
        if (!request.HasFormContentType)
            return Page(StatusCodes.Status415UnsupportedMediaType, SurveyPages.Error("Unsupported form", "Send the comment as a form."));
        var form = await request.ReadFormAsync(cancellationToken);
        var comment = form["comment"].ToString().Trim();
        if (comment.Length > SurveyPages.MaxComment)
            return Page(StatusCodes.Status400BadRequest, SurveyPages.Error("Comment too long", $"Please keep your comment under {SurveyPages.MaxComment} characters."));
        // Posting the form also counts as the click, so a comment is never stored without its score.
        var (outcome, _) = await responses.RecordScoreAsync(decoded.InvitationId, decoded.Score!.Value, cancellationToken);
        if (Closed(outcome) is { } closed)
            return closed;
        if (comment.Length > 0)
            await responses.SetCommentAsync(decoded.InvitationId, comment, cancellationToken);
        return Page(StatusCodes.Status200OK, SurveyPages.Thanks());
    }

    private static async Task<ContentHttpResult> UnsubscribeAsync(
        string token, SurveyLinks links, ResponseStore responses, TimeProvider time, CancellationToken cancellationToken)
    {
        // An unsubscribe link keeps working after the survey closes: people must always be able to opt out.
        var error = links.Codec.TryDecode(token, DateTimeOffset.MinValue, out var decoded);
        if (error != TokenError.None || decoded.Score is not null)
            return Page(StatusCodes.Status400BadRequest, SurveyPages.Error("This link is not valid", "Please use the unsubscribe link from your email."));
        if (!await responses.UnsubscribeAsync(decoded.InvitationId, cancellationToken))
            return Page(StatusCodes.Status404NotFound, SurveyPages.Error("Unknown link", "We could not find this survey."));
        return Page(StatusCodes.Status200OK, SurveyPages.Unsubscribed());
    }

    private static ContentHttpResult? Refuse(string token, SurveyLinks links, TimeProvider time, bool requireScore, out SurveyToken decoded)
    {
        var error = links.Codec.TryDecode(token, time.GetUtcNow(), out decoded);
        return error switch
        {
            TokenError.None when requireScore && decoded.Score is null =>
                Page(StatusCodes.Status400BadRequest, SurveyPages.Error("This link is not valid", "This link does not carry a score.")),
            TokenError.None => null,
            TokenError.Expired => Page(StatusCodes.Status410Gone, SurveyPages.Error("This survey has closed", "Thank you for your interest; answers are no longer accepted.")),
            _ => Page(StatusCodes.Status400BadRequest, SurveyPages.Error("This link is not valid", "The link may have been cut or changed. Please use the link from your email.")),
        };
    }

    private static ContentHttpResult? Closed(RecordOutcome outcome) => outcome switch
    {
        RecordOutcome.Unknown => Page(StatusCodes.Status404NotFound, SurveyPages.Error("Unknown survey", "We could not find this survey.")),
        RecordOutcome.Closed => Page(StatusCodes.Status410Gone, SurveyPages.Error("This survey has closed", "Answers are no longer accepted.")),
        _ => null,
    };

    private static ContentHttpResult Page(int status, string html) =>
        TypedResults.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
}
