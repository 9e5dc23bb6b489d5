using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>
/// Headers of every customer page (<c>/s</c>, <c>/u</c>). The token is in the URL, so no Referer may carry it to the
/// logo's host or anywhere else (<c>Referrer-Policy: no-referrer</c>) and no cache may keep the page
/// (<c>Cache-Control: no-store</c>). The CSP allows nothing but the page's own inline style and script, by their hashes,
/// the form posting back here, the answer's fetch, and the logo; no page may be framed (<c>frame-ancestors 'none'</c>).
/// </summary>
public sealed class CustomerPageHeaders(IOptions<BrandingOptions> branding)
{
    private readonly string _policy = Policy(branding.Value);

    public string ContentSecurityPolicy => _policy;

    public void Apply(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = _policy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
    }

    private static string Policy(BrandingOptions brand)
    {
        var images = string.IsNullOrEmpty(brand.LogoUrl) ? "'none'"
            : brand.LogoUrl.StartsWith('/') ? "'self'" : new Uri(brand.LogoUrl).GetLeftPart(UriPartial.Authority); // validated: a path or https
        return $"default-src 'none'; script-src '{Hash(SurveyPages.Script)}'; style-src '{Hash(SurveyPages.Style(brand))}'; img-src {images}; " +
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    }

    private static string Hash(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

public static class CustomerPageHeadersExtensions
{
    /// <summary>Puts <see cref="CustomerPageHeaders"/> on every answer of the group, pages and errors alike.</summary>
    public static RouteGroupBuilder WithCustomerPageHeaders(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.RequestServices.GetRequiredService<CustomerPageHeaders>().Apply(context.HttpContext.Response);
            return await next(context);
        });
        return group;
    }
}
