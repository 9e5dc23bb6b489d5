-- Every outcome explained (issue 22, docs/RULES.md "What the decision log says"): dispatch, expiry, reminders and dead
-- letters write decisions too, and a decision keeps the phone number it concerns so support can look a person up by the
-- number an SMS went to (GET /api/decisions?phone=…). Erasure clears it like the email (PersonEraser).
alter table decisions add column phone text;
create index decisions_phone on decisions (phone, at) where phone is not null;

alter table decisions drop constraint decisions_outcome_check;
alter table decisions add constraint decisions_outcome_check check (outcome in
    ('scheduled', 'not_matched', 'sampled_out', 'no_contact', 'throttled', 'cancelled', 'reminders_stopped', 'suppressed',
     'released', 'bounced', 'complained',
     'sent', 'failed', 'retrying', 'deferred', 'fell_back_to_sms', 'expired', 'reminder_sent', 'reminder_skipped',
     'dead_lettered'));
