//! The embedded store: one SQLite file in WAL mode. Every file's result is one transaction.
//!
//! Besides the connection it keeps one pass's in-memory index of the rows each organismo
//! holds, to find rows already sent in another file ([`super::copies`]).

use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::ToSql;
use rusqlite::{params, Connection, OptionalExtension};

use super::copies::{self, CopyIndex};
use super::layouts;
use super::lock::{Busy, Holder, WriterLock};
use super::{
    Committed, CopyWording, Delivery, ExportError, FileRow, JobRun, KnownFile, MailProblem,
    NewDelivery, NewLayout, Outcome, QueuedReport, Rejection, RepeatedRows, Selection, Store,
    StoreError, StoreStatus, StoredRow, Submission, VersionInfo,
};
use crate::standard::schema::{Dataset, FieldType, PROVENANCE};
use crate::standard::{Code, Value};

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

fn sql_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Integer | FieldType::Year => "BIGINT",
        FieldType::Number => "DOUBLE PRECISION",
        FieldType::String | FieldType::Date | FieldType::Yearmonth => "TEXT",
    }
}

pub(super) fn table(dataset: &Dataset) -> String {
    format!("ds_{}", dataset.name)
}

pub(super) fn history_table(dataset: &Dataset) -> String {
    format!("ds_{}_historial", dataset.name)
}

pub(super) fn field_columns(dataset: &Dataset) -> Vec<String> {
    dataset.fields.iter().map(|f| f.name.clone()).collect()
}

/// Binds a standard value without copying text: dates ISO, periods `YYYY-MM`, years as
/// integers.
impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Num(n) => ToSqlOutput::Owned(SqlValue::Real(*n)),
            Value::Year(y) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*y))),
            Value::Date(_) | Value::YearMonth(..) => {
                ToSqlOutput::Owned(SqlValue::Text(self.to_export()))
            }
        })
    }
}

/// Renders a stored value the way exports write it.
fn export_value(v: SqlValue) -> String {
    match v {
        SqlValue::Null => String::new(),
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(r) => crate::standard::sheet::format_number(r),
        SqlValue::Text(t) => t,
        SqlValue::Blob(_) => String::new(),
    }
}

/// A pending ledger row, unless the same message to the same recipient has one; true when
/// added.
fn insert_delivery(conn: &Connection, e: &NewDelivery) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO entregas (tipo, clave, destinatario, message_id, estado, creado_en, contenido) VALUES (?1, ?2, ?3, ?4, 'pendiente', ?5, ?6)
         ON CONFLICT (tipo, clave, destinatario) DO NOTHING",
        params![e.tipo, e.clave, e.destinatario, e.message_id, e.creado_en, e.contenido],
    )?;
    Ok(n == 1)
}

/// Hands each row of a scan to `each`, reusing `out`.
pub(super) fn read_rows(
    mut rows: rusqlite::Rows<'_>,
    ds: &Dataset,
    out: &mut StoredRow,
    each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
) -> Result<(), ExportError> {
    let n = ds.fields.len();
    let text = |r: &rusqlite::Row, i: usize, into: &mut String| -> rusqlite::Result<()> {
        into.clear();
        if let ValueRef::Text(t) = r.get_ref(i)? {
            into.push_str(&String::from_utf8_lossy(t));
        }
        Ok(())
    };
    while let Some(row) = rows.next().map_err(StoreError::from)? {
        for (i, f) in ds.fields.iter().enumerate() {
            assign_value(
                &mut out.values[i],
                f.field_type,
                row.get_ref(i).map_err(StoreError::from)?,
            );
        }
        text(row, n, &mut out.organismo).map_err(StoreError::from)?;
        text(row, n + 1, &mut out.archivo).map_err(StoreError::from)?;
        text(row, n + 2, &mut out.hoja).map_err(StoreError::from)?;
        out.fila = row.get(n + 3).map_err(StoreError::from)?;
        out.version_id = row.get(n + 4).map_err(StoreError::from)?;
        each(out)?;
    }
    Ok(())
}

