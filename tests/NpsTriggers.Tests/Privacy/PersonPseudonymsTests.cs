using Microsoft.Extensions.Options;
using NpsTriggers.Core.Privacy;
using NpsTriggers.Core.Tokens;

namespace NpsTriggers.Tests.Privacy;

public sealed class PersonPseudonymsTests
{
    private static PersonPseudonyms With(string key) =>
        new(Options.Create(new SurveyLinkOptions { PublicBaseUrl = "https://nps.example.com", SigningKey = key }));

    private const string Key = "dGVzdC1vbmx5LXNpZ25pbmcta2V5LTMyLWJ5dGVzLSE=";

    [Fact]
    public void Of_APersonKey_IsStableHexThatQuotesNothing()
    {
        var pseudonym = With(Key).Of("e:anna@example.com");
        pseudonym.ShouldMatch("^[0-9a-f]{32}$");
        With(Key).Of("e:anna@example.com").ShouldBe(pseudonym);
        With(Key).Of("e:bob@example.com").ShouldNotBe(pseudonym);
    }

    [Fact]
    public void Of_WithAnotherSigningKey_IsAnotherPseudonym() =>
        With(Convert.ToBase64String(new byte[32])).Of("c:42").ShouldNotBe(With(Key).Of("c:42"));
}
