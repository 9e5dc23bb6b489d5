-- Closing the loop (docs/ARCHITECTURE.md, "Response events: the transactional outbox" and "Closing the loop"): every change to a response writes
-- outbox rows in the same transaction, and background senders deliver them after the commit.

-- Each change to a response (first answer, a different score, a comment, an API answer) bumps the version;
-- "<invitation id>:<version>" is the change's stable event id, so consumers can drop redelivered copies.
alter table responses add column version int not null default 1;

-- One row per change and destination: 'kafka' (the nps.response.recorded CloudEvent) or 'webhook:<name>' (an
-- alert). The state machine (explicit, every transition guarded by the from-state):
--   pending --claim--> sending --acked--> delivered
--   sending --failed--> pending (next_attempt_at moved by backoff; attempts + 1)
--   sending --lease passed (the sender died)--> claimed again
--   pending --a newer change of the same response for the same webhook--> superseded (alerts only: the newer
--            alert carries the whole current response, so one Slack message instead of one per change)
-- Rows are never dropped: a destination that stays down keeps its rows pending, visible in last_error.
create table outbox (
    id               bigint      generated always as identity primary key,
    event_id         text        not null,
    destination      text        not null,
    event_type       text        not null,
    partition_key    text        not null,
    payload          jsonb       not null,
    state            text        not null default 'pending' check (state in ('pending', 'sending', 'delivered', 'superseded')),
    created_at       timestamptz not null,
    -- Delivery timing is I/O timing: PostgreSQL's clock, so that every replica agrees on leases and backoff.
    next_attempt_at  timestamptz not null default clock_timestamp(),
    claimed_until    timestamptz,
    attempts         int         not null default 0,
    last_error       text,
    finished_at      timestamptz,    -- when the row became delivered or superseded
    unique (event_id, destination)
);
-- The senders' only read path: the undelivered head per destination.
create index outbox_open on outbox (destination, id) where state in ('pending', 'sending');
-- Pruning of finished rows after Outbox:Retention.
create index outbox_finished on outbox (finished_at) where state in ('delivered', 'superseded');

-- POST /api/responses Idempotency-Key: the first request's body hash and answer, stored in the transaction
-- that records the response, so a retry with the same key and body gets the same answer and changes nothing.
create table idempotency_keys (
    key           text        primary key,
    request_hash  text        not null,
    status        int         not null,
    response      jsonb       not null,
    created_at    timestamptz not null
);

-- Keyset paging of GET /api/responses: (answered_at, invitation_id) is unique and ordered.
create index responses_answered on responses (answered_at, invitation_id);

-- Follow-up tasks ("call back the detractor"), one per response, created in the transaction that records it;
-- the due date comes from the category (FollowUps options). A score change re-categorises an open task.
create table follow_ups (
    invitation_id  uuid        primary key references responses (invitation_id),
    category       text        not null check (category in ('detractor', 'passive', 'promoter')),
    state          text        not null default 'open' check (state in ('open', 'closed')),
    assignee       text,
    note           text,
    created_at     timestamptz not null,
    due_at         timestamptz not null,
    closed_at      timestamptz
);
create index follow_ups_open_due on follow_ups (due_at) where state = 'open';
