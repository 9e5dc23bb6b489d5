using System.Text;
using FsCheck;
using FsCheck.Fluent;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;
using Headers = Confluent.Kafka.Headers;

namespace NpsTriggers.Tests.Fuzz;

/// <summary>
/// Property-based fuzzing of the two parsers that take bytes from outside: the CloudEvents reader (Kafka records)
/// and the survey-link token codec. Whatever arrives, they answer — an event or a reason, a token or an error —
/// and never throw; and a valid input mutated anywhere is never silently accepted as something else.
/// </summary>
public sealed class ParserFuzzTests
{
    private const int Limit = 64 * 1024;

    private static readonly byte[] Valid = Encoding.UTF8.GetBytes("""
        {"specversion":"1.0","id":"e-1","source":"/shop","type":"order.delivered","time":"2026-11-01T09:30:00Z",
         "datacontenttype":"application/json","data":{"recipient":{"customerId":"c-1","email":"anna@example.com","locale":"de-DE"},"orderId":"1234"}}
        """);

    private static readonly string[] HeaderNames = ["content-type", "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "traceparent"];

    private static Headers? MakeHeaders((int Name, byte[] Value)[] pairs)
    {
        if (pairs.Length == 0)
            return null;
        var headers = new Headers();
        foreach (var (name, value) in pairs)
            headers.Add(HeaderNames[Math.Abs(name % HeaderNames.Length)], value);
        return headers;
    }

    private static bool Answers(Headers? headers, byte[] value)
    {
        var result = CloudEventReader.Read(KafkaEventRecord.From(headers, value), Limit);
        // Exactly one of an event and a non-empty reason.
        return (result.Event is null) != (result.Reason is null) && (result.Reason is null || result.Reason.Length > 0);
    }

    private static Gen<byte[]> Bytes() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<byte[]>(),
        // Mutations of a valid event: truncated, a byte changed, a byte inserted (invalid UTF-8 included).
        from cut in Gen.Choose(0, Valid.Length) select Valid[..cut],
        from at in Gen.Choose(0, Valid.Length - 1) from b in ArbMap.Default.GeneratorFor<byte>() select Valid.Select((x, i) => i == at ? b : x).ToArray(),
        from at in Gen.Choose(0, Valid.Length) from b in Gen.Elements<byte>(0x00, 0x22, 0x5C, 0x7B, 0x7D, 0xC0, 0xED, 0xFF) select (byte[])[.. Valid[..at], b, .. Valid[at..]]);

    [Fact]
    public void Read_AnyBytesAndHeaders_AnswersWithAnEventOrAReason_NeverThrows()
    {
        // Random headers, or the structured-mode content type, so mutated events reach the JSON reader too.
        var headers = Gen.OneOf(ArbMap.Default.GeneratorFor<(int, byte[])[]>(),
            Gen.Constant(new[] { (0, Encoding.ASCII.GetBytes("application/cloudevents+json")) }));
        Prop.ForAll((from value in Bytes() from h in headers select (value, h)).ToArbitrary(),
                c => Answers(MakeHeaders(c.h), c.value))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Fact]
    public void Read_ValidEventTruncatedAnywhere_IsNeverAccepted()
    {
        var structured = new Headers { { "content-type", Encoding.ASCII.GetBytes("application/cloudevents+json") } };
        CloudEventReader.Read(KafkaEventRecord.From(structured, Valid), Limit).Event.ShouldNotBeNull(); // the whole event is read
        Prop.ForAll(Gen.Choose(0, Valid.Length - 2).ToArbitrary(), cut =>
                CloudEventReader.Read(KafkaEventRecord.From(structured, Valid[..cut]), Limit).Event is null)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static readonly SurveyTokenCodec Codec = new(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TryDecode_AnyString_ReturnsAnErrorWithoutThrowing_AndAcceptsOnlyWhatItSigned()
    {
        var strings = Gen.OneOf(
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
            Gen.Choose(0, 80).SelectMany(n => Gen.ArrayOf(Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/%".ToCharArray()), n))
                .Select(chars => new string(chars)));
        Prop.ForAll(strings.ToArbitrary(), text =>
        {
            var error = Codec.TryDecode(text, Now, out var token);
            // Random text never carries a valid MAC; if it ever decodes, it must be the canonical encoding of its token.
            return error != TokenError.None || Codec.Encode(token) == text;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public void Encode_AnyInvitationExpiryAndScore_RoundTrips_AndAnyOneCharacterEditIsRefused()
    {
        var tokens = from id in ArbMap.Default.GeneratorFor<Guid>()
                     from days in Gen.Choose(1, 400)
                     from score in Gen.Choose(-1, 10)
                     from at in Gen.Choose(0, 59)
                     from replacement in Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".ToCharArray())
                     select (Token: new SurveyToken(id, Now.AddDays(days).AddTicks(-Now.AddDays(days).Ticks % TimeSpan.TicksPerSecond), score < 0 ? null : score), At: at, Replacement: replacement);
        Prop.ForAll(tokens.ToArbitrary(), c =>
        {
            var text = Codec.Encode(c.Token);
            if (Codec.TryDecode(text, Now, out var back) != TokenError.None || back != c.Token)
                return false;
            var at = c.At % text.Length;
            if (text[at] == c.Replacement)
                return true;
            var edited = string.Concat(text.AsSpan(0, at), c.Replacement.ToString(), text.AsSpan(at + 1));
            return Codec.TryDecode(edited, Now, out _) != TokenError.None;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }
}
