-- participa store, version 4: the sheet layouts each organismo has sent.
--
-- A layout is a sheet's sequence of (header as written, field or none); its fingerprint is
-- the SHA-256 of that sequence. The first version that brings a layout the organismo had
-- never sent records it here, with how each column was read (headers only, never a value),
-- so that the feedback of that pass can show the reading once. The copies of rows already
-- sent in another file live beside each dataset's table (ds_<name>_copias), made from the
-- dataset definitions.

CREATE TABLE IF NOT EXISTS disposiciones (
    organismo       TEXT NOT NULL,
    huella          TEXT NOT NULL,          -- SHA-256 hex of the (header, field) sequence
    archivo_id      BIGINT NOT NULL REFERENCES archivos(id),
    version_id      BIGINT NOT NULL REFERENCES versiones(id),
    hoja            TEXT NOT NULL,
    columnas        TEXT NOT NULL,          -- JSON: how each column was read
    recibido_en     TEXT NOT NULL,          -- RFC 3339, UTC: the pass that first saw it
    PRIMARY KEY (organismo, huella)
);
CREATE INDEX IF NOT EXISTS disposiciones_recibido ON disposiciones (organismo, recibido_en);
