using System.Text.RegularExpressions;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>
/// The end-to-end worked examples of docs/RULES.md: each fenced block after an <c>&lt;!-- e2e: name --&gt;</c> marker. The
/// tests run the rules files as the doc prints them and compare the decisions and messages with the doc's text, so the
/// doc cannot drift from what the service does.
/// </summary>
internal static partial class RulesDoc
{
    private static readonly Lazy<Dictionary<string, string>> Blocks = new(() =>
    {
        var doc = File.ReadAllText(RepoRoot.Combine("docs", "RULES.md")).ReplaceLineEndings("\n");
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Marked().Matches(doc))
            blocks.Add(m.Groups["name"].Value, m.Groups["body"].Value);
        return blocks;
    });

    /// <summary>The block marked <paramref name="name"/>, without its fences and final newline.</summary>
    public static string Block(string name) =>
        Blocks.Value.TryGetValue(name, out var body) ? body : throw new InvalidOperationException($"docs/RULES.md has no block marked <!-- e2e: {name} -->");

    /// <summary>The lines of the block marked <paramref name="name"/>.</summary>
    public static string[] Lines(string name) => Block(name).Split('\n');

    [GeneratedRegex(@"<!-- e2e: (?<name>[a-z0-9-]+) -->\n```[a-z]*\n(?<body>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Marked();
}
