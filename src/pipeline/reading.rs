//! A file cannot crash the service.
//!
//! Before a worker reads a file (version) it writes a line to a journal beside the store
//! (`participa.db.lecturas`): «reading began»; when the file is read and standardised, a second
//! line: «reading ended». A line handed to the kernel outlives the process (an abort, an OOM
//! kill, SIGKILL), so when a pass starts, a file whose reading began and never ended was being
//! read when the previous process died: a *suspect*. Several files are read at once, so a
//! suspect is not a culprit: each suspect is read again alone, in a child process (this binary,
//! [`CHILD_COMMAND`]) under an address-space limit, with the same limits; the child hands back
//! its sheets. A child that dies (signal, abort, out of memory) convicts its file: that version
//! is rejected as `unreadable-file` with [`CRASHED`], and the pass goes on. A child that reads
//! it clears it, and its sheets are used, so an innocent is stored and a file that only crashes
//! alongside others (the sum of their memory) is not read in the process again.
//!
//! Costs: two `write` calls per file read in a normal pass (no `fsync`: a power cut is not a file's
//! doing); the child, its start and its sheets through a pipe only for suspects, after a crash.
//! The journal is compacted to the suspects at the start of each pass, so it holds at most a
//! pass's worth of lines. Only the store's writer (the writer lock) writes it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::ingest::{self, Limits, ReadError};
use crate::standard::{Cell, Merge, RawRow, RawSheet};

/// Why a file whose reading stopped the process is rejected.
pub const CRASHED: &str = "la lectura de este archivo detuvo el proceso";

/// The hidden subcommand that reads one file for its parent.
pub const CHILD_COMMAND: &str = "leer-archivo-aislado";

/// The child's address space: one file's budget (`ingest.max_*_per_file`) fits well inside
/// it, the mappings of the binary too; a file that needs more is the culprit.
pub const CHILD_ADDRESS_SPACE: u64 = 2 << 30;

/// One file version a worker reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reading {
    /// Source name.
    pub fuente: String,
    /// Relative path (the file's identity).
    pub ruta: String,
    /// Size in bytes.
    pub tam: u64,
    /// Modification time, ns.
    pub mtime: i64,
}

#[derive(Serialize, Deserialize)]
struct Line {
    /// `leyendo` (began) or `leido` (ended).
    ev: String,
    #[serde(flatten)]
    r: Reading,
}

/// The journal of what is being read.
pub struct Journal {
    file: Option<File>,
    path: PathBuf,
}

/// The journal beside the store at `db`.
pub fn journal_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lecturas");
    db.with_file_name(name)
}

impl Journal {
    /// Opens the journal at `path`: returns the suspects (reading began, never ended) and
    /// keeps only their lines. A journal that cannot be written protects nothing, and says so,
    /// but stops no pass.
    pub fn open(path: &Path) -> (Journal, Vec<Reading>) {
        let mut text = String::new();
        if let Ok(f) = File::open(path) {
            // A pass's worth of lines; more would be a journal of something else.
            let _ = f.take(64 << 20).read_to_string(&mut text);
        }
        let mut open: HashMap<Reading, i64> = HashMap::new();
        let mut order = Vec::new();
        for line in text.lines() {
            let Ok(l) = serde_json::from_str::<Line>(line) else {
                continue;
            };
            let n = open.entry(l.r.clone()).or_insert(0);
            if l.ev == "leyendo" {
                *n += 1;
                order.push(l.r);
            } else {
                *n -= 1;
            }
        }
        let mut suspects: Vec<Reading> = Vec::new();
        for r in order {
            if open.get(&r).is_some_and(|n| *n > 0) && !suspects.contains(&r) {
                suspects.push(r);
            }
        }
        let mut journal = Journal {
            file: None,
            path: path.to_path_buf(),
        };
        let compacted: String = suspects.iter().filter_map(|r| line("leyendo", r)).collect();
        let written = crate::fsutil::write_atomic(path, compacted.as_bytes());
        match written.and_then(|()| File::options().append(true).open(path)) {
            Ok(f) => journal.file = Some(f),
            Err(e) => {
                warn!(ruta = %path.display(), error = %e, "no se pudo escribir el registro de lecturas: un archivo que detenga el proceso no se reconocerá")
            }
        }
        (journal, suspects)
    }

    /// Reading `r` begins.
    pub fn began(&self, r: &Reading) {
        self.write("leyendo", r);
    }

    /// Reading `r` ended (read, or judged).
    pub fn ended(&self, r: &Reading) {
        self.write("leido", r);
    }

    fn write(&self, ev: &str, r: &Reading) {
        let Some(mut f) = self.file.as_ref() else {
            return;
        };
        if let Some(text) = line(ev, r) {
            // One write of one short line with O_APPEND: lines of two threads never interleave.
            if let Err(e) = f.write_all(text.as_bytes()) {
                warn!(ruta = %self.path.display(), error = %e, "no se pudo escribir el registro de lecturas");
            }
        }
    }
}

