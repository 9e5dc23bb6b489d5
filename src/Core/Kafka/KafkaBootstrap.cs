namespace NpsTriggers.Core.Kafka;

/// <summary>
/// The bootstrap address clients use: the configured one, or the embedded broker's when none is configured.
/// Resolved once; the embedded broker lives as long as the host.
/// </summary>
public sealed class KafkaBootstrap(Func<string> resolve) : IDisposable
{
    private readonly Lazy<string> _servers = new(resolve, LazyThreadSafetyMode.ExecutionAndPublication);
    private IDisposable? _owned;

    public string BootstrapServers => _servers.Value;

    /// <summary>Whether the address belongs to the embedded broker.</summary>
    public bool Embedded { get; private set; }

    /// <summary>Takes ownership of an embedded broker, disposed with the host.</summary>
    public void Own(IDisposable broker)
    {
        _owned = broker;
        Embedded = true;
    }

    public void Dispose() => _owned?.Dispose();
}
