//! One writer per store: an advisory lock on a file beside the database (`participa.db.lock`
//! next to `participa.db`), taken by every command that writes the store (`ingest`, `report`,
//! `run`) before it reads what it is going to change, and held until the command ends.
//!
//! The lock is the operating system's (`flock` on Unix, through `std::fs::File::try_lock`), so
//! it belongs to the process: however the holder ends — done, panic, SIGKILL, power cut — the
//! kernel lets go, and no stale lock is ever left to clean up. The file itself stays (deleting
//! it would let two processes lock two different files of the same name); while the lock is
//! held it says who holds it, as text, for the message another process gives:
//!
//! ```text
//! pid=4242
//! orden=participa run
//! desde=2026-12-01 17:40:03
//! ```
//!
//! and it is emptied when the holder lets go normally. After a kill the text stays, naming a
//! process that no longer holds anything; it is overwritten by the next holder, and read only
//! while the lock is held by someone.
//!
//! Readers (`export`, `status`) take no lock: SQLite in WAL mode lets them read while a writer
//! writes. A PostgreSQL store would take a session advisory lock (`pg_try_advisory_lock`) and
//! keep the holder's description in a table instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The daemon's command as its lock names it: the holder that keeps the store for its whole
/// life.
pub const DAEMON: &str = "participa run";

/// A process writing the store, as its lock names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command (`participa ingest`, `participa report --period 2019-03`, [`DAEMON`]).
    pub command: String,
    /// When it took the store (local time, `2026-12-01 17:40:03`).
    pub since: String,
}

impl Holder {
    /// This process, about to write the store with `command`.
    pub fn this_process(command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            command: command.to_string(),
            since: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    /// Whether it is the daemon, which holds the store until it is stopped.
    pub fn is_daemon(&self) -> bool {
        self.command == DAEMON
    }

    /// The lock file's text.
    pub fn to_text(&self) -> String {
        // One line each: a command never holds a line break (it is ours, not the user's).
        format!(
            "pid={}\norden={}\ndesde={}\n",
            self.pid,
            self.command.replace('\n', " "),
            self.since
        )
    }

    /// Reads the lock file's text; `None` when it names nobody (empty, or half written).
    pub fn parse(text: &str) -> Option<Holder> {
        let (mut pid, mut command, mut since) = (None, None, None);
        for line in text.lines() {
            match line.split_once('=') {
                Some(("pid", v)) => pid = v.trim().parse().ok(),
                Some(("orden", v)) => command = Some(v.trim().to_string()),
                Some(("desde", v)) => since = Some(v.trim().to_string()),
                _ => {}
            }
        }
        Some(Holder {
            pid: pid?,
            command: command?,
            since: since?,
        })
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {}, «{}», desde {}",
            self.pid, self.command, self.since
        )
    }
}

/// Another process holds the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// Who, when its lock file says so.
    pub holder: Option<Holder>,
    /// The command that could not take it.
    pub wanted: String,
    /// The store (its database file).
    pub store: PathBuf,
    /// How long it waited (zero: it did not, or has just started to).
    pub waited: Duration,
}

impl Busy {
    fn who(&self) -> String {
        match &self.holder {
            Some(h) => format!("otro proceso de participa ({h})"),
            None => "otro proceso de participa".to_string(),
        }
    }

    /// What a command that waits says when it starts to.
    pub fn waiting_message(&self, limit: Duration) -> String {
        // The daemon ends only when stopped: the wait is for one that is stopping.
        let what = if self.holder.as_ref().is_some_and(Holder::is_daemon) {
            "por si se está deteniendo"
        } else {
            "a que termine"
        };
        format!(
            "{} está usando el almacén {}; se espera hasta {} s {what}…",
            self.who(),
            self.store.display(),
            limit.as_secs()
        )
    }
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} está usando el almacén {}",
            self.who(),
            self.store.display()
        )?;
        if !self.waited.is_zero() {
            write!(
                f,
                "; se esperó {} s y no terminó",
                self.waited.as_secs().max(1)
            )?;
        }
        let daemon = self.holder.as_ref().is_some_and(Holder::is_daemon);
        if daemon && self.wanted.starts_with(DAEMON) {
            write!(
                f,
                ". Ya hay un daemon en marcha sobre este almacén: no se inicia otro"
            )
        } else if daemon {
            write!(
                f,
                ". Es el daemon (`{DAEMON}`): mientras está en marcha, él mismo ingesta los archivos, arma los informes y los envía; \
                 para hacerlo a mano, deténgalo antes (SIGTERM o Ctrl-C; con systemd, `systemctl stop participa`)"
            )
        } else {
            write!(f, ". Solo un proceso escribe en el almacén a la vez: vuelva a intentarlo cuando termine")
        }
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{0}")]
    Busy(Box<Busy>),
    /// The lock file could not be used.
    #[error("no se pudo usar el archivo de bloqueo {path}: {error}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
}

