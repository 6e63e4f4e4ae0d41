//! A real SMTP server for tests: `tests/smtp_server.py` (aiosmtpd) on a free loopback port,
//! started per test and stopped when the test ends, and Python's own e-mail package to read
//! what it received. Shared by the mail layer's unit tests (`src/deliver/tests.rs`, through
//! `#[path]`) and the daemon's integration tests.
//!
//! A test that needs Python with aiosmtpd skips with a printed reason when it is missing,
//! unless `PARTICIPA_REQUIRE_TOOLS=1` (CI), where it fails.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value as Json;

pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py")
}

pub fn require_tools() -> bool {
    std::env::var("PARTICIPA_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Skips the test (returns None after printing why), or fails under `PARTICIPA_REQUIRE_TOOLS=1`.
pub fn skip<T>(why: &str) -> Option<T> {
    if require_tools() {
        panic!("{why} (PARTICIPA_REQUIRE_TOOLS=1: run .ci/install-report-tools)");
    }
    eprintln!("SKIPPED: {why} (run .ci/install-report-tools; PARTICIPA_REQUIRE_TOOLS=1 makes this a failure)");
    None
}

/// The tools venv's Python when it has aiosmtpd, else `python3` when it has.
pub fn python() -> Option<PathBuf> {
    let venv = std::env::var_os("PARTICIPA_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/participa-report-tools"));
    let candidates = [venv.join("bin/python3"), PathBuf::from("python3")];
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if matches!(ok, Ok(s) if s.success()) {
            return Some(py);
        }
    }
    skip("python3 with aiosmtpd not found")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A running `tests/smtp_server.py`; stopped (killed and reaped) on drop.
pub struct Server {
    child: Child,
    // Closing it tells the server to stop even if this process dies without dropping.
    _stdin: ChildStdin,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub python: PathBuf,
}

impl Server {
    pub fn start(args: &[&str]) -> Option<Server> {
        Server::start_on_port(free_port(), args)
    }

    /// On a given port (one a client was told about while no server listened there).
    pub fn start_on_port(port: u16, args: &[&str]) -> Option<Server> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let mut child = Command::new(&python)
            .arg(script())
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", script().display()));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let server = Server {
            child,
            _stdin: stdin,
            port,
            dir,
            python,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.starts_with("LISTO") => Some(server),
            Ok(line) if line.starts_with("FALTA") => skip(line.trim()),
            other => panic!("the SMTP server did not start: {other:?}"),
        }
    }

    /// Every message received so far: (envelope metadata, inspected message).
    pub fn received(&self) -> Vec<(Json, Json)> {
        let mut metas: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        metas.sort();
        metas
            .iter()
            .map(|p| {
                let meta: Json = serde_json::from_slice(&std::fs::read(p).unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                let eml = self
                    .dir
                    .path()
                    .join(meta["eml"].as_str().unwrap_or_default());
                let inspected = inspect(&self.python, &eml);
                (meta, inspected)
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Python's e-mail package's reading of an `.eml` file.
pub fn inspect(python: &Path, eml: &Path) -> Json {
    let out = Command::new(python)
        .arg(script())
        .arg("inspect")
        .arg(eml)
        .output()
        .unwrap_or_else(|e| panic!("inspect: {e}"));
    assert!(
        out.status.success(),
        "inspect {}: {}",
        eml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("inspect output: {e}"));
    assert_eq!(
        parsed["defects"],
        serde_json::json!([]),
        "Python's parser found defects in {}",
        eml.display()
    );
    parsed
}
