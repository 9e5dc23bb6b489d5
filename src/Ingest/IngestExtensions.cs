using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NpsTriggers.Core.Kafka;
using NpsTriggers.Core.Sms;
using NpsTriggers.Ingest.Access;
using NpsTriggers.Ingest.Alerts;
using NpsTriggers.Ingest.Dashboard;
using NpsTriggers.Ingest.FollowUps;
using NpsTriggers.Ingest.Outbox;
using NpsTriggers.Ingest.Privacy;
using NpsTriggers.Ingest.Reports;
using NpsTriggers.Ingest.Responses;
using NpsTriggers.Ingest.Twilio;

namespace NpsTriggers.Ingest;

public static class IngestExtensions
{
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddAccess();
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<Pages.SurveyPageReads>();
        builder.Services.AddSingleton<Pages.SurveyPageStore>();
        builder.Services.AddSingleton<Pages.CustomerPageHeaders>();
        builder.Services.AddOptions<Pages.BrandingOptions>().BindConfiguration("Branding").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ResponseStore>();
        builder.Services.AddSingleton<ReplyWriter>();
        builder.Services.AddSingleton<Reports.NpsReportQuery>();
        builder.Services.AddSingleton<Dashboard.DashboardQuery>();
        builder.Services.AddSingleton<Privacy.PersonEraser>();
        builder.Services.AddSingleton<Privacy.PersonExport>();
        builder.Services.AddSingleton<Twilio.SmsReplyStore>();
        builder.Services.AddSingleton<Twilio.WebhookReceipts>();
        builder.Services.AddTwilioOptions();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AlertOptions>().BindConfiguration("Alerts").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<FollowUpOptions>().BindConfiguration("FollowUps").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Api.ApiOptions>().BindConfiguration("Api").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ApiResponseStore>();
        builder.Services.AddSingleton<FollowUpStore>();
        builder.Services.AddSingleton<ResponseOutbox>();
        builder.Services.AddSingleton<OutboxStore>();
        builder.Services.AddSingleton<OutboxMetrics>();
        // Kafka:* options are bound by AddEventIntake, which the ingest role also runs (POST /api/events).
        builder.AddKafka();
        builder.Services.AddHostedService<OutboxPublisher>();
        builder.Services.AddHostedService<OutboxPruner>();
        builder.Services.AddHttpClient(AlertSender.ClientName);
        builder.Services.AddHostedService<AlertSender>();
        builder.Services.AddHealthChecks().AddCheck<OutboxHealthCheck>("outbox");
        return builder;
    }

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapSurveyPages();
        app.MapNpsApi();
        app.MapDecisionsApi();
        app.MapTwilioWebhooks();
        app.MapSuppressionsApi();
        app.MapResponsesApi();
        app.MapFollowUpsApi();
        app.MapReportsApi();
        app.MapDashboard();
        app.MapPrivacyApi();
        return app;
    }
}
