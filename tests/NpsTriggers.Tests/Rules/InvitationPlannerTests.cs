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
}
