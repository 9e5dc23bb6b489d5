using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace NpsTriggers.Core.Sms;

public static class TwilioOptionsExtensions
{
    /// <summary>Binds and validates section <c>Twilio</c> once, whichever roles need it (dispatch sends, ingest checks webhook signatures).</summary>
    public static IServiceCollection AddTwilioOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(TwilioOptionsMarker)))
            return services;
        services.TryAddSingleton<TwilioOptionsMarker>();
        services.AddOptions<TwilioOptions>().BindConfiguration("Twilio").ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    private sealed class TwilioOptionsMarker;
}
