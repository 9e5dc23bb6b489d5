-- Twilio webhooks already handled (issue 18, docs/ARCHITECTURE.md "SMS"): Twilio's I-Twilio-Idempotency-Token, the
-- MessageSid of an inbound message, a message's status. A replay of any of them — Twilio retrying, or someone sending
-- a captured, validly signed request again — finds its key here and changes nothing. A receipt is inserted in a
-- transaction that stays open while the webhook is handled, so a concurrent copy waits on the key and then skips,
-- and a webhook whose handling failed leaves no receipt behind for Twilio's retry to trip over.
create table webhook_receipts (
    key          text        primary key,
    received_at  timestamptz not null
);
create index webhook_receipts_received on webhook_receipts (received_at);
