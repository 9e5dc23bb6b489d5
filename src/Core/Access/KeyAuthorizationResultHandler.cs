using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace NpsTriggers.Core.Access;

/// <summary>
/// An API whose policy has no configured key is off: it answers 404, as if absent, rather than inviting guesses with a
/// 401. Everything else is the framework's answer (401 challenge, 403 for a key of another policy).
/// </summary>
public sealed class KeyAuthorizationResultHandler(KeyRing keys) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (!authorizeResult.Succeeded)
        {
            var roles = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).ToList();
            if (roles.Count > 0 && !roles.Any(keys.HasKeys))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
