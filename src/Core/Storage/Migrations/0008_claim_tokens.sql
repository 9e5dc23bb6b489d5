-- Who holds an invitation right now. The sweep writes a fresh token per claim; the send job that runs it swaps in
-- its own run token (so a second run of the same Hangfire job, e.g. after the invisibility timeout or on another
-- server, finds the claim already taken), and every later transition is guarded by that run token.
alter table invitations add column claim_id uuid;
