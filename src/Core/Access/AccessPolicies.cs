using Microsoft.AspNetCore.Builder;

namespace NpsTriggers.Core.Access;

/// <summary>
/// Who may call what, by name, shared by every area that maps endpoints: one key scheme with a policy per kind of
/// caller (docs/ARCHITECTURE.md, "Keys and rate limits").
/// </summary>
public static class KeyPolicies
{
    /// <summary>The authentication scheme: <c>X-Api-Key</c>, or HTTP Basic with the key as password.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>Ops: dashboards, reports, decisions, suppressions, privacy requests; keys from <c>Admin:ApiKeys</c>.</summary>
    public const string Admin = "admin";

    /// <summary>Integrations: <c>/api/responses</c>, <c>/api/follow-ups</c>; keys from <c>Api:Keys</c>.</summary>
    public const string Integration = "integration";

    /// <summary>Producers without Kafka: <c>POST /api/events</c>; keys from <c>EventsApi:ApiKeys</c>.</summary>
    public const string Events = "events";

    /// <summary>The claim holding a short hash of the caller's key, which scopes what it stores (Idempotency-Key values).</summary>
    public const string ClientClaim = "nps:client";
}

/// <summary>Rate-limit policies (ASP.NET Core rate limiting), each per client address.</summary>
public static class RatePolicies
{
    /// <summary>The customer pages: <c>/s</c>, <c>/u</c>.</summary>
    public const string Customer = "customer";

    /// <summary>Twilio's webhooks: <c>/twilio</c>, many requests from Twilio's few addresses.</summary>
    public const string Webhook = "webhook";

    /// <summary>Everything behind a key: <c>/api</c>, <c>/dashboard</c>, <c>/hangfire</c>; stricter after failed key checks.</summary>
    public const string Keyed = "keyed";
}

/// <summary>How an endpoint group asks for a key.</summary>
public static class KeyedEndpoints
{
    /// <summary>Requires a key of <paramref name="policy"/> (a <see cref="KeyPolicies"/> name) and applies the keyed rate limit.</summary>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, string policy) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy).RequireRateLimiting(RatePolicies.Keyed);
}
