-- participa store, version 1. Portable SQL (SQLite and PostgreSQL); the standard datasets'
-- tables (ds_<dataset>) are created from the dataset definitions, not here.

CREATE TABLE IF NOT EXISTS archivos (
    id              INTEGER PRIMARY KEY,
    fuente          TEXT NOT NULL,          -- source name from participa.toml
    ruta            TEXT NOT NULL,          -- path relative to the source root, '/'-separated
    organismo       TEXT,                   -- first-level folder
    estado          TEXT NOT NULL,          -- presente | ausente
    tamano_bytes    BIGINT NOT NULL,
    mtime_ns        BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    version_actual  BIGINT,                 -- versiones.id whose rows are in the data
    visto_por_ultima_vez TEXT NOT NULL,
    ausente_desde   TEXT,
    UNIQUE (fuente, ruta)
);

-- Every content a file ever had: who sent what, when. Replaced versions stay here.
CREATE TABLE IF NOT EXISTS versiones (
    id              INTEGER PRIMARY KEY,
    archivo_id      BIGINT NOT NULL REFERENCES archivos(id),
    sha256          TEXT NOT NULL,
    tamano_bytes    BIGINT NOT NULL,
    mtime_ns        BIGINT NOT NULL,
    recibido_en     TEXT NOT NULL,          -- RFC 3339, UTC
    resultado       TEXT NOT NULL,          -- leido | ilegible
    filas_aceptadas BIGINT NOT NULL,
    filas_rechazadas BIGINT NOT NULL,
    advertencias    BIGINT NOT NULL,
    informe         TEXT NOT NULL,          -- JSON: sheets, ignored and personal columns (headers only)
    reemplazada_en  TEXT
);

-- Rejected rows and rejected sheets or files of the current versions, one line per problem.
CREATE TABLE IF NOT EXISTS rechazos (
    id              INTEGER PRIMARY KEY,
    archivo_id      BIGINT NOT NULL REFERENCES archivos(id),
    version_id      BIGINT NOT NULL REFERENCES versiones(id),
    fuente_archivo  TEXT NOT NULL,
    fuente_hoja     TEXT NOT NULL,
    fuente_fila     BIGINT,                 -- NULL for a whole sheet or file
    columna         TEXT,                   -- column letters
    encabezado      TEXT,                   -- the column header as written
    campo           TEXT,
    codigo          TEXT NOT NULL,
    valor           TEXT NOT NULL,
    mensaje         TEXT NOT NULL
);

-- Warnings on kept rows of the current versions.
CREATE TABLE IF NOT EXISTS advertencias (
    id              INTEGER PRIMARY KEY,
    archivo_id      BIGINT NOT NULL REFERENCES archivos(id),
    version_id      BIGINT NOT NULL REFERENCES versiones(id),
    fuente_archivo  TEXT NOT NULL,
    fuente_hoja     TEXT NOT NULL,
    fuente_fila     BIGINT,
    columna         TEXT,
    campo           TEXT,
    valor           TEXT NOT NULL,
    mensaje         TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS corridas (
    id              INTEGER PRIMARY KEY,
    iniciada_en     TEXT NOT NULL,
    terminada_en    TEXT,
    resumen         TEXT                    -- JSON summary of the pass
);

CREATE INDEX IF NOT EXISTS rechazos_archivo ON rechazos (archivo_id);
CREATE INDEX IF NOT EXISTS advertencias_archivo ON advertencias (archivo_id);
CREATE INDEX IF NOT EXISTS versiones_archivo ON versiones (archivo_id);
