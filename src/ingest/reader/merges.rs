//! Merged cell ranges: the bounds every workbook reader applies to them ([`MergeList`]).
//! (calamine reports merges for xls, which the xls reader takes; the readers of our own find
//! them in the same pass as the cells: xlsx's follow `</sheetData>` in the worksheet part
//! ([`super::xlsx`]), ods's are spans on cells ([`super::ods`]). The separate scan of an ods
//! `content.xml` that came before, `ods_merges`, is kept for tests only, as part of the
//! reference the ods reader is compared with.)
//!
//! A merge never decides whether a file is read: whatever goes wrong here (a damaged part, a
//! number that does not parse) leaves the sheet without merges and the cells as they were read.

#[cfg(test)]
use std::collections::HashMap;
#[cfg(test)]
use std::io::{BufRead, BufReader, Cursor, Read};

#[cfg(test)]
use quick_xml::events::{BytesStart, Event};
#[cfg(test)]
use quick_xml::name::QName;
#[cfg(test)]
use quick_xml::Reader;

use super::Limits;
use crate::standard::Merge;

/// Merges kept per sheet; later ones are ignored. A real sheet has tens; a hostile one could
/// state millions, and each costs memory downstream.
pub const MAX_MERGES_PER_SHEET: usize = 10_000;

/// Gathers one sheet's merges within the reader's limits: ranges starting past `max_rows` or
/// `max_columns` are dropped (their cells are not read either), the others clipped to them;
/// a range of a single cell merges nothing and is dropped.
pub struct MergeList {
    kept: Vec<Merge>,
    max_rows: u64,
    max_columns: u64,
}

impl MergeList {
    pub fn new(limits: &Limits) -> MergeList {
        MergeList {
            kept: Vec::new(),
            max_rows: limits.max_rows as u64,
            max_columns: limits.max_columns as u64,
        }
    }

    /// True once [`MAX_MERGES_PER_SHEET`] are kept: callers stop looking.
    pub fn is_full(&self) -> bool {
        self.kept.len() >= MAX_MERGES_PER_SHEET
    }

    /// Adds the range between two corners, 0-based and inclusive, in either order (a file may
    /// state `C5:A1`).
    pub fn add(&mut self, (row_a, col_a): (u64, u64), (row_b, col_b): (u64, u64)) {
        if self.is_full() {
            return;
        }
        let (first_row, first_col) = (row_a.min(row_b), col_a.min(col_b));
        if first_row >= self.max_rows || first_col >= self.max_columns {
            return;
        }
        let last_row = row_a.max(row_b).min(self.max_rows - 1);
        let last_col = col_a.max(col_b).min(self.max_columns - 1);
        if (first_row, first_col) == (last_row, last_col) {
            return;
        }
        // Rows become 1-based, as `RawRow::number`; past u32 they could not be a row number.
        let (Ok(first_row), Ok(last_row)) =
            (u32::try_from(first_row + 1), u32::try_from(last_row + 1))
        else {
            return;
        };
        let (Ok(first_col), Ok(last_col)) = (usize::try_from(first_col), usize::try_from(last_col))
        else {
            return;
        };
        self.kept.push(Merge {
            first_row,
            last_row,
            first_col,
            last_col,
        });
    }

    /// The merges sorted by first row, then first column (the standard relies on it), without
    /// exact repeats.
    pub fn finish(mut self) -> Vec<Merge> {
        self.kept
            .sort_unstable_by_key(|m| (m.first_row, m.first_col, m.last_row, m.last_col));
        self.kept.dedup();
        self.kept
    }
}

#[cfg(test)]
const TABLE: QName<'static> = QName("table:table");
#[cfg(test)]
const ROW: QName<'static> = QName("table:table-row");
#[cfg(test)]
const CELL: QName<'static> = QName("table:table-cell");
#[cfg(test)]
const COVERED: QName<'static> = QName("table:covered-table-cell");

