using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NpsTriggers.Core.Sms;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies.Pages;
using NpsTriggers.Ingest.Replies.Sms;

namespace NpsTriggers.Ingest.Replies;

/// <summary>
/// Replies, by every way they arrive: the survey pages and links (<c>/s</c>, <c>/u</c>, <see cref="Pages"/>), SMS
/// replies and Twilio's webhooks (<c>/twilio</c>, <see cref="Sms"/>) and the response API (<c>/api/responses</c>), all
/// recorded by one writer (<see cref="ReplyWriter"/>) together with the outbox rows they cause.
/// </summary>
public static class RepliesExtensions
{
    public static IHostApplicationBuilder AddReplies(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ResponseMetrics>();
        builder.Services.AddSingleton<ReplyWriter>();
        builder.Services.AddSingleton<ResponseStore>();
        builder.Services.AddSingleton<ApiResponseStore>();
        builder.Services.AddSingleton<SurveyPageReads>();
        builder.Services.AddSingleton<SurveyPageStore>();
        builder.Services.AddSingleton<CustomerPageHeaders>();
        builder.Services.AddCustomerErrorPages();
        // Read and check the pages' texts now: an incomplete language file stops the start, naming file and key,
        // instead of failing the first customer's page.
        _ = PageTexts.English;
        builder.Services.AddOptions<BrandingOptions>().BindConfiguration("Branding").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddTwilioOptions();
        builder.Services.AddSingleton<SmsReplyStore>();
        builder.Services.AddSingleton<WebhookReceipts>();
        builder.Services.AddSingleton<IPrunedWithOutbox>(services => services.GetRequiredService<WebhookReceipts>());
        return builder;
    }

    public static IEndpointRouteBuilder MapReplies(this IEndpointRouteBuilder app)
    {
        app.MapSurveyPages();
        app.MapTwilioWebhooks();
        app.MapResponsesApi();
        return app;
    }
}
