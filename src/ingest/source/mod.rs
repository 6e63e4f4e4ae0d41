//! Sources: where ministries leave their files. One trait, [`Source`], says what a source does
//! — list its entries with their identity and change tokens, hand over one entry's bytes as a
//! local file checked against its listing, say whether it can be reached — and the pipeline,
//! `status`, `fuentes probar` and the tests talk to it alone. Three kinds implement it:
//! [`folder`] (a local or mounted drop folder, the original kind), [`webdav`] (a Nextcloud,
//! ownCloud or SharePoint-style share, listed with `PROPFIND`) and [`http`] (spreadsheets
//! published at links). [`client`] is the HTTP client both network kinds share (TLS, the
//! secret, timeouts, retries, redirects, streamed downloads).
//!
//! Whatever the kind, the same rules hold: the first-level folder of an entry's identity is its
//! organismo; a source that cannot be listed, or lists nothing, is an error of that source
//! ([`SourceError`]) and the pipeline retracts nothing on its word; a part that cannot be
//! listed is an error of that part alone ([`SourceScan::unreadable`]). Whether a file is still
//! being written is not judged here but by comparing two listings (`pipeline`: settled means
//! unchanged), with the tokens a listing gives: size, modification time and, for the network
//! kinds, the ETag.
//!
//! Nothing here interprets a file's content or touches the store; the configuration's source
//! table is read only to build a source.

pub mod client;
pub mod folder;
pub mod http;
pub mod webdav;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::config::{SourceConfig, SourceKind};

pub use folder::{scan_folder, ScanOptions};

/// Folders deeper than this below the root are not walked (reported, never retracted).
pub const MAX_DEPTH: usize = 32;

/// Where a source finds an entry: the source's own business, opaque to the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on disk (a followed link's canonical target).
    Disk(PathBuf),
    /// A URL, without credentials.
    Url(String),
}

/// One file found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Path relative to the source root, `/`-separated, each name through
    /// [`escape_os`](crate::names::escape_os) (a folder's) or decoded from the URL and escaped
    /// the same way (a network source's): the file's identity.
    pub relative: String,
    /// First-level folder (the organismo code), or `None` for files lying at the root.
    pub organismo: Option<String>,
    /// Where the source reads it.
    pub location: Location,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// A further change token, when the source gives one (a WebDAV or HTTP ETag): compared
    /// between two listings like the size and the time.
    pub etag: Option<String>,
    /// Lower-case extension without the dot.
    pub extension: String,
}

/// What the store holds of an entry, for a source that can ask its server "only if changed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Size of the stored version.
    pub size: u64,
    /// Modification time of the stored version.
    pub mtime_ns: i64,
    /// SHA-256 of the stored version.
    pub sha256: String,
}

/// Why a source as a whole gave nothing: nothing of it may be retracted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The root does not exist or is not a folder.
    #[error("la carpeta {0} no existe o no es accesible (¿recurso compartido sin montar?)")]
    Missing(String),
    /// The root could not be listed.
    #[error("no se pudo recorrer {0}: {1}")]
    Unlistable(String, String),
    /// The root holds no file at all.
    #[error("la carpeta {0} está vacía (¿recurso compartido sin montar?)")]
    Empty(String),
    /// The root holds no file that can be read: every one is in a folder that could not be
    /// listed or behind a link that is not followed.
    #[error("la carpeta {folder} no tiene ningún archivo que se pueda leer ({unreadable} carpetas o entradas ilegibles, {links} enlaces simbólicos no seguidos)")]
    NothingToRead {
        /// The root, printable.
        folder: String,
        /// Paths that could not be listed.
        unreadable: usize,
        /// Links not followed.
        links: usize,
    },
    /// A network source could not be listed (the server down, a 401, a 5xx, a timeout…).
    #[error("no se pudo listar {0}: {1}")]
    Network(String, String),
    /// A network source listed nothing: a share that suddenly looks empty is not believed.
    #[error(
        "{0} respondió una lista sin ningún archivo (¿carpeta equivocada o vaciada por error?)"
    )]
    EmptyListing(String),
    /// More entries than the source may list (`max_entradas`): nothing is read rather than a
    /// part taken for the whole.
    #[error(
        "{0} tiene más de {1} entradas (max_entradas): no se lee; suba el límite si es correcto"
    )]
    TooManyEntries(String, usize),
    /// The source cannot be used as configured (its secret or CA file unreadable).
    #[error("la fuente no se puede usar: {0}")]
    Setup(String),
}

