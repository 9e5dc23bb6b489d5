using System.Net;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Tokens;
using NpsTriggers.Ingest.Loop;

namespace NpsTriggers.Host;

/// <summary>
/// Settings that are fine on a laptop and dangerous anywhere else stop the start outside the Development environment,
/// each with a message naming the setting (issue 18, item 4): the embedded Kafka broker (an empty
/// <c>Kafka:BootstrapServers</c> would consume nothing and "deliver" response events into a broker inside the process),
/// the development signing key (anyone could forge score and unsubscribe links), and a plain-http
/// <c>SurveyLinks:PublicBaseUrl</c> (every token would cross the network in clear). Only a loopback base URL may be
/// http: no customer can reach it, and tests and local runs use one.
/// </summary>
public static class ProductionSafety
{
    /// <summary>The signing key in <c>appsettings.Development.json</c>, public in this repository: never valid outside Development.</summary>
    public const string DevelopmentSigningKey = "ZGV2ZWxvcG1lbnQtb25seS1zaWduaW5nLWtleS0zMmI=";

    public static IServiceCollection AddProductionSafety(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaBrokerCheck>();
        services.AddOptions<KafkaOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<SurveyLinkOptions>, SurveyLinkCheck>();
        return services;
    }

    private sealed class KafkaBrokerCheck(IHostEnvironment environment, HostRoles roles, IOptions<OutboxOptions> outbox) : IValidateOptions<KafkaOptions>
    {
        public ValidateOptionsResult Validate(string? name, KafkaOptions options)
        {
            var usesKafka = roles.Triggers || (roles.Ingest && outbox.Value.Publish);
            return usesKafka && string.IsNullOrWhiteSpace(options.BootstrapServers) && !environment.IsDevelopment()
                ? ValidateOptionsResult.Fail(
                    $"Kafka:BootstrapServers is empty in the {environment.EnvironmentName} environment. The embedded broker is for " +
                    "Development and tests only: set Kafka:BootstrapServers to your brokers (host:port,…).")
                : ValidateOptionsResult.Success;
        }
    }

    private sealed class SurveyLinkCheck(IHostEnvironment environment) : IValidateOptions<SurveyLinkOptions>
    {
        public ValidateOptionsResult Validate(string? name, SurveyLinkOptions options)
        {
            if (environment.IsDevelopment())
                return ValidateOptionsResult.Success;
            var problems = new List<string>();
            if (options.SigningKey.Trim() == DevelopmentSigningKey || options.RetiredKeys.Any(k => k.Key.Trim() == DevelopmentSigningKey))
                problems.Add($"SurveyLinks:SigningKey is the development key from appsettings.Development.json, which anyone can read, in the " +
                    $"{environment.EnvironmentName} environment: set your own (openssl rand -base64 32), and never list the development key in SurveyLinks:RetiredKeys.");
            if (Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttp && !IsLoopback(url))
                problems.Add($"SurveyLinks:PublicBaseUrl '{options.PublicBaseUrl}' is http in the {environment.EnvironmentName} environment: " +
                    "survey links carry their token in the URL, so they must be https.");
            return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
        }

        private static bool IsLoopback(Uri url) =>
            url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}