#[cfg(test)]
/// The merges of every table of an ods file, by table name (as calamine names its sheets:
/// `table:name` with XML entities replaced). Tables after a damaged spot have no entry.
///
/// Rows and columns are counted the way calamine places cells: every `table:table-row` of the
/// table (also inside `table:table-header-rows`, `table:table-row-group`, `table:table-rows`)
/// advances the row by its `number-rows-repeated`, every `table:table-cell` and
/// `table:covered-table-cell` the column by its `number-columns-repeated`. Repeats are only
/// added (saturating), never expanded: LibreOffice itself ends each sheet with one row repeated
/// to row 1,048,576.
pub fn ods_merges(bytes: &[u8], limits: &Limits) -> HashMap<String, Vec<Merge>> {
    let mut found = HashMap::new();
    // A failure keeps the tables read before it.
    let _ = scan_content(bytes, limits, &mut found);
    found
}

#[cfg(test)]
fn scan_content(
    bytes: &[u8],
    limits: &Limits,
    found: &mut HashMap<String, Vec<Merge>>,
) -> Option<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let content = archive.by_name("content.xml").ok()?;
    // The container was checked against the unpacked limit by its declared sizes; `take` holds
    // a part that lies about its size to the same limit.
    let mut xml = Reader::from_reader(BufReader::new(content.take(limits.max_unpacked_bytes)));
    // As calamine reads the same part, so both see the same elements.
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name() == TABLE => {
                // calamine skips a table without a name; so do we.
                let Some(name) = table_name(&e) else { continue };
                let merges = scan_table(&mut xml, limits)?;
                // A repeated name: calamine keeps the last table's cells under it, so its merges.
                found.insert(name, merges);
            }
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

#[cfg(test)]
fn table_name(e: &BytesStart<'_>) -> Option<String> {
    let raw = e.try_get_attribute("table:name").ok()??;
    quick_xml::escape::unescape(&raw.value)
        .ok()
        .map(|name| name.into_owned())
}

#[cfg(test)]
/// A repeat count (`number-rows-repeated`, `number-columns-repeated`): 1 when absent, `None`
/// when it does not parse, since every position after it would be wrong.
fn repeats(e: &BytesStart<'_>, key: &str) -> Option<u64> {
    match e.try_get_attribute(key).ok()? {
        Some(a) => a.value.parse().ok(),
        None => Some(1),
    }
}

