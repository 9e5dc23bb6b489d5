using System.Text.Json;
using NpsTriggers.Ingest.Replies;

namespace NpsTriggers.Tests.Loop;

public sealed class ResponseCsvTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("plain text", "plain text")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("line\nfeed", "\"line\nfeed\"")]
    [InlineData("=SUM(A1:A9)", "'=SUM(A1:A9)")]
    [InlineData("+49 151", "'+49 151")]
    [InlineData("-1, really", "\"'-1, really\"")]
    [InlineData("@admin", "'@admin")]
    public void Field_Text_QuotedPerRfc4180AndDefusedAgainstFormulas(string? value, string expected) =>
        ResponseCsv.Field(value).ShouldBe(expected);

    [Fact]
    public void Row_Response_WritesEveryColumnAndEndsWithCrLf()
    {
        using var metadata = JsonDocument.Parse("""{"orderId":"1234","amount":89.9}""");
        var response = new ResponseView(Guid.Parse("0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43"), "delivery", "phone", 6, "detractor", "slow, \"meh\"",
            new DateTimeOffset(2026, 11, 16, 8, 0, 0, 123, TimeSpan.FromHours(1)), new DateTimeOffset(2026, 11, 16, 7, 5, 0, TimeSpan.Zero), 2,
            metadata.RootElement.Clone());
        ResponseCsv.Row(response).ShouldBe(
            "0b4f5a8e-9c1d-4a47-8f0e-2d1c7a6b5e43,delivery,phone,6,detractor,\"slow, \"\"meh\"\"\",2026-11-16T07:00:00.123000Z,"
            + "2026-11-16T07:05:00.000000Z,2,\"{\"\"orderId\"\":\"\"1234\"\",\"\"amount\"\":89.9}\"\r\n");
    }

    [Fact]
    public void Cursor_RoundTrips_AndRejectsGarbage()
    {
        using var metadata = JsonDocument.Parse("{}");
        var last = new ResponseView(Guid.NewGuid(), "s", "email", 9, "promoter", null,
            new DateTimeOffset(2026, 11, 16, 8, 0, 0, TimeSpan.Zero).AddTicks(1234560), DateTimeOffset.UnixEpoch, 1, metadata.RootElement.Clone());
        ResponseQuery.TryParseCursor(ResponseQuery.Cursor(last), out var after).ShouldBeTrue();
        after.ShouldBe((last.AnsweredAt, last.InvitationId));
        ResponseQuery.TryParseCursor("%%%", out _).ShouldBeFalse();
        ResponseQuery.TryParseCursor("bm90LWEtY3Vyc29y", out _).ShouldBeFalse();
    }
}
