use super::super::test_support::zip_of;
use std::path::{Path, PathBuf};

use super::super::workbook::read_xlsx_calamine;
use super::super::{read_bytes, Spent};
use super::formula::shift_references;
use super::sheet::{shown, RawAttributes};
use super::styles::{builtin_kind, custom_kind, NumberKind};
use super::*;
use crate::standard::{Cell, Merge};
use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A reader that hands over at most 3 bytes per call and is interrupted now and then, as
/// an inflater can be.
struct Trickle<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(std::io::Error::from(std::io::ErrorKind::Interrupted));
        }
        let n = self.data.len().min(out.len()).min(3);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn the_part_reader_hands_over_every_byte_in_order_whatever_its_buffer() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for capacity in [1, 2, 5, 64, 4096, 20_000] {
        let mut r = PartReader::new(
            capacity,
            Trickle {
                data: &data,
                calls: 0,
            },
        );
        let mut got = Vec::new();
        // Half through fill_buf/consume (what quick-xml does), half through read.
        loop {
            let chunk = r.fill_buf().expect("fill_buf").to_vec();
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().div_ceil(2);
            got.extend_from_slice(&chunk[..take]);
            r.consume(take);
            let mut more = [0u8; 7];
            let n = r.read(&mut more).expect("read");
            got.extend_from_slice(&more[..n]);
        }
        assert_eq!(got, data, "capacity {capacity}");
    }
}

/// An xlsx package by hand.
#[derive(Default)]
struct Package<'a> {
    /// (name, relationship target, worksheet XML); the part is stored under its target in
    /// lower case.
    sheets: Vec<(&'a str, &'a str, String)>,
    /// The inside of `<sst>`.
    strings: Option<String>,
    /// The inside of `<styleSheet>`.
    styles: Option<String>,
    /// Attributes of `<workbookPr>`.
    workbook_pr: &'a str,
}

impl Package<'_> {
    fn bytes(&self) -> Vec<u8> {
        let (mut entries, mut rels) = (String::new(), String::new());
        let mut parts = Vec::new();
        for (i, (name, target, xml)) in self.sheets.iter().enumerate() {
            let path = target
                .strip_prefix('/')
                .map_or_else(|| format!("xl/{target}"), str::to_string)
                .to_lowercase();
            entries.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#,
                n = i + 1
            ));
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/>"#, n = i + 1));
            parts.push((path, xml.clone()));
        }
        if let Some(strings) = &self.strings {
            rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
            parts.push((
                "xl/sharedStrings.xml".into(),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{strings}</sst>"#
                ),
            ));
        }
        if let Some(styles) = &self.styles {
            rels.push_str(r#"<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#);
            parts.push(("xl/styles.xml".into(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">{styles}</styleSheet>"#)));
        }
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr {}/><sheets>{entries}</sheets></workbook>"#,
            self.workbook_pr
        );
        let workbook_rels = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        );
        let mut all = vec![
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#,
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", workbook_rels.as_str()),
        ];
        all.extend(
            parts
                .iter()
                .map(|(path, xml)| (path.as_str(), xml.as_str())),
        );
        zip_of(&all)
    }
}

/// A worksheet around `rows` (the inside of `<sheetData>`) and `tail` (what follows it).
fn worksheet(rows: &str, tail: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="A1"/><sheetData>{rows}</sheetData>{tail}</worksheet>"#
    )
}

fn one_sheet(rows: &str, tail: &str) -> Package<'static> {
    Package {
        sheets: vec![("Hoja1", "worksheets/sheet1.xml", worksheet(rows, tail))],
        ..Package::default()
    }
}

fn m(first_row: u32, last_row: u32, first_col: usize, last_col: usize) -> Merge {
    Merge {
        first_row,
        last_row,
        first_col,
        last_col,
    }
}

fn cell(sheet: &RawSheet, number: u32, col: usize) -> Cell {
    sheet
        .rows
        .iter()
        .find(|r| r.number == number)
        .map(|r| r.cell(col).clone())
        .unwrap_or(Cell::Empty)
}

