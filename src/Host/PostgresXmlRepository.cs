using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace NpsTriggers.Host;

/// <summary>
/// Keeps ASP.NET Core Data Protection's keys in PostgreSQL (migration 0017) instead of the container's file system,
/// which is read-only and per pod: every ingest replica reads one key ring, so an antiforgery token issued by one verifies
/// on another. Data Protection calls this synchronously, rarely (at start and when a key is rotated, every 90 days).
/// The keys are as confidential as the database that holds them.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource dataSource, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = dataSource.CreateCommand("select xml from data_protection_keys order by id");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
            elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        using var command = dataSource.CreateCommand("insert into data_protection_keys (friendly_name, xml, created_at) values (@name, @xml, @now)");
        command.Parameters.Add(new NpgsqlParameter<string>("name", friendlyName));
        command.Parameters.Add(new NpgsqlParameter<string>("xml", element.ToString(SaveOptions.DisableFormatting)));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", time.GetUtcNow()));
        command.ExecuteNonQuery();
    }
}
