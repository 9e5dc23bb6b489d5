using NpsTriggers.Core.Nps;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Reports;

public sealed class NpsCategoryFunctionTests
{
    [Fact]
    public async Task NpsCategory_EveryScore_AgreesWithNpsSummary()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Roles"] = "ingest" });

        var sql = await service.ScalarAsync<string[]>("select array_agg(nps_category(s::smallint) order by s) from generate_series(0, 10) s");

        sql.ShouldBe([.. Enumerable.Range(0, 11).Select(NpsSummary.CategoryOf)]);
    }
}
