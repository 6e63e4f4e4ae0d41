//! The pipeline: the one module that wires the stages together. One ingest pass lists each
//! source, skips what did not change, reads and standardises the rest in parallel, and writes
//! each file's result in its own transaction.
//!
//! Files are written in a fixed order — earlier-modified first, then by path — whatever order
//! the workers finish in: a row an organismo sent in two files is kept in the file written
//! first and rejected as a copy in the other, so that order must not depend on thread timing.
//! Workers take files in that order and run at most a few files ahead of the writer, so the
//! results waiting for their turn stay few.
//!
//! A source that cannot be listed, or lists nothing, retracts nothing; a folder of it that
//! cannot be listed is reported and its stored files are neither read nor marked missing, while
//! the rest of the source is read as usual. Symbolic links that are not followed are listed in
//! the summary, one line each.
//!
//! Settled means unchanged: a new or changed file is read only when two listings at least
//! `settle_seconds` apart give it the same size and modification time ([`Sightings`]); a pass
//! that sees one for the first time waits and lists again. A file cannot crash the service:
//! reading each file is recorded first ([`reading`]), and the next pass after a crash judges the
//! files that were in flight apart, in a child process.
//!
//! Stages stay ignorant of each other: `ingest` knows nothing of the standard's rules, `standard`
//! nothing of files or SQL, `store` nothing of spreadsheets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{error, info, info_span, warn};

pub mod daemon;
pub mod reading;
pub mod report;

use crate::config::Config;
use crate::ingest::{self, FoundFile, Limits, ReadError, ScanOptions, SourceScan};
use crate::names::{escape_os, printable};
use crate::standard::{process_file, FileContext, FileResult, Standard};
use crate::store::{
    Busy, Holder, KnownFile, Original, Outcome, Repeat, SqliteStore, Store, StoreError, Submission,
};
use reading::{ChildRead, Journal, Reading, CRASHED};

/// Errors that stop a pass (a bad file never does).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store failed; the pass stops, files written so far stay written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The worker pool could not start.
    #[error("no se pudo crear el grupo de hilos: {0}")]
    Threads(String),
}

/// Deletes the temporary files that crashed writes left in participa's output folders (the
/// report's, the published folder, the mail outbox), once stale (see [`crate::leftovers`]):
/// `ingest`, `report` and `run` call it first. Returns how many it removed or put back.
pub fn sweep_leftovers(config: &Config) -> usize {
    let now = SystemTime::now();
    let outbox = crate::deliver::Outbox::new(config.resolve(&config.settings.correo.dir_salida));
    report::sweep_leftovers(config, now) + outbox.sweep_leftovers(now)
}

/// Opens the configured store and brings its schema up to date, to read it.
pub fn open_store(config: &Config) -> Result<SqliteStore, StoreError> {
    let path = config.resolve(&config.settings.store.sqlite_path);
    let mut store = SqliteStore::open(&path)?;
    store.migrate(&config.standard.datasets)?;
    Ok(store)
}

/// A command about to write the store: who it is, and how long it waits for another writer.
pub struct Writer<'w> {
    /// The command as the lock names it to other processes (`participa ingest`).
    pub command: String,
    /// How long it waits while another process writes the store; zero refuses at once.
    pub wait: std::time::Duration,
    /// Told once, with who holds the store, when the wait starts.
    pub waiting: &'w mut dyn FnMut(&Busy),
}

/// Opens the configured store as its only writer: takes its writer lock (waiting as `writer`
/// says) before anything else, schema upgrades included, and keeps it while the store is open.
pub fn open_store_to_write(config: &Config, writer: Writer<'_>) -> Result<SqliteStore, StoreError> {
    let path = config.resolve(&config.settings.store.sqlite_path);
    let mut store = SqliteStore::open(&path)?;
    store.lock_writer(
        &Holder::this_process(&writer.command),
        writer.wait,
        writer.waiting,
    )?;
    store.migrate(&config.standard.datasets)?;
    Ok(store)
}

/// What happened to one file in a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// First time seen.
    Nuevo,
    /// Content changed: a re-submission.
    Cambiado,
    /// Same content as before (not read again).
    SinCambios,
    /// Could not be read; the message says why.
    Ilegible(String),
    /// Being copied; left for the next pass.
    EnCopia,
    /// Gone from the source; its rows stay.
    Ausente,
    /// Could not be read from disk this pass; nothing recorded, tried again next pass.
    ErrorDeLectura(String),
    /// A symbolic link that is not followed (the message says why); nothing read.
    EnlaceNoSeguido(String),
}

/// A folder (or entry) of a source that could not be listed this pass: its files were not
/// read, and those already stored keep their rows (they are not marked missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderLine {
    /// Source name.
    pub fuente: String,
    /// Path relative to the source root.
    pub ruta: String,
    /// Why it could not be listed.
    pub motivo: String,
}

