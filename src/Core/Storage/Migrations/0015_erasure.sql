-- Erasure leaves nothing (issue 18, docs/ARCHITECTURE.md "Privacy").

-- An erased person's invitations: their links answer "this survey has closed", and nothing can be recorded on them.
alter table invitations add column erased_at timestamptz;

-- Relational invitations named their person in the event id ("rule:c:<customer id>:<period>",
-- "rule:e:<email>:<period>"), which decisions and outbox payloads copy. New ones carry a keyed hash instead
-- ("rule:h<pseudonym>:<period>", PersonPseudonyms); its key lives in the service's configuration, not here, so the
-- existing ones get a random value that names nobody ("rule:x<random>:<period>"). A programme run later in the same
-- period does not survey those people twice: it skips anyone invited to the survey within the period anyway.
with renamed as (
    update invitations i
    set event_id = i.rule || ':x' || replace(gen_random_uuid()::text, '-', '') || ':' || coalesce(substring(i.event_id from '[0-9]+$'), '0')
    where i.event_source = 'relational'
    returning i.id, i.event_id),
decided as (
    update decisions d set event_id = r.event_id
    from renamed r
    where d.invitation_id = r.id and d.event_source = 'relational'
    returning 1)
update outbox o set payload = jsonb_set(o.payload, '{event,id}', to_jsonb(r.event_id))
from renamed r
where o.partition_key = r.id::text and o.payload #>> '{event,source}' = 'relational';
