//! Test helpers: an isolated working folder per test and the real `participa` binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A working folder made by `participa init`, deleted when dropped.
pub struct Workdir {
    _tmp: tempfile::TempDir,
    /// The folder with participa.toml.
    pub dir: PathBuf,
}

/// The result of one command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs the binary with `args` in `cwd`.
pub fn participa(cwd: &Path, args: &[&str]) -> Run {
    participa_at(cwd, None, args)
}

/// Runs the binary with the clock set to `now` (RFC 3339), when given.
pub fn participa_at(cwd: &Path, now: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("PARTICIPA_NOW");
    if let Some(now) = now {
        cmd.env("PARTICIPA_NOW", now);
    }
    cmd.output().expect("the participa binary runs").into()
}

/// Runs the binary with `args` in `cwd` and the log filter `rust_log` (`RUST_LOG`).
pub fn participa_logging(cwd: &Path, rust_log: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(cwd)
        .env("RUST_LOG", rust_log)
        .env_remove("PARTICIPA_NOW");
    cmd.output().expect("the participa binary runs").into()
}

/// CSV text with a header row, parsed into rows of column → value.
pub fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv record");
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// True when the tests run as root, who reads any folder whatever its mode.
#[cfg(unix)]
pub fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().expect("probe file");
    probe.as_file().metadata().expect("probe metadata").uid() == 0
}

/// The user and group `Unprivileged` runs participa as when the tests run as root.
#[cfg(unix)]
pub const NOBODY: u32 = 65534;

/// Runs participa as a user whom a folder's permissions stop: the tests' own user, or, when
/// that is root, `nobody` through `setpriv` (util-linux), with the working folder handed to it.
#[cfg(unix)]
pub struct Unprivileged {
    as_nobody: bool,
}

#[cfg(unix)]
impl Unprivileged {
    /// Makes `w`'s working folder usable by the user participa will run as.
    pub fn new(w: &Workdir) -> Unprivileged {
        use std::os::unix::fs::PermissionsExt;
        let as_nobody = running_as_root();
        if as_nobody {
            let setpriv = Command::new("setpriv").arg("--version").output();
            assert!(
                setpriv.is_ok_and(|o| o.status.success()),
                "running as root: this test needs setpriv (util-linux) to run participa as nobody"
            );
            let tmp = w.dir.parent().expect("temporary folder");
            std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o755))
                .expect("chmod temporary folder");
            give_tree(&w.dir);
        }
        Unprivileged { as_nobody }
    }

    /// Hands a path made by the test (as root) to the user participa runs as.
    pub fn give(&self, path: &Path) {
        if self.as_nobody {
            give_tree(path);
        }
    }

    /// Runs `args` in `w`'s working folder.
    pub fn run(&self, w: &Workdir, args: &[&str]) -> Run {
        let bin = env!("CARGO_BIN_EXE_participa");
        let mut cmd = if self.as_nobody {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={NOBODY}"),
                format!("--regid={NOBODY}"),
                "--clear-groups".to_string(),
                bin.to_string(),
            ]);
            c
        } else {
            Command::new(bin)
        };
        cmd.args(args)
            .current_dir(&w.dir)
            .env_remove("RUST_LOG")
            .env_remove("PARTICIPA_NOW");
        cmd.output().expect("the participa binary runs").into()
    }

    /// `participa export NAME --format csv`, parsed.
    pub fn export(&self, w: &Workdir, name: &str) -> Vec<HashMap<String, String>> {
        let run = self.run(w, &["export", name, "--format", "csv"]);
        assert_eq!(run.code, 0, "export {name} failed: {}", run.stderr);
        parse_csv(&run.stdout)
    }
}

/// Gives a path and everything under it to `NOBODY`.
#[cfg(unix)]
fn give_tree(path: &Path) {
    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).expect("chown");
    if path.symlink_metadata().expect("metadata").is_dir() {
        for entry in std::fs::read_dir(path).expect("read_dir").flatten() {
            give_tree(&entry.path());
        }
    }
}

/// Copies a tree, setting every copied file's modification time to `age` ago (settled files).
pub fn copy_tree(from: &Path, to: &Path, age: Duration) {
    for entry in std::fs::read_dir(from).expect("source folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target, age);
        } else {
            std::fs::create_dir_all(to).expect("mkdir");
            std::fs::copy(entry.path(), &target).expect("copy");
            set_age(&target, age);
        }
    }
}

/// Sets a file's modification time to `age` ago.
pub fn set_age(path: &Path, age: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for mtime");
    file.set_modified(SystemTime::now() - age)
        .expect("set mtime");
}

/// Ten minutes: well past the settle time of a copy in progress.
pub const SETTLED: Duration = Duration::from_secs(600);

