using System.Net;
using System.Xml.Linq;
using MimeKit;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Localization;

/// <summary>
/// Recipients in Simplified and Traditional Chinese, Filipino, Arabic and Japanese get the email, its reminder, the SMS,
/// its reminder and the SMS replies in their language, through the real host, SMTP and the Twilio stand-in. The expected
/// texts are written out here, not read from the catalogue, so a wrong or missing translation fails.
/// </summary>
public sealed class CustomerLanguageTests
{
    private const string Yaml = """
        version: 1
        surveys:
          delivery:
            subject: '{{ recipient.name }}, how was order #{{ data.orderId }}?'
            question: How likely are you to recommend Acme?
            locales:
              zh-Hans:
                subject: '{{ recipient.name }}，您对订单 #{{ data.orderId }} 满意吗？'
                question: 您向朋友或同事推荐 Acme 的可能性有多大？
              zh-Hant:
                subject: '{{ recipient.name }}，您對訂單 #{{ data.orderId }} 滿意嗎？'
                question: 您向朋友或同事推薦 Acme 的可能性有多大？
              fil:
                subject: '{{ recipient.name }}, kumusta po ang order #{{ data.orderId }}?'
                question: Gaano po kayo kalamang na irekomenda ang Acme sa isang kaibigan?
              ar:
                subject: '{{ recipient.name }}، ما رأيك في الطلب رقم {{ data.orderId }}؟'
                question: ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟
              ja:
                subject: '{{ recipient.name }}様、ご注文 #{{ data.orderId }} はいかがでしたか？'
                question: Acme を友人や同僚に薦める可能性はどのくらいありますか？
        rules:
          - { name: by-email, on: order.delivered, survey: delivery, channel: email, delay: 1h, keep: [orderId], reminders: { count: 1, after: 7d } }
          - { name: by-sms, on: order.collected, survey: delivery, channel: sms, delay: 1h, keep: [orderId], reminders: { count: 1, after: 7d } }
        """;

    /// <summary>One language's expectations: what the rules say in it, and the service's own words, written out.</summary>
    private sealed record Language(
        string Locale, string Phone, string Name, string Lang, string Dir, string Subject, string Reminder, string Unsubscribe,
        string LowLabelLine, string ScoreLabel, string Sms, string ThanksAndWhy, string Help);

    private static readonly Language[] Cases =
    [
        new("zh-CN", "+8613812345678", "李娜", "zh-Hans", "ltr", "李娜，您对订单 #zh-CN 满意吗？", "提醒：", "退订", "0 (完全不可能): ",
            "7 分（满分 10 分）",
            "李娜，您对订单 #zh-CN 满意吗？ 您向朋友或同事推荐 Acme 的可能性有多大？ 请回复 0（完全不可能）到 10（极有可能）之间的数字。回复 STOP 退订。",
            "谢谢！您给出这个评分的主要原因是什么？", "回复 0 到 10 之间的数字即可参与调查，回复 STOP 退订。"),
        new("zh-TW", "+886912345678", "陳怡君", "zh-Hant", "ltr", "陳怡君，您對訂單 #zh-TW 滿意嗎？", "提醒：", "取消訂閱", "0 (完全不可能): ",
            "7 分（滿分 10 分）",
            "陳怡君，您對訂單 #zh-TW 滿意嗎？ 您向朋友或同事推薦 Acme 的可能性有多大？ 請回覆 0（完全不可能）到 10（極有可能）之間的數字。回覆 STOP 取消訂閱。",
            "謝謝！您給出這個評分的主要原因是什麼？", "回覆 0 到 10 之間的數字即可參與調查，回覆 STOP 取消訂閱。"),
        new("tl-PH", "+639171234567", "Maria", "fil", "ltr", "Maria, kumusta po ang order #tl-PH?", "Paalala: ", "Huwag nang padalhan",
            "0 (Hindi talaga malamang): ", "7 sa 10",
            "Maria, kumusta po ang order #tl-PH? Gaano po kayo kalamang na irekomenda ang Acme sa isang kaibigan? Sumagot po ng numero mula 0 (Hindi talaga malamang) hanggang 10 (Lubos na malamang). I-text ang STOP para huminto.",
            "Salamat po! Ano po ang pangunahing dahilan ng inyong marka?",
            "Sumagot po ng numero mula 0 hanggang 10 para sa aming survey, o i-text ang STOP para huminto."),
        new("ar-AE", "+971501234567", "ليلى", "ar", "rtl", "ليلى، ما رأيك في الطلب رقم ar-AE؟", "تذكير: ", "إلغاء الاشتراك",
            "0 (غير محتمل على الإطلاق): ", "7 من 10",
            "ليلى، ما رأيك في الطلب رقم ar-AE؟ ما مدى احتمال أن توصي بـ Acme لصديق أو زميل؟ يُرجى الرد برقم من 0 (غير محتمل على الإطلاق) إلى 10 (محتمل للغاية). لإلغاء الاشتراك أرسل STOP.",
            "شكرًا لك! ما السبب الرئيسي لتقييمك؟", "للإجابة على استطلاعنا أرسل رقمًا من 0 إلى 10، أو أرسل STOP لإلغاء الاشتراك."),
        new("ja-JP", "+819012345678", "佐藤", "ja", "ltr", "佐藤様、ご注文 #ja-JP はいかがでしたか？", "リマインダー：", "配信停止", "0 (まったく勧めない): ",
            "10点中7点",
            "佐藤様、ご注文 #ja-JP はいかがでしたか？ Acme を友人や同僚に薦める可能性はどのくらいありますか？ 0（まったく勧めない）〜10（ぜひ勧めたい）の数字でご返信ください。配信停止は STOP とご返信ください。",
            "ありがとうございます。その点数をつけた一番の理由は何ですか？", "アンケートへの回答は 0〜10 の数字を、配信停止は STOP をご返信ください。"),
    ];

