-- participa store, version 3: the delivery ledger and the daemon's jobs.
--
-- One row per message and recipient: a report of a period and language to an oversight
-- recipient, a ministry's feedback after an ingest, a reminder, an alert. The row is written
-- (pending) before the first attempt and updated after each, in its own transaction, so a
-- restart knows what was sent. Recipients are kept as a hash of the address, never the
-- address: the configuration names them, the store does not.

CREATE TABLE IF NOT EXISTS entregas (
    id                  INTEGER PRIMARY KEY,
    tipo                TEXT NOT NULL,          -- informe | devolucion | recordatorio | alerta
    clave               TEXT NOT NULL,          -- informe: 2019-03/es; devolucion: organismo/ingest pass; recordatorio: organismo/2019-03
    destinatario        TEXT NOT NULL,          -- first 16 hex digits of SHA-256 of the lower-case address
    message_id          TEXT NOT NULL,          -- informe: fixed when enqueued; others: the message's, once sent
    estado              TEXT NOT NULL,          -- pendiente | enviado | fallido
    intentos            BIGINT NOT NULL DEFAULT 0,
    proximo_intento_en  TEXT,                   -- RFC 3339, UTC; null: as soon as possible
    ultimo_error        TEXT,
    enviado_en          TEXT,                   -- RFC 3339, UTC
    respuesta           TEXT,                   -- the server's reply to the end of DATA
    creado_en           TEXT NOT NULL,          -- RFC 3339, UTC; also the message's Date
    UNIQUE (tipo, clave, destinatario)
);
CREATE INDEX IF NOT EXISTS entregas_estado ON entregas (estado, proximo_intento_en);

CREATE TABLE IF NOT EXISTS trabajos (
    nombre              TEXT PRIMARY KEY,       -- ingesta | informes | recordatorios | entregas
    ultima_ejecucion    TEXT NOT NULL,          -- RFC 3339, UTC
    resultado           TEXT NOT NULL
);

-- A month's report enqueued for its recipients (written with their ledger rows, in one
-- transaction): the month is done for the daemon, even with no recipient configured.
CREATE TABLE IF NOT EXISTS informes_encolados (
    clave               TEXT PRIMARY KEY,       -- 2019-03/es
    encolado_en         TEXT NOT NULL           -- RFC 3339, UTC
);
