namespace NpsTriggers.Core.Invitations;

/// <summary>
/// Relational programmes (rules with <c>every:</c>): surveys triggered by the clock rather than by an event. The triggers
/// area plans them; the dispatch role's Hangfire servers run them on a schedule, knowing only this.
/// </summary>
public interface IRelationalProgrammes
{
    /// <summary>Schedules each relational rule's survey for everyone due one in the current period; returns how many.</summary>
    Task<int> ScheduleDueAsync(CancellationToken cancellationToken);
}
