//! The period folder on disk: the staging folder, the swap of a complete period into place,
//! recovery of what a crashed publish left, the sweep of stale leftovers, safe names and small
//! files written whole and synced.
//!
//! Knows folders and names, not what the files hold.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tracing::warn;

use super::csv_file::CsvFile;
use super::resumen::PublishedFile;
use super::{ASIDE_PREFIX, INDEX_TEMP_PREFIX, STAGE_PREFIX};
use crate::fsutil::sync_dir;
use crate::report::model::DatasetPart;
use crate::report::ReportError;

/// A period folder being written beside the published one; [`publish_staged`](super::publish_staged) puts it in
/// place. Dropped unfinished, it is deleted.
pub struct Stage {
    pub(super) root: PathBuf,
    pub(super) period: String,
    pub(super) dir: PathBuf,
    pub(super) done: bool,
}

impl Stage {
    /// Creates the staging folder of `period` under `root`, first undoing what a crashed
    /// publish of that period left.
    pub fn create(root: &Path, period: &str) -> Result<Stage, ReportError> {
        let period = safe_name(period, "period")?;
        fs::create_dir_all(root).map_err(io_at(root))?;
        recover(root, period)?;
        let dir = root.join(format!("{STAGE_PREFIX}{period}.{}", unique()));
        fs::create_dir(&dir).map_err(io_at(&dir))?;
        Ok(Stage {
            root: root.to_path_buf(),
            period: period.to_string(),
            dir,
            done: false,
        })
    }

    /// Starts the CSV of a dataset in the staging folder.
    pub fn csv(&self, part: &DatasetPart) -> Result<CsvFile, ReportError> {
        CsvFile::create(&self.dir, part)
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if !self.done {
            remove_quietly(&self.dir);
        }
    }
}
/// A file or folder name that is safe in a URL path and on every file system.
pub(super) fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) fn safe_name<'a>(name: &'a str, what: &str) -> Result<&'a str, ReportError> {
    if is_safe_name(name) {
        Ok(name)
    } else {
        Err(ReportError::Io {
            path: PathBuf::from(name),
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what} «{name}» must be ASCII letters, digits, '-', '_' or '.'"),
            ),
        })
    }
}

pub(super) fn is_lang_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 35 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Writes a small file whole, synced, and describes it.
pub(super) fn write_bytes(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    mediatype: &str,
) -> Result<PublishedFile, ReportError> {
    let path = dir.join(name);
    let mut file = fs::File::create(&path).map_err(io_at(&path))?;
    file.write_all(bytes).map_err(io_at(&path))?;
    file.sync_all().map_err(io_at(&path))?;
    Ok(PublishedFile {
        file: name.to_string(),
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        mediatype: mediatype.to_string(),
    })
}

/// Puts a complete staged period folder in place of the published one.
pub(super) fn swap_in(
    root: &Path,
    stage: &Path,
    target: &Path,
    period: &str,
) -> Result<(), ReportError> {
    let aside = root.join(format!("{ASIDE_PREFIX}{period}.{}", unique()));
    let had_old = target.exists();
    if had_old {
        if let Err(e) = fs::rename(target, &aside) {
            remove_quietly(stage);
            return Err(ReportError::Io {
                path: target.to_path_buf(),
                source: e,
            });
        }
    }
    if let Err(e) = fs::rename(stage, target) {
        if had_old {
            let _ = fs::rename(&aside, target);
        }
        remove_quietly(stage);
        return Err(ReportError::Io {
            path: target.to_path_buf(),
            source: e,
        });
    }
    sync_dir(root);
    if had_old {
        remove_quietly(&aside);
    }
    Ok(())
}

/// Undoes what a crashed publish of `period` left: puts an old folder set aside back when the
/// period has none, and deletes staging folders and other leftovers.
pub(super) fn recover(root: &Path, period: &str) -> Result<(), ReportError> {
    let target = root.join(period);
    let stage_prefix = format!("{STAGE_PREFIX}{period}.");
    let aside_prefix = format!("{ASIDE_PREFIX}{period}.");
    let mut asides = Vec::new();
    for entry in fs::read_dir(root).map_err(io_at(root))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&stage_prefix) {
            warn!(folder = %entry.path().display(), "deleting an unfinished publication left by an earlier run");
            remove_quietly(&entry.path());
        } else if name.starts_with(&aside_prefix) {
            asides.push(entry.path());
        }
    }
    asides.sort();
    if !target.exists() {
        if let Some(last) = asides.pop() {
            warn!(folder = %last.display(), "an earlier run stopped mid-publication: restoring the previously published period");
            fs::rename(&last, &target).map_err(io_at(&target))?;
        }
    }
    for aside in asides {
        remove_quietly(&aside);
    }
    Ok(())
}

/// Deletes what interrupted publishes of any period left in `root`, and nothing else, once
/// [`crate::leftovers`] finds it stale and its writer (the pid in its name) is not running:
/// staging folders (`.participa-new.<period>.*`) and temporary indexes (`.index.html.*`); a
/// folder set aside (`.participa-old.<period>.*`) is deleted when its period is published, and
/// put back when the period is missing (the crash came between the two renames of a swap), as
/// the next publish of that period would do. Returns how many it removed or put back.
pub fn sweep_leftovers(root: &Path, now: SystemTime) -> usize {
    let mut done = 0;
    let mut asides: Vec<(String, PathBuf)> = Vec::new();
    for (name, path) in crate::leftovers::entries(root) {
        let ours = name.starts_with(STAGE_PREFIX)
            || name.starts_with(INDEX_TEMP_PREFIX)
            || name.starts_with(ASIDE_PREFIX);
        let running =
            crate::leftovers::pid_in(&name).is_some_and(crate::leftovers::other_process_running);
        if !ours || running || !crate::leftovers::is_stale(&path, now) {
            continue;
        }
        match name
            .strip_prefix(ASIDE_PREFIX)
            .and_then(|rest| rest.rsplit_once('.'))
        {
            Some((period, _)) => asides.push((period.to_string(), path)),
            None => done += usize::from(crate::leftovers::remove(&path)),
        }
    }
    // The newest aside of a period is the one a crash left last (names start with the time).
    asides.sort();
    while let Some((period, path)) = asides.pop() {
        let target = root.join(&period);
        let published = target.exists() || !is_safe_name(&period);
        if published {
            done += usize::from(crate::leftovers::remove(&path));
        } else if fs::rename(&path, &target).is_ok() {
            warn!(folder = %target.display(), "an earlier run stopped mid-publication: restoring the previously published period");
            sync_dir(root);
            done += 1;
        }
    }
    done
}

fn remove_quietly(dir: &Path) {
    if let Err(e) = fs::remove_dir_all(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            warn!(folder = %dir.display(), error = %e, "cannot delete a temporary folder");
        }
    }
}

/// A name part unique to this process and call, sortable by time.
pub(super) fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{nanos:020}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(super) fn io_at(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}
