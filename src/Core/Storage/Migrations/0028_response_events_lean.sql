-- A response event row keeps only what its version changed: the score, the comment and the time of the change (issue
-- 21). The rest of the event (survey, channel, first answer's time, kept metadata; the invitation's customer, rule and
-- source event) never changes once a response exists, except by an erasure, so the publisher reads it from the
-- response and its invitation when it publishes and writes the event's JSON itself (ResponseEventStream). Each answer
-- so stops writing about 400 bytes of JSON to the heap and the WAL, and its statement stops building them.
--
-- Rows written before this migration keep their payload and are published as stored; rows written after it have none.
-- During a rolling upgrade a publisher of the previous version that meets a row without a payload fails its round and
-- leaves the cursor where it was, so nothing is lost: the new version's publisher sends that row.
--
-- An erasure clears the comment of the person's rows here, and the event built afterwards has the customer and the
-- comment null, as the erasure's edit of a stored payload has (Privacy/PersonEraser).
alter table response_events
    alter column payload drop not null,
    add column score smallint,
    add column comment text,
    add column updated_at timestamptz;