impl Workdir {
    /// `participa init` in a fresh temporary folder.
    pub fn new() -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ws");
        let run = participa(tmp.path(), &["init", dir.to_str().expect("utf-8 path")]);
        assert_eq!(run.code, 0, "init failed: {}", run.stderr);
        // Settled means unchanged over two listings `settle_seconds` apart: one second keeps
        // that wait in every test without five of them per pass (tests/settle.rs sets its own).
        let config = dir.join("participa.toml");
        let text = std::fs::read_to_string(&config).expect("config");
        assert!(
            text.contains("settle_seconds = 5"),
            "the example config sets settle_seconds = 5"
        );
        std::fs::write(
            &config,
            text.replace("settle_seconds = 5", "settle_seconds = 1"),
        )
        .expect("write config");
        Workdir { _tmp: tmp, dir }
    }

    /// The drop folder.
    pub fn inbox(&self) -> PathBuf {
        self.dir.join("inbox")
    }

    /// Runs a command inside the working folder.
    pub fn run(&self, args: &[&str]) -> Run {
        participa(&self.dir, args)
    }

    /// Runs a command inside the working folder with the clock at `now` (RFC 3339).
    pub fn run_at(&self, now: &str, args: &[&str]) -> Run {
        participa_at(&self.dir, Some(now), args)
    }

    /// `participa ingest`, which must exit 0.
    pub fn ingest(&self) -> Run {
        let run = self.run(&["ingest"]);
        assert_eq!(run.code, 0, "ingest failed: {}\n{}", run.stdout, run.stderr);
        run
    }

    /// `participa export NAME --format csv`, parsed into rows of column → value.
    pub fn export(&self, name: &str) -> Vec<HashMap<String, String>> {
        let run = self.run(&["export", name, "--format", "csv"]);
        assert_eq!(run.code, 0, "export {name} failed: {}", run.stderr);
        parse_csv(&run.stdout)
    }

    /// Copies a fixture tree into the inbox as settled files.
    pub fn drop_tree(&self, fixture: &Path) {
        copy_tree(fixture, &self.inbox(), SETTLED);
    }

    /// Writes a file into the inbox as a settled file.
    pub fn drop_file(&self, relative: &str, contents: &[u8]) -> PathBuf {
        let path = self.inbox().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        set_age(&path, SETTLED);
        path
    }

    /// Every file of the working folder outside the inbox, as bytes.
    pub fn outputs(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, inbox: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
                let path = entry.path();
                if path.starts_with(inbox) {
                    continue;
                }
                if path.is_dir() {
                    walk(&path, inbox, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, bytes));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir, &self.inbox(), &mut out);
        out
    }
}

/// Sum of a numeric column (empty counts as zero).
pub fn sum(rows: &[HashMap<String, String>], column: &str) -> f64 {
    rows.iter()
        .filter_map(|r| r.get(column))
        .filter_map(|v| v.parse::<f64>().ok())
        .sum()
}

/// The address space a run of [`participa_bounded`] may use: 1.5 GiB, so a reader that expands a
/// hostile file fails instead of swapping the machine.
pub const ADDRESS_SPACE_LIMIT: u64 = 1_610_612_736;

/// A run of [`participa_bounded`]: its result and its peak resident memory.
pub struct Bounded {
    pub run: Run,
    /// Peak resident set size of the participa process, KiB.
    pub peak_kib: u64,
}

/// Runs the binary with `args` in `cwd` under `prlimit --as=ADDRESS_SPACE_LIMIT` (util-linux),
/// measuring its peak resident memory with `/usr/bin/time` when there is one, else with
/// `getrusage(RUSAGE_CHILDREN)` (then the largest of every child this test process waited
/// for: an upper bound).
#[cfg(unix)]
pub fn participa_bounded(cwd: &Path, args: &[&str]) -> Bounded {
    let prlimit = Command::new("prlimit").arg("--version").output();
    assert!(
        prlimit.is_ok_and(|o| o.status.success()),
        "this test needs prlimit (util-linux)"
    );
    let time = Path::new("/usr/bin/time");
    let report = tempfile::NamedTempFile::new().expect("time report file");
    let mut cmd = if time.is_file() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", "-o"]).arg(report.path()).arg("prlimit");
        c
    } else {
        Command::new("prlimit")
    };
    cmd.arg(format!("--as={ADDRESS_SPACE_LIMIT}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("PARTICIPA_NOW");
    let run: Run = cmd.output().expect("the participa binary runs").into();
    let measured = std::fs::read_to_string(report.path())
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    let peak_kib = measured.unwrap_or_else(|| {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } == 0;
        assert!(ok, "getrusage failed");
        // Linux reports ru_maxrss in KiB.
        u64::try_from(usage.ru_maxrss).unwrap_or(u64::MAX)
    });
    Bounded { run, peak_kib }
}

/// 200 meetings; the topic names the file, so no row repeats a row of another file (those
/// would be counted once).
pub fn meeting_file(i: usize) -> String {
    let barrios = [
        "Palermo",
        "Recoleta",
        "Flores",
        "La Boca",
        "Villa Urquiza",
        "Almagro",
    ];
    let mut text = String::from("Programa;Fecha;Barrio;Participantes;Tema\n");
    for r in 0..200 {
        text.push_str(&format!(
            "BA Elige;{}/03/2019;{};{};Reunión {i}\n",
            1 + (r % 28),
            barrios[(i + r) % barrios.len()],
            (i * 7 + r) % 150
        ));
    }
    text
}
