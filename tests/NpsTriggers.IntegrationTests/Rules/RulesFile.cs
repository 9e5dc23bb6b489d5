namespace NpsTriggers.IntegrationTests.Rules;

/// <summary>A send-rules file in a temporary folder of its own (so hot-reload tests can watch it), deleted after the test.</summary>
internal sealed class RulesFile : IDisposable
{
    public const string Standard = """
        version: 1
        throttle:
          global: 30d
        surveys:
          delivery:
            subject: '{{ recipient.name }}, how was order #{{ data.orderId }}?'
            question: How likely are you to recommend Acme?
          support:
            subject: How did we do?
            question: How likely are you to recommend Acme support?
        rules:
          - name: delivered
            on: order.delivered
            when:
              all:
                - { field: data.amount, gt: 20 }
                - { field: data.country, in: [DE, AT, CH, GB] }
                - not: { field: data.channel, eq: b2b }
            survey: delivery
            delay: 14d
            keep: [orderId, product]
            cancelOn:
              - { on: order.returned, match: orderId }
            reminders: { count: 1, after: 7d }
          - name: delivered-support-too
            on: order.delivered
            survey: support
            delay: 1d
          - name: sampled
            on: ticket.closed
            survey: support
            sample: 50%
            delay: 1h
          - name: windowed
            on: order.collected
            survey: delivery
            keep: [orderId]
            reminders: { count: 0 }
            window: { days: Mon-Thu, from: "09:00", to: "11:30", timeZone: Europe/Berlin }
        """;

    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "npstriggers-tests", "rules-" + Guid.NewGuid().ToString("N"));

    public RulesFile(string yaml = Standard)
    {
        Directory.CreateDirectory(_directory);
        Path = System.IO.Path.Combine(_directory, "send-rules.yaml");
        File.WriteAllText(Path, yaml);
    }

    public string Path { get; }

    public Dictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Rules:Path"] = Path };
        foreach (var (key, value) in more)
            settings[key] = value;
        return settings;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
