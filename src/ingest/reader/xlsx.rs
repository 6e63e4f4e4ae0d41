//! xlsx/xlsm read in one streaming pass of our own over each worksheet part: its cells and
//! then, after `</sheetData>`, its `<mergeCells>`, so a part is inflated and parsed once.
//!
//! Why not calamine (which still reads xls and ods, see [`super::workbook`]): its streaming cell
//! reader stops at `</sheetData>` and cannot hand over the rest of the part, so the merges cost a
//! second inflate of every sheet (about 7 % of an ingest, BENCHMARKS.md "Reading sheets the way a
//! person does"); and it copies a shared string into every cell that refers to it before anyone
//! can count it, so a 72 KB file whose cells all refer to one 32,767-character string expanded
//! to tens of GB (issue 10). Here every kept cell and its text are charged to the file's
//! [`Budget`] *before* the text is copied, and the shared-string table is itself held to the
//! text budget (as one string plus its ends, so a table of millions of empty strings costs bytes,
//! not allocations).
//!
//! What a cell means follows calamine 0.38 exactly, so a file reads the same as before (a test
//! compares both on every fixture): the workbook part is the package's `officeDocument`
//! relationship; sheets are listed in workbook order and only worksheets are read (a part with
//! no `<sheetData>` is no worksheet and is skipped); a numeric cell is a date when its style's
//! number format is a date format (built-in ids 14–22, 27–36, 45, 47, 50–58, or a custom code
//! with date tokens outside quotes and brackets), a duration (`[h]:mm`, id 46) stays a number;
//! `date1904` moves the epoch; shared and inline strings join their runs (`<r><t>`), leave out
//! phonetic runs (`<rPh>`), trim unless `xml:space="preserve"` and decode `_xHHHH_`; formulas
//! count by their cached `<v>`. Where calamine would fail the whole file over something that
//! means nothing here (an error cell it does not know, such as `#SPILL!`; an element it does
//! not expect inside a cell; a bad shared-formula attribute; a bad `<dimension>`) this reader
//! keeps going; a damaged package, part or cell value is [`ReadError::Corrupt`] with where it
//! was found. A merge list that cannot be read leaves the sheet without merges, never fails the
//! file (as before).

use std::collections::HashMap;
use std::io::{BufRead, Cursor, Read};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::merges::MergeList;
use super::rows::{is_sum_call, parse_iso, RowBuilder};
use super::{bounded_text, Budget, Limits, ReadError, MAX_CELL_CHARS};
use crate::standard::{Cell, Merge, RawSheet};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;
/// One part of an [`Archive`], inflated as it is read.
type Part<'a, 'b> = PartReader<std::io::Take<zip::read::ZipFile<'a, Cursor<&'b [u8]>>>>;

/// A buffered reader for a part, in place of `std::io::BufReader`: quick-xml asks for the
/// buffer once or twice per XML event (some 14 million times for a tenth of the bench corpus),
/// and std's `fill_buf`, not inlined into quick-xml's loop here and keeping count of the
/// initialised bytes on every call, cost 3 % of a whole ingest (valgrind, BENCHMARKS.md). Here
/// the buffer is zeroed once, the common case is a bounds check inlined into the caller, and
/// only a refill is a call.
pub(super) struct PartReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
}

impl<R: Read> PartReader<R> {
    fn new(capacity: usize, inner: R) -> Self {
        PartReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    #[inline(never)]
    fn refill(&mut self) -> std::io::Result<()> {
        self.pos = 0;
        self.filled = 0;
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.filled = n.min(self.buf.len());
        Ok(())
    }
}

impl<R: Read> Read for PartReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for PartReader<R> {
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.refill()?;
        }
        Ok(self.buf.get(self.pos..self.filled).unwrap_or_default())
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        self.pos = self.pos.saturating_add(amount).min(self.filled);
    }
}

/// How much of a part is inflated per read.
const PART_BUFFER: usize = 64 * 1024;

/// The most text one string element (a `<t>`, a `<v>`, an `<f>`) collects before the rest is
/// dropped: well past what [`MAX_CELL_CHARS`] keeps even after trimming and `_xHHHH_`
/// decoding (7 bytes to one character), so the cut is still [`bounded_text`]'s, and a hostile
/// element costs this much at most, not the whole part.
const MAX_ELEMENT_BYTES: usize = 8 * 4 * MAX_CELL_CHARS;

/// The last row and column of a sheet (1,048,576 rows, column XFD).
const SHEET_ROWS: u32 = 1_048_576;
const SHEET_COLUMNS: u32 = 16_384;

fn corrupt(text: impl Into<String>) -> ReadError {
    ReadError::Corrupt(text.into())
}

fn zip_error(e: zip::result::ZipError, what: &str) -> ReadError {
    match e {
        zip::result::ZipError::UnsupportedArchive(m)
            if m == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            ReadError::Encrypted
        }
        other => corrupt(format!("{what}: {other}")),
    }
}

/// Reads every worksheet of an xlsx/xlsm workbook, within `limits` and the file's budget.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| zip_error(e, "el paquete zip no se puede abrir"))?;
    let mut budget = Budget::new(limits);
    let book = Workbook::open(&mut archive, limits)?;
    let mut sheets = Vec::with_capacity(book.sheets.len());
    for (name, path) in &book.sheets {
        if let Some(sheet) = read_sheet(&mut archive, &book, name, path, limits, &mut budget)? {
            sheets.push(sheet);
        }
    }
    Ok(sheets)
}

// ---------------------------------------------------------------------------------------------
// The package: parts, relationships, the workbook part.

/// A part's index: its exact name, else the name that differs only in case or in `\` for `/`
/// (calamine looks parts up that way, and writers differ in both).
fn part_index(archive: &Archive<'_>, path: &str) -> Option<usize> {
    archive.index_for_name(path).or_else(|| {
        let wanted = path.to_ascii_lowercase();
        archive
            .file_names()
            .position(|n| n.is_ok_and(|n| n.replace('\\', "/").to_ascii_lowercase() == wanted))
    })
}

