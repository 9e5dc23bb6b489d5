using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using NpsTriggers.Core.Nps;

namespace NpsTriggers.Ingest.Reports;

/// <summary>
/// The ops dashboard as one server-rendered page with inline SVG charts: no scripts, no external assets, so it
/// reads the same in a browser, a screenshot or a mail client. Every chart element carries its figure in a
/// <c>data-</c> attribute and a <c>&lt;title&gt;</c>, so the numbers are checkable and reachable by screen readers.
/// </summary>
public static class DashboardPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(DashboardData data, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(data);
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"""
            <h1>NPS dashboard</h1>
            <p class="meta">Since {data.Since.UtcDateTime:yyyy-MM-dd} (UTC weeks) · rendered {now.UtcDateTime:yyyy-MM-dd HH:mm}Z · <a href="hangfire">Jobs (Hangfire)</a></p>
            """);
        body.Append(Section("NPS, with its 95% margin of error", Headline(data.Total)));
        body.Append(Section("NPS by week, with its 95% margin of error", Trend(data.Weeks)));
        body.Append(Section("Scores 0–10", Distribution(data.Scores)));
        body.Append(Section("Funnel", Funnel(data.Funnel)));
        body.Append(Section("Suppressions by reason", Bars(data.Suppressions, "suppression")));
        body.Append(Section("Latest comments", Comments(data.Comments)));
        return Layout(body.ToString());
    }

    private static string Section(string title, string content) => $"""
        <section><h2>{Html.Encode(title)}</h2>{content}</section>
        """;

    /// <summary>The period's NPS as the report gives it: the figure, its margin, the answers and their categories.</summary>
    private static string Headline(NpsReportRow? total)
    {
        if (total is not { Responses: > 0 } t)
            return "<p>No answers yet.</p>";
        var margin = t.MarginOfError is { } m ? $" ± {Number(m)}" : " (no margin of error from a single answer)";
        return $"""
            <p class="headline" data-nps="{Number(t.Nps)}" data-margin="{Number(t.MarginOfError)}" data-responses="{t.Responses}" data-promoters="{t.Promoters}" data-passives="{t.Passives}" data-detractors="{t.Detractors}"><strong>NPS {Number(t.Nps)}</strong>{margin} from {t.Responses} {(t.Responses == 1 ? "answer" : "answers")}: {t.Promoters} promoters, {t.Passives} passives, {t.Detractors} detractors</p>
            """;
    }

    private static string Trend(IReadOnlyList<NpsReportRow> weeks)
    {
        if (weeks.Count == 0)
            return "<p>No answers yet.</p>";
        const int width = 640, height = 240, left = 40, right = 10, top = 10, bottom = 30;
        double X(int i) => weeks.Count == 1 ? left + (width - left - right) / 2.0 : left + i * (width - left - right) / (double)(weeks.Count - 1);
        double Y(double nps) => top + (100 - Math.Clamp(nps, -100, 100)) * (height - top - bottom) / 200.0;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="trend" viewBox="0 0 {width} {height}" role="img" aria-labelledby="trend-title"><title id="trend-title">NPS by week</title>""");
        foreach (var tick in new[] { -100, -50, 0, 50, 100 })
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" x2="{width - right}" y1="{Y(tick):F1}" y2="{Y(tick):F1}" class="grid"/><text x="{left - 6}" y="{Y(tick) + 4:F1}" text-anchor="end">{tick}</text>""");
        var upper = weeks.Select((w, i) => $"{X(i):F1},{Y(w.Nps!.Value + (w.MarginOfError ?? 0)):F1}");
        var lower = weeks.Select((w, i) => $"{X(i):F1},{Y(w.Nps!.Value - (w.MarginOfError ?? 0)):F1}").Reverse();
        svg.Append(CultureInfo.InvariantCulture, $"""<polygon class="band" points="{string.Join(' ', upper.Concat(lower))}"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="line" points="{string.Join(' ', weeks.Select((w, i) => $"{X(i):F1},{Y(w.Nps!.Value):F1}"))}"/>""");
        for (var i = 0; i < weeks.Count; i++)
        {
            var w = weeks[i];
            var label = $"week of {w.Period:yyyy-MM-dd}: NPS {Number(w.Nps)} ± {Number(w.MarginOfError)} from {w.Responses} answers";
            svg.Append(CultureInfo.InvariantCulture, $"""<circle class="point" cx="{X(i):F1}" cy="{Y(w.Nps!.Value):F1}" r="4" data-week="{w.Period:yyyy-MM-dd}" data-nps="{Number(w.Nps)}" data-margin="{Number(w.MarginOfError)}" data-responses="{w.Responses}" data-promoters="{w.Promoters}" data-passives="{w.Passives}" data-detractors="{w.Detractors}"><title>{Html.Encode(label)}</title></circle>""");
            if (weeks.Count <= 12 || i % 2 == 0)
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(i):F1}" y="{height - 10}" text-anchor="middle">{w.Period:MM-dd}</text>""");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Distribution(IReadOnlyList<int> scores)
    {
        const int width = 640, height = 200, bottom = 24;
        var max = Math.Max(1, scores.Max());
        var slot = width / 11.0;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="scores" viewBox="0 0 {width} {height}" role="img" aria-labelledby="scores-title"><title id="scores-title">Answers per score</title>""");
        for (var score = 0; score <= 10; score++)
        {
            var h = (height - bottom - 16) * scores[score] / (double)max;
            var category = NpsSummary.CategoryOf(score);
            svg.Append(CultureInfo.InvariantCulture, $"""<rect class="{category}" x="{score * slot + 4:F1}" y="{height - bottom - h:F1}" width="{slot - 8:F1}" height="{h:F1}" data-score="{score}" data-count="{scores[score]}"><title>score {score}: {scores[score]}</title></rect>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{score * slot + slot / 2:F1}" y="{height - 6}" text-anchor="middle">{score}</text><text x="{score * slot + slot / 2:F1}" y="{height - bottom - h - 4:F1}" text-anchor="middle">{scores[score]}</text>""");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Funnel(IReadOnlyList<(string Stage, int Count)> stages)
    {
        var first = Math.Max(1, stages.Count > 0 ? stages[0].Count : 1);
        return Bars(stages, "stage", of: first);
    }

    /// <summary>Horizontal bars, one per row, scaled to <paramref name="of"/> (default: the largest).</summary>
    private static string Bars(IReadOnlyList<(string Label, int Count)> rows, string kind, int? of = null)
    {
        if (rows.Count == 0)
            return "<p>None.</p>";
        const int width = 640, row = 28, labelWidth = 220;
        var max = Math.Max(1, of ?? rows.Max(r => r.Count));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="bars {kind}" viewBox="0 0 {width} {rows.Count * row + 4}" role="img" aria-label="{Html.Encode(kind)} counts">""");
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, count) = rows[i];
            var w = (width - labelWidth - 60) * count / (double)max;
            var short_ = label.Length > 34 ? label[..33] + "…" : label;
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="0" y="{i * row + 18}">{Html.Encode(short_)}</text><rect x="{labelWidth}" y="{i * row + 4}" width="{w:F1}" height="{row - 8}" data-{kind}="{Html.Encode(label)}" data-count="{count}"><title>{Html.Encode(label)}: {count}</title></rect><text x="{labelWidth + w + 6:F1}" y="{i * row + 18}">{count}</text>""");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Comments(IReadOnlyList<DashboardData.Comment> comments)
    {
        if (comments.Count == 0)
            return "<p>No comments yet.</p>";
        var list = new StringBuilder("<ul class=\"comments\">");
        foreach (var c in comments)
        {
            var category = NpsSummary.CategoryOf(c.Score);
            list.Append(CultureInfo.InvariantCulture, $"""<li><span class="score {category}">{c.Score}</span> <q>{Html.Encode(c.Text)}</q> <small>{Html.Encode(c.Survey)} · {Html.Encode(c.Channel)}{(c.Product is null ? "" : " · " + Html.Encode(c.Product))} · {c.AnsweredAt.UtcDateTime:yyyy-MM-dd HH:mm}Z</small></li>""");
        }
        return list.Append("</ul>").ToString();
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0.#", Inv) : "-";

    // Colours keep at least 4.5:1 against white for text and 3:1 for chart marks (WCAG 2.1 1.4.3 / 1.4.11).
    private static string Layout(string body) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>NPS dashboard</title>
        <style>
          body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1a1a1a; background: #fff; }
          h1 { margin: .2rem 0; } h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
          .meta { color: #4a4a4a; } a { color: #0b57d0; }
          svg { width: 100%; height: auto; font-size: 12px; fill: #1a1a1a; }
          .grid { stroke: #d0d0d0; } .band { fill: #0b57d0; fill-opacity: .18; stroke: none; }
          .line { fill: none; stroke: #0b57d0; stroke-width: 2.5; } .point { fill: #0b57d0; }
          .promoter { fill: #1a7f37; } .passive { fill: #8a6d00; } .detractor { fill: #c62828; }
          .bars rect { fill: #0b57d0; }
          .comments { list-style: none; padding: 0; } .comments li { margin: .5rem 0; }
          .score { display: inline-block; min-width: 1.6rem; text-align: center; color: #fff; border-radius: .3rem; font-weight: 700; }
          span.promoter { background: #1a7f37; } span.passive { background: #8a6d00; } span.detractor { background: #c62828; }
          small { color: #4a4a4a; }
        </style>
        </head>
        <body>
        <main>
        {{body}}
        </main>
        </body>
        </html>
        """;
}
