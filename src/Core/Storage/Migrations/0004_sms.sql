-- SMS through Twilio: delivery status from status callbacks, and the "why?" follow-up of SMS replies.
alter table invitations
    add column delivery_status      text,          -- Twilio MessageStatus: queued, sent, delivered, undelivered, failed
    add column delivery_error       text,          -- Twilio ErrorCode, when the status carries one
    add column delivery_updated_at  timestamptz,
    add column awaiting_comment     boolean not null default false;  -- an SMS score arrived without text: the next message is the comment

create index invitations_message_id on invitations (message_id) where message_id is not null;
create index invitations_open_sms on invitations (phone, sent_at) where channel = 'sms' and state in ('sent', 'answered');
