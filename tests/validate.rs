//! `participa validate FILE`: what a clerk reads before sending a file.

use crate::util::{fixtures, participa, Workdir};

#[test]
fn validate_names_each_rejected_cell_and_why_in_spanish() {
    let w = Workdir::new();
    let file = fixtures()
        .join("samples/inbox/ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx");
    let run = w.run(&["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    for expected in [
        "encabezado en la fila 4",
        "filas aceptadas: 40, rechazadas: 3",
        "fila 6 [duplicate-row] Esta fila es una copia exacta de la fila 5",
        "fila 19 [constraint-error] Celda B19: «-5» en la columna «Participantes» no puede ser menor que 0.",
        "fila 22 [constraint-error] Celda F22: El barrio «Almagro» pertenece a la comuna 5, no a la comuna 1.",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
}

#[test]
fn validate_reports_impossible_dates_and_unknown_barrios_with_a_hint() {
    let dir = tempfile::tempdir().expect("tmp");
    let reuniones = fixtures()
        .join("samples/inbox/secretaria-atencion-ciudadana/reuniones_vecinos_1er_trimestre.xlsx");
    let run = participa(dir.path(), &["validate", reuniones.to_str().expect("path")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("encabezado en las filas 1 y 2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Celda B27: «31/02/2019» no es una fecha que exista"),
        "{}",
        run.stdout
    );
    let obras = fixtures().join("samples/inbox/ministerio-desarrollo-urbano/obras_comunales.xls");
    let run = participa(dir.path(), &["validate", obras.to_str().expect("path")]);
    assert!(
        run.stdout
            .contains("«Springfield» no es un valor conocido para la columna «Barrio»"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_clean_file_validates_with_exit_zero_anywhere() {
    // No working folder: the shipped standard applies.
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("samples/inbox/ministerio-cultura/experiencia_ba.ods");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Sin errores: 20 filas aceptadas."),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("columnas con datos personales descartadas sin guardarse: Nombre y apellido del referente, DNI"), "{}", run.stdout);
    assert!(!run.stdout.contains("@correo.example"));
}

#[test]
fn validate_json_is_machine_readable() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("samples/inbox/ministerio-desarrollo-urbano/obras_comunales.xls");
    let run = participa(
        dir.path(),
        &["validate", file.to_str().expect("path"), "--format", "json"],
    );
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["filas_aceptadas"], 25);
    assert_eq!(v["filas_rechazadas"], 1);
    assert_eq!(v["problemas"][0]["code"], "constraint-error");
    assert_eq!(v["problemas"][0]["row"], 9);
}

#[test]
fn an_unreadable_file_fails_validation_with_the_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("nasty/protegido.xlsx");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("[unreadable-file]") && run.stdout.contains("contraseña"),
        "{}",
        run.stdout
    );
}

/// `validate` says how each column was read: letter, header, field and why, in text and JSON.
#[test]
fn validate_shows_how_each_column_was_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("merged/talleres_combinados.xlsx");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for line in [
        "cómo se leyó cada columna:",
        "E    Participantes por edad 0 a 17    participantes_0_17",
        "G    Participantes por edad 30 a 64   —                     sin uso",
    ] {
        assert!(
            run.stdout.contains(line),
            "missing {line:?} in:\n{}",
            run.stdout
        );
    }
    let run = participa(
        dir.path(),
        &["validate", file.to_str().expect("path"), "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let columns = v["hojas"][0]["columnas"].as_array().expect("columnas");
    let b = columns.iter().find(|c| c["columna"] == "B").expect("B");
    assert_eq!(
        (
            b["campo"].as_str(),
            b["motivo"]["por"].as_str(),
            b["motivo"]["palabras"].as_str()
        ),
        (Some("programa"), Some("encabezado"), Some("Programa"))
    );
}

/// A programme or comuna written once over a merged block of rows belongs to every row of it,
/// in each format that records merges (xlsx by openpyxl, xls by xlwt, ods by odfpy).
#[test]
fn merged_cells_give_their_value_to_every_row_they_span() {
    for ext in ["xlsx", "xls", "ods"] {
        let w = Workdir::new();
        let bytes = std::fs::read(fixtures().join(format!("merged/talleres_combinados.{ext}")))
            .expect("fixture");
        w.drop_file(&format!("ministerio-cultura/talleres.{ext}"), &bytes);
        assert_eq!(w.ingest().code, 0);
        let rows = w.export("instancias");
        assert_eq!(rows.len(), 8, "{ext}");
        assert!(
            rows.iter()
                .all(|r| !r["programa"].is_empty() && !r["comuna"].is_empty()),
            "{ext}: {rows:?}"
        );
        assert!(w.export("rechazos").is_empty(), "{ext}");
    }
}

/// A sheet whose programme column nobody can recognise is rejected with its unused columns and
/// how to map one; the operator's `columnas` mapping then reads it.
#[test]
fn an_unrecognised_column_is_explained_then_read_through_the_mapping() {
    let w = Workdir::new();
    let csv = "Cosa,Fecha,Comuna,Asistentes\nCharla de vecinos,05/03/2019,4,31\nTaller abierto,12/03/2019,5,30\n";
    w.drop_file("ministerio-cultura/charlas.csv", csv.as_bytes());
    let run = w.run(&["validate", "inbox/ministerio-cultura/charlas.csv"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("Columnas sin usar: A «Cosa»")
            && run
                .stdout
                .contains("columnas = { \"Cosa\" = \"programa\" }"),
        "{}",
        run.stdout
    );
    let config = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        format!(
            "{text}\n[organismos.ministerio-cultura]\ncolumnas = {{ \"cosa\" = \"programa\" }}\n"
        ),
    )
    .expect("write");
    let run = w.run(&["validate", "inbox/ministerio-cultura/charlas.csv"]);
    // The mapping makes it a programme column; its values are not programmes.
    assert!(
        run.stdout
            .contains("A    Cosa        programa       columnas en participa.toml"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("«Charla de vecinos» no es un valor conocido para la columna «Cosa»"),
        "{}",
        run.stdout
    );
}

/// A CSV saved with old-Mac line endings (CR only) names the row a spreadsheet program shows,
/// past a blank line and a cell holding a line break (every row was "fila 1").
#[test]
fn a_cr_only_csv_names_the_row_a_spreadsheet_shows() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("comisarias_mac.csv");
    let csv = "Programa;Fecha;Comuna;Barrio;Modalidad;Participantes;Acuerdos\r\
               Comisarías Cercanas;22/05/2019;12;Villa Urquiza;Presencial;176;Se elevó pedido\r\
               Comisarías Cercanas;06/05/2019;14;Palermo;Virtual;54;\"Dos\rlíneas\"\r\
               \r\
               Comisarías Cercanas;07/05/2019;10;Versalles;Virtual;-5;Salud\r";
    std::fs::write(&file, csv).expect("write");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("filas aceptadas: 2, rechazadas: 1"),
        "{}",
        run.stdout
    );
    let expected = "fila 5 [constraint-error] Celda F5: «-5» en la columna «Participantes» no puede ser menor que 0.";
    assert!(
        run.stdout.contains(expected),
        "missing {expected:?} in:\n{}",
        run.stdout
    );
}
