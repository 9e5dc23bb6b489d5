using System.Text;
using System.Text.Json;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Tests.Loop;

public sealed class SlackMessageTests
{
    private const string Payload = """
        {"invitationId":"0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43","version":1,"survey":"support","channel":"sms","score":9,
         "category":"promoter","comment":null,"customerId":null,"metadata":{}}
        """;

    [Fact]
    public void FromEvent_NoCommentOrMetadata_HasHeaderAndFieldsOnly()
    {
        var message = SlackMessage.FromEvent(Payload);
        message["text"]!.GetValue<string>().ShouldBe("Promoter: 9/10 on survey support");
        message["blocks"]!.AsArray().Count.ShouldBe(2);
        message["blocks"]![1]!["fields"]![3]!["text"]!.GetValue<string>().ShouldBe("*Customer*\nunknown");
    }

    [Fact]
    public void Escape_SlackControlCharacters_AreEntities() =>
        SlackMessage.Escape("<!channel> & <http://x|y>").ShouldBe("&lt;!channel&gt; &amp; &lt;http://x|y&gt;");

    [Fact]
    public void ToMessage_OutboxRow_IsAStructuredModeCloudEvent()
    {
        var row = new OutboxRow(7, "0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43:1", "kafka", "nps.response.recorded",
            "0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43", Payload, new DateTimeOffset(2026, 11, 16, 8, 0, 0, TimeSpan.Zero), 1);
        var message = OutboxPublisher.ToMessage(row, "/nps-triggers/responses");
        Encoding.UTF8.GetString(message.Key).ShouldBe(row.PartitionKey);
        Encoding.UTF8.GetString(message.Headers.GetLastBytes("content-type")).ShouldBe("application/cloudevents+json; charset=utf-8");
        using var json = JsonDocument.Parse(message.Value);
        var root = json.RootElement;
        root.GetProperty("specversion").GetString().ShouldBe("1.0");
        root.GetProperty("id").GetString().ShouldBe(row.EventId);
        root.GetProperty("time").GetDateTimeOffset().ShouldBe(row.CreatedAt);
        root.GetProperty("data").GetProperty("score").GetInt32().ShouldBe(9);
    }
}