/// A part as a buffered reader, held to `max_unpacked` bytes whatever its header claims (the
/// container's declared sizes were checked by `read_bytes`; `take` holds one that lies).
fn open_part<'a, 'b>(
    archive: &'a mut Archive<'b>,
    index: usize,
    path: &str,
    max_unpacked: u64,
) -> Result<Part<'a, 'b>, ReadError> {
    let part = archive
        .by_index(index)
        .map_err(|e| zip_error(e, &format!("la parte {path} no se puede leer")))?;
    Ok(PartReader::new(PART_BUFFER, part.take(max_unpacked)))
}

/// A whole small part (relationships, the workbook's sheet list); `None` when it is absent.
fn small_part(
    archive: &mut Archive<'_>,
    path: &str,
    max_unpacked: u64,
) -> Result<Option<Vec<u8>>, ReadError> {
    let Some(index) = part_index(archive, path) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    open_part(archive, index, path, max_unpacked)?
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(format!("la parte {path} no se puede leer: {e}")))?;
    Ok(Some(bytes))
}

/// A reader configured as calamine configures its own, so both accept the same documents:
/// end tags are not matched against start tags, comments are not checked, text is not trimmed.
fn xml_reader<R: BufRead>(source: R) -> Reader<R> {
    let mut xml = Reader::from_reader(source);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    xml
}

/// A cell that cannot be what it says, at `position` of part `path`.
fn bad_cell(path: &str, position: u64, what: impl std::fmt::Display) -> ReadError {
    corrupt(format!("{path}, cerca del byte {position}: {what}"))
}

fn xml_error(path: &str, position: u64, e: impl std::fmt::Display) -> ReadError {
    corrupt(format!("{path}, cerca del byte {position}: {e}"))
}

/// An attribute's value with XML entities replaced; `None` when absent.
fn attribute(e: &BytesStart<'_>, key: &str, path: &str) -> Result<Option<String>, ReadError> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| corrupt(format!("{path}: atributo ilegible: {err}")))?;
        if a.key.as_ref() == key {
            return quick_xml::escape::unescape(&a.value)
                .map(|v| Some(v.into_owned()))
                .map_err(|err| corrupt(format!("{path}: atributo «{key}» ilegible: {err}")));
        }
    }
    Ok(None)
}

/// One `<Relationship>` of a `.rels` part.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn relationships(xml: &[u8], path: &str) -> Result<Vec<Relationship>, ReadError> {
    let mut reader = xml_reader(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                let id = attribute(&e, "Id", path)?;
                let kind = attribute(&e, "Type", path)?.unwrap_or_default();
                let target = attribute(&e, "Target", path)?.unwrap_or_default();
                if let Some(id) = id {
                    found.push(Relationship { id, kind, target });
                }
            }
            Ok(Event::Eof) => return Ok(found),
            Ok(_) => {}
            Err(e) => return Err(xml_error(path, reader.error_position(), e)),
        }
    }
}

/// What the workbook says about itself.
struct Workbook {
    /// Worksheets in workbook order: name as on its tab, part path.
    sheets: Vec<(String, String)>,
    strings: SharedStrings,
    /// The number kind of each cell format (`cellXfs`), by a cell's `s`.
    formats: Vec<NumberKind>,
    date1904: bool,
    max_unpacked: u64,
}

impl Workbook {
    fn open(archive: &mut Archive<'_>, limits: &Limits) -> Result<Workbook, ReadError> {
        let max_unpacked = limits.max_unpacked_bytes;
        let package_rels = small_part(archive, "_rels/.rels", max_unpacked)?
            .ok_or_else(|| corrupt("falta la parte _rels/.rels"))?;
        let target = relationships(&package_rels, "_rels/.rels")?
            .into_iter()
            .find(|r| r.kind.ends_with("/relationships/officeDocument"))
            .map(|r| r.target)
            .ok_or_else(|| corrupt("el paquete no dice dónde está el libro (officeDocument)"))?;
        let workbook = target.strip_prefix('/').unwrap_or(&target).to_string();
        let (dir, file) = match workbook.rfind('/') {
            Some(i) => workbook.split_at(i + 1),
            None => ("", workbook.as_str()),
        };
        let rels_path = format!("{dir}_rels/{file}.rels");
        let rels = small_part(archive, &rels_path, max_unpacked)?
            .ok_or_else(|| corrupt(format!("falta la parte {rels_path}")))?;
        let rels = relationships(&rels, &rels_path)?;
        let resolve = |target: &str| match target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("{dir}{target}"),
        };
        // The shared strings and styles by their relationship, else where calamine looks.
        let by_kind = |kind: &str, default: &str| {
            rels.iter()
                .find(|r| r.kind.ends_with(kind))
                .map_or_else(|| format!("{dir}{default}"), |r| resolve(&r.target))
        };
        let strings_path = by_kind("/relationships/sharedStrings", "sharedStrings.xml");
        let styles_path = by_kind("/relationships/styles", "styles.xml");
        let targets: HashMap<&str, &Relationship> =
            rels.iter().map(|r| (r.id.as_str(), r)).collect();

