//! OpenDocument spreadsheets (.ods), streamed from `content.xml` in one pass: cells, totals
//! formulas and merged ranges together, every kept cell charged to the file's [`Budget`] before
//! it is made.
//!
//! Why our own reader: calamine builds each table as a dense range, expanding every
//! `number-rows-repeated` and `number-columns-repeated` it meets — a 939-byte file of repeated
//! empty rows and columns with one far cell asked for 6 GB. Here a repeat is a count: empty
//! cells and rows only move the position, whatever they say; a non-empty cell or row repeated
//! is charged per copy and clipped to `max_columns` and `max_rows`, so a file that would cost
//! more than its budget is rejected ([`ReadError::OverBudget`]) before it is expanded.
//!
//! What a cell holds follows calamine 0.38 exactly (a test compares both on every real ods file
//! in the repository): `office:value` (float, percentage, currency) is a number,
//! `office:date-value` a date, `office:time-value` the ISO duration as text, `office:boolean-value`
//! a boolean, `office:string-value` or else the cell's paragraphs (joined by `\n`, with `text:s`,
//! `text:tab`, `text:line-break` and the text of nested spans and links; annotations left out)
//! text. Covered cells are read like any other. A number under a `table:formula` that adds other
//! rows flags a totals row ([`super::rows::is_sum_formula`]). Spans
//! (`number-columns-spanned`, `number-rows-spanned`) become merges through [`MergeList`].
//!
//! Where calamine would fail the file for its content (a repeat or number that does not parse, a
//! package without `mimetype` or manifest) so does this reader; where calamine would loop
//! forever (a `content.xml` cut inside a table or an annotation) this one reports the file
//! damaged. A password-protected package (`manifest:encryption-data`) is
//! [`ReadError::Encrypted`]. Two deliberate differences, in files no spreadsheet program writes:
//! whitespace or comments between the cells of a row are ignored (calamine refuses the file),
//! and two tables with one name are each read as themselves (calamine gave both the last one's
//! cells). One XML event (a run of text, a tag, a cell skipped whole) may not take more than the
//! text budget, since the parser holds it whole ([`Metered`]).

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::QName;
use quick_xml::Reader;

use super::merges::{MergeList, MAX_MERGES_PER_SHEET};
use super::rows::{is_sum_formula, parse_iso};
use super::{bounded_text, Budget, Limits, ReadError, Spent, MAX_CELL_CHARS};
use crate::standard::{Cell, RawRow, RawSheet};

const TABLE: QName<'static> = QName("table:table");
const ROW: QName<'static> = QName("table:table-row");
const CELL: QName<'static> = QName("table:table-cell");
const COVERED: QName<'static> = QName("table:covered-table-cell");
const MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// calamine's own bounds on an ods table: cells past them are not read at all (not even to say
/// that columns were cut).
const CALAMINE_MAX_ROWS: u64 = 1_048_576;
const CALAMINE_MAX_COLUMNS: u64 = 16_384;

/// Bytes of one cell's text gathered before the rest is ignored: enough for
/// [`MAX_CELL_CHARS`] characters of any width, which is all [`bounded_text`] keeps.
const MAX_CELL_TEXT_BYTES: usize = MAX_CELL_CHARS * 4;

fn corrupt(what: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt(what.to_string())
}

/// A part of the package as the XML parser reads it, refusing to give more than
/// `max_text_bytes_per_file` (at least [`MIN_EVENT_BYTES`]) to one event (an element, a run of text, or a cell skipped
/// whole): quick-xml gathers each event whole in memory, and one text node or attribute can
/// be as long as the part. The limit is armed before each event ([`next`]); the parser's own
/// buffer reads ahead at most 8 KiB past it.
struct Metered<R> {
    inner: R,
    read: u64,
    stop_at: u64,
    per_event: u64,
    tripped: bool,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let room = self.stop_at.saturating_sub(self.read);
        if room == 0 && !out.is_empty() {
            self.tripped = true;
            return Err(std::io::Error::other("un elemento XML demasiado largo"));
        }
        let take = out.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(out.get_mut(..take).unwrap_or_default())?;
        self.read += n as u64;
        Ok(n)
    }
}

type Xml<R> = Reader<BufReader<Metered<R>>>;

