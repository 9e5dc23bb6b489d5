using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NpsTriggers.Core.Access;

namespace NpsTriggers.Ingest.Access;

/// <summary>The keys the ingest role owns: the ops keys (section <c>Admin</c>) and the integration keys (section <c>Api</c>).</summary>
public static class IngestKeys
{
    public static IHostApplicationBuilder AddIngestKeys(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AdminOptions>().BindConfiguration("Admin").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ApiOptions>().BindConfiguration("Api").ValidateDataAnnotations().ValidateOnStart();
        builder.AddKeys(KeyPolicies.Admin, sp => sp.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKeys);
        builder.AddKeys(KeyPolicies.Integration, sp => sp.GetRequiredService<IOptions<ApiOptions>>().Value.Keys);
        return builder;
    }
}
