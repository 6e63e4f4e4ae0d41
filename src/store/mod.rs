//! The store: the only place with SQL. Standard rows with their provenance, every version of
//! every file (with SHA-256 and when it was received), rejected rows, warnings, the snapshot
//! history of datasets that keep one, and the log of ingest passes.
//!
//! [`Store`] is the seam: the embedded SQLite implementation lives in `sqlite`, a PostgreSQL one
//! can sit beside it. Callers never see SQL. Each file's result is written in one transaction,
//! so a crash leaves the store as it was before the file or as it is after it.
//!
//! It must not depend on `ingest` or `pipeline`, and never sees a spreadsheet cell: only
//! standardised records and issues.
//!
//! Rows an organismo already sent in another of its files are not stored twice: when a version
//! is written, each record equal (on every field of its dataset) to a current row of another
//! file of the same organismo becomes a `duplicate-row` rejection naming that row, and its
//! values are kept apart (`ds_<name>_copias`) so that it can count again, in the same
//! transaction, when the file holding the kept row is re-submitted without it (see `copies`).
//! Each sheet's layout (its columns' headers and fields) is remembered per organismo, so that
//! feedback can show how a layout it had never sent was read (see `layouts`).
//!
//! One process writes a store at a time: a command that writes takes the store's writer lock
//! ([`Store::lock_writer`], see `lock`) before it reads what it will change, and keeps it until
//! it ends; readers need none.

mod copies;
mod history;
mod layouts;
pub mod lock;
mod sqlite;
#[cfg(test)]
mod tests;

pub use lock::{Busy, Holder};
pub use sqlite::SqliteStore;

use serde::Serialize;

use crate::standard::{ColumnReading, Dataset, FileResult};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("base de datos: {0}")]
    Database(#[from] rusqlite::Error),
    /// Stored data did not have the expected shape.
    #[error("datos inconsistentes en la base: {0}")]
    Corrupt(String),
    /// Another process writes the store, or its lock could not be used.
    #[error(transparent)]
    Locked(#[from] lock::LockError),
}

/// A file the store already knows, as of its last pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFile {
    /// Path relative to the source root.
    pub relative: String,
    /// Size at the last pass.
    pub size: u64,
    /// Modification time at the last pass.
    pub mtime_ns: i64,
    /// Content hash of the last version seen.
    pub sha256: String,
    /// `presente` or `ausente`.
    pub estado: String,
}

/// How a submitted version turned out.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// The file was read; its records replace those of its previous version.
    Read(&'a FileResult),
    /// The file could not be read; the previous version's rows stay in the data.
    Unreadable(String),
}

/// One new version of a file, ready to be written in one transaction.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    /// Source name.
    pub source: &'a str,
    /// Path relative to the source root.
    pub relative: &'a str,
    /// Organismo code.
    pub organismo: Option<&'a str>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time.
    pub mtime_ns: i64,
    /// SHA-256, hex.
    pub sha256: &'a str,
    /// When it was received (RFC 3339, UTC).
    pub received_at: &'a str,
    /// What reading it gave.
    pub outcome: Outcome<'a>,
    /// The file report (JSON; headers only, never values of personal columns).
    pub report_json: &'a str,
}

/// Where the row a copy repeats is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// Organismo of both files.
    pub organismo: String,
    /// The file holding the kept row (path relative to the source root).
    pub archivo: String,
    /// Its sheet (empty for CSV).
    pub hoja: String,
    /// Its row as the sheet shows it.
    pub fila: i64,
}

/// Words the rejection of a row that repeats `Original` (the store decides which rows are
/// copies, the caller says so in the clerk's language).
pub type CopyWording<'a> = &'a dyn Fn(&Original) -> String;

/// Rows of one file that are copies of rows of another file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// The other file (path relative to the source root).
    pub archivo: String,
    /// Rows (sheet and row as the sheet shows it, counted once).
    pub filas: usize,
}

