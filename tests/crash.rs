//! A file cannot crash the service: a pass that dies while reading files (abort, OOM kill,
//! SIGKILL) leaves a journal of what was being read; the next pass reads those files again,
//! one at a time, each in a child process, rejects the one whose child dies too, stores the
//! innocent ones and every other file, and tells the operator.
//!
//! Debug builds only (the hooks are not compiled into a release binary; `scripts/test` runs
//! this module in a debug build after the release suite): a file whose name holds `participa-test-aborta` aborts whoever reads it,
//! every time (a hostile file), and one holding `participa-test-lento` takes two seconds (so
//! it is in flight when the other aborts).

use crate::util::Workdir;

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
