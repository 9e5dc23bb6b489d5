using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace NpsTriggers.Host;

/// <summary>
/// Publishes this host's .NET meters (those its <see cref="IMeterFactory"/> created) into its own Prometheus registry:
/// counters as <c>_total</c> counters, histograms with buckets fitted to their unit, observable gauges read at scrape
/// time. Its own registry per host means two hosts in one process (tests) never mix their figures. (prometheus-net's
/// built-in meter adapter exported no values on .NET 10 here, so this listener does the bridging.)
/// </summary>
public sealed class MeterBridge : IHostedService, IDisposable
{
    private readonly CollectorRegistry _registry;
    private readonly IMeterFactory _meters;
    private readonly MetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, (ICollector Collector, string[] Labels)> _collectors = new();
    private readonly MeterListener _listener = new();

    public MeterBridge(CollectorRegistry registry, IMeterFactory meters)
    {
        _registry = registry;
        _meters = meters;
        _factory = Metrics.WithCustomRegistry(registry);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // The service's own meters only: framework meters (ASP.NET Core, HttpClient) vary their tags per measurement.
            if (ReferenceEquals(instrument.Meter.Scope, _meters) && instrument.Meter.Name.StartsWith("NpsTriggers.", StringComparison.Ordinal))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
        _registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_collectors.TryGetValue(instrument, out var entry))
            entry = _collectors.GetOrAdd(instrument, Create(instrument, tags));
        var (collector, labels) = entry;
        // Values in the collector's label order; a tag missing from this measurement is an empty label.
        var values = new string[labels.Length];
        for (var l = 0; l < labels.Length; l++)
        {
            values[l] = "";
            foreach (var tag in tags)
                if (tag.Key == labels[l])
                    values[l] = Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        switch (collector)
        {
            case Counter counter:
                counter.WithLabels(values).Inc(value);
                break;
            case Histogram histogram:
                histogram.WithLabels(values).Observe(value);
                break;
            case Gauge gauge:
                gauge.WithLabels(values).Set(value);
                break;
        }
    }

    private (ICollector, string[]) Create(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
            labels[i] = tags[i].Key;
        Array.Sort(labels, StringComparer.Ordinal);
        var name = instrument.Name.Replace('.', '_').Replace('-', '_') + instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            _ => "",
        };
        var help = instrument.Description ?? instrument.Name;
        ICollector collector = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> => _factory.CreateCounter(name + "_total", help, labels),
            Histogram<double> or Histogram<long> => _factory.CreateHistogram(name, help, labels, new HistogramConfiguration
            {
                Buckets = instrument.Unit == "ms" ? Histogram.ExponentialBuckets(1, 2, 16) : Histogram.ExponentialBuckets(0.001, 2, 16),
            }),
            _ => _factory.CreateGauge(name, help, labels),
        };
        return (collector, labels);
    }
}
