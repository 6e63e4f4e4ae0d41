//! Settled means unchanged: the new and changed files a process has listed, and since when
//! each kept its change tokens (size, modification time, a network source's ETag).

use super::*;

/// A file's tokens when first seen unchanged (size, time, ETag), and since when.
type Sighting = (u64, i64, Option<String>, Instant);

/// What a process remembers of the new and changed files it listed: the size, modification
/// time and further change token (a network source's ETag) each had, and since when. A file is
/// read only once it kept them all for `settle_seconds` between two listings (settled means
/// unchanged); its first sighting is never read. The daemon keeps one across its passes; a
/// one-shot `ingest` starts empty, and a restart forgets it, which costs one wait, never a
/// half-written read.
#[derive(Debug, Default)]
pub struct Sightings {
    seen: HashMap<(String, String), Sighting>,
}

impl Sightings {
    /// Notes `f` as listed between `before` and `after`: true when it was seen with the same
    /// tokens (size, time, ETag) in a listing that ended at least `settle` before this one
    /// began.
    pub(super) fn settled(
        &mut self,
        source: &str,
        f: &FoundFile,
        before: Instant,
        after: Instant,
        settle: Duration,
    ) -> bool {
        let key = (source.to_string(), f.relative.clone());
        match self.seen.get(&key) {
            Some((size, mtime, etag, since))
                if *size == f.size && *mtime == f.mtime_ns && *etag == f.etag =>
            {
                before.saturating_duration_since(*since) >= settle
            }
            _ => {
                self.seen
                    .insert(key, (f.size, f.mtime_ns, f.etag.clone(), after));
                false
            }
        }
    }

    /// A file was read (or is known): its sighting is not needed any more.
    pub(super) fn forget(&mut self, source: &str, relative: &str) {
        self.seen
            .remove(&(source.to_string(), relative.to_string()));
    }
}

/// What the store knows of a source's files, as a source takes it.
pub(super) fn hints(known: &HashMap<String, KnownFile>) -> HashMap<String, Known> {
    known
        .iter()
        .map(|(relative, k)| {
            (
                relative.clone(),
                Known {
                    size: k.size,
                    mtime_ns: k.mtime_ns,
                    sha256: k.sha256.clone(),
                },
            )
        })
        .collect()
}

/// One source as listed for a pass.
pub(super) struct Listed {
    pub(super) scan: SourceScan,
    /// What the store knows, as the source takes it (for the second listing).
    pub(super) hints: HashMap<String, Known>,
    pub(super) known: HashMap<String, KnownFile>,
    /// Same size and time as the stored version.
    pub(super) unchanged: Vec<FoundFile>,
    /// New or changed, and unchanged over two listings `settle_seconds` apart: to read.
    pub(super) ready: Vec<FoundFile>,
    /// New or changed, seen once: listed again after the wait.
    pub(super) waiting: Vec<FoundFile>,
    /// Still being copied (changed between the listings, or gone meanwhile): next pass.
    pub(super) in_copy: Vec<String>,
}

/// Sleeps until `deadline`, waking early when `shutdown` is set.
pub(super) fn sleep_until(deadline: Instant, shutdown: &AtomicBool) {
    loop {
        let now = Instant::now();
        if now >= deadline || shutdown.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}
