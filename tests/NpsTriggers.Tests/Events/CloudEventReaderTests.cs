using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Tests.Events;

public sealed class CloudEventReaderTests
{
    private const int Limit = 256 * 1024;

    private static readonly object Data = new
    {
        recipient = new { customerId = "c-1", email = "Anna@Example.COM", phone = "+4915112345678", name = " Anna ", locale = "de-DE", timeZone = "Europe/Berlin" },
        orderId = "1234",
        amount = 89.9,
    };

    private static Headers Binary(string? id = "e-1", string? source = "/shop", string? type = "order.delivered", string? spec = "1.0",
        string? time = "2026-11-01T09:30:00Z", string? contentType = "application/json")
    {
        var headers = new Headers();
        void Add(string key, string? value)
        {
            if (value is not null)
                headers.Add(key, Encoding.UTF8.GetBytes(value));
        }
        Add("ce_specversion", spec);
        Add("ce_id", id);
        Add("ce_source", source);
        Add("ce_type", type);
        Add("ce_time", time);
        Add("content-type", contentType);
        return headers;
    }

    private static byte[] Structured(Dictionary<string, object?> envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope);

    private static Dictionary<string, object?> Envelope() => new()
    {
        ["specversion"] = "1.0",
        ["id"] = "e-1",
        ["source"] = "/shop",
        ["type"] = "order.delivered",
        ["time"] = "2026-11-01T09:30:00Z",
        ["datacontenttype"] = "application/json",
        ["data"] = Data,
    };

    private static readonly Headers StructuredHeaders = new() { { "content-type", "Application/CloudEvents+JSON; charset=utf-8"u8.ToArray() } };