/// `YYYY-MM-DD` without the general date parser: reports read half a million dates.
fn iso_date(t: &[u8]) -> Option<chrono::NaiveDate> {
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let num = |b: &[u8]| {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    chrono::NaiveDate::from_ymd_opt(
        i32::try_from(num(&t[..4])?).ok()?,
        num(&t[5..7])?,
        num(&t[8..])?,
    )
}

/// [`typed_value`] into `slot`, reusing its text's allocation.
fn assign_value(slot: &mut Value, t: FieldType, v: ValueRef<'_>) {
    if let (Value::Text(old), ValueRef::Text(new)) = (&mut *slot, v) {
        if !matches!(t, FieldType::Date | FieldType::Yearmonth) {
            old.clear();
            old.push_str(&String::from_utf8_lossy(new));
            return;
        }
    }
    *slot = typed_value(t, v);
}

/// Reads a stored value back as the standard value of a field of this type.
pub(super) fn typed_value(t: FieldType, v: ValueRef<'_>) -> Value {
    match (t, v) {
        (_, ValueRef::Null) => Value::Null,
        (FieldType::Integer, ValueRef::Integer(i)) => Value::Int(i),
        (FieldType::Year, ValueRef::Integer(i)) => {
            i32::try_from(i).map(Value::Year).unwrap_or(Value::Int(i))
        }
        (FieldType::Number, ValueRef::Integer(i)) => Value::Num(i as f64),
        (FieldType::Number | FieldType::Integer, ValueRef::Real(r)) => Value::Num(r),
        (FieldType::Date, ValueRef::Text(t)) => {
            if let Some(d) = iso_date(t) {
                return Value::Date(d);
            }
            let text = String::from_utf8_lossy(t);
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(Value::Date)
                .unwrap_or_else(|_| Value::Text(text.into_owned()))
        }
        (FieldType::Yearmonth, ValueRef::Text(t)) => {
            let text = String::from_utf8_lossy(t);
            let parsed = text
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)));
            match parsed {
                Some((y, m)) if (1..=12).contains(&m) => Value::YearMonth(y, m),
                _ => Value::Text(text.into_owned()),
            }
        }
        (_, ValueRef::Text(t)) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        (_, ValueRef::Integer(i)) => Value::Int(i),
        (_, ValueRef::Real(r)) => Value::Num(r),
        (_, ValueRef::Blob(_)) => Value::Null,
    }
}

