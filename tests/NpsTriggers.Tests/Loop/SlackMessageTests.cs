using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
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
        var message = SlackMessage.FromEvent(Encoding.UTF8.GetBytes(Payload));
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
            "0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43", Encoding.UTF8.GetBytes(Payload), new DateTimeOffset(2026, 11, 16, 8, 0, 0, TimeSpan.Zero), 1);
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

    [Fact]
    public void ToMessage_ManyRowsInARow_EachMessageHoldsExactlyItsOwnEvent()
    {
        // Payloads as PostgreSQL renders them, of any length and script (comments in Chinese, Arabic, emoji, quotes,
        // control characters), one after another and longer or shorter than the last: the buffer reused between
        // messages must leave nothing of one message in the next, and a message must keep its bytes after later ones.
        var comments = Gen.Elements("", "great courier", "快递员很好，但是包装破了", "الطلب وصل متأخراً", "Ang bilis! 😀", "\"quoted\" \\ and \n new line",
                "\u0000 nul", new string('x', 5000)).ListOf().Where(l => l.Count > 0);
        Prop.ForAll(comments.ToArbitrary(), list =>
        {
            var rows = list.Select((comment, i) => new OutboxRow(i, $"id-{i}:1", "kafka", "nps.response.recorded", $"key-{i}",
                Encoding.UTF8.GetBytes(new JsonObject { ["invitationId"] = $"id-{i}", ["version"] = 1, ["comment"] = comment }.ToJsonString()),
                new DateTimeOffset(2026, 12, 7, 2, 0, i % 60, TimeSpan.Zero), 0)).ToList();
            var messages = rows.Select(row => OutboxPublisher.ToMessage(row, "/nps-triggers/responses")).ToList();
            return rows.Zip(messages).All(pair =>
            {
                var (row, message) = pair;
                using var json = JsonDocument.Parse(message.Value);
                var root = json.RootElement;
                using var payload = JsonDocument.Parse(row.Payload);
                return Encoding.UTF8.GetString(message.Key) == row.PartitionKey
                    && root.GetProperty("id").GetString() == row.EventId
                    && root.GetProperty("time").GetDateTimeOffset() == row.CreatedAt
                    && JsonElement.DeepEquals(root.GetProperty("data"), payload.RootElement);
            });
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }
}