/// One file's line in the pass summary.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    /// Source name.
    pub fuente: String,
    /// Relative path.
    pub ruta: String,
    /// What happened.
    pub estado: FileStatus,
    /// Rows accepted.
    pub filas_aceptadas: usize,
    /// Rows rejected.
    pub filas_rechazadas: usize,
    /// Rows of this file rejected because another file of the organismo already had them, by
    /// that file (included in `filas_rechazadas`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repite: Vec<Repeat>,
    /// Rows of other files that repeated this file's previous version, are no longer in it,
    /// and count again in their own file, by that file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recuperadas: Vec<Repeat>,
}

impl FileLine {
    /// A file considered but not read this pass (unchanged, being copied, gone…).
    fn unread(fuente: &str, ruta: String, estado: FileStatus) -> FileLine {
        FileLine {
            fuente: fuente.to_string(),
            ruta,
            estado,
            filas_aceptadas: 0,
            filas_rechazadas: 0,
            repite: Vec::new(),
            recuperadas: Vec::new(),
        }
    }
}

/// The summary of one pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// Files seen for the first time.
    pub archivos_nuevos: usize,
    /// Re-submissions.
    pub archivos_cambiados: usize,
    /// Unchanged files.
    pub archivos_sin_cambios: usize,
    /// Files rejected whole.
    pub archivos_rechazados: usize,
    /// Files gone from their source.
    pub archivos_ausentes: usize,
    /// Files still being copied.
    pub archivos_en_copia: usize,
    /// Files that could not be read from disk this pass (tried again next pass).
    pub errores_de_lectura: usize,
    /// Lock, hidden and temporary files skipped.
    pub archivos_ignorados: usize,
    /// Symbolic links not followed (each listed in `archivos`).
    pub enlaces_no_seguidos: usize,
    /// Rows accepted in files read this pass.
    pub filas_aceptadas: usize,
    /// Rows rejected in files read this pass.
    pub filas_rechazadas: usize,
    /// Of those, rows rejected because another file of the same organismo already had them.
    pub filas_repetidas: usize,
    /// Warnings in files read this pass.
    pub advertencias: usize,
    /// Sources that could not be listed or were empty (nothing was retracted).
    pub errores_de_fuente: Vec<String>,
    /// Folders that could not be listed (the rest of their source was read; nothing of them
    /// was retracted).
    pub carpetas_ilegibles: Vec<FolderLine>,
    /// Every file considered.
    pub archivos: Vec<FileLine>,
    /// Files (`fuente/ruta`) whose reading stopped the process in an earlier pass: each such
    /// version is rejected (`unreadable-file`, [`reading::CRASHED`]) and the rest was read.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub detuvieron_el_proceso: Vec<String>,
    /// True when a shutdown request stopped the pass early.
    pub interrumpida: bool,
}

/// What a process remembers of the new and changed files it listed: the size and modification
/// time each had, and since when. A file is read only once it kept both for `settle_seconds`
/// between two listings (settled means unchanged); its first sighting is never read. The
/// daemon keeps one across its passes; a one-shot `ingest` starts empty, and a restart forgets
/// it, which costs one wait, never a half-written read.
#[derive(Debug, Default)]
pub struct Sightings {
    seen: HashMap<(String, String), (u64, i64, Instant)>,
}

impl Sightings {
    /// Notes `f` as listed between `before` and `after`: true when it was seen with the same
    /// size and time in a listing that ended at least `settle` before this one began.
    fn settled(
        &mut self,
        source: &str,
        f: &FoundFile,
        before: Instant,
        after: Instant,
        settle: Duration,
    ) -> bool {
        let key = (source.to_string(), f.relative.clone());
        match self.seen.get(&key) {
            Some((size, mtime, since)) if *size == f.size && *mtime == f.mtime_ns => {
                before.saturating_duration_since(*since) >= settle
            }
            _ => {
                self.seen.insert(key, (f.size, f.mtime_ns, after));
                false
            }
        }
    }

    /// A file was read (or is known): its sighting is not needed any more.
    fn forget(&mut self, source: &str, relative: &str) {
        self.seen
            .remove(&(source.to_string(), relative.to_string()));
    }
}

/// One source as listed for a pass.
struct Listed {
    scan: SourceScan,
    known: HashMap<String, KnownFile>,
    /// Same size and time as the stored version.
    unchanged: Vec<FoundFile>,
    /// New or changed, and unchanged over two listings `settle_seconds` apart: to read.
    ready: Vec<FoundFile>,
    /// New or changed, seen once: listed again after the wait.
    waiting: Vec<FoundFile>,
    /// Still being copied (changed between the listings, or gone meanwhile): next pass.
    in_copy: Vec<String>,
}

