//! Drop folders (`tipo = "carpeta"`, a local folder or a mounted share): lists the files a
//! ministry left, skipping what is not a submission (hidden files, Office and LibreOffice
//! locks, temporary files, FIFOs and devices), and hands a file over where it lies. Whether a
//! file is still being copied is not judged here but by comparing two listings (`pipeline`:
//! settled means unchanged), and after it is read ([`FolderSource::still_as_listed`]).
//!
//! A missing, unlistable or empty root is an error of the source, never "every file
//! disappeared": the pipeline must not mark files missing on the word of an unmounted share. A
//! subfolder (or an entry) that cannot be listed is an error of that path alone: everything
//! else is listed, the path is reported in [`SourceScan::unreadable`], and
//! [`SourceScan::is_unknown`] tells the pipeline which stored files it must not mark missing.
//!
//! Names are kept exactly: each component of a relative path is the name the file system
//! gives, through [`escape_os`] (lossless: a name that is not UTF-8 keeps its bytes as `\xE9`,
//! a control character is escaped, `\` is doubled), so two names never merge into one and no
//! name carries a line break into a summary or a log.
//!
//! Symbolic links are never followed out of the root (the root itself may be a link: it is
//! what the configuration names). By default a link, to a file or to a folder, is not followed
//! at all and is listed in [`SourceScan::links`]. With [`ScanOptions::follow_links`]
//! (`seguir_enlaces = true`), a link is followed only when its target (canonical path) lies
//! inside the root's canonical path, not in another organismo's folder, and is not read
//! already — by its own path or through an earlier link — so every file is read under one
//! identity only, and a link to a folder above it cannot loop.

use std::collections::{HashMap, HashSet};
use std::fs::{DirEntry, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::{
    extension_of, is_ignored_name, FolderProblem, FoundFile, Known, LinkSkip, Location, OpenError,
    Opened, SkippedLink, Source, SourceError, SourceScan, Unreadable, MAX_DEPTH,
};
use crate::names::{escape_os, printable_path};

/// How to list a source.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    /// Follow symbolic links whose target stays inside the root (`seguir_enlaces`).
    pub follow_links: bool,
}

/// A drop folder as a [`Source`].
pub struct FolderSource {
    name: String,
    root: PathBuf,
    options: ScanOptions,
}

impl FolderSource {
    /// The folder `root` (resolved), listed with `options`.
    pub fn new(name: &str, root: PathBuf, options: ScanOptions) -> FolderSource {
        FolderSource {
            name: name.to_string(),
            root,
            options,
        }
    }
}

/// The file on disk an entry of a folder names.
fn disk_path(entry: &FoundFile) -> Result<&Path, OpenError> {
    match &entry.location {
        Location::Disk(path) => Ok(path),
        Location::Url(_) => Err(OpenError::Failed(
            "esta entrada no es de una carpeta".to_string(),
        )),
    }
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

impl Source for FolderSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn describe(&self) -> String {
        format!("carpeta {}", printable_path(&self.root))
    }

    fn list(&self, _: &HashMap<String, Known>) -> SourceScan {
        scan_folder(&self.root, &self.options)
    }

    fn open(&self, entry: &FoundFile, max_bytes: u64) -> Result<Opened, OpenError> {
        let path = disk_path(entry)?;
        if entry.size > max_bytes {
            // Hashed without holding the file in memory; the content is not read.
            return match stream_sha256(path) {
                Ok(sha256) => Err(OpenError::TooLarge {
                    size: entry.size,
                    max: max_bytes,
                    sha256,
                }),
                Err(e) => Err(OpenError::Failed(e.to_string())),
            };
        }
        // The file itself is read where it lies; whether it changed meanwhile is asked after
        // (`still_as_listed`).
        Ok(Opened {
            path: path.to_path_buf(),
            _download: None,
        })
    }

    fn still_as_listed(&self, entry: &FoundFile) -> bool {
        let Ok(path) = disk_path(entry) else {
            return false;
        };
        std::fs::metadata(path)
            .is_ok_and(|meta| meta.len() == entry.size && mtime_ns(&meta) == entry.mtime_ns)
    }

    fn reachable(&self) -> Result<(), String> {
        if self.root.is_dir() {
            Ok(())
        } else {
            Err(SourceError::Missing(printable_path(&self.root)).to_string())
        }
    }
}

