//! Configuration: the working folder's `participa.toml` (serde structs that refuse unknown
//! keys, checked before anything runs) and loading the standard folder it names.
//!
//! This is the only module that reads configuration files; it must not touch the store or the
//! sources.

pub mod embedded;
mod ingest;
mod sources;

pub use ingest::IngestConfig;
pub use sources::{SourceConfig, SourceKind, UrlConfig};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::indicators::{IndicatorsConfig, Month};
use crate::standard::{Standard, StandardTexts};

/// Why configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("no se pudo leer {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid TOML/JSON for its purpose.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Values that parse but make no sense together.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No configuration was found.
    #[error("no hay participa.toml en {0}: ejecute `participa init DIR` y trabaje dentro de DIR, o indique --config ARCHIVO")]
    NotFound(PathBuf),
}

/// Where the standard datasets are stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The embedded SQLite database file, relative to the configuration's folder.
    pub sqlite_path: PathBuf,
}

/// Where the data standard lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardConfig {
    /// Folder with datasets/, codes/, lexicon.json and mensajes.<language>.json.
    pub dir: PathBuf,
    /// Language of clerk-facing messages.
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "es".to_string()
}

/// Display name and contact of an organismo.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganismoConfig {
    /// Display name.
    pub nombre: Option<String>,
    /// Contact e-mail for feedback (an institutional address, not a person's private one).
    pub email: Option<String>,
    /// Default programme code for its files.
    pub programa: Option<String>,
    /// Column mapping for its files, applied before any inference: header text as written
    /// (compared ignoring case, accents and punctuation) → field name, or `ignorar` to leave
    /// the column unused. `columnas = { "Dispositivo" = "programa" }`.
    #[serde(default)]
    pub columnas: BTreeMap<String, String>,
}

/// Pins files matching a glob to a dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinConfig {
    /// Glob on the path relative to the source root.
    pub pattern: String,
    /// Dataset name.
    pub dataset: String,
    /// Default programme code for the pinned files.
    pub programa: Option<String>,
    /// Column mapping for the pinned files (as in `[organismos.X] columnas`); wins over the
    /// organismo's.
    #[serde(default)]
    pub columnas: BTreeMap<String, String>,
}

/// `participa.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Store settings.
    pub store: StoreConfig,
    /// Standard folder.
    pub standard: StandardConfig,
    /// Drop folders.
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    /// Ingest limits.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Organismos by folder name.
    #[serde(default)]
    pub organismos: BTreeMap<String, OrganismoConfig>,
    /// Dataset pins.
    #[serde(default)]
    pub pins: Vec<PinConfig>,
    /// The monthly report.
    #[serde(default)]
    pub informe: ReportConfig,
    /// Mail: transport, sender, recipients.
    #[serde(default)]
    pub correo: crate::deliver::MailConfig,
    /// The daemon's schedule.
    #[serde(default)]
    pub programacion: crate::schedule::ScheduleConfig,
}

/// `[informe]`: where the report's indicators are declared and where its files go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// The indicators file. A working folder made before reports existed has none: the
    /// shipped indicators apply.
    pub indicadores: PathBuf,
    /// Folder for each report's PDF and XLSX.
    pub dir_salida: PathBuf,
    /// The published folder a web server serves: one subfolder per period and an index.html.
    pub dir_publicacion: PathBuf,
    /// Language of reports when `--lang` is not given: `es` or `en`.
    pub idioma: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            indicadores: PathBuf::from("indicadores.toml"),
            dir_salida: PathBuf::from("informes"),
            dir_publicacion: PathBuf::from("publicacion"),
            idioma: "es".to_string(),
        }
    }
}

/// A loaded, checked configuration with paths resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file.
    pub path: PathBuf,
    /// Its folder: relative paths start here.
    pub base: PathBuf,
    /// The parsed settings.
    pub settings: Settings,
    /// The standard it names.
    pub standard: Standard,
    /// The report's indicators.
    pub indicators: IndicatorsConfig,
    pins: globset::GlobSet,
}