/// Sleeps until `deadline`, waking early when `shutdown` is set.
fn sleep_until(deadline: Instant, shutdown: &AtomicBool) {
    loop {
        let now = Instant::now();
        if now >= deadline || shutdown.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// What the workers share to read files: the journal of readings and the one child at a time
/// that reads a suspect.
struct ReadCtx<'a> {
    source: &'a str,
    journal: &'a Journal,
    child: &'a Mutex<()>,
}

/// Progress reporting for one-off commands; the daemon passes [`NoProgress`].
pub trait Progress: Sync {
    /// `total` files will be read.
    fn start(&self, total: usize);
    /// One file is done.
    fn advance(&self, relative: &str);
    /// The pass is over.
    fn finish(&self);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: usize) {}
    fn advance(&self, _: &str) {}
    fn finish(&self) {}
}

/// Why a file version is rejected whole: stored as one `unreadable-file` entry whose message is
/// this text, for the ministry clerk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// The reader refused it (damaged, encrypted, over its budget, too large).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The reader refused it in the child process that read it apart (the child's words).
    #[error("{0}")]
    ReadApart(String),
    /// It lies in the root of the drop folder, outside every organismo's folder.
    #[error("el archivo está suelto en la raíz de la carpeta compartida; muévalo a la carpeta de su organismo")]
    Loose,
    /// Reading it stopped the process, and stopped the child that read it again apart.
    #[error("{}", CRASHED)]
    Crashed,
    /// It was read, but no sheet holds data the standard knows (the standard's words).
    #[error("{0}")]
    NoData(String),
}

