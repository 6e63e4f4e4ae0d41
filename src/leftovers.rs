//! Temporary files of interrupted writes. Every file participa writes for others to read (a
//! report's PDF and XLSX, a published period and the index, an outbox message) is written
//! under a temporary name and renamed into place, so a crash leaves the temporary name behind.
//! Each writer knows its own temporary names and sweeps them (`report::publish`,
//! `deliver::Outbox`, `pipeline::report`; `pipeline::sweep_leftovers` calls them all at the
//! start of `ingest`, `report` and `run`). This module says when one may go: nothing has written
//! to it for [`STALE_AFTER`], and the process its name carries, if any, is not running.
//!
//! Only names a writer of participa makes are ever removed, and only in its output folders.

use std::path::Path;
use std::time::{Duration, SystemTime};

use tracing::{info, warn};

/// How long a temporary file must have been left alone before it counts as left by a crash
/// rather than being written right now by another participa process.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// True when nothing has written to `path` (a file, or a folder and the files directly in it)
/// for [`STALE_AFTER`] before `now`. Anything that cannot be read, or dated in the future, is
/// not stale: it is left alone.
pub fn is_stale(path: &Path, now: SystemTime) -> bool {
    let Some((mut newest, is_dir)) = modified(path) else {
        return false;
    };
    if is_dir {
        let Ok(entries) = std::fs::read_dir(path) else {
            return false;
        };
        for entry in entries {
            let Some((time, _)) = entry.ok().and_then(|e| modified(&e.path())) else {
                return false;
            };
            newest = newest.max(time);
        }
    }
    now.duration_since(newest)
        .is_ok_and(|age| age >= STALE_AFTER)
}

/// The modification time of `path` itself (a link is not followed) and whether it is a folder.
fn modified(path: &Path) -> Option<(SystemTime, bool)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.is_dir()))
}

/// The process id in a temporary name ending `.<nanos>-<pid>-<counter>` (the publisher's).
pub fn pid_in(name: &str) -> Option<u32> {
    name.rsplit('.').next()?.split('-').nth(1)?.parse().ok()
}

/// True when `pid` is a running process other than this one. Known on Linux (`/proc`); where
/// it cannot be told, false (the age alone decides). This process is never a live writer: the
/// sweep runs before it writes anything, and in a container every run may get the same pid.
pub fn other_process_running(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && Path::new("/proc").join(pid.to_string()).exists()
}

/// Deletes `path` (a file, or a folder and everything in it), logging the outcome. True when
/// it is gone.
pub fn remove(path: &Path) -> bool {
    let result = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            info!(ruta = %path.display(), "archivo temporal de una escritura interrumpida borrado");
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            warn!(ruta = %path.display(), error = %e, "no se pudo borrar un archivo temporal de una escritura interrumpida");
            false
        }
    }
}

/// The names in `dir` with their paths; nothing when it cannot be read (a folder not made yet).
pub fn entries(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect(),
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                warn!(carpeta = %dir.display(), error = %e, "no se pudo listar la carpeta para buscar archivos temporales");
            }
            Vec::new()
        }
    }
}

/// Removes the stale files (not folders) of `dir` whose name `ours` recognises as a temporary
/// name of its writer. Returns how many were removed.
pub fn sweep_files(dir: &Path, now: SystemTime, ours: impl Fn(&str) -> bool) -> usize {
    entries(dir)
        .into_iter()
        .filter(|(name, path)| {
            ours(name)
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
                && is_stale(path, now)
        })
        .filter(|(_, path)| remove(path))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_read_from_a_publishers_temporary_name() {
        assert_eq!(
            pid_in(".participa-new.2019-03.00000001732000000000-4242-0"),
            Some(4242)
        );
        assert_eq!(pid_in(".index.html.00000001732000000000-7-3"), Some(7));
        assert_eq!(pid_in("participa-2019-03-es.pdf.tmp"), None);
    }

    #[test]
    fn this_process_is_never_a_live_writer_and_a_fresh_file_is_not_stale() {
        assert!(!other_process_running(std::process::id()));
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("x.pdf.tmp");
        std::fs::write(&file, b"x").expect("write");
        let now = SystemTime::now();
        assert!(!is_stale(&file, now));
        assert!(is_stale(&file, now + STALE_AFTER + Duration::from_secs(1)));
        assert!(!is_stale(
            &dir.path().join("missing"),
            now + STALE_AFTER * 2
        ));
    }
}
