using Microsoft.Extensions.Time.Testing;
using Npgsql;
using NpsTriggers.Core.Kafka;

namespace NpsTriggers.Testing;

/// <summary>
/// The whole service on real parts: a fresh database on the shared PostgreSQL server, its own in-process Kafka
/// broker (librdkafka's mock cluster), a real SMTP server capturing mail, and the host on a loopback port with a
/// fake clock the test moves.
/// </summary>
public sealed class ServiceUnderTest : IAsyncDisposable
{
    /// <summary>A Monday morning in London, so the sample data reads naturally.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, string?> _settings;

    private ServiceUnderTest(string connectionString, MockKafkaCluster kafka, SmtpCaptureServer smtp, Dictionary<string, string?> settings)
    {
        ConnectionString = connectionString;
        Kafka = kafka;
        Smtp = smtp;
        _settings = settings;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    /// <summary>The configuration every host of this service gets (database, broker, SMTP server, rules, test timings).</summary>
    public IReadOnlyDictionary<string, string?> Settings => _settings;
    public NpgsqlDataSource DataSource { get; }
    public MockKafkaCluster Kafka { get; }
    public SmtpCaptureServer Smtp { get; private set; }

    /// <summary>Stops the SMTP server: sends fail as they would during a provider outage.</summary>
    public ValueTask StopSmtpAsync() => Smtp.DisposeAsync();

    /// <summary>Starts a fresh SMTP server on the same port (messages captured before the outage are gone).</summary>
    public async Task RestartSmtpAsync() => Smtp = await SmtpCaptureServer.StartAsync(port: Smtp.Port);
    public FakeTimeProvider Clock { get; } = new(Start);
    public RunningHost? Host { get; private set; }

    /// <summary>Every log line of every host this service started.</summary>
    public LogCapture Logs { get; } = new();

    public static async Task<ServiceUnderTest> StartAsync(
        IDictionary<string, string?>? overrides = null, bool startHost = true, string? smtpFailRecipients = null, int smtpTempFailFirst = 0,
        int smtpAcceptDelayMs = 0, TimeSpan? smtpLatency = null, TimeSpan? smtpJitter = null)
    {
        var connectionString = await PostgresServer.Shared.CreateDatabaseAsync();
        var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(BusinessEvents.Topic, 3);
        var smtp = await SmtpCaptureServer.StartAsync(smtpFailRecipients, smtpTempFailFirst, acceptDelayMs: smtpAcceptDelayMs,
            latency: smtpLatency, jitter: smtpJitter);
        var settings = new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = connectionString,
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers,
            ["Kafka:GroupId"] = "nps-triggers-test",
            ["Kafka:BatchMaxWait"] = "00:00:00.020",
            ["Rules:Path"] = RepoRoot.Combine("src", "Host", "send-rules.yaml"),
            ["Smtp:Host"] = smtp.Host,
            ["Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:Security"] = "None",
            ["Email:FromAddress"] = "surveys@acme.test",
            ["Email:FromName"] = "Acme",
            ["Email:MessageIdDomain"] = "nps.acme.test",
            ["Dispatch:SweepCron"] = "* * * * * *",
            // Tests run relational programmes explicitly, never on Hangfire's wall clock.
            ["Dispatch:RelationalCron"] = "0 0 31 2 *",
            // Tests are not about throughput; the shared limiter has its own tests and benchmark.
            ["RateLimits:Email:PerSecond"] = "10000",
            ["RateLimits:Email:Burst"] = "10000",
            ["RateLimits:Sms:PerSecond"] = "10000",
            ["RateLimits:Sms:Burst"] = "10000",
            // Circuits break for a second (real time), so outage tests wait a second, not half a minute.
            ["Smtp:CircuitBreakDuration"] = "00:00:01",
            ["Twilio:CircuitBreakDuration"] = "00:00:01",
            // The ops key, so tests read /api/nps, /api/decisions and the reports through RunningHost.Ops.
            ["Admin:ApiKeys:0"] = TestKeys.Admin,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            settings[key] = value;
        var service = new ServiceUnderTest(connectionString, kafka, smtp, settings);
        if (startHost)
            await service.StartHostAsync();
        return service;
    }

    public async Task<RunningHost> StartHostAsync(IDictionary<string, string?>? overrides = null)
    {
        if (Host is not null)
            throw new InvalidOperationException("The host is already running.");
        var settings = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            settings[key] = value;
        Host = await RunningHost.StartAsync(settings, Clock, logs: Logs);
        return Host;
    }

    /// <summary>Starts another host on the same database, broker, SMTP server and clock: a second replica.</summary>
    public Task<RunningHost> StartReplicaAsync(IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            settings[key] = value;
        return RunningHost.StartAsync(settings, Clock, logs: Logs);
    }

    public async Task StopHostAsync()
    {
        if (Host is null)
            return;
        await Host.DisposeAsync();
        Host = null;
    }

    /// <summary>Applies the schema without a host, for tests that change the database before the service starts.</summary>
    public Task MigrateAsync() =>
        new Core.Storage.DatabaseMigrator(DataSource, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Core.Storage.DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);

    public Task PublishAsync(params Confluent.Kafka.Message<byte[]?, byte[]?>[] messages) =>
        BusinessEvents.ProduceAsync(Kafka.BootstrapServers, messages);

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        var result = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs <paramref name="sql"/> (statements that return nothing) with <paramref name="parameters"/>.</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    private NpgsqlCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return command;
    }

    /// <summary>Waits until <paramref name="sql"/> (a count) reaches <paramref name="expected"/>.</summary>
    public Task<long> WaitForCountAsync(string sql, long expected, TimeSpan? timeout = null) =>
        Eventually.Until(() => ScalarAsync<long>(sql), n => n >= expected, timeout, sql);

    public async ValueTask DisposeAsync()
    {
        await StopHostAsync();
        await DataSource.DisposeAsync();
        await Smtp.DisposeAsync();
        Kafka.Dispose();
    }
}
