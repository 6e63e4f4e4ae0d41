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
//!
//! Here: opening the store, and the pass (listing, reading in parallel, writing in order).
//! Beside it: `settle` (sightings), `prepare` (one file read and standardised), `gate` (workers
//! a few files ahead of the writer), `summary` (what a pass tells), [`reading`] (the journal
//! and the child), [`report`] (a report's run), [`daemon`] (the service).

use std::collections::{BTreeMap, HashMap, HashSet};
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
pub mod fuentes;
mod gate;
mod prepare;
pub mod reading;
pub mod report;
mod settle;
mod summary;

use crate::config::Config;
use crate::ingest::{self, FoundFile, Known, Limits, OpenError, ReadError, Source, SourceScan};
use crate::names::{escape_os, printable};
use crate::standard::{process_file, FileContext, FileResult, Standard};
use crate::store::{
    Busy, Holder, KnownFile, Original, Outcome, Repeat, SqliteStore, Store, StoreError, Submission,
};
use gate::{CloseOnPanic, Gate};
pub(crate) use prepare::configured_zone;
pub use prepare::{file_context, validate_file, Unreadable};
use prepare::{prepare, Prepared, ReadCtx};
use reading::{ChildRead, Journal, Reading, CRASHED};
pub use settle::Sightings;
use settle::{hints, sleep_until, Listed};
pub use summary::{FileLine, FileStatus, FolderLine, IngestSummary};

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
    report::sweep_leftovers(config, now)
        + outbox.sweep_leftovers(now)
        + ingest::source::sweep(&downloads(config), now)
}

/// Where network sources put the files they download to be read (beside the store).
pub fn downloads(config: &Config) -> ingest::source::Downloads {
    ingest::source::Downloads::beside(&config.resolve(&config.settings.store.sqlite_path))
}

