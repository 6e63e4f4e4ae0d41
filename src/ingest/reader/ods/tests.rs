use super::super::test_support::zip_of;
use std::path::{Path, PathBuf};

use super::super::workbook::read_ods_calamine;
use super::super::{read_bytes, Spent};
use super::*;

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// An ods package around `tables` (the inside of `office:spreadsheet`).
fn ods_of(tables: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", MANIFEST),
        ("content.xml", &content),
    ])
}

fn ods_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // fixtures/crashes holds damaged files on purpose.
        if path.is_dir() && !path.ends_with("crashes") {
            ods_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ods"))
        {
            out.push(path);
        }
    }
}

/// Every real ods file reads exactly as calamine (with the old merge scan) read it.
#[test]
fn every_real_ods_file_reads_as_calamine_read_it() {
    let mut files = Vec::new();
    ods_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut files,
    );
    ods_files(Path::new("/work/shared/samples/inbox"), &mut files);
    assert!(files.len() >= 10, "{files:?}");
    let limits = Limits::default();
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_default();
        let ours = read_ods(&bytes, &limits);
        let theirs = read_ods_calamine(&bytes, &limits);
        assert!(theirs.is_ok(), "{}: {theirs:?}", path.display());
        assert_eq!(ours, theirs, "{}", path.display());
    }
}

/// Hand-made tables that exercise every value type and text element, read as calamine does.
#[test]
fn every_value_type_reads_as_calamine_reads_it() {
    let tables = [
        concat!(
            r#"<table:table table:name="Tipos &amp; más"><table:table-column/>"#,
            r#"<table:table-row><table:table-cell office:value-type="float" office:value="1.5"/><table:table-cell office:value-type="percentage" office:value="0.25"/>"#,
            r#"<table:table-cell office:value-type="currency" office:currency="ARS" office:value="-12"/><table:table-cell office:value-type="date" office:date-value="2019-03-15"/>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="2019-03-15T10:30:00"/><table:table-cell office:value-type="time" office:time-value="PT10H30M00S"/>"#,
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="true"/><table:table-cell office:value-type="string" office:string-value="dicho &lt;así&gt;"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="3"/>"#,
            r#"<table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>uno<text:s text:c="3"/>dos<text:tab/>tres</text:p><text:p>cuatro<text:line-break/><text:span>cinco <text:a>seis</text:a></text:span> &amp; &#233;</text:p>"#,
            r#"<office:annotation><text:p>nota</text:p></office:annotation></table:table-cell>"#,
            r#"<table:covered-table-cell office:value-type="float" office:value="7"/><table:table-cell office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>x</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1000"/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="float" office:value="3" table:formula="of:=SUM([.A1:.A4])"/><table:table-cell office:value-type="float" office:value="4" table:formula="of:=SUM([.B1:.B4])"/></table:table-row>"#,
            r#"<table:table-row><table:table-cell office:value-type="float" office:value="3" table:formula="of:=[.A1]*2"/><table:table-cell office:value-type="string" office:string-value=""/></table:table-row>"#,
            r#"<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
        ),
        // Values past the columns read mark the sheet as cut; a cell repeated across the limit too.
        concat!(
            r#"<table:table table:name="Ancha"><table:table-row><table:table-cell table:number-columns-repeated="250"/><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="10"/></table:table-row>"#,
            r#"<table:table-row><table:table-cell table:number-columns-repeated="300"/><table:table-cell office:value-type="string"><text:p>lejos</text:p></table:table-cell></table:table-row></table:table>"#,
            r#"<table:table><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
            r#"<table:table table:name="Vacía"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#,
        ),
    ];
    for tables in tables {
        let ods = ods_of(tables);
        let ours = read_ods(&ods, &Limits::default());
        assert!(ours.as_ref().is_ok_and(|s| !s.is_empty()), "{ours:?}");
        assert_eq!(ours, read_ods_calamine(&ods, &Limits::default()));
    }
    let sheets = read_ods(&ods_of(tables[0]), &Limits::default()).unwrap_or_default();
    let text = sheets
        .first()
        .and_then(|s| s.rows.get(1))
        .and_then(|r| r.cells.get(2))
        .cloned();
    assert_eq!(
        text,
        Some(Cell::Text("uno   dos\ttres\ncuatro\ncinco seis & é".into()))
    );
}

