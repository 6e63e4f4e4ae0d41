//! A file cannot crash the service: a pass that dies while reading files (abort, OOM kill,
//! SIGKILL) leaves a journal of what was being read; the next pass reads those files again,
//! one at a time, each in a child process, rejects the one whose child dies too, stores the
//! innocent ones and every other file, and tells the operator.
//!
//! Debug builds only (the hooks are not compiled into a release binary; `scripts/test` runs
//! this module in a debug build after the release suite): a file whose name holds `participa-test-aborta` aborts whoever reads it,
//! every time (a hostile file), and one holding `participa-test-lento` takes two seconds (so
//! it is in flight when the other aborts, or keeps a pass running while a test kills it).

use crate::util::{meeting_file, Workdir};

const ROW: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\n";
const TWO: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;04/03/2019;Flores;4\nBA Elige;05/03/2019;Flores;5\n";
const OTHER_TWO: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;06/03/2019;Almagro;6\nBA Elige;07/03/2019;Almagro;7\n";
const CRASHED: &str = "la lectura de este archivo detuvo el proceso";

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the debug build's test hooks: scripts/test runs it in a debug build"
)]
fn a_file_that_kills_the_process_is_rejected_by_the_next_pass_and_everything_else_is_stored() {
    let w = Workdir::new();
    let path = w.dir.join("participa.toml");
    let text =
        std::fs::read_to_string(&path)
            .expect("config")
            .replacen("threads = 0", "threads = 2", 1);
    std::fs::write(&path, text).expect("write config");
    // Written in this order, read in this order: the slow one and the hostile one at once.
    w.drop_file("ministerio-a/a-participa-test-lento.csv", TWO.as_bytes());
    w.drop_file("ministerio-a/b-participa-test-aborta.csv", ROW.as_bytes());
    w.drop_file("ministerio-a/c.csv", OTHER_TWO.as_bytes());
    w.drop_file("ministerio-b/d.csv", ROW.as_bytes());

    // The process dies while reading the hostile file, the slow one in flight beside it.
    let died = w.run(&["ingest"]);
    assert_ne!(
        died.code, 0,
        "the first pass is killed: {}\n{}",
        died.stdout, died.stderr
    );
    assert!(
        w.export("instancias").len() < 6,
        "the first pass did not finish"
    );

    // The next pass (the same binary, nothing set) judges both suspects apart, rejects the
    // culprit only, and reads everything else.
    let run = w.run(&["ingest"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("ERROR: la lectura de local/ministerio-a/b-participa-test-aborta.csv detuvo el proceso en una pasada anterior"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "ministerio-a/b-participa-test-aborta.csv: rechazado entero: {CRASHED}"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("ERROR") && run.stderr.contains(CRASHED),
        "logged at error: {}",
        run.stderr
    );
    let files = w.export("archivos");
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f["ruta"].ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {files:?}"))
            .clone()
    };
    let culprit = file("b-participa-test-aborta.csv");
    assert_eq!(culprit["resultado"], "ilegible", "{culprit:?}");
    assert!(culprit["problemas"].contains(CRASHED), "{culprit:?}");
    for (name, rows) in [
        ("a-participa-test-lento.csv", "2"),
        ("c.csv", "2"),
        ("d.csv", "1"),
    ] {
        let f = file(name);
        assert_eq!(
            (f["resultado"].as_str(), f["filas_aceptadas"].as_str()),
            ("leido", rows),
            "the innocent {name} is stored: {f:?}"
        );
    }
    assert_eq!(w.export("instancias").len(), 5);

    // The operator sees it in `status`, after any later pass too.
    let again = w.run(&["ingest"]);
    assert_eq!(
        again.code, 0,
        "an unchanged culprit is not read again: {}",
        again.stderr
    );
    let status = w.run(&["status"]);
    assert!(
        status.stdout.contains(
            "ERROR: la lectura de local/ministerio-a/b-participa-test-aborta.csv detuvo el proceso"
        ),
        "{}",
        status.stdout
    );
    let json = w.run(&["status", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    assert_eq!(
        parsed["detuvieron_el_proceso"],
        serde_json::json!(["local/ministerio-a/b-participa-test-aborta.csv"])
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the debug build's test hooks: scripts/test runs it in a debug build"
)]
fn a_replaced_culprit_is_read_again_and_a_sound_pass_leaves_no_suspect() {
    let w = Workdir::new();
    w.drop_file("ministerio-a/b-participa-test-aborta.csv", ROW.as_bytes());
    assert_ne!(w.run(&["ingest"]).code, 0);
    let run = w.ingest();
    assert!(run.stdout.contains(CRASHED), "{}", run.stdout);
    // The clerk replaces it with a sound file under a sound name; the old one is gone.
    std::fs::remove_file(w.inbox().join("ministerio-a/b-participa-test-aborta.csv")).expect("rm");
    w.drop_file("ministerio-a/b.csv", ROW.as_bytes());
    let run = w.ingest();
    assert!(!run.stdout.contains("ERROR: la lectura"), "{}", run.stdout);
    assert_eq!(w.export("instancias").len(), 1);
    let journal = std::fs::read_to_string(w.dir.join("participa.db.lecturas")).unwrap_or_default();
    assert!(
        !journal.contains("leyendo")
            || journal.lines().filter(|l| l.contains("leyendo")).count()
                == journal.lines().filter(|l| l.contains("leido")).count(),
        "{journal}"
    );
}

/// A pass killed (SIGKILL) while it writes leaves only whole files in the store, and the next
/// pass completes the work: the same rows as a pass never interrupted. The last file read is
/// slow (two seconds, the debug hook), so the pass is still running, with files stored and one
/// not, when it is killed, however fast the machine: the test checks that it was.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "needs the debug build's test hooks: scripts/test runs it in a debug build"
)]
fn a_killed_ingest_leaves_only_whole_files_and_the_next_pass_completes_the_work() {
    let killed = Workdir::new();
    let reference = Workdir::new();
    // Read last: the newest file, and the last name.
    let slow = "organismo-4/zz-participa-test-lento.csv";
    let names: Vec<String> = (0..300)
        .map(|i| format!("organismo-{}/reuniones_{i:03}.csv", i % 5))
        .chain(std::iter::once(slow.to_string()))
        .collect();
    for (i, name) in names.iter().enumerate() {
        killed.drop_file(name, meeting_file(i).as_bytes());
        reference.drop_file(name, meeting_file(i).as_bytes());
    }
    reference.ingest();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_participa"))
        .arg("ingest")
        .current_dir(&killed.dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed as soon as a first file is stored; the slow one keeps the pass running meanwhile.
    let db = rusqlite::Connection::open(killed.dir.join("participa.db")).expect("db");
    let stored = || -> i64 {
        db.query_row("SELECT COUNT(*) FROM versiones", [], |r| r.get(0))
            .unwrap_or(0)
    };
    while stored() == 0 && child.try_wait().ok().flatten().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
        .kill()
        .expect("the pass is still running when it is killed");
    let status = child.wait().expect("wait");
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed, not finished: {status:?}");
    }
    let when_killed = stored();
    assert!(
        when_killed > 0 && when_killed < names.len() as i64,
        "killed mid-pass: {when_killed} of {} files stored",
        names.len()
    );

    // Whatever was committed is whole: each stored version has exactly the rows it counted.
    let partial: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM archivos a JOIN versiones v ON v.id = a.version_actual
             WHERE v.filas_aceptadas <> (SELECT COUNT(*) FROM ds_instancias d WHERE d._archivo_id = a.id)",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(partial, 0, "a file was half-written");
    drop(db);
    killed.ingest();
    assert_eq!(killed.export("instancias").len(), names.len() * 200);
    assert_eq!(killed.export("instancias"), reference.export("instancias"));
}