/// What reading one changed file produced, before it is written.
enum Prepared {
    /// Content identical to the known version (only size or time changed).
    SameContent { found: FoundFile },
    /// Changed while being read: next pass.
    InProgress { found: FoundFile },
    /// Could not be read from disk (permissions, a share hiccup): reported, tried next pass.
    DiskError { found: FoundFile, message: String },
    /// A new version to write.
    Version {
        found: FoundFile,
        sha256: String,
        outcome: Result<FileResult, Unreadable>,
        report: String,
    },
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn stream_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The day a file was modified on the wall clock of `zone`.
fn mtime_date(mtime_ns: i64, zone: Tz) -> Option<NaiveDate> {
    let utc = DateTime::<Utc>::from_timestamp(mtime_ns.div_euclid(1_000_000_000), 0)?;
    Some(crate::clock::date_in(utc, zone))
}

/// The configured zone; UTC only if it could not be read, which the configuration's check
/// (run before anything) rules out.
pub(crate) fn configured_zone(config: &Config) -> Tz {
    config.settings.programacion.zone().unwrap_or(Tz::UTC)
}

/// The context the standard needs for a file, from configuration.
pub fn file_context(
    config: &Config,
    organismo: Option<&str>,
    relative: &str,
    mtime_ns: i64,
) -> FileContext {
    let pin = config.pin_for(relative);
    let org_programa = organismo
        .and_then(|o| config.settings.organismos.get(o))
        .and_then(|o| o.programa.clone());
    FileContext {
        organismo: organismo.unwrap_or_default().to_string(),
        path: relative.to_string(),
        submitted: mtime_date(mtime_ns, configured_zone(config)),
        pinned_dataset: pin.map(|p| p.dataset.clone()),
        default_programa: pin.and_then(|p| p.programa.clone()).or(org_programa),
        reporting_period: config.settings.reporting_period(),
        column_map: config.column_map(organismo, relative),
    }
}

/// The file report stored with each version: sheets, ignored columns, dropped personal columns
/// (headers only) and whole-file or whole-sheet problems.
fn report_json(outcome: &Result<FileResult, Unreadable>) -> String {
    let value = match outcome {
        Ok(result) => {
            let problemas: Vec<String> = result
                .issues
                .iter()
                .filter(|i| i.row.is_none() && i.is_error())
                .map(|i| format!("{}: {}", i.place(), i.message))
                .collect();
            serde_json::json!({
                "hojas": result.sheets,
                "columnas_personales_descartadas": result.personal_columns(),
                "problemas": problemas,
            })
        }
        Err(why) => serde_json::json!({ "problemas": [why.to_string()] }),
    };
    value.to_string()
}

/// Reads and standardises one file. Pure with respect to the store; safe to run in parallel.
///
/// Reading begins with a line in the journal ([`reading`]); a `suspect` (a file being read when
/// an earlier process died) is read alone in a child process instead, and rejected if the child
/// dies too.
#[allow(clippy::too_many_arguments)] // the pass's state, passed down rather than bundled for one call
fn prepare(
    config: &Config,
    standard: &Standard,
    limits: &Limits,
    known: Option<&KnownFile>,
    found: FoundFile,
    run: &tracing::Span,
    ctx: &ReadCtx<'_>,
    suspect: bool,
) -> Prepared {
    // Worker threads do not inherit the pass's span; name it as the parent explicitly.
    let _span = info_span!(parent: run, "archivo", ruta = %found.relative).entered();
    let disk_error = |found: FoundFile, e: std::io::Error| {
        warn!("no se pudo leer el archivo del disco: {e}; se reintentará en la próxima pasada");
        Prepared::DiskError {
            found,
            message: ReadError::Io(e.to_string()).to_string(),
        }
    };
    let (sha256, outcome) = if found.size > limits.max_file_bytes {
        // Hash without holding the file in memory; the content is not read.
        match stream_sha256(&found.path) {
            Ok(sha) => (
                sha,
                Err(Unreadable::Read(ReadError::TooLarge {
                    size: found.size,
                    max: limits.max_file_bytes,
                })),
            ),
            Err(e) => return disk_error(found, e),
        }
    } else {
        match std::fs::read(&found.path) {
            Ok(bytes) => {
                let sha = hex_sha256(&bytes);
                if known.is_some_and(|k| k.sha256 == sha) {
                    return Prepared::SameContent { found };
                }
                let outcome = match found.organismo.as_deref() {
                    None => Err(Unreadable::Loose),
                    Some(organismo) => {
                        let reading = Reading {
                            fuente: ctx.source.to_string(),
                            ruta: found.relative.clone(),
                            tam: found.size,
                            mtime: found.mtime_ns,
                        };
                        let sheets = if suspect {
                            let judged = {
                                let _one_at_a_time = ctx
                                    .child
                                    .lock()
                                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                                reading::read_in_child(&found.path, &found.extension, limits)
                            };
                            match judged {
                                ChildRead::Read(r) => {
                                    info!("leído de nuevo aparte: no fue este archivo el que detuvo el proceso");
                                    r
                                }
                                ChildRead::Died(how) => {
                                    error!("{CRASHED}: la pasada anterior se detuvo mientras lo leía y, leído de nuevo aparte, el lector {how}; se rechaza esta versión y se sigue con los demás");
                                    Err(Unreadable::Crashed)
                                }
                                ChildRead::NotRun(e) => {
                                    warn!("no se pudo leer aparte este archivo, que se estaba leyendo cuando el proceso se detuvo: {e}; se reintentará en la próxima pasada");
                                    return Prepared::DiskError { found, message: format!("no se pudo leer aparte (se leía cuando el proceso se detuvo): {e}") };
                                }
                            }
                        } else {
                            ctx.journal.began(&reading);
                            reading::read_sheets(&bytes, &found.extension, limits, &found.path)
                                .map_err(Unreadable::Read)
                        };
                        let outcome = sheets.and_then(|sheets| {
                            let file_ctx = file_context(
                                config,
                                Some(organismo),
                                &found.relative,
                                found.mtime_ns,
                            );
                            let result = process_file(standard, &file_ctx, &sheets);
                            match result.no_data_reason(standard) {
                                Some(reason) => Err(Unreadable::NoData(reason)),
                                None => Ok(result),
                            }
                        });
                        ctx.journal.ended(&reading);
                        outcome
                    }
                };
                (sha, outcome)
            }
            Err(e) => return disk_error(found, e),
        }
    };
    // A file that changed while it was read is still being copied.
    match std::fs::metadata(&found.path) {
        Ok(meta)
            if meta.len() == found.size
                && meta.modified().ok().map(systime_ns) == Some(found.mtime_ns) => {}
        _ => return Prepared::InProgress { found },
    }
    let report = report_json(&outcome);
    Prepared::Version {
        found,
        sha256,
        outcome,
        report,
    }
}

fn systime_ns(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The clerk's message for a row that repeats `o`, from the messages of the standard: the
/// other file named as the organismo knows it (inside its folder).
pub fn copy_message(standard: &Standard, o: &Original) -> String {
    let archivo = o
        .archivo
        .strip_prefix(o.organismo.as_str())
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(&o.archivo);
    let fila = o.fila.to_string();
    if o.hoja.is_empty() {
        standard.messages.render(
            "duplicate-row.other_file_no_sheet",
            &[("fila_previa", &fila), ("archivo_previo", archivo)],
        )
    } else {
        standard.messages.render(
            "duplicate-row.other_file",
            &[
                ("fila_previa", &fila),
                ("hoja_previa", &o.hoja),
                ("archivo_previo", archivo),
            ],
        )
    }
}

/// Hands files out to the workers in writing order, at most `window` ahead of the next one to
/// write, so results wait for their turn in bounded number.
struct Gate {
    state: Mutex<GateState>,
    turn: Condvar,
    window: usize,
    total: usize,
}

struct GateState {
    next: usize,
    written: usize,
    closed: bool,
}

impl Gate {
    fn new(total: usize, window: usize) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                next: 0,
                written: 0,
                closed: false,
            }),
            turn: Condvar::new(),
            window: window.max(1),
            total,
        }
    }

    /// The next file to read, when the writer is close enough; `None` when there is none left or
    /// the pass stopped.
    fn take(&self) -> Option<usize> {
        let mut state = self.state.lock().ok()?;
        loop {
            if state.closed || state.next >= self.total {
                return None;
            }
            if state.next < state.written + self.window {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self.turn.wait(state).ok()?;
        }
    }

    /// `n` files are written.
    fn written(&self, n: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.written = n;
        }
        self.turn.notify_all();
    }

    /// No more files are handed out.
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closed = true;
        }
        self.turn.notify_all();
    }
}

