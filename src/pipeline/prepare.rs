//! One file read and standardised, apart from the store: the journal line before it, the
//! child that reads a suspect, the reasons a version is rejected whole, the file report, and
//! `participa validate` of one file.

use super::*;

/// What the workers share to read files: the journal of readings and the one child at a time
/// that reads a suspect.
pub(super) struct ReadCtx<'a> {
    pub(super) source: &'a str,
    /// Where the files come from.
    pub(super) from: &'a dyn Source,
    pub(super) journal: &'a Journal,
    pub(super) child: &'a Mutex<()>,
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
pub(super) enum Prepared {
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
pub(super) fn prepare(
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
    // The bytes as a local file: the folder's file itself, or a download checked against its
    // listing (a truncated or changed one never gets here).
    let opened = match ctx.from.open(&found, limits.max_file_bytes) {
        Ok(opened) => opened,
        Err(OpenError::TooLarge { size, max, sha256 }) => {
            let outcome = Err(Unreadable::Read(ReadError::TooLarge { size, max }));
            let report = report_json(&outcome);
            return Prepared::Version {
                found,
                sha256,
                outcome,
                report,
            };
        }
        Err(OpenError::Changed) => {
            info!("el archivo cambió desde que se listó: se está copiando; se leerá en la próxima pasada");
            return Prepared::InProgress { found };
        }
        Err(OpenError::Failed(message)) => {
            warn!(
                "no se pudo obtener el archivo de la fuente: {}; se reintentará en la próxima pasada",
                printable(&message)
            );
            return Prepared::DiskError { found, message };
        }
    };
    let path = opened.path();
    let (sha256, outcome) = match std::fs::read(path) {
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
                            reading::read_in_child(path, &found.extension, limits)
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
                                return Prepared::DiskError {
                                    found,
                                    message: format!("no se pudo leer aparte (se leía cuando el proceso se detuvo): {e}"),
                                };
                            }
                        }
                    } else {
                        ctx.journal.began(&reading);
                        reading::read_sheets(&bytes, &found.extension, limits, path)
                            .map_err(Unreadable::Read)
                    };
                    let outcome = sheets.and_then(|sheets| {
                        let file_ctx =
                            file_context(config, Some(organismo), &found.relative, found.mtime_ns);
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
    };
    // A file that changed while it was read is still being copied.
    if !ctx.from.still_as_listed(&found) {
        return Prepared::InProgress { found };
    }
    let report = report_json(&outcome);
    Prepared::Version {
        found,
        sha256,
        outcome,
        report,
    }
}

pub(super) fn systime_ns(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
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