        let xml = small_part(archive, &workbook, max_unpacked)?
            .ok_or_else(|| corrupt(format!("falta el libro {workbook}")))?;
        let mut reader = xml_reader(xml.as_slice());
        let (mut sheets, mut date1904) = (Vec::new(), false);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                    "sheet" => {
                        let name = attribute(&e, "name", &workbook)?.unwrap_or_default();
                        let mut id = None;
                        for a in e.attributes().with_checks(false) {
                            let a = a.map_err(|err| {
                                corrupt(format!("{workbook}: atributo ilegible: {err}"))
                            })?;
                            if a.key.local_name().as_ref() == "id" {
                                id = Some(a.value.into_owned());
                            }
                        }
                        let rel =
                            id.as_deref()
                                .and_then(|id| targets.get(id))
                                .ok_or_else(|| {
                                    corrupt(format!(
                                        "la hoja «{name}» no tiene su parte en {rels_path}"
                                    ))
                                })?;
                        // Chart sheets, dialog sheets and macro sheets hold no table to read.
                        if rel.kind.rsplit('/').next() == Some("worksheet") {
                            sheets.push((name, resolve(&rel.target)));
                        }
                    }
                    // Also `<x15:workbookPr>` in an extension list, which never says date1904.
                    "workbookPr" => {
                        if let Some(v) = attribute(&e, "date1904", &workbook)? {
                            date1904 = v == "1" || v == "true";
                        }
                    }
                    _ => {}
                },
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => return Err(xml_error(&workbook, reader.error_position(), e)),
            }
        }
        let strings = match part_index(archive, &strings_path) {
            Some(index) => SharedStrings::read(
                open_part(archive, index, &strings_path, max_unpacked)?,
                &strings_path,
                limits,
            )?,
            None => SharedStrings::default(),
        };
        let formats = match part_index(archive, &styles_path) {
            Some(index) => read_formats(
                open_part(archive, index, &styles_path, max_unpacked)?,
                &styles_path,
            )?,
            None => Vec::new(),
        };
        Ok(Workbook {
            sheets,
            strings,
            formats,
            date1904,
            max_unpacked,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Text: shared strings, inline strings, `<v>` and `<f>` contents.

/// The shared-string table as one string and the end of each entry in it: a table of a million
/// empty strings costs 8 MB, not a million allocations. Each entry is already cut at
/// [`MAX_CELL_CHARS`], as every cell that refers to it would be.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.text.get(start..end)
    }

    /// Reads `<sst>`. The table is held in memory while the sheets are read, so it has its own
    /// allowance of the file's text limit (bytes kept plus 8 per entry): a table past it is
    /// [`ReadError::OverBudget`]. Cells that refer to it are charged again, each time, since
    /// each becomes its own copy.
    fn read(part: impl BufRead, path: &str, limits: &Limits) -> Result<SharedStrings, ReadError> {
        let mut allowance = Budget::new(limits);
        let mut xml = xml_reader(part);
        let mut table = SharedStrings::default();
        let (mut buf, mut inner) = (Vec::new(), Vec::new());
        let mut piece = String::new();
        let mut in_sst = false;
        loop {
            buf.clear();
            let entry = match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => match e.local_name().as_ref() {
                    "sst" => {
                        in_sst = true;
                        continue;
                    }
                    "si" if in_sst => {
                        let mut text = String::new();
                        read_rich(&mut xml, &mut inner, &mut piece, "si", &mut text)
                            .map_err(|e| e.at(path))?;
                        text
                    }
                    _ => continue,
                },
                Ok(Event::Empty(e)) if in_sst && e.local_name().as_ref() == "si" => String::new(),
                Ok(Event::End(e)) if e.local_name().as_ref() == "sst" => return Ok(table),
                Ok(Event::Eof) => {
                    return Err(corrupt(format!(
                        "{path}: la tabla de textos termina antes de tiempo"
                    )))
                }
                Ok(_) => continue,
                Err(e) => return Err(xml_error(path, xml.error_position(), e)),
            };
            let entry = bounded_text(entry);
            allowance.text(entry.len() as u64 + 8)?;
            table.text.push_str(&entry);
            table.ends.push(table.text.len());
        }
    }
}

/// A failure inside an element, placed in its part by the caller.
enum TextError {
    Xml(u64, String),
    Truncated,
}

impl TextError {
    fn at(self, path: &str) -> ReadError {
        match self {
            TextError::Xml(position, e) => xml_error(path, position, e),
            TextError::Truncated => corrupt(format!("{path}: termina antes de tiempo")),
        }
    }
}

/// Appends an entity reference (`&amp;`, `&#x41;`) to `out`. Only XML's own entities exist
/// here: a document that declares others gets no expansion of them.
fn push_reference(name: &str, out: &mut String) -> Result<(), String> {
    let resolved = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name
                .strip_prefix('#')
                .ok_or_else(|| format!("entidad desconocida &{name};"))?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => number.parse(),
            };
            code.ok()
                .filter(|&c| c != 0)
                .and_then(char::from_u32)
                .ok_or_else(|| format!("referencia de carácter inválida &{name};"))?
        }
    };
    out.push(resolved);
    Ok(())
}

/// Collects the text of the element just opened, up to the end tag named `end` (its local name),
/// into `out` (EOLs normalised as XML 1.0 says, entities replaced), at most
/// [`MAX_ELEMENT_BYTES`]; elements inside it are skipped, their text kept.
fn read_text<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    end: &str,
    out: &mut String,
) -> Result<(), TextError> {
    loop {
        buf.clear();
        let event = xml
            .read_event_into(buf)
            .map_err(|e| TextError::Xml(xml.error_position(), e.to_string()))?;
        if out.len() > MAX_ELEMENT_BYTES {
            match event {
                Event::End(e) if e.local_name().as_ref() == end => return Ok(()),
                Event::Eof => return Err(TextError::Truncated),
                _ => continue,
            }
        }
        match event {
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::CData(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                push_reference(&r, out).map_err(|e| TextError::Xml(xml.buffer_position(), e))?
            }
            Event::End(e) if e.local_name().as_ref() == end => return Ok(()),
            Event::Eof => return Err(TextError::Truncated),
            _ => {}
        }
    }
}

/// Reads a string item (`<si>` of the table, `<is>` of an inline string) up to its end tag
/// `closing`, appending to `out` every `<t>` that is not a phonetic reading (`<rPh>`): plain
/// or rich text (`<r><t>…</t></r>`), each run trimmed of ASCII whitespace unless
/// `xml:space="preserve"` and its `_xHHHH_` escapes decoded.
fn read_rich<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    piece: &mut String,
    closing: &str,
    out: &mut String,
) -> Result<(), TextError> {
    let mut phonetic = false;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(buf)
            .map_err(|e| TextError::Xml(xml.error_position(), e.to_string()))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "rPh" => phonetic = true,
                "t" if !phonetic => {
                    let preserve =
                        e.attributes().with_checks(false).flatten().any(|a| {
                            a.key.as_ref() == "xml:space" && a.value.as_ref() == "preserve"
                        });
                    piece.clear();
                    read_text(xml, buf, "t", piece)?;
                    let run = if preserve {
                        piece.as_str()
                    } else {
                        piece.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    if out.len() <= MAX_ELEMENT_BYTES {
                        push_unescaped(run, out);
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "rPh" => phonetic = false,
                name if name == closing => return Ok(()),
                _ => {}
            },
            Event::Eof => return Err(TextError::Truncated),
            _ => {}
        }
    }
}

