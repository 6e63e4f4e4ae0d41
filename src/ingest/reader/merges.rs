//! Merged cell ranges: the bounds every workbook reader applies to them and the search of an xlsx
//! worksheet part for its `<mergeCell>` elements. (calamine reports merges for xls, which the xls
//! reader takes; for xlsx its `merge_cells_by_sheet_name` parses the whole sheet XML a second
//! time, which makes reading an xlsx file about 1.55× as long. The ods reader, `super::ods`,
//! finds spans in the same pass as the cells; the separate scan of `content.xml` it replaced,
//! `ods_merges`, is kept for tests only, as part of the reference the ods reader is compared
//! with.)
//!
//! A merge never decides whether a file is read: whatever goes wrong here (a damaged part, a
//! number that does not parse) leaves the sheet without merges and the cells as they were read.

use std::collections::HashMap;
#[cfg(test)]
use std::io::BufRead;
use std::io::{BufReader, Cursor, ErrorKind, Read};

use quick_xml::events::Event;
#[cfg(test)]
use quick_xml::{events::BytesStart, name::QName};
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
        MergeList { kept: Vec::new(), max_rows: limits.max_rows as u64, max_columns: limits.max_columns as u64 }
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
        let (Ok(first_row), Ok(last_row)) = (u32::try_from(first_row + 1), u32::try_from(last_row + 1)) else {
            return;
        };
        let (Ok(first_col), Ok(last_col)) = (usize::try_from(first_col), usize::try_from(last_col)) else {
            return;
        };
        self.kept.push(Merge { first_row, last_row, first_col, last_col });
    }

    /// The merges sorted by first row, then first column (the standard relies on it), without
    /// exact repeats.
    pub fn finish(mut self) -> Vec<Merge> {
        self.kept.sort_unstable_by_key(|m| (m.first_row, m.first_col, m.last_row, m.last_col));
        self.kept.dedup();
        self.kept
    }
}

/// The worksheet parts of an xlsx package, by sheet name, for reading their merges: built once
/// per workbook, after calamine accepted it, and asked once per sheet.
///
/// A worksheet states its merges in `<mergeCells>`, after `</sheetData>`: to reach them the part
/// is inflated again, but not parsed — `<mergeCell` is searched for as bytes (`memchr::memmem`),
/// 64 KiB at a time. Nothing inside `<sheetData>` can look like it: cell text is escaped,
/// so `<` never appears raw in it. (A CDATA section or a comment holding the text would; no writer
/// puts either in a worksheet.) Each element found is parsed on its own by quick-xml. What is
/// left is the cost of inflating the part again: about 7 % of reading the file (BENCHMARKS.md,
/// "Merged cells in xlsx").
pub struct XlsxMerges<'a> {
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Sheet name (as calamine names it) and part path, in workbook order.
    parts: Vec<(String, String)>,
    /// The limit on a part's unpacked size (see `scan_content`, which applies it the same way).
    max_unpacked: u64,
}

/// The search buffer of [`find_merge_cells`]: how much is inflated per read, and the longest
/// `<mergeCell>` element it reads.
const MERGE_SCAN_CHUNK: usize = 64 * 1024;

impl<'a> XlsxMerges<'a> {
    /// `None` when the package, its workbook part or that part's relationships cannot be read:
    /// then no sheet has merges.
    pub fn new(bytes: &'a [u8], limits: &Limits) -> Option<XlsxMerges<'a>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let max_unpacked = limits.max_unpacked_bytes;
        // The workbook part, as calamine finds it: the package's officeDocument relationship.
        let package_rels = small_part(&mut archive, "_rels/.rels", max_unpacked).unwrap_or_default();
        let workbook = relationships(&package_rels)?
            .into_iter()
            .find(|r| r.kind.ends_with("/relationships/officeDocument"))
            .map(|r| r.target.strip_prefix('/').unwrap_or(&r.target).to_string())
            .unwrap_or_else(|| "xl/workbook.xml".to_string());
        let (dir, file) = workbook.rsplit_once('/').unwrap_or(("", &workbook));
        let dir = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let rels = small_part(&mut archive, &format!("{dir}_rels/{file}.rels"), max_unpacked)?;
        let targets: HashMap<String, String> = relationships(&rels)?.into_iter().map(|r| (r.id, r.target)).collect();
        let parts = sheet_parts(&small_part(&mut archive, &workbook, max_unpacked)?, &targets, &dir)?;
        Some(XlsxMerges { archive, parts, max_unpacked })
    }