/// A date bound as the dating field stores it: `2019-03-31`, or `2019-03` for a year-month.
pub(super) fn bound(t: FieldType, d: chrono::NaiveDate) -> String {
    match t {
        FieldType::Yearmonth => d.format("%Y-%m").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
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

    fn insert_issues(
        tx: &rusqlite::Transaction,
        file_id: i64,
        version_id: i64,
        relative: &str,
        result: &crate::standard::FileResult,
    ) -> Result<(), StoreError> {
        let mut rejected = tx.prepare_cached(
            "INSERT INTO rechazos (archivo_id, version_id, fuente_archivo, fuente_hoja, fuente_fila, columna, encabezado, campo, codigo, valor, mensaje)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut warned = tx.prepare_cached(
            "INSERT INTO advertencias (archivo_id, version_id, fuente_archivo, fuente_hoja, fuente_fila, columna, campo, valor, mensaje)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for issue in &result.issues {
            if issue.code == Code::Warning {
                warned.execute(params![
                    file_id,
                    version_id,
                    relative,
                    issue.sheet,
                    issue.row,
                    issue.column,
                    issue.field,
                    issue.value,
                    issue.message
                ])?;
            } else {
                rejected.execute(params![
                    file_id,
                    version_id,
                    relative,
                    issue.sheet,
                    issue.row,
                    issue.column,
                    issue.header,
                    issue.field,
                    issue.code.as_str(),
                    issue.value,
                    issue.message
                ])?;
            }
        }
        Ok(())
    }
}

/// [`Store::commit_file`]: one transaction.
fn commit_version(
    conn: &mut Connection,
    index: &mut CopyIndex,
    datasets: &[Dataset],
    s: &Submission,
    wording: CopyWording<'_>,
) -> Result<Committed, StoreError> {
    let tx = conn.transaction()?;
    let existing: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT id, version_actual FROM archivos WHERE fuente = ?1 AND ruta = ?2",
            params![s.source, s.relative],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let file_id = match existing {
        Some((id, _)) => {
            tx.execute(
                "UPDATE archivos SET organismo = ?1, estado = 'presente', tamano_bytes = ?2, mtime_ns = ?3, sha256 = ?4,
                 visto_por_ultima_vez = ?5, ausente_desde = NULL WHERE id = ?6",
                params![s.organismo, s.size as i64, s.mtime_ns, s.sha256, s.received_at, id],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO archivos (fuente, ruta, organismo, estado, tamano_bytes, mtime_ns, sha256, visto_por_ultima_vez)
                 VALUES (?1, ?2, ?3, 'presente', ?4, ?5, ?6, ?7)",
                params![s.source, s.relative, s.organismo, s.size as i64, s.mtime_ns, s.sha256, s.received_at],
            )?;
            tx.last_insert_rowid()
        }
    };
    let previous = existing.and_then(|(_, v)| v);
    let (resultado, warnings) = match &s.outcome {
        Outcome::Read(r) => (
            "leido",
            r.issues.iter().filter(|i| !i.is_error()).count() as i64,
        ),
        Outcome::Unreadable(_) => ("ilegible", 0),
    };
    // The counts are set below, once the rows are compared with the organismo's other files.
    tx.execute(
        "INSERT INTO versiones (archivo_id, sha256, tamano_bytes, mtime_ns, recibido_en, resultado, filas_aceptadas, filas_rechazadas, advertencias, informe)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8)",
        params![file_id, s.sha256, s.size as i64, s.mtime_ns, s.received_at, resultado, warnings, s.report_json],
    )?;
    let version_id = tx.last_insert_rowid();

    // An unreadable re-submission keeps the previous version's rows: a half-saved file must
    // not wipe a ministry's data. It is recorded and reported.
    let Outcome::Read(result) = &s.outcome else {
        tx.commit()?;
        return Ok(Committed::default());
    };
    if let Some(prev) = previous {
        for dataset in datasets {
            if dataset.snapshots.is_some() {
                let cols = [&["_archivo_id", "_version_id"][..], &PROVENANCE[..]]
                    .concat()
                    .iter()
                    .map(|c| c.to_string())
                    .chain(field_columns(dataset))
                    .collect::<Vec<_>>()
                    .join(", ");
                tx.execute(
                    &format!("INSERT INTO {h} (_reemplazada_en, {cols}) SELECT ?1, {cols} FROM {t} WHERE _archivo_id = ?2", h = history_table(dataset), t = table(dataset)),
                    params![s.received_at, file_id],
                )?;
            }
            tx.execute(
                &format!("DELETE FROM {} WHERE _archivo_id = ?1", table(dataset)),
                [file_id],
            )?;
            tx.execute(
                &format!(
                    "DELETE FROM {} WHERE _archivo_id = ?1",
                    copies::copies_table(dataset)
                ),
                [file_id],
            )?;
        }
        tx.execute("DELETE FROM rechazos WHERE archivo_id = ?1", [file_id])?;
        tx.execute("DELETE FROM advertencias WHERE archivo_id = ?1", [file_id])?;
        tx.execute(
            "UPDATE versiones SET reemplazada_en = ?1 WHERE id = ?2",
            params![s.received_at, prev],
        )?;
    }
    let organismo = s.organismo.unwrap_or_default();
    let version = copies::Version {
        id: file_id,
        version_id,
        organismo,
        relative: s.relative,
    };
    let inserted = copies::insert_records(&tx, index, datasets, result, &version, wording)?;
    SqliteStore::insert_issues(&tx, file_id, version_id, s.relative, result)?;
    // Copies in other files that repeated this file's previous rows: still copies, or data again.
    let restored = copies::recheck(&tx, index, datasets, file_id, wording)?;
    let new_layouts = layouts::record(
        &tx,
        organismo,
        file_id,
        version_id,
        s.received_at,
        &result.sheets,
    )?;

    let mut rejected_rows = inserted.copy_rows;
    for issue in result.issues.iter().filter(|i| i.is_error()) {
        if let Some(row) = issue.row {
            rejected_rows.insert((std::sync::Arc::from(issue.sheet.as_str()), row));
        }
    }
    let committed = Committed {
        accepted: inserted.accepted,
        rejected: rejected_rows.len(),
        repeats: inserted.repeats,
        restored,
        new_layouts,
    };
    tx.execute(
        "UPDATE versiones SET filas_aceptadas = ?1, filas_rechazadas = ?2 WHERE id = ?3",
        params![
            committed.accepted as i64,
            committed.rejected as i64,
            version_id
        ],
    )?;
    tx.execute(
        "UPDATE archivos SET version_actual = ?1 WHERE id = ?2",
        params![version_id, file_id],
    )?;
    tx.commit()?;
    Ok(committed)
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
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO informes (periodo, idioma, emitido_en, version_datos, construido_en) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (periodo, idioma) DO UPDATE SET version_datos = excluded.version_datos, construido_en = excluded.construido_en",
            params![period, lang, today, data_version, built_at],
        )?;
        let issued: String = tx.query_row(
            "SELECT emitido_en FROM informes WHERE periodo = ?1 AND idioma = ?2",
            params![period, lang],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(issued)
    }

    fn ledger_add(&mut self, e: &NewDelivery) -> Result<bool, StoreError> {
        insert_delivery(&self.conn, e)
    }

    fn ledger(&mut self, only_due_at: Option<&str>) -> Result<Vec<Delivery>, StoreError> {
        let sql = "SELECT id, tipo, clave, destinatario, message_id, estado, intentos, proximo_intento_en, ultimo_error, enviado_en, respuesta, creado_en, reencolados, contenido
                   FROM entregas WHERE (?1 IS NULL OR (estado = 'pendiente' AND (proximo_intento_en IS NULL OR proximo_intento_en <= ?1)))
                   ORDER BY id";
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params![only_due_at], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                tipo: r.get(1)?,
                clave: r.get(2)?,
                destinatario: r.get(3)?,
                message_id: r.get(4)?,
                estado: r.get(5)?,
                intentos: r.get(6)?,
                proximo_intento_en: r.get(7)?,
                ultimo_error: r.get(8)?,
                enviado_en: r.get(9)?,
                respuesta: r.get(10)?,
                creado_en: r.get(11)?,
                reencolados: r.get(12)?,
                contenido: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn ledger_sent(
        &mut self,
        id: i64,
        at: &str,
        reply: &str,
        message_id: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE entregas SET estado = 'enviado', intentos = intentos + 1, enviado_en = ?2, respuesta = ?3, message_id = ?4, proximo_intento_en = NULL WHERE id = ?1",
            params![id, at, reply, message_id],
        )?;
        Ok(())
    }

    fn ledger_failed(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE entregas SET intentos = intentos + 1, ultimo_error = ?2, proximo_intento_en = ?3,
                    estado = CASE WHEN ?3 IS NULL THEN 'fallido' ELSE 'pendiente' END
             WHERE id = ?1",
            params![id, error, next_attempt_at],
        )?;
        Ok(())
    }

    fn ledger_requeue(&mut self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut requeued = Vec::new();
        {
            // Only a failed row moves: a second request for the same rows finds them pending
            // (or sent) and changes nothing.
            let mut stmt = tx.prepare_cached(
                "UPDATE entregas SET estado = 'pendiente', intentos = 0, proximo_intento_en = NULL, reencolados = reencolados + 1
                 WHERE id = ?1 AND estado = 'fallido'",
            )?;
            for &id in ids {
                if stmt.execute([id])? == 1 {
                    requeued.push(id);
                }
            }
        }
        tx.commit()?;
        Ok(requeued)
    }

    fn mail_problem(&mut self) -> Result<Option<MailProblem>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row)
            .optional()?)
    }

    fn mail_problem_failed(
        &mut self,
        at: &str,
        error: &str,
        next_attempt_at: &str,
    ) -> Result<(MailProblem, usize), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO problema_correo (id, error, desde, ultimo_fallo, fallos, proximo_intento_en) VALUES (1, ?1, ?2, ?2, 1, ?3)
             ON CONFLICT (id) DO UPDATE SET error = excluded.error, ultimo_fallo = excluded.ultimo_fallo, fallos = problema_correo.fallos + 1,
                                            proximo_intento_en = excluded.proximo_intento_en",
            params![error, at, next_attempt_at],
        )?;
        let waiting = hold_pending(&tx, next_attempt_at, error)?;
        let problem = tx.query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row)?;
        tx.commit()?;
        Ok((problem, waiting))
    }

    fn ledger_hold(&mut self, until: &str, error: &str) -> Result<usize, StoreError> {
        hold_pending(&self.conn, until, error)
    }

    fn mail_problem_cleared(&mut self) -> Result<Option<MailProblem>, StoreError> {
        let tx = self.conn.transaction()?;
        let problem = tx.query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row).optional()?;
        tx.execute("DELETE FROM problema_correo", [])?;
        tx.commit()?;
        Ok(problem)
    }

    fn report_enqueued(&mut self, clave: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM informes_encolados WHERE clave = ?1",
            params![clave],
            |r| r.get::<_, i64>(0),
        )? > 0)
    }

    fn enqueue_report(
        &mut self,
        clave: &str,
        entries: &[NewDelivery],
        at: &str,
        content: &QueuedReport,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for e in entries {
            insert_delivery(&tx, e)?;
        }
        tx.execute(
            "INSERT INTO informes_encolados (clave, encolado_en, contenido, pdf, xlsx) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (clave) DO NOTHING",
            params![clave, at, content.contenido, content.pdf, content.xlsx],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn queued_report(&mut self, clave: &str) -> Result<Option<QueuedReport>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT contenido, pdf, xlsx FROM informes_encolados WHERE clave = ?1 AND contenido IS NOT NULL",
                params![clave],
                |r| {
                    Ok(QueuedReport {
                        contenido: r.get(0)?,
                        pdf: r.get(1)?,
                        xlsx: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn job_ran(&mut self, name: &str, at: &str, outcome: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO trabajos (nombre, ultima_ejecucion, resultado) VALUES (?1, ?2, ?3)
             ON CONFLICT (nombre) DO UPDATE SET ultima_ejecucion = excluded.ultima_ejecucion, resultado = excluded.resultado",
            params![name, at, outcome],
        )?;
        Ok(())
    }

    fn jobs(&mut self) -> Result<Vec<JobRun>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT nombre, ultima_ejecucion, resultado FROM trabajos ORDER BY nombre")?;
        let rows = stmt.query_map([], |r| {
            Ok(JobRun {
                nombre: r.get(0)?,
                ultima_ejecucion: r.get(1)?,
                resultado: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
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

/// Makes every pending delivery that would go before `until` wait until then, with `error` as
/// its last error and its attempts untouched; returns how many deliveries are pending.
fn hold_pending(conn: &Connection, until: &str, error: &str) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE entregas SET proximo_intento_en = ?1, ultimo_error = ?2
         WHERE estado = 'pendiente' AND (proximo_intento_en IS NULL OR proximo_intento_en < ?1)",
        params![until, error],
    )?;
    let waiting: i64 = conn.query_row(
        "SELECT COUNT(*) FROM entregas WHERE estado = 'pendiente'",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(waiting).unwrap_or(0))
}

fn mail_problem_row(r: &rusqlite::Row) -> rusqlite::Result<MailProblem> {
    Ok(MailProblem {
        error: r.get(0)?,
        desde: r.get(1)?,
        ultimo_fallo: r.get(2)?,
        fallos: r.get(3)?,
        proximo_intento_en: r.get(4)?,
    })
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
