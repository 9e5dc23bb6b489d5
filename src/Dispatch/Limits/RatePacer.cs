using System.Diagnostics;

namespace NpsTriggers.Dispatch.Limits;

/// <summary>
/// This process's side of one shared bucket: every provider call of every send run waits here for its token's time.
/// One booking loop per bucket and process asks PostgreSQL for tokens on behalf of all waiting calls, oldest first
/// (<c>book_rate_tokens</c>: what the bucket holds and its refill up to <see cref="Horizon"/> ahead), and gives each
/// waiter the moment its token is covered by the refill. So the bucket is asked a few dozen times a second however many
/// calls wait, and a booking loop that runs late (a round trip under load, a pause) loses no refill as long as it comes
/// back within the horizon, where a draw of what the bucket holds lost everything past its burst.
/// </summary>
/// <remarks>
/// Two rules keep calls inside the bucket's bound at the provider, not only in the bucket's books. A call that wakes
/// later than <see cref="LateBy"/> after its token's time gives the token up and books again, so a stalled process does
/// not let a backlog of calls leave together. And a pause (Twilio 21611, <see cref="Paused"/>) voids every token booked
/// here before it: their calls book again, behind the pause's debt.
/// </remarks>
public sealed class RatePacer
{
    private readonly SharedRateLimiter _limiter;
    private readonly string _name;
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiting = [];
    private RateLimit _limit;
    private bool _booking;
    private int _epoch;

    internal RatePacer(SharedRateLimiter limiter, string name, RateLimit limit, TimeSpan horizon)
    {
        _limiter = limiter;
        _name = name;
        _limit = limit;
        Horizon = horizon;
    }

    /// <summary>
    /// How far ahead a pacer books refill unless told otherwise: 100 ms, which a booking loop late by a round trip or a
    /// collection still covers, while the calls it books wait little (22 at 225/s).
    /// </summary>
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromMilliseconds(100);

    /// <summary>How far ahead the bucket's refill may be booked.</summary>
    public TimeSpan Horizon { get; }

    /// <summary>How late after its token's time a call may still leave: the time the bucket's burst covers.</summary>
    public TimeSpan LateBy => TimeSpan.FromSeconds(Math.Max(1, _limit.Burst) / _limit.PerSecond);

    /// <summary>Tokens given up because their call woke too late, or because a pause voided them.</summary>
    public long Forfeited => Interlocked.Read(ref _forfeited);

    private long _forfeited;

    /// <summary>
    /// Waits until this call may reach the provider: its token is booked and its time has come. Calls of an older send
    /// run (a lower <paramref name="order"/>, e.g. the run's start as a <see cref="Stopwatch"/> timestamp) are served
    /// first, the same run's in the order they came. Shared evenly, the runs a burst started together all finished
    /// together and all restarted (claim, preparation, a window of one call) at once, a dip in the rate every few
    /// seconds; oldest first, one run finishes while the others send. Throws what the booking threw (the database
    /// unreachable) or <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task WaitAsync(RateLimit limit, long order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        while (true)
        {
            var (at, epoch) = await BookAsync(limit, order, cancellationToken);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), at);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, cancellationToken);
            var late = Stopwatch.GetElapsedTime(at);
            if (Volatile.Read(ref _epoch) == epoch && late <= LateBy)
                return;
            // Paused since the booking, or woken so late that leaving now would crowd the calls booked after it.
            Interlocked.Increment(ref _forfeited);
        }
    }

    /// <summary>The sender was paused (its bucket put into debt): tokens booked before now are void.</summary>
    public void Paused() => Interlocked.Increment(ref _epoch);

    private Task<(long At, int Epoch)> BookAsync(RateLimit limit, long order, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(order);
        LinkedListNode<Waiter> node;
        bool start;
        lock (_lock)
        {
            _limit = limit;
            // Behind every waiter of its own run or an older one: new calls mostly belong to the newest run, so the walk
            // from the end is short.
            var after = _waiting.Last;
            while (after is not null && after.Value.Order > order)
                after = after.Previous;
            node = after is null ? _waiting.AddFirst(waiter) : _waiting.AddAfter(after, waiter);
            start = !_booking;
            _booking = true;
        }
        if (start)
            _ = Task.Run(BookLoopAsync, CancellationToken.None);
        if (cancellationToken.CanBeCanceled)
        {
            // Left the queue before its token came: the loop books nothing for it.
            var registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    if (node.List is not null)
                        _waiting.Remove(node);
                }
                waiter.Done.TrySetCanceled(cancellationToken);
            });
            waiter.Done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return waiter.Done.Task;
    }

    /// <summary>Books tokens for the waiting calls, oldest first, until none waits.</summary>
    private async Task BookLoopAsync()
    {
        while (true)
        {
            int wanted;
            RateLimit limit;
            int epoch;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _booking = false;
                    return;
                }
                limit = _limit;
                wanted = Math.Min(_waiting.Count, MaxBooking(limit));
                epoch = _epoch;
            }
            SharedRateLimiter.Booking booking;
            try
            {
                booking = await _limiter.BookAsync(_name, limit, wanted, Horizon, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The database is unreachable: every waiting call fails as its own draw would have, and the next call
                // to wait starts the loop again.
                List<Waiter> failed;
                lock (_lock)
                {
                    failed = [.. _waiting];
                    _waiting.Clear();
                    _booking = false;
                }
                foreach (var waiter in failed)
                    waiter.Done.TrySetException(e);
                return;
            }
            if (booking.Taken == 0)
            {
                // Booked to the horizon (or a paused sender's debt): come back once half the horizon has become usable,
                // so each booking takes a useful number of tokens, and well before the booked ones run out.
                await Task.Delay(Max(TimeSpan.FromMilliseconds(1), booking.FirstWait - Horizon / 2));
                continue;
            }
            var given = 0;
            lock (_lock)
            {
                while (given < booking.Taken && _waiting.First is { } first)
                {
                    _waiting.RemoveFirst();
                    if (first.Value.Done.TrySetResult((booking.At(given), epoch)))
                        given++;
                }
            }
            // Tokens booked for calls that were cancelled meanwhile are spent unused: never more, which keeps the bound.
        }
    }

    /// <summary>The most one booking asks for: what a full bucket holds and its refill over the horizon.</summary>
    private int MaxBooking(RateLimit limit) => Math.Max(1, (int)Math.Floor(limit.Burst + limit.PerSecond * Horizon.TotalSeconds));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Waiter(long order)
    {
        public long Order { get; } = order;

        public TaskCompletionSource<(long At, int Epoch)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
