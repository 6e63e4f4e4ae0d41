//! The store on a real SQLite file: rows repeated across an organismo's files, their re-check
//! when the kept file changes, and the layouts remembered per organismo.

use std::sync::Arc;

use super::*;
use crate::standard::{
    ColumnReading, Issue, ReadingReason, Record, SheetOutcome, SheetReport, Standard, Value,
};

fn standard() -> Standard {
    crate::config::embedded_standard().unwrap_or_else(|e| panic!("{e}"))
}

fn store(dir: &tempfile::TempDir, standard: &Standard) -> SqliteStore {
    let mut store =
        SqliteStore::open(&dir.path().join("participa.db")).unwrap_or_else(|e| panic!("{e}"));
    store
        .migrate(&standard.datasets)
        .unwrap_or_else(|e| panic!("{e}"));
    store
}

/// A meeting on 2019-03-`day` whose topic is `tema`, at `row` of sheet `Hoja1`.
fn meeting(standard: &Standard, row: u32, day: u32, tema: &str) -> Record {
    let ds = standard
        .dataset("instancias")
        .unwrap_or_else(|| panic!("instancias"));
    let mut values = vec![Value::Null; ds.fields.len()];
    let mut set = |name: &str, v: Value| {
        if let Some(i) = ds.field_index(name) {
            values[i] = v;
        }
    };
    set("programa", Value::Text("ba_elige".into()));
    set(
        "fecha",
        Value::Date(chrono::NaiveDate::from_ymd_opt(2019, 3, day).unwrap_or_default()),
    );
    set("comuna", Value::Int(14));
    set("barrio", Value::Text("PALERMO".into()));
    set("participantes", Value::Int(i64::from(day) * 10));
    set("tema", Value::Text(tema.into()));
    Record {
        sheet: Arc::from("Hoja1"),
        row,
        values,
    }
}

fn result(records: Vec<Record>, issues: Vec<Issue>, columnas: Vec<ColumnReading>) -> FileResult {
    let sheet = SheetReport {
        nombre: "Hoja1".into(),
        resultado: SheetOutcome::Leida {
            dataset: "instancias".into(),
        },
        filas_encabezado: vec![1],
        filas_aceptadas: records.len(),
        filas_rechazadas: 0,
        filas_omitidas: 0,
        columnas_ignoradas: vec![],
        columnas_personales_descartadas: vec![],
        columnas_truncadas: false,
        columnas,
    };
    FileResult {
        records: [("instancias".to_string(), records)].into_iter().collect(),
        issues,
        sheets: vec![sheet],
    }
}

fn commit(
    store: &mut SqliteStore,
    standard: &Standard,
    relative: &str,
    mtime_ns: i64,
    at: &str,
    outcome: Outcome,
) -> Committed {
    let organismo = relative.split('/').next().unwrap_or_default().to_string();
    let wording = |o: &Original| format!("repite {}, {}, {}", o.archivo, o.hoja, o.fila);
    let submission = Submission {
        source: "local",
        relative,
        organismo: Some(&organismo),
        size: 1,
        mtime_ns,
        sha256: &format!("{relative}{mtime_ns}"),
        received_at: at,
        outcome,
        report_json: "{}",
    };
    store
        .commit_file(&standard.datasets, &submission, &wording)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// (ruta, accepted, rejected) of every file, as `export archivos` lists them.
fn counts(store: &mut SqliteStore) -> Vec<(String, i64, i64)> {
    store
        .files()
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|f| (f.ruta, f.filas_aceptadas, f.filas_rechazadas))
        .collect()
}