/// Why a path below the root could not be listed: its files keep what the store has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderProblem {
    /// The folder could not be opened (permissions, a share hiccup, not a folder after all).
    #[error("no se pudo leer la carpeta: {0}")]
    Unlistable(String),
    /// The folder was opened but its listing broke off.
    #[error("no se pudo leer la lista completa de la carpeta: {0}")]
    PartialListing(String),
    /// An entry whose type or size could not be known.
    #[error("no se pudo saber qué es esta entrada: {0}")]
    UnknownEntry(String),
    /// Deeper than the source's depth limit.
    #[error("está a más de {0} carpetas de profundidad: no se recorre")]
    TooDeep(usize),
}

/// A path below the root that could not be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Its path relative to the root (empty: the root's own listing broke off).
    pub relative: String,
    /// Why.
    pub problem: FolderProblem,
}

/// Why a symbolic link was not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkSkip {
    /// The source does not follow links (the default).
    #[error("enlace simbólico: no se sigue (la fuente no tiene seguir_enlaces = true)")]
    NotFollowed,
    /// The target does not exist or cannot be reached.
    #[error("enlace simbólico roto o inaccesible: {0}")]
    Broken(String),
    /// The target lies outside the source's folder.
    #[error("enlace simbólico a {0}, fuera de la carpeta de la fuente: no se sigue")]
    OutsideRoot(String),
    /// The target lies in another organismo's folder: it is that organismo's file.
    #[error("enlace simbólico a la carpeta de otro organismo ({0}): se lee allí, no dos veces")]
    OtherOrganismo(String),
    /// The target is read already, under another path.
    #[error("enlace simbólico a algo que ya se lee como {}: no se lee dos veces", shown_relative(.0))]
    AlreadyRead(String),
}

fn shown_relative(relative: &str) -> String {
    if relative.is_empty() {
        "la carpeta de la fuente".to_string()
    } else {
        format!("«{relative}»")
    }
}

/// A symbolic link that was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLink {
    /// The link's path relative to the root.
    pub relative: String,
    /// Why it was not followed.
    pub reason: LinkSkip,
}

/// What one pass over a source found.
#[derive(Debug, Clone, Default)]
pub struct SourceScan {
    /// Every regular file listed (with its size and modification time).
    pub files: Vec<FoundFile>,
    /// Files skipped on purpose (locks, hidden, temporary, FIFOs, sockets, devices).
    pub ignored: Vec<String>,
    /// Symbolic links not followed.
    pub links: Vec<SkippedLink>,
    /// Paths below the root that could not be listed: errors of those paths alone.
    pub unreadable: Vec<Unreadable>,
    /// Requests made to list it (network sources: one `PROPFIND` per folder, one request per
    /// URL), for the log and the benchmark.
    pub requests: usize,
    /// The source could not be listed, or holds nothing: nothing may be retracted.
    pub error: Option<SourceError>,
}

impl SourceScan {
    /// A listing that failed as a whole.
    pub fn failed(error: SourceError) -> SourceScan {
        SourceScan {
            error: Some(error),
            ..SourceScan::default()
        }
    }

