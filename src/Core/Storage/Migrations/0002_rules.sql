-- Send rules (docs/RULES.md): cancellation, throttling, reminders, and the decision log.

alter table invitations
    add column correlation     text,          -- the rule's cancelOn match value (e.g. the order id)
    add column cancelled_by    text,          -- "order.returned /shop/orders/evt-9"
    add column contacted_at    timestamptz,   -- set under a per-person lock just before the first send
    add column throttled_by    uuid,          -- the earlier invitation that throttled this one
    add column reminders_left  int not null default 0,
    add column reminder_after  interval,
    add column remind_at       timestamptz,
    add column reminded_at     timestamptz,
    add column reminders_sent  int not null default 0;

create index invitations_correlation on invitations (rule, correlation)
    where correlation is not null and state in ('scheduled', 'sent');
create index invitations_remind on invitations (remind_at) where state = 'sent' and remind_at is not null;
-- Recent contacts by identity, for throttling: customer id, normalised email, phone.
create index invitations_contact_customer on invitations (customer_id, contacted_at) where contacted_at is not null;
create index invitations_contact_email on invitations (lower(email), contacted_at) where contacted_at is not null;
create index invitations_contact_phone on invitations (phone, contacted_at) where contacted_at is not null;

-- Why each rule did or did not produce a survey for each event: the answer to
-- "why did this customer not get a survey?".
create table decisions (
    id             bigint      generated always as identity primary key,
    event_source   text        not null,
    event_id       text        not null,
    event_type     text        not null,
    rule           text        not null,
    customer_id    text,
    email          text,
    invitation_id  uuid,
    outcome        text        not null check (outcome in
                       ('scheduled', 'not_matched', 'sampled_out', 'no_contact', 'throttled', 'cancelled',
                        'reminders_stopped', 'suppressed')),
    detail         text        not null,
    at             timestamptz not null
);
create index decisions_event on decisions (event_source, event_id);
create index decisions_customer on decisions (customer_id, at) where customer_id is not null;
create index decisions_email on decisions (lower(email), at) where email is not null;
