//! The feedback, reminder and alert messages as their readers get them: written to the outbox
//! and read back with Python's e-mail package.

use super::*;

#[test]
fn feedback_lists_accepted_files_and_every_rejected_row_with_the_workbook_attached() {
    let cfg = MailConfig {
        dominios_permitidos: vec!["example.gob.ar".into()],
        ..MailConfig::default()
    };
    let accepted = [
        AcceptedFile {
            file: "comisarias_cercanas_2019.xlsx".into(),
            rows: 1_234,
        },
        AcceptedFile {
            file: "reuniones_marzo.csv".into(),
            rows: 0,
        },
    ];
    let rejected = [
        RejectedRow {
            file: "comisarias_cercanas_2019.xlsx".into(),
            sheet: "Hoja1".into(),
            row: 19,
            cell: "B19".into(),
            reason: "«-5» en la columna «Participantes» no puede ser menor que 0.".into(),
        },
        RejectedRow {
            file: "reuniones_marzo.csv".into(),
            sheet: String::new(),
            row: 7,
            cell: String::new(),
            reason: "La fila tiene <3> columnas & faltan datos".into(),
        },
    ];
    let to = "participacion@seguridad.example.gob.ar";
    let msg = feedback_message(
        &cfg,
        to,
        Feedback {
            organismo: "Ministerio de Justicia y Seguridad",
            accepted: &accepted,
            rejected: &rejected,
            rejected_xlsx: Some(b"PK\x03\x04 rechazadas".to_vec()),
            ..Feedback::default()
        },
        Lang::Es,
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let receipt = Outbox::new(dir.path().to_path_buf())
        .send(&msg, to)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        receipt
            .message_id
            .starts_with("<participa.devolucion.20190402T120000Z."),
        "{}",
        receipt.message_id
    );

    // Outside the allowed domains, nothing is built.
    let refused = feedback_message(
        &cfg,
        "alguien@gmail.com",
        Feedback {
            organismo: "X",
            accepted: &accepted,
            ..Feedback::default()
        },
        Lang::Es,
        now(),
    );
    assert!(
        matches!(refused, Err(DeliverError::Recipient(MailConfigError::NotAllowed { ref address, .. })) if address == "alguien@gmail.com"),
        "{refused:?}"
    );

    let Some(python) = python() else { return };
    let m = inspect(
        &python,
        Path::new(receipt.server_reply.trim_start_matches("guardado en ")),
    );
    assert_eq!(m["subject"], "participa: resultado de los archivos de Ministerio de Justicia y Seguridad — 1.234 filas aceptadas, 2 rechazadas");
    let text = text_of(&m, "text/plain");
    for expected in [
        "  - comisarias_cercanas_2019.xlsx: 1.234",
        "  - reuniones_marzo.csv: 0",
        "  - comisarias_cercanas_2019.xlsx, hoja Hoja1, fila 19, celda B19: «-5» en la columna «Participantes» no puede ser menor que 0.",
        "  - reuniones_marzo.csv, fila 7: La fila tiene <3> columnas & faltan datos",
        "Se adjunta una planilla con las filas rechazadas.",
    ] {
        assert!(text.contains(expected), "feedback lacks «{expected}»:\n{text}");
    }
    let html = text_of(&m, "text/html");
    assert!(html.contains("<td style=\"border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top\">B19</td>"), "{html}");
    assert!(
        html.contains("La fila tiene &lt;3&gt; columnas &amp; faltan datos"),
        "{html}"
    );
    let sheet = part(
        &m,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .unwrap_or_else(|| panic!("no workbook"));
    assert_eq!(sheet["filename"], "filas-rechazadas.xlsx");

    // Many rejected rows: all of them without a workbook; with one, the first 500 and a pointer.
    let many: Vec<RejectedRow> = (0..502)
        .map(|i| RejectedRow {
            row: i + 2,
            ..rejected[0].clone()
        })
        .collect();
    for (xlsx, listed, pointer) in [(None, 502, false), (Some(b"PK".to_vec()), 500, true)] {
        let msg = feedback_message(
            &cfg,
            to,
            Feedback {
                organismo: "Ministerio",
                accepted: &accepted,
                rejected: &many,
                rejected_xlsx: xlsx,
                ..Feedback::default()
            },
            Lang::Es,
            now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let receipt = Outbox::new(dir.path().join("muchas"))
            .send(&msg, to)
            .unwrap_or_else(|e| panic!("{e}"));
        let m = inspect(
            &python,
            Path::new(receipt.server_reply.trim_start_matches("guardado en ")),
        );
        let text = text_of(&m, "text/plain");
        assert_eq!(text.matches(", celda B19:").count(), listed, "{text}");
        assert_eq!(
            text.contains("… y 2 más: la lista completa está en la planilla adjunta."),
            pointer,
            "{text}"
        );
        assert!(text.contains(&format!("fila {}, celda", if pointer { 501 } else { 503 })));
    }
}

#[test]
fn feedback_names_the_file_a_copy_repeats_and_shows_how_a_new_layout_was_read() {
    use crate::standard::{ColumnReading, ReadingReason, SheetOutcome, SheetReport};
    let cfg = MailConfig {
        dominios_permitidos: vec!["example.gob.ar".into()],
        ..MailConfig::default()
    };
    let sheet = SheetReport {
        nombre: "Hoja1".into(),
        resultado: SheetOutcome::Leida {
            dataset: "instancias".into(),
        },
        filas_encabezado: vec![1],
        filas_aceptadas: 9,
        filas_rechazadas: 0,
        filas_omitidas: 0,
        columnas_ignoradas: vec![],
        columnas_personales_descartadas: vec![],
        columnas_truncadas: false,
        columnas: vec![
            ColumnReading {
                columna: "A".into(),
                encabezado: "Programa".into(),
                campo: Some("programa".into()),
                motivo: ReadingReason::Encabezado {
                    palabras: "programa".into(),
                },
            },
            ColumnReading {
                columna: "B".into(),
                encabezado: "Lugar <barrio>".into(),
                campo: Some("barrio".into()),
                motivo: ReadingReason::Contenido {
                    coinciden: 9,
                    de: 9,
                    lista: "barrios".into(),
                },
            },
        ],
    };
    let accepted = [
        AcceptedFile {
            file: "planilla.xlsx".into(),
            rows: 9,
        },
        AcceptedFile {
            file: "planilla.ods".into(),
            rows: 0,
        },
    ];
    let rejected = [RejectedRow {
        file: "planilla.ods".into(),
        sheet: "Hoja1".into(),
        row: 2,
        cell: String::new(),
        reason: "Esta fila repite la fila 2 de la hoja «Hoja1» de planilla.xlsx, ya recibida; se conserva solo la primera.".into(),
    }];
    let repeated = [RepeatedFile {
        file: "planilla.ods".into(),
        of: "planilla.xlsx".into(),
        rows: 9,
    }];
    let layouts = [LayoutTable::of_sheet("planilla.xlsx", &sheet)];
    let to = "datos@cultura.example.gob.ar";
    let feedback = Feedback {
        organismo: "Ministerio de Cultura",
        accepted: &accepted,
        rejected: &rejected,
        repeated: &repeated,
        layouts: &layouts,
        rejected_xlsx: None,
    };
    let msg =
        feedback_message(&cfg, to, feedback, Lang::Es, now()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let receipt = Outbox::new(dir.path().to_path_buf())
        .send(&msg, to)
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(python) = python() else { return };
    let m = inspect(
        &python,
        Path::new(receipt.server_reply.trim_start_matches("guardado en ")),
    );
    let text = text_of(&m, "text/plain").replace("\r\n", "\n");
    for expected in [
        "Archivos que repiten filas de otro archivo:\n  - planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.",
        "planilla.ods, hoja Hoja1, fila 2: Esta fila repite la fila 2 de la hoja «Hoja1» de planilla.xlsx",
        "planilla.xlsx, hoja «Hoja1»:\n  Columna  Encabezado      Campo     Cómo se leyó\n",
        "  B        Lugar <barrio>  barrio    por el contenido: 9 de 9 valores corresponden a «barrios»\n",
    ] {
        assert!(text.contains(expected), "feedback lacks «{expected}»:\n{text}");
    }
    let html = text_of(&m, "text/html");
    assert!(
        html.contains(
            "<li>planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.</li>"
        ),
        "{html}"
    );
    assert!(
        html.contains("Lugar &lt;barrio&gt;") && !html.contains("<barrio>"),
        "{html}"
    );

    // Without a new layout or a repeated file, neither section appears.
    let plain = feedback_message(
        &cfg,
        to,
        Feedback {
            organismo: "Ministerio de Cultura",
            accepted: &accepted,
            ..Feedback::default()
        },
        Lang::Es,
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let receipt = Outbox::new(dir.path().join("sin"))
        .send(&plain, to)
        .unwrap_or_else(|e| panic!("{e}"));
    let text = text_of(
        &inspect(
            &python,
            Path::new(receipt.server_reply.trim_start_matches("guardado en ")),
        ),
        "text/plain",
    );
    assert!(
        !text.contains("formato nuevo") && !text.contains("repiten"),
        "{text}"
    );
}

#[test]
fn a_reminder_and_an_alert() {
    let cfg = MailConfig {
        dominios_permitidos: vec!["example.gob.ar".into()],
        ..MailConfig::default()
    };
    let deadline = chrono::NaiveDate::from_ymd_opt(2019, 4, 10).unwrap_or_default();
    let reminder = reminder_message(
        &cfg,
        "Ministerio de Cultura",
        "datos@cultura.example.gob.ar",
        "marzo de 2019",
        deadline,
        &[],
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let admins = vec![
        "admin1@example.gob.ar".to_string(),
        "admin2@example.gob.ar".to_string(),
    ];
    let alert = alert_message(
        &cfg,
        &admins,
        "no se pudo enviar el informe de marzo de 2019",
        "control@example.gob.ar: 550 5.1.1 destinatario desconocido",
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut outbox = Outbox::new(dir.path().to_path_buf());
    let r = outbox
        .send(&reminder, "datos@cultura.example.gob.ar")
        .unwrap_or_else(|e| panic!("{e}"));
    // One message to two administrators: one envelope, and one file, each.
    let a1 = outbox
        .send(&alert, "admin1@example.gob.ar")
        .unwrap_or_else(|e| panic!("{e}"));
    let a2 = outbox
        .send(&alert, "admin2@example.gob.ar")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(a1.server_reply, a2.server_reply);
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0),
        3
    );

    let Some(python) = python() else { return };
    let m = inspect(
        &python,
        Path::new(r.server_reply.trim_start_matches("guardado en ")),
    );
    assert_eq!(
        m["subject"],
        "Recordatorio: datos de marzo de 2019 de Ministerio de Cultura"
    );
    let text = text_of(&m, "text/plain");
    assert!(text.contains("todavía no recibimos datos de Ministerio de Cultura correspondientes a marzo de 2019. El plazo para enviarlos vence el 10 de abril de 2019."), "{text}");
    let m = inspect(
        &python,
        Path::new(a1.server_reply.trim_start_matches("guardado en ")),
    );
    assert_eq!(
        m["subject"],
        "[participa] no se pudo enviar el informe de marzo de 2019"
    );
    assert_eq!(m["to"], serde_json::json!(admins));
    assert!(text_of(&m, "text/plain").contains("550 5.1.1 destinatario desconocido"));
}