/// Appends `text` with Excel's escapes decoded: `_xHHHH_` is one UTF-16 unit (a surrogate pair
/// is two escapes; a lone surrogate becomes U+FFFD), so `_x000D_` is a carriage return and
/// `_x005F_x000D_` the literal text `_x000D_`.
fn push_unescaped(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let unit_at = |i: usize| -> Option<u16> {
        let b = bytes.get(i..i + 7)?;
        if b[0] != b'_'
            || b[1] != b'x'
            || b[6] != b'_'
            || !b[2..6].iter().all(u8::is_ascii_hexdigit)
        {
            return None;
        }
        std::str::from_utf8(&b[2..6])
            .ok()
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    let mut copied = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'_', &bytes[i..]) {
        let at = i + found;
        let Some(unit) = unit_at(at) else {
            i = at + 1;
            continue;
        };
        out.push_str(&text[copied..at]);
        let mut next = at + 7;
        let decoded = match unit {
            0xD800..=0xDBFF => match unit_at(next) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    next += 7;
                    char::from_u32(
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00),
                    )
                }
                _ => None,
            },
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(u32::from(unit)),
        };
        out.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
        copied = next;
        i = next;
    }
    out.push_str(&text[copied..]);
}

// ---------------------------------------------------------------------------------------------
// Styles: which numbers are dates.

/// What a cell format makes of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Plain,
    /// A date, a time or both: the number is a serial date.
    Date,
    /// Elapsed time (`[h]:mm:ss`): stays a number.
    Duration,
}

/// The kind of a built-in number format (ECMA-376 18.8.30; 27–36 and 50–58 are the East Asian
/// date formats).
fn builtin_kind(id: &str) -> NumberKind {
    match id.parse::<u32>() {
        Ok(14..=22 | 27..=36 | 45 | 47 | 50..=58) => NumberKind::Date,
        Ok(46) => NumberKind::Duration,
        _ => NumberKind::Plain,
    }
}

/// The kind of a custom format code, as calamine decides it: only the first section counts;
/// quoted text, escaped (`\x`), fill (`*x`) and width (`_x`) characters are literals; a
/// bracket holding only `h`, `m` or `s` letters (`[h]`, `[mm]`) makes an elapsed time; outside
/// brackets a `d m h y s` (or `am/pm`) token makes a date.
fn custom_kind(code: &str) -> NumberKind {
    let mut literal_next = false;
    let mut quoted = false;
    let mut brackets = 0u8;
    let mut previous = ' ';
    let mut elapsed = false;
    let mut after_a = false;
    for c in code.chars() {
        if literal_next {
            literal_next = false;
        } else if matches!(c, '_' | '\\' | '*') {
            literal_next = true;
        } else if quoted {
            quoted = c != '"';
        } else if c == '"' {
            quoted = true;
        } else if c == ';' {
            return NumberKind::Plain;
        } else if c == '[' {
            brackets = brackets.saturating_add(1);
        } else if c == ']' && brackets == 1 && elapsed {
            return NumberKind::Duration;
        } else if c == ']' {
            brackets = brackets.saturating_sub(1);
        } else if brackets == 0 && !after_a && matches!(c, 'a' | 'A') {
            after_a = true;
        } else if brackets == 0
            && ((after_a && matches!(c, 'p' | 'm' | '/' | 'P' | 'M'))
                || (!after_a && matches!(c.to_ascii_lowercase(), 'd' | 'm' | 'h' | 'y' | 's')))
        {
            // `am/pm` after an `a`; a date or time letter otherwise.
            return NumberKind::Date;
        } else if !(elapsed && c.eq_ignore_ascii_case(&previous)) {
            elapsed = previous == '[' && matches!(c.to_ascii_lowercase(), 'm' | 'h' | 's');
        }
        previous = c;
    }
    NumberKind::Plain
}

/// The number kind of every cell format (`<cellXfs><xf numFmtId>`), custom codes
/// (`<numFmts><numFmt>`) first.
fn read_formats(part: impl BufRead, path: &str) -> Result<Vec<NumberKind>, ReadError> {
    let mut xml = xml_reader(part);
    let mut custom: HashMap<String, NumberKind> = HashMap::new();
    let mut formats = Vec::new();
    let mut in_cell_xfs = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (
                        attribute(&e, "numFmtId", path)?,
                        attribute(&e, "formatCode", path)?,
                    ) {
                        custom.insert(id, custom_kind(&code));
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs => {
                    let kind = match attribute(&e, "numFmtId", path)? {
                        Some(id) => custom
                            .get(&id)
                            .copied()
                            .unwrap_or_else(|| builtin_kind(&id)),
                        None => NumberKind::Plain,
                    };
                    formats.push(kind);
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Ok(Event::Eof) => return Ok(formats),
            Ok(_) => {}
            Err(e) => return Err(xml_error(path, xml.error_position(), e)),
        }
    }
}

/// A serial date as a date-time, as calamine converts it (and as Excel shows it): days since
/// 1899-12-30, the 1900 system's phantom 29 February 1900 skipped for serials below 61, 1,462
/// days later in the 1904 system; `None` past chrono's range.
fn serial_date(serial: f64, date1904: bool) -> Option<NaiveDateTime> {
    let days = if date1904 { serial + 1462.0 } else { serial };
    let days = if days >= 60.0 { days } else { days + 1.0 };
    let ms = (days * 86_400_000.0).round() as i64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::try_milliseconds(ms)?)
}

// ---------------------------------------------------------------------------------------------
// Worksheets.