fn date(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Cell {
    Cell::Date(
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .unwrap_or_default(),
    )
}

/// Reads `bytes` with the new reader, asserts that calamine's path reads the same, and
/// returns the first sheet.
fn read_same(bytes: &[u8]) -> RawSheet {
    let limits = Limits::default();
    let new = read_xlsx(bytes, &limits);
    assert!(new.is_ok(), "{new:?}");
    assert_eq!(
        new,
        read_xlsx_calamine(bytes, &limits),
        "calamine reads it otherwise"
    );
    new.unwrap_or_default()
        .into_iter()
        .next()
        .unwrap_or_default()
}

const STYLES: &str = concat!(
    r#"<numFmts count="3"><numFmt numFmtId="164" formatCode="[h]:mm:ss"/><numFmt numFmtId="165" formatCode="&quot;Total &quot;0"/>"#,
    r#"<numFmt numFmtId="166" formatCode="dd/mm/yyyy;@"/></numFmts>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>"#,
    r#"<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"><alignment horizontal="left"/></xf>"#,
    r#"<xf numFmtId="165"/><xf numFmtId="21"/><xf numFmtId="166"/></cellXfs>"#,
);

#[test]
fn dates_in_both_systems_times_and_durations() {
    let rows = concat!(
        // Serials below 61 skip the phantom 29 February 1900.
        r#"<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="1"><v>59</v></c><c r="C1" s="1"><v>61</v></c><c r="D1" s="5"><v>43831</v></c></row>"#,
        // A time alone, a duration, a custom format with a quoted date letter, no style.
        r#"<row r="2"><c r="A2" s="4"><v>0.5</v></c><c r="B2" s="2"><v>1.5</v></c><c r="C2" s="3"><v>7</v></c><c r="D2"><v>43831</v></c></row>"#,
        // A style past the table is no format at all; a date past chrono stays a number.
        r#"<row r="3"><c r="A3" s="99"><v>43831</v></c><c r="B3" s="1"><v>1E+300</v></c><c r="C3" s="1" t="n"><v>43831.75</v></c></row>"#,
    );
    let mut package = one_sheet(rows, "");
    package.styles = Some(STYLES.to_string());
    let sheet = read_same(&package.bytes());
    assert_eq!(cell(&sheet, 1, 0), date(1900, 1, 1, 0, 0, 0));
    assert_eq!(cell(&sheet, 1, 1), date(1900, 2, 28, 0, 0, 0));
    assert_eq!(cell(&sheet, 1, 2), date(1900, 3, 1, 0, 0, 0));
    assert_eq!(cell(&sheet, 1, 3), date(2020, 1, 1, 0, 0, 0));
    assert_eq!(cell(&sheet, 2, 0), date(1899, 12, 31, 12, 0, 0));
    assert_eq!(cell(&sheet, 2, 1), Cell::Number(1.5));
    assert_eq!(cell(&sheet, 2, 2), Cell::Number(7.0));
    assert_eq!(cell(&sheet, 2, 3), Cell::Number(43831.0));
    assert_eq!(cell(&sheet, 3, 0), Cell::Number(43831.0));
    assert_eq!(cell(&sheet, 3, 1), Cell::Number(1e300));
    assert_eq!(cell(&sheet, 3, 2), date(2020, 1, 1, 18, 0, 0));

    package.workbook_pr = r#"date1904="1""#;
    let sheet = read_same(&package.bytes());
    assert_eq!(cell(&sheet, 1, 0), date(1904, 1, 2, 0, 0, 0));
    assert_eq!(cell(&sheet, 1, 3), date(2024, 1, 2, 0, 0, 0));
    assert_eq!(cell(&sheet, 2, 0), date(1904, 1, 1, 12, 0, 0));
    package.workbook_pr = r#"date1904="true""#;
    assert_eq!(
        cell(&read_same(&package.bytes()), 3, 2),
        date(2024, 1, 2, 18, 0, 0)
    );
}

#[test]
fn custom_formats_decide_as_calamine_does() {
    for (code, kind) in [
        ("DD/MM/YY", NumberKind::Date),
        ("H:MM:SS;@", NumberKind::Date),
        ("[h]:mm:ss", NumberKind::Duration),
        ("[mm]", NumberKind::Duration),
        ("[Blue]\\+[h]:mm;[Red]\\-[h]:mm", NumberKind::Duration),
        ("[>=100][Magenta].00", NumberKind::Plain),
        ("\"Y: \"0.00\"m\"", NumberKind::Plain),
        ("#,##0*y", NumberKind::Plain),
        ("*-yyyy-mm-dd", NumberKind::Date),
        ("ha/p\\\\m", NumberKind::Date),
        ("[$-404]e\"\\xfc\"m", NumberKind::Date),
        ("0_ ;[Red]\\-0\\ ", NumberKind::Plain),
        ("General", NumberKind::Plain),
    ] {
        assert_eq!(custom_kind(code), kind, "{code}");
    }
    assert_eq!(builtin_kind("14"), NumberKind::Date);
    assert_eq!(builtin_kind("46"), NumberKind::Duration);
    assert_eq!(builtin_kind("2"), NumberKind::Plain);
}

#[test]
fn every_kind_of_cell() {
    let strings = concat!(
        r#"<si><t>plano</t></si>"#,
        r#"<si><r><rPr><b/></rPr><t xml:space="preserve">rico </t></r><r><t>y  negrita </t></r></si>"#,
        // Phonetic readings are not the text.
        r#"<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>"#,
        r#"<si><t>línea_x000D_&#10;otra &amp; _x005F_x000D_</t></si>"#,
        r#"<si/><si><t></t></si>"#,
    );
    let rows = concat!(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>"#,
        r#"<row r="2"><c r="A2" t="inlineStr"><is><t> en línea </t></is></c><c r="B2" t="inlineStr"><is><r><t>a</t></r><r><t xml:space="preserve"> b</t></r></is></c><c r="C2" t="inlineStr"><is/></c><c r="D2" t="inlineStr"/></row>"#,
        r#"<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3" t="b"><v>0</v></c><c r="C3" t="e"><v>#DIV/0!</v></c><c r="D3" t="e"><v>#N/A</v></c><c r="E3" t="str"><v>de fórmula_x0009_</v></c><c r="F3" t="str"><v></v></c></row>"#,
        r#"<row r="4"><c r="A4"><v>no es número</v></c><c r="B4" t="n"><v>-1.25E2</v></c><c r="C4" t="d"><v>2020-03-04T05:06:07</v></c><c r="D4" t="d"><v>ayer</v></c><c r="E4"><v></v></c><c r="F4" s="0"/></row>"#,
    );
    let mut package = one_sheet(rows, "");
    package.strings = Some(strings.to_string());
    let sheet = read_same(&package.bytes());
    let text = |s: &str| Cell::Text(s.to_string());
    assert_eq!(
        sheet.rows[0].cells,
        [
            text("plano"),
            text("rico y  negrita"),
            text("東京"),
            text("línea\r\notra & _x000D_"),
            text(""),
            text("")
        ]
    );
    assert_eq!(
        sheet.rows[1].cells,
        [text("en línea"), text("a b"), text("")]
    );
    assert_eq!(
        sheet.rows[2].cells,
        [
            Cell::Bool(true),
            Cell::Bool(false),
            Cell::Error("#DIV/0!".into()),
            Cell::Error("#N/A".into()),
            text("de fórmula\t"),
            text("")
        ]
    );
    assert_eq!(
        sheet.rows[3].cells,
        [
            text("no es número"),
            Cell::Number(-125.0),
            date(2020, 3, 4, 5, 6, 7),
            text("ayer")
        ]
    );
}

#[test]
fn cells_and_rows_without_r_follow_the_previous_ones() {
    let rows = concat!(
        r#"<row><c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c></row>"#,
        r#"<row/><row r="4"><c><v>7</v></c><c r="C4"/><c><v>9</v></c></row>"#,
        r#"<row><c t="inlineStr"><is><t>x</t></is></c></row>"#,
    );
    let sheet = read_same(&one_sheet(rows, "").bytes());
    let numbers: Vec<(u32, Vec<Cell>)> = sheet
        .rows
        .iter()
        .map(|r| (r.number, r.cells.clone()))
        .collect();
    let n = Cell::Number;
    assert_eq!(
        numbers,
        [
            (
                1,
                vec![n(1.0), n(2.0), Cell::Empty, Cell::Empty, n(5.0), n(6.0)]
            ),
            (4, vec![n(7.0), Cell::Empty, Cell::Empty, n(9.0)]),
            (5, vec![Cell::Text("x".into())]),
        ]
    );
}

#[test]
fn merges_after_the_cells_in_the_same_pass() {
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>título</t></is></c></row><row r="3"><c r="B3"><v>1</v></c></row>"#;
    let tail = concat!(
        r#"<sheetProtection sheet="1"/><mergeCells count="3"><mergeCell ref="A1:F1"/><mergeCell ref="C5:A3"/><mergeCell ref="B9"/></mergeCells>"#,
        r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>"#,
    );
    // (calamine's own merge reader overflows on `C5:A3`.)
    let sheets = read_xlsx(&one_sheet(rows, tail).bytes(), &Limits::default()).unwrap_or_default();
    let sheet = &sheets[0];
    assert_eq!(sheet.merges, [m(1, 1, 0, 5), m(3, 5, 0, 2)]);
    assert_eq!(cell(sheet, 1, 0), Cell::Text("título".into()));

    // One bad merge: none of the sheet's is trusted, the cells are; so is a damaged tail.
    for tail in [
        r#"<mergeCells><mergeCell ref="A1:B2"/><mergeCell ref="A1:B99999999999"/></mergeCells>"#,
        r#"<mergeCells><mergeCell ref="A1:B2"/><mergeCell ref="A1:B2' /></mergeCells>"#,
    ] {
        let read = read_xlsx(&one_sheet(rows, tail).bytes(), &Limits::default());
        assert!(read.is_ok(), "{read:?}");
        let sheets = read.unwrap_or_default();
        assert_eq!(sheets[0].merges, [], "{tail}");
        assert_eq!(cell(&sheets[0], 3, 1), Cell::Number(1.0));
    }
}

#[test]
fn parts_are_found_the_way_calamine_finds_them() {
    // An absolute target, a target in other case than the part, a prefixed worksheet as the
    // Open XML SDK writes it, a sheet name with an entity, a chart sheet (not read).
    let prefixed = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>sdk</x:t></x:is></x:c></x:row></x:sheetData><x:mergeCells count="2"><x:mergeCell ref="B2:C3"/><x:mergeCell ref="A1:A2"/></x:mergeCells></x:worksheet>"#
    );
    let chart = r#"<?xml version="1.0" encoding="UTF-8"?><chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr/><drawing r:id="rId1"/></chartsheet>"#;
    let package = Package {
        sheets: vec![
            (
                "Uno &amp; dos",
                "/xl/worksheets/uno.xml",
                worksheet(
                    r#"<row r="1"><c r="A1"><v>1</v></c></row>"#,
                    r#"<mergeCells><mergeCell ref="A1:C1"/></mergeCells>"#,
                ),
            ),
            ("Prefijo", "worksheets/Prefijo.xml", prefixed),
            ("Gráfico", "worksheets/chart.xml", chart.to_string()),
        ],
        ..Package::default()
    };
    let bytes = package.bytes();
    let sheets = read_xlsx(&bytes, &Limits::default()).unwrap_or_default();
    assert_eq!(
        sheets,
        read_xlsx_calamine(&bytes, &Limits::default()).unwrap_or_default()
    );
    assert_eq!(
        sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Uno & dos", "Prefijo"]
    );
    assert_eq!(sheets[0].merges, [m(1, 1, 0, 2)]);
    assert_eq!(cell(&sheets[1], 1, 0), Cell::Text("sdk".into()));
    assert_eq!(sheets[1].merges, [m(1, 2, 0, 0), m(2, 3, 1, 2)]);
}