impl Config {
    /// Finds `./participa.toml` or uses `explicit`, parses it, loads its standard and checks both.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let cwd = std::env::current_dir().map_err(|source| ConfigError::Io {
                    path: PathBuf::from("."),
                    source,
                })?;
                let candidate = cwd.join("participa.toml");
                if !candidate.exists() {
                    return Err(ConfigError::NotFound(cwd));
                }
                candidate
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        let settings = Settings::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.clone(),
            message,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let standard_dir = base.join(&settings.standard.dir);
        let standard = load_standard(&standard_dir, &settings.standard.language)?;
        let indicators_path = if settings.informe.indicadores.is_absolute() {
            settings.informe.indicadores.clone()
        } else {
            base.join(&settings.informe.indicadores)
        };
        let indicators_text = if indicators_path.exists() {
            read(&indicators_path)?
        } else {
            embedded::INDICATORS.to_string()
        };
        let indicators =
            IndicatorsConfig::parse(&indicators_text).map_err(|e| ConfigError::Parse {
                path: indicators_path.clone(),
                message: e.to_string(),
            })?;
        indicators
            .check(&standard)
            .map_err(|e| ConfigError::Invalid {
                path: indicators_path,
                message: e.to_string(),
            })?;
        Config::assemble(path, base, settings, standard, indicators)
    }

    /// Checks settings against the standard and compiles the pins.
    pub fn assemble(
        path: PathBuf,
        base: PathBuf,
        settings: Settings,
        standard: Standard,
        indicators: IndicatorsConfig,
    ) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.clone(),
            message,
        };
        settings.check().map_err(invalid)?;
        settings.check_source_paths(&base).map_err(invalid)?;
        check_months(&settings, &indicators).map_err(invalid)?;
        let mut builder = globset::GlobSetBuilder::new();
        for pin in &settings.pins {
            if standard.dataset(&pin.dataset).is_none() {
                return Err(invalid(format!(
                    "pins: dataset «{}» does not exist in the standard",
                    pin.dataset
                )));
            }
            let glob = globset::GlobBuilder::new(&pin.pattern)
                .literal_separator(false)
                .build()
                .map_err(|e| invalid(format!("pins: pattern «{}»: {e}", pin.pattern)))?;
            builder.add(glob);
        }
        let pins = builder.build().map_err(|e| invalid(format!("pins: {e}")))?;
        let check_columns = |key: &str,
                             columns: &BTreeMap<String, String>|
         -> Result<(), ConfigError> {
            for (header, field) in columns {
                let known = field == crate::standard::header::MAPPING_IGNORE
                    || standard
                        .datasets
                        .iter()
                        .any(|d| d.field_index(field).is_some());
                if !known {
                    let fields: std::collections::BTreeSet<&str> = standard
                        .datasets
                        .iter()
                        .flat_map(|d| d.fields.iter().map(|f| f.name.as_str()))
                        .collect();
                    let list = fields.into_iter().collect::<Vec<_>>().join(", ");
                    return Err(invalid(format!(
                        "{key}.\"{header}\": «{field}» is not a field of the standard (fields: {list}; or «{}» to leave the column unused)",
                        crate::standard::header::MAPPING_IGNORE
                    )));
                }
            }
            Ok(())
        };
        for (i, pin) in settings.pins.iter().enumerate() {
            check_columns(&format!("pins[{i}].columnas"), &pin.columnas)?;
        }
        for (code, org) in &settings.organismos {
            check_columns(&format!("organismos.{code}.columnas"), &org.columnas)?;
            if let Some(p) = &org.programa {
                if !standard
                    .code_lists
                    .get("programas")
                    .is_some_and(|l| l.entries.iter().any(|e| &e.code == p))
                {
                    return Err(invalid(format!(
                        "organismos.{code}.programa: «{p}» is not a programme code"
                    )));
                }
            }
        }
        Ok(Config {
            path,
            base,
            settings,
            standard,
            indicators,
            pins,
        })
    }

    /// The column mapping for a file: its pin's entries first, then its organismo's.
    pub fn column_map(&self, organismo: Option<&str>, relative: &str) -> Vec<(String, String)> {
        let pin = self.pin_for(relative).map(|p| &p.columnas);
        let org = organismo
            .and_then(|o| self.settings.organismos.get(o))
            .map(|o| &o.columnas);
        pin.into_iter()
            .chain(org)
            .flat_map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect()
    }

    /// The first pin matching a relative path.
    pub fn pin_for(&self, relative: &str) -> Option<&PinConfig> {
        self.pins
            .matches(relative)
            .into_iter()
            .min()
            .map(|i| &self.settings.pins[i])
    }

    /// A path from the configuration, resolved against its folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