fn mtime_ns(meta: &Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// A link met in the walk, resolved once the real tree is listed.
#[derive(Clone)]
struct PendingLink {
    relative: String,
    name: String,
    link: PathBuf,
    /// The depth a folder at the link's place has.
    depth: usize,
}

/// One listing of a source.
struct Walker<'a> {
    /// The root's canonical path.
    root: &'a Path,
    options: ScanOptions,
    scan: SourceScan,
    /// Canonical path of every file listed (or waiting) and every folder walked → the relative
    /// path it is read under. Paths reached without a link are canonical: the walk starts
    /// at the canonical root and never goes through a link.
    claimed: HashMap<PathBuf, String>,
    /// First-level folders (organismos).
    organismos: HashSet<String>,
    pending: Vec<PendingLink>,
}

impl Walker<'_> {
    fn unreadable(&mut self, relative: String, problem: FolderProblem) {
        self.scan.unreadable.push(Unreadable { relative, problem });
    }

    fn skip_link(&mut self, relative: String, reason: LinkSkip) {
        self.scan.links.push(SkippedLink { relative, reason });
    }

    /// Lists `dir` under `prefix`; an error only when the folder cannot be opened at all (a
    /// listing that breaks off is reported here, and what was listed is kept).
    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize) -> std::io::Result<()> {
        let mut entries = Vec::new();
        let mut broken = None;
        for entry in std::fs::read_dir(dir)? {
            match entry {
                Ok(e) => entries.push(e),
                Err(e) => {
                    broken.get_or_insert_with(|| e.to_string());
                }
            }
        }
        if let Some(message) = broken {
            self.unreadable(prefix.to_string(), FolderProblem::PartialListing(message));
        }
        entries.sort_by_key(DirEntry::file_name);
        for entry in entries {
            self.entry(&entry, prefix, depth);
        }
        Ok(())
    }

    fn entry(&mut self, entry: &DirEntry, prefix: &str, depth: usize) {
        let name = escape_os(&entry.file_name());
        let relative = join(prefix, &name);
        if is_ignored_name(&name) {
            self.scan.ignored.push(relative);
            return;
        }
        // The entry itself, not what a link points to.
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) => return self.unreadable(relative, FolderProblem::UnknownEntry(e.to_string())),
        };
        let path = entry.path();
        if file_type.is_symlink() {
            if self.options.follow_links {
                self.pending.push(PendingLink {
                    relative,
                    name,
                    link: path,
                    depth: depth + 1,
                });
            } else {
                self.skip_link(relative, LinkSkip::NotFollowed);
            }
        } else if file_type.is_dir() {
            if prefix.is_empty() {
                self.organismos.insert(name);
            }
            self.folder(path, relative, depth + 1);
        } else if file_type.is_file() {
            match entry.metadata() {
                Ok(meta) => self.file(path, relative, &name, &meta),
                Err(e) => self.unreadable(relative, FolderProblem::UnknownEntry(e.to_string())),
            }
        } else {
            // FIFOs, sockets, devices: never submissions, and opening a FIFO would block.
            self.scan.ignored.push(relative);
        }
    }

    /// Walks a folder (canonical `path`) read as `relative`.
    fn folder(&mut self, path: PathBuf, relative: String, depth: usize) {
        if depth > MAX_DEPTH {
            return self.unreadable(relative, FolderProblem::TooDeep(MAX_DEPTH));
        }
        if let Some(by) = self.claimed.get(&path).cloned() {
            return self.skip_link(relative, LinkSkip::AlreadyRead(by));
        }
        self.claimed.insert(path.clone(), relative.clone());
        if let Err(e) = self.walk(&path, &relative, depth) {
            self.unreadable(relative, FolderProblem::Unlistable(e.to_string()));
        }
    }

    /// A regular file (canonical `path`) read as `relative`.
    fn file(&mut self, path: PathBuf, relative: String, name: &str, meta: &Metadata) {
        if let Some(by) = self.claimed.get(&path).cloned() {
            return self.skip_link(relative, LinkSkip::AlreadyRead(by));
        }
        self.claimed.insert(path.clone(), relative.clone());
        let organismo = relative.split_once('/').map(|(first, _)| first.to_string());
        self.scan.files.push(FoundFile {
            relative,
            organismo,
            location: Location::Disk(path),
            size: meta.len(),
            mtime_ns: mtime_ns(meta),
            etag: None,
            extension: extension_of(name),
        });
    }

    /// Resolves the links met so far (and those met in folders they lead to), in walk order,
    /// after the real tree: a path read by its own name always wins over a link to it.
    fn follow(&mut self) {
        let mut i = 0;
        while let Some(PendingLink {
            relative,
            name,
            link,
            depth,
        }) = self.pending.get(i).cloned()
        {
            i += 1;
            let target = match std::fs::canonicalize(&link) {
                Ok(t) => t,
                Err(e) => {
                    self.skip_link(relative, LinkSkip::Broken(e.to_string()));
                    continue;
                }
            };
            let Ok(inside) = target.strip_prefix(self.root) else {
                self.skip_link(relative, LinkSkip::OutsideRoot(printable_path(&target)));
                continue;
            };
            let own = relative.split('/').next().unwrap_or_default();
            let target_organismo = inside.components().next().map(|c| escape_os(c.as_os_str()));
            if let Some(other) =
                target_organismo.filter(|t| t != own && self.organismos.contains(t))
            {
                self.skip_link(relative, LinkSkip::OtherOrganismo(other));
                continue;
            }
            match std::fs::metadata(&target) {
                Ok(meta) if meta.is_dir() => self.folder(target, relative, depth),
                Ok(meta) if meta.is_file() => self.file(target, relative, &name, &meta),
                Ok(_) => self.scan.ignored.push(relative),
                Err(e) => self.skip_link(relative, LinkSkip::Broken(e.to_string())),
            }
        }
    }
}

