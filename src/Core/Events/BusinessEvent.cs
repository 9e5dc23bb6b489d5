using System.Text.Json;

namespace NpsTriggers.Core.Events;

/// <summary>The person a survey goes to, as the publishing team knows them (see docs/EVENTS.md).</summary>
/// <param name="CustomerId">The publisher's stable id for the person; throttling and sampling key on it.</param>
/// <param name="Email">Email address, when the person has one.</param>
/// <param name="Phone">Phone number in E.164 form (<c>+4915112345678</c>), when the person has one.</param>
/// <param name="Name">The name to greet the person by ("Anna").</param>
/// <param name="Locale">BCP 47 language tag (<c>de-DE</c>) the survey is written in.</param>
/// <param name="TimeZone">IANA time zone (<c>Europe/Berlin</c>) for send windows.</param>
public sealed record Recipient(
    string? CustomerId,
    string? Email,
    string? Phone,
    string? Name,
    string? Locale,
    string? TimeZone);

/// <summary>
/// A CloudEvents 1.0 business event read from Kafka in either binding. <see cref="Data"/> is the event's
/// JSON object; it holds <c>recipient</c> and the business attributes (orderId, product, store, agent, …).
/// </summary>
/// <param name="Source">CloudEvents <c>source</c>; with <see cref="Id"/> it identifies the event.</param>
/// <param name="Id">CloudEvents <c>id</c>, unique within <see cref="Source"/>.</param>
/// <param name="Type">CloudEvents <c>type</c>, e.g. <c>order.delivered</c>.</param>
/// <param name="Time">CloudEvents <c>time</c>, when the business fact happened, if the publisher said.</param>
/// <param name="Recipient">Who to survey, from <c>data.recipient</c>.</param>
/// <param name="Data">The whole <c>data</c> object (a cloned element that outlives the record buffer).</param>
public sealed record BusinessEvent(
    string Source,
    string Id,
    string Type,
    DateTimeOffset? Time,
    Recipient Recipient,
    JsonElement Data);