/// What writing one version did, after comparing its rows with the organismo's other files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Committed {
    /// Records stored.
    pub accepted: usize,
    /// Distinct rejected rows, copies of other files' rows included.
    pub rejected: usize,
    /// This file's rows rejected as copies, by the file that keeps them.
    pub repeats: Vec<Repeat>,
    /// Rows of other files that were copies of this file's previous version, are no longer in
    /// it, and now count in their own file (by that file).
    pub restored: Vec<Repeat>,
    /// Sheets whose layout this organismo had never sent.
    pub new_layouts: usize,
}

/// Copies of one file's rows in another file of the organismo, as they stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatedRows {
    /// The file whose rows were rejected as copies.
    pub archivo: String,
    /// The file that keeps them.
    pub de_archivo: String,
    /// Rows rejected.
    pub filas: i64,
}

/// A sheet layout an organismo sent for the first time, and how its columns were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLayout {
    /// The file that brought it (path relative to the source root).
    pub archivo: String,
    /// The sheet.
    pub hoja: String,
    /// Its columns, left to right.
    pub columnas: Vec<ColumnReading>,
}

/// Counts for `participa status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreStatus {
    /// Files present, by source.
    pub archivos_presentes: i64,
    /// Files reported missing.
    pub archivos_ausentes: i64,
    /// Files whose last version could not be read.
    pub archivos_ilegibles: i64,
    /// Versions recorded (history).
    pub versiones: i64,
    /// Rows per dataset (current data).
    pub filas: Vec<(String, i64)>,
    /// Rejected rows in current versions.
    pub filas_rechazadas: i64,
    /// Warnings on kept rows.
    pub advertencias: i64,
    /// Start and end of the last pass, and its summary.
    pub ultima_corrida: Option<(String, Option<String>, Option<String>)>,
    /// Per-organismo: files present, rows accepted, rows rejected.
    pub organismos: Vec<(String, i64, i64, i64)>,
}

/// One row of the file list (`participa export archivos`).
#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    /// Source name.
    pub fuente: String,
    /// Organismo.
    pub organismo: String,
    /// Relative path.
    pub ruta: String,
    /// presente | ausente.
    pub estado: String,
    /// leido | ilegible.
    pub resultado: String,
    /// When the current version was received.
    pub recibido_en: String,
    /// Content hash.
    pub sha256: String,
    /// Rows accepted.
    pub filas_aceptadas: i64,
    /// Rows rejected.
    pub filas_rechazadas: i64,
    /// Whole-file or whole-sheet problems, `; `-joined.
    pub problemas: String,
}

