using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using NpsTriggers.Dispatch.Limits;

namespace NpsTriggers.IntegrationTests.Limits;

/// <summary>
/// Tokens booked ahead (<c>book_rate_tokens</c>) and the process's pacer that waits for their times, on the shared
/// bucket in PostgreSQL. Only lower bounds on time are asserted (no call leaves before the refill covers it), never how
/// fast: rates are measured in bench/.
/// </summary>
public sealed class RatePacerTests
{
    [Fact]
    public async Task Book_TakesWhatTheBucketHoldsAndTheRefillWithinTheHorizon_AndNoMore()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        var limiter = new SharedRateLimiter(data);
        var limit = new RateLimit { PerSecond = 100, Burst = 5 };

        var first = await limiter.BookAsync("sms:book", limit, 100, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        // 5 in the bucket and 10 of refill (100 ms at 100/s), the next due 10 ms after the one before.
        first.Taken.ShouldBe(15);
        first.Interval.ShouldBe(TimeSpan.FromMilliseconds(10));
        first.At(0).ShouldBe(first.Answered);
        first.At(4).ShouldBe(first.Answered);
        Stopwatch.GetElapsedTime(first.Answered, first.At(14)).TotalMilliseconds.ShouldBe(100, 5);

        // Booked to the horizon: the next booking gets what refilled since (a round trip: at most a few), not another 15,
        // and says the first of them waits for the whole booking ahead of it.
        var second = await limiter.BookAsync("sms:book", limit, 100, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        second.Taken.ShouldBeLessThan(15);
        var tokens = await data.CreateCommand("select tokens from rate_limits where name = 'sms:book'").ExecuteScalarAsync();
        tokens.ShouldBeOfType<double>().ShouldBeLessThanOrEqualTo(-9);
    }

    [Fact]
    public async Task Pacer_TwoReplicas_NoCallLeavesBeforeTheSharedRefillCoversIt_AndEveryCallLeaves()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        var limit = new RateLimit { PerSecond = 50, Burst = 2 };
        var replicas = new[] { new SharedRateLimiter(data), new SharedRateLimiter(data) };
        var left = new ConcurrentBag<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await Task.WhenAll(Enumerable.Range(0, 80).Select(async i =>
        {
            await replicas[i % 2].Pacer("sms:paced", limit).WaitAsync(limit, 0, timeout.Token);
            left.Add(Stopwatch.GetTimestamp());
        }));

        var times = left.Order().ToArray();
        times.Length.ShouldBe(80);
        // Between any two calls, at least the refill of the calls between them beyond the burst: (j - i - burst) / rate.
        // One interval of slack for the two replicas' round trips, which shift their bookings' clocks differently, and
        // 5 ms for the thread that records a call's time to run: an earlier call's time taken late looks like a gap too
        // short (the suite's parallel tests kept one waiting 21 ms on a busy machine).
        for (var i = 0; i < times.Length; i++)
            for (var j = i + 1; j < times.Length; j++)
                Stopwatch.GetElapsedTime(times[i], times[j]).TotalSeconds.ShouldBeGreaterThanOrEqualTo((j - i - limit.Burst - 1) / limit.PerSecond - 0.005,
                    $"calls {i} and {j} of 80 left closer together than the bucket allows");
    }

    [Fact]
    public async Task Pacer_APause_VoidsTheTokensBookedBeforeIt()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        // A horizon of 2 s at 10/s: one booking gives all seven calls their tokens, 100 ms apart.
        var limit = new RateLimit { PerSecond = 10, Burst = 1 };
        var limiter = new SharedRateLimiter(data, TimeSpan.FromSeconds(2));
        var pacer = limiter.Pacer("sms:pause", limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var left = new ConcurrentBag<long>();
        var first = pacer.WaitAsync(limit, 0, timeout.Token);
        var others = Enumerable.Range(0, 6).Select(async _ =>
        {
            await pacer.WaitAsync(limit, 0, timeout.Token);
            left.Add(Stopwatch.GetTimestamp());
        }).ToArray();
        await first;

        // The first call was refused with 21611: the sender pauses for a second, on every replica.
        var pausing = Stopwatch.GetTimestamp();
        await limiter.PauseAsync("sms:pause", limit, TimeSpan.FromSeconds(1), CancellationToken.None);
        var paused = Stopwatch.GetTimestamp();
        await Task.WhenAll(others);

        // A call whose token came before the pause took effect may have left; every other waited out the pause, although
        // its token, booked before it, fell within it.
        left.Count.ShouldBe(6);
        left.ShouldAllBe(at => at < paused || Stopwatch.GetElapsedTime(pausing, at) >= TimeSpan.FromSeconds(1));
        left.Count(at => at >= paused).ShouldBeGreaterThan(0);
        pacer.Forfeited.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Pacer_ServesTheCallsOfAnOlderRunFirst_EvenWhenTheyCameLater()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        // One token per booking, 200 ms apart, and a paused bucket, so every call is waiting before the first booking.
        var limit = new RateLimit { PerSecond = 5, Burst = 1 };
        var limiter = new SharedRateLimiter(data);
        await limiter.PauseAsync("sms:order", limit, TimeSpan.FromMilliseconds(400), CancellationToken.None);
        var pacer = limiter.Pacer("sms:order", limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var left = new ConcurrentQueue<long>();
        async Task Call(long run)
        {
            await pacer.WaitAsync(limit, run, timeout.Token);
            left.Enqueue(run);
        }

        var newer = Enumerable.Range(0, 3).Select(_ => Call(2)).ToList();
        var older = Enumerable.Range(0, 3).Select(_ => Call(1)).ToList();
        await Task.WhenAll([.. newer, .. older]);

        left.ShouldBe([1, 1, 1, 2, 2, 2]);
    }

    [Fact]
    public async Task Pacer_ACancelledWaiter_LeavesTheQueue_AndTheOthersLeave()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        var limit = new RateLimit { PerSecond = 20, Burst = 1 };
        var pacer = new SharedRateLimiter(data).Pacer("sms:cancel", limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var cancelled = new CancellationTokenSource();
        var waiting = Enumerable.Range(0, 5).Select(_ => pacer.WaitAsync(limit, 0, timeout.Token)).ToList();
        var gone = pacer.WaitAsync(limit, 0, cancelled.Token);
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => gone);
        await Task.WhenAll(waiting);
    }

    [Fact]
    public async Task Pacer_WhenTheBucketCannotBeAsked_FailsTheWaitingCalls_AndTheNextCallBooksAgain()
    {
        await using var data = await SharedRateLimiterTests.DatabaseAsync();
        var limit = new RateLimit { PerSecond = 1000, Burst = 10 };
        var pacer = new SharedRateLimiter(data).Pacer("sms:broken", limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Rename(data, "book_rate_tokens", "book_rate_tokens_gone");

        var failed = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Should.ThrowAsync<PostgresException>(() => pacer.WaitAsync(limit, 0, timeout.Token))));
        failed.ShouldAllBe(e => e.SqlState == PostgresErrorCodes.UndefinedFunction);

        await Rename(data, "book_rate_tokens_gone", "book_rate_tokens");
        await pacer.WaitAsync(limit, 0, timeout.Token);
    }

    private static async Task Rename(NpgsqlDataSource data, string from, string to)
    {
        await using var command = data.CreateCommand($"alter function {from}(text, double precision, double precision, integer, double precision) rename to {to}");
        await command.ExecuteNonQueryAsync();
    }
}
