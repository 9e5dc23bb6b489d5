using System.Collections.Concurrent;
using System.Diagnostics;

namespace NpsTriggers.Dispatch.Scheduling;

/// <summary>
/// The calls of one send run that wait for their rate token's time (<see cref="Limits.RatePacer"/>), and the claim lease
/// kept for them meanwhile: every <paramref name="every"/> their leases are renewed together, so a long wait (a slow rate,
/// a paused sender) does not let a sweep take them back as abandoned. One a renewal finds held by another run is lost:
/// its call leaves it alone.
/// </summary>
public sealed class WaitingCalls(Func<IReadOnlyCollection<Guid>, Task<HashSet<Guid>>> renew, TimeSpan every) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, byte> _waiting = new();
    private readonly ConcurrentDictionary<Guid, byte> _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task? _keeper;
    private long _renewedAt;

    /// <summary>When the leases of the waiting calls were last renewed (a <see cref="Stopwatch"/> timestamp), 0 before.</summary>
    public long RenewedAt => Interlocked.Read(ref _renewedAt);

    /// <summary>A call starts waiting for its token.</summary>
    public void Add(Guid invitation)
    {
        _waiting[invitation] = 0;
        lock (_lock)
            _keeper ??= KeepAsync();
    }

    /// <summary>The call's token came: it stops waiting. False when a renewal found the invitation held by another run.</summary>
    public bool Leave(Guid invitation)
    {
        _waiting.TryRemove(invitation, out _);
        return !_lost.ContainsKey(invitation);
    }

    private async Task KeepAsync()
    {
        while (true)
        {
            try
            {
                await Task.Delay(every, _stop.Token);
                var ids = _waiting.Keys.ToArray();
                if (ids.Length == 0)
                    continue;
                var held = await renew(ids);
                foreach (var id in ids)
                {
                    if (!held.Contains(id))
                        _lost[id] = 0;
                }
                Interlocked.Exchange(ref _renewedAt, Stopwatch.GetTimestamp());
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                // The database is away: the calls renew their own leases when they wake after a long wait.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task? keeper;
        lock (_lock)
            keeper = _keeper;
        if (keeper is not null)
            await keeper;
        _stop.Dispose();
    }
}
