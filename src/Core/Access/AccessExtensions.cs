using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Access;

/// <summary>
/// Who may call the service's endpoints and how often: one key scheme with the policies admin, integration and
/// events (<see cref="KeyPolicies"/>), and rate limits per client address (<see cref="RatePolicies"/>). Each area adds
/// the keys it owns (<see cref="AddKeys"/>); the check itself knows no area.
/// </summary>
public static class AccessExtensions
{
    /// <summary>Makes the keys that <paramref name="keys"/> reads from the area's options serve <paramref name="policy"/>.</summary>
    public static IHostApplicationBuilder AddKeys(this IHostApplicationBuilder builder, string policy, Func<IServiceProvider, IEnumerable<string>> keys)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddAccess();
        builder.Services.AddSingleton(sp => new KeySource(policy, () => keys(sp)));
        return builder;
    }

    /// <summary>The key scheme, its policies and the rate limits; once, however many areas ask.</summary>
    public static IHostApplicationBuilder AddAccess(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(KeyRing)))
            return builder;
        builder.Services.AddOptions<RequestRateLimitOptions>().BindConfiguration("RequestRateLimits").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<KeyRing>();
        builder.Services.AddSingleton<KeyFailures>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, KeyAuthorizationResultHandler>();
        // No default scheme, so the authentication middleware authenticates no request by itself: with the key scheme as
        // the default (named, or the one scheme there is, which ASP.NET Core makes the default unless this documented
        // switch says not to), it ran the key handler for every request, customer pages and score answers included,
        // which have no key to check (issue 21, docs/BENCHMARKS.md). Each policy names the scheme instead, so the
        // authorization middleware authenticates the requests of the endpoints that ask for a key, once.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(KeyPolicies.Scheme, null);
        var policies = builder.Services.AddAuthorizationBuilder();
        foreach (var role in new[] { KeyPolicies.Admin, KeyPolicies.Integration, KeyPolicies.Events })
            policies.AddPolicy(role, policy => policy.AddAuthenticationSchemes(KeyPolicies.Scheme).RequireRole(role));
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RequestRateLimitOptions>, KeyFailures>(ConfigureLimits);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RequestRateLimitOptions>>((forwarded, limits) =>
        {
            // X-Forwarded-For names the client only when the proxy that sent it is trusted; loopback always is.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            foreach (var network in limits.Value.TrustedProxies)
                if (System.Net.IPNetwork.TryParse(network, out var parsed)) // a bad entry stops the start (RequestRateLimitOptions)
                    forwarded.KnownIPNetworks.Add(parsed);
        });
        return builder;
    }

    /// <summary>Client address from trusted proxies, then rate limits (before any key is checked), then keys.</summary>
    public static WebApplication UseAccess(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseForwardedHeaders();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    private static void ConfigureLimits(RateLimiterOptions limiter, IOptions<RequestRateLimitOptions> options, KeyFailures failures)
    {
        var settings = options.Value;
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = RejectAsync;
        limiter.AddPolicy(RatePolicies.Customer, context => Bucket(settings, ClientAddress.Of(context), settings.Customer));
        limiter.AddPolicy(RatePolicies.Webhook, context => Bucket(settings, ClientAddress.Of(context), settings.Webhook));
        limiter.AddPolicy(RatePolicies.Keyed, context =>
        {
            var address = ClientAddress.Of(context);
            return failures.Exhausted(address)
                ? Bucket(settings, "failed-keys " + address, settings.AfterFailedKeys)
                : Bucket(settings, address, settings.Keyed);
        });
    }

    private static RateLimitPartition<string> Bucket(RequestRateLimitOptions settings, string key, RequestRateLimitOptions.Bucket bucket)
    {
        if (!settings.Enabled)
            return RateLimitPartition.GetNoLimiter(key);
        // Fast buckets refill every 100 ms (the partitioned limiter's own tick), slow ones a token at a time.
        var (period, tokens) = bucket.PerSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), (int)Math.Round(bucket.PerSecond / 10))
            : (TimeSpan.FromSeconds(1 / bucket.PerSecond), 1);
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket.Burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
        });
    }

    /// <summary>429 problem details with <c>Retry-After</c> (whole seconds, at least 1) from the bucket's own estimate.</summary>
    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var after = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        var http = context.HttpContext;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This address sent more requests than allowed; retry after {seconds} s.",
            },
        });
    }
}
