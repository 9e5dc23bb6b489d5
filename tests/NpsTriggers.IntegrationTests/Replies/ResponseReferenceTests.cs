using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// A response refers to its invitation by construction, not by a foreign key (migration 0029): the recording statements
/// insert a response only for an invitation their own update took, and a trigger keeps an answered invitation from being
/// deleted or renumbered, as the key did.
/// </summary>
public sealed class ResponseReferenceTests
{
    private enum Target { Sent, Scheduled, Erased, Unknown }

    private sealed record Reply(Target Target, int Slot, int Score, bool ThroughApi);

    /// <summary>
    /// Replies for sent invitations, for ones not sent yet, for erased ones and for ids that name no invitation, by score
    /// link and by the API, several to the same invitation, written together so that they share batches.
    /// </summary>
    private static Gen<Reply[]> RepliesGen() =>
        (from target in Gen.Elements(Target.Sent, Target.Sent, Target.Scheduled, Target.Erased, Target.Unknown)
         from slot in Gen.Choose(0, 5)
         from score in Gen.Choose(0, 10)
         from api in Gen.Elements(false, true)
         select new Reply(target, slot, score, api)).ArrayOf().Where(r => r.Length is > 0 and <= 40);

    [Fact]
    public async Task GeneratedReplies_ToInvitationsOfEveryKind_RecordResponsesOnlyForSentInvitations_AndNoneWithoutItsInvitation()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        const int Cases = 40;
        // Eighteen invitations for each case, written as sent.
        var invitations = await AnsweredInvitationTests.InsertSentAsync(service, Cases * 18, TimeSpan.FromDays(7));
        var cases = 0;
        foreach (var replies in RepliesGen().Sample(Cases, new Rnd(20261207), 40))
        {
            // Six of each kind: six stay sent, six move back to scheduled, six are erased.
            var sent = invitations[(cases * 18)..((cases + 1) * 18)];
            var ids = new Dictionary<(Target, int), Guid>();
            for (var slot = 0; slot <= 5; slot++)
                (ids[(Target.Sent, slot)], ids[(Target.Scheduled, slot)], ids[(Target.Erased, slot)], ids[(Target.Unknown, slot)]) =
                    (sent[slot], sent[6 + slot], sent[12 + slot], Guid.NewGuid());
            await service.ExecuteAsync("update invitations set state = 'scheduled' where id = any(@ids)", ("ids", sent[6..12]));
            await service.ExecuteAsync("update invitations set erased_at = @now where id = any(@ids)", ("ids", sent[12..]), ("now", ServiceUnderTest.Start));

            await Task.WhenAll(replies.Select(async reply =>
            {
                var id = ids[(reply.Target, reply.Slot)];
                if (reply.ThroughApi)
                    await writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(id, reply.Score, null, "kiosk"), default);
                else
                    await writer.RecordScoreAsync(id, reply.Score, default);
            }));

            var expected = replies.Where(r => r.Target == Target.Sent).Select(r => ids[(r.Target, r.Slot)]).Distinct().Order().ToArray();
            var all = ids.Values.ToArray();
            (await RespondedAsync(service, all)).ShouldBe(expected, $"replies: {string.Join(", ", replies.AsEnumerable())}");
            (await service.ScalarAsync<long>("select count(*) from responses r where not exists (select 1 from invitations i where i.id = r.invitation_id)"))
                .ShouldBe(0, "a response without its invitation");
            cases++;
        }
        cases.ShouldBe(Cases);
    }

    [Fact]
    public async Task AnsweredInvitation_CannotBeDeletedOrRenumbered_AsWithTheForeignKey_WhileAnUnansweredOneCan()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var two = await AnsweredInvitationTests.InsertSentAsync(service, 2, TimeSpan.FromDays(7));
        var (answered, open) = (two[0], two[1]);
        (await writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(answered, 4, "late", "kiosk"), default)).Outcome.ShouldBe(ApiRecordOutcome.Recorded);

        var deleted = await Should.ThrowAsync<PostgresException>(() => service.ExecuteAsync("delete from invitations where id = @id", ("id", answered)));
        deleted.SqlState.ShouldBe(PostgresErrorCodes.ForeignKeyViolation);
        deleted.MessageText.ShouldContain(answered.ToString());
        (await Should.ThrowAsync<PostgresException>(() => service.ExecuteAsync("update invitations set id = gen_random_uuid() where id = @id", ("id", answered))))
            .SqlState.ShouldBe(PostgresErrorCodes.ForeignKeyViolation);
        (await service.ScalarAsync<long>("select count(*) from invitations i join responses r on r.invitation_id = i.id where i.id = @id", ("id", answered)))
            .ShouldBe(1);

        // An update that keeps the id, and any other update, is not a renumbering.
        await service.ExecuteAsync("update invitations set id = id, name = 'Ann' where id = @id", ("id", answered));
        // An invitation without a response goes, as it did with the key.
        await service.ExecuteAsync("delete from invitations where id = @id", ("id", open));
        (await service.ScalarAsync<long>("select count(*) from invitations where id = @id", ("id", open))).ShouldBe(0);
    }

    private static async Task<Guid[]> RespondedAsync(ServiceUnderTest service, Guid[] ids)
    {
        await using var read = service.DataSource.CreateCommand("select invitation_id from responses where invitation_id = any(@ids)");
        read.Parameters.AddWithValue("ids", ids);
        var found = new List<Guid>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            found.Add(reader.GetGuid(0));
        return [.. found.Order()];
    }
}
