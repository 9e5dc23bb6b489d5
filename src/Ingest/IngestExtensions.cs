using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NpsTriggers.Core.Sms;
using NpsTriggers.Ingest.Dashboard;
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
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<Auth.AdminOptions>().BindConfiguration("Admin");
        builder.Services.AddSingleton<ResponseStore>();
        builder.Services.AddSingleton<Reports.NpsReportQuery>();
        builder.Services.AddSingleton<Dashboard.DashboardQuery>();
        builder.Services.AddSingleton<Privacy.PersonEraser>();
        builder.Services.AddSingleton<Twilio.SmsReplyStore>();
        builder.Services.AddTwilioOptions();
        return builder;
    }

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapSurveyPages();
        app.MapNpsApi();
        app.MapDecisionsApi();
        app.MapTwilioWebhooks();
        app.MapSuppressionsApi();
        app.MapReportsApi();
        app.MapDashboard();
        app.MapPrivacyApi();
        return app;
    }
}
