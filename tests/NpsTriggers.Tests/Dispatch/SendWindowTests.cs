using NpsTriggers.Dispatch.Channels;
using NpsTriggers.Dispatch.Scheduling;

namespace NpsTriggers.Tests.Dispatch;

/// <summary>
/// The calls in flight a channel takes are the process's, not each send run's: a run that starts while others send
/// starts at the window they reached, and a sender's pause takes every run back to one call.
/// </summary>
public sealed class SendWindowTests
{
    private static Task<SendResult> Accepted() => Task.FromResult(new SendResult("SM1", 0));

    private static Task<SendResult> Paused() => Task.FromResult(new SendResult(null, 0, SenderPaused: true));

    [Fact]
    public async Task ARunStartingLater_StartsAtTheWindowEarlierRunsReached()
    {
        using var gate = new SemaphoreSlim(100, 100);
        var window = new SendWindow(100);
        var first = new InFlightSends(gate, 100, window);
        window.Size.ShouldBe(1, "a fresh process starts with one call in flight");
        for (var i = 0; i < 5; i++)
        {
            (await first.ReserveAsync(1, CancellationToken.None)).ShouldBe(1);
            first.Start(Accepted);
            await first.DrainAsync();
        }
        window.Size.ShouldBe(6);

        var later = new InFlightSends(gate, 100, window);
        (await later.ReserveAsync(10, CancellationToken.None)).ShouldBe(6);
        later.Unreserve(6);
    }

    [Fact]
    public async Task APause_TakesEveryRunBackToOneCall_AndTheBoundHolds()
    {
        using var gate = new SemaphoreSlim(100, 100);
        var window = new SendWindow(3);
        var run = new InFlightSends(gate, 3, window);
        for (var i = 0; i < 10; i++)
        {
            var slots = await run.ReserveAsync(10, CancellationToken.None);
            for (var s = 0; s < slots; s++)
                run.Start(Accepted);
            await run.DrainAsync();
        }
        window.Size.ShouldBe(3, "never above the channel's bound");

        var other = new InFlightSends(gate, 3, window);
        (await other.ReserveAsync(1, CancellationToken.None)).ShouldBe(1);
        other.Start(Paused);
        await other.DrainAsync();

        window.Size.ShouldBe(1);
        (await run.ReserveAsync(10, CancellationToken.None)).ShouldBe(1);
        run.Unreserve(1);
    }

    [Fact]
    public async Task SequentialSends_KeepOneCallPerRun_WhateverTheWindow()
    {
        using var gate = new SemaphoreSlim(100, 100);
        var window = new SendWindow(100);
        for (var i = 0; i < 20; i++)
            window.Grow();
        var run = new InFlightSends(gate, 1, window);
        (await run.ReserveAsync(10, CancellationToken.None)).ShouldBe(1);
        run.Unreserve(1);
    }
}
