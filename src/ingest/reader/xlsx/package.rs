//! The package: parts looked up and opened within the unpacked-size limit, relationships, and
//! the workbook part (which sheets, where the shared strings and styles are, the date system).
//!
//! It reads the workbook's own parts only: it must not depend on the sheet reader, and leaves
//! what strings and styles mean to [`super::text`] and [`super::styles`].

use std::collections::HashMap;
use std::io::{BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::super::{Limits, ReadError};
use super::styles::{read_formats, NumberKind};
use super::text::SharedStrings;
use super::{corrupt, zip_error, Archive, Part, PartReader, PART_BUFFER};

/// A part's index: its exact name, else the name that differs only in case or in `\` for `/`
/// (calamine looks parts up that way, and writers differ in both).
pub(super) fn part_index(archive: &Archive<'_>, path: &str) -> Option<usize> {
    archive.index_for_name(path).or_else(|| {
        let wanted = path.to_ascii_lowercase();
        archive
            .file_names()
            .position(|n| n.is_ok_and(|n| n.replace('\\', "/").to_ascii_lowercase() == wanted))
    })
}

/// A part as a buffered reader, held to `max_unpacked` bytes whatever its header claims (the
/// container's declared sizes were checked by `read_bytes`; `take` holds one that lies).
pub(super) fn open_part<'a, 'b>(
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
pub(super) fn xml_reader<R: BufRead>(source: R) -> Reader<R> {
    let mut xml = Reader::from_reader(source);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    xml
}

/// A cell that cannot be what it says, at `position` of part `path`.
pub(super) fn bad_cell(path: &str, position: u64, what: impl std::fmt::Display) -> ReadError {
    corrupt(format!("{path}, cerca del byte {position}: {what}"))
}

pub(super) fn xml_error(path: &str, position: u64, e: impl std::fmt::Display) -> ReadError {
    corrupt(format!("{path}, cerca del byte {position}: {e}"))
}

/// An attribute's value with XML entities replaced; `None` when absent.
pub(super) fn attribute(
    e: &BytesStart<'_>,
    key: &str,
    path: &str,
) -> Result<Option<String>, ReadError> {
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
pub(super) struct Workbook {
    /// Worksheets in workbook order: name as on its tab, part path.
    pub(super) sheets: Vec<(String, String)>,
    pub(super) strings: SharedStrings,
    /// The number kind of each cell format (`cellXfs`), by a cell's `s`.
    pub(super) formats: Vec<NumberKind>,
    pub(super) date1904: bool,
    pub(super) max_unpacked: u64,
}

impl Workbook {
    pub(super) fn open(archive: &mut Archive<'_>, limits: &Limits) -> Result<Workbook, ReadError> {
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
