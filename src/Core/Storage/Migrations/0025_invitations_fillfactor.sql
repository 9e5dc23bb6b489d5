-- An answer now writes no indexed column of invitations (it sets answered_at and leaves state at 'sent'), so
-- PostgreSQL can make its new row version heap-only (HOT): no entry in any of the table's indexes, instead of one in
-- each (issue 21). A HOT version must fit on the page of the old one. Rows are written once by intake and then updated
-- a few times (sending, sent, answered), so at the default fillfactor of 100 pages fill up, and in a measurement half
-- the answers found no room on their page and fell back to a non-HOT update after all. Keep a fifth of every page free
-- for the updates of its rows. It applies to pages written from now on; older pages gain room as vacuum frees them.
-- No index may name answered_at (docs/ARCHITECTURE.md, "Invitations: a state machine").
alter table invitations set (fillfactor = 80);