fn line(ev: &str, r: &Reading) -> Option<String> {
    serde_json::to_string(&Line {
        ev: ev.to_string(),
        r: r.clone(),
    })
    .ok()
    .map(|mut s| {
        s.push('\n');
        s
    })
}

/// Reads one file's sheets: the reader, behind the hooks tests use to stop the process.
pub fn read_sheets(
    bytes: &[u8],
    extension: &str,
    limits: &Limits,
    path: &Path,
) -> Result<Vec<RawSheet>, ReadError> {
    test_hooks(path);
    ingest::read_bytes(bytes, extension, limits)
}

/// In debug builds only, a file whose name holds `participa-test-aborta` aborts the process
/// (after a short wait, so other workers are reading too) and one whose name holds
/// `participa-test-lento` takes two seconds: a hostile file, every time it is read, in the
/// process or in a child. Release builds have no such names.
#[cfg(debug_assertions)]
fn test_hooks(path: &Path) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains("participa-test-lento") {
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    if name.contains("participa-test-aborta") {
        std::thread::sleep(std::time::Duration::from_millis(500));
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
fn test_hooks(_: &Path) {}

/// What reading a suspect in a child gave.
pub enum ChildRead {
    /// The child read it (or the reader rejected it, with the reader's words): innocent.
    Read(Result<Vec<RawSheet>, super::Unreadable>),
    /// The child died reading it: the culprit. How it died.
    Died(String),
    /// The child could not be started: judged next pass.
    NotRun(String),
}

/// Reads `path` in a child process (one at a time: the caller serialises).
pub fn read_in_child(path: &Path, extension: &str, limits: &Limits) -> ChildRead {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return ChildRead::NotRun(e.to_string()),
    };
    let child = Command::new(exe)
        .arg(CHILD_COMMAND)
        .arg(path)
        .arg(extension)
        .arg(limits_arg(limits))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_remove("RUST_LOG")
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return ChildRead::NotRun(e.to_string()),
    };
    let mut out = Vec::new();
    let read = child.stdout.take().map(|mut s| s.read_to_end(&mut out));
    let status = match child.wait() {
        Ok(s) => s,
        Err(e) => return ChildRead::NotRun(e.to_string()),
    };
    if !status.success() {
        return ChildRead::Died(describe(&status));
    }
    if !matches!(read, Some(Ok(_))) {
        return ChildRead::Died("su salida no se pudo leer".into());
    }
    match serde_json::from_slice::<WireResult>(&out) {
        Ok(WireResult::Ok(sheets)) => {
            ChildRead::Read(Ok(sheets.into_iter().map(WireSheet::into_sheet).collect()))
        }
        Ok(WireResult::Err(m)) => ChildRead::Read(Err(super::Unreadable::ReadApart(m))),
        Err(_) => ChildRead::Died("su salida está incompleta".into()),
    }
}

fn describe(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("terminó por la señal {sig}");
        }
    }
    format!("terminó con el código {}", status.code().unwrap_or(-1))
}

fn limits_arg(l: &Limits) -> String {
    format!(
        "{},{},{},{},{},{}",
        l.max_file_bytes,
        l.max_columns,
        l.max_rows,
        l.max_unpacked_bytes,
        l.max_cells_per_file,
        l.max_text_bytes_per_file
    )
}

fn parse_limits(s: &str) -> Option<Limits> {
    let v: Vec<u64> = s
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [a, b, c, d, e, f] = v.as_slice() else {
        return None;
    };
    Some(Limits {
        max_file_bytes: *a,
        max_columns: usize::try_from(*b).ok()?,
        max_rows: usize::try_from(*c).ok()?,
        max_unpacked_bytes: *d,
        max_cells_per_file: *e,
        max_text_bytes_per_file: *f,
    })
}