    [Fact]
    public void Read_BothBindings_GiveTheSameEvent()
    {
        var binary = CloudEventReader.Read(KafkaEventRecord.From(Binary(), JsonSerializer.SerializeToUtf8Bytes(Data)), Limit).Event.ShouldNotBeNull();
        var structured = CloudEventReader.Read(KafkaEventRecord.From(StructuredHeaders, Structured(Envelope())), Limit).Event.ShouldNotBeNull();
        foreach (var e in new[] { binary, structured })
        {
            e.Source.ShouldBe("/shop");
            e.Id.ShouldBe("e-1");
            e.Type.ShouldBe("order.delivered");
            e.Time.ShouldBe(new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero));
            e.Recipient.Email.ShouldBe("Anna@example.com");
            e.Recipient.Name.ShouldBe("Anna");
            e.Recipient.TimeZone.ShouldBe("Europe/Berlin");
            e.Data.GetProperty("orderId").GetString().ShouldBe("1234");
        }
    }

    [Fact]
    public void Read_DataOutlivesTheRecordBuffer()
    {
        var value = JsonSerializer.SerializeToUtf8Bytes(Data);
        var e = CloudEventReader.Read(KafkaEventRecord.From(Binary(), value), Limit).Event!;
        Array.Clear(value);
        e.Data.GetProperty("orderId").GetString().ShouldBe("1234");
    }

    public static TheoryData<string, Func<(Headers, byte[])>, string> Poison => new()
    {
        { "empty value", () => (Binary(), []), "no value" },
        { "not JSON", () => (Binary(), "{\"recipient\": oops"u8.ToArray()), "not valid JSON" },
        { "trailing data", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\"}} {}"u8.ToArray()), "is invalid after a single JSON value" },
        { "missing id", () => (Binary(id: null), JsonSerializer.SerializeToUtf8Bytes(Data)), "'id'" },
        { "missing source", () => (Binary(source: ""), JsonSerializer.SerializeToUtf8Bytes(Data)), "'source'" },
        { "missing type", () => (Binary(type: null), JsonSerializer.SerializeToUtf8Bytes(Data)), "'type'" },
        { "old spec", () => (Binary(spec: "0.3"), JsonSerializer.SerializeToUtf8Bytes(Data)), "specversion '0.3'" },
        { "bad time", () => (Binary(time: "yesterday"), JsonSerializer.SerializeToUtf8Bytes(Data)), "RFC 3339" },
        { "time without offset", () => (Binary(time: "2026-11-01T09:30:00"), JsonSerializer.SerializeToUtf8Bytes(Data)), "RFC 3339" },
        { "XML", () => (Binary(contentType: "application/xml"), "<a/>"u8.ToArray()), "not JSON" },
        { "data array", () => (Binary(), "[1,2]"u8.ToArray()), "must be a JSON object" },
        { "no recipient", () => (Binary(), "{\"orderId\":\"1\"}"u8.ToArray()), "no usable contact" },
        { "no contact", () => (Binary(), "{\"recipient\":{\"name\":\"Anna\"}}"u8.ToArray()), "neither email nor phone" },
        { "bad email", () => (Binary(), "{\"recipient\":{\"email\":\"anna at example\"}}"u8.ToArray()), "'anna at example' is not an address" },
        { "bad phone", () => (Binary(), "{\"recipient\":{\"phone\":\"0151 123\"}}"u8.ToArray()), "not E.164" },
        { "bad zone", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\",\"timeZone\":\"Mars/Olympus\"}}"u8.ToArray()), "IANA" },
        { "bad locale", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\",\"locale\":\"klingon!\"}}"u8.ToArray()), "BCP 47" },
        { "structured without data", () => (StructuredHeaders, "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}"u8.ToArray()), "no 'data'" },
        { "structured array", () => (StructuredHeaders, "[]"u8.ToArray()), "must be a JSON object" },
        { "NUL in a data field", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\"},\"note\":\"x\\u0000y\"}"u8.ToArray()), "data.note contains U+0000" },
        { "NUL in the name", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\",\"name\":\"An\\u0000na\"}}"u8.ToArray()), "data.recipient.name contains U+0000" },
        { "lone surrogate", () => (Binary(), "{\"recipient\":{\"email\":\"a@b.de\"},\"items\":[\"\\ud83d\"]}"u8.ToArray()), "data.items[0] contains an unpaired surrogate escape" },
        { "NUL in a header", () => (Binary(id: "e\01"), JsonSerializer.SerializeToUtf8Bytes(Data)), "header ce_id contains U+0000" },
        { "NUL in a structured attribute", () => (StructuredHeaders, "{\"specversion\":\"1.0\",\"id\":\"1\\u0000\",\"source\":\"/s\",\"type\":\"t\",\"data\":{}}"u8.ToArray()), "attribute 'id' contains U+0000" },
        { "NUL in structured data", () => (StructuredHeaders, "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"data\":{\"recipient\":{\"email\":\"a@b.de\",\"customerId\":\"\\u0000\"}}}"u8.ToArray()), "data.recipient.customerId contains U+0000" },
        { "id over the key limit", () => (Binary(id: new string('i', 513)), JsonSerializer.SerializeToUtf8Bytes(Data)), "attribute 'id' is 513 bytes long" },
        { "customer id over the key limit", () => (Binary(), JsonSerializer.SerializeToUtf8Bytes(new { recipient = new { email = "a@b.de", customerId = new string('c', 600) } })), "customerId is 600 bytes long" },
        { "time past year 9999 in UTC", () => (Binary(time: "9999-12-31T23:00:00-08:00"), JsonSerializer.SerializeToUtf8Bytes(Data)), "outside the years 0001 to 9999" },
    };

    [Fact]
    public void Read_HeaderThatIsNotUtf8_IsRefusedRatherThanReadAsAnotherId()
    {
        var headers = Binary();
        headers.Remove("ce_id");
        headers.Add("ce_id", [0x65, 0xFF, 0x31]);
        var result = CloudEventReader.Read(KafkaEventRecord.From(headers, JsonSerializer.SerializeToUtf8Bytes(Data)), Limit);
        result.Event.ShouldBeNull();
        result.Reason.ShouldNotBeNull().ShouldContain("header ce_id is not UTF-8");
    }

    [Theory]
    [InlineData("2026-11-01T17:30:00+08:00")]
    [InlineData("2026-11-01T06:00:00-03:30")]
    [InlineData("2026-11-01t09:30:00.000000000z")]
    [InlineData("2026-11-01T23:30:00+14:00")]
    public void Read_TimeWithAnyOffset_IsTheSameInstantInUtc(string time)
    {
        var binary = CloudEventReader.Read(KafkaEventRecord.From(Binary(time: time), JsonSerializer.SerializeToUtf8Bytes(Data)), Limit).Event.ShouldNotBeNull();
        var envelope = Envelope();
        envelope["time"] = time;
        var structured = CloudEventReader.Read(KafkaEventRecord.From(StructuredHeaders, Structured(envelope)), Limit).Event.ShouldNotBeNull();
        foreach (var e in new[] { binary, structured })
        {
            var at = e.Time.ShouldNotBeNull();
            at.Offset.ShouldBe(TimeSpan.Zero);
            at.ShouldBe(new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero));
        }
    }

    [Fact]
    public void Read_UnicodeOfEveryScript_IsKeptAsSent()
    {
        const string Name = "王小明 محمد ✈️ Zoë e\u0301";
        var data = JsonSerializer.SerializeToUtf8Bytes(new { recipient = new { email = "a@b.de", name = Name }, note = "שלום 👋🏽" });
        var e = CloudEventReader.Read(KafkaEventRecord.From(Binary(), data), Limit).Event.ShouldNotBeNull();
        e.Recipient.Name.ShouldBe(Name);
        e.Data.GetProperty("note").GetString().ShouldBe("שלום 👋🏽");
    }

    [Theory]
    [MemberData(nameof(Poison))]
    public void Read_PoisonRecord_GivesAReadableReason(string name, Func<(Headers, byte[])> record, string expected)
    {
        var (headers, value) = record();
        var result = CloudEventReader.Read(KafkaEventRecord.From(headers, value), Limit);
        result.Event.ShouldBeNull(name);
        result.Reason.ShouldNotBeNull().ShouldContain(expected, Case.Insensitive);
    }

    [Fact]
    public void Read_AtTheSizeLimit_IsAcceptedAndOneByteMoreIsNot()
    {
        var value = JsonSerializer.SerializeToUtf8Bytes(Data);
        CloudEventReader.Read(KafkaEventRecord.From(Binary(), value), value.Length).Event.ShouldNotBeNull();
        var result = CloudEventReader.Read(KafkaEventRecord.From(Binary(), value), value.Length - 1);
        result.Event.ShouldBeNull();
        result.Reason.ShouldNotBeNull().ShouldContain("over the");
    }

    [Fact]
    public void Read_PhoneOnly_IsUsableContact()
    {
        var e = CloudEventReader.Read(KafkaEventRecord.From(Binary(), "{\"recipient\":{\"phone\":\"+447700900123\"}}"u8.ToArray()), Limit).Event.ShouldNotBeNull();
        e.Recipient.Phone.ShouldBe("+447700900123");
        e.Recipient.Email.ShouldBeNull();
    }
}
