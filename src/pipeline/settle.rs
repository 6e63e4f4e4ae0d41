//! Settled means unchanged: the new and changed files a process has listed, and since when
//! each kept its size and modification time.

use super::*;

/// What a process remembers of the new and changed files it listed: the size and modification
/// time each had, and since when. A file is read only once it kept both for `settle_seconds`
/// between two listings (settled means unchanged); its first sighting is never read. The
/// daemon keeps one across its passes; a one-shot `ingest` starts empty, and a restart forgets
/// it, which costs one wait, never a half-written read.
#[derive(Debug, Default)]
pub struct Sightings {
    seen: HashMap<(String, String), (u64, i64, Instant)>,
}

impl Sightings {
    /// Notes `f` as listed between `before` and `after`: true when it was seen with the same
    /// size and time in a listing that ended at least `settle` before this one began.
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
            Some((size, mtime, since)) if *size == f.size && *mtime == f.mtime_ns => {
                before.saturating_duration_since(*since) >= settle
            }
            _ => {
                self.seen.insert(key, (f.size, f.mtime_ns, after));
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

/// One source as listed for a pass.
pub(super) struct Listed {
    pub(super) scan: SourceScan,
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