impl Settings {
    /// Parses `participa.toml` text.
    pub fn parse(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Checks values that parse but make no sense.
    pub fn check(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for s in &self.sources {
            if s.name.trim().is_empty() {
                return Err("sources: a source needs a name".into());
            }
            if !names.insert(&s.name) {
                return Err(format!("sources: the name «{}» is used twice", s.name));
            }
        }
        for (i, s) in self.sources.iter().enumerate() {
            s.check(i)?;
        }
        let ingest = &self.ingest;
        within(
            "ingest.settle_seconds",
            ingest.settle_seconds,
            0,
            MAX_SETTLE_SECONDS,
        )?;
        within(
            "ingest.max_file_bytes",
            ingest.max_file_bytes,
            1,
            MAX_FILE_BYTES,
        )?;
        within(
            "ingest.max_unpacked_bytes",
            ingest.max_unpacked_bytes,
            1,
            MAX_UNPACKED_BYTES,
        )?;
        within(
            "ingest.max_cells_per_file",
            ingest.max_cells_per_file,
            1,
            MAX_CELLS_PER_FILE,
        )?;
        within(
            "ingest.max_text_bytes_per_file",
            ingest.max_text_bytes_per_file,
            1,
            MAX_TEXT_BYTES_PER_FILE,
        )?;
        within(
            "ingest.max_columns",
            ingest.max_columns as u64,
            1,
            MAX_COLUMNS,
        )?;
        within(
            "ingest.max_rows_per_sheet",
            ingest.max_rows_per_sheet as u64,
            1,
            MAX_ROWS_PER_SHEET,
        )?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let max_threads = cores.saturating_mul(THREADS_PER_CORE);
        if ingest.threads > max_threads {
            return Err(format!(
                "ingest.threads: {} is more than {THREADS_PER_CORE} × this machine's {cores} cores; the limit is {max_threads} (0 means one thread per core)",
                ingest.threads
            ));
        }
        if let (Some(a), Some(b)) = (
            self.ingest.reporting_period_start,
            self.ingest.reporting_period_end,
        ) {
            if a > b {
                return Err("ingest.reporting_period_start is after reporting_period_end".into());
            }
        }
        if !["es", "en"].contains(&self.informe.idioma.as_str()) {
            return Err(format!(
                "informe.idioma: «{}» — reports are written in «es» or «en»",
                self.informe.idioma
            ));
        }
        if self.standard.language.is_empty()
            || !self
                .standard
                .language
                .chars()
                .all(|c| c.is_ascii_lowercase())
        {
            return Err("standard.language must be a lower-case language code such as «es»".into());
        }
        self.correo.check()?;
        let contacts = self
            .organismos
            .iter()
            .filter_map(|(code, o)| o.email.as_deref().map(|e| (code, e)));
        for (code, email) in contacts {
            self.correo
                .check_recipients(&format!("organismos.{code}.email"), [email])?;
        }
        self.programacion.check()?;
        Ok(())
    }

    /// Checks every source's folder against the working folder `base` (the configuration's
    /// folder): it must be given, must not be or contain the store's folder, and must neither
    /// hold nor lie inside an output folder (reports, the published folder, the mail outbox),
    /// or participa would read its own output. Compared as written (resolved against `base`,
    /// `.` and `..` applied) and, for folders that exist, by their real paths (links resolved).
    pub fn check_source_paths(&self, base: &Path) -> Result<(), String> {
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        let resolve = |p: &Path| lexical(&base.join(p));
        let store_dir = resolve(&self.store.sqlite_path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| base.clone());
        // (key, folder, also wrong when the source lies inside it)
        let outputs = [
            ("store.sqlite_path (the store's folder)", store_dir, false),
            (
                "informe.dir_salida",
                resolve(&self.informe.dir_salida),
                true,
            ),
            (
                "informe.dir_publicacion",
                resolve(&self.informe.dir_publicacion),
                true,
            ),
            ("correo.dir_salida", resolve(&self.correo.dir_salida), true),
        ];
        for (i, source) in self.sources.iter().enumerate() {
            // Only a folder can overlap the working folder; a network source's downloads go
            // beside the store, never into a source.
            let Some(path) = source.path.as_deref() else {
                continue;
            };
            let key = format!(
                "sources[{i}].path (source «{}»)",
                crate::names::printable(&source.name)
            );
            if path.to_str().is_some_and(|p| p.trim().is_empty()) {
                return Err(format!(
                    "{key}: the folder is empty; name the drop folder, e.g. path = \"inbox\""
                ));
            }
            let root = resolve(path);
            let real_root = std::fs::canonicalize(&root).ok();
            for (what, folder, inside_too) in &outputs {
                let real = std::fs::canonicalize(folder).ok();
                let overlaps =
                    |a: &Path, b: &Path| b.starts_with(a) || (*inside_too && a.starts_with(b));
                let clash = overlaps(&root, folder)
                    || matches!((&real_root, &real), (Some(r), Some(f)) if overlaps(r, f));
                if clash {
                    let relation = if *inside_too {
                        "overlaps"
                    } else {
                        "is or contains"
                    };
                    return Err(format!(
                        "{key}: «{}» {relation} the folder of {what} («{}»): participa would read its own files; give the drop folder a place of its own, e.g. path = \"inbox\"",
                        crate::names::printable_path(path),
                        crate::names::printable_path(folder)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The reader limits these settings give.
    pub fn limits(&self) -> crate::ingest::Limits {
        crate::ingest::Limits {
            max_file_bytes: self.ingest.max_file_bytes,
            max_columns: self.ingest.max_columns,
            max_rows: self.ingest.max_rows_per_sheet,
            max_unpacked_bytes: self.ingest.max_unpacked_bytes,
            max_cells_per_file: self.ingest.max_cells_per_file,
            max_text_bytes_per_file: self.ingest.max_text_bytes_per_file,
        }
    }

    /// The reporting period, when both ends are set.
    pub fn reporting_period(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((
            self.ingest.reporting_period_start?,
            self.ingest.reporting_period_end?,
        ))
    }
}

/// `path` with `.` dropped and `..` applied, without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The most reader threads per core `ingest.threads` may ask for.
pub const THREADS_PER_CORE: usize = 4;
/// `ingest.settle_seconds` at most: a day.
pub const MAX_SETTLE_SECONDS: u64 = 86_400;
/// `ingest.max_file_bytes` at most: 1 GiB (a file is read whole into memory).
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// `ingest.max_unpacked_bytes` at most: 4 GiB.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 32;
/// `ingest.max_cells_per_file` at most: a hundred million (3.2 GB of cells in one reader).
pub const MAX_CELLS_PER_FILE: u64 = 100_000_000;
/// `ingest.max_text_bytes_per_file` at most: 4 GiB.
pub const MAX_TEXT_BYTES_PER_FILE: u64 = 1 << 32;
/// `ingest.max_columns` at most: Excel's 16 384 columns.
pub const MAX_COLUMNS: u64 = 16_384;
/// `ingest.max_rows_per_sheet` at most: ten million (a CSV may pass Excel's 1 048 576).
pub const MAX_ROWS_PER_SHEET: u64 = 10_000_000;

/// `key` is between `min` and `max` (inclusive), or a message naming the key and the range.
pub(crate) fn within(key: &str, value: u64, min: u64, max: u64) -> Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{key}: {value} is out of range; it must be between {min} and {max}"
        ))
    }
}

/// Every month configured falls in the years the commitment can be reported on
/// ([`IndicatorsConfig::months_window`]): `[ingest] reporting_period_*` and
/// `[programacion] informes_desde` / `informes_hasta`, which must also be in order.
fn check_months(settings: &Settings, indicators: &IndicatorsConfig) -> Result<(), String> {
    let (first, last) = indicators.months_window()?;
    let outside = |key: &str, shown: String| {
        format!("{key}: {shown} is outside the years of the commitment (compromiso.inicio = {} in indicadores.toml): it must fall between {first} and {last}", indicators.compromiso.inicio)
    };
    let ingest = &settings.ingest;
    for (key, date) in [
        (
            "ingest.reporting_period_start",
            ingest.reporting_period_start,
        ),
        ("ingest.reporting_period_end", ingest.reporting_period_end),
    ] {
        if let Some(d) = date {
            if !(first..=last).contains(&Month::of(d)) {
                return Err(outside(key, d.to_string()));
            }
        }
    }
    let p = &settings.programacion;
    let mut months = [None, None];
    for ((key, month), parsed) in [
        ("programacion.informes_desde", &p.informes_desde),
        ("programacion.informes_hasta", &p.informes_hasta),
    ]
    .into_iter()
    .zip(&mut months)
    {
        let Some(text) = month else { continue };
        let m = Month::parse(text)
            .ok_or_else(|| format!("{key}: «{text}» is not a month such as 2019-01"))?;
        if !(first..=last).contains(&m) {
            return Err(outside(key, m.to_string()));
        }
        *parsed = Some(m);
    }
    if let [Some(desde), Some(hasta)] = months {
        if desde > hasta {
            return Err(format!("programacion.informes_desde ({desde}) is after programacion.informes_hasta ({hasta})"));
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn sorted_files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and checks a standard folder.
pub fn load_standard(dir: &Path, language: &str) -> Result<Standard, ConfigError> {
    let mut texts = StandardTexts {
        lexicon: read(&dir.join("lexicon.json"))?,
        messages: read(&dir.join(format!("mensajes.{language}.json")))?,
        fallback_messages: Some(embedded::MESSAGES_ES.to_string()),
        ..StandardTexts::default()
    };
    for file in sorted_files(&dir.join("datasets"), "json")? {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        texts.datasets.push((name, read(&file)?));
    }
    for file in sorted_files(&dir.join("codes"), "csv")? {
        let name = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        texts.code_lists.push((name, read(&file)?));
    }
    Standard::from_texts(&texts).map_err(|e| ConfigError::Invalid {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })
}

/// The standard shipped inside the binary.
pub fn embedded_standard() -> Result<Standard, crate::standard::StandardError> {
    let texts = StandardTexts {
        datasets: embedded::DATASETS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
        code_lists: embedded::CODE_LISTS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect(),
        lexicon: embedded::LEXICON.to_string(),
        messages: embedded::MESSAGES_ES.to_string(),
        fallback_messages: None,
    };
    Standard::from_texts(&texts)
}

#[cfg(test)]
mod tests;