fn rejections(store: &mut SqliteStore) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    store
        .export_rejections(&mut |r| {
            out.push((r[0].clone(), r[2].clone(), r[6].clone()));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

fn rows(store: &mut SqliteStore, standard: &Standard) -> Vec<(String, String)> {
    let ds = standard
        .dataset("instancias")
        .unwrap_or_else(|| panic!("instancias"));
    let tema = ds.field_index("tema").unwrap_or_default();
    let mut out = Vec::new();
    store
        .export_dataset(ds, &mut |r| {
            out.push((r[ds.fields.len() + 1].clone(), r[tema].clone()));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    out.sort();
    out
}

#[test]
fn a_row_sent_in_two_files_counts_once_and_again_when_the_kept_file_drops_it() {
    let standard = standard();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut s = store(&dir, &standard);
    let at = "2019-04-01T12:00:00Z";
    let m = |row, day, tema| meeting(&standard, row, day, tema);
    s.start_run(at).unwrap_or_else(|e| panic!("{e}"));

    let a = result(
        vec![m(2, 1, "uno"), m(3, 2, "dos"), m(4, 3, "tres")],
        vec![],
        vec![],
    );
    let first = commit(
        &mut s,
        &standard,
        "cultura/a.xlsx",
        1,
        at,
        Outcome::Read(&a),
    );
    assert_eq!(
        (first.accepted, first.rejected, first.repeats.len()),
        (3, 0, 0)
    );
    // The copy has one row of its own and one bad row.
    let bad = Issue {
        sheet: "Hoja1".into(),
        row: Some(6),
        column: None,
        header: None,
        field: None,
        code: crate::standard::Code::RequiredValue,
        value: String::new(),
        message: "falta".into(),
    };
    let b = result(
        vec![
            m(2, 1, "uno"),
            m(3, 2, "dos"),
            m(4, 3, "tres"),
            m(5, 4, "cuatro"),
        ],
        vec![bad],
        vec![],
    );
    let second = commit(&mut s, &standard, "cultura/b.ods", 2, at, Outcome::Read(&b));
    assert_eq!((second.accepted, second.rejected), (1, 4));
    assert_eq!(
        second.repeats,
        [Repeat {
            archivo: "cultura/a.xlsx".into(),
            filas: 3
        }]
    );
    // Another organismo's same rows are its own.
    let c = result(vec![m(2, 1, "uno")], vec![], vec![]);
    let other = commit(
        &mut s,
        &standard,
        "justicia/c.csv",
        3,
        at,
        Outcome::Read(&c),
    );
    assert_eq!((other.accepted, other.rejected), (1, 0));
    assert_eq!(rows(&mut s, &standard).len(), 5);
    assert!(rejections(&mut s).contains(&(
        "cultura/b.ods".into(),
        "3".into(),
        "repite cultura/a.xlsx, Hoja1, 3".into()
    )));
    assert_eq!(
        s.repeated_rows(&standard.datasets, "cultura")
            .unwrap_or_default(),
        [RepeatedRows {
            archivo: "cultura/b.ods".into(),
            de_archivo: "cultura/a.xlsx".into(),
            filas: 3
        }]
    );

    // The kept file comes back without «dos» and with «uno» moved down a row: «dos» counts in
    // b.ods now, «uno» is still a copy and its rejection names the row where it is now.
    let later = "2019-04-02T12:00:00Z";
    s.start_run(later).unwrap_or_else(|e| panic!("{e}"));
    let a2 = result(
        vec![m(2, 9, "nueve"), m(3, 1, "uno"), m(4, 3, "tres")],
        vec![],
        vec![],
    );
    let again = commit(
        &mut s,
        &standard,
        "cultura/a.xlsx",
        4,
        later,
        Outcome::Read(&a2),
    );
    assert_eq!((again.accepted, again.rejected), (3, 0));
    assert_eq!(
        again.restored,
        [Repeat {
            archivo: "cultura/b.ods".into(),
            filas: 1
        }]
    );
    let kept = rows(&mut s, &standard);
    assert_eq!(
        kept.iter()
            .filter(|(f, _)| f == "cultura/b.ods")
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        ["cuatro", "dos"]
    );
    assert_eq!(kept.len(), 6, "{kept:?}");
    let rejected = rejections(&mut s);
    assert!(
        rejected.contains(&(
            "cultura/b.ods".into(),
            "2".into(),
            "repite cultura/a.xlsx, Hoja1, 3".into()
        )),
        "{rejected:?}"
    );
    assert!(
        !rejected
            .iter()
            .any(|(f, row, _)| f == "cultura/b.ods" && row == "3"),
        "{rejected:?}"
    );
    // Counts agree everywhere: the file list, the rejections, the status.
    assert_eq!(
        counts(&mut s),
        [
            ("cultura/a.xlsx".into(), 3, 0),
            ("cultura/b.ods".into(), 2, 3),
            ("justicia/c.csv".into(), 1, 0)
        ]
    );
    let status = s
        .status(&standard.datasets)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.filas_rechazadas, 3);
    assert_eq!(
        status.organismos,
        [
            ("cultura".to_string(), 2, 5, 3),
            ("justicia".to_string(), 1, 1, 0)
        ]
    );

    // An unreadable re-submission keeps everything as it was.
    let before = (rows(&mut s, &standard), rejections(&mut s), counts(&mut s));
    commit(
        &mut s,
        &standard,
        "cultura/a.xlsx",
        5,
        later,
        Outcome::Unreadable("dañado".into()),
    );
    assert_eq!(
        before,
        (rows(&mut s, &standard), rejections(&mut s), counts(&mut s))
    );

    // The copy itself re-submitted with nothing new: its copies are rejected again, once.
    let b2 = result(vec![m(2, 1, "uno"), m(3, 3, "tres")], vec![], vec![]);
    let copy_again = commit(
        &mut s,
        &standard,
        "cultura/b.ods",
        6,
        later,
        Outcome::Read(&b2),
    );
    assert_eq!((copy_again.accepted, copy_again.rejected), (0, 2));
    assert_eq!(counts(&mut s)[1], ("cultura/b.ods".into(), 0, 2));
    assert_eq!(rejections(&mut s).len(), 2);
}

#[test]
fn of_two_copies_that_nothing_repeats_any_more_the_earlier_file_keeps_the_row() {
    let standard = standard();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut s = store(&dir, &standard);
    let at = "2019-04-01T12:00:00Z";
    let m = |row, day, tema| meeting(&standard, row, day, tema);
    let one = result(vec![m(2, 1, "uno")], vec![], vec![]);
    commit(
        &mut s,
        &standard,
        "cultura/a.xlsx",
        1,
        at,
        Outcome::Read(&one),
    );
    // z.csv is older than m.ods: it keeps the row once a.xlsx lets it go.
    commit(
        &mut s,
        &standard,
        "cultura/m.ods",
        30,
        at,
        Outcome::Read(&one),
    );
    commit(
        &mut s,
        &standard,
        "cultura/z.csv",
        20,
        at,
        Outcome::Read(&one),
    );
    let other = result(vec![m(2, 5, "cinco")], vec![], vec![]);
    let back = commit(
        &mut s,
        &standard,
        "cultura/a.xlsx",
        40,
        at,
        Outcome::Read(&other),
    );
    assert_eq!(
        back.restored,
        [Repeat {
            archivo: "cultura/z.csv".into(),
            filas: 1
        }]
    );
    assert_eq!(
        counts(&mut s),
        [
            ("cultura/a.xlsx".into(), 1, 0),
            ("cultura/m.ods".into(), 0, 1),
            ("cultura/z.csv".into(), 1, 0)
        ]
    );
    assert_eq!(
        rejections(&mut s),
        [(
            "cultura/m.ods".into(),
            "2".into(),
            "repite cultura/z.csv, Hoja1, 2".into()
        )]
    );
}

#[test]
fn a_layout_is_shown_for_the_pass_that_first_brought_it_and_never_again() {
    let standard = standard();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut s = store(&dir, &standard);
    let column = |columna: &str, encabezado: &str, campo: Option<&str>| ColumnReading {
        columna: columna.into(),
        encabezado: encabezado.into(),
        campo: campo.map(str::to_string),
        motivo: ReadingReason::Encabezado {
            palabras: encabezado.to_lowercase(),
        },
    };
    let layout = vec![
        column("A", "Programa", Some("programa")),
        column("B", "Fecha", Some("fecha")),
        column("C", "DNI", None),
    ];
    let m = |row, day, tema| meeting(&standard, row, day, tema);
    let (first, second) = ("2019-04-01T12:00:00Z", "2019-04-02T12:00:00Z");

    let a = result(vec![m(2, 1, "uno")], vec![], layout.clone());
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "cultura/a.xlsx",
            1,
            first,
            Outcome::Read(&a)
        )
        .new_layouts,
        1
    );
    let shown = s.new_layouts("cultura", first).unwrap_or_default();
    assert_eq!(
        shown,
        [NewLayout {
            archivo: "cultura/a.xlsx".into(),
            hoja: "Hoja1".into(),
            columnas: layout.clone()
        }]
    );

    // The same layout again — another file, or the same one re-submitted — is not new.
    let b = result(vec![m(2, 2, "dos")], vec![], layout.clone());
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "cultura/b.xlsx",
            2,
            second,
            Outcome::Read(&b)
        )
        .new_layouts,
        0
    );
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "cultura/a.xlsx",
            3,
            second,
            Outcome::Read(&a)
        )
        .new_layouts,
        0
    );
    assert!(s
        .new_layouts("cultura", second)
        .unwrap_or_default()
        .is_empty());
    // The first pass's feedback, built again (a retry), still shows it.
    assert_eq!(s.new_layouts("cultura", first).unwrap_or_default().len(), 1);
    // A header written differently is a new layout; another organismo has its own.
    let mut renamed = layout.clone();
    renamed[1].encabezado = "Fecha del encuentro".into();
    let c = result(vec![m(2, 3, "tres")], vec![], renamed);
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "cultura/c.xlsx",
            4,
            second,
            Outcome::Read(&c)
        )
        .new_layouts,
        1
    );
    let d = result(vec![m(2, 4, "cuatro")], vec![], layout);
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "justicia/d.xlsx",
            5,
            second,
            Outcome::Read(&d)
        )
        .new_layouts,
        1
    );
    assert_eq!(
        s.new_layouts("cultura", second)
            .unwrap_or_default()
            .iter()
            .map(|l| l.archivo.as_str())
            .collect::<Vec<_>>(),
        ["cultura/c.xlsx"]
    );
    // A sheet whose reading was not reported has no layout to remember.
    let e = result(vec![m(2, 5, "cinco")], vec![], vec![]);
    assert_eq!(
        commit(
            &mut s,
            &standard,
            "cultura/e.xlsx",
            6,
            second,
            Outcome::Read(&e)
        )
        .new_layouts,
        0
    );
}

