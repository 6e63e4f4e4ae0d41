//! `participa init` and `participa status`, and configuration checked before anything runs.

use crate::util::{fixtures, participa, Workdir};

#[test]
fn init_lays_out_a_ready_working_folder() {
    let w = Workdir::new();
    for path in [
        "participa.toml",
        "participa.db",
        "inbox",
        "standard/lexicon.json",
        "standard/datasets/instancias.json",
        "standard/codes/barrios.csv",
    ] {
        assert!(w.dir.join(path).exists(), "{path}");
    }
    let written = std::fs::read_to_string(w.dir.join("participa.toml")).expect("toml");
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/participa.example.toml"),
    )
    .expect("example");
    // `Workdir::new` shortens the settle time of every test's working folder.
    assert_eq!(
        written,
        shipped.replacen("settle_seconds = 5", "settle_seconds = 1", 1)
    );
    let again = participa(
        w.dir.parent().expect("parent"),
        &["init", w.dir.to_str().expect("path")],
    );
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("ya existe"), "{}", again.stderr);
}

#[test]
fn a_typo_in_the_configuration_stops_before_anything_runs() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(w.dir.join("participa.toml"))
        .expect("toml")
        .replace("settle_seconds", "settle_secs");
    std::fs::write(w.dir.join("participa.toml"), text).expect("write");
    let run = w.run(&["ingest"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("settle_secs"), "{}", run.stderr);
}

#[test]
fn the_standard_is_read_from_the_working_folder_so_a_city_can_edit_it() {
    let w = Workdir::new();
    // Another city adds a barrio: no rebuild needed.
    let barrios = w.dir.join("standard/codes/barrios.csv");
    let mut text = std::fs::read_to_string(&barrios).expect("barrios");
    text.push_str("SPRINGFIELD,Springfield,9,\n");
    std::fs::write(&barrios, text).expect("write");
    let file = fixtures().join("samples/inbox/ministerio-desarrollo-urbano/obras_comunales.xls");
    let run = w.run(&["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // A broken edit is refused with the file named.
    std::fs::write(
        w.dir.join("standard/datasets/instancias.json"),
        "{ not json",
    )
    .expect("write");
    let run = w.run(&["ingest"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("instancias.json"), "{}", run.stderr);
}

#[test]
fn a_working_folder_from_an_older_release_keeps_working() {
    let w = Workdir::new();
    // An older messages file lacks keys added since: the shipped ones fill the gap, and the
    // folder's own wording is kept where it has one.
    let path = w.dir.join("standard/mensajes.es.json");
    let mut messages: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    messages.remove("unreadable-file.no_data");
    messages.insert(
        "duplicate-row".into(),
        "Fila repetida (igual a la {fila_previa}).".into(),
    );
    std::fs::write(&path, serde_json::to_string(&messages).expect("json")).expect("write");
    let file = fixtures()
        .join("samples/inbox/ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx");
    let run = w.run(&["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("Fila repetida (igual a la 5)."),
        "{}",
        run.stdout
    );
}

#[test]
fn status_reports_files_rows_and_the_last_ingest() {
    let w = Workdir::new();
    let run = w.run(&["status"]);
    assert!(
        run.stdout.contains("Todavía no hubo ninguna ingesta."),
        "{}",
        run.stdout
    );
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    let run = w.run(&["status"]);
    assert!(
        run.stdout
            .contains("Archivos: 9 presentes, 0 ausentes, 0 ilegibles"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("instancias: 166 filas"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Filas rechazadas: 5"), "{}", run.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&w.run(&["status", "--format", "json"]).stdout).expect("json");
    assert_eq!(json["almacen"]["archivos_presentes"], 9);
    assert_eq!(json["fuentes"][0]["accesible"], true);
}

#[test]
fn commands_outside_a_working_folder_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = participa(dir.path(), &["ingest"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("participa init"), "{}", run.stderr);
}