/// Closes the gate when dropped by a panicking thread.
struct CloseOnPanic<'a>(&'a Gate);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// One ingest pass over every configured source, with no memory of earlier listings (see
/// [`ingest_with`]).
pub fn ingest(
    config: &Config,
    store: &mut dyn Store,
    progress: &dyn Progress,
    now: SystemTime,
    shutdown: &AtomicBool,
) -> Result<IngestSummary, PipelineError> {
    ingest_with(
        config,
        store,
        progress,
        now,
        shutdown,
        &mut Sightings::default(),
    )
}

/// One ingest pass over every configured source.
///
/// Settled means unchanged: every source is listed; a new or changed file is read only when
/// `sightings` saw it with the same size and time at least `settle_seconds` earlier. When any
/// is not, the pass waits until `settle_seconds` have passed since that listing and lists
/// again; a file unchanged between the two is read, one that changed is still being copied
/// (next pass). `now` is the pass's time as recorded; `shutdown`, when set, ends the wait and
/// stops the pass after the file being written (the rest is picked up next time).
pub fn ingest_with(
    config: &Config,
    store: &mut dyn Store,
    progress: &dyn Progress,
    now: SystemTime,
    shutdown: &AtomicBool,
    sightings: &mut Sightings,
) -> Result<IngestSummary, PipelineError> {
    let at = rfc3339(now);
    let run_id = store.start_run(&at)?;
    let span = info_span!("ingesta", corrida = run_id);
    let _entered = span.enter();
    let settings = &config.settings;
    let limits = settings.limits();
    let threads = if settings.ingest.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        settings.ingest.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PipelineError::Threads(e.to_string()))?;
    let mut summary = IngestSummary::default();
    let datasets = &config.standard.datasets;
    let settle = Duration::from_secs(settings.ingest.settle_seconds);

    // What the last process was reading when it died (see `reading`).
    let (journal, suspects) = Journal::open(&reading::journal_path(
        &config.resolve(&settings.store.sqlite_path),
    ));
    if !suspects.is_empty() {
        let names: Vec<String> = suspects
            .iter()
            .map(|r| printable(&format!("{}/{}", r.fuente, r.ruta)).into_owned())
            .collect();
        error!(archivos = %names.join(", "), "la pasada anterior se detuvo mientras leía estos archivos: se leen de nuevo de a uno, aparte, y se rechaza el que la detuvo");
    }
    let mut suspects: HashSet<Reading> = suspects.into_iter().collect();
    let child = Mutex::new(());

    // First listing of every source.
    let mut listed: Vec<Listed> = Vec::new();
    for source in &settings.sources {
        let root = config.resolve(&source.path);
        let before = Instant::now();
        let scan = ingest::scan_folder(
            &root,
            &ScanOptions {
                follow_links: source.seguir_enlaces,
            },
        );
        let after = Instant::now();
        let known: HashMap<String, KnownFile> = if scan.error.is_none() {
            store
                .known_files(&source.name)?
                .into_iter()
                .map(|k| (k.relative.clone(), k))
                .collect()
        } else {
            HashMap::new()
        };
        let mut l = Listed {
            scan: SourceScan::default(),
            known,
            unchanged: Vec::new(),
            ready: Vec::new(),
            waiting: Vec::new(),
            in_copy: Vec::new(),
        };
        for found in &scan.files {
            match l.known.get(&found.relative) {
                Some(k) if k.size == found.size && k.mtime_ns == found.mtime_ns => {
                    sightings.forget(&source.name, &found.relative);
                    l.unchanged.push(found.clone());
                }
                _ if sightings.settled(&source.name, found, before, after, settle) => {
                    l.ready.push(found.clone())
                }
                _ => l.waiting.push(found.clone()),
            }
        }
        l.scan = scan;
        listed.push(l);
    }
    // Second listing, of the sources with a file seen for the first time or changed.
    let waiting: usize = listed.iter().map(|l| l.waiting.len()).sum();
    if waiting > 0 {
        info!(
            archivos = waiting,
            espera_segundos = settle.as_secs(),
            "archivos nuevos o cambiados desde la última lista: se espera y se vuelve a listar; solo se leen los que no cambien"
        );
        sleep_until(Instant::now() + settle, shutdown);
        for (source, l) in settings.sources.iter().zip(listed.iter_mut()) {
            if l.waiting.is_empty() {
                continue;
            }
            let waited = std::mem::take(&mut l.waiting);
            if shutdown.load(Ordering::Relaxed) {
                l.in_copy.extend(waited.into_iter().map(|f| f.relative));
                continue;
            }
            let before = Instant::now();
            let again = ingest::scan_folder(
                &config.resolve(&source.path),
                &ScanOptions {
                    follow_links: source.seguir_enlaces,
                },
            );
            let after = Instant::now();
            let now_listed: HashMap<&str, &FoundFile> = again
                .files
                .iter()
                .map(|f| (f.relative.as_str(), f))
                .collect();
            for w in waited {
                match now_listed.get(w.relative.as_str()) {
                    Some(f) if sightings.settled(&source.name, f, before, after, settle) => {
                        l.ready.push((*f).clone())
                    }
                    _ => {
                        info!(ruta = %w.relative, "el archivo cambió entre las dos listas: se está copiando; se leerá en la próxima pasada");
                        l.in_copy.push(w.relative);
                    }
                }
            }
        }
    }

    for (source, l) in settings.sources.iter().zip(listed) {
        let Listed {
            scan,
            known,
            unchanged,
            ready,
            in_copy,
            ..
        } = l;
        let fuente = printable(&source.name);
        summary.archivos_ignorados += scan.ignored.len();
        for relative in &in_copy {
            summary.archivos_en_copia += 1;
            summary.archivos.push(FileLine::unread(
                &source.name,
                relative.clone(),
                FileStatus::EnCopia,
            ));
        }
        for link in &scan.links {
            info!(fuente = %fuente, ruta = %link.relative, "{}", link.reason);
            summary.enlaces_no_seguidos += 1;
            summary.archivos.push(FileLine::unread(
                &source.name,
                link.relative.clone(),
                FileStatus::EnlaceNoSeguido(link.reason.to_string()),
            ));
        }
        for folder in &scan.unreadable {
            warn!(fuente = %fuente, ruta = %folder.relative, "{}; sus archivos conservan sus filas y se reintentará en la próxima pasada", printable(&folder.problem.to_string()));
            summary.carpetas_ilegibles.push(FolderLine {
                fuente: source.name.clone(),
                ruta: folder.relative.clone(),
                motivo: folder.problem.to_string(),
            });
        }
        if let Some(error) = &scan.error {
            warn!(fuente = %fuente, "{}", printable(&error.to_string()));
            summary
                .errores_de_fuente
                .push(format!("{}: {error}", source.name));
            continue;
        }
        let mut back = Vec::new();
        for found in &unchanged {
            if known
                .get(&found.relative)
                .is_some_and(|k| k.estado != "presente")
            {
                back.push(found.relative.clone());
            }
            summary.archivos_sin_cambios += 1;
            summary.archivos.push(FileLine::unread(
                &source.name,
                found.relative.clone(),
                FileStatus::SinCambios,
            ));
        }
        let mut to_read = ready;
        store.mark_present(&source.name, &back, &at)?;

        // Gone files are reported; their rows stay until someone retracts them on purpose. A
        // file under a folder that could not be listed is not known to be gone.
        let present: HashSet<&str> = scan.files.iter().map(|f| f.relative.as_str()).collect();
        let gone: Vec<String> = known
            .values()
            .filter(|k| {
                k.estado == "presente"
                    && !present.contains(k.relative.as_str())
                    && !scan.is_unknown(&k.relative)
            })
            .map(|k| k.relative.clone())
            .collect();
        if !gone.is_empty() {
            store.mark_missing(&source.name, &gone, &at)?;
            for relative in gone {
                warn!(ruta = %printable(&relative), "archivo ausente: sus filas se conservan");
                summary.archivos_ausentes += 1;
                summary.archivos.push(FileLine::unread(
                    &source.name,
                    relative,
                    FileStatus::Ausente,
                ));
            }
        }

        // Writing order: earlier-modified first, then by path (see the module's docs).
        to_read.sort_by(|a, b| (a.mtime_ns, &a.relative).cmp(&(b.mtime_ns, &b.relative)));
        for f in &to_read {
            sightings.forget(&source.name, &f.relative);
        }
        // Suspects of this source: read apart when their version is to be read; a version no
        // longer listed is gone, and so is the suspicion.
        let reading_of = |f: &FoundFile| Reading {
            fuente: source.name.clone(),
            ruta: f.relative.clone(),
            tam: f.size,
            mtime: f.mtime_ns,
        };
        let suspect: Vec<bool> = to_read
            .iter()
            .map(|f| suspects.remove(&reading_of(f)))
            .collect();
        let listed_now: HashSet<Reading> = scan.files.iter().map(reading_of).collect();
        suspects.retain(|r| {
            let gone = r.fuente == source.name && !listed_now.contains(r);
            if gone {
                journal.ended(r);
            }
            !gone
        });
        let read_ctx = ReadCtx {
            source: &source.name,
            journal: &journal,
            child: &child,
        };
        let (read_ctx, suspect) = (&read_ctx, &suspect);
        progress.start(to_read.len());
        let gate = Gate::new(to_read.len(), threads * 2);
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Prepared)>();
        let standard = &config.standard;
        let wording = |o: &Original| copy_message(standard, o);
        let known_ref = &known;
        let pool = &pool;
        let run_span = &span;
        let (gate_ref, files) = (&gate, &to_read);
        let mut next = 0;
        let outcome: Result<(), PipelineError> = std::thread::scope(|scope| {
            scope.spawn(move || {
                pool.scope(|s| {
                    for _ in 0..threads {
                        let tx = tx.clone();
                        s.spawn(move |_| {
                            // A worker that panics closes the gate, so the others stop instead
                            // of waiting for a file that will never be written; the panic then
                            // reaches the caller.
                            let _guard = CloseOnPanic(gate_ref);
                            while let Some(i) = gate_ref.take() {
                                if shutdown.load(Ordering::Relaxed) {
                                    return;
                                }
                                let Some(found) = files.get(i).cloned() else {
                                    return;
                                };
                                let k = known_ref.get(&found.relative);
                                // A closed receiver means the writer stopped; nothing more to do.
                                let is_suspect = suspect.get(i).copied().unwrap_or(false);
                                if tx
                                    .send((
                                        i,
                                        prepare(
                                            config, standard, &limits, k, found, run_span,
                                            read_ctx, is_suspect,
                                        ),
                                    ))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                        });
                    }
                });
            });
            let mut waiting: BTreeMap<usize, Prepared> = BTreeMap::new();
            let written = (|| -> Result<(), PipelineError> {
                for (i, prepared) in &rx {
                    if shutdown.load(Ordering::Relaxed) {
                        summary.interrumpida = true;
                        return Ok(());
                    }
                    waiting.insert(i, prepared);
                    while let Some(prepared) = waiting.remove(&next) {
                        write_prepared(
                            store,
                            datasets,
                            &source.name,
                            &at,
                            known_ref,
                            prepared,
                            &wording,
                            &mut summary,
                            progress,
                        )?;
                        next += 1;
                        gate_ref.written(next);
                    }
                }
                Ok(())
            })();
            // Workers waiting for their turn must not wait for a writer that stopped.
            gate_ref.close();
            drop(rx);
            written
        });
        if shutdown.load(Ordering::Relaxed) && next < to_read.len() {
            summary.interrumpida = true;
        }
        progress.finish();
        outcome?;
        if summary.interrumpida {
            break;
        }
    }
    summary
        .archivos
        .sort_by(|a, b| (&a.fuente, &a.ruta).cmp(&(&b.fuente, &b.ruta)));
    let json = serde_json::to_string(&summary).unwrap_or_default();
    store.finish_run(run_id, &rfc3339(SystemTime::now()), &json)?;
    Ok(summary)
}

