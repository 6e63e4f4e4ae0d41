//! Drop folders: lists the files a ministry left, skipping what is not a submission (hidden
//! files, Office and LibreOffice locks, temporary files) and what is still being copied.
//!
//! A missing or empty root is an error of the source, never "every file disappeared": the
//! pipeline must not mark files missing on the word of an unmounted share. Listing only: no file
//! is opened here.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// One file found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Path relative to the source root, `/`-separated.
    pub relative: String,
    /// First-level folder (the organismo code), or `None` for files lying at the root.
    pub organismo: Option<String>,
    /// Absolute path on disk.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Lower-case extension without the dot.
    pub extension: String,
}

/// What one pass over a source found.
#[derive(Debug, Clone, Default)]
pub struct SourceScan {
    /// Files ready to be considered.
    pub files: Vec<FoundFile>,
    /// Files changed in the last seconds (copy in progress): next run.
    pub in_progress: Vec<String>,
    /// Files skipped on purpose (locks, hidden, temporary).
    pub ignored: Vec<String>,
    /// The source could not be listed, or holds nothing: nothing may be retracted.
    pub error: Option<String>,
}

/// True for names that are never submissions: hidden files, `~$` Office locks, `.~lock.…#`
/// LibreOffice locks, temporary and partial-download files, OS litter.
pub fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('#')
        || name.ends_with('~')
        || [".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".bak"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        || matches!(lower.as_str(), "thumbs.db" | "desktop.ini" | ".ds_store")
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

fn walk(root: &Path, dir: &Path, depth: usize, now: SystemTime, settle_seconds: u64, scan: &mut SourceScan) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .map(|p| p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"))
            .unwrap_or_else(|_| name.clone());
        if is_ignored_name(&name) {
            scan.ignored.push(relative);
            continue;
        }
        let Ok(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            // Folders are walked to any depth; links to folders are not followed (no loops).
            if depth < 32 {
                walk(root, &path, depth + 1, now, settle_seconds, scan)?;
            }
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            scan.ignored.push(relative);
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let age = now.duration_since(modified).map(|d| d.as_secs()).unwrap_or(0);
        let future = modified > now;
        if age < settle_seconds && !future {
            scan.in_progress.push(relative);
            continue;
        }
        let organismo = relative.split_once('/').map(|(first, _)| first.to_string());
        let extension = Path::new(&name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        scan.files.push(FoundFile { relative, organismo, path, size: meta.len(), mtime_ns: mtime_ns(&meta), extension });
    }
    Ok(())
}

/// Lists a drop folder. `now` is passed in so tests decide what "a few seconds ago" is.
pub fn scan_folder(root: &Path, settle_seconds: u64, now: SystemTime) -> SourceScan {
    let mut scan = SourceScan::default();
    if !root.is_dir() {
        scan.error = Some(format!("la carpeta {} no existe o no es accesible (¿recurso compartido sin montar?)", root.display()));
        return scan;
    }
    if let Err(e) = walk(root, root, 0, now, settle_seconds, &mut scan) {
        scan.error = Some(format!("no se pudo recorrer {}: {e}", root.display()));
        scan.files.clear();
        return scan;
    }
    if scan.files.is_empty() && scan.in_progress.is_empty() {
        scan.error = Some(format!("la carpeta {} está vacía (¿recurso compartido sin montar?)", root.display()));
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_hidden_and_temporary_files_are_ignored() {
        for name in ["~$datos.xlsx", ".~lock.datos.xlsx#", ".oculto.csv", "archivo.tmp", "copia.xlsx.part", "Thumbs.db"] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in ["datos.xlsx", "reuniones_2019.csv", "obras comunales.xls"] {
            assert!(!is_ignored_name(name), "{name}");
        }
    }
}
