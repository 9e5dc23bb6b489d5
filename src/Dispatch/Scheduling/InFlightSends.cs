using System.Runtime.ExceptionServices;
using NpsTriggers.Dispatch.Channels;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The provider calls one send run has in flight on one channel. A call holds a slot of the process-wide gate
/// (<see cref="InFlightLimits"/>) from before its rate token is drawn until its <c>sent</c> is committed, so slots bound
/// the calls in flight and the accepted sends not yet recorded alike. A run starts with one call in flight and adds one
/// for each the provider accepts, up to <paramref name="bound"/>; a refusal that pauses the sender (Twilio 21611) takes
/// it back to one, so a full queue costs one refused call per pause, not a whole window of them.
/// </summary>
public sealed class InFlightSends(SemaphoreSlim gate, int bound)
{
    private readonly Lock _lock = new();
    private readonly List<Task> _running = [];
    private readonly SemaphoreSlim _finished = new(0);
    private int _window = 1;
    private int _inFlight;
    private ExceptionDispatchInfo? _failure;

    /// <summary>
    /// Waits for room in this run's window and for at least one slot of the process-wide gate, then takes as many more
    /// as are free now, up to <paramref name="wanted"/>. Hand back what a smaller rate-limit draw leaves unused.
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
            return Math.Max(0, _window - _inFlight);
    }

    private async Task RunAsync(Func<Task<SendResult>> send)
    {
        try
        {
            var result = await send();
            lock (_lock)
            {
                if (result.SenderPaused)
                    _window = 1;
                else if (result.Accepted && _window < bound)
                    _window++;
            }
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