/// The configured sources, made for one pass (a network source reads its secret and CA file
/// again each time, so a fixed one is used at the next pass).
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    let downloads = downloads(config);
    let max = config.settings.ingest.max_file_bytes;
    config
        .settings
        .sources
        .iter()
        .map(|s| ingest::source::build(s, &config.base, &downloads, max))
        .collect()
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

    // First listing of every source. What the store knows of each goes with it: a network
    // source asks its server for an entry only if it changed since.
    let sources = sources(config);
    let mut listed: Vec<Listed> = Vec::new();
    for source in &sources {
        let known: HashMap<String, KnownFile> = store
            .known_files(source.name())?
            .into_iter()
            .map(|k| (k.relative.clone(), k))
            .collect();
        let hints = hints(&known);
        let before = Instant::now();
        let scan = source.list(&hints);
        let after = Instant::now();
        info!(fuente = %printable(source.name()), archivos = scan.files.len(), pedidos = scan.requests, "fuente listada");
        let mut l = Listed {
            scan: SourceScan::default(),
            hints,
            known,
            unchanged: Vec::new(),
            ready: Vec::new(),
            waiting: Vec::new(),
            in_copy: Vec::new(),
        };
        for found in &scan.files {
            match l.known.get(&found.relative) {
                Some(k) if k.size == found.size && k.mtime_ns == found.mtime_ns => {
                    sightings.forget(source.name(), &found.relative);
                    l.unchanged.push(found.clone());
                }
                _ if sightings.settled(source.name(), found, before, after, settle) => {
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
        for (source, l) in sources.iter().zip(listed.iter_mut()) {
            if l.waiting.is_empty() {
                continue;
            }
            let waited = std::mem::take(&mut l.waiting);
            if shutdown.load(Ordering::Relaxed) {
                l.in_copy.extend(waited.into_iter().map(|f| f.relative));
                continue;
            }
            let before = Instant::now();
            let again = source.list(&l.hints);
            let after = Instant::now();
            if let Some(error) = again.error {
                // The source failed between the two listings (a server that went down, a share
                // unmounted): an error of the source, as if the first had failed — nothing read,
                // nothing marked missing or present; the waiting files are seen next pass.
                l.scan.error = Some(error);
                continue;
            }
            let now_listed: HashMap<&str, &FoundFile> = again
                .files
                .iter()
                .map(|f| (f.relative.as_str(), f))
                .collect();
            for w in waited {
                match now_listed.get(w.relative.as_str()) {
                    Some(f) if sightings.settled(source.name(), f, before, after, settle) => {
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

    for (source, l) in sources.iter().zip(listed) {
        let source: &dyn Source = source.as_ref();
        let name = source.name().to_string();
        let Listed {
            scan,
            known,
            unchanged,
            ready,
            in_copy,
            ..
        } = l;
        let fuente = printable(&name);
        summary.archivos_ignorados += scan.ignored.len();
        for relative in &in_copy {
            summary.archivos_en_copia += 1;
            summary.archivos.push(FileLine::unread(
                &name,
                relative.clone(),
                FileStatus::BeingCopied,
            ));
        }
        for link in &scan.links {
            info!(fuente = %fuente, ruta = %link.relative, "{}", link.reason);
            summary.enlaces_no_seguidos += 1;
            summary.archivos.push(FileLine::unread(
                &name,
                link.relative.clone(),
                FileStatus::LinkNotFollowed(link.reason.to_string()),
            ));
        }
        for folder in &scan.unreadable {
            warn!(fuente = %fuente, ruta = %folder.relative, "{}; sus archivos conservan sus filas y se reintentará en la próxima pasada", printable(&folder.problem.to_string()));
            summary.carpetas_ilegibles.push(FolderLine {
                fuente: name.clone(),
                ruta: folder.relative.clone(),
                motivo: folder.problem.to_string(),
            });
        }
        if let Some(error) = &scan.error {
            warn!(fuente = %fuente, "{}", printable(&error.to_string()));
            summary.errores_de_fuente.push(format!("{name}: {error}"));
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
                &name,
                found.relative.clone(),
                FileStatus::Unchanged,
            ));
        }
        let mut to_read = ready;
        store.mark_present(&name, &back, &at)?;

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
            store.mark_missing(&name, &gone, &at)?;
            for relative in gone {
                warn!(ruta = %printable(&relative), "archivo ausente: sus filas se conservan");
                summary.archivos_ausentes += 1;
                summary
                    .archivos
                    .push(FileLine::unread(&name, relative, FileStatus::Missing));
            }
        }

        // Writing order: earlier-modified first, then by path (see the module's docs).
        to_read.sort_by(|a, b| (a.mtime_ns, &a.relative).cmp(&(b.mtime_ns, &b.relative)));
        for f in &to_read {
            sightings.forget(&name, &f.relative);
        }
        // Suspects of this source: read apart when their version is to be read; a version no
        // longer listed is gone, and so is the suspicion.
        let reading_of = |f: &FoundFile| Reading {
            fuente: name.clone(),
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
            let gone = r.fuente == name && !listed_now.contains(r);
            if gone {
                journal.ended(r);
            }
            !gone
        });
        let read_ctx = ReadCtx {
            source: &name,
            from: source,
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
                            &name,
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
                FileStatus::Unchanged,
            ));
        }
        Prepared::InProgress { found } => {
            summary.archivos_en_copia += 1;
            progress.advance(&found.relative);
            summary.archivos.push(FileLine::unread(
                source,
                found.relative,
                FileStatus::BeingCopied,
            ));
        }
        Prepared::DiskError { found, message } => {
            summary.errores_de_lectura += 1;
            progress.advance(&found.relative);
            summary.archivos.push(FileLine::unread(
                source,
                found.relative,
                FileStatus::DiskError(message),
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
                        FileStatus::New
                    } else {
                        FileStatus::Changed
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
                    FileStatus::Rejected(message)
                }
            };
            if matches!(estado, FileStatus::New) {
                summary.archivos_nuevos += 1;
            } else if matches!(estado, FileStatus::Changed) {
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
