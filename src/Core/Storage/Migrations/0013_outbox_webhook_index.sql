-- The alert sender claims the open rows of every webhook at once (destination like 'webhook:%'), which outbox_open
-- (destination, id) cannot serve in id order: that claim read every open Kafka row and, between vacuums, every dead
-- entry they left, twice a second. Its own partial index holds only the open webhook rows. The claim repeats this
-- predicate word for word (OutboxStore.ClaimAsync), which is what lets the planner use the index.
create index outbox_open_webhooks on outbox (id) where state in ('pending', 'sending') and destination like 'webhook:%';
