using System.Text;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Privacy;

/// <summary>Where a person's identifier is still stored, for the erasure tests.</summary>
internal static class PersonTraces
{
    /// <summary>Tables of either schema with a row whose text holds <paramref name="identifier"/> in any letter case, or whose bytes hold it in lower, upper or its own case.</summary>
    public static async Task<List<string>> TablesAsync(ServiceUnderTest service, string identifier)
    {
        var tables = new List<string>();
        await using (var list = service.DataSource.CreateCommand("""
            select format('%I.%I', table_schema, table_name) from information_schema.tables
            where table_schema in ('public', 'hangfire') and table_type = 'BASE TABLE'
            """))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        tables.ShouldContain("public.outbox");
        var hexes = new[] { identifier, identifier.ToLowerInvariant(), identifier.ToUpperInvariant() }
            .Select(form => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(form))).ToArray();
        var found = new List<string>();
        foreach (var table in tables)
        {
            await using var command = service.DataSource.CreateCommand($"""
                select count(*) from {table} t
                where strpos(lower(t::text), lower(@needle)) > 0 or strpos(lower(t::text), lower(@encoded)) > 0
                   or exists (select 1 from unnest(@hexes) h where strpos(t::text, h) > 0)
                """);
            command.Parameters.AddWithValue("needle", identifier);
            command.Parameters.AddWithValue("encoded", Uri.EscapeDataString(identifier));
            command.Parameters.AddWithValue("hexes", hexes);
            if ((long)(await command.ExecuteScalarAsync())! > 0)
                found.Add(table);
        }
        return found;
    }
}
