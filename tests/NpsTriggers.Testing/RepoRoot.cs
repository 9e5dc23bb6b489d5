namespace NpsTriggers.Testing;

/// <summary>The repository root (the folder holding NpsTriggers.sln), found from the test binaries' folder.</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "NpsTriggers.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No NpsTriggers.sln above {AppContext.BaseDirectory}.");
    });

    public static string Path => Root.Value;

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);
}
