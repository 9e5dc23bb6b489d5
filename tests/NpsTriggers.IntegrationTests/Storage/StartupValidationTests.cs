using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Rules;
using NpsTriggers.Host;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Storage;

/// <summary>Bad configuration stops the host at start with a message naming the setting, never at the first send.</summary>
public sealed class StartupValidationTests
{
    private static async Task<Dictionary<string, string?>> SettingsAsync() => new()
    {
        ["Postgres:ConnectionString"] = await PostgresServer.Shared.CreateDatabaseAsync(),
        ["Kafka:BootstrapServers"] = "127.0.0.1:1",
        ["Rules:Path"] = RepoRoot.Combine("src", "Host", "send-rules.yaml"),
        ["Smtp:Host"] = "127.0.0.1",
        ["Roles"] = "dispatch,ingest",
    };

    [Theory]
    [InlineData("SurveyLinks:SigningKey", "c2hvcnQ=", "SigningKey must be base64 of at least 32 bytes")]
    [InlineData("SurveyLinks:PublicBaseUrl", "nps.example.com", "is not an absolute http(s) URL")]
    [InlineData("Smtp:PickupDirectory", "/tmp/mail", "Set exactly one of Smtp:Host")]
    [InlineData("Dispatch:SendChunkSize", "0", "SendChunkSize")]
    [InlineData("Outbox:DeliveryTimeout", "00:05:00", "Outbox:Lease must be longer than Outbox:DeliveryTimeout")]
    [InlineData("Alerts:Webhooks:ops:Url", "hooks.slack.com/x", "Alerts:Webhooks:ops:Url must be an absolute http(s) URL")]
    [InlineData("Api:Keys:0", "short", "Api:Keys must each be at least 32 characters")]
    [InlineData("Api:Keys:0", "integration-key-of-31-character", "Api:Keys must each be at least 32 characters")]
    [InlineData("Admin:ApiKeys:0", "admin-key-0123456789", "Admin:ApiKeys must each be at least 32 characters")]
    [InlineData("RequestRateLimits:TrustedProxies:0", "10.0.0.0/33", "RequestRateLimits:TrustedProxies: '10.0.0.0/33' is not a network")]
    [InlineData("RequestRateLimits:Customer:Burst", "0", "RequestRateLimits:Customer")]
    public async Task Start_InvalidOption_FailsNamingTheSetting(string key, string value, string expected)
    {
        var settings = await SettingsAsync();
        settings[key] = value;
        var error = await Should.ThrowAsync<OptionsValidationException>(() => RunningHost.StartAsync(settings));
        error.Message.ShouldContain(expected);
    }

    /// <summary>The events API's keys belong to the triggers role, which serves POST /api/events (issue 19).</summary>
    [Fact]
    public async Task Start_ShortEventsKeyOnTheTriggersRole_FailsNamingTheSetting()
    {
        var settings = await SettingsAsync();
        settings["Roles"] = "triggers";
        settings["EventsApi:ApiKeys:0"] = "events-key-0123456789";
        var error = await Should.ThrowAsync<OptionsValidationException>(() => RunningHost.StartAsync(settings));
        error.Message.ShouldContain("EventsApi:ApiKeys must each be at least 32 characters");
    }

    /// <summary>Issue 18, item 4: what is fine on a laptop stops a start anywhere else, naming the setting.</summary>
    [Theory]
    [InlineData("triggers", "Kafka:BootstrapServers", "", "Kafka:BootstrapServers is empty in the Production environment")]
    [InlineData("ingest", "Kafka:BootstrapServers", "", "Kafka:BootstrapServers is empty in the Production environment")]
    [InlineData("ingest", "SurveyLinks:SigningKey", ProductionSafety.DevelopmentSigningKey, "SurveyLinks:SigningKey is the development key")]
    [InlineData("ingest", "SurveyLinks:RetiredKeys:0:Key", ProductionSafety.DevelopmentSigningKey, "SurveyLinks:SigningKey is the development key")]
    [InlineData("dispatch", "SurveyLinks:PublicBaseUrl", "http://nps.example.com", "SurveyLinks:PublicBaseUrl 'http://nps.example.com' is http")]
    public async Task Start_UnsafeSettingOutsideDevelopment_FailsNamingTheSetting(string roles, string key, string value, string expected)
    {
        var settings = await SettingsAsync();
        settings["Roles"] = roles;
        settings[key] = value;
        if (key.StartsWith("SurveyLinks:RetiredKeys", StringComparison.Ordinal))
            settings["SurveyLinks:RetiredKeys:0:Id"] = "7";
        var error = await Should.ThrowAsync<OptionsValidationException>(() => RunningHost.StartAsync(settings));
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public async Task Start_InDevelopment_AllowsTheEmbeddedBrokerTheDevelopmentKeyAndHttp()
    {
        var settings = await SettingsAsync();
        settings["Roles"] = "triggers,ingest";
        settings["Kafka:BootstrapServers"] = "";
        settings["SurveyLinks:SigningKey"] = ProductionSafety.DevelopmentSigningKey;
        await using var host = await RunningHost.StartAsync(settings, environment: "Development");
        host.Services.GetRequiredService<KafkaBootstrap>().Embedded.ShouldBeTrue();
    }

    [Fact]
    public void DevelopmentSigningKey_IsTheOneInAppsettingsDevelopment() =>
        File.ReadAllText(RepoRoot.Combine("src", "Host", "appsettings.Development.json")).ShouldContain($"\"SigningKey\": \"{ProductionSafety.DevelopmentSigningKey}\"");

    [Fact]
    public async Task Start_InvalidRulesFile_FailsWithFileAndLine()
    {
        var settings = await SettingsAsync();
        var path = Path.Combine(Path.GetTempPath(), $"bad-rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "version: 1\nsurveys: {}\nrules:\n  - name: x\n    on: order.delivered\n    survey: missing\n");
        settings["Rules:Path"] = path;
        try
        {
            var error = await Should.ThrowAsync<RulesValidationException>(() => RunningHost.StartAsync(settings));
            error.Message.ShouldContain($"{path}:6:13: rule 'x' field 'survey': survey 'missing' is not defined");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
