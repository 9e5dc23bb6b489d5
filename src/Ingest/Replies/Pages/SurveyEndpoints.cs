using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Access;
using NpsTriggers.Core.Rules;
using NpsTriggers.Core.Tokens;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// Customer links. <c>GET /s/{token}</c> shows the survey form with the token's score selected and records nothing:
/// mail scanners fetch every link of a message. The page records the score itself — its script posts to
/// <c>POST /s/{token}/answer</c> on load, idempotent per invitation — so one click stays one click; without script,
/// its Send button posts the form. <c>POST /s/{token}</c> takes the form (score, why, contact consent) and thanks;
/// <c>/u/{token}</c> is the RFC 8058 unsubscribe target, where likewise only the POST unsubscribes. Pages speak the
/// invitation's language (else the browser's), see <see cref="PageText"/>, and carry <see cref="CustomerPageHeaders"/>.
/// </summary>
public static class SurveyEndpoints
{
    public static IEndpointRouteBuilder MapSurveyPages(this IEndpointRouteBuilder app)
    {
        // The signed token in the path is the capability; there is no session to forge requests against,
        // and RFC 8058 POSTs come from mail providers, so antiforgery tokens do not apply here.
        var survey = app.MapGroup("/s").DisableAntiforgery().RequireRateLimiting(RatePolicies.Customer).WithCustomerPageHeaders();
        survey.MapGet("/{token}", ShowAsync);
        survey.MapPost("/{token}/answer", AnswerAsync);
        survey.MapPost("/{token}", SubmitAsync);
        var unsubscribe = app.MapGroup("/u").DisableAntiforgery().RequireRateLimiting(RatePolicies.Customer).WithCustomerPageHeaders();
        unsubscribe.MapGet("/{token}", ConfirmUnsubscribeAsync);
        unsubscribe.MapPost("/{token}", UnsubscribeAsync);
        return app;
    }

    /// <summary>What every page handler needs.</summary>
    private sealed record Context(SurveyLinks Links, ResponseStore Responses, SurveyPageStore Pages, RulesProvider Rules, TimeProvider Time,
        IOptions<BrandingOptions> Branding);

    /// <summary>The form with the link's score selected; one read, no write.</summary>
    private static async Task<ContentHttpResult> ShowAsync(string token, HttpRequest request, SurveyLinks links, ResponseStore responses,
        SurveyPageStore pages, RulesProvider rules, TimeProvider time, IOptions<BrandingOptions> branding, CancellationToken cancellationToken)
    {
        var context = new Context(links, responses, pages, rules, time, branding);
        var (refused, decoded) = await RefuseAsync(context, token, request, cancellationToken);
        if (refused is not null)
            return refused;
        var state = await pages.ReadAsync(decoded.InvitationId, cancellationToken);
        var t = PageText.For(state?.Locale, request.Headers.AcceptLanguage);
        if (state is { Open: false })
            return Closed(context, t, RecordOutcome.Closed)!;
        var score = decoded.Score!.Value;
        var recorded = t.Format(state?.Score is { } before && before != score ? t.Changed : t.Recorded, score);
        return FormPage(context, token, request, state is null ? null : state with { Score = score }, null, error: null,
            answer: new ScoreAnswer($"/s/{token}/answer", recorded));
    }

    /// <summary>The explicit answer the page sends: records the link's score (the same score again changes nothing).</summary>
    private static async Task<Results<NoContent, ContentHttpResult>> AnswerAsync(string token, HttpRequest request, SurveyLinks links,
        ResponseStore responses, SurveyPageStore pages, RulesProvider rules, TimeProvider time, IOptions<BrandingOptions> branding,
        CancellationToken cancellationToken)
    {
        var context = new Context(links, responses, pages, rules, time, branding);
        var (refused, decoded) = await RefuseAsync(context, token, request, cancellationToken);
        if (refused is not null)
            return refused;
        var outcome = await responses.RecordScoreAsync(decoded.InvitationId, decoded.Score!.Value, cancellationToken);
        // The page's language (Accept-Language, parsed and sorted) only for the page an answer that was not taken shows.
        if (outcome is RecordOutcome.Unknown or RecordOutcome.Closed)
            return Closed(context, PageText.For(null, request.Headers.AcceptLanguage), outcome)!;
        return TypedResults.NoContent();
    }

