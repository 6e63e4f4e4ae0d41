//! The embedded store: one SQLite file in WAL mode. Every file's result is one transaction.
//!
//! Besides the connection it keeps one pass's in-memory index of the rows each organismo
//! holds, to find rows already sent in another file ([`super::copies`]).
//!
//! Its parts: [`values`] standard values as SQLite values and the tables' names, [`commit`]
//! one file's result written, [`ledger`] the service's bookkeeping (deliveries, the mail
//! problem, queued reports, jobs); this file opens the store and answers the [`Store`] calls.

mod commit;
mod ledger;
mod values;

use std::path::{Path, PathBuf};

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};

use super::copies::{self, CopyIndex};
use super::layouts;
use super::lock::{Busy, Holder, WriterLock};
use super::{
    Committed, CopyWording, Delivery, ExportError, FileRow, JobRun, KnownFile, MailProblem,
    NewDelivery, NewLayout, QueuedReport, Rejection, RepeatedRows, Selection, Store, StoreError,
    StoreStatus, StoredRow, Submission, VersionInfo,
};
use crate::standard::schema::{Dataset, PROVENANCE};
use crate::standard::Value;
use commit::commit_version;
pub(super) use values::{bound, field_columns, history_table, read_rows, table, typed_value};
use values::{export_value, sql_type};

/// Core schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_informes.sql"),
    include_str!("migrations/0003_entregas.sql"),
    include_str!("migrations/0004_disposiciones.sql"),
    include_str!("migrations/0005_entregas_recuperables.sql"),
    include_str!("migrations/0006_lecturas_en_archivo.sql"),
    include_str!("migrations/0007_entregas_contenido.sql"),
    include_str!("migrations/0008_informes_contenido.sql"),
];

/// SQLite implementation of [`Store`].
pub struct SqliteStore {
    conn: Connection,
    copies: CopyIndex,
    /// The database file (its writer lock is beside it).
    path: PathBuf,
    /// Held while this handle is the store's writer; declared last, so it is let go after the
    /// connection has closed.
    writer: Option<WriterLock>,
}

