using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace NpsTriggers.Testing;

/// <summary>Publishes CloudEvents to Kafka the way a platform team would (docs/EVENTS.md).</summary>
public static class BusinessEvents
{
    public const string Topic = "business-events";

    public static object OrderDelivered(string orderId, string email = "anna@example.com", string name = "Anna") => new
    {
        recipient = new { customerId = "c-" + orderId, email, name, locale = "en-GB", timeZone = "Europe/London" },
        orderId,
        product = "Trail shoes",
        store = "web-uk",
        amount = 89.9,
        country = "GB",
    };

    public static Message<byte[]?, byte[]?> Binary(string id, string type, object data, DateTimeOffset time, string source = "/shop/orders")
    {
        var headers = new Headers
        {
            { "ce_specversion", "1.0"u8.ToArray() },
            { "ce_id", Encoding.UTF8.GetBytes(id) },
            { "ce_source", Encoding.UTF8.GetBytes(source) },
            { "ce_type", Encoding.UTF8.GetBytes(type) },
            { "ce_time", Encoding.UTF8.GetBytes(time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture)) },
            { "content-type", "application/json"u8.ToArray() },
        };
        return new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(id), Value = JsonSerializer.SerializeToUtf8Bytes(data), Headers = headers };
    }

    public static Message<byte[]?, byte[]?> Structured(string id, string type, object data, DateTimeOffset time, string source = "/support/tickets")
    {
        var envelope = new Dictionary<string, object?>
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = source,
            ["type"] = type,
            ["time"] = time,
            ["datacontenttype"] = "application/json",
            ["data"] = data,
        };
        return new Message<byte[]?, byte[]?>
        {
            Key = Encoding.UTF8.GetBytes(id),
            Value = JsonSerializer.SerializeToUtf8Bytes(envelope),
            Headers = new Headers { { "content-type", "application/cloudevents+json; charset=utf-8"u8.ToArray() } },
        };
    }

    public static Message<byte[]?, byte[]?> Raw(byte[] value, params (string Key, string Value)[] headers)
    {
        var h = new Headers();
        foreach (var (key, text) in headers)
            h.Add(key, Encoding.UTF8.GetBytes(text));
        return new Message<byte[]?, byte[]?> { Value = value, Headers = h };
    }

    /// <summary>Produces to one partition, so a test decides which records share a partition (and an order) and which do not.</summary>
    public static async Task ProduceToAsync(string bootstrapServers, int partition, params Message<byte[]?, byte[]?>[] messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true }).Build();
        foreach (var message in messages)
            await producer.ProduceAsync(new TopicPartition(Topic, partition), message);
    }

    public static async Task ProduceAsync(string bootstrapServers, params Message<byte[]?, byte[]?>[] messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            MessageMaxBytes = 4 * 1024 * 1024,
        }).Build();
        // All in flight at once (the idempotent producer keeps each partition's order), then every ack awaited.
        await Task.WhenAll(messages.Select(message => producer.ProduceAsync(Topic, message)));
        producer.Flush(TimeSpan.FromSeconds(10));
    }
}
