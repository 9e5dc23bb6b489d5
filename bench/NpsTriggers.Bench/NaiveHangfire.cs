using System.Diagnostics;
using System.Linq.Expressions;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace NpsTriggers.Bench;

/// <summary>A minimal Hangfire.PostgreSql setup for the naive baselines, with the service's storage options and worker count.</summary>
public static class NaiveHangfire
{
    public static PostgreSqlStorage Storage(string database)
    {
        // The dispatch hosts that ran before set Hangfire's global log provider to their logger factory, now disposed.
        GlobalConfiguration.Configuration.UseColouredConsoleLogProvider(Hangfire.Logging.LogLevel.Warn);
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = TimeSpan.FromSeconds(1),
            InvisibilityTimeout = TimeSpan.FromMinutes(10),
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(database, options), options);
    }

    /// <summary>Enqueues <paramref name="count"/> jobs from four client threads, before any server runs (not timed).</summary>
    public static void Enqueue(JobStorage storage, int count, Func<int, Expression<Func<Task>>> job)
    {
        var client = new BackgroundJobClient(storage);
        var clock = Stopwatch.StartNew();
        Parallel.For(0, 4, t =>
        {
            for (var i = t; i < count; i += 4)
                client.Enqueue(job(i));
        });
        Console.WriteLine($"  naive: {count:N0} jobs enqueued in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:N0} jobs/s, not counted)");
    }

    // Its own activator: the global one belongs to the dispatch hosts that ran before, whose service providers are disposed.
    public static BackgroundJobServer Server(JobStorage storage) =>
        new(new BackgroundJobServerOptions { WorkerCount = 8, SchedulePollingInterval = TimeSpan.FromSeconds(1), Activator = new JobActivator() }, storage);
}