/// Lists a drop folder.
pub fn scan_folder(root: &Path, options: &ScanOptions) -> SourceScan {
    let shown = printable_path(root);
    let canonical = match std::fs::canonicalize(root) {
        Ok(p) if p.is_dir() => p,
        _ => {
            return SourceScan {
                error: Some(SourceError::Missing(shown)),
                ..SourceScan::default()
            }
        }
    };
    let mut walker = Walker {
        root: &canonical,
        options: *options,
        scan: SourceScan::default(),
        claimed: HashMap::from([(canonical.clone(), String::new())]),
        organismos: HashSet::new(),
        pending: Vec::new(),
    };
    if let Err(e) = walker.walk(&canonical, "", 0) {
        return SourceScan {
            error: Some(SourceError::Unlistable(shown, e.to_string())),
            ..SourceScan::default()
        };
    }
    walker.follow();
    let mut scan = walker.scan;
    if scan.files.is_empty() {
        scan.error = Some(if scan.unreadable.is_empty() && scan.links.is_empty() {
            SourceError::Empty(shown)
        } else {
            SourceError::NothingToRead {
                folder: shown,
                unreadable: scan.unreadable.len(),
                links: scan.links.len(),
            }
        });
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: std::time::Duration = std::time::Duration::from_secs(600);

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
        std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open")
            .set_modified(std::time::SystemTime::now() - OLD)
            .expect("mtime");
    }

    fn scan(root: &Path, follow_links: bool) -> SourceScan {
        scan_folder(root, &ScanOptions { follow_links })
    }

    fn files(scan: &SourceScan) -> Vec<&str> {
        scan.files.iter().map(|f| f.relative.as_str()).collect()
    }

    fn links(scan: &SourceScan) -> Vec<(&str, &LinkSkip)> {
        scan.links
            .iter()
            .map(|l| (l.relative.as_str(), &l.reason))
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn links_are_not_followed_unless_asked_and_never_out_of_the_root() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().expect("tmp");
        let (root, outside) = (tmp.path().join("inbox"), tmp.path().join("fuera"));
        write(&outside.join("secreto.csv"), "a,b\n");
        write(&root.join("org-a/real.csv"), "a\n");
        write(&root.join("org-b/datos.csv"), "b\n");
        write(&root.join(".compartido/comun.csv"), "c\n");
        symlink(outside.join("secreto.csv"), root.join("org-a/afuera.csv")).expect("link");
        symlink(&outside, root.join("org-a/carpeta-afuera")).expect("link");
        symlink("../org-b/datos.csv", root.join("org-a/de-otro.csv")).expect("link");
        symlink("real.csv", root.join("org-a/otra-vez.csv")).expect("link");
        symlink(".", root.join("org-a/bucle")).expect("link");
        symlink("../.compartido", root.join("org-a/compartido")).expect("link");
        symlink("../.compartido/comun.csv", root.join("org-a/zz-comun.csv")).expect("link");
        symlink("no-existe.csv", root.join("org-a/roto.csv")).expect("link");
        symlink(&outside, root.join("org-c")).expect("link");

        // By default no link is followed; each one is listed.
        let plain = scan(&root, false);
        assert_eq!(files(&plain), ["org-a/real.csv", "org-b/datos.csv"]);
        assert_eq!(plain.links.len(), 9);
        assert!(plain
            .links
            .iter()
            .all(|l| l.reason == LinkSkip::NotFollowed));

        // Followed: inside the root only, once per file.
        let followed = scan(&root, true);
        assert_eq!(
            files(&followed),
            [
                "org-a/real.csv",
                "org-b/datos.csv",
                "org-a/compartido/comun.csv"
            ]
        );
        let reasons = links(&followed);
        let reason = |rel: &str| {
            reasons
                .iter()
                .find(|(r, _)| *r == rel)
                .map(|(_, why)| (*why).clone())
                .expect(rel)
        };
        assert!(matches!(
            reason("org-a/afuera.csv"),
            LinkSkip::OutsideRoot(_)
        ));
        assert!(matches!(
            reason("org-a/carpeta-afuera"),
            LinkSkip::OutsideRoot(_)
        ));
        assert!(matches!(reason("org-c"), LinkSkip::OutsideRoot(_)));
        assert_eq!(
            reason("org-a/de-otro.csv"),
            LinkSkip::OtherOrganismo("org-b".into())
        );
        assert_eq!(
            reason("org-a/otra-vez.csv"),
            LinkSkip::AlreadyRead("org-a/real.csv".into())
        );
        assert_eq!(reason("org-a/bucle"), LinkSkip::AlreadyRead("org-a".into()));
        assert_eq!(
            reason("org-a/zz-comun.csv"),
            LinkSkip::AlreadyRead("org-a/compartido/comun.csv".into())
        );
        assert!(matches!(reason("org-a/roto.csv"), LinkSkip::Broken(_)));
        assert!(followed.error.is_none());
    }

    #[test]
    fn a_folder_that_cannot_be_walked_is_an_error_of_that_folder_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("inbox");
        write(&root.join("org-a/uno.csv"), "a\n");
        write(&root.join("org-b/dos.csv"), "b\n");
        // Too deep to walk: the one condition every user, root included, meets.
        let mut deep = root.join("org-a");
        for i in 0..=MAX_DEPTH {
            deep.push(format!("n{i}"));
        }
        write(&deep.join("hondo.csv"), "c\n");
        let scan = scan(&root, false);
        assert_eq!(files(&scan), ["org-a/uno.csv", "org-b/dos.csv"]);
        assert_eq!(scan.unreadable.len(), 1);
        assert_eq!(
            scan.unreadable[0].problem,
            FolderProblem::TooDeep(MAX_DEPTH)
        );
        let under = format!("{}/hondo.csv", scan.unreadable[0].relative);
        assert!(scan.is_unknown(&under) && scan.is_unknown(&scan.unreadable[0].relative));
        assert!(!scan.is_unknown("org-a/uno.csv") && !scan.is_unknown("org-b/dos.csv"));
        assert!(scan.error.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_apart_and_a_fifo_is_never_opened() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().join("inbox");
        let org = root.join("org-a");
        write(&org.join(std::ffi::OsStr::from_bytes(b"a\xE9.csv")), "1\n");
        write(&org.join(std::ffi::OsStr::from_bytes(b"a\xE8.csv")), "2\n");
        write(&org.join("a\\xE9.csv"), "3\n");
        let fifo = std::process::Command::new("mkfifo")
            .arg(org.join("tuberia.csv"))
            .status();
        let scan = scan(&root, false);
        assert_eq!(
            files(&scan),
            ["org-a/a\\\\xE9.csv", "org-a/a\\xE8.csv", "org-a/a\\xE9.csv"]
        );
        if fifo.is_ok_and(|s| s.success()) {
            assert_eq!(scan.ignored, ["org-a/tuberia.csv"]);
        }
    }
}
