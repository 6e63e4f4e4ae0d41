//! Settled means unchanged: a file is read only when its size and modification time are the
//! same on two listings at least `settle_seconds` apart, so a copy that stalls is never read
//! half-written, by `ingest` or by the daemon.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::util::{set_age, Workdir};

/// Three rows, the first half of it cut in the middle of the second row.
const FULL: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\nBA Elige;02/03/2019;Recoleta;20\nBA Elige;03/03/2019;Flores;30\n";

fn set(w: &Workdir, from: &str, to: &str) {
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    assert!(text.contains(from), "{from} in the config");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write config");
}

/// Starts participa with the log at info on a piped stderr, forwarding each log line.
fn spawn(
    w: &Workdir,
    args: &[&str],
    now: Option<&str>,
) -> (
    Child,
    Receiver<String>,
    std::thread::JoinHandle<Vec<String>>,
) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(&w.dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("PARTICIPA_NOW")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(now) = now {
        cmd.env("PARTICIPA_NOW", now);
    }
    let mut child = cmd.spawn().expect("spawn participa");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            log.push(line);
        }
        log
    });
    (child, rx, reader)
}

/// Waits for a log line holding `what` (false when the process ended or the time ran out).
fn wait_line(rx: &Receiver<String>, what: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(what) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// The first half of the copy, its time a minute ago: the copy stalled longer than
/// `settle_seconds`, so a file judged by its age alone is read now, half-written.
fn write_half(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, &FULL.as_bytes()[..FULL.len() / 2]).expect("write half");
    set_age(path, Duration::from_secs(60));
}

fn write_rest(path: &Path) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open to append");
    f.write_all(&FULL.as_bytes()[FULL.len() / 2..])
        .expect("write the rest");
}

/// Every version ever stored (`status`).
fn versions(w: &Workdir) -> u64 {
    let run = w.run(&["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).expect("status JSON");
    status["almacen"]["versiones"].as_u64().expect("versiones")
}

#[test]
fn a_copy_that_stalls_during_a_single_ingest_is_never_read_half_written() {
    let w = Workdir::new();
    set(&w, "settle_seconds = 1", "settle_seconds = 3");
    let path = w.inbox().join("ministerio-a/reuniones.csv");
    write_half(&path);
    let (child, rx, reader) = spawn(&w, &["ingest"], None);
    // The ingest lists, sees the file for the first time and waits before listing again; the
    // copy goes on meanwhile.
    let waited = wait_line(&rx, "se vuelve a listar", Duration::from_secs(60));
    write_rest(&path);
    let out = child.wait_with_output().expect("ingest ends");
    let log = reader.join().unwrap_or_default();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{log:?}");
    assert!(waited, "the ingest waited to list again: {log:?}");
    assert!(
        stdout.contains("reuniones.csv: se está copiando; se leerá en la próxima pasada"),
        "{stdout}"
    );
    assert!(stdout.contains("1 en copia"), "{stdout}");
    assert!(
        w.export("instancias").is_empty(),
        "nothing of the half was read"
    );
    assert_eq!(versions(&w), 0, "no half version in the history");

    // The next pass, once the copy is whole and unchanged over two listings, reads it once.
    let run = w.ingest();
    assert!(run.stdout.contains("Archivos: 1 nuevos"), "{}", run.stdout);
    assert_eq!(w.export("instancias").len(), 3);
    assert_eq!(versions(&w), 1);
}

#[test]
fn a_file_seen_for_the_first_time_is_read_after_the_second_listing_even_with_no_settle_time() {
    let w = Workdir::new();
    set(&w, "settle_seconds = 1", "settle_seconds = 0");
    let path = w.inbox().join("ministerio-a/reuniones.csv");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, FULL).expect("write");
    // Written just now: with the two listings back to back it is read in this pass.
    let run = w.ingest();
    assert!(run.stdout.contains("Archivos: 1 nuevos"), "{}", run.stdout);
    assert_eq!(w.export("instancias").len(), 3);
}

#[test]
fn the_daemon_never_reads_a_stalled_copy_half_written() {
    let w = Workdir::new();
    set(&w, "settle_seconds = 1", "settle_seconds = 3");
    // Every second; no month is due in mid-January 2019 and no organismo has a contact.
    set(
        &w,
        "ingesta = \"0 */5 * * * *\"",
        "ingesta = \"* * * * * *\"",
    );
    let path = w.inbox().join("ministerio-a/reuniones.csv");
    write_half(&path);
    let (mut child, rx, reader) = spawn(&w, &["run"], Some("2019-01-15T12:00:00Z"));
    let waited = wait_line(&rx, "se vuelve a listar", Duration::from_secs(60));
    write_rest(&path);
    // A later tick sees the whole file unchanged over two listings and stores it.
    let stored = waited && wait_line(&rx, "archivo guardado", Duration::from_secs(60));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("daemon ends");
    let log = reader.join().unwrap_or_default();
    assert!(
        waited && stored,
        "the daemon waited for a second listing, then stored the file: {exit:?} {log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("cambió entre las dos listas")),
        "the stalled copy was seen changing: {log:?}"
    );
    assert_eq!(w.export("instancias").len(), 3, "the whole file");
    assert_eq!(versions(&w), 1, "no half version in the history: {log:?}");
}