#[test]
fn an_encrypted_package_is_encrypted_and_a_foreign_one_corrupt() {
    let manifest = MANIFEST.replace(
        r#"manifest:media-type="text/xml"/>"#,
        r#"manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>"#,
    );
    let ods = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", &manifest),
        ("content.xml", "\u{1}\u{2}"),
    ]);
    assert_eq!(
        read_ods(&ods, &Limits::default()),
        Err(ReadError::Encrypted)
    );
    assert_eq!(
        read_bytes(&ods, "ods", &Limits::default()),
        Err(ReadError::Encrypted)
    );
    let text = zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml", MANIFEST),
        ("content.xml", "<a/>"),
    ]);
    assert!(matches!(
        read_ods(&text, &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
}

#[test]
fn a_table_cut_short_is_damaged_not_an_endless_loop() {
    let cut = ods_of(
        r#"<table:table table:name="H"><table:table-row><table:table-cell office:value-type="string"><text:p>a"#,
    );
    assert!(matches!(
        read_ods(&cut, &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
    let bad = ods_of(
        r#"<table:table table:name="H"><table:table-row table:number-rows-repeated="muchas"/></table:table>"#,
    );
    assert!(matches!(
        read_ods(&bad, &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
}

fn limits(cells: u64, text: u64) -> Limits {
    Limits {
        max_cells_per_file: cells,
        max_text_bytes_per_file: text,
        ..Limits::default()
    }
}

#[test]
fn empty_repeats_cost_nothing_and_a_far_cell_costs_its_row() {
    let ods = ods_of(concat!(
        r#"<table:table table:name="H"><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        r#"<table:table-row><table:table-cell table:number-columns-repeated="9"/><table:table-cell office:value-type="float" office:value="1"/><table:table-cell table:number-columns-repeated="100000"/></table:table-row>"#,
        r#"<table:table-row table:number-rows-repeated="48576"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
    ));
    // The sheet (1), then the row: one value and nine empty cells before it.
    let sheets = read_ods(&ods, &limits(11, 1));
    assert_eq!(
        sheets.as_ref().map(|s| s[0]
            .rows
            .iter()
            .map(|r| (r.number, r.cells.len()))
            .collect::<Vec<_>>()),
        Ok(vec![(1_000_001, 10)])
    );
    assert_eq!(
        read_ods(&ods, &limits(10, 1)),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 10
        })
    );
}

#[test]
fn repeats_of_values_are_charged_per_copy_and_clipped() {
    let row = |rows: u64, cols: u64| {
        ods_of(&format!(
            r#"<table:table table:name="H"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell office:value-type="string" table:number-columns-repeated="{cols}"><text:p>abcd</text:p></table:table-cell></table:table-row></table:table>"#
        ))
    };
    // A row of 300 copies keeps 256 (max_columns) and says columns were cut.
    let sheets = read_ods(&row(1, 300), &Limits::default()).unwrap_or_default();
    assert_eq!(
        (sheets[0].rows[0].cells.len(), sheets[0].truncated_columns),
        (256, true)
    );
    // A row repeated a million times: cells charged copy by copy, rejected long before the end.
    assert_eq!(
        read_ods(&row(1_000_000, 5), &Limits::default()),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 2_000_000
        })
    );
    // Text of every copy is charged (and the sheet's name, one byte).
    assert_eq!(
        read_ods(&row(10, 10), &limits(1_000, 400)),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            max: 400
        })
    );
    assert!(read_ods(&row(10, 10), &limits(1_000, 401)).is_ok());
    // Copies past max_rows are not kept, nor charged.
    let few = Limits {
        max_rows: 3,
        ..limits(1 + 3, 1 + 12)
    };
    assert_eq!(
        read_ods(&row(1_000_000, 1), &few).map(|s| s[0].rows.len()),
        Ok(3)
    );
}

#[test]
fn one_text_node_longer_than_the_text_budget_is_refused_while_it_is_read() {
    let long = "x".repeat(3_000_000);
    let ods = ods_of(&format!(
        r#"<table:table table:name="H"><table:table-row><table:table-cell office:value-type="string"><text:p>{long}</text:p></table:table-cell></table:table-row></table:table>"#
    ));
    assert_eq!(
        read_ods(&ods, &limits(1_000, 2_000_000)),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            max: 2_000_000
        })
    );
    // A skipped cell too (a number with a long annotation).
    let ods = ods_of(&format!(
        r#"<table:table table:name="H"><table:table-row><table:table-cell office:value-type="float" office:value="1"><office:annotation><text:p>{long}</text:p></office:annotation></table:table-cell></table:table-row></table:table>"#
    ));
    assert_eq!(
        read_ods(&ods, &limits(1_000, 2_000_000)),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            max: 2_000_000
        })
    );
    assert!(read_ods(&ods, &limits(1_000, 4_000_000)).is_ok());
}

#[test]
fn spaces_and_text_are_bounded_whatever_text_c_says() {
    let ods = ods_of(
        r#"<table:table table:name="H"><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/>b</text:p></table:table-cell></table:table-row></table:table>"#,
    );
    let sheets = read_ods(&ods, &Limits::default()).unwrap_or_default();
    let text = match sheets
        .first()
        .and_then(|s| s.rows.first())
        .and_then(|r| r.cells.first())
    {
        Some(Cell::Text(t)) => Some((t.len(), t.starts_with("a "))),
        _ => None,
    };
    assert_eq!(text, Some((MAX_CELL_CHARS, true)));
}
