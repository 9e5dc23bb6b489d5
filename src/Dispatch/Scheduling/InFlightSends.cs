using System.Runtime.ExceptionServices;
using NpsTriggers.Dispatch.Channels;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The provider calls one send run has in flight on one channel. A call holds a slot of the process-wide gate
/// (<see cref="InFlightLimits"/>) from before its rate token is drawn until its <c>sent</c> is committed, so slots bound
/// the calls in flight and the accepted sends not yet recorded alike. A run may have as many calls in flight as the
/// channel's <see cref="SendWindow"/> allows, up to <paramref name="bound"/>: the window is the process's, so a run that
/// starts while others send starts at the window they reached, not at one call (runs of one burst used to restart
/// together at one call each, a dip in the rate every few seconds, issue 21).
/// </summary>
public sealed class InFlightSends(SemaphoreSlim gate, int bound, SendWindow window)
{
    private readonly Lock _lock = new();
    private readonly List<Task> _running = [];
    private readonly SemaphoreSlim _finished = new(0);
    private int _inFlight;
    private ExceptionDispatchInfo? _failure;

    /// <summary>
    /// Waits for room in this run's window and for at least one slot of the process-wide gate, then takes as many more
    /// as are free now, up to <paramref name="wanted"/>. Hand back (<see cref="Unreserve"/>) what no call will use: a batch
    /// whose lease renewal lost some invitations meanwhile, or a failure before its calls started.
    /// </summary>
    public async Task<int> ReserveAsync(int wanted, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1);
        int room;
        while ((room = Room()) == 0)
            await _finished.WaitAsync(cancellationToken);
        await gate.WaitAsync(cancellationToken);
        var taken = 1;
        while (taken < Math.Min(wanted, room) && gate.Wait(0))
            taken++;
        lock (_lock)
            _inFlight += taken;
        return taken;
    }

    /// <summary>Returns reserved slots no call will use.</summary>
    public void Unreserve(int slots)
    {
        if (slots <= 0)
            return;
        lock (_lock)
            _inFlight -= slots;
        gate.Release(slots);
        _finished.Release();
    }

    /// <summary>Runs <paramref name="send"/> (provider call and its commit) on a reserved slot, which it frees when done.</summary>
    public void Start(Func<Task<SendResult>> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        var running = RunAsync(send);
        lock (_lock)
            _running.Add(running);
    }

    /// <summary>Waits for every call started; rethrows the first failure.</summary>
    public async Task DrainAsync()
    {
        Task[] running;
        lock (_lock)
            running = [.. _running];
        await Task.WhenAll(running);
        _failure?.Throw();
    }

    private int Room()
    {
        // A failed send (not a refusal: the database or the host) ends the run instead of starting more.
        _failure?.Throw();
        lock (_lock)
            return Math.Max(0, Math.Min(bound, window.Size) - _inFlight);
    }

    private async Task RunAsync(Func<Task<SendResult>> send)
    {
        try
        {
            var result = await send();
            if (result.SenderPaused)
                window.Reset();
            else if (result.Accepted)
                window.Grow();
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
        }
        finally
        {
            lock (_lock)
                _inFlight--;
            gate.Release();
            _finished.Release();
        }
    }
}

/// <summary>
/// How many calls in flight a channel's provider takes now, shared by the process's send runs: one at the start, one more
/// for each call it accepts, up to the channel's bound; a refusal that pauses the sender (Twilio 21611) takes it back to
/// one, so a full queue costs a run one refused call per pause, not a whole window of them.
/// </summary>
public sealed class SendWindow(int bound)
{
    private int _size = 1;

    /// <summary>The calls in flight a run may have now.</summary>
    public int Size => Volatile.Read(ref _size);

    /// <summary>The provider accepted a call.</summary>
    public void Grow()
    {
        int size;
        do
        {
            size = Volatile.Read(ref _size);
            if (size >= bound)
                return;
        }
        while (Interlocked.CompareExchange(ref _size, size + 1, size) != size);
    }

    /// <summary>The sender was paused: back to one call.</summary>
    public void Reset() => Volatile.Write(ref _size, 1);
}
