using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using NpsTriggers.IntegrationTests.Faults.Corpus;
using NpsTriggers.IntegrationTests.Rules;
using NpsTriggers.Testing;
using NpsTriggers.Triggers.Intake;
using Xunit.Abstractions;

namespace NpsTriggers.IntegrationTests.Faults;

/// <summary>
/// Over two thousand generated CloudEvents (<see cref="CorpusGenerator"/>) through the real path — the embedded broker in
/// both bindings and <c>POST /api/events</c> — and then an account of every one: the host is alive, the committed offsets
/// reach the end of every partition, and each record is exactly one of an inbox row, a dead letter with the reason the
/// contract names, or (a repeated id, a type no rule knows) nothing at all. The seed is printed; set
/// <c>NPS_CORPUS_SEED</c> to replay a failure.
/// </summary>
public sealed class GeneratedCorpusTests(ITestOutputHelper output)
{
    private const string EventsKey = "events-key-0123456789-abcdefghijklmnop";
    private const int Count = 2100;

    private sealed record Position(int Partition, long Offset);

    [Fact]
    public async Task GeneratedEvents_ThroughKafkaAndHttp_EachEndExactlyOnceAsTheContractSays()
    {
        var seed = Environment.GetEnvironmentVariable("NPS_CORPUS_SEED") is { Length: > 0 } fixedSeed
            ? ulong.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : (ulong)System.Random.Shared.NextInt64(1, long.MaxValue);
        output.WriteLine($"corpus seed: {seed} (replay with NPS_CORPUS_SEED={seed})");
        var corpus = CorpusGenerator.Generate(seed, Count);
        string Context(CorpusEvent e) => $"{e.Describe()} [seed {seed}]";

        using var rules = new RulesFile(CorpusGenerator.Rules);
        await using var service = await ServiceUnderTest.StartAsync(rules.Settings(
            ("Roles", "triggers,ingest"), ("EventsApi:ApiKeys:0", EventsKey), ("Kafka:BatchSize", "200")));

        // Kafka: everything at once, each record's position taken from the broker's acknowledgement.
        var kafka = corpus.Where(e => e.Binding != Binding.Http).ToList();
        var positions = new Dictionary<Position, CorpusEvent>();
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
               {
                   BootstrapServers = service.Kafka.BootstrapServers, EnableIdempotence = true, MessageMaxBytes = 4 * 1024 * 1024,
               }).Build())
        {
            var acks = await Task.WhenAll(kafka.Select(e => producer.ProduceAsync(BusinessEvents.Topic, ToKafka(e))));
            for (var i = 0; i < acks.Length; i++)
                positions[new Position(acks[i].Partition.Value, acks[i].Offset.Value)] = kafka[i];
        }

        // HTTP, meanwhile: one event per request, or a batch of up to eight.
        var http = corpus.Where(e => e.Binding == Binding.Http).ToList();
        var rejected = new Dictionary<int, string>();
        var sizes = new System.Random((int)(seed % int.MaxValue));
        for (var at = 0; at < http.Count;)
        {
            var request = http.Skip(at).Take(sizes.Next(1, 9)).ToList();
            at += request.Count;
            foreach (var (index, reason) in await PostAsync(service, request, seed))
                rejected[request[index].Index] = reason;
        }

        await Eventually.Until(() => Task.FromResult(ConsumerGroupOffsets.Uncommitted(service.Kafka.BootstrapServers, "nps-triggers-test", BusinessEvents.Topic)),
            n => n == 0, TimeSpan.FromSeconds(120), $"offsets committed up to the end of every partition [seed {seed}]");
        ((KafkaIntakeService)service.Host!.Services.GetService(typeof(KafkaIntakeService))!).Running.ShouldBeTrue();
        (await service.Host.Http.GetAsync("/healthz/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var inbox = await RowsAsync(service, "select topic, partition, \"offset\", source, event_id from inbox",
            r => (Topic: r.GetString(0), At: new Position(r.GetInt32(1), r.GetInt64(2)), Key: (r.GetString(3), r.GetString(4))));
        var deadLetters = await RowsAsync(service, "select topic, partition, \"offset\", reason from dead_letters",
            r => (Topic: r.GetString(0), At: new Position(r.GetInt32(1), r.GetInt64(2)), Reason: r.GetString(3)));
        var inboxAt = inbox.Where(r => r.Topic == BusinessEvents.Topic).ToDictionary(r => r.At, r => r.Key);
        var deadAt = deadLetters.Where(r => r.Topic == BusinessEvents.Topic).ToDictionary(r => r.At, r => r.Reason);
        var stored = inbox.Select(r => r.Key).ToHashSet();
        // Kafka keeps order only within a partition, and HTTP runs alongside, so "earlier" in the corpus is not earlier in
        // arrival. When a later event repeats a refused one's id (the "duplicate" mutation) and arrives first, it is
        // stored, and the refused one is then the repeat of a stored event, which is not read again. Either order is the
        // contract's (the first arrival of a source and id is the event); this allows the second one for exactly those.
        bool RepeatOfStored(CorpusEvent e) =>
            e.Id is { } id && stored.Contains((e.Source, id))
            && corpus.Any(o => o.Index != e.Index && o.Id == id && o.Source == e.Source && o.Expect == Expect.Stored);

        // Kafka: each record is exactly one thing, the one the contract says.
        foreach (var (at, e) in positions)
        {
            var inInbox = inboxAt.ContainsKey(at);
            var dead = deadAt.TryGetValue(at, out var reason);
            (inInbox && dead).ShouldBeFalse($"both stored and dead-lettered: {Context(e)}");
            switch (e.Expect)
            {
                case Expect.DeadLettered:
                    if (!dead && !inInbox && RepeatOfStored(e))
                        break;
                    dead.ShouldBeTrue($"not dead-lettered: {Context(e)}");
                    reason.ShouldNotBeNullOrWhiteSpace(Context(e));
                    reason!.ShouldContain(e.ReasonContains ?? "", Case.Sensitive, Context(e));
                    break;
                case Expect.Stored:
                    dead.ShouldBeFalse($"dead-lettered ({reason}): {Context(e)}");
                    (inInbox || stored.Contains((e.Source, e.Id!))).ShouldBeTrue($"neither stored nor a repeat of a stored event: {Context(e)}");
                    break;
                case Expect.Skipped:
                    (inInbox || dead).ShouldBeFalse($"written although no rule knows its type: {Context(e)}");
                    break;
            }
        }
        // Nothing written for a position no record had.
        inboxAt.Keys.Concat(deadAt.Keys).Where(p => !positions.ContainsKey(p)).ShouldBeEmpty();

        // HTTP: rejected exactly when the contract says, with its reason; dead-lettered once each; stored once each.
        foreach (var e in http)
        {
            if (e.Expect == Expect.DeadLettered && !rejected.ContainsKey(e.Index) && RepeatOfStored(e))
                continue;
            if (e.Expect == Expect.DeadLettered)
            {
                rejected.ShouldContainKey(e.Index, Context(e));
                rejected[e.Index].ShouldContain(e.ReasonContains ?? "", Case.Sensitive, Context(e));
            }
            else
            {
                rejected.ShouldNotContainKey(e.Index, $"rejected ({rejected.GetValueOrDefault(e.Index)}): {Context(e)}");
                if (e.Expect == Expect.Stored)
                    stored.ShouldContain((e.Source, e.Id!), Context(e));
            }
        }
        deadLetters.Count(r => r.Topic == "http").ShouldBe(rejected.Count, $"seed {seed}");
        var httpStored = http.Where(e => e.Expect == Expect.Stored).Select(e => (e.Source, e.Id!)).ToHashSet();
        inbox.Where(r => r.Topic == "http").Select(r => r.Key).Where(k => !httpStored.Contains(k)).ShouldBeEmpty($"seed {seed}");

        // Decisions and invitations agree: one invitation per 'scheduled' (or cancelled on arrival) decision, a decision
        // for every rule an event fired, none for anything not in the inbox.
        (await service.ScalarAsync<long>("""
            select count(*) from decisions d where d.invitation_id is not null and not exists (select 1 from invitations i where i.id = d.invitation_id)
            """)).ShouldBe(0, $"seed {seed}");
        (await service.ScalarAsync<long>("select count(*) from invitations i where not exists (select 1 from decisions d where d.invitation_id = i.id)"))
            .ShouldBe(0, $"seed {seed}");
        (await service.ScalarAsync<long>("""
            select count(*) from inbox n where n.type in ('order.delivered', 'ticket.closed')
              and not exists (select 1 from decisions d where d.event_source = n.source and d.event_id = n.event_id)
            """)).ShouldBe(0, $"seed {seed}");
        (await service.ScalarAsync<long>("""
            select count(*) from decisions d where d.outcome <> 'dead_lettered'
              and not exists (select 1 from inbox n where n.source = d.event_source and n.event_id = d.event_id)
            """)).ShouldBe(0, $"seed {seed}");
        // Each dead letter has its one decision (issue 22), and no dead-lettered event reached the inbox.
        (await service.ScalarAsync<long>("select count(*) from decisions where outcome = 'dead_lettered'"))
            .ShouldBe(await service.ScalarAsync<long>("select count(*) from dead_letters"), $"seed {seed}");

        // Text in every script is kept as sent: the name on each invitation is the name its event carried.
        var names = await RowsAsync(service, "select event_id, name from invitations where rule = 'delivered'",
            r => (Id: r.GetString(0), Name: r.IsDBNull(1) ? null : r.GetString(1)));
        var firstArrivals = positions.Where(p => inboxAt.ContainsKey(p.Key)).ToDictionary(p => p.Value.Id!, p => p.Value);
        foreach (var (id, name) in names.Where(n => firstArrivals.ContainsKey(n.Id)))
        {
            var sent = JsonDocument.Parse(firstArrivals[id].DataJson).RootElement.GetProperty("recipient").GetProperty("name").GetString()!.Trim();
            name.ShouldBe(sent.Length == 0 ? null : sent, Context(firstArrivals[id]));
        }
        output.WriteLine($"{Count} events: {positions.Count} by Kafka, {http.Count} by HTTP; {inbox.Count} stored, {deadLetters.Count} dead-lettered, "
            + $"{names.Count} delivery invitations");
    }

    private static Message<byte[]?, byte[]?> ToKafka(CorpusEvent e)
    {
        var headers = new Headers();
        if (e.Binding == Binding.KafkaStructured)
        {
            headers.Add("content-type", "application/cloudevents+json; charset=utf-8"u8.ToArray());
            return new Message<byte[]?, byte[]?> { Value = e.RawValue ?? Encoding.UTF8.GetBytes(e.Envelope()), Headers = headers };
        }
        void Add(string key, string? value)
        {
            if (value is not null)
                headers.Add(key, Encoding.UTF8.GetBytes(value));
        }
        Add("ce_specversion", e.SpecVersion);
        if (e.RawIdHeader is { } raw)
            headers.Add("ce_id", raw);
        else
            Add("ce_id", e.Id);
        Add("ce_source", e.Source);
        Add("ce_type", e.Type);
        Add("ce_time", e.Time);
        Add("content-type", "application/json");
        return new Message<byte[]?, byte[]?> { Value = e.RawValue ?? Encoding.UTF8.GetBytes(e.DataJson), Headers = headers };
    }

    /// <summary>Posts one request; the indexes it rejected, with their reasons. Anything but 202 or 400 fails the test.</summary>
    private static async Task<List<(int Index, string Reason)>> PostAsync(ServiceUnderTest service, List<CorpusEvent> events, ulong seed)
    {
        var batch = events.Count > 1;
        var body = batch ? "[" + string.Join(',', events.Select(e => e.Envelope())) + "]" : events[0].Envelope();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(batch ? "application/cloudevents-batch+json" : "application/cloudevents+json");
        request.Headers.Add("X-Api-Key", EventsKey);
        using var response = await service.Host!.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var what = $"{(int)response.StatusCode} for {string.Join("; ", events.Select(e => e.Describe()))} [seed {seed}]: {text}";
        response.StatusCode.ShouldBeOneOf([HttpStatusCode.Accepted, HttpStatusCode.BadRequest], what);
        using var answer = JsonDocument.Parse(text);
        var list = response.StatusCode == HttpStatusCode.Accepted ? answer.RootElement.GetProperty("rejected") : answer.RootElement.GetProperty("errors");
        return [.. list.EnumerateArray().Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("reason").GetString()!))];
    }

    private static async Task<List<T>> RowsAsync<T>(ServiceUnderTest service, string sql, Func<Npgsql.NpgsqlDataReader, T> read)
    {
        await using var command = service.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }
}
