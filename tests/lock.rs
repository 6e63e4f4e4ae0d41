//! One writer per store (`participa.db.lock`): two processes at once never write a file twice,
//! never send twice and never make each other fail; a killed holder leaves nothing behind. Waits
//! here are bounded by generous limits; nothing is timed.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{fixtures, Run, Workdir};

/// Early April 2019: the daemon has January to March to build and send.
const APRIL: &str = "2019-04-02T12:00:00Z";

fn samples() -> Workdir {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w
}

/// Starts the binary in the working folder, its output captured.
fn spawn(w: &Workdir, now: Option<&str>, args: &[&str], output: fn() -> Stdio) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(&w.dir)
        .env_remove("RUST_LOG")
        .env_remove("PARTICIPA_NOW")
        .stdout(output())
        .stderr(output());
    if let Some(now) = now {
        cmd.env("PARTICIPA_NOW", now);
    }
    cmd.spawn().expect("the participa binary starts")
}

fn finish(child: Child) -> Run {
    child.wait_with_output().expect("wait for participa").into()
}

/// Waits (a minute at most) until the store's lock file names `pid`: that process holds it.
fn wait_until_held_by(w: &Workdir, pid: u32) {
    let path = w.dir.join("participa.db.lock");
    let line = format!("pid={pid}\n");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(&line) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never named pid {pid}: {text:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sets `[ingest] espera_bloqueo_segundos`.
fn set_wait(w: &Workdir, seconds: u64) {
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    assert!(
        text.contains("espera_bloqueo_segundos = 60"),
        "the documented default is in participa.toml"
    );
    std::fs::write(
        &path,
        text.replace(
            "espera_bloqueo_segundos = 60",
            &format!("espera_bloqueo_segundos = {seconds}"),
        ),
    )
    .expect("write config");
}

/// The file list without reception times: what the store holds of each file.
fn files(w: &Workdir) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = w
        .export("archivos")
        .into_iter()
        .map(|mut r: HashMap<String, String>| {
            [
                "fuente",
                "ruta",
                "estado",
                "resultado",
                "sha256",
                "filas_aceptadas",
                "filas_rechazadas",
                "problemas",
            ]
            .iter()
            .map(|c| r.remove(*c).unwrap_or_default())
            .collect()
        })
        .collect();
    rows.sort();
    rows
}

fn count(w: &Workdir, sql: &str) -> i64 {
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    db.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn outbox(w: &Workdir) -> usize {
    std::fs::read_dir(w.dir.join("correo/salida"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn two_ingests_at_once_store_each_file_once_and_neither_fails() {
    let reference = samples();
    let alone = reference.ingest();
    let w = samples();
    let (a, b) = (
        spawn(&w, None, &["ingest"], Stdio::piped),
        spawn(&w, None, &["ingest"], Stdio::piped),
    );
    let (a, b) = (finish(a), finish(b));
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        // Nothing on stderr that one ingest alone does not say, but that it waited for the other.
        for line in run.stderr.lines().filter(|l| !alone.stderr.contains(*l)) {
            assert!(
                line.contains("está usando el almacén")
                    && line.contains("«participa ingest»")
                    && line.contains("se espera hasta 60 s"),
                "{}",
                run.stderr
            );
        }
    }
    let second = [&a, &b]
        .into_iter()
        .filter(|r| r.stdout.contains("Archivos: 0 nuevos, 0 cambiados,"))
        .count();
    assert_eq!(
        second, 1,
        "one read the files, the other found them stored:\n{}\n{}",
        a.stdout, b.stdout
    );
    assert_eq!(
        files(&w),
        files(&reference),
        "the files as one ingest stores them"
    );
    let versions = "SELECT COUNT(*) FROM versiones";
    assert_eq!(
        count(&w, versions),
        count(&reference, versions),
        "one version per file"
    );
    assert_eq!(
        count(&w, "SELECT COUNT(*) FROM ds_iniciativas_historial"),
        0,
        "no snapshot replaced by a copy of itself"
    );
    for ds in ["instancias", "iniciativas", "reconocimientos"] {
        assert_eq!(w.export(ds).len(), reference.export(ds).len(), "{ds}");
    }
}

#[test]
fn a_second_daemon_refuses_and_a_hand_ingest_or_send_waits_then_names_the_daemon() {
    let w = samples();
    set_wait(&w, 1);
    let mut daemon = spawn(&w, Some(APRIL), &["run"], Stdio::null);
    let pid = daemon.id();
    wait_until_held_by(&w, pid);
    let holder = format!("pid {pid}, «participa run», desde ");

    let second = w.run_at(APRIL, &["run", "--once"]);
    assert_ne!(
        second.code, 0,
        "a second daemon does not start: {}",
        second.stdout
    );
    assert!(
        second.stderr.contains(&holder) && second.stderr.contains("Ya hay un daemon en marcha"),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("se esper"),
        "it did not wait: {}",
        second.stderr
    );

    let ingest = w.run(&["ingest"]);
    assert_ne!(ingest.code, 0);
    assert!(
        ingest.stderr.contains("se espera hasta 1 s"),
        "it said it waits: {}",
        ingest.stderr
    );
    assert!(
        ingest.stderr.contains(&holder)
            && ingest.stderr.contains("se esperó 1 s")
            && ingest.stderr.contains("Es el daemon"),
        "{}",
        ingest.stderr
    );

    let send = w.run_at(APRIL, &["report", "--period", "2019-03", "--send"]);
    assert_ne!(send.code, 0);
    assert!(
        send.stderr.contains(&holder) && send.stderr.contains("Es el daemon"),
        "{}",
        send.stderr
    );

    // Reading needs no lock.
    let status = w.run_at(APRIL, &["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);

    let stopped = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let _ = daemon.wait();
    // What the stopped daemon left undone is done once, by the next one: 3 months × 2.
    let once = w.run_at(APRIL, &["run", "--once"]);
    assert_eq!(once.code, 0, "{}", once.stderr);
    assert_eq!(outbox(&w), 6);
}

#[test]
fn a_killed_holder_leaves_no_stale_lock() {
    let w = samples();
    // A lock still held would make the ingest below give up at once.
    set_wait(&w, 0);
    let mut daemon = spawn(&w, Some(APRIL), &["run"], Stdio::null);
    wait_until_held_by(&w, daemon.id());
    daemon.kill().expect("SIGKILL");
    let _ = daemon.wait();
    let ingest = w.ingest();
    assert!(
        !ingest.stderr.contains("está usando el almacén"),
        "{}",
        ingest.stderr
    );
    let once = w.run_at(APRIL, &["run", "--once"]);
    assert_eq!(once.code, 0, "{}", once.stderr);
}

#[test]
fn two_reports_of_one_period_at_once_both_succeed_one_after_the_other() {
    let w = samples();
    w.ingest();
    let args = ["report", "--period", "2019-03"];
    let (a, b) = (
        spawn(&w, None, &args, Stdio::piped),
        spawn(&w, None, &args, Stdio::piped),
    );
    let (a, b) = (finish(a), finish(b));
    for run in [&a, &b] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("PDF:"), "{}", run.stdout);
    }
    assert_eq!(
        a.stdout, b.stdout,
        "the same report, same date of issue and data version"
    );
    assert!(
        w.dir.join("informes/participa-2019-03-es.pdf").is_file()
            && w.dir.join("publicacion/2019-03/datapackage.json").is_file()
    );
}
