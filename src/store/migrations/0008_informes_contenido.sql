-- participa store, version 8: a report message is what it was when it was queued.
--
-- The words of a month's report message (JSON) and, when they are attached, the bytes of its
-- PDF and XLSX, kept with the mark that the report was queued and written in the same
-- transaction as its ledger rows: a retry after an outage sends them, even when the store has
-- new rows or the report folder a newer build by then. NULL for reports queued before this
-- version: those are made when sent, as before.

ALTER TABLE informes_encolados ADD COLUMN contenido TEXT;
ALTER TABLE informes_encolados ADD COLUMN pdf BLOB;
ALTER TABLE informes_encolados ADD COLUMN xlsx BLOB;
