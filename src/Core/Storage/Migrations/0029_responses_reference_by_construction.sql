-- A response's invitation is no longer checked by a foreign key on every insert (issue 21). The key's check ran, for
-- each answer, a query of its own ("select 1 from invitations where id = $1 for key share") with its executor start,
-- index look-up and row lock: 8 % of PostgreSQL's time per API answer in a profile (docs/BENCHMARKS.md). It could
-- never fail: a response is inserted only by the statements that record replies (Replies/ReplyStatements), from the
-- rows their update of the invitation returned in the same statement, so the invitation exists and that update holds
-- its row lock.
--
-- What the key also did stays: an invitation that has a response cannot be deleted, nor its id changed. Nothing in
-- the service deletes invitations or changes an id (an erasure keeps the row and clears its personal data), so the
-- trigger below acts only on a delete or an id change made by hand, and fails it as the key did (SQLSTATE 23503). It
-- runs after the row changed, like the key's own triggers, and not before: a before-update trigger on invitations would
-- make every update of the table lock its row a second time, whatever columns it sets. Unlike the key, it cannot stop a
-- TRUNCATE of invitations alone (row triggers do not fire for it); truncate both tables together.
alter table responses drop constraint responses_invitation_id_fkey;

create function invitations_keep_responded() returns trigger language plpgsql as $$
begin
    if (tg_op = 'DELETE' or new.id is distinct from old.id)
       and exists (select 1 from responses where invitation_id = old.id) then
        raise exception 'invitation % has a response (responses.invitation_id)', old.id
            using errcode = 'foreign_key_violation', table = 'invitations';
    end if;
    return null;
end $$;

create trigger invitations_keep_responded
    after delete or update of id on invitations
    for each row execute function invitations_keep_responded();
