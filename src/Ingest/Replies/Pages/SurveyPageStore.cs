using Npgsql;

namespace NpsTriggers.Ingest.Replies.Pages;

/// <summary>What a survey page shows about its invitation and answer; <see cref="Open"/> when it can still be answered.</summary>
public sealed record SurveyPageState(string Survey, string? Locale, int? Score, string? Comment, bool? ContactConsent, DateTimeOffset? ExpiresAt,
    bool Open);

/// <summary>The survey pages' reads, and the contact consent they ask for.</summary>
public sealed class SurveyPageStore(NpgsqlDataSource dataSource, SurveyPageReads reads)
{
    /// <summary>The page's state for an invitation (null: unknown), read in a group with the pages requested alongside.</summary>
    public Task<SurveyPageState?> ReadAsync(Guid invitationId, CancellationToken cancellationToken) => reads.ReadAsync(invitationId, cancellationToken);

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