/// The child's side: limits its address space, reads the file, writes its sheets to stdout.
/// Returns the exit code (2: asked wrongly or stdout failed).
pub fn child_main(path: &Path, extension: &str, limits: &str) -> i32 {
    let Some(limits) = parse_limits(limits) else {
        return 2;
    };
    limit_address_space(CHILD_ADDRESS_SPACE);
    let result = match std::fs::read(path) {
        Ok(bytes) => read_sheets(&bytes, extension, &limits, path).map_err(|e| e.to_string()),
        Err(e) => Err(ReadError::Io(e.to_string()).to_string()),
    };
    let wire = match result {
        Ok(sheets) => WireResult::Ok(sheets.iter().map(WireSheet::from_sheet).collect()),
        Err(m) => WireResult::Err(m),
    };
    let mut stdout = std::io::stdout().lock();
    match serde_json::to_writer(&mut stdout, &wire)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush())
    {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

#[cfg(unix)]
fn limit_address_space(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct it is given and changes only this process's limits.
    let _ = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
}

#[cfg(not(unix))]
fn limit_address_space(_: u64) {}

/// Sheets as the child hands them over: every value exact (numbers by their bits, dates by
/// their seconds), whatever JSON can say.
#[derive(Serialize, Deserialize)]
enum WireResult {
    Ok(Vec<WireSheet>),
    Err(String),
}

#[derive(Serialize, Deserialize)]
struct WireSheet {
    name: String,
    rows: Vec<(u32, bool, Vec<WireCell>)>,
    truncated: bool,
    merges: Vec<(u32, u32, usize, usize)>,
}

#[derive(Serialize, Deserialize)]
enum WireCell {
    E,
    T(String),
    N(u64),
    D(i64, u32),
    B(bool),
    X(String),
}

impl WireSheet {
    fn from_sheet(s: &RawSheet) -> WireSheet {
        WireSheet {
            name: s.name.clone(),
            rows: s
                .rows
                .iter()
                .map(|r| {
                    (
                        r.number,
                        r.sum_formulas,
                        r.cells.iter().map(WireCell::from_cell).collect(),
                    )
                })
                .collect(),
            truncated: s.truncated_columns,
            merges: s
                .merges
                .iter()
                .map(|m| (m.first_row, m.last_row, m.first_col, m.last_col))
                .collect(),
        }
    }

    fn into_sheet(self) -> RawSheet {
        RawSheet {
            name: self.name,
            rows: self
                .rows
                .into_iter()
                .map(|(number, sum_formulas, cells)| RawRow {
                    number,
                    cells: cells.into_iter().map(WireCell::into_cell).collect(),
                    sum_formulas,
                })
                .collect(),
            truncated_columns: self.truncated,
            merges: self
                .merges
                .into_iter()
                .map(|(first_row, last_row, first_col, last_col)| Merge {
                    first_row,
                    last_row,
                    first_col,
                    last_col,
                })
                .collect(),
        }
    }
}

impl WireCell {
    fn from_cell(c: &Cell) -> WireCell {
        match c {
            Cell::Empty => WireCell::E,
            Cell::Text(t) => WireCell::T(t.clone()),
            Cell::Number(n) => WireCell::N(n.to_bits()),
            Cell::Date(d) => {
                let utc = d.and_utc();
                WireCell::D(utc.timestamp(), utc.timestamp_subsec_nanos())
            }
            Cell::Bool(b) => WireCell::B(*b),
            Cell::Error(e) => WireCell::X(e.clone()),
        }
    }

    fn into_cell(self) -> Cell {
        match self {
            WireCell::E => Cell::Empty,
            WireCell::T(t) => Cell::Text(t),
            WireCell::N(bits) => Cell::Number(f64::from_bits(bits)),
            WireCell::D(secs, nanos) => DateTime::from_timestamp(secs, nanos)
                .map(|d| Cell::Date(d.naive_utc()))
                .unwrap_or(Cell::Empty),
            WireCell::B(b) => Cell::Bool(b),
            WireCell::X(e) => Cell::Error(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_keeps_only_what_began_and_never_ended() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = journal_path(&dir.path().join("participa.db"));
        let r = |ruta: &str| Reading {
            fuente: "f".into(),
            ruta: ruta.into(),
            tam: 1,
            mtime: 2,
        };
        let (j, suspects) = Journal::open(&path);
        assert!(suspects.is_empty());
        for x in ["a", "b", "c"] {
            j.began(&r(x));
        }
        j.ended(&r("b"));
        drop(j);
        let (j, suspects) = Journal::open(&path);
        assert_eq!(suspects, vec![r("a"), r("c")]);
        j.ended(&r("a"));
        drop(j);
        assert_eq!(Journal::open(&path).1, vec![r("c")]);
    }

    #[test]
    fn sheets_cross_the_pipe_exactly() {
        let date = chrono::NaiveDate::from_ymd_opt(2019, 3, 1)
            .and_then(|d| d.and_hms_nano_opt(10, 5, 0, 7))
            .expect("date");
        let sheet = RawSheet {
            name: "hoja".into(),
            rows: vec![RawRow {
                number: 3,
                cells: vec![
                    Cell::Empty,
                    Cell::Text("á".into()),
                    Cell::Number(f64::NAN),
                    Cell::Number(0.1),
                    Cell::Date(date),
                    Cell::Bool(true),
                    Cell::Error("#N/A".into()),
                ],
                sum_formulas: true,
            }],
            truncated_columns: true,
            merges: vec![Merge {
                first_row: 1,
                last_row: 2,
                first_col: 0,
                last_col: 3,
            }],
        };
        let back = WireSheet::from_sheet(&sheet).into_sheet();
        assert_eq!(format!("{back:?}"), format!("{sheet:?}"));
    }
}