/// Writes one file's result (or records why there is none) and adds its line to the summary.
#[allow(clippy::too_many_arguments)] // the pass's state, passed down rather than bundled for one call
fn write_prepared(
    store: &mut dyn Store,
    datasets: &[crate::standard::Dataset],
    source: &str,
    at: &str,
    known: &HashMap<String, KnownFile>,
    prepared: Prepared,
    wording: &dyn Fn(&Original) -> String,
    summary: &mut IngestSummary,
    progress: &dyn Progress,
) -> Result<(), PipelineError> {
    match prepared {
        Prepared::SameContent { found } => {
            store.touch_file(source, &found.relative, found.size, found.mtime_ns, at)?;
            summary.archivos_sin_cambios += 1;
            progress.advance(&found.relative);
            summary.archivos.push(FileLine::unread(
                source,
                found.relative,
                FileStatus::SinCambios,
            ));
        }
        Prepared::InProgress { found } => {
            summary.archivos_en_copia += 1;
            progress.advance(&found.relative);
            summary.archivos.push(FileLine::unread(
                source,
                found.relative,
                FileStatus::EnCopia,
            ));
        }
        Prepared::DiskError { found, message } => {
            summary.errores_de_lectura += 1;
            progress.advance(&found.relative);
            summary.archivos.push(FileLine::unread(
                source,
                found.relative,
                FileStatus::ErrorDeLectura(message),
            ));
        }
        Prepared::Version {
            found,
            sha256,
            outcome,
            report,
        } => {
            let is_new = !known.contains_key(&found.relative);
            let submission = Submission {
                source,
                relative: &found.relative,
                organismo: found.organismo.as_deref(),
                size: found.size,
                mtime_ns: found.mtime_ns,
                sha256: &sha256,
                received_at: at,
                outcome: match &outcome {
                    Ok(r) => Outcome::Read(r),
                    Err(why) => Outcome::Unreadable(why.to_string()),
                },
                report_json: &report,
            };
            let committed = store.commit_file(datasets, &submission, wording)?;
            let estado = match &outcome {
                Ok(r) => {
                    summary.advertencias += r.issues.iter().filter(|i| !i.is_error()).count();
                    if is_new {
                        FileStatus::Nuevo
                    } else {
                        FileStatus::Cambiado
                    }
                }
                Err(why) => {
                    let message = why.to_string();
                    warn!(ruta = %found.relative, "archivo rechazado: {}", printable(&message));
                    if *why == Unreadable::Crashed {
                        summary
                            .detuvieron_el_proceso
                            .push(format!("{source}/{}", found.relative));
                    }
                    summary.archivos_rechazados += 1;
                    FileStatus::Ilegible(message)
                }
            };
            if matches!(estado, FileStatus::Nuevo) {
                summary.archivos_nuevos += 1;
            } else if matches!(estado, FileStatus::Cambiado) {
                summary.archivos_cambiados += 1;
            }
            let repeated: usize = committed.repeats.iter().map(|r| r.filas).sum();
            summary.filas_aceptadas += committed.accepted;
            summary.filas_rechazadas += committed.rejected;
            summary.filas_repetidas += repeated;
            info!(ruta = %found.relative, aceptadas = committed.accepted, rechazadas = committed.rejected, repetidas = repeated, "archivo guardado");
            for r in &committed.restored {
                info!(ruta = %printable(&r.archivo), filas = r.filas, "filas que repetían otro archivo vuelven a contarse");
            }
            progress.advance(&found.relative);
            summary.archivos.push(FileLine {
                fuente: source.to_string(),
                ruta: found.relative,
                estado,
                filas_aceptadas: committed.accepted,
                filas_rechazadas: committed.rejected,
                repite: committed.repeats,
                recuperadas: committed.restored,
            });
        }
    }
    Ok(())
}

