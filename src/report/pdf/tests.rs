//! Tests of the PDF renderer: determinism, a period without data, long tables across pages,
//! charts, wrapping and the fonts' coverage.

use super::document::layout;
use super::fonts::{style, Fonts, Weight};
use super::layout::{Item, Page};
use super::{render, INK};
use crate::report::model::{Cell, Chart, ChartKind, Kind, Table};

use crate::report::example::example;
use crate::report::model::{Column, Series};

fn page_texts(page: &Page) -> String {
    page.items
        .iter()
        .filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_renders_to_the_same_pdf_twice() {
    let report = example(0);
    let first = render(&report).unwrap();
    let second = render(&report).unwrap();
    assert!(first.starts_with(b"%PDF"));
    assert!(first == second, "two renders of one report differ");
    let doc = lopdf::Document::load_mem(&first).unwrap();
    assert!(doc.get_pages().len() >= 8);
}

#[test]
fn a_period_without_data_says_so() {
    let mut report = example(0);
    report.meta.has_data = false;
    let bytes = render(&report).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let fonts = Fonts::load().unwrap();
    let (pages, _) = layout(&report, &fonts);
    assert!(page_texts(&pages[1]).contains("No se recibieron datos"));
}

#[test]
fn a_long_table_continues_with_its_header_on_the_next_pages() {
    let mut report = example(0);
    let table = Table {
        title: "Doscientas filas".into(),
        columns: vec![
            Column::new("Fila", Kind::Integer),
            Column::new("Texto", Kind::Text),
        ],
        rows: (0..200)
            .map(|i| {
                vec![
                    Cell::Int(i),
                    Cell::Text(format!("Fila número {i} de Núñez")),
                ]
            })
            .collect(),
        totals: Some(vec![Cell::Text("Total".into()), Cell::Empty]),
        note: None,
    };
    report.sections[0].tables = vec![table];
    let fonts = Fonts::load().unwrap();
    let (pages, _) = layout(&report, &fonts);
    let with_rows: Vec<String> = pages
        .iter()
        .map(page_texts)
        .filter(|t| t.contains("Fila número"))
        .collect();
    assert!(
        with_rows.len() >= 3,
        "200 rows on {} pages",
        with_rows.len()
    );
    for text in &with_rows[1..] {
        assert!(text.contains("Doscientas filas (continúa)"));
        assert!(text.contains("Texto"));
    }
    let all: String = with_rows.join("\n");
    for i in 0..200 {
        assert!(
            all.contains(&format!("Fila número {i} de Núñez")),
            "row {i} missing"
        );
    }
    assert!(render(&report).unwrap().starts_with(b"%PDF"));
}

#[test]
fn hostile_content_does_not_panic() {
    let mut report = example(0);
    let long = "Participación ".repeat(800);
    report.meta.title = long.clone();
    report.meta.commitment = String::new();
    report.summary_charts = vec![
        Chart {
            title: String::new(),
            kind: ChartKind::Column,
            categories: vec![],
            series: vec![],
            target: None,
            target_label: None,
        },
        Chart {
            title: long.clone(),
            kind: ChartKind::Bar,
            categories: vec!["a".into(); 60],
            series: vec![Series {
                name: "x".into(),
                values: vec![0.0; 60],
            }],
            target: Some(f64::NAN),
            target_label: None,
        },
        Chart {
            title: "Línea".into(),
            kind: ChartKind::Line,
            categories: vec![long.clone(), "b".into()],
            series: vec![
                Series {
                    name: "x".into(),
                    values: vec![f64::INFINITY, -3.0],
                },
                Series {
                    name: "y".into(),
                    values: vec![],
                },
            ],
            target: Some(1e12),
            target_label: Some(long.clone()),
        },
    ];
    report.sections[0].tables.push(Table {
        title: String::new(),
        columns: vec![],
        rows: vec![vec![Cell::Int(1)]],
        totals: None,
        note: None,
    });
    report.sections[0].tables.push(Table {
        title: "Vacía".into(),
        columns: vec![Column::new("A", Kind::Text)],
        rows: vec![],
        totals: None,
        note: Some(String::new()),
    });
    report.sections[1].tables[0].rows.push(vec![
        Cell::Text(long.clone()),
        Cell::Text("\u{1F600}\t\u{0}x".into()),
    ]);
    report.sections[1].tables[0]
        .rows
        .push(vec![Cell::Text("x".repeat(20_000))]);
    report.silent.clear();
    report.rejected.rows.clear();
    let bytes = render(&report).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    if let Ok(path) = std::env::var("PARTICIPA_PDF_HOSTILE_OUT") {
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn text_wraps_at_spaces_and_paths_and_never_loses_characters() {
    let fonts = Fonts::load().unwrap();
    let st = style(8.0, Weight::Regular, INK);
    let path = "secretaria-atencion-ciudadana/reuniones_vecinos_1er_trimestre.xlsx";
    let lines = fonts.wrap(path, st, 90.0);
    assert!(lines.len() > 1);
    assert_eq!(lines.concat(), path);
    assert!(lines.iter().all(|l| fonts.width(l, st) <= 90.0));
    let hash = "0".repeat(64);
    let lines = fonts.wrap(&hash, st, 100.0);
    assert_eq!(lines.concat(), hash);
    assert_eq!(fonts.wrap("", st, 10.0), vec![String::new()]);
    for c in "áéíóúüñÁÉÍÓÚÜÑ«»—≥–·…•".chars() {
        assert!(fonts.regular.has(c) && fonts.bold.has(c), "{c} missing");
    }
}
