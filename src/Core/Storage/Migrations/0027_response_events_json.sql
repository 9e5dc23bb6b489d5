-- A response event's payload is stored as the text the recording statement built (json), not as jsonb (issue 21).
-- Nothing queries inside it on the hot path: it is written once per response change and read back once, as text, by
-- the publisher. As jsonb each event paid for parsing its fields into the binary form, sorting and de-duplicating its
-- keys on the way in (jsonb_build_object was a tenth of the recording statement's time in a profile) and for
-- rendering it as text again on the way out. As json both are a copy, and the event keeps the key order it was built
-- with (invitationId first). The erasure, which edits a payload, converts it to jsonb and back (Privacy/PersonEraser).
-- The type change rewrites the table once, under a lock that holds replies back while it runs; the log holds only
-- Outbox:Retention's worth of events (7 days by default), so this takes seconds.
drop view response_events_waiting;
alter table response_events alter column payload type json using payload::json;
create view response_events_waiting as
    select e.* from response_events e join response_event_cursors c on c.stream = 'kafka'
    where e.xid >= c.xid and (e.xid, e.invitation_id, e.version) > (c.xid, c.invitation_id, c.version);
