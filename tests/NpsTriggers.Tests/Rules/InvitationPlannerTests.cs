using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Time.Testing;
using NpsTriggers.Core.Invitations;
using NpsTriggers.Core.Rules;
using NpsTriggers.Triggers.Events;
using NpsTriggers.Triggers.Intake;

namespace NpsTriggers.Tests.Rules;

public sealed class InvitationPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly SendRules Rules = SendRulesLoader.Parse("""
        version: 1
        surveys:
          delivery: { subject: S, question: Q }
        rules:
          - name: delivered
            on: [order.delivered]
            survey: delivery
            delay: 14d
            delayFrom: data.deliveredAt
            keep: [orderId, amount]
            cancelOn: [{ on: order.returned, match: orderId }]
            cancelHorizon: 10d
        """, "t.yaml");

    private static readonly Headers Structured = new() { { "content-type", "application/cloudevents+json"u8.ToArray() } };

    private static Core.Events.BusinessEvent Event(string type, object data, string time = "2026-11-01T10:00:00Z")
    {
        var envelope = new Dictionary<string, object?>
        {
            ["specversion"] = "1.0", ["id"] = "e-1", ["source"] = "/shop", ["type"] = type, ["time"] = time, ["data"] = data,
        };
        return CloudEventReader.Read(KafkaEventRecord.From(Structured, JsonSerializer.SerializeToUtf8Bytes(envelope)), 1 << 20).Event.ShouldNotBeNull();
    }

    private static InvitationPlanner.Plan Plan(Core.Events.BusinessEvent e, IntakeBatch batch) =>
        new InvitationPlanner(new FakeTimeProvider(Now)).Add(e, Rules, batch);

    [Fact]
    public void Add_DelayFromATimestampWithAnOffset_CountsFromItsUtcInstant()
    {
        var batch = new IntakeBatch();
        Plan(Event("order.delivered", new { recipient = new { email = "a@b.de" }, orderId = "1", deliveredAt = "2026-11-02T08:00:00+08:00" }), batch)
            .Refused.ShouldBeNull();
        var due = batch.Invitations.ShouldHaveSingleItem().DueAt;
        due.Offset.ShouldBe(TimeSpan.Zero);
        due.ShouldBe(new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Add_SendTimePastYear9999_IsRefusedWithNothingAdded()
    {
        var batch = new IntakeBatch();
        var plan = Plan(Event("order.delivered", new { recipient = new { email = "a@b.de" }, orderId = "1" }, time: "9999-12-30T00:00:00Z"), batch);
        plan.Refused.ShouldNotBeNull().ShouldContain("the send time overflows");
        batch.Invitations.ShouldBeEmpty();
        batch.Decisions.ShouldBeEmpty();
    }

    [Fact]
    public void Add_KeptNumberJsonbCannotHold_IsRefusedNamingTheField()
    {
        var data = Encoding.UTF8.GetBytes("""{"recipient":{"email":"a@b.de"},"orderId":"1","amount":1e200000}""");
        using var document = JsonDocument.Parse(data);
        var e = Event("order.delivered", document.RootElement);
        var plan = Plan(e, new IntakeBatch());
        plan.Refused.ShouldNotBeNull().ShouldContain("kept field data.amount");
    }

    [Fact]
    public void Add_CorrelationOverTheKeyLimit_IsRefused_ForTriggerAndCancel()
    {
        var huge = new string('7', InvitationPlanner.MaxCorrelationBytes + 1);
        Plan(Event("order.delivered", new { recipient = new { email = "a@b.de" }, orderId = huge }), new IntakeBatch())
            .Refused.ShouldNotBeNull().ShouldContain("data.orderId (the cancelOn match)");
        var batch = new IntakeBatch();
        Plan(Event("order.returned", new { recipient = new { email = "a@b.de" }, orderId = huge }), batch)
            .Refused.ShouldNotBeNull().ShouldContain("cancels on data.orderId");
        batch.Cancels.ShouldBeEmpty();
    }

    [Fact]
    public void Add_Cancel_CarriesTheRulesHorizon()
    {
        var batch = new IntakeBatch();
        Plan(Event("order.returned", new { recipient = new { email = "a@b.de" }, orderId = "1" }), batch);
        batch.Cancels.ShouldHaveSingleItem().Horizon.ShouldBe(TimeSpan.FromDays(10));
    }

    [Fact]
    public void Split_KeepsEachEventsRowsTogether_InReadOrder()
    {
        var batch = new IntakeBatch();
        for (var i = 0; i < 5; i++)
        {
            batch.Inbox.Add(new InboxRow("/s", $"e{i}", "t", "topic", 0, i));
            batch.Invitations.Add(new Invitation(Guid.NewGuid(), "/s", $"e{i}", "t", "r", "s", InvitationChannel.Email, null, "a@b.de", null, null, null, null, "{}", TimeSpan.FromDays(1)) { DueAt = Now });
            batch.Decisions.Add(new DecisionRow("/s", $"e{i}", "t", "r", null, null, null, "scheduled", ""));
        }
        batch.DeadLetters.Add(new DeadLetterRow("topic", 0, 9, null, "[]", null, "bad"));
        var (first, second) = batch.Split();
        first.Inbox.Select(r => r.EventId).ShouldBe(["e0", "e1"]);
        second.Inbox.Select(r => r.EventId).ShouldBe(["e2", "e3", "e4"]);
        first.Invitations.Select(r => r.EventId).ShouldBe(["e0", "e1"]);
        second.Decisions.Select(r => r.EventId).ShouldBe(["e2", "e3", "e4"]);
        (first.DeadLetters.Count + second.DeadLetters.Count).ShouldBe(1);
        (first.Units + second.Units).ShouldBe(batch.Units);
    }

    [Theory]
    [InlineData(null, "event time 2026-11-01 10:00:00Z (data.deliveredAt is missing)")]
    [InlineData(1762000000, "event time 2026-11-01 10:00:00Z (data.deliveredAt (1762000000) is not a timestamp: a number, not an RFC 3339 text)")]
    [InlineData(true, "event time 2026-11-01 10:00:00Z (data.deliveredAt (true) is not a timestamp: a boolean, not an RFC 3339 text)")]
    [InlineData("next Tuesday at noon, give or take a day or two", "event time 2026-11-01 10:00:00Z (data.deliveredAt (\"next Tuesday at noon, give or take a day…\") is not a timestamp: not an RFC 3339 date-time (yyyy-mm-ddThh:mm:ss[.fraction] followed by Z or ±hh:mm))")]
    [InlineData("2026-11-01T09:30:00+25:00", "event time 2026-11-01 10:00:00Z (data.deliveredAt (\"2026-11-01T09:30:00+25:00\") is not a timestamp: the time offset must be Z or ±hh:mm)")]
    [InlineData("2026-11-20T09:30:00.5-03:30", "data.deliveredAt (\"2026-11-20T09:30:00.5-03:30\" = 2026-11-20 13:00:00Z)")]
    [InlineData("2026-11-24T09:30:00Z", "data.deliveredAt (\"2026-11-24T09:30:00Z\" = 2026-11-24 09:30:00Z, in the future: 1d30m after receipt)")]
    public void Decide_DelayFrom_SaysWhatTheDelayCountedFrom(object? deliveredAt, string from)
    {
        var verdict = new InvitationPlanner(new FakeTimeProvider(Now)).Decide(
            Event("order.delivered", new { recipient = new { email = "a@b.de" }, orderId = "1", deliveredAt }), Rules).ShouldHaveSingleItem();
        verdict.Outcome.ShouldBe("scheduled");
        verdict.Detail.ShouldEndWith($" = {from} + 14d");
    }
}
