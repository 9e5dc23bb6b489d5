using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Core.Rules;

public static class RulesExtensions
{
    /// <summary>Loads and validates the send rules at start; a bad file stops the host with file:line messages.</summary>
    public static IHostApplicationBuilder AddSendRules(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RulesOptions>().BindConfiguration("Rules").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RulesOptions>>().Value;
            var root = sp.GetRequiredService<IHostEnvironment>().ContentRootPath;
            return new RulesProvider(System.IO.Path.GetFullPath(options.Path, root),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RulesProvider>>(), options.Watch);
        });
        builder.Services.AddHostedService<RulesStartupCheck>();
        return builder;
    }

    private sealed class RulesStartupCheck(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<RulesProvider>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
