//! Styles: which numbers are dates. The number kind of every cell format of `styles.xml`,
//! decided as calamine decides it, and a serial date as a date-time.
//!
//! It reads only the styles part it is handed: it must not depend on the sheet reader or on
//! how the package is opened.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use quick_xml::events::Event;

use super::super::ReadError;
use super::package::{attribute, xml_error, xml_reader};

/// What a cell format makes of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberKind {
    Plain,
    /// A date, a time or both: the number is a serial date.
    Date,
    /// Elapsed time (`[h]:mm:ss`): stays a number.
    Duration,
}

/// The kind of a built-in number format (ECMA-376 18.8.30; 27–36 and 50–58 are the East Asian
/// date formats).
pub(super) fn builtin_kind(id: &str) -> NumberKind {
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
pub(super) fn custom_kind(code: &str) -> NumberKind {
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
pub(super) fn read_formats(part: impl BufRead, path: &str) -> Result<Vec<NumberKind>, ReadError> {
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
pub(super) fn serial_date(serial: f64, date1904: bool) -> Option<NaiveDateTime> {
    let days = if date1904 { serial + 1462.0 } else { serial };
    let days = if days >= 60.0 { days } else { days + 1.0 };
    let ms = (days * 86_400_000.0).round() as i64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::try_milliseconds(ms)?)
}
