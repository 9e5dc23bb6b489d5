using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Access;

/// <summary>
/// The one key scheme: a key in <c>X-Api-Key</c> (scripts, integrations) or as the password of HTTP Basic (browsers,
/// which prompt for it on the dashboards). The key's roles — admin, integration, events, from the section that lists
/// it — become role claims that the policies of the same names require. A key that matches nothing counts against
/// the client address (<see cref="KeyFailures"/>), which then gets a stricter rate limit.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    KeyRing keys, KeyFailures failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Presented(Request) is not { } presented)
            return Task.FromResult(AuthenticateResult.NoResult());
        var digest = KeyRing.Digest(presented);
        var roles = keys.RolesOf(digest);
        if (roles.Count == 0)
        {
            failures.Record(ClientAddress.Of(Context));
            return Task.FromResult(AuthenticateResult.Fail("The key matches no configured key."));
        }
        var identity = new ClaimsIdentity(Scheme.Name);
        foreach (var role in roles)
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        // A short hash names the caller (Idempotency-Key scope) without keeping or logging the key.
        identity.AddClaim(new Claim(KeyPolicies.ClientClaim, Convert.ToHexStringLower(digest, 0, 8)));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    /// <summary>401 with a Basic challenge, so a browser asks for the key; the body is problem details (status code pages).</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"NpsTriggers\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }

    /// <summary>The key from <c>X-Api-Key</c>, else the password of HTTP Basic; null when neither carries one.</summary>
    private static string? Presented(HttpRequest request)
    {
        var header = request.Headers["X-Api-Key"].ToString();
        if (header.Length > 0)
            return header;
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            return null;
        var buffer = new byte[authorization.Length];
        if (!Convert.TryFromBase64String(authorization["Basic ".Length..].Trim(), buffer, out var written))
            return "";
        var pair = Encoding.UTF8.GetString(buffer, 0, written);
        return pair[(pair.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }
}
