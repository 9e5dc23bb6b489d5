using Confluent.Kafka;

namespace NpsTriggers.Testing;

/// <summary>What a consumer group has committed on a topic, read from the group coordinator (OffsetFetch).</summary>
public static class ConsumerGroupOffsets
{
    /// <summary>
    /// Committed offset minus the high watermark, summed over the topic's partitions: 0 once the group has committed
    /// everything written; a partition with no committed offset counts as its whole log.
    /// </summary>
    public static long Uncommitted(string bootstrapServers, string groupId, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        // A consumer that never subscribes reads the group's offsets without joining it.
        using var reader = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).Build();
        var committed = reader.Committed(partitions, TimeSpan.FromSeconds(10));
        return committed.Sum(c =>
        {
            var high = reader.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High.Value;
            return high - Math.Max(0, c.Offset.Value);
        });
    }
}
