using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NpsTriggers.Ingest.Bounces;

/// <summary>
/// Email bounces and complaints (docs/EMAIL.md): reports relays and feedback loops send to the per-invitation return path
/// are read from an IMAP mailbox and suppress the address, fail the invitation or fall back to SMS. Off unless
/// <c>Bounces:Host</c> is set.
/// </summary>
public static class BounceExtensions
{
    public static IHostApplicationBuilder AddBounces(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<BounceOptions>().BindConfiguration("Bounces").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BounceStore>();
        builder.Services.AddSingleton<BounceMetrics>();
        builder.Services.AddSingleton<BounceReaderStatus>();
        builder.Services.AddHostedService<BounceReader>();
        builder.Services.AddHealthChecks().AddCheck<BounceReaderStatus>("bounces");
        return builder;
    }
}
