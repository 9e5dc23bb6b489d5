using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpsTriggers.Core.Storage;
using NpsTriggers.Dispatch.Limits;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Limits;

/// <summary>The token bucket in PostgreSQL, shared by replicas. Rates themselves are measured in bench/, not timed here.</summary>
public sealed class SharedRateLimiterTests
{
    internal static async Task<NpgsqlDataSource> DatabaseAsync()
    {
        var connection = new NpgsqlConnectionStringBuilder(await PostgresServer.Shared.CreateDatabaseAsync()) { MaxPoolSize = 16 };
        var data = NpgsqlDataSource.Create(connection.ConnectionString);
        await new DatabaseMigrator(data, TimeProvider.System, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return data;
    }

    [Fact]
    public async Task TryAcquire_TwoReplicas_ShareOneBurst()
    {
        await using var data = await DatabaseAsync();
        var slow = new RateLimit { PerSecond = 0.001, Burst = 3 };
        var replicaA = new SharedRateLimiter(data);
        var replicaB = new SharedRateLimiter(data);
        (await replicaA.TryAcquireAsync("sms:+15005550006", slow, CancellationToken.None)).ShouldBeTrue();
        (await replicaB.TryAcquireAsync("sms:+15005550006", slow, CancellationToken.None)).ShouldBeTrue();
        (await replicaA.TryAcquireAsync("sms:+15005550006", slow, CancellationToken.None)).ShouldBeTrue();
        (await replicaB.TryAcquireAsync("sms:+15005550006", slow, CancellationToken.None)).ShouldBeFalse();
        (await replicaA.TryAcquireAsync("sms:+15005550006", slow, CancellationToken.None)).ShouldBeFalse();
        // Another sender has its own bucket.
        (await replicaB.TryAcquireAsync("sms:+15005550007", slow, CancellationToken.None)).ShouldBeTrue();
    }

    [Fact]
    public async Task TryAcquire_ConcurrentCallers_NeverTakeMoreThanTheBucketHolds()
    {
        await using var data = await DatabaseAsync();
        var limit = new RateLimit { PerSecond = 0.001, Burst = 25 };
        var limiters = Enumerable.Range(0, 4).Select(_ => new SharedRateLimiter(data)).ToArray();
        var attempts = Enumerable.Range(0, 100).Select(i => limiters[i % 4].TryAcquireAsync("email:smtp", limit, CancellationToken.None));
        var granted = (await Task.WhenAll(attempts)).Count(ok => ok);
        granted.ShouldBe(25);
    }

    [Fact]
    public async Task Acquire_EmptyBucket_WaitsForTheRefillInsteadOfFailing()
    {
        await using var data = await DatabaseAsync();
        var limit = new RateLimit { PerSecond = 20, Burst = 1 };
        var limiter = new SharedRateLimiter(data);
        await limiter.AcquireAsync("sms:x", limit, CancellationToken.None);
        (await limiter.TryAcquireAsync("sms:x", limit, CancellationToken.None)).ShouldBeFalse();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await limiter.AcquireAsync("sms:x", limit, timeout.Token); // returns once refilled (~50 ms), bounded by the timeout
        (await data.CreateCommand("select tokens from rate_limits where name = 'sms:x'").ExecuteScalarAsync()).ShouldBeOfType<double>().ShouldBeLessThan(1);
    }

    [Fact]
    public async Task TryAcquireUpTo_TakesWhatTheBucketHolds_NeverMoreThanAsked_AndSharesItWithSingleDraws()
    {
        await using var data = await DatabaseAsync();
        var slow = new RateLimit { PerSecond = 0.001, Burst = 10 };
        var limiter = new SharedRateLimiter(data);
        (await limiter.TryAcquireUpToAsync("email:smtp", slow, 4, CancellationToken.None)).ShouldBe(4);
        (await limiter.TryAcquireAsync("email:smtp", slow, CancellationToken.None)).ShouldBeTrue();
        (await limiter.TryAcquireUpToAsync("email:smtp", slow, 4, CancellationToken.None)).ShouldBe(4);
        (await limiter.TryAcquireUpToAsync("email:smtp", slow, 4, CancellationToken.None)).ShouldBe(1);
        (await limiter.TryAcquireUpToAsync("email:smtp", slow, 4, CancellationToken.None)).ShouldBe(0);
        (await limiter.TryAcquireAsync("email:smtp", slow, CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task TryAcquireUpTo_ConcurrentBatchDraws_TakeExactlyTheBucket()
    {
        await using var data = await DatabaseAsync();
        var limit = new RateLimit { PerSecond = 0.001, Burst = 25 };
        var limiters = Enumerable.Range(0, 4).Select(_ => new SharedRateLimiter(data)).ToArray();
        var draws = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => limiters[i % 4].TryAcquireUpToAsync("sms:batch", limit, 3, CancellationToken.None)));
        draws.Sum().ShouldBe(25);
        draws.ShouldAllBe(taken => taken >= 0 && taken <= 3);
    }

    [Fact]
    public async Task AcquireUpTo_AfterAPause_WaitsOutTheDebtThenTakesOnlyWhatRefilled()
    {
        await using var data = await DatabaseAsync();
        var limit = new RateLimit { PerSecond = 20, Burst = 1000 };
        var limiter = new SharedRateLimiter(data);
        await limiter.PauseAsync("sms:paused", limit, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        (await limiter.TryAcquireUpToAsync("sms:paused", limit, 5, CancellationToken.None)).ShouldBe(0);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var taken = await limiter.AcquireUpToAsync("sms:paused", limit, 1000, timeout.Token);
        // Woken once a token is there (~250 ms), it takes what has refilled by then (20 a second), never the whole burst.
        taken.ShouldBeInRange(1, 200);
        (await data.CreateCommand("select tokens from rate_limits where name = 'sms:paused'").ExecuteScalarAsync()).ShouldBeOfType<double>().ShouldBeLessThan(1);
    }
}
