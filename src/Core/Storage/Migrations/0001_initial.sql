-- Foundation schema. Hangfire.PostgreSql keeps its own tables in the "hangfire" schema of the same database.

-- One row per CloudEvent (source, id) ever processed: the idempotency key. Inserted in the same
-- transaction as the invitations the event creates, before the Kafka offset is stored.
create table inbox (
    source       text        not null,
    event_id     text        not null,
    type         text        not null,
    topic        text        not null,
    partition    int         not null,
    "offset"     bigint      not null,
    received_at  timestamptz not null,
    primary key (source, event_id)
);

-- The invitation state machine (docs/ARCHITECTURE.md):
--   scheduled -> sending -> sent -> answered
--   scheduled -> cancelled | suppressed | failed ; sending -> failed | suppressed ; sent -> expired
-- Each state has its own timestamp column, set once by the transition into it.
create table invitations (
    id              uuid        primary key,
    event_source    text        not null,
    event_id        text        not null,
    event_type      text        not null,
    rule            text        not null,
    survey          text        not null,
    channel         text        not null check (channel in ('email', 'sms')),
    customer_id     text,
    email           text,
    phone           text,
    name            text,
    locale          text,
    time_zone       text,
    attributes      jsonb       not null default '{}',
    state           text        not null check (state in
                        ('scheduled', 'sending', 'sent', 'answered', 'cancelled', 'expired', 'suppressed', 'failed')),
    created_at      timestamptz not null,
    due_at          timestamptz not null,
    valid_for       interval    not null,
    expires_at      timestamptz,
    sending_at      timestamptz,
    sent_at         timestamptz,
    answered_at     timestamptz,
    cancelled_at    timestamptz,
    expired_at      timestamptz,
    suppressed_at   timestamptz,
    failed_at       timestamptz,
    claimed_until   timestamptz,
    attempts        int         not null default 0,
    message_id      text,
    failure_reason  text,
    unique (event_source, event_id, rule)
);
-- The dispatcher's only read paths: what is due, what a crashed sender left claimed, what is past expiry.
create index invitations_due on invitations (due_at) where state = 'scheduled';
create index invitations_claimed on invitations (claimed_until) where state = 'sending';
create index invitations_open on invitations (expires_at) where state = 'sent';

create table responses (
    invitation_id  uuid        primary key references invitations (id),
    survey         text        not null,
    channel        text        not null,
    score          smallint    not null check (score between 0 and 10),
    comment        text,
    attributes     jsonb       not null default '{}',
    answered_at    timestamptz not null,
    updated_at     timestamptz not null
);
create index responses_survey_answered on responses (survey, answered_at);

-- Records that could not become events, with the raw bytes and a readable reason.
-- Unique on the Kafka position so a replay from offset zero does not duplicate them.
create table dead_letters (
    id           bigint      generated always as identity primary key,
    topic        text        not null,
    partition    int         not null,
    "offset"     bigint      not null,
    key          bytea,
    headers      jsonb       not null,
    payload      bytea,
    reason       text        not null,
    received_at  timestamptz not null,
    unique (topic, partition, "offset")
);

-- Addresses that must not be contacted on a channel (RFC 8058 unsubscribe, SMS STOP, bounces).
create table suppressions (
    channel     text        not null check (channel in ('email', 'sms')),
    address     text        not null,
    reason      text        not null,
    created_at  timestamptz not null,
    primary key (channel, address)
);