/// The store operations the pipeline and commands need.
pub trait Store {
    /// Makes this handle the store's only writer until it is dropped. While another process
    /// holds the store it waits up to `wait` (zero: not at all), telling `waiting` once when
    /// the wait starts, then fails with [`lock::LockError::Busy`], naming the holder. The lock
    /// is the operating system's (a database server's, for a server store): it is let go when
    /// the holder ends, however it ends, so none is ever left stale.
    fn lock_writer(
        &mut self,
        me: &Holder,
        wait: std::time::Duration,
        waiting: &mut dyn FnMut(&Busy),
    ) -> Result<(), StoreError>;
    /// Creates or upgrades tables for the core schema and every dataset.
    fn migrate(&mut self, datasets: &[Dataset]) -> Result<(), StoreError>;
    /// Files known for a source.
    fn known_files(&mut self, source: &str) -> Result<Vec<KnownFile>, StoreError>;
    /// Records that a file's size or time changed but its content did not.
    fn touch_file(
        &mut self,
        source: &str,
        relative: &str,
        size: u64,
        mtime_ns: i64,
        seen_at: &str,
    ) -> Result<(), StoreError>;
    /// Writes a new version: replaces the file's rows, in one transaction. Records equal to a
    /// current row of another file of the organismo are rejected as copies, worded by
    /// `wording`; copies that repeated this file's previous rows are checked again (counted in
    /// their own file when nothing repeats them any more), in the same transaction.
    fn commit_file(
        &mut self,
        datasets: &[Dataset],
        submission: &Submission,
        wording: CopyWording<'_>,
    ) -> Result<Committed, StoreError>;
    /// Marks files as missing (their rows stay); returns how many changed state.
    fn mark_missing(
        &mut self,
        source: &str,
        relatives: &[String],
        at: &str,
    ) -> Result<usize, StoreError>;
    /// Marks files seen again as present.
    fn mark_present(
        &mut self,
        source: &str,
        relatives: &[String],
        at: &str,
    ) -> Result<(), StoreError>;
    /// Opens an ingest pass record.
    fn start_run(&mut self, at: &str) -> Result<i64, StoreError>;
    /// Closes an ingest pass record with its summary.
    fn finish_run(&mut self, id: i64, at: &str, summary_json: &str) -> Result<(), StoreError>;
    /// Streams a dataset's current rows as export strings (fields, then provenance).
    fn export_dataset(
        &mut self,
        dataset: &Dataset,
        each: &mut dyn FnMut(Vec<String>) -> std::io::Result<()>,
    ) -> Result<(), ExportError>;
    /// Streams rejected rows: fuente_archivo, fuente_hoja, fuente_fila, campo, codigo, valor, mensaje.
    fn export_rejections(
        &mut self,
        each: &mut dyn FnMut(Vec<String>) -> std::io::Result<()>,
    ) -> Result<(), ExportError>;
    /// The list of files with their current state.
    fn files(&mut self) -> Result<Vec<FileRow>, StoreError>;
    /// Counts for status.
    fn status(&mut self, datasets: &[Dataset]) -> Result<StoreStatus, StoreError>;
    /// Streams typed rows of a dataset selected by date (for reports).
    fn scan(
        &mut self,
        selection: &Selection,
        each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
    ) -> Result<(), ExportError>;
    /// Streams every snapshot of a snapshot dataset dated on or before `selection.to`, the
    /// current rows and those a re-submission moved to the history, item by item (the
    /// dataset's key) and, within an item, in the order the current one is chosen (its order
    /// fields, then reception, then current after replaced): an item's state on a day is its
    /// last snapshot dated on or before it. `from`, `as_of` and `ordered` are not used.
    fn snapshots(
        &mut self,
        selection: &Selection,
        each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
    ) -> Result<(), ExportError>;
    /// The versions with these ids, in id order.
    fn versions(&mut self, ids: &[i64]) -> Result<Vec<VersionInfo>, StoreError>;
    /// Present files whose current content gave no row: unreadable, or every row rejected.
    fn unusable_files(&mut self) -> Result<Vec<VersionInfo>, StoreError>;
    /// Every organismo that ever sent a file.
    fn organismos(&mut self) -> Result<Vec<String>, StoreError>;
    /// Rejected rows of these versions, in file and row order.
    fn rejections(&mut self, version_ids: &[i64]) -> Result<Vec<Rejection>, StoreError>;
    /// Records a build of a period's report; returns the date of issue, which is `today` the
    /// first time and the recorded date after.
    fn record_report(
        &mut self,
        period: &str,
        lang: &str,
        data_version: &str,
        today: &str,
        built_at: &str,
    ) -> Result<String, StoreError>;
    /// Adds a pending delivery unless one for the same message and recipient exists; true
    /// when added.
    fn ledger_add(&mut self, delivery: &NewDelivery) -> Result<bool, StoreError>;
    /// The ledger in order; with `only_due_at`, only pending deliveries whose next attempt is
    /// at or before that time (RFC 3339, UTC).
    fn ledger(&mut self, only_due_at: Option<&str>) -> Result<Vec<Delivery>, StoreError>;
    /// Records a delivery the server took, with the Message-ID the message carried.
    fn ledger_sent(
        &mut self,
        id: i64,
        at: &str,
        reply: &str,
        message_id: &str,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt: pending again at `next_attempt_at`, or failed for good when
    /// there is none.
    fn ledger_failed(
        &mut self,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Puts the failed deliveries among `ids` back in the queue (pending, due now, their
    /// attempts counted again from zero); the others are left as they are. Returns the ids
    /// re-queued.
    fn ledger_requeue(&mut self, ids: &[i64]) -> Result<Vec<i64>, StoreError>;
    /// The mail setup problem being waited out, if there is one.
    fn mail_problem(&mut self) -> Result<Option<MailProblem>, StoreError>;
    /// Records a failure of the mail setup at `at` (the first of a run of them opens the
    /// problem), and makes every pending delivery due before `next_attempt_at` wait until
    /// then, without counting an attempt; in one transaction. Returns the problem and how many
    /// deliveries are pending.
    fn mail_problem_failed(
        &mut self,
        at: &str,
        error: &str,
        next_attempt_at: &str,
    ) -> Result<(MailProblem, usize), StoreError>;
    /// Makes every pending delivery due before `until` wait until then (a setup problem holds
    /// it), with `error` as its last error and its attempts untouched; returns how many
    /// deliveries are pending.
    fn ledger_hold(&mut self, until: &str, error: &str) -> Result<usize, StoreError>;
    /// Closes the mail setup problem (the server took a message); returns what it was.
    fn mail_problem_cleared(&mut self) -> Result<Option<MailProblem>, StoreError>;
    /// Whether a month's report (`2019-03/es`) was enqueued.
    fn report_enqueued(&mut self, clave: &str) -> Result<bool, StoreError>;
    /// Enqueues a month's report for its recipients and marks it enqueued with what its
    /// message says, in one transaction.
    fn enqueue_report(
        &mut self,
        clave: &str,
        entries: &[NewDelivery],
        at: &str,
        content: &QueuedReport,
    ) -> Result<(), StoreError>;
    /// What a queued report's message says, as made when it was queued; `None` for a report
    /// queued by an older release (made when sent).
    fn queued_report(&mut self, clave: &str) -> Result<Option<QueuedReport>, StoreError>;
    /// Records that a daemon job ran.
    fn job_ran(&mut self, name: &str, at: &str, outcome: &str) -> Result<(), StoreError>;
    /// The daemon's jobs' last runs.
    fn jobs(&mut self) -> Result<Vec<JobRun>, StoreError>;
    /// The organismo's rows rejected as copies of another of its files, by pair of files.
    fn repeated_rows(
        &mut self,
        datasets: &[Dataset],
        organismo: &str,
    ) -> Result<Vec<RepeatedRows>, StoreError>;
    /// Sheet layouts the organismo sent for the first time in the pass received at `received_at`
    /// (the pass's RFC 3339 time), by file and sheet.
    fn new_layouts(
        &mut self,
        organismo: &str,
        received_at: &str,
    ) -> Result<Vec<NewLayout>, StoreError>;
    /// Whether an organismo has rows of a dataset dated from `from` to `to` (inclusive).
    fn has_rows_between(
        &mut self,
        dataset: &Dataset,
        date_field: &str,
        organismo: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<bool, StoreError>;
}

/// A delivery to add to the ledger.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// informe | devolucion | recordatorio | alerta.
    pub tipo: String,
    /// What is sent (`2019-03/es` for a report).
    pub clave: String,
    /// The recipient's hash (see `deliver::recipient_key`).
    pub destinatario: String,
    /// A report's Message-ID, stable per period, language and recipient; empty for feedback,
    /// reminders and alerts, whose Message-ID comes from the message (recorded when sent).
    pub message_id: String,
    /// When it was enqueued (RFC 3339, UTC); the message's Date.
    pub creado_en: String,
    /// What the message says, made when it is enqueued (JSON; feedback and reminders), so a
    /// retry sends what the moment it belongs to saw.
    pub contenido: Option<String>,
}

/// A month's report message as it was when queued: shared by all its recipients' ledger rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueuedReport {
    /// The message's words (JSON, made by `deliver`).
    pub contenido: Option<String>,
    /// The PDF attached, when the message carries its files.
    pub pdf: Option<Vec<u8>>,
    /// The XLSX attached, when the message carries its files.
    pub xlsx: Option<Vec<u8>>,
}

/// A ledger row.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// informe | devolucion | recordatorio | alerta.
    pub tipo: String,
    /// What is sent.
    pub clave: String,
    /// The recipient's hash.
    pub destinatario: String,
    /// The Message-ID (for feedback, reminders and alerts, set once sent).
    pub message_id: String,
    /// pendiente | enviado | fallido.
    pub estado: String,
    /// Attempts made.
    pub intentos: i64,
    /// Next attempt (RFC 3339, UTC), when pending after a failure.
    pub proximo_intento_en: Option<String>,
    /// The last attempt's error.
    pub ultimo_error: Option<String>,
    /// When the server took it.
    pub enviado_en: Option<String>,
    /// The server's reply.
    pub respuesta: Option<String>,
    /// When it was enqueued; the message's Date.
    pub creado_en: String,
    /// How many times it was put back in the queue by hand after failing.
    pub reencolados: i64,
    /// What the message says, as made when it was enqueued (JSON); `None` for reports,
    /// alerts and rows of older releases, made when sent.
    #[serde(skip)]
    pub contenido: Option<String>,
}

/// A failure of the mail setup (authentication, TLS, the server unreachable) that every
/// delivery is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailProblem {
    /// The last failure, with the server's words (never a password).
    pub error: String,
    /// The first failure (RFC 3339, UTC).
    pub desde: String,
    /// The last failure (RFC 3339, UTC).
    pub ultimo_fallo: String,
    /// Consecutive failures.
    pub fallos: i64,
    /// No delivery is tried before this (RFC 3339, UTC).
    pub proximo_intento_en: String,
}