#[test]
fn totals_rows_through_shared_formulas() {
    let rows = concat!(
        // Row 5's total is a shared formula down E5:E7 adding each row's own cells: data.
        r#"<row r="5"><c r="B5"><v>1</v></c><c r="C5"><v>2</v></c><c r="E5"><f t="shared" ref="E5:E7" si="0">SUM(B5:C5)</f><v>3</v></c></row>"#,
        r#"<row r="6"><c r="B6"><v>1</v></c><c r="C6"><v>2</v></c><c r="E6"><f t="shared" si="0"/><v>3</v></c></row>"#,
        r#"<row r="7"><c r="B7"><v>1</v></c><c r="C7"><v>2</v></c><c r="E7"><f t="shared" si="0"/><v>3</v></c></row>"#,
        // Row 8 totals the columns above it, shared across B8:E8.
        r#"<row r="8"><c r="B8"><f t="shared" ref="B8:E8" si="1">SUM(B5:B7)</f><v>3</v></c><c r="C8"><f t="shared" si="1"/><v>6</v></c><c r="E8"><f t="shared" si="1"/><v>9</v></c></row>"#,
        // Row 9 refers to fixed row 5 from a formula shared down from row 5's group: a sum of
        // another row.
        r#"<row r="9"><c r="B9"><f t="shared" ref="B9:B10" si="2">SUM($B$5:C$5)</f><v>3</v></c></row>"#,
        r#"<row r="10"><c r="B10"><f t="shared" si="2"/><v>3</v></c><c r="C10"><f>B10*2</f><v>6</v></c></row>"#,
        r#"<row r="11"><c r="B11"><f>SUBTOTAL(9,B5:B7)</f><v>3</v></c><c r="C11" t="str"><f>"x"</f><v>x</v></c></row>"#,
    );
    let sheet = read_same(&one_sheet(rows, "").bytes());
    let sums: Vec<(u32, bool)> = sheet
        .rows
        .iter()
        .map(|r| (r.number, r.sum_formulas))
        .collect();
    assert_eq!(
        sums,
        [
            (5, false),
            (6, false),
            (7, false),
            (8, true),
            (9, true),
            (10, false),
            (11, true)
        ]
    );
    assert_eq!(
        shift_references("SUM(B5:C5)+$A1*\"B5\"+LOG10(A$1)", (2, 1)),
        "SUM(C7:D7)+$A3*\"B5\"+LOG10(B$1)"
    );
    assert_eq!(
        shift_references("SUM(A1:A2, XFD1, 5:6, B:C)", (-1, 1)),
        "SUM(A1:A2, XFD1, 4:5, C:D)"
    );
}

