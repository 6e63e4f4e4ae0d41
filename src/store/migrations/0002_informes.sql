-- participa store, version 2: the reports issued. The date of issue is written once, the first
-- time a period's report is built, so that rebuilding it gives the same document; each build
-- records the data version (hash of the input file versions) it used.

CREATE TABLE IF NOT EXISTS informes (
    periodo         TEXT NOT NULL,          -- 2019-03, 2019-Q1 or 2019
    idioma          TEXT NOT NULL,          -- es | en
    emitido_en      TEXT NOT NULL,          -- date of issue, ISO
    version_datos   TEXT NOT NULL,          -- data version of the last build
    construido_en   TEXT NOT NULL,          -- RFC 3339, UTC, last build
    PRIMARY KEY (periodo, idioma)
);
