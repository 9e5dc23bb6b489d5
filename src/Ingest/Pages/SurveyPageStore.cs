using Npgsql;

namespace NpsTriggers.Ingest.Pages;

/// <summary>What a survey page shows about its invitation and answer; <see cref="Open"/> when it can still be answered.</summary>
public sealed record SurveyPageState(string Survey, string? Locale, int? Score, string? Comment, bool? ContactConsent, DateTimeOffset? ExpiresAt,
    bool Open);

/// <summary>The survey pages' reads, and the contact consent they ask for.</summary>
public sealed class SurveyPageStore(NpgsqlDataSource dataSource)
{
    public async Task<SurveyPageState?> ReadAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            select i.survey, i.locale, r.score, r.comment, r.contact_consent, i.expires_at, i.state in ('sent', 'answered') and i.erased_at is null
            from invitations i left join responses r on r.invitation_id = i.id
            where i.id = @id
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new SurveyPageState(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetInt16(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.GetBoolean(6));
    }

    /// <summary>The invitation's locale, for pages about a link that no longer works (expired, closed).</summary>
    public async Task<string?> LocaleAsync(Guid invitationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select locale from invitations where id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SetContactConsentAsync(Guid invitationId, bool consent, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("update responses set contact_consent = @consent where invitation_id = @id");
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", invitationId));
        command.Parameters.Add(new NpgsqlParameter<bool>("consent", consent));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