#[test]
fn a_damaged_sheet_is_corrupt_with_where() {
    let good = worksheet(
        r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>texto largo</t></is></c></row>"#,
        "",
    );
    // Cut anywhere inside the cells, the part is short.
    let cut = good.find("<c r=\"B1\"").unwrap_or(0);
    for (broken, what) in [
        (good[..cut].to_string(), "termina antes de tiempo"),
        (
            good[..cut + 12].to_string(),
            "`>` not found before end of input",
        ),
        (
            good.replace(r#"<c r="A1">"#, r#"<c r="A1" <v>"#),
            "sheet1.xml",
        ),
        (
            good.replace(r#"r="A1""#, r#"r="1A""#),
            "referencia de celda inválida «1A»",
        ),
        (
            good.replace(r#"<c r="A1">"#, r#"<c r="A1" t="s">"#),
            "texto compartido «1»",
        ),
        (
            good.replace(r#"<c r="A1">"#, r#"<c r="A1" t="b">"#)
                .replace("<v>1</v>", "<v>2</v>"),
            "valor lógico inválido «2»",
        ),
        (
            good.replace(r#"<c r="A1">"#, r#"<c r="A1" t="n">"#)
                .replace("<v>1</v>", "<v>uno</v>"),
            "número inválido «uno»",
        ),
        (
            good.replace("<v>1</v>", "<v>&foo;</v>"),
            "entidad desconocida",
        ),
        (String::new(), "termina antes de tiempo"),
    ] {
        let read = read_xlsx(
            &one_sheet("", "").bytes_with_sheet(&broken),
            &Limits::default(),
        );
        match read {
            Err(ReadError::Corrupt(text)) => {
                assert!(text.contains(what), "{text} lacks {what}")
            }
            other => panic!("{broken}: {other:?}"),
        }
    }
    // A package without its workbook, or no zip at all.
    let no_workbook = zip_of(&[("_rels/.rels", "<Relationships/>")]);
    assert!(
        matches!(read_xlsx(&no_workbook, &Limits::default()), Err(ReadError::Corrupt(t)) if t.contains("officeDocument"))
    );
    assert!(matches!(
        read_xlsx(b"PK\x03\x04garbage", &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
}

impl Package<'_> {
    fn bytes_with_sheet(mut self, xml: &str) -> Vec<u8> {
        self.sheets[0].2 = xml.to_string();
        self.bytes()
    }
}

#[test]
fn raw_attributes_as_written() {
    let read = |tag: &str| -> Vec<Result<(String, String), String>> {
        let mut reader = Reader::from_str(tag);
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => RawAttributes::of(&e)
                .map(|a| {
                    a.map(|(k, v)| (shown(k).into_owned(), shown(v).into_owned()))
                        .map_err(|t| shown(t).into_owned())
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let ok = |k: &str, v: &str| Ok((k.to_string(), v.to_string()));
    assert_eq!(
        read(r#"<c r="A1" s='3'  t = "s"/>"#),
        [ok("r", "A1"), ok("s", "3"), ok("t", "s")]
    );
    assert_eq!(read("<c\n\tr=\"B2\"\n>"), [ok("r", "B2")]);
    assert_eq!(read(r#"<c r="a=b" />"#), [ok("r", "a=b")]);
    assert_eq!(
        read(r#"<c r="A1" junk>"#),
        [ok("r", "A1"), Err("junk".into())]
    );
    assert_eq!(read(r#"<c r=A1>"#), [Err("r=A1".into())]);
}

#[test]
fn every_cell_and_every_reference_is_charged() {
    let long = "x".repeat(40_000);
    let mut rows = String::new();
    for r in 1..=20 {
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}"><v>{r}</v></c></row>"#
        ));
    }
    let mut package = one_sheet(&rows, "");
    package.strings = Some(format!("<si><t>{long}</t></si>"));
    let bytes = package.bytes();
    // The string is cut at 32,767 characters once, in the table; each reference costs that.
    let sheets = read_xlsx(&bytes, &Limits::default()).unwrap_or_default();
    assert_eq!(
        cell(&sheets[0], 20, 0),
        Cell::Text("x".repeat(MAX_CELL_CHARS))
    );
    let text_limit = Limits {
        max_text_bytes_per_file: 10 * MAX_CELL_CHARS as u64,
        ..Limits::default()
    };
    assert_eq!(
        read_xlsx(&bytes, &text_limit),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            max: 10 * MAX_CELL_CHARS as u64
        })
    );
    let cell_limit = Limits {
        max_cells_per_file: 39,
        ..Limits::default()
    };
    assert_eq!(
        read_xlsx(&bytes, &cell_limit),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 39
        })
    );
    assert!(read_xlsx(
        &bytes,
        &Limits {
            max_cells_per_file: 40,
            ..Limits::default()
        }
    )
    .is_ok());
    // Through read_bytes too (the ods fallback keeps the xlsx reason).
    assert_eq!(
        read_bytes(&bytes, "xlsx", &cell_limit),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 39
        })
    );
    // An empty cell far to the right of its row costs the row's width.
    let wide = one_sheet(r#"<row r="1"><c r="IV1"><v>1</v></c></row>"#, "").bytes();
    assert_eq!(
        read_xlsx(
            &wide,
            &Limits {
                max_cells_per_file: 255,
                ..Limits::default()
            }
        ),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 255
        })
    );
    // The table itself is held to the text limit.
    let mut table = one_sheet("", "");
    table.strings = Some("<si><t>abc</t></si>".repeat(1000));
    assert!(matches!(
        read_xlsx(
            &table.bytes(),
            &Limits {
                max_text_bytes_per_file: 5000,
                ..Limits::default()
            }
        ),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            ..
        })
    ));
}

/// Every xlsx/xlsm file under `dir`.
fn workbooks(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // fixtures/crashes holds damaged files on purpose.
        if path.is_dir() && !path.ends_with("crashes") {
            workbooks(&path, found);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
        {
            found.push(path);
        }
    }
}

/// Reads every file with both readers: equal sheets when calamine reads it, an error from
/// both when it does not.
fn compare_with_calamine(roots: &[PathBuf]) -> usize {
    let mut files = Vec::new();
    for root in roots {
        workbooks(root, &mut files);
    }
    let limits = Limits::default();
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        let old = read_xlsx_calamine(&bytes, &limits);
        let new = read_xlsx(&bytes, &limits);
        match old {
            Ok(old) => assert_eq!(new.as_ref(), Ok(&old), "{}", file.display()),
            Err(e) => assert!(
                new.is_err(),
                "{}: calamine says {e}, the new reader reads it",
                file.display()
            ),
        }
    }
    files.len()
}

#[test]
fn every_fixture_and_sample_reads_as_calamine_read_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The shared samples are outside the repository; without them the fixtures still count.
    let roots = [root.join("fixtures"), root.join("../shared/samples/inbox")];
    let read = compare_with_calamine(&roots);
    assert!(read >= 40, "only {read} workbooks found");
}

/// The bench corpus (`cargo bench --bench ingest` writes it): 100 workbooks of ~5,000 rows.
#[test]
#[ignore = "slow; needs target/bench-corpus"]
fn the_bench_corpus_reads_as_calamine_read_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus");
    assert!(compare_with_calamine(&[root]) > 0);
}
