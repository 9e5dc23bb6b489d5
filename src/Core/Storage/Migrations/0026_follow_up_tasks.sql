-- A follow-up task is no longer a row written with each response (issue 21): that row, its two index entries, its
-- speculative insertion and its foreign-key check were a third of the WAL an answer wrote. Every response is a task;
-- its category, creation and due date follow from the response (the due date from the FollowUps options, applied
-- when the task is read: Loop/FollowUpStore). A row in follow_ups now records only what someone did: an assignee, a
-- note, the closing. A closed task keeps the category it was closed in (the row's category); an open task always shows
-- its response's current category, so a score change moves it, as before. The rows written before this migration stay:
-- for an open one only its assignee is read.
drop index follow_ups_open_due;
alter table follow_ups alter column due_at drop not null;
comment on column follow_ups.due_at is 'Not written since 0026; the due date is derived from the response and the FollowUps options.';

-- The tasks, one per response. Their due date is not here: it depends on configuration (FollowUpStore adds it).
create view follow_up_tasks as
select r.invitation_id,
       case when f.state = 'closed' then f.category else nps_category(r.score) end as category,
       coalesce(f.state, 'open') as state,
       f.assignee,
       f.note,
       r.answered_at as created_at,
       f.closed_at
from responses r
left join follow_ups f on f.invitation_id = r.invitation_id;