#[cfg(test)]
/// A span (`number-rows-spanned`, `number-columns-spanned`): 1 when absent or unreadable (a
/// span moves no other cell, so a bad one only loses its own merge).
fn span(e: &BytesStart<'_>, key: &str) -> u64 {
    e.try_get_attribute(key)
        .ok()
        .flatten()
        .and_then(|a| a.value.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
/// One spanned cell of a row: its column and how many rows and columns it covers.
struct Spanned {
    col: u64,
    rows: u64,
    cols: u64,
}

#[cfg(test)]
/// Reads one table up to its end tag, the reader just past `<table:table>`.
fn scan_table<R: BufRead>(xml: &mut Reader<R>, limits: &Limits) -> Option<Vec<Merge>> {
    let mut merges = MergeList::new(limits);
    let max_rows = limits.max_rows as u64;
    let mut row = 0u64;
    let mut buf = Vec::new();
    let mut row_buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name() == ROW => {
                let repeated = repeats(&e, "table:number-rows-repeated")?;
                let spanned = scan_row(xml, &mut row_buf, limits)?;
                if !spanned.is_empty() {
                    // A repeated row repeats its merges. Each pass below a row's limit keeps at
                    // least one merge, so the cap ends this loop well before a huge repeat does.
                    for k in 0..repeated.min(MAX_MERGES_PER_SHEET as u64) {
                        let r = row.saturating_add(k);
                        if r >= max_rows || merges.is_full() {
                            break;
                        }
                        for s in &spanned {
                            let last = (
                                r.saturating_add(s.rows - 1),
                                s.col.saturating_add(s.cols - 1),
                            );
                            merges.add((r, s.col), last);
                        }
                    }
                }
                row = row.saturating_add(repeated);
            }
            Event::Empty(e) if e.name() == ROW => {
                row = row.saturating_add(repeats(&e, "table:number-rows-repeated")?);
            }
            Event::End(e) if e.name() == TABLE => return Some(merges.finish()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
/// Reads one row up to its end tag and returns its spanned cells within `max_columns` (at most
/// one per column, so at most `max_columns`).
fn scan_row<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    limits: &Limits,
) -> Option<Vec<Spanned>> {
    let max_columns = limits.max_columns as u64;
    let mut col = 0u64;
    let mut spanned = Vec::new();
    let mut skip = Vec::new();
    loop {
        buf.clear();
        let (e, has_content) = match xml.read_event_into(buf).ok()? {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) if e.name() == ROW => return Some(spanned),
            Event::Eof => return None,
            _ => continue,
        };
        let name = e.name();
        if name != CELL && name != COVERED {
            continue;
        }
        let repeated = repeats(&e, "table:number-columns-repeated")?;
        if name == CELL {
            let (rows, cols) = (
                span(&e, "table:number-rows-spanned"),
                span(&e, "table:number-columns-spanned"),
            );
            if rows > 1 || cols > 1 {
                // A repeated spanned cell is each of its copies spanned (the copies overlap; the
                // file says so, the standard decides).
                for k in 0..repeated {
                    let c = col.saturating_add(k);
                    if c >= max_columns {
                        break;
                    }
                    // Clipped to the columns read, a one-row span in the last column is one cell.
                    if rows > 1 || c < max_columns - 1 {
                        spanned.push(Spanned {
                            col: c,
                            rows: rows.max(1),
                            cols: cols.max(1),
                        });
                    }
                }
            }
        }
        col = col.saturating_add(repeated);
        if has_content {
            // The cell's paragraphs, annotations or sub-table are not ours to read.
            let end = if name == CELL { CELL } else { COVERED };
            skip.clear();
            xml.read_to_end_into(end, &mut skip).ok()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::zip_of;
    use std::time::{Duration, Instant};

    use super::super::{read_bytes, Limits};
    use super::*;
    use crate::standard::{Cell, RawSheet};

    const XLSX: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.xlsx");
    const XLS: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.xls");
    const ODS: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.ods");

    /// A merge as written in a test: rows 1-based, columns 0-based, as `Merge`.
    fn m(first_row: u32, last_row: u32, first_col: usize, last_col: usize) -> Merge {
        Merge {
            first_row,
            last_row,
            first_col,
            last_col,
        }
    }

    /// An ods package around `tables` (the inside of `office:spreadsheet`).
    fn ods_of(tables: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        );
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
        zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", &content),
        ])
    }

    fn sheet<'a>(sheets: &'a [RawSheet], name: &str) -> &'a RawSheet {
        let found = sheets.iter().find(|s| s.name == name);
        assert!(
            found.is_some(),
            "no sheet {name:?} in {:?}",
            sheets.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        found.unwrap_or(&sheets[0])
    }

    fn cell(sheet: &RawSheet, number: u32, col: usize) -> Cell {
        sheet
            .rows
            .iter()
            .find(|r| r.number == number)
            .map(|r| r.cell(col).clone())
            .unwrap_or(Cell::Empty)
    }

    /// The merges `make_merged.py` writes, in every format.
    fn talleres_merges() -> Vec<Merge> {
        vec![
            m(1, 1, 0, 5), // A1:F1 title
            m(3, 4, 0, 0),
            m(3, 4, 1, 1),
            m(3, 4, 2, 2),
            m(3, 4, 3, 3), // A3:A4 … D3:D4
            m(3, 3, 4, 7), // E3:H3 parent
            m(3, 4, 8, 8), // I3:I4
            m(5, 7, 1, 1),
            m(5, 8, 2, 2),
            m(8, 10, 1, 1),
            m(9, 12, 2, 2), // B5:B7 C5:C8 B8:B10 C9:C12
        ]
    }

    #[test]
    fn every_writer_merges_read_exactly() {
        for (bytes, ext) in [(XLSX, "xlsx"), (XLS, "xls"), (ODS, "ods")] {
            let read = read_bytes(bytes, ext, &Limits::default());
            assert!(read.is_ok(), "{ext}: {read:?}");
            let sheets = read.unwrap_or_default();
            assert_eq!(
                sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                ["Talleres 2019", "Notas & fuentes"],
                "{ext}"
            );
            let talleres = sheet(&sheets, "Talleres 2019");
            assert_eq!(talleres.merges, talleres_merges(), "{ext}");
            // Each merge's value sits in its first cell as the cells reader numbers it.
            assert_eq!(
                cell(talleres, 1, 0).text(),
                Some("Talleres barriales 2019 — participantes por taller"),
                "{ext}"
            );
            assert_eq!(
                cell(talleres, 3, 4).text(),
                Some("Participantes por edad"),
                "{ext}"
            );
            assert_eq!(cell(talleres, 4, 4).text(), Some("0 a 17"), "{ext}");
            assert_eq!(
                cell(talleres, 5, 1).text(),
                Some("Reunión de vecinos"),
                "{ext}"
            );
            assert_eq!(cell(talleres, 6, 1), Cell::Empty, "{ext}");
            assert_eq!(cell(talleres, 9, 2).text(), Some("Comuna 8"), "{ext}");
            assert_eq!(cell(talleres, 12, 8), Cell::Number(25.0), "{ext}");
            assert_eq!(
                sheet(&sheets, "Notas & fuentes").merges,
                [m(1, 2, 0, 2)],
                "{ext}"
            );
        }
    }

    #[test]
    fn merges_past_the_limits_are_dropped_or_clipped() {
        // Columns A–E and rows 1–8 are read.
        let limits = Limits {
            max_columns: 5,
            max_rows: 8,
            ..Limits::default()
        };
        let want = [
            m(1, 1, 0, 4), // A1:F1 clipped to A1:E1
            m(3, 4, 0, 0),
            m(3, 4, 1, 1),
            m(3, 4, 2, 2),
            m(3, 4, 3, 3),
            // E3:H3 clipped to E3 alone merges nothing; I3:I4 starts past the columns read.
            m(5, 7, 1, 1),
            m(5, 8, 2, 2),
            // B8:B10 clipped to B8 alone merges nothing; C9:C12 starts past the rows read.
        ];
        for (bytes, ext) in [(XLSX, "xlsx"), (XLS, "xls"), (ODS, "ods")] {
            let sheets = read_bytes(bytes, ext, &limits).unwrap_or_default();
            assert_eq!(sheet(&sheets, "Talleres 2019").merges, want, "{ext}");
        }
    }

    #[test]
    fn merge_list_orders_bounds_and_caps() {
        let mut list = MergeList::new(&Limits::default());
        list.add((4, 2), (0, 0)); // stated as C5:A1
        list.add((0, 0), (4, 2)); // the same, stated again
        list.add((1, 1), (1, 1)); // one cell
        list.add((0, 300), (1, 400)); // past max_columns
        list.add((2, 250), (2, 9_999)); // clipped to the last column read
        assert_eq!(list.finish(), [m(1, 5, 0, 2), m(3, 3, 250, 255)]);

        let mut list = MergeList::new(&Limits::default());
        for row in (0..20_000u64).rev() {
            list.add((row, 0), (row, 1));
        }
        assert!(list.is_full());
        let kept = list.finish();
        assert_eq!(kept.len(), MAX_MERGES_PER_SHEET);
        // The first ones the file states are kept (here the last rows), sorted.
        assert_eq!(kept.first(), Some(&m(10_001, 10_001, 0, 1)));
        assert_eq!(kept.last(), Some(&m(20_000, 20_000, 0, 1)));
    }

    #[test]
    fn huge_ods_repeats_are_counted_not_expanded() {
        let ods = ods_of(concat!(
            r#"<table:table table:name="Hostil"><table:table-column table:number-columns-repeated="16384"/>"#,
            // A million empty rows of four billion empty cells before the merge…
            r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="4294967295"/></table:table-row>"#,
            r#"<table:table-row-group><table:table-row><table:table-cell table:number-columns-repeated="2"/><table:covered-table-cell/>"#,
            r#"<table:table-cell office:value-type="string" table:number-columns-spanned="3" table:number-rows-spanned="2"><text:p>x</text:p></table:table-cell>"#,
            r#"<table:covered-table-cell table:number-columns-repeated="2"/><table:table-cell table:number-columns-repeated="18446744073709551615"/></table:table-row>"#,
            r#"<table:table-row><table:table-cell table:number-columns-repeated="3"/><table:covered-table-cell table:number-columns-repeated="3"/></table:table-row></table:table-row-group>"#,
            // …a million more after it, and a merge past the rows read.
            r#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="1048576"/></table:table-row>"#,
            r#"<table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>lejos</text:p></table:table-cell><table:covered-table-cell/></table:table-row>"#,
            r#"</table:table>"#,
            r#"<table:table table:name="Después &lt;2&gt;"><table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>y</text:p></table:table-cell><table:covered-table-cell/></table:table-row></table:table>"#,
        ));
        let started = Instant::now();
        let read = read_bytes(&ods, "ods", &Limits::default());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(read.is_ok(), "{read:?}");
        let sheets = read.unwrap_or_default();
        let hostil = sheet(&sheets, "Hostil");
        assert_eq!(hostil.merges, [m(1_000_001, 1_000_002, 3, 5)]);
        assert_eq!(cell(hostil, 1_000_001, 3).text(), Some("x"));
        assert_eq!(sheet(&sheets, "Después <2>").merges, [m(1, 1, 0, 1)]);
    }

    #[test]
    fn a_spanned_row_repeated_a_million_times_stops_at_the_cap() {
        let ods = ods_of(concat!(
            r#"<table:table table:name="Hoja1"><table:table-row table:number-rows-repeated="1048576">"#,
            r#"<table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="3" table:number-columns-repeated="1000000000"/>"#,
            r#"</table:table-row></table:table>"#,
        ));
        let started = Instant::now();
        let sheets = read_bytes(&ods, "ods", &Limits::default()).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let merges = &sheet(&sheets, "Hoja1").merges;
        assert_eq!(merges.len(), MAX_MERGES_PER_SHEET);
        assert_eq!(merges.first(), Some(&m(1, 3, 0, 1)));
        assert!(merges
            .iter()
            .all(|m| m.last_col <= 255 && m.first_row <= m.last_row));
        assert!(merges
            .windows(2)
            .all(|w| (w[0].first_row, w[0].first_col) <= (w[1].first_row, w[1].first_col)));
    }

    #[test]
    fn a_damaged_ods_merge_leaves_the_cells() {
        // A span that does not parse loses its own merge; the sheet is read all the same.
        let ods = ods_of(concat!(
            r#"<table:table table:name="Hoja1"><table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="muchas"><text:p>a</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string" table:number-rows-spanned="2"><text:p>b</text:p></table:table-cell></table:table-row>"#,
            r#"<table:table-row><table:table-cell/><table:covered-table-cell/></table:table-row></table:table>"#,
        ));
        let sheets = read_bytes(&ods, "ods", &Limits::default()).unwrap_or_default();
        let hoja = sheet(&sheets, "Hoja1");
        assert_eq!(hoja.merges, [m(1, 2, 1, 1)]);
        assert_eq!(cell(hoja, 1, 0).text(), Some("a"));
    }
}
