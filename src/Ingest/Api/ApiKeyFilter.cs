using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Ingest.Api;

/// <summary>The <c>X-Api-Key</c> check of the integration APIs, the same scheme as the suppressions admin API.</summary>
public static class ApiKeyFilter
{
    /// <summary>The key's owner, for scoping Idempotency-Key values: a short hash, never the key itself.</summary>
    public const string ClientItem = "nps.api-client";

    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.AddEndpointFilter(async (context, next) =>
        {
            var keys = context.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.Keys;
            if (keys.Length == 0)
                return TypedResults.NotFound();
            var given = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers["X-Api-Key"].ToString());
            var ok = false;
            // Compare against every key in constant time, so the time taken says nothing about which key nearly matched.
            foreach (var key in keys)
                ok |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(key));
            if (!ok || given.Length == 0)
                return TypedResults.Unauthorized();
            context.HttpContext.Items[ClientItem] = Convert.ToHexStringLower(SHA256.HashData(given))[..16];
            return await next(context);
        });
        return group;
    }
}
