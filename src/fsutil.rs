//! Writing a file so that nobody ever reads half of it: [`write_atomic`] writes a temporary
//! file in the target's folder, syncs it, renames it over the target and syncs the folder, so
//! after a crash or a power cut the target is the old file or the new one, whole. Every writer
//! of a file others read uses it (the report's PDF and XLSX, the published index, an outbox
//! message, the mail problem's alert, the reading journal's compaction, `init`'s files); a
//! published period is written into a staging folder swapped in whole, and syncs that folder
//! with [`sync_dir`].
//!
//! A leaf: it depends on no module of participa, so every layer may use it without breaking
//! the layering (`report`, `deliver`, `pipeline`, `cli`). Each writer names its temporary
//! files ([`temp_target`] reads the name back), so its sweep of crash leftovers
//! ([`crate::leftovers`]) recognises its own and nobody else's.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file `.<name>.<random>.tmp` in the same
/// folder (created when missing), written and synced, renamed over `path`, the folder synced.
/// On failure the temporary file is removed and `path` is as it was; a crash leaves at most the
/// temporary file, which the writer's sweep removes once stale.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "la ruta no nombra un archivo"))?
        .to_string_lossy();
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    // A failed rename drops the temporary file, which deletes it.
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// What every temporary name of [`write_atomic`] ends with.
const TEMP_SUFFIX: &str = ".tmp";

/// The name of the file a temporary name of [`write_atomic`] was writing
/// (`.index.html.Ab12Cd.tmp` → `index.html`); `None` for any other name.
pub fn temp_target(name: &str) -> Option<&str> {
    let inner = name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let (target, random) = inner.rsplit_once('.')?;
    (!target.is_empty() && !random.is_empty()).then_some(target)
}

/// Makes renames in `dir` durable. Best effort: not every file system can sync a folder, and
/// the file itself is already synced, so a failure here costs at most the rename after a
/// power cut, never a half-written file.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("sub").join("informe.pdf");
        write_atomic(&path, b"first").expect("written");
        write_atomic(&path, b"second").expect("replaced");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let names: Vec<String> = std::fs::read_dir(dir.path().join("sub"))
            .expect("listed")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["informe.pdf"]);
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        // A folder where the file should go: the rename fails.
        let path = dir.path().join("taken");
        std::fs::create_dir_all(path.join("inside")).expect("folder");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(path.join("inside").is_dir());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .flatten()
            .collect();
        assert_eq!(names.len(), 1, "only the folder");
    }

    #[test]
    fn temporary_names_say_what_they_were_writing() {
        assert_eq!(temp_target(".index.html.Ab12Cd.tmp"), Some("index.html"));
        assert_eq!(
            temp_target(".participa-2019-03-es.pdf.x9.tmp"),
            Some("participa-2019-03-es.pdf")
        );
        for other in ["index.html", "a.Ab12.tmp", "..x.tmp", ".x.y", ".x.tmp"] {
            assert_eq!(temp_target(other), None, "{other}");
        }
    }
}
