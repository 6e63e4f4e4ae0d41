//! Text: the shared-string table, and the text of an element (shared and inline strings, `<v>`
//! and `<f>` contents) with entities replaced, runs joined, phonetic runs left out and
//! `_xHHHH_` decoded.
//!
//! The table is charged to its own allowance of the file's text limit. It must not depend on
//! the sheet reader; the workbook part only hands it the part to read.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::super::{bounded_text, Budget, Limits, ReadError};
use super::package::{xml_error, xml_reader};
use super::{corrupt, MAX_ELEMENT_BYTES};

/// The shared-string table as one string and the end of each entry in it: a table of a million
/// empty strings costs 8 MB, not a million allocations. Each entry is already cut at
/// [`MAX_CELL_CHARS`], as every cell that refers to it would be.
#[derive(Default)]
pub(super) struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    pub(super) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.text.get(start..end)
    }

    /// Reads `<sst>`. The table is held in memory while the sheets are read, so it has its own
    /// allowance of the file's text limit (bytes kept plus 8 per entry): a table past it is
    /// [`ReadError::OverBudget`]. Cells that refer to it are charged again, each time, since
    /// each becomes its own copy.
    pub(super) fn read(
        part: impl BufRead,
        path: &str,
        limits: &Limits,
    ) -> Result<SharedStrings, ReadError> {
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
pub(super) enum TextError {
    Xml(u64, String),
    Truncated,
}

impl TextError {
    pub(super) fn at(self, path: &str) -> ReadError {
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
pub(super) fn read_text<R: BufRead>(
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
pub(super) fn read_rich<R: BufRead>(
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
pub(super) fn push_unescaped(text: &str, out: &mut String) {
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
