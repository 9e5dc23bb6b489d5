-- The outbox is a queue: every row is inserted, claimed and marked delivered within moments, and each of those
-- updates leaves a dead entry in outbox_open until a vacuum removes it. The publisher's claim scans past them, so
-- under a steady stream of replies the default trigger (20% of the table changed) lets a claim grow from
-- microseconds to milliseconds. Vacuum after a fixed number of changed rows instead, however large the table.
alter table outbox set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
                        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000,
                        autovacuum_vacuum_cost_delay = 0);