/// What one event may take even under a tiny text budget: 1 MiB.
const MIN_EVENT_BYTES: u64 = 1 << 20;

/// An XML reader over a part, configured as calamine reads the same part so both see the same
/// elements, metered by the text budget.
fn xml_of<R: Read>(part: R, limits: &Limits) -> Xml<R> {
    let metered = Metered {
        inner: part,
        read: 0,
        stop_at: 0,
        per_event: limits.max_text_bytes_per_file.max(MIN_EVENT_BYTES),
        tripped: false,
    };
    let mut xml = Reader::from_reader(BufReader::new(metered));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    config.expand_empty_elements = true;
    xml
}

fn arm<R: Read>(xml: &mut Xml<R>) {
    let metered = xml.get_mut().get_mut();
    metered.stop_at = metered.read.saturating_add(metered.per_event);
}

fn failed<R: Read>(xml: &Xml<R>, e: quick_xml::Error) -> ReadError {
    let metered = xml.get_ref().get_ref();
    if metered.tripped {
        ReadError::OverBudget {
            spent: Spent::Text,
            max: metered.per_event,
        }
    } else {
        corrupt(e)
    }
}

/// The next event, within the text budget.
fn next<'b, R: Read>(xml: &mut Xml<R>, buf: &'b mut Vec<u8>) -> Result<Event<'b>, ReadError> {
    arm(xml);
    match xml.read_event_into(buf) {
        Ok(event) => Ok(event),
        Err(e) => Err(failed(xml, e)),
    }
}

/// Skips to the end tag `end`, within the text budget.
fn skip_to<R: Read>(xml: &mut Xml<R>, end: QName<'_>, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    arm(xml);
    buf.clear();
    match xml.read_to_end_into(end, buf) {
        Ok(_) => Ok(()),
        Err(e) => Err(failed(xml, e)),
    }
}

/// Reads every table of an OpenDocument spreadsheet, in document order.
pub fn read_ods(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut budget = Budget::new(limits);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    check_mimetype(&mut archive)?;
    check_not_encrypted(&mut archive, limits)?;
    let content = archive
        .by_name("content.xml")
        .map_err(|e| corrupt(format!("content.xml: {e}")))?;
    // The container was checked against the unpacked limit by its declared sizes; `take` holds
    // a part that lies about its size to the same limit.
    let mut xml = xml_of(content.take(limits.max_unpacked_bytes), limits);
    let mut sheets = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match next(&mut xml, &mut buf)? {
            Event::Start(e) if e.name() == TABLE => {
                // calamine skips a table without a name; so do we.
                let Some(name) = attribute(&e, "table:name")? else {
                    continue;
                };
                budget.cell_with_text(name.len())?;
                sheets.push(read_table(&mut xml, name, limits, &mut budget)?);
            }
            Event::Eof => return Ok(sheets),
            _ => {}
        }
    }
}

/// The package's `mimetype` must begin with the spreadsheet type (as calamine checks it).
fn check_mimetype<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
) -> Result<(), ReadError> {
    let part = archive
        .by_name("mimetype")
        .map_err(|e| corrupt(format!("mimetype: {e}")))?;
    let mut head = Vec::with_capacity(MIMETYPE.len());
    part.take(MIMETYPE.len() as u64)
        .read_to_end(&mut head)
        .map_err(corrupt)?;
    if head == MIMETYPE {
        Ok(())
    } else {
        Err(corrupt("no es una planilla OpenDocument"))
    }
}

