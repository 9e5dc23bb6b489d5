using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NpsTriggers.Core.Tokens;

public static class SurveyLinkExtensions
{
    public static IHostApplicationBuilder AddSurveyLinks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SurveyLinkOptions>().BindConfiguration("SurveyLinks").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SurveyLinks>();
        return builder;
    }
}
