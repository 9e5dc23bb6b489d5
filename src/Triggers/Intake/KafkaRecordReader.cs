using Confluent.Kafka;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;

namespace NpsTriggers.Triggers.Intake;

/// <summary>
/// Reads one record back from Kafka by its position, for the dead letter of an event PostgreSQL refused. The consumer
/// loop does not keep the records of a batch until its commit: holding thousands of messages (headers and all) past
/// the young generation cost intake about a fifth of its rate (docs/BENCHMARKS.md). A refusal is rare, and the broker
/// still has the record, since its offset has not been stored.
/// </summary>
public sealed class KafkaRecordReader(IOptions<KafkaOptions> options, KafkaBootstrap bootstrap)
{
    /// <summary>The record at the position, or null when the broker does not answer with it in time.</summary>
    public Task<RawRecord?> ReadAsync(string topic, int partition, long offset, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            // A consumer of its own, outside the group: assigned, not subscribed, so it joins no rebalance and commits nothing.
            var config = new ConsumerConfig(options.Value.ClientSettings())
            {
                BootstrapServers = bootstrap.BootstrapServers,
                GroupId = options.Value.GroupId + ".dead-letter-reader",
                EnableAutoCommit = false,
                EnableAutoOffsetStore = false,
            };
            using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
            try
            {
                consumer.Assign(new TopicPartitionOffset(topic, partition, offset));
                var result = consumer.Consume(TimeSpan.FromSeconds(10));
                return result is { IsPartitionEOF: false } && result.Offset.Value == offset
                    ? new RawRecord(result.Message.Key, result.Message.Headers, result.Message.Value)
                    : null;
            }
            finally
            {
                consumer.Close();
            }
        }, cancellationToken);
}