/// A package whose manifest describes encrypted parts is password-protected.
fn check_not_encrypted<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    limits: &Limits,
) -> Result<(), ReadError> {
    let part = archive
        .by_name("META-INF/manifest.xml")
        .map_err(|e| corrupt(format!("META-INF/manifest.xml: {e}")))?;
    let mut xml = xml_of(part.take(limits.max_unpacked_bytes), limits);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match next(&mut xml, &mut buf)? {
            Event::Start(e) if e.name() == QName("manifest:encryption-data") => {
                return Err(ReadError::Encrypted)
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// An attribute's value with entities replaced; `None` when absent.
fn attribute(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, ReadError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(corrupt)?;
        if a.key.as_ref() == key {
            let raw = a.value.as_ref();
            return quick_xml::escape::unescape(raw)
                .map(|v| Some(v.into_owned()))
                .map_err(corrupt);
        }
    }
    Ok(None)
}

/// A repeat count (`number-rows-repeated`, `number-columns-repeated`): 1 when absent; one that
/// does not parse fails the file, as in calamine, since every later position would be wrong.
fn repeats(e: &BytesStart<'_>, key: &str) -> Result<u64, ReadError> {
    match attribute(e, key)? {
        Some(v) => v.parse().map_err(|_| corrupt(format!("{key}=\"{v}\""))),
        None => Ok(1),
    }
}

/// A span (`number-rows-spanned`, `number-columns-spanned`): 1 when absent or unreadable (a
/// span moves no other cell, so a bad one only loses its own merge).
fn span(e: &BytesStart<'_>, key: &str) -> u64 {
    attribute(e, key)
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// One spanned cell of a row: its column and how many rows and columns it covers.
struct Spanned {
    col: u64,
    rows: u64,
    cols: u64,
}

/// One `table:table-row` as read, before its repeats: its kept cells (sorted by column, within
/// `max_columns`, each copy of a repeated cell charged), whether a value lay past the columns
/// read, and its spanned cells.
#[derive(Default)]
struct Row {
    cells: Vec<(usize, Cell, Option<String>)>,
    past_columns: bool,
    spanned: Vec<Spanned>,
}

/// Reads one table up to its end tag, the reader just past `<table:table>`. Rows are counted
/// the way calamine places them: every `table:table-row` of the table (also inside
/// `table:table-header-rows`, `table:table-row-group`, `table:table-rows`) advances the row by
/// its `number-rows-repeated`. Repeats are added (saturating), never expanded when empty:
/// LibreOffice itself ends each sheet with one row repeated to row 1,048,576.
fn read_table<R: Read>(
    xml: &mut Xml<R>,
    name: String,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<RawSheet, ReadError> {
    let mut sheet = RawSheet {
        name,
        rows: Vec::new(),
        truncated_columns: false,
        merges: Vec::new(),
    };
    let mut merges = MergeList::new(limits);
    let mut row = 0u64;
    let mut buf = Vec::new();
    let mut row_buf = Vec::new();
    loop {
        buf.clear();
        match next(xml, &mut buf)? {
            Event::Start(e) if e.name() == ROW => {
                let repeated = repeats(&e, "table:number-rows-repeated")?;
                let read = read_row(xml, &mut row_buf, limits, budget)?;
                add_merges(&mut merges, row, repeated, &read.spanned);
                if read.past_columns && repeated > 0 && row < CALAMINE_MAX_ROWS {
                    sheet.truncated_columns = true;
                }
                add_rows(&mut sheet.rows, row, repeated, read.cells, limits, budget)?;
                row = row.saturating_add(repeated);
            }
            Event::End(e) if e.name() == TABLE => break,
            Event::Eof => return Err(corrupt("content.xml termina dentro de una hoja")),
            _ => {}
        }
    }
    sheet.merges = merges.finish();
    // A merge is kept like a cell.
    budget.cells(sheet.merges.len() as u64)?;
    Ok(sheet)
}

/// A repeated row repeats its merges. Each pass below a row's limit keeps at least one merge,
/// so the cap ends this loop well before a huge repeat does.
fn add_merges(merges: &mut MergeList, row: u64, repeated: u64, spanned: &[Spanned]) {
    if spanned.is_empty() {
        return;
    }
    for k in 0..repeated.min(MAX_MERGES_PER_SHEET as u64) {
        if merges.is_full() {
            break;
        }
        let r = row.saturating_add(k);
        for s in spanned {
            let last = (
                r.saturating_add(s.rows - 1),
                s.col.saturating_add(s.cols - 1),
            );
            merges.add((r, s.col), last);
        }
    }
}

/// Stores a row's copies (1-based numbers from `row + 1`) up to `max_rows`. The first copy's
/// values were charged as they were read; each row also costs the empty cells that fill it up to
/// its last value, and each further copy all of its cells and text again.
fn add_rows(
    rows: &mut Vec<RawRow>,
    row: u64,
    repeated: u64,
    cells: Vec<(usize, Cell, Option<String>)>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<(), ReadError> {
    let Some(width) = cells.last().map(|(col, _, _)| col + 1) else {
        return Ok(());
    };
    let values = cells.len();
    let text: u64 = cells.iter().map(|(_, cell, _)| text_len(cell) as u64).sum();
    let mut dense = vec![Cell::Empty; width];
    let mut formulas: Vec<String> = Vec::new();
    for (col, cell, formula) in cells {
        if let (Cell::Number(_), Some(f)) = (&cell, formula) {
            formulas.push(f);
        }
        if let Some(slot) = dense.get_mut(col) {
            *slot = cell;
        }
    }
    let numbers = dense
        .iter()
        .filter(|c| matches!(c, Cell::Number(_)))
        .count();
    let last = row.saturating_add(repeated).min(limits.max_rows as u64);
    for r in row..last {
        if r == row {
            budget.cells(width.saturating_sub(values) as u64)?;
        } else {
            budget.cells(width as u64)?;
            budget.text(text)?;
        }
        let number = u32::try_from(r + 1).unwrap_or(u32::MAX);
        let sums = formulas
            .iter()
            .filter(|f| is_sum_formula(f, number))
            .count();
        rows.push(RawRow {
            number,
            cells: dense.clone(),
            sum_formulas: sums > 0 && sums == numbers,
        });
    }
    Ok(())
}

fn text_len(cell: &Cell) -> usize {
    match cell {
        Cell::Text(t) | Cell::Error(t) => t.len(),
        _ => 0,
    }
}

/// Reads one row up to its end tag. Empty cells only move the column; a cell with a value is
/// kept once per repeat within `max_columns` (each copy charged); copies past it only mark the
/// sheet as cut. Spanned cells are kept within `max_columns` too (at most one per column).
fn read_row<R: Read>(
    xml: &mut Xml<R>,
    buf: &mut Vec<u8>,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Row, ReadError> {
    let max_columns = limits.max_columns as u64;
    let mut col = 0u64;
    let mut row = Row::default();
    let mut skip = Vec::new();
    loop {
        buf.clear();
        let e = match next(xml, buf)? {
            Event::Start(e) => e,
            Event::End(e) if e.name() == ROW => return Ok(row),
            Event::Eof => return Err(corrupt("content.xml termina dentro de una fila")),
            _ => continue,
        };
        let end = match e.name() {
            n if n == CELL => CELL,
            n if n == COVERED => COVERED,
            _ => continue,
        };
        let repeated = repeats(&e, "table:number-columns-repeated")?;
        if end == CELL {
            let (rows, cols) = (
                span(&e, "table:number-rows-spanned"),
                span(&e, "table:number-columns-spanned"),
            );
            if rows > 1 || cols > 1 {
                // A repeated spanned cell is each of its copies spanned (the copies overlap; the
                // file says so, the standard decides).
                for c in col..col.saturating_add(repeated).min(max_columns) {
                    // Clipped to the columns read, a one-row span in the last column is one cell.
                    if rows > 1 || c < max_columns - 1 {
                        row.spanned.push(Spanned {
                            col: c,
                            rows: rows.max(1),
                            cols: cols.max(1),
                        });
                    }
                }
            }
        }
        let (value, formula, closed) = cell_value(xml, &e, &mut skip)?;
        if value != Cell::Empty && col < CALAMINE_MAX_COLUMNS {
            let end_col = col.saturating_add(repeated).min(CALAMINE_MAX_COLUMNS);
            let kept_end = end_col.min(max_columns);
            let formula = formula.filter(|f| !f.is_empty() && matches!(value, Cell::Number(_)));
            for c in col..kept_end {
                budget.cell_with_text(text_len(&value))?;
                if let Some(f) = &formula {
                    budget.text(f.len() as u64)?;
                }
                row.cells.push((c as usize, value.clone(), formula.clone()));
            }
            if end_col > max_columns {
                row.past_columns = true;
            }
        }
        col = col.saturating_add(repeated);
        if !closed {
            skip_to(xml, end, &mut skip)?;
        }
    }
}

/// A cell's value, its formula, and whether its end tag was read. Mirrors calamine's
/// `get_datatype`: the first value attribute wins; a string (or an error with an empty
/// `string-value`) without `office:string-value` is the cell's paragraphs.
fn cell_value<R: Read>(
    xml: &mut Xml<R>,
    e: &BytesStart<'_>,
    buf: &mut Vec<u8>,
) -> Result<(Cell, Option<String>, bool), ReadError> {
    let mut is_string = false;
    let mut is_error = false;
    let mut value: Option<Cell> = None;
    let mut empty_string = false;
    let mut formula = None;
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(corrupt)?;
        let raw = a.value.as_ref();
        let decode = || {
            quick_xml::escape::unescape(raw)
                .map(|v| v.into_owned())
                .map_err(corrupt)
        };
        match a.key.as_ref() {
            "office:value" if value.is_none() => {
                value = Some(Cell::Number(
                    raw.parse()
                        .map_err(|_| corrupt(format!("office:value=\"{raw}\"")))?,
                ));
            }
            "office:string-value" if value.is_none() => {
                let text = decode()?;
                empty_string = text.is_empty();
                value = Some(Cell::Text(bounded_text(text)));
            }
            "office:date-value" if value.is_none() => {
                let text = decode()?;
                value = Some(
                    parse_iso(&text)
                        .map(Cell::Date)
                        .unwrap_or_else(|| Cell::Text(bounded_text(text))),
                );
            }
            "office:time-value" if value.is_none() => {
                value = Some(Cell::Text(bounded_text(decode()?)))
            }
            "office:boolean-value" if value.is_none() => {
                value = Some(Cell::Bool(raw == "TRUE" || raw == "true"))
            }
            "office:value-type" if value.is_none() => is_string = raw == "string",
            "calcext:value-type" => is_error = raw == "error",
            "table:formula" => formula = Some(decode()?),
            _ => {}
        }
    }
    if (value.is_none() && is_string) || (is_error && empty_string) {
        let text = paragraphs(xml, buf)?;
        return Ok((Cell::Text(bounded_text(text)), formula, true));
    }
    Ok((value.unwrap_or(Cell::Empty), formula, false))
}

/// Appends to a cell's text up to [`MAX_CELL_TEXT_BYTES`].
fn push_text(text: &mut String, piece: &str) {
    if text.len() < MAX_CELL_TEXT_BYTES {
        text.push_str(piece);
    }
}

/// The text of a string cell up to its end tag: paragraphs joined by `\n`, `text:s` as spaces
/// (never more than a cell keeps, whatever `text:c` says), tabs, line breaks, and the text of
/// everything nested (spans, links) except annotations.
fn paragraphs<R: Read>(xml: &mut Xml<R>, buf: &mut Vec<u8>) -> Result<String, ReadError> {
    let mut text = String::new();
    let mut first_paragraph = true;
    loop {
        buf.clear();
        match next(xml, buf)? {
            Event::Text(t) => push_text(&mut text, &t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(resolved) = quick_xml::escape::resolve_xml_entity(r.as_ref()) {
                    push_text(&mut text, resolved);
                } else if let Some(c) = r.resolve_char_ref().map_err(corrupt)? {
                    push_text(&mut text, c.encode_utf8(&mut [0; 4]));
                } else {
                    return Err(corrupt(format!(
                        "&{};",
                        <BytesRef<'_> as AsRef<str>>::as_ref(&r)
                    )));
                }
            }
            Event::End(e) if e.name() == CELL || e.name() == COVERED => return Ok(text),
            Event::Start(e) if e.name() == QName("office:annotation") => {
                let mut skip = Vec::new();
                skip_to(xml, QName("office:annotation"), &mut skip)?;
            }
            Event::Start(e) if e.name() == QName("text:p") => {
                if first_paragraph {
                    first_paragraph = false;
                } else {
                    push_text(&mut text, "\n");
                }
            }
            Event::Start(e) if e.name() == QName("text:s") => {
                let count: u64 = match attribute(&e, "text:c")? {
                    Some(v) => v.parse().map_err(|_| corrupt(format!("text:c=\"{v}\"")))?,
                    None => 1,
                };
                let room = MAX_CELL_TEXT_BYTES.saturating_sub(text.len());
                let spaces = usize::try_from(count).unwrap_or(usize::MAX).min(room);
                text.extend(std::iter::repeat_n(' ', spaces));
            }
            Event::Start(e) if e.name() == QName("text:tab") => push_text(&mut text, "\t"),
            Event::Start(e) if e.name() == QName("text:line-break") => push_text(&mut text, "\n"),
            Event::Eof => return Err(corrupt("content.xml termina dentro de una celda")),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
