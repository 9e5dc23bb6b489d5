using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace NpsTriggers.Host;

/// <summary>HTTP limits of the host. Section <c>Http</c>.</summary>
public sealed class HttpLimitsOptions
{
    /// <summary>The largest request body any endpoint reads; larger ones are answered 413 without being read.</summary>
    /// <value>Defaults to 1 MiB: a full events batch of small events, far more than any form or webhook.</value>
    [Range(16 * 1024, 64 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>
/// Every error answer is problem details (RFC 9457): bodiless 4xx/5xx results (401, 404, binding failures) get one from
/// the status code, a body over the limit or an unreadable form gets its real status (413, 400) instead of a 500, and
/// anything unexpected is a 500 problem without internals.
/// </summary>
public static class HttpErrors
{
    public static WebApplicationBuilder AddHttpErrors(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HttpLimitsOptions>().BindConfiguration("Http").ValidateDataAnnotations().ValidateOnStart();
        var limit = builder.Configuration.GetSection("Http").Get<HttpLimitsOptions>()?.MaxRequestBodyBytes ?? new HttpLimitsOptions().MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limit);
        builder.Services.Configure<FormOptions>(form => form.ValueLengthLimit = (int)Math.Min(limit, int.MaxValue));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClientErrorExceptionHandler>();
        return builder;
    }

    public static WebApplication UseHttpErrors(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>Errors the client caused, thrown while its request was read: answered with their status, not 500.</summary>
    private sealed class ClientErrorExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            var (status, title) = exception switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "Request body too large"),
                BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
                // Form limits (value length, key count) are reported as InvalidDataException by the form reader.
                InvalidDataException => (StatusCodes.Status413PayloadTooLarge, "Form too large"),
                // The database is restarting or unreachable: nothing was written, and the same request later will work.
                _ when Core.Storage.DatabaseErrors.IsTransient(exception) => (StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable"),
                _ => (0, ""),
            };
            if (status == 0 || httpContext.Response.HasStarted)
                return false;
            httpContext.Response.StatusCode = status;
            if (status == StatusCodes.Status503ServiceUnavailable)
                httpContext.Response.Headers.RetryAfter = "5";
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                Exception = exception,
                ProblemDetails = { Status = status, Title = title, Detail = status == StatusCodes.Status503ServiceUnavailable ? "The database is unavailable; nothing was recorded. Retry later." : exception.Message },
            });
        }
    }
}
