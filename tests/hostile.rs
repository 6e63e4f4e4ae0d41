//! Hostile spreadsheets (`fixtures/hostile/make_hostile.py`, built into each test's temporary
//! folder): small files that a naive reader expands to gigabytes. Each is ingested beside a good
//! file under an address-space limit (`util::participa_bounded`), so a regression fails the test
//! instead of swapping the machine: the pass must end normally, the hostile file be rejected as
//! unreadable with the budget's reason (or read at the cost of what it really holds), and the
//! good file be stored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{fixtures, participa_bounded, Workdir};

/// A good file, dropped beside each hostile one.
const GOOD: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;05/03/2019;Recoleta;7\n";

/// What the budget says when a file has too many cells, or too much text (the defaults).
const OVER_CELLS: &str = "más de 2000000 celdas";
const OVER_TEXT: &str = "más de 67108864 bytes";

/// Runs the generator into `dir` and returns the folder of hostile files.
fn make_hostile(dir: &Path) -> PathBuf {
    let out = dir.join("hostiles");
    let script = fixtures().join("hostile").join("make_hostile.py");
    let made = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "make_hostile.py failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    out
}

fn archivos(w: &Workdir) -> HashMap<String, HashMap<String, String>> {
    w.export("archivos")
        .into_iter()
        .map(|f| (f["ruta"].clone(), f))
        .collect()
}

/// Ingests hostile file `name` beside the good file, bounded; returns the files' records.
fn ingest_beside_a_good_file(name: &str) -> (Workdir, HashMap<String, HashMap<String, String>>) {
    let w = Workdir::new();
    let hostile = make_hostile(&w.dir);
    let bytes = std::fs::read(hostile.join(name)).expect("hostile file");
    w.drop_file(&format!("ministerio-a/{name}"), &bytes);
    w.drop_file("ministerio-a/reuniones.csv", GOOD.as_bytes());
    let bounded = participa_bounded(&w.dir, &["ingest"]);
    assert_eq!(
        bounded.run.code, 0,
        "ingest of {name} did not end normally: {}\n{}",
        bounded.run.stdout, bounded.run.stderr
    );
    let files = archivos(&w);
    assert_eq!(
        files["ministerio-a/reuniones.csv"]["resultado"], "leido",
        "{files:?}"
    );
    let good: Vec<_> = w
        .export("instancias")
        .into_iter()
        .filter(|r| r["fuente_archivo"] == "ministerio-a/reuniones.csv")
        .collect();
    assert_eq!(good.len(), 1, "the good file's row");
    (w, files)
}

fn assert_rejected_over_budget(name: &str, reason: &str) {
    let (_w, files) = ingest_beside_a_good_file(name);
    let f = &files[&format!("ministerio-a/{name}")];
    assert_eq!(f["resultado"], "ilegible", "{name}: {f:?}");
    assert!(
        f["problemas"].contains(reason),
        "{name}: {}",
        f["problemas"]
    );
}

#[test]
fn an_ods_row_repeated_a_million_times_is_over_the_budget_of_cells() {
    assert_rejected_over_budget("ods_fila_repetida.ods", OVER_CELLS);
}

#[test]
fn an_xls_with_one_far_corner_cell_is_over_the_budget_of_cells() {
    assert_rejected_over_budget("xls_esquina_lejana.xls", OVER_CELLS);
}

#[test]
fn an_xls_whose_cells_all_name_one_long_string_is_over_the_budget_of_text() {
    assert_rejected_over_budget("xls_texto_compartido.xls", OVER_TEXT);
}

#[test]
fn a_csv_of_only_delimiters_is_over_the_budget_of_cells() {
    assert_rejected_over_budget("csv_solo_delimitadores.csv", OVER_CELLS);
}

/// Empty repeats cost nothing: the ods of repeated empty rows and columns (6 GB for calamine) is
/// read, its rows stored, the far value past the columns read noted.
#[test]
fn an_ods_of_empty_repeats_is_read_at_the_cost_of_what_it_holds() {
    let (w, files) = ingest_beside_a_good_file("ods_repeticiones_vacias.ods");
    let f = &files["ministerio-a/ods_repeticiones_vacias.ods"];
    assert_eq!(f["resultado"], "leido", "{f:?}");
    let rows = w
        .export("instancias")
        .into_iter()
        .filter(|r| r["fuente_archivo"] == "ministerio-a/ods_repeticiones_vacias.ods")
        .count();
    assert_eq!(rows, 2);
}

/// A pass over the shared samples and every hostile file stores every sample row and stays
/// under 1 GiB: the peak is bounded by threads × the per-file budget, whatever the files say.
#[test]
fn a_pass_over_the_samples_and_every_hostile_file_stays_under_one_gib() {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    let hostile = make_hostile(&w.dir);
    for entry in std::fs::read_dir(&hostile)
        .expect("hostile folder")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).expect("hostile file");
        w.drop_file(
            &format!("ministerio-hostil/{}", entry.file_name().to_string_lossy()),
            &bytes,
        );
    }
    let bounded = participa_bounded(&w.dir, &["ingest"]);
    assert_eq!(
        bounded.run.code, 0,
        "{}\n{}",
        bounded.run.stdout, bounded.run.stderr
    );
    assert!(
        bounded.peak_kib < 1024 * 1024,
        "peak resident memory {} KiB",
        bounded.peak_kib
    );

    let text = std::fs::read_to_string(fixtures().join("samples/truth.json")).expect("truth.json");
    let truth: serde_json::Value = serde_json::from_str(&text).expect("truth parses");
    let samples: Vec<_> = w
        .export("instancias")
        .into_iter()
        .filter(|r| !r["fuente_archivo"].starts_with("ministerio-hostil/"))
        .collect();
    let events = &truth["events"];
    assert_eq!(
        samples.len() as u64,
        events["accepted"].as_u64().unwrap_or(0),
        "accepted sample instancias"
    );
    assert_eq!(
        crate::util::sum(&samples, "participantes") as u64,
        events["participantes"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        w.export("iniciativas").len() as u64,
        truth["initiatives"]["count"].as_u64().unwrap_or(0)
    );

    let files = archivos(&w);
    for (name, result) in [
        ("ods_repeticiones_vacias.ods", "leido"),
        ("ods_fila_repetida.ods", "ilegible"),
        ("xls_esquina_lejana.xls", "ilegible"),
        ("xls_texto_compartido.xls", "ilegible"),
        ("csv_solo_delimitadores.csv", "ilegible"),
    ] {
        assert_eq!(
            files[&format!("ministerio-hostil/{name}")]["resultado"],
            result,
            "{name}"
        );
    }
}
