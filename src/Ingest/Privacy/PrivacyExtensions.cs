using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>Data-subject requests: export (<see cref="PersonExport"/>) and erasure (<see cref="PersonEraser"/>), mapped by <see cref="PrivacyEndpoints"/>.</summary>
public static class PrivacyExtensions
{
    public static IHostApplicationBuilder AddPrivacy(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<PersonEraser>();
        builder.Services.AddSingleton<PersonExport>();
        return builder;
    }
}
