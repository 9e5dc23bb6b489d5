using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using NpsTriggers.Core.Localization;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// The question as the survey's rules word it: the question in <see cref="QuestionLanguage"/>, "why?" in
/// <see cref="WhyLanguage"/> (a locale may leave texts out, which then come from the survey's default), the scale's ends
/// in the page's language.
/// </summary>
public sealed record SurveyWording(string QuestionLanguage, string Question, string Low, string High, string WhyLanguage, string Why);

/// <summary>
/// A score link's page records its score only when the page asks: its script posts to <see cref="Url"/> on load and
/// then shows <see cref="RecordedNotice"/>; without script the person presses Send (docs/ARCHITECTURE.md, "Survey links").
/// </summary>
public sealed record ScoreAnswer(string Url, string RecordedNotice);

/// <summary>
/// The customer-facing pages, rendered on the server: no external scripts, fonts or CSS, mobile-first, usable by
/// keyboard alone (WCAG 2.1 AA: a labelled radio group, visible focus, 4.5:1 text contrast), in the recipient's
/// language and direction. Every interpolated value goes through <see cref="HtmlEncoder"/>. The only script is
/// <see cref="Script"/>, the explicit answer of a score link, allowed by its hash in the pages' CSP; everything works
/// without it.
/// </summary>
public static class SurveyPages
{
    public const int MaxComment = 2000;
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>
    /// Posts the score of the link to the form's <c>data-answer</c> once the page is visible (a prerendered or hidden
    /// page waits), then swaps the notice for the recorded one. A GET never records anything: mail scanners fetch every
    /// link, mostly without running script; people's browsers run this.
    /// </summary>
    public const string Script = """
        (() => {
          const form = document.querySelector('form[data-answer]'), notice = document.getElementById('notice');
          if (!form || !notice) return;
          const answer = () => fetch(form.dataset.answer, { method: 'POST', credentials: 'omit', cache: 'no-store' })
            .then(r => { if (r.ok) notice.textContent = notice.dataset.recorded; });
          if (document.visibilityState === 'visible') { answer(); return; }
          document.addEventListener('visibilitychange', function shown() {
            if (document.visibilityState !== 'visible') return;
            document.removeEventListener('visibilitychange', shown);
            answer();
          });
        })();
        """;

