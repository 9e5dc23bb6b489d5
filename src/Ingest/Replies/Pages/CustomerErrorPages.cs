using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// Errors that happen before or around a customer page's handler — the rate limit (429), a path under <c>/s</c> or
/// <c>/u</c> that names no page (404, 405), a form too large (413), a failure of ours (500, 503) — are answered to a
/// browser as a page in the customer's language, with the pages' headers, instead of the problem-details JSON the
/// API gets. Only requests that accept HTML get the page; everything else keeps problem details (RFC 9457).
/// The invitation's locale is unknown here (the handler never ran), so the page follows <c>Accept-Language</c>.
/// </summary>
public sealed class CustomerErrorPages(IOptions<BrandingOptions> branding, CustomerPageHeaders headers) : IProblemDetailsWriter
{
    /// <summary>Whether a request is on a customer route: <c>/s</c> or <c>/u</c> and what lies below them.</summary>
    public static bool IsCustomerPath(PathString path) =>
        path.StartsWithSegments("/s", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/u", StringComparison.OrdinalIgnoreCase);

    public bool CanWrite(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.HttpContext.Request;
        return IsCustomerPath(request.Path) && AcceptsHtml(request);
    }

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var t = PageText.For(null, http.Request.Headers.AcceptLanguage);
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        var (title, body) = status switch
        {
            StatusCodes.Status429TooManyRequests => (t.TooManyTitle, t.TooManyBody),
            >= 500 => (t.ErrorTitle, t.ErrorBody),
            // A path that names no page, a wrong method, a body we will not read: to a customer, a link that does not work.
            _ => (t.InvalidTitle, t.InvalidBody),
        };
        headers.Apply(http.Response);
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(SurveyPages.Message(t, branding.Value, title, body), http.RequestAborted);
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);
}

public static class CustomerErrorPagesExtensions
{
    /// <summary>
    /// Registers <see cref="CustomerErrorPages"/> ahead of every other problem-details writer: the problem-details
    /// service asks its writers in registration order and the first that can write wins, and the host's
    /// <c>AddProblemDetails</c> may already have registered the JSON writer.
    /// </summary>
    public static IServiceCollection AddCustomerErrorPages(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, CustomerErrorPages>());
        return services;
    }
}