/// A cell's `t`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CellType {
    /// No `t`: a number, or text when it does not parse as one.
    Untyped,
    Number,
    Shared,
    Bool,
    Error,
    /// `str`: a formula's text result.
    Text,
    /// `inlineStr`: the text is in `<is>`, any `<v>` is ignored.
    Inline,
    /// `d`: an ISO 8601 date.
    Date,
    Unknown,
}

/// A cell's value before it is kept: a shared string stays an index until it has been paid for.
enum Value {
    Cell(Cell),
    Shared(usize),
}

/// A cell's formula, as far as the totals-row rule needs it.
enum Formula {
    None,
    /// The text is in the reader's formula buffer.
    Own,
    /// A cell of a shared formula: its group's index.
    Derived(u64),
}

/// A shared formula's anchor, kept only when it is a totals call: its text and the first cell
/// of its range, from which the other cells' references are shifted.
struct Anchor {
    text: String,
    base: (u32, u32),
}

/// A cell reference `A1` as 0-based `(row, column)` within a sheet.
fn cell_position(text: &[u8]) -> Option<(u32, u32)> {
    let letters = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (column, row) = text.split_at(letters);
    if !(1..=3).contains(&letters) {
        return None;
    }
    let column = column.iter().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = row_number(row)?;
    (1..=SHEET_COLUMNS)
        .contains(&column)
        .then_some((row, column - 1))
}

/// A row number `12` as a 0-based row within a sheet.
fn row_number(text: &[u8]) -> Option<u32> {
    if !(1..=7).contains(&text.len()) || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let row = text.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    (1..=SHEET_ROWS).contains(&row).then(|| row - 1)
}

/// `A1:B2` (or a single `A1`) as two 0-based `(row, column)` corners.
fn parse_range(text: &[u8]) -> Option<((u64, u64), (u64, u64))> {
    let mut corners = text.split(|&b| b == b':');
    let first = cell_position(corners.next()?)?;
    let last = match corners.next() {
        Some(c) => cell_position(c)?,
        None => first,
    };
    let widen = |(r, c): (u32, u32)| (u64::from(r), u64::from(c));
    corners
        .next()
        .is_none()
        .then_some((widen(first), widen(last)))
}

/// The attributes of a start tag as `(key, value)`, read straight from the tag's text without
/// unescaping: for the elements read once per cell (`<c r s t>`, `<row r>`, `<f t si ref>`),
/// whose values are references, numbers and type names that hold no entities (calamine reads
/// them raw too). quick-xml's own iterator costs twice as much, about 4 % of an ingest.
struct RawAttributes<'a> {
    rest: &'a [u8],
}

impl<'a> RawAttributes<'a> {
    fn of(e: &'a BytesStart<'_>) -> RawAttributes<'a> {
        RawAttributes {
            rest: e.attributes_raw().as_bytes(),
        }
    }
}

impl<'a> Iterator for RawAttributes<'a> {
    /// Key and value as bytes (`str` slicing checks character boundaries on every call, and
    /// this runs for every cell); `Err` holds the text that is no attribute.
    type Item = Result<(&'a [u8], &'a [u8]), &'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        let space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let bytes = self.rest;
        let mut i = 0;
        while i < bytes.len() && (space(bytes[i]) || bytes[i] == b'/') {
            i += 1;
        }
        self.rest = &[];
        if i == bytes.len() {
            return None;
        }
        let start = i;
        let text = bytes.get(start..).unwrap_or_default();
        while i < bytes.len() && bytes[i] != b'=' {
            i += 1;
        }
        let mut key_end = i;
        while key_end > start && space(bytes[key_end - 1]) {
            key_end -= 1;
        }
        i += 1;
        while i < bytes.len() && space(bytes[i]) {
            i += 1;
        }
        let Some(&quote @ (b'"' | b'\'')) = bytes.get(i) else {
            return Some(Err(text));
        };
        let value_start = i + 1;
        let after = bytes.get(value_start..).unwrap_or_default();
        let Some(length) = after.iter().position(|&b| b == quote) else {
            return Some(Err(text));
        };
        self.rest = after.get(length + 1..).unwrap_or_default();
        Some(Ok((
            bytes.get(start..key_end).unwrap_or_default(),
            after.get(..length).unwrap_or_default(),
        )))
    }
}

/// An attribute's bytes as text for a message.
fn shown(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// An attribute's value as a number, as `str::parse` reads it.
fn parsed<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// One worksheet part, read once.
struct SheetReader<'b, R: BufRead> {
    xml: Reader<R>,
    book: &'b Workbook,
    path: &'b str,
    buf: Vec<u8>,
    inner: Vec<u8>,
    text: String,
    piece: String,
    formula: String,
    anchors: HashMap<u64, Anchor>,
}