fn delivery(clave: &str, to: &str) -> NewDelivery {
    NewDelivery {
        tipo: "informe".into(),
        clave: clave.into(),
        destinatario: to.into(),
        message_id: String::new(),
        creado_en: "2019-04-02T12:00:00Z".into(),
        contenido: None,
    }
}

#[test]
fn a_setup_problem_holds_pending_deliveries_without_spending_attempts_and_only_failed_ones_are_requeued(
) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let standard = standard();
    let mut s = store(&dir, &standard);
    for (clave, to) in [
        ("2019-03/es", "a"),
        ("2019-03/es", "b"),
        ("2019-02/es", "a"),
    ] {
        assert!(s
            .ledger_add(&delivery(clave, to))
            .unwrap_or_else(|e| panic!("{e}")));
    }
    let ids: Vec<i64> = s
        .ledger(None)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|d| d.id)
        .collect();
    // One fails for good; one waits for its own retry later than the problem's.
    s.ledger_failed(ids[0], "550 no existe", None)
        .unwrap_or_else(|e| panic!("{e}"));
    s.ledger_failed(ids[1], "451 más tarde", Some("2019-04-02T13:00:00Z"))
        .unwrap_or_else(|e| panic!("{e}"));

    let (problem, waiting) = s
        .mail_problem_failed("2019-04-02T12:00:00Z", "535 clave", "2019-04-02T12:01:00Z")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((problem.fallos, waiting), (1, 2));
    let (problem, _) = s
        .mail_problem_failed("2019-04-02T12:01:00Z", "535 clave", "2019-04-02T12:03:00Z")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            problem.desde.as_str(),
            problem.ultimo_fallo.as_str(),
            problem.fallos
        ),
        ("2019-04-02T12:00:00Z", "2019-04-02T12:01:00Z", 2)
    );
    let ledger = s.ledger(None).unwrap_or_else(|e| panic!("{e}"));
    let by_id = |id: i64| {
        ledger
            .iter()
            .find(|d| d.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(
        (by_id(ids[0]).estado.as_str(), by_id(ids[0]).intentos),
        ("fallido", 1),
        "a failed one is not touched"
    );
    assert_eq!(
        by_id(ids[1]).proximo_intento_en.as_deref(),
        Some("2019-04-02T13:00:00Z"),
        "a later retry keeps its time"
    );
    let held = by_id(ids[2]);
    assert_eq!(
        (
            held.intentos,
            held.proximo_intento_en.as_deref(),
            held.ultimo_error.as_deref()
        ),
        (0, Some("2019-04-02T12:03:00Z"), Some("535 clave"))
    );
    assert!(s
        .ledger(Some("2019-04-02T12:02:59Z"))
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());

    assert_eq!(
        s.mail_problem_cleared()
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|p| p.fallos),
        Some(2)
    );
    assert_eq!(s.mail_problem().unwrap_or_else(|e| panic!("{e}")), None);

    // Only the failed one moves, once.
    assert_eq!(
        s.ledger_requeue(&ids).unwrap_or_else(|e| panic!("{e}")),
        vec![ids[0]]
    );
    assert_eq!(
        s.ledger_requeue(&ids).unwrap_or_else(|e| panic!("{e}")),
        Vec::<i64>::new()
    );
    let again = s
        .ledger(None)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|d| d.id == ids[0])
        .unwrap_or_else(|| panic!("row"));
    assert_eq!(
        (
            again.estado.as_str(),
            again.intentos,
            again.proximo_intento_en,
            again.reencolados
        ),
        ("pendiente", 0, None, 1)
    );
    assert_eq!(
        again.ultimo_error.as_deref(),
        Some("550 no existe"),
        "the last error stays until the next attempt"
    );
}

