-- Cancelling events that arrived before their trigger (docs/RULES.md, "cancelOn"). Across partitions, replicas and the
-- HTTP API nothing orders a cancel after its trigger, so a cancel is remembered for the rule's cancelHorizon: a trigger
-- that arrives later is recorded as cancelled on arrival, and a send that raced with the cancel is stopped at send time.
create table remembered_cancels (
    rule           text        not null,
    correlation    text        not null,
    cancelled_by   text        not null,   -- "order.returned /shop/orders evt-9", as invitations.cancelled_by
    remembered_at  timestamptz not null,
    expires_at     timestamptz not null,
    primary key (rule, correlation)
);
create index remembered_cancels_expiry on remembered_cancels (expires_at);

-- A cancel also stops the reminders of an invitation that is being sent while it lands, so the correlation look-up
-- covers 'sending' too.
create index invitations_correlation_open on invitations (rule, correlation)
    where correlation is not null and state in ('scheduled', 'sending', 'sent');
drop index invitations_correlation;

-- An invitation throttled by one whose send then failed for good is released (that contact never happened): found
-- through the one that failed.
create index invitations_throttled_by on invitations (throttled_by) where state = 'suppressed' and throttled_by is not null;

alter table decisions drop constraint decisions_outcome_check;
alter table decisions add constraint decisions_outcome_check check (outcome in
    ('scheduled', 'not_matched', 'sampled_out', 'no_contact', 'throttled', 'cancelled', 'reminders_stopped', 'suppressed',
     'released'));
