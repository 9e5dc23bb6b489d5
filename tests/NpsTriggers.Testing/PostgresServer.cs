using System.Diagnostics;
using Npgsql;

namespace NpsTriggers.Testing;

/// <summary>
/// A real PostgreSQL server for the test run: a private cluster (scripts/pg.sh) in a temporary directory on a free
/// port, started once per test process and stopped when it exits. Each test takes a fresh database.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private int _databases;

    private PostgresServer(string dataDirectory, int port)
    {
        DataDirectory = dataDirectory;
        Port = port;
    }

    public static PostgresServer Shared => Instance.Value;

    public string DataDirectory { get; }
    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=50;Include Error Detail=true;" +
        // A finished test's database stays, but its idle pooled connections (Hangfire's never close) go after seconds.
        "Connection Idle Lifetime=5;Connection Pruning Interval=1";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server (fast shutdown), e.g. to prove work waits for the database and is not lost.</summary>
    public void Stop() => Script("stop", DataDirectory);

    /// <summary>Starts the server again on the same port with the same data.</summary>
    public void Start()
    {
        Script("start", DataDirectory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Pooled connections from before a restart are dead; the fixtures' own pools must not hand them out.
        NpgsqlConnection.ClearAllPools();
    }

    private static PostgresServer Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "npstriggers-tests", $"pg-{Environment.ProcessId}");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        // A test or benchmark process that was killed never ran its ProcessExit: its cluster (about 2 GB) stays behind,
        // and a machine that runs the suite often fills its disk. Clear every cluster whose process is gone.
        _ = Task.Run(() => RemoveOrphans(Path.GetDirectoryName(dir)!));
        var server = new PostgresServer(dir, FreePort.Next());
        server.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Script("stop", dir);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; the next run deletes it first.
            }
        };
        return server;
    }

    private static void RemoveOrphans(string parent)
    {
        foreach (var orphan in Directory.EnumerateDirectories(parent, "pg-*"))
        {
            if (!int.TryParse(Path.GetFileName(orphan)["pg-".Length..], out var pid) || Alive(pid))
                continue;
            try
            {
                Script("stop", orphan); // its server may have outlived it
                Directory.Delete(orphan, recursive: true);
                File.Delete(orphan + ".initdb.log");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another run is clearing it too, or it is not ours to clear: leave it.
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Script(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [RepoRoot.Combine("scripts", "pg.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Tests trade durability for speed; the service's own run script keeps fsync on.
        start.Environment["PG_FSYNC"] = "off";
        // Every test gets its own database, and each host keeps pools to it (the service's, Hangfire's): room for many.
        start.Environment["PG_MAX_CONNECTIONS"] = "1000";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000) || process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/pg.sh {string.Join(' ', args)} failed: {stderr}{stdout.Result}");
    }
}
