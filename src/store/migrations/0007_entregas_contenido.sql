-- participa store, version 7: a message is what it was when it was queued.
--
-- Feedback and reminders carry what they say (JSON, made when the ledger row is written), so
-- a retry after an outage sends what the pass it belongs to saw, not what the store holds
-- when the server is back. NULL for rows written before this version and for reports and
-- alerts (see ARCHITECTURE.md): those are made when sent, as before.

ALTER TABLE entregas ADD COLUMN contenido TEXT;
