-- A message id the provider reported for an invitation whose send was never confirmed: Twilio's status callback
-- names the invitation in its URL, so a callback that arrives after the dispatch process died between Twilio's
-- 201 and the commit of `sent` is kept here, and the re-claimed send records it instead of texting again
-- (docs/RELIABILITY.md, "Killed after the provider accepted").
alter table invitations add column accepted_message_id text;
