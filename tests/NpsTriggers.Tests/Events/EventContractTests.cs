using System.Text;
using Confluent.Kafka;
using NJsonSchema;
using NpsTriggers.Testing;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Tests.Events;

/// <summary>docs/EVENTS.md's examples and schema agree with each other and with the service's parser.</summary>
public sealed class EventContractTests
{
    private static readonly Headers Structured = new() { { "content-type", Encoding.UTF8.GetBytes("application/cloudevents+json") } };

    private static Task<JsonSchema> Schema() =>
        JsonSchema.FromFileAsync(RepoRoot.Combine("docs", "schemas", "business-event.schema.json"));

    [Theory]
    [InlineData("order.delivered.json", "order.delivered", "Anna")]
    [InlineData("ticket.closed.json", "ticket.closed", "Bo")]
    public async Task Example_ValidatesAgainstTheSchemaAndParses(string file, string type, string name)
    {
        var json = await File.ReadAllTextAsync(RepoRoot.Combine("docs", "examples", file));
        (await Schema()).Validate(json).ShouldBeEmpty();
        var e = CloudEventReader.Read(KafkaEventRecord.From(Structured, Encoding.UTF8.GetBytes(json)), 256 * 1024).Event.ShouldNotBeNull();
        e.Type.ShouldBe(type);
        e.Recipient.Name.ShouldBe(name);
    }

    [Fact]
    public async Task ResponseRecordedExample_ValidatesAgainstItsSchema()
    {
        var schema = await JsonSchema.FromFileAsync(RepoRoot.Combine("docs", "schemas", "response-recorded.schema.json"));
        schema.Validate(await File.ReadAllTextAsync(RepoRoot.Combine("docs", "examples", "nps.response.recorded.json"))).ShouldBeEmpty();
        schema.Validate("""{"specversion":"1.0","id":"not-a-change-id","source":"/s","type":"nps.response.recorded"}""").ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("""{"specversion":"1.0","source":"/s","type":"t","data":{"recipient":{"email":"a@b.de"}}}""")]
    [InlineData("""{"specversion":"0.3","id":"1","source":"/s","type":"t","data":{"recipient":{"email":"a@b.de"}}}""")]
    [InlineData("""{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"recipient":{"name":"Anna"}}}""")]
    [InlineData("""{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"recipient":{"phone":"0151"}}}""")]
    [InlineData("""{"specversion":"1.0","id":"1","source":"/s","type":"t","data":[]}""")]
    public async Task BrokenEnvelope_FailsBothTheSchemaAndTheParser(string json)
    {
        (await Schema()).Validate(json).ShouldNotBeEmpty();
        CloudEventReader.Read(KafkaEventRecord.From(Structured, Encoding.UTF8.GetBytes(json)), 256 * 1024).Reason.ShouldNotBeNull();
    }
}
