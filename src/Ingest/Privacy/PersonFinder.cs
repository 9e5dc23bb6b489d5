using System.Text;
using Npgsql;

namespace NpsTriggers.Ingest.Privacy;

/// <summary>Who to erase or export: any of a customer id, an email address or a phone number.</summary>
public sealed record PersonRef(string? CustomerId, string? Email, string? Phone)
{
    public bool IsEmpty => string.IsNullOrWhiteSpace(CustomerId) && string.IsNullOrWhiteSpace(Email) && string.IsNullOrWhiteSpace(Phone);
}

/// <summary>
/// A person's invitations and every identifier they were known by there. <see cref="Needles"/> are those identifiers in
/// lower case, for case-insensitive searches of free text and bytes; <see cref="Pattern"/> matches any of them in a
/// PostgreSQL regular expression (used with the <c>i</c> flag).
/// </summary>
public sealed record FoundPerson(Guid[] Ids, string[] Customers, string[] Emails, string[] Phones, string[] Needles, string Pattern)
{
    /// <summary>
    /// The needles long enough to look for in tables that hold everybody's rows (dead letters, the inbox): a customer id
    /// such as <c>42</c> would otherwise match, and erase, unrelated records.
    /// </summary>
    public string[] WideNeedles => [.. Needles.Where(n => n.Length >= 5)];
}

/// <summary>Finds a person by any identifier, case-insensitively, and follows what the found rows know.</summary>
internal static class PersonFinder
{
    /// <summary>
    /// The person's invitations: those matching any given identifier, then — round by round, until nothing new turns up
    /// — those matching any identifier the found ones hold, so a person reached by email, SMS and customer id is found
    /// whole from any one of them. Emails and customer ids match whatever their case.
    /// </summary>
    public static async Task<FoundPerson> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, PersonRef person, bool forUpdate,
        CancellationToken cancellationToken)
    {
        var customers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        var phones = new HashSet<string>(StringComparer.Ordinal);
        if (Blank(person.CustomerId) is { } c) customers.Add(c);
        if (Blank(person.Email) is { } e) emails.Add(e.ToLowerInvariant());
        if (Blank(person.Phone) is { } p) phones.Add(p);
        var ids = new HashSet<Guid>();
        while (true)
        {
            var known = ids.Count + customers.Count + emails.Count + phones.Count;
            await using var command = new NpgsqlCommand($"""
                select id, customer_id, lower(email), phone from invitations
                where lower(customer_id) = any (@customers) or lower(email) = any (@emails) or phone = any (@phones)
                {(forUpdate ? "for update" : "")}
                """, connection, tx);
            command.Parameters.Add(new NpgsqlParameter<string[]>("customers", [.. customers.Select(x => x.ToLowerInvariant())]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("emails", [.. emails]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("phones", [.. phones]));
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.GetGuid(0));
                    if (!reader.IsDBNull(1)) customers.Add(reader.GetString(1));
                    if (!reader.IsDBNull(2)) emails.Add(reader.GetString(2));
                    if (!reader.IsDBNull(3)) phones.Add(reader.GetString(3));
                }
            if (ids.Count + customers.Count + emails.Count + phones.Count == known)
                break;
        }
        var needles = customers.Select(x => x.ToLowerInvariant()).Concat(emails).Concat(phones.Select(x => x.ToLowerInvariant()))
            .Where(x => x.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        return new FoundPerson([.. ids], [.. customers], [.. emails], [.. phones], needles, string.Join('|', needles.Select(Escape)));
    }

    /// <summary>A literal for a PostgreSQL advanced regular expression: every character that is not a letter or digit escaped.</summary>
    internal static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length * 2);
        foreach (var ch in text)
        {
            // In an ARE a backslash before a letter or digit starts an escape; before anything else it means that character.
            if (!char.IsLetterOrDigit(ch))
                escaped.Append('\\');
            escaped.Append(ch);
        }
        return escaped.ToString();
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
