using System.Net;
using System.Text.RegularExpressions;

namespace NpsTriggers.IntegrationTests.Pipeline;

/// <summary>
/// A person's click on a score link as a browser with script makes it: the page (a GET, which records nothing), then
/// the answer the page's script posts (<c>data-answer</c>). Browser tests drive the real script; this is its HTTP.
/// </summary>
internal static partial class ScoreClicks
{
    /// <summary>Fetches the page and posts its answer; returns the answer's response (204 when recorded).</summary>
    public static async Task<HttpResponseMessage> ClickAsync(HttpClient http, Uri link)
    {
        using var page = await http.GetAsync(link);
        page.StatusCode.ShouldBe(HttpStatusCode.OK, link.ToString());
        var answer = AnswerUrl().Match(await page.Content.ReadAsStringAsync());
        answer.Success.ShouldBeTrue("the score page names its answer URL");
        return await http.PostAsync(new Uri(link, answer.Groups[1].Value), content: null);
    }

    [GeneratedRegex("data-answer=\"([^\"]+)\"")]
    private static partial Regex AnswerUrl();
}