/// Reads and checks one file without storing it (`participa validate`).
pub fn validate_file(
    config: Option<&Config>,
    standard: &Standard,
    path: &Path,
) -> Result<FileResult, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let limits = config.map(|c| c.settings.limits()).unwrap_or_default();
    let sheets = ingest::read_bytes(&bytes, &extension, &limits)?;
    let organismo = path.parent().and_then(|p| p.file_name()).map(escape_os);
    let name = path.file_name().map(escape_os).unwrap_or_default();
    let relative = match &organismo {
        Some(o) => format!("{o}/{name}"),
        None => name,
    };
    let mtime = std::fs::metadata(path)
        .ok()
        .and_then(|m| m.modified().ok())
        .map(systime_ns)
        .unwrap_or(0);
    let ctx = match config {
        Some(c) => file_context(c, organismo.as_deref(), &relative, mtime),
        None => FileContext {
            organismo: organismo.unwrap_or_default(),
            path: relative,
            // Outside a working folder, the zone a new one is configured with.
            submitted: mtime_date(
                mtime,
                crate::schedule::ScheduleConfig::default()
                    .zone()
                    .unwrap_or(Tz::UTC),
            ),
            ..FileContext::default()
        },
    };
    Ok(process_file(standard, &ctx, &sheets))
}

#[cfg(test)]
mod gate_tests {
    use super::Gate;

    #[test]
    fn the_gate_hands_files_out_in_order_never_too_far_ahead_of_the_writer() {
        let gate = Gate::new(5, 2);
        assert_eq!((gate.take(), gate.take()), (Some(0), Some(1)));
        std::thread::scope(|s| {
            // A third file would be two ahead of the writer: it waits until one is written.
            let waiting = s.spawn(|| gate.take());
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiting.is_finished());
            gate.written(1);
            assert_eq!(waiting.join().ok().flatten(), Some(2));
        });
        std::thread::scope(|s| {
            // A writer that stops releases the workers waiting for their turn.
            let waiting = s.spawn(|| gate.take());
            gate.close();
            assert_eq!(waiting.join().ok().flatten(), None);
        });
        assert_eq!(gate.take(), None);
    }
}
