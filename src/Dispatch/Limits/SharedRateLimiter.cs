using System.Diagnostics;
using Npgsql;

namespace NpsTriggers.Dispatch.Limits;

/// <summary>
/// A token bucket per provider and sender, kept in PostgreSQL so every dispatch replica draws from the same bucket:
/// a rate configured for a Twilio number holds however many replicas send from it. Refill is computed from the
/// database's own clock (<c>clock_timestamp()</c>), so replicas with skewed clocks still agree. This is wall-clock
/// throughput, not business time, so it deliberately does not read the service's TimeProvider.
/// </summary>
/// <param name="dataSource">The database holding the buckets.</param>
/// <param name="bookingHorizon">How far ahead this process's pacers book refill (<see cref="RatePacer.DefaultHorizon"/>).</param>
public sealed class SharedRateLimiter(NpgsqlDataSource dataSource, TimeSpan? bookingHorizon = null)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RatePacer> _pacers = new(StringComparer.Ordinal);

    private const string Pause = """
        insert into rate_limits as r (name, capacity, per_second, tokens, updated_at)
        values (@name, @capacity, @per_second, -@debt, clock_timestamp())
        on conflict (name) do update
        set tokens = least(0, r.tokens + extract(epoch from clock_timestamp() - r.updated_at) * r.per_second) - @debt,
            updated_at = clock_timestamp()
        """;

    private const string Available = """
        select least(capacity, tokens + extract(epoch from clock_timestamp() - updated_at) * per_second)
        from rate_limits where name = @name
        """;

    /// <summary>
    /// Empties the bucket and puts it <paramref name="pause"/> worth of refill into debt, so no replica sends from this
    /// sender until then (Twilio 21611: the sender's queue is full).
    /// </summary>
    public async Task PauseAsync(string name, RateLimit limit, TimeSpan pause, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        await using var command = dataSource.CreateCommand(Pause);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("capacity", limit.Burst);
        command.Parameters.AddWithValue("per_second", limit.PerSecond);
        command.Parameters.AddWithValue("debt", pause.TotalSeconds * limit.PerSecond);
        await command.ExecuteNonQueryAsync(cancellationToken);
        if (_pacers.TryGetValue(name, out var pacer))
            pacer.Paused();
    }

    /// <summary>Tokens this process's pacers gave up (a call woke too late, or a pause voided them), all buckets.</summary>
    public long ForfeitedTokens => _pacers.Values.Sum(p => p.Forfeited);

    /// <summary>
    /// This process's pacer for bucket <paramref name="name"/>: provider calls wait there for their token's time
    /// (<see cref="RatePacer.WaitAsync"/>), and one booking loop per bucket asks the database for all of them.
    /// </summary>
    public RatePacer Pacer(string name, RateLimit limit) => _pacers.GetOrAdd(name, static (key, state) => new RatePacer(state.Limiter, key, state.Limit, state.Horizon), (Limiter: this, Limit: limit, Horizon: bookingHorizon ?? RatePacer.DefaultHorizon));

    /// <summary>
    /// Tokens booked ahead: <see cref="Taken"/> of them, answered at <see cref="Answered"/> (a <see cref="Stopwatch"/>
    /// timestamp); token i (from 0) may be used <see cref="FirstWait"/> + i / per second after that, at once when that is
    /// not positive (what the bucket held). With none taken, <see cref="FirstWait"/> says when the next token is covered.
    /// </summary>
    public readonly record struct Booking(int Taken, long Answered, TimeSpan FirstWait, TimeSpan Interval)
    {
        /// <summary>When token <paramref name="index"/> (from 0) may be used, as a <see cref="Stopwatch"/> timestamp.</summary>
        public long At(int index) => Answered + (long)(Math.Max(0, (FirstWait + Interval * index).TotalSeconds) * Stopwatch.Frequency);
    }

    /// <summary>
    /// Books up to <paramref name="wanted"/> tokens: what the bucket holds now and its refill up to
    /// <paramref name="horizon"/> ahead (<c>book_rate_tokens</c>). Each may only be used at its time
    /// (<see cref="Booking.At"/>), counted from when the answer arrived, so never earlier than the database's own.
    /// </summary>
    public async Task<Booking> BookAsync(string name, RateLimit limit, int wanted, TimeSpan horizon, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1);
        await using var command = dataSource.CreateCommand("select taken, first_wait from book_rate_tokens($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = limit.Burst });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = limit.PerSecond });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = wanted });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = horizon.TotalSeconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var taken = reader.GetInt32(0);
        var firstWait = reader.GetDouble(1);
        return new Booking(taken, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(firstWait), TimeSpan.FromSeconds(1 / limit.PerSecond));
    }

    /// <summary>Takes one token if the bucket has it now.</summary>
    public async Task<bool> TryAcquireAsync(string name, RateLimit limit, CancellationToken cancellationToken) =>
        await TryAcquireUpToAsync(name, limit, 1, cancellationToken) == 1;

    /// <summary>
    /// Takes up to <paramref name="wanted"/> tokens, as many as the bucket holds now, and returns how many it took
    /// (0 when it holds less than one). One statement, so a send job pays one round trip for a batch of sends.
    /// </summary>
    public async Task<int> TryAcquireUpToAsync(string name, RateLimit limit, int wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        ArgumentOutOfRangeException.ThrowIfLessThan(wanted, 1);
        await using var command = dataSource.CreateCommand("select take_rate_tokens($1, $2, $3, $4)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = limit.Burst });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = limit.PerSecond });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = wanted });
        return await command.ExecuteScalarAsync(cancellationToken) is int taken ? taken : 0;
    }

    /// <summary>Waits until one token is available and takes it.</summary>
    public Task AcquireAsync(string name, RateLimit limit, CancellationToken cancellationToken) =>
        AcquireUpToAsync(name, limit, 1, cancellationToken);

    /// <summary>Waits until at least one token is available, then takes up to <paramref name="wanted"/> and returns how many.</summary>
    public async Task<int> AcquireUpToAsync(string name, RateLimit limit, int wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        while (true)
        {
            if (await TryAcquireUpToAsync(name, limit, wanted, cancellationToken) is var taken and > 0)
                return taken;
            await using var command = dataSource.CreateCommand(Available);
            command.Parameters.AddWithValue("name", name);
            var available = await command.ExecuteScalarAsync(cancellationToken) is double tokens ? tokens : 0;
            // Sleep until a token should be there, plus a little jitter so replicas do not retry in lockstep.
            var wait = TimeSpan.FromSeconds(Math.Max(0, 1 - available) / limit.PerSecond) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 5));
            await Task.Delay(wait, cancellationToken);
        }
    }
}
