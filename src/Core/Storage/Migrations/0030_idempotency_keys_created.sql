-- Idempotency-Keys expire after Outbox:IdempotencyKeyRetention (24 hours by default), and every ingest replica's pruner
-- deletes the expired ones once a minute (OutboxStore.PruneAsync). With no index on their age, each of those passes read
-- the whole table to find them: a day of keyed API answers, each row with its stored answer, on every replica every
-- minute, however few had expired. With this index a pass reads the expired keys and stops.
--
-- Built inside the migration's transaction, so keyed API answers wait while it builds: the table holds one retention's
-- keys at most, and a million of them index in a few seconds.
create index idempotency_keys_created on idempotency_keys (created_at);
