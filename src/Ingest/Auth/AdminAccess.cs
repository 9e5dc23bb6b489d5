using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Ingest.Auth;

/// <summary>Keys for the ops surface (admin APIs, reports, dashboards). Section <c>Admin</c>.</summary>
public sealed class AdminOptions
{
    /// <summary>Accepted keys. Empty turns the ops surface off (404), so nothing is open by accident.</summary>
    public string[] ApiKeys { get; set; } = [];
}

/// <summary>
/// One check for everything ops-facing: an <c>X-Api-Key</c> header for scripts, or HTTP Basic with the key as
/// password for browsers (the dashboard pages), compared in constant time against <c>Admin:ApiKeys</c>.
/// </summary>
public static class AdminAccess
{
    public enum Verdict { Allowed, Denied, Disabled }

    public static Verdict Check(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keys = context.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKeys.Where(k => k.Length > 0).ToArray();
        if (keys.Length == 0)
            return Verdict.Disabled;
        var given = context.Request.Headers["X-Api-Key"].ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        if (given.Length == 0 && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                given = pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..];
            }
            catch (FormatException)
            {
                return Verdict.Denied;
            }
        }
        if (given.Length == 0)
            return Verdict.Denied;
        var bytes = Encoding.UTF8.GetBytes(given);
        var ok = false;
        foreach (var key in keys)
            ok |= CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(key));
        return ok ? Verdict.Allowed : Verdict.Denied;
    }

    /// <summary>Guards a route group; a browser gets a Basic challenge.</summary>
    public static TBuilder RequireAdminKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            switch (Check(context.HttpContext))
            {
                case Verdict.Allowed:
                    return await next(context);
                case Verdict.Disabled:
                    return Results.NotFound();
                default:
                    context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"NpsTriggers ops\", charset=\"UTF-8\"";
                    return Results.Unauthorized();
            }
        });
}
