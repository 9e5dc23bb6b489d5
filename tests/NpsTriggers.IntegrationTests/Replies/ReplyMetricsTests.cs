using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using NpsTriggers.Ingest.Replies;
using NpsTriggers.Testing;

namespace NpsTriggers.IntegrationTests.Replies;

/// <summary>
/// <c>nps_responses_total</c> from the reply writer's committed batches: a burst of concurrent score changes and API
/// answers, shared between batches, adds up per category to what the responses table holds.
/// </summary>
public sealed class ReplyMetricsTests
{
    [Fact]
    public async Task ConcurrentScoresAndAnswers_MetricNetsToTheStoredCategories()
    {
        await using var service = await ServiceUnderTest.StartAsync();
        await using (var insert = service.DataSource.CreateCommand("""
            insert into invitations (id, event_source, event_id, event_type, rule, survey, channel, state, created_at, due_at,
                                     valid_for, sent_at, expires_at)
            select gen_random_uuid(), 'metrics-test', 'reply-' || g, 'order.delivered', 'delivery', 'delivery', 'email',
                   'sent', @now, @now, interval '7 days', @now, @now + interval '7 days'
            from generate_series(1, 80) g
            """))
        {
            insert.Parameters.AddWithValue("now", ServiceUnderTest.Start);
            await insert.ExecuteNonQueryAsync();
        }
        var ids = new List<Guid>();
        await using (var read = service.DataSource.CreateCommand("select id from invitations order by event_id"))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                ids.Add(reader.GetGuid(0));
        var writer = service.Host!.Services.GetRequiredService<ReplyWriter>();
        var random = new Random(11);
        // Three score replies each to the first 60 (so most change their score), one API answer each to the last 20.
        var scores = ids.Take(60).SelectMany(id => Enumerable.Range(0, 3).Select(_ => (Id: id, Score: random.Next(0, 11)))).ToArray();
        random.Shuffle(scores);
        var scored = scores.Select(r => writer.RecordScoreAsync(r.Id, r.Score, default)).ToArray();
        var answered = ids.Skip(60).Select(id => writer.RecordAnswerAsync(new ApiResponseStore.ApiAnswer(id, random.Next(0, 11), null, "kiosk"), default)).ToArray();
        var outcomes = await Task.WhenAll(scored);
        (await Task.WhenAll(answered)).ShouldAllBe(a => a.Outcome == ApiRecordOutcome.Recorded);

        var metrics = (await service.Host.Http.GetStringAsync("/metrics")).Split('\n')
            .Where(l => l.StartsWith("nps_responses_total{", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        double Count(string category, string change) =>
            metrics.Where(m => m.Key.Contains($"category=\"{category}\"", StringComparison.Ordinal) && m.Key.Contains($"change=\"{change}\"", StringComparison.Ordinal))
                .Sum(m => m.Value);
        foreach (var category in NpsTriggers.Core.Nps.NpsSummary.CategoryNames)
        {
            var stored = await service.ScalarAsync<long>("select count(*) from responses where nps_category(score) = @c", ("c", category));
            (Count(category, "recorded") + Count(category, "changed") - Count(category, "replaced")).ShouldBe(stored, category);
        }
        NpsTriggers.Core.Nps.NpsSummary.CategoryNames.Sum(c => Count(c, "recorded")).ShouldBe(ids.Count);
        NpsTriggers.Core.Nps.NpsSummary.CategoryNames.Sum(c => Count(c, "changed")).ShouldBe(outcomes.Count(o => o == RecordOutcome.Changed));
    }
}
