//! `participa validate FILE`: what a clerk reads before sending a file.


use crate::util::{fixtures, participa, Workdir};

#[test]
fn validate_names_each_rejected_cell_and_why_in_spanish() {
    let w = Workdir::new();
    let file = fixtures().join("samples/inbox/ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx");
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
    let reuniones = fixtures().join("samples/inbox/secretaria-atencion-ciudadana/reuniones_vecinos_1er_trimestre.xlsx");
    let run = participa(dir.path(), &["validate", reuniones.to_str().expect("path")]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("encabezado en las filas 1 y 2"), "{}", run.stdout);
    assert!(run.stdout.contains("Celda B27: «31/02/2019» no es una fecha que exista"), "{}", run.stdout);
    let obras = fixtures().join("samples/inbox/ministerio-desarrollo-urbano/obras_comunales.xls");
    let run = participa(dir.path(), &["validate", obras.to_str().expect("path")]);
    assert!(run.stdout.contains("«Springfield» no es un valor conocido para la columna «Barrio»"), "{}", run.stdout);
}

#[test]
fn a_clean_file_validates_with_exit_zero_anywhere() {
    // No working folder: the shipped standard applies.
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("samples/inbox/ministerio-cultura/experiencia_ba.ods");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Sin errores: 20 filas aceptadas."), "{}", run.stdout);
    assert!(run.stdout.contains("columnas con datos personales descartadas sin guardarse: Nombre y apellido del referente, DNI"), "{}", run.stdout);
    assert!(!run.stdout.contains("@correo.example"));
}

#[test]
fn validate_json_is_machine_readable() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixtures().join("samples/inbox/ministerio-desarrollo-urbano/obras_comunales.xls");
    let run = participa(dir.path(), &["validate", file.to_str().expect("path"), "--format", "json"]);
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
    assert!(run.stdout.contains("[unreadable-file]") && run.stdout.contains("contraseña"), "{}", run.stdout);
}
