using System.Text.Encodings.Web;

namespace NpsTriggers.Ingest.Pages;

/// <summary>
/// The few customer-facing pages, rendered on the server: no scripts, no external fonts or CSS, readable on a
/// phone. Every interpolated value goes through <see cref="HtmlEncoder"/>.
/// </summary>
public static class SurveyPages
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Why(int score, string question, string formAction, bool changed) => Layout("Thank you", $"""
        <h1>Thank you!</h1>
        <p>{(changed ? "We updated your answer to" : "You answered")} <strong>{score}</strong> out of 10.</p>
        <form method="post" action="{Html.Encode(formAction)}">
          <label for="comment">{Html.Encode(question)}</label>
          <textarea id="comment" name="comment" rows="5" maxlength="{MaxComment}"></textarea>
          <button type="submit">Send</button>
        </form>
        """);

    public static string Thanks() => Layout("Thank you", """
        <h1>Thank you for your feedback</h1>
        <p>Your answer has been recorded. You can close this page.</p>
        """);

    public static string Unsubscribe(string formAction) => Layout("Unsubscribe", $"""
        <h1>Stop these surveys?</h1>
        <form method="post" action="{Html.Encode(formAction)}">
          <input type="hidden" name="List-Unsubscribe" value="One-Click">
          <button type="submit">Unsubscribe</button>
        </form>
        """);

    public static string Unsubscribed() => Layout("Unsubscribed", """
        <h1>You are unsubscribed</h1>
        <p>We will not send you surveys at this address again.</p>
        """);

    public static string Error(string title, string message) => Layout(title, $"""
        <h1>{Html.Encode(title)}</h1>
        <p>{Html.Encode(message)}</p>
        """);

    public const int MaxComment = 2000;

    private static string Layout(string title, string body) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{Html.Encode(title)}}</title>
        <style>
          body { font: 18px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 34rem; padding: 1.5rem; color: #1a1a1a; }
          label { display: block; font-weight: 600; margin: 1rem 0 .5rem; }
          textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
          button { margin-top: 1rem; font: inherit; padding: .75rem 1.5rem; background: #0b57d0; color: #fff; border: 0; border-radius: .4rem; }
        </style>
        </head>
        <body>
        {{body}}
        </body>
        </html>
        """;
}