/// An id list bound as one JSON array and expanded by SQLite's json_each, so a report
/// over thousands of versions is still one statement.
const IDS_IN: &str = "(SELECT value FROM json_each(?1))";

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A report sorts a period's rows into export order: in memory, not in temporary
        // files (half a million rows sorted on disk cost seconds of system time).
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        Ok(SqliteStore {
            conn,
            copies: CopyIndex::default(),
            path: path.to_path_buf(),
            writer: None,
        })
    }

    fn ensure_dataset_tables(&mut self, dataset: &Dataset) -> Result<(), StoreError> {
        let fields: Vec<String> = dataset
            .fields
            .iter()
            .map(|f| format!("{} {}", f.name, sql_type(f.field_type)))
            .collect();
        let common = "_archivo_id BIGINT NOT NULL, _version_id BIGINT NOT NULL, organismo TEXT NOT NULL, \
                      fuente_archivo TEXT NOT NULL, fuente_hoja TEXT NOT NULL, fuente_fila BIGINT NOT NULL";
        let tx = self.conn.transaction()?;
        tx.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {t} (_fila_id INTEGER PRIMARY KEY, {common}, {fields});
             CREATE INDEX IF NOT EXISTS {t}_archivo ON {t} (_archivo_id);",
            t = table(dataset),
            fields = fields.join(", ")
        ))?;
        tx.execute_batch(&copies::create_sql(dataset, &fields.join(", ")))?;
        let mut tables = vec![table(dataset), copies::copies_table(dataset)];
        if dataset.snapshots.is_some() {
            tx.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (_historial_id INTEGER PRIMARY KEY, _reemplazada_en TEXT NOT NULL, {common}, {fields});",
                t = history_table(dataset),
                fields = fields.join(", ")
            ))?;
            tables.push(history_table(dataset));
        }
        // Fields added to the standard after the table was made become new columns.
        for t in tables {
            let existing: Vec<String> = {
                let mut stmt = tx.prepare(&format!("PRAGMA table_info({t})"))?;
                let names = stmt
                    .query_map([], |r| r.get::<_, String>(1))?
                    .collect::<Result<Vec<_>, _>>()?;
                names
            };
            for f in &dataset.fields {
                if !existing.contains(&f.name) {
                    tx.execute_batch(&format!(
                        "ALTER TABLE {t} ADD COLUMN {} {}",
                        f.name,
                        sql_type(f.field_type)
                    ))?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn lock_writer(
        &mut self,
        me: &Holder,
        wait: std::time::Duration,
        waiting: &mut dyn FnMut(&Busy),
    ) -> Result<(), StoreError> {
        if self.writer.is_none() {
            self.writer = Some(WriterLock::acquire(&self.path, me, wait, waiting)?);
        }
        Ok(())
    }

    fn migrate(&mut self, datasets: &[Dataset]) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS version_esquema (version BIGINT NOT NULL)",
        )?;
        let current: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM version_esquema",
            [],
            |r| r.get(0),
        )?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = i as i64 + 1;
            if version <= current {
                continue;
            }
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO version_esquema (version) VALUES (?1)",
                [version],
            )?;
            tx.commit()?;
        }
        for dataset in datasets {
            self.ensure_dataset_tables(dataset)?;
        }
        Ok(())
    }

    fn known_files(&mut self, source: &str) -> Result<Vec<KnownFile>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ruta, tamano_bytes, mtime_ns, sha256, estado FROM archivos WHERE fuente = ?1",
        )?;
        let rows = stmt.query_map([source], |r| {
            Ok(KnownFile {
                relative: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                mtime_ns: r.get(2)?,
                sha256: r.get(3)?,
                estado: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn touch_file(
        &mut self,
        source: &str,
        relative: &str,
        size: u64,
        mtime_ns: i64,
        seen_at: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE archivos SET tamano_bytes = ?1, mtime_ns = ?2, visto_por_ultima_vez = ?3, estado = 'presente', ausente_desde = NULL
             WHERE fuente = ?4 AND ruta = ?5",
            params![size as i64, mtime_ns, seen_at, source, relative],
        )?;
        Ok(())
    }

    fn commit_file(
        &mut self,
        datasets: &[Dataset],
        s: &Submission,
        wording: CopyWording<'_>,
    ) -> Result<Committed, StoreError> {
        let SqliteStore { conn, copies, .. } = self;
        let written = commit_version(conn, copies, datasets, s, wording);
        if written.is_err() {
            // The transaction rolled back; what the index learnt from it may be wrong.
            copies.clear();
        }
        written
    }

    fn mark_missing(
        &mut self,
        source: &str,
        relatives: &[String],
        at: &str,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare_cached("UPDATE archivos SET estado = 'ausente', ausente_desde = ?1 WHERE fuente = ?2 AND ruta = ?3 AND estado = 'presente'")?;
            for r in relatives {
                changed += stmt.execute(params![at, source, r])?;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    fn mark_present(
        &mut self,
        source: &str,
        relatives: &[String],
        at: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("UPDATE archivos SET estado = 'presente', ausente_desde = NULL, visto_por_ultima_vez = ?1 WHERE fuente = ?2 AND ruta = ?3")?;
            for r in relatives {
                stmt.execute(params![at, source, r])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn start_run(&mut self, at: &str) -> Result<i64, StoreError> {
        // Another process may have written since the last pass: the index is loaded again.
        self.copies.clear();
        self.conn
            .execute("INSERT INTO corridas (iniciada_en) VALUES (?1)", [at])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(&mut self, id: i64, at: &str, summary_json: &str) -> Result<(), StoreError> {
        // Not kept between passes (a daemon would hold it for nothing).
        self.copies.clear();
        self.conn.execute(
            "UPDATE corridas SET terminada_en = ?1, resumen = ?2 WHERE id = ?3",
            params![at, summary_json, id],
        )?;
        Ok(())
    }

    fn export_dataset(
        &mut self,
        dataset: &Dataset,
        each: &mut dyn FnMut(Vec<String>) -> std::io::Result<()>,
    ) -> Result<(), ExportError> {
        let mut cols = field_columns(dataset);
        cols.extend(PROVENANCE.iter().map(|c| c.to_string()));
        let list = cols.join(", ");
        let sql = match &dataset.snapshots {
            Some(snap) => {
                let order: Vec<String> = snap
                    .order_by
                    .iter()
                    .map(|f| format!("d.{f} DESC NULLS LAST"))
                    .collect();
                let key: Vec<String> = snap.key.iter().map(|k| format!("d.{k}")).collect();
                format!(
                    "SELECT {list} FROM (
                        SELECT d.*, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {order}, v.recibido_en DESC, d._fila_id DESC) AS _n
                        FROM {t} d JOIN versiones v ON v.id = d._version_id) AS actual
                     WHERE _n = 1 ORDER BY fuente_archivo, fuente_hoja, fuente_fila, _fila_id",
                    key = key.join(", "),
                    order = order.join(", "),
                    t = table(dataset)
                )
            }
            None => format!(
                "SELECT {list} FROM {} ORDER BY fuente_archivo, fuente_hoja, fuente_fila, _fila_id",
                table(dataset)
            ),
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut out = Vec::with_capacity(cols.len());
            for i in 0..cols.len() {
                out.push(export_value(row.get::<_, SqlValue>(i)?));
            }
            each(out)?;
        }
        Ok(())
    }

    fn export_rejections(
        &mut self,
        each: &mut dyn FnMut(Vec<String>) -> std::io::Result<()>,
    ) -> Result<(), ExportError> {
        let mut stmt = self.conn.prepare(
            "SELECT fuente_archivo, fuente_hoja, fuente_fila, COALESCE(campo, ''), codigo, valor, mensaje FROM rechazos
             WHERE fuente_fila IS NOT NULL ORDER BY fuente_archivo, fuente_hoja, fuente_fila, id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut out = Vec::with_capacity(7);
            for i in 0..7 {
                out.push(export_value(row.get::<_, SqlValue>(i)?));
            }
            each(out)?;
        }
        Ok(())
    }

    fn files(&mut self) -> Result<Vec<FileRow>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT a.fuente, COALESCE(a.organismo, ''), a.ruta, a.estado, v.resultado, v.recibido_en, a.sha256,
                    COALESCE(c.filas_aceptadas, 0), COALESCE(c.filas_rechazadas, 0), v.informe
             FROM archivos a
             JOIN versiones v ON v.id = (SELECT MAX(id) FROM versiones WHERE archivo_id = a.id)
             LEFT JOIN versiones c ON c.id = a.version_actual
             ORDER BY a.fuente, a.ruta",
        )?;
        let rows = stmt.query_map([], |r| {
            let informe: String = r.get(9)?;
            let problemas = serde_json::from_str::<serde_json::Value>(&informe)
                .ok()
                .and_then(|v| v.get("problemas").cloned())
                .and_then(|p| p.as_array().cloned())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            Ok(FileRow {
                fuente: r.get(0)?,
                organismo: r.get(1)?,
                ruta: r.get(2)?,
                estado: r.get(3)?,
                resultado: r.get(4)?,
                recibido_en: r.get(5)?,
                sha256: r.get(6)?,
                filas_aceptadas: r.get(7)?,
                filas_rechazadas: r.get(8)?,
                problemas,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn status(&mut self, datasets: &[Dataset]) -> Result<StoreStatus, StoreError> {
        let c = &self.conn;
        let count =
            |sql: &str| -> Result<i64, StoreError> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        let mut status = StoreStatus {
            archivos_presentes: count("SELECT COUNT(*) FROM archivos WHERE estado = 'presente'")?,
            archivos_ausentes: count("SELECT COUNT(*) FROM archivos WHERE estado = 'ausente'")?,
            archivos_ilegibles: count(
                "SELECT COUNT(*) FROM archivos a JOIN versiones v ON v.id = (SELECT MAX(id) FROM versiones WHERE archivo_id = a.id) WHERE v.resultado = 'ilegible'",
            )?,
            versiones: count("SELECT COUNT(*) FROM versiones")?,
            filas_rechazadas: count("SELECT COUNT(*) FROM (SELECT DISTINCT archivo_id, fuente_hoja, fuente_fila FROM rechazos WHERE fuente_fila IS NOT NULL) AS r")?,
            advertencias: count("SELECT COUNT(*) FROM advertencias")?,
            ..StoreStatus::default()
        };
        for d in datasets {
            status.filas.push((
                d.name.clone(),
                count(&format!("SELECT COUNT(*) FROM {}", table(d)))?,
            ));
        }
        status.ultima_corrida = c
            .query_row(
                "SELECT iniciada_en, terminada_en, resumen FROM corridas ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let mut stmt = c.prepare(
            "SELECT COALESCE(a.organismo, ''), COUNT(*), COALESCE(SUM(v.filas_aceptadas), 0), COALESCE(SUM(v.filas_rechazadas), 0)
             FROM archivos a LEFT JOIN versiones v ON v.id = a.version_actual
             WHERE a.estado = 'presente' GROUP BY COALESCE(a.organismo, '') ORDER BY 1",
        )?;
        status.organismos = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(status)
    }

    fn scan(
        &mut self,
        sel: &Selection,
        each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
    ) -> Result<(), ExportError> {
        let ds = sel.dataset;
        let date_type = ds
            .field_index(sel.date_field)
            .map(|i| ds.fields[i].field_type)
            .ok_or_else(|| {
                StoreError::Corrupt(format!("{} no tiene el campo {}", ds.name, sel.date_field))
            })?;
        let t = table(ds);
        let fields = ds
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                // A snapshot's key and order are read whatever the caller wants: the latest
                // snapshot per item is chosen on them.
                let structural = ds
                    .snapshots
                    .as_ref()
                    .is_some_and(|s| s.key.contains(&f.name) || s.order_by.contains(&f.name));
                if structural || sel.wanted.is_none_or(|w| w.get(i).copied().unwrap_or(true)) {
                    f.name.clone()
                } else {
                    format!("NULL AS {}", f.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let common = "organismo, fuente_archivo, fuente_hoja, fuente_fila, _version_id";
        let to = bound(date_type, sel.to);
        let from = sel.from.map(|d| bound(date_type, d));
        let order = if sel.ordered {
            "ORDER BY fuente_archivo, fuente_hoja, fuente_fila"
        } else {
            ""
        };
        let sql = match (&ds.snapshots, sel.as_of) {
            (Some(snap), true) => {
                let key: Vec<String> = snap.key.iter().map(|k| format!("d.{k}")).collect();
                let by: Vec<String> = snap.order_by.iter().map(|f| format!("d.{f} DESC NULLS LAST")).collect();
                format!(
                    "SELECT {fields}, {common} FROM (
                        SELECT d.*, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {by}, v.recibido_en DESC, d._actual DESC, d._n DESC) AS _rank
                        FROM (SELECT {fields}, {common}, 1 AS _actual, _fila_id AS _n FROM {t} WHERE {f} <= ?1
                              UNION ALL
                              SELECT {fields}, {common}, 0 AS _actual, _historial_id AS _n FROM {h} WHERE {f} <= ?1) AS d
                        JOIN versiones v ON v.id = d._version_id) AS ultima
                     WHERE _rank = 1 {order}",
                    key = key.join(", "),
                    by = by.join(", "),
                    h = history_table(ds),
                    f = sel.date_field,
                )
            }
            _ => format!(
                // A table scan: a report reads months to years of rows, where looking each one
                // up through an index on the date costs more than reading them all.
                "SELECT {fields}, {common} FROM {t} NOT INDEXED WHERE {f} <= ?1 AND (?2 IS NULL OR {f} >= ?2)",
                f = sel.date_field
            ),
        };
        let snapshot = sel.as_of && ds.snapshots.is_some();
        let n = ds.fields.len();
        let mut out = StoredRow {
            values: vec![Value::Null; n],
            organismo: String::new(),
            archivo: String::new(),
            hoja: String::new(),
            fila: 0,
            version_id: 0,
        };
        if snapshot || !sel.ordered {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = if snapshot {
                stmt.query(params![to])?
            } else {
                stmt.query(params![to, from])?
            };
            return read_rows(rows, ds, &mut out, each);
        }
        // In export order, file by file along the index on (file, sheet, row): the rows of a
        // file are stored together, so the table is read nearly in sequence and half a
        // million rows need no sort (a third of the scan's time).
        let files: Vec<i64> = {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT a.id FROM archivos a WHERE EXISTS (SELECT 1 FROM {t} WHERE _archivo_id = a.id)
                 ORDER BY (SELECT fuente_archivo FROM {t} WHERE _archivo_id = a.id LIMIT 1), a.id"
            ))?;
            let ids = stmt
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            ids
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {fields}, {common} FROM {t} INDEXED BY {t}_archivo
             WHERE _archivo_id = ?3 AND {f} <= ?1 AND (?2 IS NULL OR {f} >= ?2) ORDER BY fuente_hoja, fuente_fila, _fila_id",
            f = sel.date_field
        ))?;
        for id in files {
            read_rows(stmt.query(params![to, from, id])?, ds, &mut out, each)?;
        }
        Ok(())
    }

    fn snapshots(
        &mut self,
        sel: &Selection,
        each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
    ) -> Result<(), ExportError> {
        super::history::snapshots(&self.conn, sel, each)
    }

    fn versions(&mut self, ids: &[i64]) -> Result<Vec<VersionInfo>, StoreError> {
        let list = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT v.id, COALESCE(a.organismo, ''), a.ruta, v.recibido_en, v.sha256, v.resultado, v.filas_aceptadas, v.filas_rechazadas
             FROM versiones v JOIN archivos a ON a.id = v.archivo_id WHERE v.id IN {IDS_IN} ORDER BY v.id"
        ))?;
        let rows = stmt.query_map([list], version_info)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn unusable_files(&mut self) -> Result<Vec<VersionInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT v.id, COALESCE(a.organismo, ''), a.ruta, v.recibido_en, v.sha256, v.resultado, v.filas_aceptadas, v.filas_rechazadas
             FROM archivos a JOIN versiones v ON v.id = (SELECT MAX(id) FROM versiones WHERE archivo_id = a.id)
             WHERE a.estado = 'presente' AND (v.resultado = 'ilegible' OR v.filas_aceptadas = 0)
             ORDER BY a.organismo, a.ruta",
        )?;
        let rows = stmt.query_map([], version_info)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn organismos(&mut self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT organismo FROM archivos WHERE organismo IS NOT NULL AND organismo <> '' ORDER BY 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn rejections(&mut self, version_ids: &[i64]) -> Result<Vec<Rejection>, StoreError> {
        let list =
            serde_json::to_string(version_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT COALESCE(a.organismo, ''), r.fuente_archivo, r.fuente_hoja, r.fuente_fila, COALESCE(r.columna, ''), COALESCE(r.campo, ''), r.codigo, r.valor, r.mensaje
             FROM rechazos r JOIN archivos a ON a.id = r.archivo_id
             WHERE r.version_id IN {IDS_IN} AND r.fuente_fila IS NOT NULL
             ORDER BY r.fuente_archivo, r.fuente_hoja, r.fuente_fila, r.id"
        ))?;
        let rows = stmt.query_map([list], |r| {
            Ok(Rejection {
                organismo: r.get(0)?,
                archivo: r.get(1)?,
                hoja: r.get(2)?,
                fila: r.get(3)?,
                columna: r.get(4)?,
                campo: r.get(5)?,
                codigo: r.get(6)?,
                valor: r.get(7)?,
                mensaje: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn record_report(
        &mut self,
        period: &str,
        lang: &str,
        data_version: &str,
        today: &str,
        built_at: &str,
    ) -> Result<String, StoreError> {
        ledger::record_report(&mut self.conn, period, lang, data_version, today, built_at)
    }

    fn ledger_add(&mut self, e: &NewDelivery) -> Result<bool, StoreError> {
        ledger::insert_delivery(&self.conn, e)
    }

    fn ledger(&mut self, only_due_at: Option<&str>) -> Result<Vec<Delivery>, StoreError> {
        ledger::ledger(&self.conn, only_due_at)
    }

    fn ledger_sent(
        &mut self,
        id: i64,
        at: &str,
        reply: &str,
        message_id: &str,
    ) -> Result<(), StoreError> {
        ledger::ledger_sent(&self.conn, id, at, reply, message_id)
    }

    fn ledger_failed(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<(), StoreError> {
        ledger::ledger_failed(&self.conn, id, error, next_attempt_at)
    }

    fn ledger_requeue(&mut self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        ledger::ledger_requeue(&mut self.conn, ids)
    }

    fn mail_problem(&mut self) -> Result<Option<MailProblem>, StoreError> {
        ledger::mail_problem(&self.conn)
    }

    fn mail_problem_failed(
        &mut self,
        at: &str,
        error: &str,
        next_attempt_at: &str,
    ) -> Result<(MailProblem, usize), StoreError> {
        ledger::mail_problem_failed(&mut self.conn, at, error, next_attempt_at)
    }

    fn ledger_hold(&mut self, until: &str, error: &str) -> Result<usize, StoreError> {
        ledger::ledger_hold(&self.conn, until, error)
    }

    fn mail_problem_cleared(&mut self) -> Result<Option<MailProblem>, StoreError> {
        ledger::mail_problem_cleared(&mut self.conn)
    }

    fn report_enqueued(&mut self, clave: &str) -> Result<bool, StoreError> {
        ledger::report_enqueued(&self.conn, clave)
    }

    fn enqueue_report(
        &mut self,
        clave: &str,
        entries: &[NewDelivery],
        at: &str,
        content: &QueuedReport,
    ) -> Result<(), StoreError> {
        ledger::enqueue_report(&mut self.conn, clave, entries, at, content)
    }

    fn queued_report(&mut self, clave: &str) -> Result<Option<QueuedReport>, StoreError> {
        ledger::queued_report(&self.conn, clave)
    }

    fn job_ran(&mut self, name: &str, at: &str, outcome: &str) -> Result<(), StoreError> {
        ledger::job_ran(&self.conn, name, at, outcome)
    }

    fn jobs(&mut self) -> Result<Vec<JobRun>, StoreError> {
        ledger::jobs(&self.conn)
    }

    fn repeated_rows(
        &mut self,
        datasets: &[Dataset],
        organismo: &str,
    ) -> Result<Vec<RepeatedRows>, StoreError> {
        copies::repeated_rows(&self.conn, datasets, organismo)
    }

    fn new_layouts(
        &mut self,
        organismo: &str,
        received_at: &str,
    ) -> Result<Vec<NewLayout>, StoreError> {
        layouts::first_seen(&self.conn, organismo, received_at)
    }

    fn has_rows_between(
        &mut self,
        dataset: &Dataset,
        date_field: &str,
        organismo: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<bool, StoreError> {
        let date_type = dataset
            .field_index(date_field)
            .map(|i| dataset.fields[i].field_type)
            .ok_or_else(|| {
                StoreError::Corrupt(format!("{} no tiene el campo {date_field}", dataset.name))
            })?;
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE organismo = ?1 AND {date_field} >= ?2 AND {date_field} <= ?3)", table(dataset));
        Ok(self.conn.query_row(
            &sql,
            params![organismo, bound(date_type, from), bound(date_type, to)],
            |r| r.get::<_, bool>(0),
        )?)
    }
}

fn version_info(r: &rusqlite::Row) -> rusqlite::Result<VersionInfo> {
    Ok(VersionInfo {
        id: r.get(0)?,
        organismo: r.get(1)?,
        archivo: r.get(2)?,
        recibido_en: r.get(3)?,
        sha256: r.get(4)?,
        resultado: r.get(5)?,
        filas_aceptadas: r.get(6)?,
        filas_rechazadas: r.get(7)?,
    })
}
