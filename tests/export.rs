//! `participa export`: the standard datasets as scripts and reviewers read them.

use crate::util::{fixtures, Workdir};

fn ingested_samples() -> Workdir {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    w
}

#[test]
fn csv_headers_are_the_standard_fields_then_provenance() {
    let w = ingested_samples();
    let run = w.run(&["export", "instancias", "--format", "csv"]);
    let header = run.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        header,
        "programa,fecha,modalidad,comuna,barrio,inscriptos,participantes,participantes_0_17,participantes_18_29,participantes_30_44,participantes_45_64,participantes_65_mas,tema,resultado,organismo,fuente_archivo,fuente_hoja,fuente_fila"
    );
    let run = w.run(&["export", "rechazos"]);
    assert_eq!(
        run.stdout.lines().next().unwrap_or_default(),
        "fuente_archivo,fuente_hoja,fuente_fila,campo,codigo,valor,mensaje"
    );
    // Dates ISO, codes as codes, barrios in official spelling, unknown as empty.
    let rows = w.export("instancias");
    let row = rows
        .iter()
        .find(|r| {
            r["fuente_archivo"].ends_with("comisarias_cercanas_2019.xlsx")
                && r["fuente_fila"] == "34"
        })
        .expect("row 34");
    assert_eq!(
        (
            row["fecha"].as_str(),
            row["programa"].as_str(),
            row["participantes"].as_str(),
            row["barrio"].as_str(),
            row["comuna"].as_str()
        ),
        ("2019-01-02", "comisarias_cercanas", "", "BOEDO", "5")
    );
    let nunez = rows.iter().find(|r| r["barrio"] == "NUÑEZ").expect("Núñez");
    assert_eq!(nunez["comuna"], "13");
}

#[test]
fn json_export_has_typed_values_and_the_same_rows() {
    let w = ingested_samples();
    let run = w.run(&["export", "iniciativas", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("json array");
    assert_eq!(rows.len(), w.export("iniciativas").len());
    let first = &rows[0];
    assert!(
        first["votos"].is_i64() && first["presupuesto"].is_number() && first["comuna"].is_i64(),
        "{first}"
    );
    assert!(first["barrio"].is_string() && first["fuente_fila"].is_i64());
    let p = rows
        .iter()
        .find(|r| r["id"] == "BAE-2018-0001")
        .expect("first project");
    assert_eq!(p["presupuesto"].as_f64(), Some(7798597.04));
    assert_eq!(p["avance"].as_i64(), Some(0));
    assert_eq!(p["fecha_actualizacion"], "2019-03-18");
}

#[test]
fn an_unknown_dataset_is_refused_with_the_valid_names() {
    let w = Workdir::new();
    let run = w.run(&["export", "eventos"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("instancias") && run.stderr.contains("rechazos"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_file_list_traces_every_row_to_a_hashed_version() {
    let w = ingested_samples();
    let files = w.export("archivos");
    assert_eq!(files.len(), 9);
    for f in &files {
        assert_eq!(f["sha256"].len(), 64);
        assert_eq!(f["estado"], "presente");
        assert!(!f["recibido_en"].is_empty() && !f["organismo"].is_empty());
    }
    let total: i64 = files
        .iter()
        .map(|f| f["filas_aceptadas"].parse::<i64>().unwrap_or(0))
        .sum();
    assert_eq!(
        total as usize,
        w.export("instancias").len()
            + w.export("iniciativas").len()
            + w.export("reconocimientos").len()
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::BufRead;
    let w = Workdir::new();
    for i in 0..40 {
        let mut text = String::from("Programa;Fecha;Barrio;Participantes\n");
        for r in 0..500 {
            text.push_str(&format!(
                "BA Elige;{}/03/2019;Palermo;{}\n",
                1 + r % 28,
                (i * 500 + r) % 997
            ));
        }
        w.drop_file(&format!("organismo/reuniones_{i}.csv"), text.as_bytes());
    }
    w.ingest();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_participa"))
        .args(["export", "instancias"])
        .current_dir(&w.dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    if let Some(out) = child.stdout.take() {
        std::io::BufReader::new(out)
            .read_line(&mut first)
            .expect("header");
    }
    // The pipe is closed here, as `| head -1` would.
    let status = child.wait().expect("wait");
    assert!(first.starts_with("programa,fecha"), "{first}");
    assert_eq!(status.code(), Some(0));
}