fn read_sheet(
    archive: &mut Archive<'_>,
    book: &Workbook,
    name: &str,
    path: &str,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Option<RawSheet>, ReadError> {
    let index = part_index(archive, path)
        .ok_or_else(|| corrupt(format!("falta la parte {path} de la hoja «{name}»")))?;
    let part = open_part(archive, index, path, book.max_unpacked)?;
    let mut reader = SheetReader {
        xml: xml_reader(part),
        book,
        path,
        buf: Vec::with_capacity(1024),
        inner: Vec::with_capacity(1024),
        text: String::new(),
        piece: String::new(),
        formula: String::new(),
        anchors: HashMap::new(),
    };
    let mut builder = RowBuilder::new(limits);
    match reader.find_sheet_data()? {
        None => return Ok(None),
        Some(true) => reader.read_cells(&mut builder, budget)?,
        Some(false) => {}
    }
    let merges = reader.read_merges(limits);
    Ok(Some(builder.finish(name.to_string(), merges)))
}

impl<R: BufRead> SheetReader<'_, R> {
    fn error(&self, e: impl std::fmt::Display) -> ReadError {
        xml_error(self.path, self.xml.error_position(), e)
    }

    fn truncated(&self) -> ReadError {
        corrupt(format!(
            "{}: la hoja termina antes de tiempo (cerca del byte {})",
            self.path,
            self.xml.buffer_position()
        ))
    }

    fn bad_cell(&self, what: impl std::fmt::Display) -> ReadError {
        bad_cell(self.path, self.xml.buffer_position(), what)
    }

    /// Reads up to `<sheetData>`: `Some(true)` when its cells follow, `Some(false)` for an empty
    /// `<sheetData/>`, `None` for a part without one (a chart or dialog sheet: not read, as
    /// calamine does not read it).
    fn find_sheet_data(&mut self) -> Result<Option<bool>, ReadError> {
        let mut any_element = false;
        loop {
            self.buf.clear();
            match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "sheetData" => {
                    return Ok(Some(true))
                }
                Ok(Event::Empty(e)) if e.local_name().as_ref() == "sheetData" => {
                    return Ok(Some(false))
                }
                Ok(Event::Start(_) | Event::Empty(_)) => any_element = true,
                Ok(Event::Eof) if any_element => return Ok(None),
                Ok(Event::Eof) => return Err(self.truncated()),
                Ok(_) => {}
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    /// Reads every cell up to `</sheetData>` into `builder`, charging `budget` for each kept
    /// cell and its text before the text is copied.
    fn read_cells(
        &mut self,
        builder: &mut RowBuilder,
        budget: &mut Budget,
    ) -> Result<(), ReadError> {
        // Where a row or cell without `r` is: after the previous one.
        let (mut row, mut col) = (0u32, 0u32);
        loop {
            self.buf.clear();
            let (e, has_content) = match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(e)) => (e, true),
                Ok(Event::Empty(e)) => (e, false),
                Ok(Event::End(e)) => match e.local_name().as_ref() {
                    "row" => {
                        row = row.saturating_add(1);
                        col = 0;
                        continue;
                    }
                    "sheetData" => return Ok(()),
                    _ => continue,
                },
                Ok(Event::Eof) => return Err(self.truncated()),
                Ok(_) => continue,
                Err(e) => return Err(self.error(e)),
            };
            match e.local_name().as_ref() {
                "row" => {
                    let mut number = None;
                    for a in RawAttributes::of(&e) {
                        let (key, value) = a.map_err(|text| {
                            bad_cell(
                                self.path,
                                self.xml.buffer_position(),
                                format!("atributo ilegible «{}»", shown(text)),
                            )
                        })?;
                        if key == b"r" {
                            number = Some(value);
                        }
                    }
                    if let Some(r) = number {
                        // `r` may carry a column too (calamine ignores it).
                        let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                        let digits = r.get(letters..).unwrap_or_default();
                        row = row_number(digits).ok_or_else(|| {
                            bad_cell(
                                self.path,
                                self.xml.buffer_position(),
                                format!("número de fila inválido «{}»", shown(r)),
                            )
                        })?;
                    }
                    if !has_content {
                        row = row.saturating_add(1);
                        col = 0;
                    }
                }
                "c" => {
                    let (mut position, mut style, mut kind) = (None, None, CellType::Untyped);
                    for a in RawAttributes::of(&e) {
                        let (key, value) = a.map_err(|text| {
                            bad_cell(
                                self.path,
                                self.xml.buffer_position(),
                                format!("atributo ilegible «{}»", shown(text)),
                            )
                        })?;
                        match key {
                            b"r" => {
                                position = Some(cell_position(value).ok_or_else(|| {
                                    bad_cell(
                                        self.path,
                                        self.xml.buffer_position(),
                                        format!("referencia de celda inválida «{}»", shown(value)),
                                    )
                                })?)
                            }
                            // An `s` that is no number is the default format (as calamine).
                            b"s" => style = Some(parsed::<usize>(value).unwrap_or(0)),
                            b"t" => {
                                kind = match value {
                                    b"n" => CellType::Number,
                                    b"s" => CellType::Shared,
                                    b"b" => CellType::Bool,
                                    b"e" => CellType::Error,
                                    b"str" => CellType::Text,
                                    b"inlineStr" | b"is" => CellType::Inline,
                                    b"d" => CellType::Date,
                                    _ => CellType::Unknown,
                                }
                            }
                            _ => {}
                        }
                    }
                    let (r, c) = position.unwrap_or((row, col));
                    col = c.saturating_add(1);
                    if has_content {
                        let (value, formula) = self.read_cell(style, kind)?;
                        self.keep(builder, budget, (r, c), value, formula)?;
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads a cell's contents up to `</c>`: its value and its formula.
    fn read_cell(
        &mut self,
        style: Option<usize>,
        kind: CellType,
    ) -> Result<(Value, Formula), ReadError> {
        let mut value = Value::Cell(Cell::Empty);
        let mut formula = Formula::None;
        loop {
            self.buf.clear();
            let (e, has_content) = match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(e)) => (e, true),
                Ok(Event::Empty(e)) => (e, false),
                Ok(Event::End(e)) if e.local_name().as_ref() == "c" => return Ok((value, formula)),
                Ok(Event::Eof) => return Err(self.truncated()),
                Ok(_) => continue,
                Err(e) => return Err(self.error(e)),
            };
            match e.local_name().as_ref() {
                "v" => {
                    let skip = kind == CellType::Inline;
                    self.text.clear();
                    if has_content {
                        let path = self.path;
                        read_text(&mut self.xml, &mut self.inner, "v", &mut self.text)
                            .map_err(|e| e.at(path))?;
                    }
                    // An inline string's `<v>` repeats it; it is not the value.
                    value = if skip {
                        Value::Cell(Cell::Empty)
                    } else {
                        self.decode(style, kind)?
                    };
                }
                "is" => {
                    self.text.clear();
                    if has_content {
                        let path = self.path;
                        read_rich(
                            &mut self.xml,
                            &mut self.inner,
                            &mut self.piece,
                            "is",
                            &mut self.text,
                        )
                        .map_err(|e| e.at(path))?;
                    }
                    value = Value::Cell(Cell::Text(bounded_text(std::mem::take(&mut self.text))));
                }
                "f" => {
                    let (mut shared, mut index, mut range) = (false, None, None);
                    for (key, value) in RawAttributes::of(&e).flatten() {
                        match key {
                            b"t" => shared = value == b"shared",
                            b"si" => index = parsed::<u64>(value),
                            b"ref" => range = parse_range(value),
                            _ => {}
                        }
                    }
                    self.formula.clear();
                    if has_content {
                        let path = self.path;
                        read_text(&mut self.xml, &mut self.inner, "f", &mut self.formula)
                            .map_err(|e| e.at(path))?;
                    }
                    formula = match (shared, index, range) {
                        (false, ..) => Formula::Own,
                        // The anchor of a shared formula: its text, and the group's template
                        // when it is a totals call (no other can make a totals row).
                        (true, Some(index), Some((first, _))) => {
                            if is_sum_call(&self.formula) {
                                let base = (first.0 as u32, first.1 as u32);
                                self.anchors.insert(
                                    index,
                                    Anchor {
                                        text: self.formula.clone(),
                                        base,
                                    },
                                );
                            } else {
                                self.anchors.remove(&index);
                            }
                            Formula::Own
                        }
                        (true, Some(index), None) => Formula::Derived(index),
                        // A shared formula without its group: nothing to go on (calamine fails
                        // the file; the cached value is still the cell's).
                        (true, None, _) => Formula::None,
                    };
                }
                _ => {
                    if has_content {
                        let name = e.name().as_ref().to_string();
                        self.inner.clear();
                        self.xml
                            .read_to_end_into(quick_xml::name::QName(&name), &mut self.inner)
                            .map_err(|e| xml_error(self.path, self.xml.error_position(), e))?;
                    }
                }
            }
        }
    }

    /// The value of a `<v>` (in `self.text`) for a cell of type `kind` and format `style`.
    fn decode(&self, style: Option<usize>, kind: CellType) -> Result<Value, ReadError> {
        let v = self.text.as_str();
        let cell = match kind {
            CellType::Shared => {
                if v.is_empty() {
                    return Ok(Value::Cell(Cell::Empty));
                }
                let index = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| self.book.strings.get(i).is_some());
                return index.map(Value::Shared).ok_or_else(|| {
                    self.bad_cell(format!(
                        "la celda se refiere al texto compartido «{v}», que no existe"
                    ))
                });
            }
            CellType::Bool => match v.trim() {
                "" => Cell::Empty,
                "0" => Cell::Bool(false),
                "1" => Cell::Bool(true),
                t if t.eq_ignore_ascii_case("false") => Cell::Bool(false),
                t if t.eq_ignore_ascii_case("true") => Cell::Bool(true),
                _ => return Err(self.bad_cell(format!("valor lógico inválido «{v}»"))),
            },
            CellType::Error => Cell::Error(bounded_text(v.to_string())),
            CellType::Text => {
                let mut text = String::with_capacity(v.len());
                push_unescaped(v, &mut text);
                Cell::Text(bounded_text(text))
            }
            CellType::Date => {
                parse_iso(v).map_or_else(|| Cell::Text(bounded_text(v.to_string())), Cell::Date)
            }
            CellType::Number | CellType::Untyped => {
                if v.is_empty() {
                    return Ok(Value::Cell(Cell::Empty));
                }
                match v.parse::<f64>() {
                    Ok(n) => {
                        let format = match style {
                            Some(s) => self.book.formats.get(s).copied(),
                            None => Some(NumberKind::Plain),
                        };
                        match format {
                            Some(NumberKind::Date) => serial_date(n, self.book.date1904)
                                .map_or(Cell::Number(n), Cell::Date),
                            _ => Cell::Number(n),
                        }
                    }
                    Err(_) if kind == CellType::Untyped => Cell::Text(bounded_text(v.to_string())),
                    Err(_) => return Err(self.bad_cell(format!("número inválido «{v}»"))),
                }
            }
            CellType::Inline => Cell::Empty,
            CellType::Unknown => return Err(self.bad_cell("tipo de celda desconocido")),
        };
        Ok(Value::Cell(cell))
    }

    /// Hands a cell to `builder` when it keeps it, after charging `budget` for it: the cells its
    /// row grows by, and its text — a shared string's each time one refers to it.
    fn keep(
        &mut self,
        builder: &mut RowBuilder,
        budget: &mut Budget,
        (row, col): (u32, u32),
        value: Value,
        formula: Formula,
    ) -> Result<(), ReadError> {
        if matches!(value, Value::Cell(Cell::Empty)) {
            return Ok(());
        }
        let Some(cells) = builder.room(row, col) else {
            return Ok(());
        };
        let text_bytes = match &value {
            Value::Shared(i) => self.book.strings.get(*i).map_or(0, str::len),
            Value::Cell(Cell::Text(s) | Cell::Error(s)) => s.len(),
            Value::Cell(_) => 0,
        };
        budget.cells(cells)?;
        budget.text(text_bytes as u64)?;
        let cell = match value {
            Value::Shared(i) => {
                Cell::Text(self.book.strings.get(i).unwrap_or_default().to_string())
            }
            Value::Cell(cell) => cell,
        };
        // Only a number's formula matters (the totals-row rule).
        let shifted;
        let formula = match (&cell, formula) {
            (Cell::Number(_), Formula::Own) => Some(self.formula.as_str()),
            (Cell::Number(_), Formula::Derived(index)) => match self.anchors.get(&index) {
                Some(anchor) => {
                    let offset = (
                        i64::from(row) - i64::from(anchor.base.0),
                        i64::from(col) - i64::from(anchor.base.1),
                    );
                    shifted = shift_references(&anchor.text, offset);
                    Some(shifted.as_str())
                }
                None => None,
            },
            _ => None,
        };
        builder.push(row, col, cell, formula);
        Ok(())
    }

    /// Reads the rest of the part for `<mergeCell ref>`s, up to `</mergeCells>`. Anything wrong
    /// with them (a damaged tail, a `ref` that is no range) leaves the sheet without merges: a
    /// merge never decides whether a file is read.
    fn read_merges(&mut self, limits: &Limits) -> Vec<Merge> {
        let mut merges = MergeList::new(limits);
        loop {
            self.buf.clear();
            match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "mergeCell" => {
                    match e.try_get_attribute("ref") {
                        Ok(Some(reference)) => match parse_range(reference.value.as_bytes()) {
                            Some((first, last)) => merges.add(first, last),
                            None => return Vec::new(),
                        },
                        Ok(None) => {}
                        Err(_) => return Vec::new(),
                    }
                    if merges.is_full() {
                        break;
                    }
                }
                Ok(Event::End(e)) if e.local_name().as_ref() == "mergeCells" => break,
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(_) => return Vec::new(),
            }
        }
        merges.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Shared formulas.

/// One reference of a formula: a cell `$A$1`, a whole column `$A` or a whole row `$1`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reference {
    Cell {
        row: u32,
        col: u32,
        fixed_row: bool,
        fixed_col: bool,
    },
    Column {
        col: u32,
        fixed: bool,
    },
    Row {
        row: u32,
        fixed: bool,
    },
}

impl Reference {
    fn parse(text: &[u8]) -> Option<Reference> {
        let (mut col, mut row) = (0u32, 0u32);
        let (mut fixed_col, mut fixed_row) = (false, false);
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            match c {
                b'$' => match text.get(i + 1) {
                    Some(n) if n.is_ascii_alphabetic() && row == 0 && col == 0 => fixed_col = true,
                    Some(n) if n.is_ascii_digit() && row == 0 => fixed_row = true,
                    _ => return None,
                },
                c if c.is_ascii_alphabetic() && row == 0 => {
                    col = col
                        .checked_mul(26)?
                        .checked_add(u32::from(c.to_ascii_uppercase() - b'A') + 1)?;
                }
                c if c.is_ascii_digit() => {
                    row = row.checked_mul(10)?.checked_add(u32::from(c - b'0'))?
                }
                _ => return None,
            }
            i += 1;
        }
        let reference = match (col.checked_sub(1), row.checked_sub(1)) {
            (Some(col), Some(row)) => Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            },
            (Some(col), None) => Reference::Column {
                col,
                fixed: fixed_col,
            },
            (None, Some(row)) => Reference::Row {
                row,
                fixed: fixed_row,
            },
            (None, None) => return None,
        };
        reference.valid().then_some(reference)
    }

    fn valid(self) -> bool {
        match self {
            Reference::Cell { row, col, .. } => row < SHEET_ROWS && col < SHEET_COLUMNS,
            Reference::Column { col, .. } => col < SHEET_COLUMNS,
            Reference::Row { row, .. } => row < SHEET_ROWS,
        }
    }

    fn shifted(self, (rows, cols): (i64, i64)) -> Option<Reference> {
        let move_by = |at: u32, by: i64, fixed: bool| {
            if fixed {
                Some(at)
            } else {
                u32::try_from(i64::from(at) + by).ok()
            }
        };
        let moved = match self {
            Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            } => Reference::Cell {
                row: move_by(row, rows, fixed_row)?,
                col: move_by(col, cols, fixed_col)?,
                fixed_row,
                fixed_col,
            },
            Reference::Column { col, fixed } => Reference::Column {
                col: move_by(col, cols, fixed)?,
                fixed,
            },
            Reference::Row { row, fixed } => Reference::Row {
                row: move_by(row, rows, fixed)?,
                fixed,
            },
        };
        moved.valid().then_some(moved)
    }

    fn write(self, out: &mut String) {
        let column = |col: u32, out: &mut String| {
            out.push_str(&crate::standard::sheet::column_letters(col as usize))
        };
        match self {
            Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            } => {
                if fixed_col {
                    out.push('$');
                }
                column(col, out);
                if fixed_row {
                    out.push('$');
                }
                out.push_str(&(row + 1).to_string());
            }
            Reference::Column { col, fixed } => {
                if fixed {
                    out.push('$');
                }
                column(col, out);
            }
            Reference::Row { row, fixed } => {
                if fixed {
                    out.push('$');
                }
                out.push_str(&(row + 1).to_string());
            }
        }
    }
}