#[test]
fn a_queued_report_keeps_its_words_and_files_and_a_second_enqueue_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let standard = standard();
    let mut s = store(&dir, &standard);
    let first = QueuedReport {
        contenido: Some("{\"subject\":\"marzo\"}".into()),
        pdf: Some(b"%PDF-1.7 first".to_vec()),
        xlsx: Some(b"PK first".to_vec()),
    };
    let entries = [delivery("2019-03/es", "a"), delivery("2019-03/es", "b")];
    s.enqueue_report("2019-03/es", &entries, "2019-04-02T12:00:00Z", &first)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s
        .report_enqueued("2019-03/es")
        .unwrap_or_else(|e| panic!("{e}")));
    // The same period again (a second process that raced this one): the first content stays.
    let second = QueuedReport {
        contenido: Some("{\"subject\":\"otro\"}".into()),
        pdf: Some(b"%PDF-1.7 second".to_vec()),
        xlsx: None,
    };
    s.enqueue_report("2019-03/es", &[], "2019-04-02T12:05:00Z", &second)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.queued_report("2019-03/es")
            .unwrap_or_else(|e| panic!("{e}")),
        Some(first)
    );
    // A report queued without its words (an older release): made when sent.
    s.enqueue_report(
        "2019-02/es",
        &[],
        "2019-04-02T12:00:00Z",
        &QueuedReport::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.queued_report("2019-02/es")
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
}