    private static async Task<ContentHttpResult> SubmitAsync(string token, HttpRequest request, SurveyLinks links, ResponseStore responses,
        SurveyPageStore pages, RulesProvider rules, TimeProvider time, IOptions<BrandingOptions> branding, CancellationToken cancellationToken)
    {
        var context = new Context(links, responses, pages, rules, time, branding);
        var (refused, decoded) = await RefuseAsync(context, token, request, cancellationToken);
        if (refused is not null)
            return refused;
        var state = await pages.ReadAsync(decoded.InvitationId, cancellationToken);
        var t = PageText.For(state?.Locale, request.Headers.AcceptLanguage);
        if (!request.HasFormContentType)
            return Page(StatusCodes.Status415UnsupportedMediaType, SurveyPages.Message(t, branding.Value, t.InvalidTitle, t.InvalidBody));
        var form = await request.ReadFormAsync(cancellationToken);
        var comment = form["comment"].ToString().Trim();
        // The form's score; a post without one (an older comment-only form) keeps the score of the link.
        var scoreText = form["score"].ToString();
        int score;
        if (scoreText.Length == 0)
            score = decoded.Score!.Value;
        else if (!int.TryParse(scoreText, NumberStyles.None, CultureInfo.InvariantCulture, out score) || score > 10)
            return FormPage(context, token, request, state, null, t.ScoreMissing, StatusCodes.Status400BadRequest);
        if (comment.Length > SurveyPages.MaxComment)
            return FormPage(context, token, request, state, null,
                t.Format(t.CommentTooLong, SurveyPages.MaxComment), StatusCodes.Status400BadRequest);
        var outcome = await responses.RecordScoreAsync(decoded.InvitationId, score, cancellationToken);
        if (Closed(context, t, outcome) is { } closed)
            return closed;
        if (comment.Length > 0)
            await responses.SetCommentAsync(decoded.InvitationId, comment, cancellationToken);
        await pages.SetContactConsentAsync(decoded.InvitationId, form["contact"].ToString() == "yes", cancellationToken);
        return Page(StatusCodes.Status200OK, SurveyPages.Thanks(t, branding.Value));
    }

    /// <summary>The survey form for the invitation's <paramref name="state"/> (null: unknown invitation), after <paramref name="outcome"/>.</summary>
    private static ContentHttpResult FormPage(Context context, string token, HttpRequest request, SurveyPageState? state,
        RecordOutcome? outcome, string? error, int status = StatusCodes.Status200OK, ScoreAnswer? answer = null)
    {
        var t = PageText.For(state?.Locale, request.Headers.AcceptLanguage);
        if (outcome is { } o && Closed(context, t, o) is { } closed)
            return closed;
        if (state is null)
            return Page(StatusCodes.Status404NotFound, SurveyPages.Message(t, context.Branding.Value, t.UnknownTitle, t.UnknownBody));
        var notice = outcome switch
        {
            RecordOutcome.Changed => t.Format(t.Changed, state.Score),
            RecordOutcome.Recorded or RecordOutcome.Unchanged => t.Format(t.Recorded, state.Score),
            _ => null,
        };
        return Page(status, SurveyPages.Form(t, context.Branding.Value, Wording(context.Rules.Current, state, t), $"/s/{token}",
            state.Score, state.Comment, state.ContactConsent ?? false, notice, state.ExpiresAt, error, answer));
    }

    /// <summary>
    /// The survey's own texts in the best locale it has for the recipient, each marked with the language it is
    /// actually in (the page marks those that differ from its own); the scale's ends and a "why?" the rules left at its
    /// built-in English come from the page's language instead, since they say the same thing.
    /// </summary>
    private static SurveyWording Wording(SendRules rules, SurveyPageState state, PageText t)
    {
        if (!rules.Surveys.TryGetValue(state.Survey, out var survey))
            return new SurveyWording(t.Language, t.Question, t.Low, t.High, t.Language, t.Why);
        var (texts, language) = SurveyLanguage(survey, state.Locale);
        string Render(TextTemplate template) => template.Render(_ => null);
        // Texts a locale leaves out are the default's own templates (SendRulesLoader), so they are in the default's language.
        string LanguageOf(TextTemplate text, TextTemplate inDefault) => ReferenceEquals(text, inDefault) ? DefaultLanguage : language;
        bool InPageLanguage(TextTemplate text, TextTemplate inDefault) => LanguageOf(text, inDefault).Equals(t.Language, StringComparison.OrdinalIgnoreCase);
        var why = Render(texts.Why);
        var whyIsBuiltIn = !InPageLanguage(texts.Why, survey.Default.Why) && why == PageText.English.Why;
        return new SurveyWording(LanguageOf(texts.Question, survey.Default.Question), Render(texts.Question),
            InPageLanguage(texts.LowLabel, survey.Default.LowLabel) ? Render(texts.LowLabel) : t.Low,
            InPageLanguage(texts.HighLabel, survey.Default.HighLabel) ? Render(texts.HighLabel) : t.High,
            whyIsBuiltIn ? t.Language : LanguageOf(texts.Why, survey.Default.Why), whyIsBuiltIn ? t.Why : why);
    }

