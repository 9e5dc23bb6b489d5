using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Dispatch.Invitations;
using NpsTriggers.Dispatch.Scheduling;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Dispatch;

/// <summary>
/// Accepted first sends are group-committed (<see cref="SentCommits"/>): each record in a batch keeps its own guard (the
/// run that holds the claim) and its own <c>sent</c> decision, and each caller learns about its own row.
/// </summary>
public sealed class SentCommitsTests
{
    [Fact]
    public async Task ConcurrentRecords_EachMovesOnlyUnderItsOwnRun_WithOneDecisionEach()
    {
        await using var service = await ServiceUnderTest.StartAsync(new Dictionary<string, string?> { ["Dispatch:SweepCron"] = ManualDispatch.NeverCron });
        await service.PublishAsync([.. Enumerable.Range(0, 6).Select(i =>
            BusinessEvents.Binary($"group-{i}", "order.delivered", BusinessEvents.OrderDelivered($"group{i}", $"group{i}@example.com"), ServiceUnderTest.Start))]);
        await service.WaitForCountAsync("select count(*) from invitations", 6);
        service.Clock.Advance(TimeSpan.FromDays(14));
        var job = (await ManualDispatch.ClaimAsync(service)).ShouldHaveSingleItem();
        var services = service.Host!.Services;
        var taken = await services.GetRequiredService<InvitationClaims>().TakeAsync(job.Claim, Guid.NewGuid(), job.Ids, CancellationToken.None);
        taken.Count.ShouldBe(6);
        var commits = services.GetRequiredService<SentCommits>();
        var expires = service.Clock.GetUtcNow().AddDays(7);
        InvitationStore.SentMark Mark(int i, Guid run) =>
            new(taken[i] with { Run = run }, expires, $"msg-{i}", null, $"email sent: message msg-{i}", null);

        // Submitted at once, so they share statements; the last one names a run that does not hold its claim.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => commits.MarkSentAsync(Mark(i, i < 5 ? taken[i].Run : Guid.NewGuid()), CancellationToken.None)));

        results.ShouldBe([true, true, true, true, true, false]);
        (await service.ScalarAsync<long>("select count(*) from invitations where state = 'sent'")).ShouldBe(5);
        (await service.ScalarAsync<string>("select state from invitations where id = @id", ("id", taken[5].Id))).ShouldBe("sending");
        for (var i = 0; i < 5; i++)
        {
            (await service.ScalarAsync<string>("select message_id from invitations where id = @id", ("id", taken[i].Id))).ShouldBe($"msg-{i}");
            (await service.ScalarAsync<string>("select string_agg(detail, '|') from decisions where invitation_id = @id and outcome = 'sent'", ("id", taken[i].Id)))
                .ShouldBe($"email sent: message msg-{i}");
        }
        (await service.ScalarAsync<long>("select count(*) from decisions where invitation_id = @id and outcome = 'sent'", ("id", taken[5].Id))).ShouldBe(0);

        // Recording again (a retried commit whose first attempt did commit) moves nothing and decides nothing twice.
        (await commits.MarkSentAsync(Mark(0, taken[0].Run), CancellationToken.None)).ShouldBeFalse();
        (await service.ScalarAsync<long>("select count(*) from decisions where outcome = 'sent'")).ShouldBe(5);
    }
}
