-- participa store, version 5: deliveries that recover.
--
-- A failure of the mail setup (authentication, TLS, the server unreachable) is ours, not the
-- recipient's: it is recorded once here, not as an attempt of each delivery, and every
-- delivery waits for it with a growing wait. One row while the problem lasts; deleted when
-- the server takes a message again.

CREATE TABLE IF NOT EXISTS problema_correo (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    error               TEXT NOT NULL,          -- the last failure, with the server's words; never a password
    desde               TEXT NOT NULL,          -- RFC 3339, UTC: the first failure
    ultimo_fallo        TEXT NOT NULL,          -- RFC 3339, UTC
    fallos              BIGINT NOT NULL,        -- consecutive failures (the wait doubles with each)
    proximo_intento_en  TEXT NOT NULL           -- RFC 3339, UTC: no delivery is tried before
);

-- How many times a failed delivery was put back in the queue by hand (`participa entregas
-- reintentar`): each time it gets its attempts again, and a new failure a new alert.
ALTER TABLE entregas ADD COLUMN reencolados BIGINT NOT NULL DEFAULT 0;