/// A daemon job's last run.
#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    /// ingesta | informes | recordatorios | entregas.
    pub nombre: String,
    /// When (RFC 3339, UTC).
    pub ultima_ejecucion: String,
    /// What it did, in a line.
    pub resultado: String,
}

/// Rows of one dataset dated within an interval.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    /// The dataset.
    pub dataset: &'a Dataset,
    /// Its dating field (a date or a year-month).
    pub date_field: &'a str,
    /// First day, inclusive; `None` for no lower bound.
    pub from: Option<chrono::NaiveDate>,
    /// Last day, inclusive.
    pub to: chrono::NaiveDate,
    /// Each item's latest snapshot dated on or before `to`, from the current rows and the
    /// history (snapshot datasets only).
    pub as_of: bool,
    /// In export order (file, sheet, row); unordered is faster.
    pub ordered: bool,
    /// Which fields to read, by index (`None`: all); the others come back null.
    pub wanted: Option<&'a [bool]>,
}

/// A stored row, typed by its dataset's fields.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// Field values in definition order.
    pub values: Vec<crate::standard::Value>,
    /// Organismo.
    pub organismo: String,
    /// Source file.
    pub archivo: String,
    /// Sheet (empty for CSV).
    pub hoja: String,
    /// Row number as the sheet shows it.
    pub fila: i64,
    /// The file version it came from.
    pub version_id: i64,
}

/// One version of a file, for a report's annex and data-quality section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// Version id.
    pub id: i64,
    /// Organismo.
    pub organismo: String,
    /// File.
    pub archivo: String,
    /// When it was received (RFC 3339).
    pub recibido_en: String,
    /// Content hash.
    pub sha256: String,
    /// leido | ilegible.
    pub resultado: String,
    /// Rows accepted.
    pub filas_aceptadas: i64,
    /// Rows rejected.
    pub filas_rechazadas: i64,
}

/// A rejected row's problem, for a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// Organismo.
    pub organismo: String,
    /// File.
    pub archivo: String,
    /// Sheet.
    pub hoja: String,
    /// Row.
    pub fila: i64,
    /// Column letters.
    pub columna: String,
    /// Field.
    pub campo: String,
    /// Error code.
    pub codigo: String,
    /// The value as written.
    pub valor: String,
    /// Why, in the clerk's language.
    pub mensaje: String,
}

/// Export failures: the store, or the output (a closed pipe).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing failed.
    #[error("no se pudo escribir la salida: {0}")]
    Output(#[from] std::io::Error),
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        ExportError::Store(StoreError::Database(e))
    }
}
