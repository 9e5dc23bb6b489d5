using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpsTriggers.Ingest.Loop;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// The recording statements keep their plan for batches of any size (<see cref="ReplyStatements"/>): PostgreSQL plans a
/// prepared statement for its first five executions' own values, then keeps one plan if that plan does not look dearer
/// than those. With the arrays' lengths visible, a lone reply's own plan always looked cheaper, so on an ordinary day,
/// when replies come one or two at a time, every execution was planned again. The same holds for keyed API answers, which run
/// the statement alone.
/// </summary>
public sealed class RecordingPlanTests
{
    private const int Executions = 12;

    [Fact]
    public async Task LoneReplies_OnOneConnection_ReuseOnePlan_InsteadOfPlanningEachExecution()
    {
        await using var service = await ServiceUnderTest.StartAsync(startHost: false);
        await service.MigrateAsync();
        var ids = await AnsweredInvitationTests.InsertSentAsync(service, 2 * Executions, TimeSpan.FromDays(7));
        var outbox = new ResponseOutbox(Options.Create(new OutboxOptions()), Options.Create(new AlertOptions()), TimeProvider.System);
        var now = ServiceUnderTest.Start.AddHours(1);
        await using var connection = await service.DataSource.OpenConnectionAsync();

        // One reply per execution, each prepared batch given the next reply's values, as a lane of the writer does.
        await using (var answers = new NpgsqlBatch(connection) { BatchCommands = { ReplyStatements.InsertAnswersCommand([Answer(ids[0])], now, outbox) } })
        {
            await answers.PrepareAsync();
            for (var n = 0; n < Executions; n++)
            {
                if (n > 0)
                    ReplyStatements.BindAnswers(answers.BatchCommands[0], [Answer(ids[n])], now);
                await using var reader = await answers.ExecuteReaderAsync();
                (await ReplyStatements.ReadAnswerOutcomesAsync(reader, default)).Single().Outcome.ShouldBe(ApiRecordOutcome.Recorded);
            }
        }
        await using (var scores = new NpgsqlBatch(connection) { BatchCommands = { ReplyStatements.RecordScoresCommand([ids[Executions]], [7], now, outbox) } })
        {
            await scores.PrepareAsync();
            for (var n = 0; n < Executions; n++)
            {
                if (n > 0)
                    ReplyStatements.BindScores(scores.BatchCommands[0], [ids[Executions + n]], [(short)(n % 11)], now);
                await scores.ExecuteNonQueryAsync();
            }
        }
        (await service.ScalarAsync<long>("select count(*) from responses")).ShouldBe(2 * Executions);

        await ShouldReuseOnePlanAsync(connection, "%insert into responses%", statements: 2);
    }

    [Fact]
    public async Task KeyedApiAnswers_EachInItsOwnTransaction_ReuseOnePlan()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        var ids = await AnsweredInvitationTests.InsertSentAsync(service, Executions, TimeSpan.FromDays(7));
        // One physical connection, so every answer's transaction runs where the previous one prepared its statement.
        await using var oneConnection = NpgsqlDataSource.Create(service.ConnectionString + ";Maximum Pool Size=1");
        var services = service.Host!.Services;
        var store = new ApiResponseStore(oneConnection, services.GetRequiredService<ResponseOutbox>(), services.GetRequiredService<ReplyWriter>(),
            service.Clock, services.GetRequiredService<ResponseMetrics>());
        for (var n = 0; n < Executions; n++)
            (await store.RecordAsync(Answer(ids[n]), $"plan-key-{n}", $"hash-{n}", default)).Outcome.ShouldBe(ApiRecordOutcome.Recorded);

        await using var connection = await oneConnection.OpenConnectionAsync();
        await ShouldReuseOnePlanAsync(connection, "%insert into responses%", statements: 1);
    }

    /// <summary>
    /// PostgreSQL's own count of the plans of each statement prepared on <paramref name="connection"/> whose text is like
    /// <paramref name="like"/>: the first five executions are planned for their values, every later one reuses the kept plan.
    /// </summary>
    private static async Task ShouldReuseOnePlanAsync(NpgsqlConnection connection, string like, int statements)
    {
        await using var plans = new NpgsqlCommand("select generic_plans, custom_plans from pg_prepared_statements where statement like @like", connection);
        plans.Parameters.AddWithValue("like", like);
        await using var counts = await plans.ExecuteReaderAsync();
        var seen = 0;
        while (await counts.ReadAsync())
        {
            seen++;
            counts.GetInt64(1).ShouldBeLessThanOrEqualTo(5, "executions planned for their own values");
            counts.GetInt64(0).ShouldBe(Executions - counts.GetInt64(1), "executions that reused the kept plan");
        }
        seen.ShouldBe(statements, "statements prepared on the connection");
    }

    private static ApiResponseStore.ApiAnswer Answer(Guid id) => new(id, 9, "quick", "kiosk");
}
