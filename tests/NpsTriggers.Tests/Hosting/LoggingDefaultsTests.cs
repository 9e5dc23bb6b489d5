using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NpsTriggers.Testing;

namespace NpsTriggers.Tests.Hosting;

/// <summary>
/// The log levels the service ships (src/Host/appsettings.json), read through the real logging filter rules. ASP.NET
/// Core starts an <c>Activity</c> and a log scope for every request whenever its <c>Microsoft.AspNetCore.Hosting.Diagnostics</c>
/// logger is enabled at any level, even Critical: at "Warning" for <c>Microsoft.AspNetCore</c> that is about 0.8 KiB
/// allocated per request for something nothing reads (issue 21, docs/BENCHMARKS.md). Errors from the framework's other
/// categories still reach the log.
/// </summary>
public sealed class LoggingDefaultsTests
{
    private static ServiceProvider Logging() => new ServiceCollection()
        .AddLogging(logging => logging
            .AddConfiguration(new ConfigurationBuilder().AddJsonFile(RepoRoot.Combine("src", "Host", "appsettings.json")).Build().GetSection("Logging"))
            .AddConsole())
        .BuildServiceProvider();

    [Fact]
    public void ShippedLevels_HostingDiagnostics_IsOffAtEveryLevel()
    {
        using var services = Logging();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
        logger.IsEnabled(LogLevel.Critical).ShouldBeFalse();
    }

    [Theory]
    [InlineData("Microsoft.AspNetCore.Server.Kestrel")]
    [InlineData("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware")]
    [InlineData("Microsoft.AspNetCore.Hosting.Lifetime")]
    public void ShippedLevels_OtherFrameworkCategories_StillLogWarningsAndErrors(string category)
    {
        using var services = Logging();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        logger.IsEnabled(LogLevel.Warning).ShouldBeTrue();
        // And at Warning as shipped: turning the diagnostics category off did not open its parent's Information lines.
        logger.IsEnabled(LogLevel.Information).ShouldBeFalse();
    }
}