    /// The merges of the sheet calamine calls `name` (the first of that name), bounded as
    /// [`MergeList`] bounds them; none when anything about them is wrong.
    pub fn sheet(&mut self, name: &str, limits: &Limits) -> Vec<Merge> {
        let mut merges = MergeList::new(limits);
        match self.scan_sheet(name, &mut merges) {
            Some(()) => merges.finish(),
            None => Vec::new(),
        }
    }

    fn scan_sheet(&mut self, name: &str, merges: &mut MergeList) -> Option<()> {
        let (_, path) = self.parts.iter().find(|(n, _)| n == name)?;
        let index = part_index(&self.archive, path)?;
        let part = self.archive.by_index(index).ok()?.take(self.max_unpacked);
        let mut xml = Reader::from_reader(BufReader::with_capacity(MERGE_SCAN_CHUNK, part));
        // The root element's prefix is the sheet's: `<x:worksheet xmlns:x="…">` (the Open XML
        // SDK writes that) has `<x:mergeCell>`.
        let mut buf = Vec::new();
        let needle = loop {
            buf.clear();
            match xml.read_event_into(&mut buf).ok()? {
                Event::Start(root) if root.local_name().as_ref() == "worksheet" => {
                    let mut needle = b"<".to_vec();
                    if let Some(prefix) = root.name().prefix() {
                        needle.extend_from_slice(prefix.as_ref().as_bytes());
                        needle.push(b':');
                    }
                    needle.extend_from_slice(b"mergeCell");
                    break needle;
                }
                // `<worksheet/>`: nothing in it.
                Event::Empty(root) if root.local_name().as_ref() == "worksheet" => return Some(()),
                Event::Start(_) | Event::Empty(_) | Event::Eof => return None,
                _ => {}
            }
        };
        // The reader stopped just past the root's start tag; its buffer holds what follows.
        find_merge_cells(xml.into_inner(), &needle, MERGE_SCAN_CHUNK, merges)
    }
}

/// One `<Relationship>` of a `.rels` part.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

/// Reads a whole part, found as calamine finds parts (see [`part_index`]). For the small parts
/// only (relationships, the workbook's sheet list).
fn small_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, path: &str, max_unpacked: u64) -> Option<Vec<u8>> {
    let index = part_index(archive, path)?;
    let mut bytes = Vec::new();
    archive.by_index(index).ok()?.take(max_unpacked).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// A part's index: its exact name, else the name that differs only in case or in `\` for `/`
/// (calamine looks parts up that way).
fn part_index(archive: &zip::ZipArchive<Cursor<&[u8]>>, path: &str) -> Option<usize> {
    archive.index_for_name(path).or_else(|| {
        let wanted = path.to_ascii_lowercase();
        archive.file_names().position(|n| n.is_ok_and(|n| n.replace('\\', "/").to_ascii_lowercase() == wanted))
    })
}

/// An attribute's value with XML entities replaced (as calamine reads names and paths).
fn attribute_text(value: &str) -> Option<String> {
    quick_xml::escape::unescape(value).ok().map(|v| v.into_owned())
}

/// The relationships of a `.rels` part; `None` when it does not parse.
fn relationships(xml: &[u8]) -> Option<Vec<Relationship>> {
    let mut reader = Reader::from_reader(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let (mut id, mut kind, mut target) = (None, String::new(), String::new());
                for a in e.attributes() {
                    let a = a.ok()?;
                    match a.key.as_ref() {
                        "Id" => id = Some(attribute_text(&a.value)?),
                        "Type" => kind = attribute_text(&a.value)?,
                        "Target" => target = attribute_text(&a.value)?,
                        _ => {}
                    }
                }
                if let Some(id) = id {
                    found.push(Relationship { id, kind, target });
                }
            }
            Event::Eof => return Some(found),
            _ => {}
        }
    }
}