/// The lock file of a store kept in `database`: `participa.db` → `participa.db.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "participa.db".into());
    name.push(".lock");
    database.with_file_name(name)
}

/// The store's writer lock, held until dropped.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
}

/// How often a waiting command tries again.
const POLL: Duration = Duration::from_millis(100);

/// Who the lock file names. Right after another process took the lock its text may not be
/// written yet: a short while is given for it.
fn read_holder(path: &Path) -> Option<Holder> {
    for _ in 0..10 {
        let mut text = String::new();
        if let Ok(mut f) = File::open(path) {
            if f.read_to_string(&mut text).is_ok() {
                if let Some(h) = Holder::parse(&text) {
                    return Some(h);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

impl WriterLock {
    /// Takes the writer lock of the store kept in `database` for `me`, waiting up to `wait`
    /// while another process holds it (`waiting` is told once, when the wait starts).
    pub fn acquire(
        database: &Path,
        me: &Holder,
        wait: Duration,
        waiting: &mut dyn FnMut(&Busy),
    ) -> Result<WriterLock, LockError> {
        let path = lock_path(database);
        let io = |error| LockError::Io {
            path: path.clone(),
            error,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let waited = start.elapsed();
                    let busy = |waited| Busy {
                        holder: read_holder(&path),
                        wanted: me.command.clone(),
                        store: database.to_path_buf(),
                        waited,
                    };
                    if waited >= wait {
                        // A command that does not wait did not wait, however long this took.
                        return Err(LockError::Busy(Box::new(busy(if wait.is_zero() {
                            Duration::ZERO
                        } else {
                            waited
                        }))));
                    }
                    if !told {
                        waiting(&busy(Duration::ZERO));
                        told = true;
                    }
                    std::thread::sleep(POLL.min(wait.saturating_sub(waited)));
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let mut lock = WriterLock { file };
        lock.write(&me.to_text()).map_err(io)?;
        Ok(lock)
    }

    fn write(&mut self, text: &str) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Names nobody once let go; closing the file releases the lock.
        let _ = self.write("");
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_names_its_holder_and_reads_back() {
        let me = Holder {
            pid: 4242,
            command: "participa run".into(),
            since: "2026-12-01 17:40:03".into(),
        };
        assert_eq!(Holder::parse(&me.to_text()), Some(me.clone()));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid=12\n"), None, "half written");
        assert!(me.is_daemon());
        assert_eq!(
            me.to_string(),
            "pid 4242, «participa run», desde 2026-12-01 17:40:03"
        );
        assert_eq!(
            lock_path(Path::new("/srv/p/participa.db")),
            Path::new("/srv/p/participa.db.lock")
        );
    }

    #[test]
    fn a_second_writer_is_refused_naming_the_first_and_gets_it_once_let_go() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("participa.db");
        let first = Holder::this_process("participa ingest");
        let held = WriterLock::acquire(&db, &first, Duration::ZERO, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        // A lock is per open file, so a second open in the same process is a second writer.
        let mut told = Vec::new();
        let second = Holder::this_process("participa report --period 2019-03");
        let busy = match WriterLock::acquire(&db, &second, Duration::from_millis(300), &mut |b| {
            told.push(b.clone())
        }) {
            Err(LockError::Busy(busy)) => busy,
            other => panic!("the second writer got the lock: {other:?}"),
        };
        assert_eq!(busy.holder.as_ref(), Some(&first));
        assert!(busy.waited >= Duration::from_millis(300));
        assert_eq!(told.len(), 1, "told once that it waits");
        let text = busy.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id()))
                && text.contains("«participa ingest»")
                && text.contains("se esperó"),
            "{text}"
        );
        drop(held);
        assert_eq!(
            std::fs::read_to_string(lock_path(&db)).unwrap_or_default(),
            "",
            "emptied when let go"
        );
        let again = WriterLock::acquire(&db, &second, Duration::ZERO, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Holder::parse(&std::fs::read_to_string(lock_path(&db)).unwrap_or_default()),
            Some(second)
        );
        drop(again);
    }

    #[test]
    fn the_daemon_as_holder_is_explained_to_whoever_asks() {
        let daemon = Holder {
            pid: 7,
            command: DAEMON.into(),
            since: "2026-12-01 17:40:03".into(),
        };
        let busy = |wanted: &str, waited| {
            Busy {
                holder: Some(daemon.clone()),
                wanted: wanted.into(),
                store: "participa.db".into(),
                waited,
            }
            .to_string()
        };
        assert!(busy("participa run --once", Duration::ZERO).contains("Ya hay un daemon en marcha"));
        let by_hand = busy("participa ingest", Duration::from_secs(60));
        assert!(
            by_hand.contains("se esperó 60 s") && by_hand.contains("Es el daemon"),
            "{by_hand}"
        );
    }
}
