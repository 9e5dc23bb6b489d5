-- The Kafka events of response changes (nps.response.recorded) as an append-only log read by a cursor, instead of
-- one outbox row per change (docs/ARCHITECTURE.md, "Response events: the transactional outbox"; issue 21).
--
-- An outbox row cost each reply a row with three index entries, a row lock when the publisher took it, and a second
-- version with three more index entries when it was marked delivered: about a third of an API answer's CPU. Here a
-- change appends one row (two index entries) in the transaction that changes the response, and the publisher keeps one
-- cursor row per stream, moved once per published batch.
--
-- Order, and why no event is skipped: rows are read in the order of the transaction that wrote them (xid, the 64-bit
-- transaction id, then the key), and only from transactions older than every transaction still running
-- (pg_snapshot_xmin of the reader's snapshot). Such a transaction has ended; if it committed its rows are all visible,
-- and no transaction can later commit a row below the cursor. A writer still running holds the stream back (not past
-- it) until it ends.
create table response_events (
    invitation_id  uuid        not null,
    version        int         not null,
    xid            xid8        not null default pg_current_xact_id(),
    payload        jsonb       not null,
    created_at     timestamptz not null,
    -- "<invitation id>:<version>" is the event id; a version appended twice is a bug and fails here. The key also
    -- serves the erasure's look-up by invitation.
    primary key (invitation_id, version)
);
create index response_events_xid on response_events (xid);
-- Appended and, after Outbox:Retention, deleted in bulk: vacuum after a fixed number of deleted rows.
alter table response_events set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
                                 autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000);

-- Where each stream has got to: every event at or below (xid, invitation_id, version) went out. The publisher locks
-- the row (FOR UPDATE SKIP LOCKED, so one replica publishes at a time) for the whole batch, and moves it in the
-- transaction that holds the lock, after the broker acknowledged.
create table response_event_cursors (
    stream         text        primary key,
    xid            xid8        not null,
    invitation_id  uuid        not null,
    version        int         not null,
    updated_at     timestamptz not null
);
insert into response_event_cursors (stream, xid, invitation_id, version, updated_at)
values ('kafka', '0', '00000000-0000-0000-0000-000000000000', 0, clock_timestamp());

-- What the Kafka stream has still to publish (the nps.outbox.backlog gauge), whatever writer is still running.
create view response_events_waiting as
    select e.* from response_events e join response_event_cursors c on c.stream = 'kafka'
    where e.xid >= c.xid and (e.xid, e.invitation_id, e.version) > (c.xid, c.invitation_id, c.version);