/// Every `<sheet name=… r:id=…>` of the workbook part with its part path: the relationship's
/// target, absolute when it starts with `/`, else relative to the workbook part's folder `dir`.
/// A sheet without a relationship is left out (calamine refuses the workbook).
fn sheet_parts(xml: &[u8], targets: &HashMap<String, String>, dir: &str) -> Option<Vec<(String, String)>> {
    let mut reader = Reader::from_reader(xml);
    let mut parts = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let (mut name, mut id) = (None, None);
                for a in e.attributes() {
                    let a = a.ok()?;
                    if a.key.as_ref() == "name" {
                        name = Some(attribute_text(&a.value)?);
                    } else if a.key.local_name().as_ref() == "id" {
                        id = Some(attribute_text(&a.value)?);
                    }
                }
                let (Some(name), Some(target)) = (name, id.and_then(|id| targets.get(&id))) else { continue };
                let path = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("{dir}{target}"),
                };
                parts.push((name, path));
            }
            Event::Eof => return Some(parts),
            _ => {}
        }
    }
}

/// Searches `part` for the elements named by `needle` (`<mergeCell` with the sheet's prefix),
/// reading it into a buffer of `chunk` bytes, and adds each one's `ref`. The buffer keeps the
/// bytes that may begin a needle or hold an element not yet closed, so one cut by a read is
/// found whole in the next. `None` when anything is wrong: a read fails, an element does not
/// parse or never closes within `chunk` bytes, or a `ref` is not a range.
fn find_merge_cells<R: Read>(mut part: R, needle: &[u8], chunk: usize, merges: &mut MergeList) -> Option<()> {
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = vec![0u8; chunk.max(needle.len() + 1)];
    let mut len = 0;
    loop {
        let read = loop {
            match part.read(&mut buf[len..]) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other.ok()?,
            }
        };
        len += read;
        // Every element that starts and ends in the buffer; `open` is one that does not end yet.
        let (mut pos, mut open) = (0, None);
        while let Some(found) = finder.find(&buf[pos..len]) {
            let start = pos + found;
            let name_end = start + needle.len();
            let Some(close) = memchr::memchr(b'>', &buf[name_end..len]) else {
                open = Some(start);
                break;
            };
            let end = name_end + close + 1;
            // `<mergeCell ` or `<mergeCell/>`, not `<mergeCells`.
            if matches!(buf[name_end], b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>') {
                add_merge_cell(&buf[start..end], merges)?;
                if merges.is_full() {
                    return Some(());
                }
            }
            pos = end;
        }
        if read == 0 {
            return if open.is_some() { None } else { Some(()) };
        }
        let keep = open.unwrap_or_else(|| pos.max(len.saturating_sub(needle.len() - 1)));
        if keep == 0 && len == buf.len() {
            // An element as long as the buffer.
            return None;
        }
        buf.copy_within(keep..len, 0);
        len -= keep;
    }
}

/// Adds the range of one `<mergeCell ref="A1:B2"/>` element; one without a `ref` adds nothing
/// (as in calamine). `None` when it does not parse or its `ref` is no range of a sheet.
fn add_merge_cell(element: &[u8], merges: &mut MergeList) -> Option<()> {
    let mut reader = Reader::from_reader(element);
    let (Event::Empty(e) | Event::Start(e)) = reader.read_event().ok()? else { return None };
    if let Some(reference) = e.try_get_attribute("ref").ok()? {
        let (first, last) = parse_range(reference.value.as_bytes())?;
        merges.add(first, last);
    }
    Some(())
}

/// `A1:B2` (or a single `A1`) as two 0-based `(row, column)` corners, within a sheet's bounds
/// (column `XFD`, row 1,048,576).
fn parse_range(text: &[u8]) -> Option<((u64, u64), (u64, u64))> {
    let mut corners = text.split(|&b| b == b':');
    let first = parse_cell_reference(corners.next()?)?;
    let last = match corners.next() {
        Some(c) => parse_cell_reference(c)?,
        None => first,
    };
    corners.next().is_none().then_some((first, last))
}

