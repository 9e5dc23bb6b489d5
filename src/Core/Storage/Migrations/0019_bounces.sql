-- Email bounces and complaints read from the bounce mailbox (issue 20, docs/EMAIL.md). One receipt per message, keyed by
-- the report's own Message-Id (or a hash of its bytes when it has none) and inserted in the transaction that applies it:
-- a message read twice — the flag on it lost, a second ingest replica polling the same mailbox — finds its key and
-- changes nothing. Receipts hold no address; the suppression row does, and erasure already handles those.
create table bounce_receipts (
    key            text        primary key,
    kind           text        not null check (kind in ('permanent', 'transient', 'complaint', 'ignored', 'unreadable')),
    invitation_id  uuid,
    status         text,       -- the enhanced status code (RFC 3463), e.g. 5.1.1
    outcome        text        not null,  -- what it did: failed, fell_back_to_sms, reminders_stopped, suppressed, counted, unmatched, ignored
    received_at    timestamptz not null
);
create index bounce_receipts_invitation on bounce_receipts (invitation_id) where invitation_id is not null;

-- A bounce or complaint is a decision
-- ("why did this customer get no survey / no reminder?").
alter table decisions drop constraint decisions_outcome_check;
alter table decisions add constraint decisions_outcome_check check (outcome in
    ('scheduled', 'not_matched', 'sampled_out', 'no_contact', 'throttled', 'cancelled', 'reminders_stopped', 'suppressed',
     'released', 'bounced', 'complained'));