/// A token of a formula (`F5`, `$B$2:C9`) moved by `offset`; `None` when it is no reference, or
/// would move off the sheet (then it is kept as written, as Excel's own expansion does).
fn shift_token(token: &[u8], offset: (i64, i64), out: &mut String) -> Option<()> {
    let mut moved = String::new();
    match token.iter().position(|&b| b == b':') {
        None => match Reference::parse(token)? {
            cell @ Reference::Cell { .. } => cell.shifted(offset)?.write(&mut moved),
            _ => return None,
        },
        Some(colon) => {
            let (first, last) = (
                Reference::parse(&token[..colon])?,
                Reference::parse(&token[colon + 1..])?,
            );
            if std::mem::discriminant(&first) != std::mem::discriminant(&last) {
                return None;
            }
            let (first, last) = (first.shifted(offset)?, last.shifted(offset)?);
            first.write(&mut moved);
            moved.push(':');
            last.write(&mut moved);
        }
    }
    out.push_str(&moved);
    Some(())
}

/// The formula of a cell of a shared-formula group: the anchor's text with every relative
/// reference moved by the cell's offset `(rows, columns)` from the anchor (`SUM(B5:G5)` shared
/// down from row 5 is `SUM(B6:G6)` in row 6; `$` parts stay). Function names (a token before
/// `(`) and quoted text are left alone.
fn shift_references(formula: &str, offset: (i64, i64)) -> String {
    let mut out = String::with_capacity(formula.len() + 8);
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '\\' | '.' | '_' | '$' | ':');
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in formula.char_indices() {
        if !quoted && is_token(c) {
            continue;
        }
        if start < i {
            let token = &formula[start..i];
            if c == '(' || shift_token(token.as_bytes(), offset, &mut out).is_none() {
                out.push_str(token);
            }
        }
        out.push(c);
        start = i + c.len_utf8();
        if c == '"' {
            quoted = !quoted;
        }
    }
    if start < formula.len() {
        let token = &formula[start..];
        if shift_token(token.as_bytes(), offset, &mut out).is_none() {
            out.push_str(token);
        }
    }
    out
}

#[cfg(test)]
mod tests;
