using System.Net;
using NpsTriggers.IntegrationTests.Sms;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies.Sms;

/// <summary>Issue 20: keywords (HELP, STOP, START and their localised words) through the signed inbound webhook are never answers.</summary>
public sealed class SmsKeywordReplyTests
{
    private const string HelpText = "Reply with a number from 0 to 10 to answer our survey, or STOP to opt out.";

    private static async Task<string> ReplyAsync(ServiceUnderTest service, TwilioStandIn twilio, string from, string body)
    {
        using var response = await twilio.SendInboundAsync(new Uri(service.Host!.BaseAddress, "/twilio/inbound"), from, body);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Inbound_HelpAfterABareScore_AnswersWithHelpAndTheNextTextIsStillTheComment()
    {
        var (service, twilio, rules) = await SmsTests.StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        const string phone = "+4915112345678";
        await SmsTests.SendOneAsync(service, twilio, phone);

        (await ReplyAsync(service, twilio, phone, "9")).ShouldContain("What is the main reason for your score?");
        (await ReplyAsync(service, twilio, phone, "HELP")).ShouldContain(HelpText);
        (await service.ScalarAsync<long>("select count(*) from responses where comment is not null")).ShouldBe(0);
        (await service.ScalarAsync<bool>("select awaiting_comment from invitations")).ShouldBeTrue();
        (await ReplyAsync(service, twilio, phone, "Ｈｉｌｆｅ")).ShouldContain(HelpText); // full-width German
        (await ReplyAsync(service, twilio, phone, "great courier")).ShouldContain("Thank you for your feedback!");
        (await service.ScalarAsync<string>("select comment from responses")).ShouldBe("great courier");
        (await service.ScalarAsync<int>("select score from responses")).ShouldBe(9);
    }

    [Fact]
    public async Task Inbound_LocalisedStopAfterABareScore_OptsOutAndIsNoComment()
    {
        var (service, twilio, rules) = await SmsTests.StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;
        const string phone = "+33612345678";
        await SmsTests.SendOneAsync(service, twilio, phone);

        (await ReplyAsync(service, twilio, phone, "7")).ShouldContain("Thank you!");
        (await ReplyAsync(service, twilio, phone, " Arrêt ")).ShouldNotContain("<Message>");
        (await service.ScalarAsync<string>($"select reason from suppressions where channel = 'sms' and address = '{phone}'")).ShouldBe("replied STOP");
        (await service.ScalarAsync<long>("select count(*) from responses where comment is not null")).ShouldBe(0);

        (await ReplyAsync(service, twilio, phone, "alta")).ShouldContain("You will receive our surveys again");
        (await service.ScalarAsync<long>("select count(*) from suppressions")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from responses where comment is not null")).ShouldBe(0);
    }

    [Fact]
    public async Task Inbound_LocalisedHelpFromANumberWithoutASurvey_AnswersWithHelpAndStoresNothing()
    {
        var (service, twilio, rules) = await SmsTests.StartAsync();
        await using var _ = twilio;
        using var __ = rules;
        await using var ___ = service;

        // With no survey to take the language from, the help is in the keyword's language.
        (string Word, string Help)[] words =
        [
            ("帮助", "回复 0 到 10 之间的数字即可参与调查"), ("ヘルプ", "アンケートへの回答は 0〜10 の数字を"), ("도움말", "설문에 응답하시려면"),
            ("مساعدة", "للإجابة على استطلاعنا"), ("עזרה", "כדי לענות על הסקר"), ("Trợ giúp", "để tham gia khảo sát"), ("मदद", "हमारे सर्वे का जवाब"),
            ("ПОМОЩЬ", "Чтобы ответить на опрос"), ("ayuda", "para contestar nuestra encuesta"), ("HELP", HelpText),
        ];
        foreach (var (word, help) in words)
            (await ReplyAsync(service, twilio, "+4915112340000", word)).ShouldContain(help, customMessage: word);
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(0);
        (await service.ScalarAsync<long>("select count(*) from suppressions")).ShouldBe(0);
    }
}