    /// <summary>English words of the service's own that must not appear in another language's message.</summary>
    private static readonly string[] EnglishChrome = ["Reminder", "Unsubscribe", "out of 10", "Reply", "opt out", "likely", "Thank you", "reason"];

    private static object Person(Language c, string channel) => new
    {
        recipient = new { customerId = $"{channel}-{c.Locale}", email = channel == "email" ? $"{c.Locale}@example.com" : null, phone = channel == "sms" ? c.Phone : null, name = c.Name, locale = c.Locale },
        orderId = c.Locale,
    };

    [Fact]
    public async Task Recipients_InFiveLanguages_GetEmailReminderSmsAndRepliesInTheirLanguage()
    {
        await using var twilio = await TwilioStandIn.StartAsync();
        using var rules = new RulesFile(Yaml);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(twilio.Settings));
        await service.PublishAsync([
            .. Cases.Select(c => BusinessEvents.Binary($"email-{c.Locale}", "order.delivered", Person(c, "email"), ServiceUnderTest.Start)),
            .. Cases.Select(c => BusinessEvents.Binary($"sms-{c.Locale}", "order.collected", Person(c, "sms"), ServiceUnderTest.Start)),
        ]);
        await service.WaitForCountAsync("select count(*) from invitations", 10);

        service.Clock.Advance(TimeSpan.FromHours(1));
        await WaitAsync(service, "select count(*) from invitations where state = 'sent' and remind_at is not null", 10);
        service.Clock.Advance(TimeSpan.FromDays(7));
        await WaitAsync(service, "select count(*) from invitations where reminders_sent = 1", 10);

        var emails = await service.Smtp.WaitForMessagesAsync(10, TimeSpan.FromSeconds(30));
        emails.Count.ShouldBe(10);
        var texts = twilio.Messages.ToList();
        texts.Count.ShouldBe(10);
        foreach (var c in Cases)
        {
            var mine = emails.Where(m => m.To.Mailboxes.Single().Address == $"{c.Locale}@example.com").OrderBy(m => m.MessageId!.Contains(".r1@", StringComparison.Ordinal)).ToList();
            mine.Count.ShouldBe(2, c.Locale);
            CheckEmail(c, mine[0], reminder: false);
            CheckEmail(c, mine[1], reminder: true);

            var sms = texts.Where(m => m.To == c.Phone).Select(m => m.Body).ToList();
            sms.ShouldBe([c.Sms, c.Reminder + c.Sms], c.Locale);
            NoEnglishChrome(c, sms[1]);

            var help = await ReplyAsync(service, twilio, c.Phone, "HELP");
            help.ShouldBe(c.Help, c.Locale);
            var thanks = await ReplyAsync(service, twilio, c.Phone, "9");
            thanks.ShouldBe(c.ThanksAndWhy, c.Locale);
        }
        (await service.ScalarAsync<long>("select count(*) from responses where score = 9 and channel = 'sms'")).ShouldBe(5);

        // Once the survey has closed, a late score is still answered in the person's language (their latest invitation's).
        service.Clock.Advance(TimeSpan.FromDays(30));
        (await ReplyAsync(service, twilio, "+819012345678", "8")).ShouldBe("この番号で回答できるアンケートが見つかりませんでした。ご協力ありがとうございました。");
        (await ReplyAsync(service, twilio, "+8613812345678", "8")).ShouldBe("未找到此号码可参与的调查。仍然感谢您！");
    }

    /// <summary>Waits for a count; on a timeout, says what each invitation's state is, so a failed send names its reason.</summary>
    private static async Task WaitAsync(ServiceUnderTest service, string sql, long expected)
    {
        try
        {
            await service.WaitForCountAsync(sql, expected);
        }
        catch (TimeoutException e)
        {
            var states = await service.ScalarAsync<string>(
                "select string_agg(concat_ws(' ', event_id, state, reminders_sent, failure_reason), '; ' order by event_id) from invitations");
            throw new TimeoutException($"{e.Message}; invitations: {states}", e);
        }
    }

    private static void CheckEmail(Language c, MimeMessage message, bool reminder)
    {
        message.Subject.ShouldBe(reminder ? c.Reminder + c.Subject : c.Subject, c.Locale);
        message.HtmlBody!.ShouldContain($"""<html lang="{c.Lang}" dir="{c.Dir}">""", Case.Sensitive, c.Locale);
        message.HtmlBody!.ShouldContain($">{c.Unsubscribe}</a>", Case.Sensitive, c.Locale);
        message.HtmlBody!.ShouldContain($"aria-label=\"{c.ScoreLabel}\"", Case.Sensitive, c.Locale);
        message.TextBody!.ShouldContain(c.LowLabelLine, Case.Sensitive, c.Locale);
        message.TextBody!.ShouldContain($"{c.Unsubscribe}: http", Case.Sensitive, c.Locale);
        NoEnglishChrome(c, message.Subject!, message.TextBody!, message.HtmlBody!);
    }

    private static void NoEnglishChrome(Language c, params string[] parts)
    {
        foreach (var part in parts)
            foreach (var english in EnglishChrome)
                part.ShouldNotContain(english, Case.Sensitive, $"{c.Locale}: '{english}' in {part}");
    }

    /// <summary>Texts the service through the signed webhook, as Twilio does, and returns the TwiML reply's text.</summary>
    private static async Task<string> ReplyAsync(ServiceUnderTest service, TwilioStandIn twilio, string from, string body)
    {
        var response = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), from, body);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        return twiml.Root!.Element("Message")?.Value ?? throw new InvalidOperationException($"No reply to '{body}': {twiml}");
    }
}
