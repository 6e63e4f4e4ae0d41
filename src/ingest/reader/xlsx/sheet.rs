//! Worksheets: one streaming pass over a worksheet part, its cells (typed, charged to the file's
//! [`Budget`] before their text is kept) and then its `<mergeCells>`.
//!
//! It takes what the workbook part says ([`Workbook`]: shared strings, number kinds, the
//! date system) as given; it must not open other parts than its own worksheet, nor know how the
//! package or the styles are read.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::super::merges::MergeList;
use super::super::rows::{is_sum_call, parse_iso, RowBuilder};
use super::super::{bounded_text, Budget, Limits, ReadError};
use super::formula::shift_references;
use super::package::{bad_cell, open_part, part_index, xml_error, xml_reader, Workbook};
use super::styles::{serial_date, NumberKind};
use super::text::{push_unescaped, read_rich, read_text};
use super::{corrupt, Archive, SHEET_COLUMNS, SHEET_ROWS};
use crate::standard::{Cell, Merge, RawSheet};

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
pub(super) struct RawAttributes<'a> {
    rest: &'a [u8],
}

impl<'a> RawAttributes<'a> {
    pub(super) fn of(e: &'a BytesStart<'_>) -> RawAttributes<'a> {
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
pub(super) fn shown(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
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

pub(super) fn read_sheet(
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
