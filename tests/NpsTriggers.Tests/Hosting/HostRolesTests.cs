using Microsoft.Extensions.Configuration;
using NpsTriggers.Host;

namespace NpsTriggers.Tests.Hosting;

public sealed class HostRolesTests
{
    private static HostRoles From(string? roles) =>
        HostRoles.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Roles"] = roles }).Build());

    [Theory]
    [InlineData(null, true, true, true)]
    [InlineData("all", true, true, true)]
    [InlineData("triggers", true, false, false)]
    [InlineData("dispatch, ingest", false, true, true)]
    public void From_Configuration_SelectsRoles(string? roles, bool triggers, bool dispatch, bool ingest) =>
        From(roles).ShouldBe(new HostRoles(triggers, dispatch, ingest));

    [Fact]
    public void From_UnknownRole_NamesIt() =>
        Should.Throw<InvalidOperationException>(() => From("triggers,mailer")).Message.ShouldContain("'mailer' is not a role");
}
