-- Lookups of one invitation by id that also name its state (an answer, a bounce, a reminder: "where id = @id and
-- state = 'sent'") can be planned as a scan of a partial index whose predicate is that state (invitations_open) when
-- the statistics say no row is in it. They say so after a burst of state changes the last analyze did not see: say
-- a million invitations scheduled 14 days ahead, then their first sends. With the default trigger (10 % of the table
-- changed) that can last days at a low send rate, and every such lookup reads the whole open partial index instead of
-- one primary-key entry (with 100,000 open invitations, a batch of 16 answers spent 38 ms reading that index, against
-- about 2 ms for the whole batch by primary key). Analyze after a fixed number of changed rows instead, however large
-- the table (docs/ARCHITECTURE.md, "Statistics").
alter table invitations set (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
