-- Every reminder is a message of its own, with the provider's id for it (Twilio's SID, the email's Message-Id), issue 22.
-- Status callbacks name that id: a reminder's delivery status is recorded here (forward only, as on the invitation for
-- the first message), and Twilio 30001 on a reminder — it expired in Twilio's queue and never reached the person — gives
-- the reminder back to the invitation so it goes out again, as a first send does. The id names nobody, so erasure has
-- nothing to do here beyond the invitation's own row.
create table reminder_messages (
    message_id          text        primary key,
    invitation_id       uuid        not null references invitations (id) on delete cascade,
    reminder            int         not null,
    channel             text        not null check (channel in ('email', 'sms')),
    sent_at             timestamptz not null,
    delivery_status     text,
    delivery_error      text,
    delivery_updated_at timestamptz
);
create index reminder_messages_invitation on reminder_messages (invitation_id);
