using FsCheck;
using FsCheck.Fluent;
using NpsTriggers.Host.Cli;
using NpsTriggers.Testing;

namespace NpsTriggers.Tests.Rules;

public sealed class RulesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rules-cli-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        var code = RulesCommand.Run(args, output);
        return (code, output.ToString());
    }

    private const string Rules = """
        version: 1
        surveys:
          delivery:
            subject: '{{ recipient.name }}, how was order #{{ data.orderId }}?'
            question: How likely are you to recommend Acme?
        rules:
          - name: delivered
            on: order.delivered
            when: { field: data.amount, gt: 20 }
            survey: delivery
            delay: 14d
            keep: [orderId]
            window: { days: Mon-Thu, from: "09:00", to: "11:30" }
            cancelOn: [{ on: order.returned, match: orderId }]
        """;

    private const string Event = """
        {"specversion":"1.0","id":"e1","source":"/shop","type":"order.delivered","time":"2026-11-07T15:00:00Z",
         "data":{"recipient":{"customerId":"c1","email":"anna@example.com","name":"Anna","timeZone":"Asia/Kathmandu"},"orderId":"1234","amount":30}}
        """;

    [Fact]
    public void Validate_ShippedRules_IsValid()
    {
        var (code, output) = Run("validate", RepoRoot.Combine("src", "Host", "send-rules.yaml"));
        code.ShouldBe(0);
        output.ShouldContain("valid — 2 rules, 2 surveys");
    }

    [Fact]
    public void Simulate_DocumentedExamples_PrintWhatRulesMdShows()
    {
        var rules = RepoRoot.Combine("docs", "examples", "send-rules.example.yaml");
        Run("validate", rules).Code.ShouldBe(0);
        var delivered = Run("simulate", "--rules", rules, "--event", RepoRoot.Combine("docs", "examples", "order.delivered.json"), "--now", "2026-11-01T09:30:05Z").Output;
        delivered.ShouldContain("rule 'order-delivered-email' (line 40): scheduled");
        delivered.ShouldContain("email: send at 2026-11-16 08:00:00Z (2026-11-16 09:00 Europe/Berlin); due 2026-11-15 09:30:00Z = event time + 14d, moved into window Mon,Tue,Wed,Thu 09:00-11:30");
        delivered.ShouldContain("reminder 1 if unanswered: 2026-11-23 08:00Z (2026-11-23 09:00 Europe/Berlin)");
        var closed = Run("simulate", "--rules", rules, "--event", RepoRoot.Combine("docs", "examples", "ticket.closed.json"), "--now", "2026-11-02T15:05:05Z").Output;
        closed.ShouldContain("rule 'ticket-closed' (line 57): sampled_out");
        closed.ShouldContain("bucket 5016 of 10000 is outside the 25% sample for survey 'support'");
    }

    [Fact]
    public void Preview_GermanRecipient_GetsTheGermanTexts()
    {
        var rules = RepoRoot.Combine("docs", "examples", "send-rules.example.yaml");
        var (code, output) = Run("preview", "--rules", rules, "--event", RepoRoot.Combine("docs", "examples", "order.delivered.json"), "--now", "2026-11-01T09:30:05Z");
        code.ShouldBe(0);
        output.ShouldContain("Subject: Anna, wie war Ihre Bestellung #1234?");
        output.ShouldContain("10 (Sehr wahrscheinlich): https://nps.example.com/s/");
    }

    [Fact]
    public void Validate_BrokenRules_ExitsOneWithFileAndLine()
    {
        var path = Write("bad.yaml", "version: 1\nsurveys: {}\nrules:\n  - name: x\n    on: a\n    survey: y\n    delay: later\n");
        var (code, output) = Run("validate", path);
        code.ShouldBe(1);
        output.ShouldContain($"{path}:7:12: rule 'x' field 'delay': 'later' is not a duration");
        output.ShouldContain($"{path}:6:13: rule 'x' field 'survey': survey 'y' is not defined under 'surveys'");
    }

    [Fact]
    public void Simulate_Event_PrintsTheSendInUtcAndTheRecipientsZoneWithReminders()
    {
        var (code, output) = Run("simulate", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", Event), "--now", "2026-11-07T15:00:00Z");
        code.ShouldBe(0);
        // Saturday 7 Nov + 14 days = Saturday 21 Nov 20:45 in Kathmandu: the window moves it to Monday 23 Nov 09:00 local.
        output.ShouldContain("rule 'delivered' (line 7): scheduled");
        output.ShouldContain("send at 2026-11-23 03:15:00Z (2026-11-23 09:00 Asia/Kathmandu); due 2026-11-21 15:00:00Z = event time + 14d, moved into window Mon,Tue,Wed,Thu 09:00-11:30");
        output.ShouldContain("reminder 1 if unanswered: 2026-11-30 03:15Z (2026-11-30 09:00 Asia/Kathmandu)");
    }

    [Fact]
    public void Simulate_WithHistory_ShowsWhichScopeThrottlesUntilWhen()
    {
        var history = Write("h.json", """[{"survey": "delivery", "contactedAt": "2026-10-01T09:00:00Z"}]""");
        var (code, output) = Run("simulate", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", Event), "--now", "2026-11-07T15:00:00Z", "--history", history);
        code.ShouldBe(0);
        output.ShouldContain("throttle at the send time: throttled by the survey 'delivery' (90 days) recontact period: invitation 00000000-0000-0000-0000-000000000000 (survey 'delivery') contacted this person at 2026-10-01 09:00Z; no survey until 2026-12-30 09:00Z");
        var old = Write("old.json", """[{"survey": "delivery", "contactedAt": "2026-01-01T09:00:00Z"}]""");
        Run("simulate", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", Event), "--history", old).Output
            .ShouldContain("throttle: not throttled by the given history at the send time");
    }

    [Fact]
    public void Simulate_UnmatchedCondition_SaysWhichConditionFailed()
    {
        var (code, output) = Run("simulate", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", Event.Replace("\"amount\":30", "\"amount\":5", StringComparison.Ordinal)));
        code.ShouldBe(0);
        output.ShouldContain("rule 'delivered' (line 7): not_matched");
        output.ShouldContain("data.amount (5) is not > 20 (line 9)");
    }

    [Fact]
    public void Simulate_CancellingEvent_NamesTheRuleAndKey()
    {
        var returned = Event.Replace("order.delivered", "order.returned", StringComparison.Ordinal);
        var (_, output) = Run("simulate", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", returned));
        output.ShouldContain("cancels rule 'delivered': pending invitations with orderId = 1234 are cancelled");
    }

    [Fact]
    public void Preview_Event_RendersTheEmail()
    {
        var (code, output) = Run("preview", "--rules", Write("r.yaml", Rules), "--event", Write("e.json", Event));
        code.ShouldBe(0);
        output.ShouldContain("Subject: Anna, how was order #1234?");
        output.ShouldContain("10 (Extremely likely): https://nps.example.com/s/");
    }

    [Fact]
    public void Preview_SmsChannel_ShowsTextAndSegments()
    {
        var rules = RepoRoot.Combine("docs", "examples", "send-rules.example.yaml");
        var (code, output) = Run("preview", "--rules", rules, "--event", RepoRoot.Combine("docs", "examples", "order.delivered.json"),
            "--channel", "sms", "--locale", "en");
        code.ShouldBe(0);
        output.ShouldContain("sms to +4915112345678");
        output.ShouldContain("Anna, how was order #1234? How likely are you to recommend Acme to a friend or colleague? Reply with a number from 0 (Not at all likely) to 10 (Extremely likely). Reply STOP to opt out.");
        output.ShouldContain("185 characters, GSM-7, 2 segments");
    }

    [Theory]
    [InlineData(160, "GSM-7", 1)]
    [InlineData(161, "GSM-7", 2)]
    [InlineData(306, "GSM-7", 2)]
    [InlineData(307, "GSM-7", 3)]
    public void Segments_GsmText_Counts153PerPart(int length, string encoding, int segments) =>
        NpsTriggers.Dispatch.Sms.SmsText.Segments(new string('a', length)).ShouldBe((segments, encoding));

    [Fact]
    public void Segments_NonGsmCharacters_UseUcs2()
    {
        NpsTriggers.Dispatch.Sms.SmsText.Segments("Wie war's? 👍").Encoding.ShouldBe("UCS-2");
        NpsTriggers.Dispatch.Sms.SmsText.Segments(new string('ж', 71)).ShouldBe((2, "UCS-2"));
        NpsTriggers.Dispatch.Sms.SmsText.Segments("Preis: 10€ [ok]").ShouldBe((1, "GSM-7"));
    }

    [Theory]
    [InlineData("missing event file", "cannot read the event file")]
    [InlineData("event path is a folder", "cannot read the event file")]
    [InlineData("--now not a time", "--now 'next tuesday' is not a date and time")]
    [InlineData("missing history file", "cannot read the history file")]
    [InlineData("history not JSON", "expected a JSON array of {survey, contactedAt}")]
    [InlineData("history entry without survey", "each with its survey")]
    public void Simulate_UnreadableInput_IsAUsageErrorThatSaysWhich(string input, string expected)
    {
        var rules = Write("r.yaml", Rules);
        var @event = Write("e.json", Event);
        string[] args = input switch
        {
            "missing event file" => ["--event", Path.Combine(_dir, "nowhere.json")],
            "event path is a folder" => ["--event", _dir],
            "--now not a time" => ["--event", @event, "--now", "next tuesday"],
            "missing history file" => ["--event", @event, "--history", Path.Combine(_dir, "none.json")],
            "history not JSON" => ["--event", @event, "--history", Write("h.json", "{not json")],
            _ => ["--event", @event, "--history", Write("h.json", """[{"contactedAt": "2026-10-01T09:00:00Z"}]""")],
        };
        var (code, output) = Run(["simulate", "--rules", rules, "--now", "2026-11-07T15:00:00Z", .. args]);
        code.ShouldBe(2);
        output.ShouldContain(expected);
    }

    [Fact]
    public void Simulate_AnyBytesAsTheEvent_AnswersWithAnExitCodeAndNeverThrows()
    {
        var rules = Write("r.yaml", Rules);
        var path = Path.Combine(_dir, "any.json");
        // Generated bytes, and generated edits of a real event (a truncation, one byte changed), as another producer
        // or a damaged file would give them.
        var bytes = ArbMap.Default.GeneratorFor<byte[]>().Where(b => b is not null);
        var real = System.Text.Encoding.UTF8.GetBytes(Event);
        var edited = from cut in Gen.Choose(0, real.Length)
                     from at in Gen.Choose(0, real.Length - 1)
                     from value in Gen.Choose(0, 255)
                     select real[..cut].Select((b, i) => i == at ? (byte)value : b).ToArray();
        Prop.ForAll(Gen.OneOf(bytes, edited).ToArbitrary(), content =>
        {
            File.WriteAllBytes(path, content);
            var (code, output) = Run("simulate", "--rules", rules, "--event", path, "--now", "2026-11-07T15:00:00Z");
            return (code == 0 && output.Contains("event ", StringComparison.Ordinal)) || (code == 2 && output.Contains(path, StringComparison.Ordinal));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Run_UnknownCommand_PrintsUsage() => Run("frobnicate").ShouldSatisfyAllConditions(
        r => r.Code.ShouldBe(2), r => r.Output.ShouldContain("rules simulate --rules FILE"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Preview_SmsWithTranslations_ShowsSegmentsPerLanguage()
    {
        var rules = Write("sms-rules.yaml", """
            version: 1
            surveys:
              delivery:
                subject: 'How was order #{{ data.orderId }}?'
                question: Q
                sms: '{{ recipient.name }}, how was order #{{ data.orderId }}? Reply 0-10. STOP to opt out.'
                locales:
                  zh-Hans: { sms: '{{ recipient.name }}，您好！订单{{ data.orderId }}已送达。您有多大可能向朋友或同事推荐我们？请回复0到10之间的数字。回复STOP退订。谢谢您的支持，祝您生活愉快！' }
                  ar: { sms: '{{ recipient.name }}، ما مدى احتمال أن توصي بنا لصديق أو زميل بعد الطلب {{ data.orderId }}؟ أرسل رقماً من 0 إلى 10. أرسل STOP لإلغاء الاشتراك.' }
            rules:
              - { name: delivered, on: order.delivered, survey: delivery, keep: [orderId] }
            """);
        var (code, output) = Run("preview", "--rules", rules, "--event", RepoRoot.Combine("docs", "examples", "order.delivered.json"),
            "--channel", "sms", "--locale", "zh-CN");
        code.ShouldBe(0);
        output.ShouldContain("71 characters, UCS-2, 2 segments");
        output.ShouldContain("segments per language:");
        output.ShouldContain("  default  55 characters, GSM-7, 1 segment\n");
        output.ShouldContain("  ar       112 characters, UCS-2, 2 segments\n");
        output.ShouldContain("  zh-Hans  71 characters, UCS-2, 2 segments\n");
    }
}
