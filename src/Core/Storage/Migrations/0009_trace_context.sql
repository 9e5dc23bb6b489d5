-- The W3C trace context of the invitation's latest step (consume, then send), so a send days later and the
-- reply to it continue the business event's trace (docs/ARCHITECTURE.md, "Observability").
alter table invitations add column trace_parent text;