    /// True when `relative` is at or under a path that could not be listed: whether it is
    /// still there is unknown, so it must not be marked missing.
    pub fn is_unknown(&self, relative: &str) -> bool {
        self.unreadable.iter().any(|u| {
            u.relative.is_empty()
                || relative == u.relative
                || relative
                    .strip_prefix(u.relative.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// The organismos (first-level folders) holding at least one listed file, sorted.
    pub fn organismos(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .files
            .iter()
            .filter_map(|f| f.organismo.as_deref())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// True for names that are never submissions: hidden files, `~$` Office locks, `.~lock.…#`
/// LibreOffice locks, temporary and partial-download files, OS litter.
pub fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('#')
        || name.ends_with('~')
        || [
            ".tmp",
            ".temp",
            ".part",
            ".partial",
            ".crdownload",
            ".download",
            ".swp",
            ".bak",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || matches!(lower.as_str(), "thumbs.db" | "desktop.ini" | ".ds_store")
}

/// Lower-case extension of a name, without the dot.
fn extension_of(name: &str) -> String {
    Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// An entry's bytes as a local file: the file itself (a folder's) or a download that was
/// checked complete and still as listed, deleted when this is dropped.
#[derive(Debug)]
pub struct Opened {
    path: PathBuf,
    _download: Option<TempFile>,
}

impl Opened {
    /// The local file to read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why an entry's bytes were not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Larger than `max_file_bytes`: it is rejected unread; `sha256` identifies the version
    /// (the content's hash for a folder's file, which is hashed without being held; for a
    /// network entry, which is not downloaded, the hash of its identity and tokens).
    #[error("el archivo ocupa {size} bytes, más que el máximo de {max} (max_file_bytes)")]
    TooLarge {
        /// Its size, as far as it was known.
        size: u64,
        /// The limit.
        max: u64,
        /// What identifies this version.
        sha256: String,
    },
    /// It changed since it was listed (other tokens, another length): still being written.
    #[error("el archivo cambió desde que se listó")]
    Changed,
    /// It could not be fetched this time (a disk or network error): tried again next pass.
    #[error("{0}")]
    Failed(String),
}

/// The identity of a version that is not downloaded: the hash of what the listing says of it.
fn tokens_sha256(entry: &FoundFile) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"participa: tokens de una entrada no descargada\n");
    hasher.update(entry.relative.as_bytes());
    hasher.update(format!("\n{}\n{}\n", entry.size, entry.mtime_ns).as_bytes());
    hasher.update(entry.etag.as_deref().unwrap_or_default().as_bytes());
    hex::encode(hasher.finalize())
}

/// What a source does. Implementations are used from the pass's worker threads at once.
pub trait Source: Send + Sync {
    /// The configured name (unique among sources).
    fn name(&self) -> &str;
    /// Its kind and where it is, for people (`carpeta /srv/inbox`, `webdav
    /// https://nube.example/dav/`); never a secret.
    fn describe(&self) -> String;
    /// Lists every entry with its tokens. `known` is what the store holds of each entry (by
    /// relative path): a source that can ask its server for an entry only if it changed uses
    /// it; the others ignore it.
    fn list(&self, known: &HashMap<String, Known>) -> SourceScan;
    /// The entry's bytes as a local file, within `max_bytes`, checked against its listing:
    /// a download that does not match what was listed (another length, other tokens) never
    /// reaches a reader.
    fn open(&self, entry: &FoundFile, max_bytes: u64) -> Result<Opened, OpenError>;
    /// After the file was read: true when it is still as listed (a folder's file can change
    /// while it is read; a download cannot).
    fn still_as_listed(&self, entry: &FoundFile) -> bool;
    /// Whether it can be reached now, in one cheap step (no listing): why not, in plain words.
    fn reachable(&self) -> Result<(), String>;
}

/// Where downloads wait to be read: a folder beside the store, one file per download,
/// deleted once read. Anything left there by a process that died is swept ([`sweep`]).
#[derive(Debug, Clone)]
pub struct Downloads {
    dir: PathBuf,
}

/// The prefix of every download's name (`descarga.<nanos>-<pid>-<n>`).
const DOWNLOAD_PREFIX: &str = "descarga.";

impl Downloads {
    /// Downloads beside the store at `db` (`participa.db.descargas/`).
    pub fn beside(db: &Path) -> Downloads {
        let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".descargas");
        Downloads {
            dir: db.with_file_name(name),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new empty file to download into, deleted when the returned guard is dropped.
    fn create(&self) -> std::io::Result<(std::fs::File, TempFile)> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.dir)?;
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!(
            "{DOWNLOAD_PREFIX}{nanos:020}-{}-{n}",
            std::process::id()
        ));
        let file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok((file, TempFile(path)))
    }
}

/// Removes the downloads a process that died left (stale, their writer not running). Returns
/// how many.
pub fn sweep(downloads: &Downloads, now: SystemTime) -> usize {
    use crate::leftovers;
    leftovers::sweep_files(&downloads.dir, now, |name| {
        name.starts_with(DOWNLOAD_PREFIX)
            && !leftovers::pid_in(name).is_some_and(leftovers::other_process_running)
    })
}

/// A file deleted when dropped.
#[derive(Debug)]
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A source that cannot be used as configured (its secret missing, its CA file unreadable):
/// every listing is that error, so nothing of it is retracted, and the rest of the pass goes
/// on.
struct Unusable {
    name: String,
    describe: String,
    why: String,
}

impl Source for Unusable {
    fn name(&self) -> &str {
        &self.name
    }
    fn describe(&self) -> String {
        self.describe.clone()
    }
    fn list(&self, _: &HashMap<String, Known>) -> SourceScan {
        SourceScan::failed(SourceError::Setup(self.why.clone()))
    }
    fn open(&self, _: &FoundFile, _: u64) -> Result<Opened, OpenError> {
        Err(OpenError::Failed(self.why.clone()))
    }
    fn still_as_listed(&self, _: &FoundFile) -> bool {
        false
    }
    fn reachable(&self) -> Result<(), String> {
        Err(self.why.clone())
    }
}

/// Builds the configured source. `base` resolves relative paths (the configuration's folder);
/// `downloads` is where a network source puts what it fetches, never more than
/// `max_file_bytes` a file. A source that cannot be set up
/// is still a source: one whose every listing says why (nothing of it is retracted).
pub fn build(
    config: &SourceConfig,
    base: &Path,
    downloads: &Downloads,
    max_file_bytes: u64,
) -> Box<dyn Source> {
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let built: Result<Box<dyn Source>, String> = match config.tipo {
        SourceKind::Carpeta => Ok(Box::new(folder::FolderSource::new(
            &config.name,
            resolve(config.path.as_deref().unwrap_or(Path::new(""))),
            ScanOptions {
                follow_links: config.seguir_enlaces,
            },
        ))),
        SourceKind::Webdav => client::Client::new(config, &resolve, downloads).and_then(|c| {
            webdav::WebdavSource::new(config, c).map(|s| Box::new(s) as Box<dyn Source>)
        }),
        SourceKind::Http => client::Client::new(config, &resolve, downloads).and_then(|c| {
            http::HttpSource::new(config, c, max_file_bytes).map(|s| Box::new(s) as Box<dyn Source>)
        }),
    };
    built.unwrap_or_else(|why| {
        Box::new(Unusable {
            name: config.name.clone(),
            describe: describe_config(config),
            why,
        })
    })
}

/// A source's kind and place as configured, for people (no secret is ever part of it).
fn describe_config(config: &SourceConfig) -> String {
    match config.tipo {
        SourceKind::Carpeta => format!(
            "carpeta {}",
            crate::names::printable_path(config.path.as_deref().unwrap_or(Path::new("")))
        ),
        SourceKind::Webdav => format!(
            "webdav {}",
            crate::names::printable(config.url.as_deref().unwrap_or_default())
        ),
        SourceKind::Http => format!("http ({} direcciones)", config.urls.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_hidden_and_temporary_files_are_ignored() {
        for name in [
            "~$datos.xlsx",
            ".~lock.datos.xlsx#",
            ".oculto.csv",
            "archivo.tmp",
            "copia.xlsx.part",
            "Thumbs.db",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in ["datos.xlsx", "reuniones_2019.csv", "obras comunales.xls"] {
            assert!(!is_ignored_name(name), "{name}");
        }
    }

    #[test]
    fn a_download_is_deleted_once_dropped_and_its_name_carries_the_writer() {
        let tmp = tempfile::tempdir().expect("tmp");
        let downloads = Downloads::beside(&tmp.path().join("participa.db"));
        let (_file, guard) = downloads.create().expect("create");
        let path = guard.0.clone();
        assert!(path.starts_with(tmp.path().join("participa.db.descargas")));
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert_eq!(crate::leftovers::pid_in(name), Some(std::process::id()));
        assert!(path.exists());
        drop(guard);
        assert!(!path.exists());
    }
}