    /// <summary>The rules' default texts are taken to be English, the language the rules file is written in.</summary>
    private const string DefaultLanguage = "en";

    /// <summary>
    /// The texts the rules give for a locale (<see cref="SurveyDefinition.Match"/>) and the language they are in: the
    /// language the matched <c>locales:</c> key resolves to (<c>zh-TW</c> → <c>zh-Hant</c>), else the key itself.
    /// </summary>
    private static (SurveyTexts Texts, string Language) SurveyLanguage(SurveyDefinition survey, string? locale)
    {
        var (texts, key) = survey.Match(locale);
        return (texts, key is null ? DefaultLanguage : Core.Localization.CustomerLanguages.Resolve(key) ?? key);
    }

    private static async Task<ContentHttpResult> ConfirmUnsubscribeAsync(string token, HttpRequest request, SurveyLinks links,
        SurveyPageStore pages, IOptions<BrandingOptions> branding, CancellationToken cancellationToken)
    {
        var signed = links.Codec.TryDecode(token, DateTimeOffset.MinValue, out var decoded) == TokenError.None;
        var valid = signed && decoded.Score is null;
        var t = PageText.For(signed ? await pages.LocaleAsync(decoded.InvitationId, cancellationToken) : null, request.Headers.AcceptLanguage);
        return valid
            ? Page(StatusCodes.Status200OK, SurveyPages.Unsubscribe(t, branding.Value, $"/u/{token}"))
            : Page(StatusCodes.Status400BadRequest, SurveyPages.Message(t, branding.Value, t.InvalidTitle, t.InvalidBody));
    }

    private static async Task<ContentHttpResult> UnsubscribeAsync(string token, HttpRequest request, SurveyLinks links, ResponseStore responses,
        SurveyPageStore pages, IOptions<BrandingOptions> branding, CancellationToken cancellationToken)
    {
        // An unsubscribe link keeps working after the survey closes: people must always be able to opt out.
        var error = links.Codec.TryDecode(token, DateTimeOffset.MinValue, out var decoded);
        var t = PageText.For(error == TokenError.None ? await pages.LocaleAsync(decoded.InvitationId, cancellationToken) : null, request.Headers.AcceptLanguage);
        if (error != TokenError.None || decoded.Score is not null)
            return Page(StatusCodes.Status400BadRequest, SurveyPages.Message(t, branding.Value, t.InvalidTitle, t.InvalidBody));
        if (!await responses.UnsubscribeAsync(decoded.InvitationId, cancellationToken))
            return Page(StatusCodes.Status404NotFound, SurveyPages.Message(t, branding.Value, t.UnknownTitle, t.UnknownBody));
        return Page(StatusCodes.Status200OK, SurveyPages.Unsubscribed(t, branding.Value));
    }

    /// <summary>A page for a link that cannot be answered (tampered 400, expired 410), or null and the decoded token.</summary>
    private static async Task<(ContentHttpResult? Refused, SurveyToken Token)> RefuseAsync(Context context, string token, HttpRequest request, CancellationToken cancellationToken)
    {
        var error = context.Links.Codec.TryDecode(token, context.Time.GetUtcNow(), out var decoded);
        if (error == TokenError.None && decoded.Score is not null)
            return (null, decoded);
        // An expired token, or an unsubscribe token used as a score link, still names its invitation (the MAC checked
        // out), so its page speaks the recipient's language.
        var locale = error is TokenError.Expired or TokenError.None ? await context.Pages.LocaleAsync(decoded.InvitationId, cancellationToken) : null;
        var t = PageText.For(locale, request.Headers.AcceptLanguage);
        return error == TokenError.Expired
            ? (Page(StatusCodes.Status410Gone, SurveyPages.Message(t, context.Branding.Value, t.ClosedTitle, t.ClosedBody)), decoded)
            : (Page(StatusCodes.Status400BadRequest, SurveyPages.Message(t, context.Branding.Value, t.InvalidTitle, t.InvalidBody)), decoded);
    }

    private static ContentHttpResult? Closed(Context context, PageText t, RecordOutcome outcome) => outcome switch
    {
        RecordOutcome.Unknown => Page(StatusCodes.Status404NotFound, SurveyPages.Message(t, context.Branding.Value, t.UnknownTitle, t.UnknownBody)),
        RecordOutcome.Closed => Page(StatusCodes.Status410Gone, SurveyPages.Message(t, context.Branding.Value, t.ClosedTitle, t.ClosedBody)),
        _ => null,
    };

    private static ContentHttpResult Page(int status, string html) =>
        TypedResults.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
}
