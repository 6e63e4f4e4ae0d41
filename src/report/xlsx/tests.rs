//! Tests of the XLSX renderer, reading the workbook back with calamine.

use super::{render, render_with};
use crate::report::model::{Cell, RowSource};
use crate::report::ReportError;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::report::example::{example, ExampleRows};

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).expect("the workbook opens")
}

#[test]
fn sheets_in_order_with_valid_unique_names() {
    let report = example(30);
    let bytes = render(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 30,
        },
    )
    .expect("renders");
    let book = open(&bytes);
    let names = book.sheet_names();
    assert_eq!(
        names,
        vec![
            "Resumen",
            "1. Instancias de participación",
            "2. Participantes por comuna",
            "5. Seguimiento de iniciativas",
            "Calidad y oportunidad de los da",
            "Anexo - archivos de origen",
            "Filas rechazadas",
            "instancias",
            "reconocimientos",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    );
    for n in &names {
        assert!(
            n.encode_utf16().count() <= 31 && !n.contains(['[', ']', ':', '*', '?', '/', '\\']),
            "{n}"
        );
    }
}

#[test]
fn dataset_sheets_hold_typed_rows_under_the_field_names() {
    let report = example(25);
    let bytes = render(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 25,
        },
    )
    .expect("renders");
    let mut book = open(&bytes);
    let range = book
        .worksheet_range("instancias")
        .expect("instancias sheet");
    assert_eq!(range.height(), 26);
    let header: Vec<String> = range
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, report.datasets[0].field_names);
    let first = range.rows().nth(1).expect("first row");
    assert_eq!(first[0], Data::String("reunion_vecinos".into()));
    assert!(
        matches!(first[1], Data::DateTime(_)),
        "fecha is a real date: {:?}",
        first[1]
    );
    assert_eq!(first[3], Data::Float(4.0));
    assert_eq!(first[5], Data::Empty, "an empty cell stays blank");
    assert_eq!(first[11], Data::Float(2.0));
    let summary = book.worksheet_range("Resumen").expect("summary");
    assert_eq!(
        summary.get_value((0, 0)),
        Some(&Data::String(report.meta.title.clone()))
    );
}

#[test]
fn a_dataset_longer_than_a_sheet_continues_on_numbered_sheets() {
    let report = example(25);
    let bytes = render_with(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 25,
        },
        10,
    )
    .expect("renders");
    let mut book = open(&bytes);
    let names = book.sheet_names();
    for n in [
        "instancias",
        "instancias (2)",
        "instancias (3)",
        "reconocimientos",
        "reconocimientos (2)",
        "reconocimientos (3)",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    let heights: Vec<usize> = ["instancias", "instancias (2)", "instancias (3)"]
        .iter()
        .map(|n| book.worksheet_range(n).expect("sheet").height())
        .collect();
    assert_eq!(
        heights,
        vec![11, 11, 6],
        "10 + 10 + 5 rows, each under a header"
    );
    let third = book.worksheet_range("instancias (3)").expect("sheet");
    assert_eq!(
        third.get_value((0, 0)),
        Some(&Data::String("programa".into()))
    );
    assert_eq!(
        third.get_value((5, 11)),
        Some(&Data::Float(26.0)),
        "the last row is row 25 of the source"
    );
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let report = example(100);
    let a = render(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 100,
        },
    )
    .expect("renders");
    let b = render(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 100,
        },
    )
    .expect("renders");
    assert!(a == b, "two renders differ");
}

#[test]
fn a_failing_row_source_is_a_rows_error() {
    struct Failing;
    impl RowSource for Failing {
        fn for_each_row(
            &mut self,
            _: &str,
            _: &mut dyn FnMut(&[Cell]) -> std::io::Result<()>,
        ) -> std::io::Result<()> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    match render(&example(1), &mut Failing) {
        Err(ReportError::Rows { dataset, .. }) => assert_eq!(dataset, "instancias"),
        other => panic!("expected a rows error, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn odd_data_does_not_break_the_workbook() {
    let mut report = example(0);
    report.meta.has_data = false;
    report.labels.summary = "Resumen: [marzo]/abril*?";
    report.sections[0].title = "Resumen: [marzo]/abril*?".into();
    report.sections[1].title = "'".into();
    report.sections[1].chart = None;
    report.sections[2].tables.clear();
    report.sections[2].figures.clear();
    report.rejected.rows.push(vec![
        Cell::Text("x".repeat(40_000)),
        Cell::Num(f64::NAN),
        Cell::Int(i64::MAX),
        Cell::Empty,
    ]);
    report.summary_charts[0].series[0].values.clear();
    let bytes = render(
        &report,
        &mut ExampleRows {
            rows_per_dataset: 0,
        },
    )
    .expect("renders");
    let book = open(&bytes);
    let names = book.sheet_names();
    assert_eq!(
        &names[..3],
        &[
            "Resumen - marzo -abril",
            "Resumen - marzo -abril (2)",
            "Hoja"
        ]
    );
}
