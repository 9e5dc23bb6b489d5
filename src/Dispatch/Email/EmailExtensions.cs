using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Dispatch.Email;

public static class EmailExtensions
{
    public static IServiceCollection AddEmail(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration("Email").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration("Smtp").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EmailComposer>();
        services.AddSingleton<SmtpConnectionPool>();
        services.AddSingleton<IEmailTransportFactory, EmailTransportFactory>();
        return services;
    }

    private sealed class EmailTransportFactory(IOptions<SmtpOptions> options, SmtpConnectionPool pool) : IEmailTransportFactory
    {
        public Task<IEmailTransport> CreateAsync(CancellationToken cancellationToken) =>
            string.IsNullOrWhiteSpace(options.Value.PickupDirectory)
                ? pool.CreateAsync(cancellationToken)
                : Task.FromResult<IEmailTransport>(new PickupDirectoryEmailTransport(options.Value.PickupDirectory));
    }
}