fn parse_cell_reference(text: &[u8]) -> Option<(u64, u64)> {
    let letters = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (column, row) = text.split_at(letters);
    if !(1..=3).contains(&letters) || !(1..=7).contains(&row.len()) || !row.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let column = column.iter().fold(0u64, |n, b| n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1));
    let row = row.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    // `then_some` would compute `row - 1` before the check: `A0` would overflow.
    if (1..=16_384).contains(&column) && (1..=1_048_576).contains(&row) {
        Some((row - 1, column - 1))
    } else {
        None
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
fn scan_content(bytes: &[u8], limits: &Limits, found: &mut HashMap<String, Vec<Merge>>) -> Option<()> {
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
    quick_xml::escape::unescape(&raw.value).ok().map(|name| name.into_owned())
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
    e.try_get_attribute(key).ok().flatten().and_then(|a| a.value.parse().ok()).unwrap_or(1)
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
                            let last = (r.saturating_add(s.rows - 1), s.col.saturating_add(s.cols - 1));
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
fn scan_row<R: BufRead>(xml: &mut Reader<R>, buf: &mut Vec<u8>, limits: &Limits) -> Option<Vec<Spanned>> {
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
            let (rows, cols) = (span(&e, "table:number-rows-spanned"), span(&e, "table:number-columns-spanned"));
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
                        spanned.push(Spanned { col: c, rows: rows.max(1), cols: cols.max(1) });
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
    use std::io::Write;
    use std::time::{Duration, Instant};

    use super::super::{read_bytes, Limits};
    use super::*;
    use crate::standard::{Cell, RawSheet};

    const XLSX: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.xlsx");
    const XLS: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.xls");
    const ODS: &[u8] = include_bytes!("../../../fixtures/merged/talleres_combinados.ods");

    /// A merge as written in a test: rows 1-based, columns 0-based, as `Merge`.
    fn m(first_row: u32, last_row: u32, first_col: usize, last_col: usize) -> Merge {
        Merge { first_row, last_row, first_col, last_col }
    }

    fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zipped = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in parts {
            let written = zipped.start_file(*name, options).and_then(|_| Ok(zipped.write_all(text.as_bytes())?));
            assert!(written.is_ok(), "{name}");
        }
        zipped.finish().map(|c| c.into_inner()).unwrap_or_default()
    }

    /// An ods package around `tables` (the inside of `office:spreadsheet`).
    fn ods_of(tables: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        );
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
        zip_of(&[("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("META-INF/manifest.xml", manifest), ("content.xml", &content)])
    }

    fn sheet<'a>(sheets: &'a [RawSheet], name: &str) -> &'a RawSheet {
        let found = sheets.iter().find(|s| s.name == name);
        assert!(found.is_some(), "no sheet {name:?} in {:?}", sheets.iter().map(|s| &s.name).collect::<Vec<_>>());
        found.unwrap_or(&sheets[0])
    }

    fn cell(sheet: &RawSheet, number: u32, col: usize) -> Cell {
        sheet.rows.iter().find(|r| r.number == number).map(|r| r.cell(col).clone()).unwrap_or(Cell::Empty)
    }

    /// The merges `make_merged.py` writes, in every format.
    fn talleres_merges() -> Vec<Merge> {
        vec![
            m(1, 1, 0, 5),                                                          // A1:F1 title
            m(3, 4, 0, 0), m(3, 4, 1, 1), m(3, 4, 2, 2), m(3, 4, 3, 3),             // A3:A4 … D3:D4
            m(3, 3, 4, 7),                                                          // E3:H3 parent
            m(3, 4, 8, 8),                                                          // I3:I4
            m(5, 7, 1, 1), m(5, 8, 2, 2), m(8, 10, 1, 1), m(9, 12, 2, 2),           // B5:B7 C5:C8 B8:B10 C9:C12
        ]
    }

    #[test]
    fn every_writer_merges_read_exactly() {
        for (bytes, ext) in [(XLSX, "xlsx"), (XLS, "xls"), (ODS, "ods")] {
            let read = read_bytes(bytes, ext, &Limits::default());
            assert!(read.is_ok(), "{ext}: {read:?}");
            let sheets = read.unwrap_or_default();
            assert_eq!(sheets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["Talleres 2019", "Notas & fuentes"], "{ext}");
            let talleres = sheet(&sheets, "Talleres 2019");
            assert_eq!(talleres.merges, talleres_merges(), "{ext}");
            // Each merge's value sits in its first cell as the cells reader numbers it.
            assert_eq!(cell(talleres, 1, 0).text(), Some("Talleres barriales 2019 — participantes por taller"), "{ext}");
            assert_eq!(cell(talleres, 3, 4).text(), Some("Participantes por edad"), "{ext}");
            assert_eq!(cell(talleres, 4, 4).text(), Some("0 a 17"), "{ext}");
            assert_eq!(cell(talleres, 5, 1).text(), Some("Reunión de vecinos"), "{ext}");
            assert_eq!(cell(talleres, 6, 1), Cell::Empty, "{ext}");
            assert_eq!(cell(talleres, 9, 2).text(), Some("Comuna 8"), "{ext}");
            assert_eq!(cell(talleres, 12, 8), Cell::Number(25.0), "{ext}");
            assert_eq!(sheet(&sheets, "Notas & fuentes").merges, [m(1, 2, 0, 2)], "{ext}");
        }
    }

    #[test]
    fn merges_past_the_limits_are_dropped_or_clipped() {
        // Columns A–E and rows 1–8 are read.
        let limits = Limits { max_columns: 5, max_rows: 8, ..Limits::default() };
        let want = [
            m(1, 1, 0, 4), // A1:F1 clipped to A1:E1
            m(3, 4, 0, 0), m(3, 4, 1, 1), m(3, 4, 2, 2), m(3, 4, 3, 3),
            // E3:H3 clipped to E3 alone merges nothing; I3:I4 starts past the columns read.
            m(5, 7, 1, 1), m(5, 8, 2, 2),
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
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
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
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let merges = &sheet(&sheets, "Hoja1").merges;
        assert_eq!(merges.len(), MAX_MERGES_PER_SHEET);
        assert_eq!(merges.first(), Some(&m(1, 3, 0, 1)));
        assert!(merges.iter().all(|m| m.last_col <= 255 && m.first_row <= m.last_row));
        assert!(merges.windows(2).all(|w| (w[0].first_row, w[0].first_col) <= (w[1].first_row, w[1].first_col)));
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

    /// An xlsx package by hand: each sheet as (name, relationship target, worksheet XML). Parts
    /// are stored under their target in lower case.
    fn xlsx_of(sheets: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut overrides = String::new();
        let (mut entries, mut rels) = (String::new(), String::new());
        let mut parts = Vec::new();
        for (i, (name, target, xml)) in sheets.iter().enumerate() {
            let path = target.strip_prefix('/').map_or_else(|| format!("xl/{target}"), str::to_string).to_lowercase();
            overrides.push_str(&format!(r#"<Override PartName="/{path}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
            entries.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#, n = i + 1));
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{target}"/>"#, n = i + 1));
            parts.push((path, xml.to_string()));
        }
        let types = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#);
        let workbook = format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#);
        let workbook_rels = format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#);
        let mut all = vec![
            ("[Content_Types].xml", types.as_str()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", workbook.as_str()),
            ("xl/_rels/workbook.xml.rels", workbook_rels.as_str()),
        ];
        all.extend(parts.iter().map(|(path, xml)| (path.as_str(), xml.as_str())));
        zip_of(&all)
    }

    /// A worksheet with one text cell and `merges` (the inside of `<mergeCells>`).
    fn worksheet(cell: &str, merges: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{cell}</t></is></c></row></sheetData><mergeCells count="1">{merges}</mergeCells></worksheet>"#
        )
    }

    #[test]
    fn a_merge_that_cannot_be_read_never_fails_the_file() {
        // `Roto` states a row past the last of a sheet (calamine's own merge reader overflows on
        // it), `Bien` comes after it.
        let xlsx = xlsx_of(&[
            ("Roto", "worksheets/sheet1.xml", &worksheet("roto", r#"<mergeCell ref="C3:D4"/><mergeCell ref="A1:B99999999999"/>"#)),
            ("Bien", "worksheets/sheet2.xml", &worksheet("bien", r#"<mergeCell ref="A1:B1"/>"#)),
        ]);
        let read = read_bytes(&xlsx, "xlsx", &Limits::default());
        assert!(read.is_ok(), "{read:?}");
        let sheets = read.unwrap_or_default();
        let roto = sheet(&sheets, "Roto");
        assert_eq!(cell(roto, 1, 0).text(), Some("roto"));
        // One bad merge: none of the sheet's is trusted.
        assert_eq!(roto.merges, []);
        assert_eq!(sheet(&sheets, "Bien").merges, [m(1, 1, 0, 1)]);
    }

    #[test]
    fn xlsx_parts_are_found_the_way_calamine_finds_them() {
        // An absolute target, a target in other case than the part, a prefixed worksheet as the
        // Open XML SDK writes it, a sheet name with an entity.
        let prefixed = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
            r#"<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>sdk</x:t></x:is></x:c></x:row></x:sheetData>"#,
            r#"<x:mergeCells count="2"><x:mergeCell ref="B2:C3"/><x:mergeCell ref="A1:A2"/></x:mergeCells></x:worksheet>"#
        );
        let xlsx = xlsx_of(&[
            ("Uno &amp; dos", "/xl/worksheets/uno.xml", &worksheet("uno", r#"<mergeCell ref="A1:C1"/>"#)),
            ("Prefijo", "worksheets/Prefijo.xml", prefixed),
        ]);
        let read = read_bytes(&xlsx, "xlsx", &Limits::default());
        assert!(read.is_ok(), "{read:?}");
        let sheets = read.unwrap_or_default();
        assert_eq!(sheet(&sheets, "Uno & dos").merges, [m(1, 1, 0, 2)]);
        let prefijo = sheet(&sheets, "Prefijo");
        assert_eq!(cell(prefijo, 1, 0).text(), Some("sdk"));
        assert_eq!(prefijo.merges, [m(1, 2, 0, 0), m(2, 3, 1, 2)]);
    }

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn found(xml: &str, needle: &str, chunk: usize, step: usize) -> Option<Vec<Merge>> {
        let mut merges = MergeList::new(&Limits::default());
        find_merge_cells(Trickle { bytes: xml.as_bytes(), step }, needle.as_bytes(), chunk, &mut merges)?;
        Some(merges.finish())
    }

    #[test]
    fn merge_cells_are_found_wherever_the_reads_cut_them() {
        let xml = concat!(
            // Cell text that spells a merge is escaped: not one.
            r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lt;mergeCell ref="A1:Z9"/&gt; mergeCell</t></is></c></row></sheetData>"#,
            r#"<mergeCells count="4"><mergeCell ref="A1:B1"/><mergeCell"#,
            "\n  ref='C3:A1' />",
            r#"<mergeCell ref="D5:D9"></mergeCell><mergeCell/><mergeCell ref="iv1048576:A1048575"/></mergeCells><pageMargins left="0.7"/>"#,
        );
        let want = vec![m(1, 1, 0, 1), m(1, 3, 0, 2), m(5, 9, 3, 3), m(1_048_575, 1_048_576, 0, 255)];
        // Every buffer size from the longest element up, and reads of 1 to 7 bytes or whole.
        for chunk in 38..=120 {
            for step in [1, 2, 3, 5, 7, usize::MAX] {
                assert_eq!(found(xml, "<mergeCell", chunk, step), Some(want.clone()), "chunk {chunk}, step {step}");
            }
        }
        // With the sheet's prefix only the prefixed elements count.
        assert_eq!(found(xml, "<x:mergeCell", 64, 5), Some(vec![]));
        let prefixed = r#"<x:sheetData/><x:mergeCells><x:mergeCell ref="B2:C2"/><mergeCell ref="A1:B1"/></x:mergeCells>"#;
        assert_eq!(found(prefixed, "<x:mergeCell", 64, 3), Some(vec![m(2, 2, 1, 2)]));
    }

    #[test]
    fn a_damaged_merge_list_gives_none() {
        for xml in [
            r#"<mergeCells><mergeCell ref="A1:B2"/><mergeCell ref="A1:B2"#,   // cut off
            r#"<mergeCells><mergeCell ref="A0:B2"/></mergeCells>"#,           // row 0
            r#"<mergeCells><mergeCell ref="XFE1:XFE2"/></mergeCells>"#,       // past column XFD
            r#"<mergeCells><mergeCell ref="A1:B2:C3"/></mergeCells>"#,        // three corners
            r#"<mergeCells><mergeCell ref="R1C1:R2C2"/></mergeCells>"#,       // not A1 style
            r#"<mergeCells><mergeCell ref="A1:B2' /></mergeCells>"#,          // broken attribute
        ] {
            assert_eq!(found(xml, "<mergeCell", 64, 7), None, "{xml}");
        }
        // The last cell of a sheet is one (clipped to the columns read).
        assert_eq!(found(r#"<mergeCell ref="A1:XFD1048576"/>"#, "<mergeCell", 64, 7), Some(vec![m(1, 1_048_576, 0, 255)]));
        // An element longer than the buffer.
        let long = format!(r#"<mergeCell ref="A1:B2" x="{}"/>"#, "y".repeat(100));
        assert_eq!(found(&long, "<mergeCell", 64, 64), None);
        assert_eq!(found(&long, "<mergeCell", 200, 64), Some(vec![m(1, 2, 0, 1)]));
    }
}