    /// <summary>
    /// The survey form: the score (preselected from the link), why, the contact consent. With <paramref name="answer"/>
    /// the page records the link's score itself (<see cref="Script"/>) and says so; without script, Send records it.
    /// </summary>
    public static string Form(PageText t, BrandingOptions brand, SurveyWording wording, string action, int? score, string? comment,
        bool consent, string? notice, DateTimeOffset? changeUntil, string? error, ScoreAnswer? answer = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(wording);
        var question = Foreign(t, wording.QuestionLanguage);
        var body = new StringBuilder();
        if (answer is not null)
            body.Append(CultureInfo.InvariantCulture,
                $"<p class=\"notice\" role=\"status\" id=\"notice\" data-recorded=\"{Html.Encode(answer.RecordedNotice)}\">{Html.Encode(t.Confirm)}</p>");
        else if (notice is not null)
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"notice\" role=\"status\">{Html.Encode(notice)}</p>");
        if (error is not null)
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\" id=\"form-error\">{Html.Encode(error)}</p>");
        body.Append(CultureInfo.InvariantCulture, $"""
            <form method="post" action="{Html.Encode(action)}"{(answer is null ? "" : $" data-answer=\"{Html.Encode(answer.Url)}\"")}>
            <fieldset aria-describedby="scale"{(error is null ? "" : " aria-invalid=\"true\"")}>
            <legend{question}>{Html.Encode(wording.Question)}</legend>
            <p id="scale" class="scale"><span>0 = {Html.Encode(wording.Low)}</span> <span>10 = {Html.Encode(wording.High)}</span></p>
            <div class="scores">
            """);
        for (var s = 0; s <= 10; s++)
            body.Append(CultureInfo.InvariantCulture,
                $"<input type=\"radio\" id=\"score-{s}\" name=\"score\" value=\"{s}\"{(s == score ? " checked" : "")} required><label for=\"score-{s}\">{s}</label>");
        body.Append(CultureInfo.InvariantCulture, $"""
            </div>
            </fieldset>
            <label for="comment"{Foreign(t, wording.WhyLanguage)}>{Html.Encode(wording.Why)}</label>
            <textarea id="comment" name="comment" rows="5" maxlength="{MaxComment}">{Html.Encode(comment ?? "")}</textarea>
            <p class="consent"><input type="checkbox" id="contact" name="contact" value="yes"{(consent ? " checked" : "")}> <label for="contact">{Html.Encode(t.Consent)}</label></p>
            <button type="submit">{Html.Encode(t.Send)}</button>
            </form>
            """);
        if (changeUntil is { } until)
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"hint\">{Html.Encode(t.Format(t.ChangeUntil, t.Date(until)))}</p>");
        return Layout(t, brand, t.Title, body.ToString(), script: answer is not null);
    }

    /// <summary>
    /// <c>lang</c> (and <c>dir</c>, when it differs) for survey text in another language than the page's, so screen
    /// readers pronounce it in its own language and an Arabic question on an English page still reads right to left.
    /// </summary>
    private static string Foreign(PageText t, string language) =>
        language.Equals(t.Language, StringComparison.OrdinalIgnoreCase) ? ""
        : $" lang=\"{Html.Encode(language)}\"" + (CustomerLanguages.Direction(language) == t.Direction ? "" : $" dir=\"{CustomerLanguages.Direction(language)}\"");

    public static string Thanks(PageText t, BrandingOptions brand) => Message(t, brand, t.ThanksTitle, t.ThanksBody);

    public static string Message(PageText t, BrandingOptions brand, string title, string message) =>
        Layout(t, brand, title, $"<h2>{Html.Encode(title)}</h2><p>{Html.Encode(message)}</p>");

    public static string Unsubscribe(PageText t, BrandingOptions brand, string action) => Layout(t, brand, t.UnsubscribeTitle, $"""
        <h2>{Html.Encode(t.UnsubscribeTitle)}</h2>
        <form method="post" action="{Html.Encode(action)}">
          <input type="hidden" name="List-Unsubscribe" value="One-Click">
          <button type="submit">{Html.Encode(t.UnsubscribeButton)}</button>
        </form>
        """);

    public static string Unsubscribed(PageText t, BrandingOptions brand) => Message(t, brand, t.UnsubscribedTitle, t.UnsubscribedBody);

    private static string Layout(PageText t, BrandingOptions brand, string title, string body, bool script = false)
    {
        var logo = string.IsNullOrEmpty(brand.LogoUrl) ? "" : $"<img src=\"{Html.Encode(brand.LogoUrl)}\" alt=\"\" height=\"32\"> ";
        var scriptTag = script ? $"<script>{Script}</script>\n" : "";
        return $$"""
            <!doctype html>
            <html lang="{{t.Language}}" dir="{{t.Direction}}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Html.Encode(title)}} – {{Html.Encode(brand.Name)}}</title>
            <style>{{Style(brand)}}</style>
            </head>
            <body>
            <header>{{logo}}<h1>{{Html.Encode(brand.Name)}}</h1></header>
            <main>
            {{body}}
            </main>
            {{scriptTag}}</body>
            </html>
            """;
    }

    /// <summary>The pages' one stylesheet, inline; the CSP allows exactly this text by its hash.</summary>
    public static string Style(BrandingOptions brand)
    {
        ArgumentNullException.ThrowIfNull(brand);
        var primary = Html.Encode(brand.PrimaryColor);
        return $$"""
            :root { --primary: {{primary}}; }
            body { font: 18px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 36rem; padding: 1rem 1.25rem 2rem; color: #1a1a1a; background: #fff; }
            header { display: flex; align-items: center; gap: .5rem; font-weight: 700; border-bottom: 1px solid #767676; padding-bottom: .5rem; }
            h1 { font-size: 1.1rem; margin: 0; }
            h2 { font-size: 1.35rem; }
            fieldset { border: 0; padding: 0; margin: 1rem 0; }
            legend { font-weight: 700; font-size: 1.15rem; margin-bottom: .5rem; }
            .scale { display: flex; justify-content: space-between; gap: 1rem; font-size: .95rem; color: #3d3d3d; margin: 0 0 .5rem; }
            .scores { display: grid; grid-template-columns: repeat(6, 1fr); gap: .4rem; }
            @media (min-width: 34rem) { .scores { grid-template-columns: repeat(11, 1fr); } }
            .scores input { position: absolute; opacity: 0; width: 1px; height: 1px; }
            .scores label { display: block; text-align: center; padding: .6rem 0; min-height: 2.75rem; box-sizing: border-box;
                            border: 2px solid #767676; border-radius: .4rem; cursor: pointer; font-weight: 700; }
            .scores input:checked + label { background: var(--primary); border-color: var(--primary); color: #fff; }
            .scores input:focus-visible + label, textarea:focus-visible, button:focus-visible, .consent input:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
            label[for=comment] { display: block; font-weight: 700; margin: 1.25rem 0 .5rem; }
            textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; border: 2px solid #767676; border-radius: .4rem; }
            .consent { display: flex; gap: .5rem; align-items: flex-start; }
            .consent input { width: 1.4rem; height: 1.4rem; margin-top: .2rem; }
            button { margin-top: 1rem; font: inherit; font-weight: 700; padding: .75rem 1.75rem; min-height: 2.75rem; background: var(--primary); color: #fff; border: 0; border-radius: .4rem; cursor: pointer; }
            .notice { background: #eef3fb; border-inline-start: 4px solid var(--primary); padding: .5rem .75rem; }
            .error { background: #fdecec; border-inline-start: 4px solid #b3261e; color: #1a1a1a; padding: .5rem .75rem; }
            .hint { font-size: .95rem; color: #3d3d3d; }
            """;
    }
}
