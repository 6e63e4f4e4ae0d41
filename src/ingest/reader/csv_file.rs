//! CSV: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252; `,`, `;`, tab or `|`,
//! detected from the first lines. Every cell is text; the standard parses it.
//!
//! Memory is bounded by the file's [`Budget`]: every cell of a kept row (blank rows are not
//! kept) and its text are charged as the row is made. The csv crate holds one record's fields
//! at a time, all of them, however many columns are read: a single line of fifty million
//! delimiters would be fifty million fields at once. So the widest record is charged to the
//! same budget, as the one record held while the others are read: measured first (csv-core,
//! the csv crate's own parser, counting fields without keeping them) when the file has more
//! delimiters than cells left to spend, otherwise as the rows go by and charged at the end —
//! no record can then be wider than the budget, and the common file is parsed once, not twice.

use super::{Budget, Limits, ReadError};
use crate::standard::{Cell, RawRow, RawSheet};

/// Decodes the bytes: BOMs first, then UTF-8 if valid, else Windows-1252 (what Excel on a
/// Spanish Windows writes as "CSV").
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE.decode(bytes).0.into_owned();
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return encoding_rs::UTF_16BE.decode(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Counts a delimiter per line outside double quotes.
fn counts(lines: &[&str], delimiter: char) -> Vec<usize> {
    lines
        .iter()
        .map(|line| {
            let mut quoted = false;
            line.chars()
                .filter(|&c| {
                    if c == '"' {
                        quoted = !quoted;
                    }
                    c == delimiter && !quoted
                })
                .count()
        })
        .collect()
}

/// Picks the delimiter that splits the first lines most consistently into the most columns.
pub fn detect_delimiter(text: &str) -> u8 {
    // Lines end at `\r`, `\n` or `\r\n` (a file saved on an old Mac has only `\r`).
    let lines: Vec<&str> = text
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .take(30)
        .collect();
    let mut best = (0usize, 0usize, b',');
    for delimiter in [',', ';', '\t', '|'] {
        let c = counts(&lines, delimiter);
        let Some(&most) = c.iter().max() else {
            continue;
        };
        if most == 0 {
            continue;
        }
        let mut freq = std::collections::HashMap::new();
        for n in c.iter().filter(|&&n| n > 0) {
            *freq.entry(*n).or_insert(0usize) += 1;
        }
        let (mode, agree) = freq
            .into_iter()
            .max_by_key(|(n, f)| (*f, *n))
            .unwrap_or((0, 0));
        let score = (agree, mode, delimiter as u8);
        if (score.0, score.1) > (best.0, best.1) {
            best = score;
        }
    }
    best.2
}

/// The line breaks in a run of `\r` and `\n` bytes, as LibreOffice counts them when it opens
/// a CSV: a lone `\r` or `\n` is one, and so is a pair of different ones (`\r\n`, and `\n\r`
/// too); `\r\r` and `\n\n` are two. The csv crate ends a record on any of them.
fn line_breaks(run: &[u8]) -> u64 {
    let mut bytes = run.iter().peekable();
    let mut breaks = 0;
    while let Some(&b) = bytes.next() {
        bytes.next_if(|&&next| next != b && is_break(&next));
        breaks += 1;
    }
    breaks
}

/// `\r` or `\n`.
fn is_break(b: &u8) -> bool {
    *b == b'\n' || *b == b'\r'
}

/// Numbers records by the spreadsheet row a person sees when opening the file (LibreOffice,
/// Excel): blank lines are empty rows, `\r`, `\n` and `\r\n` each end a line, mixed or not
/// (see [`line_breaks`]), and a quoted cell holding line breaks stays in one row, so the record
/// after it is the next row.
///
/// The csv crate skips blank lines and reports where it started reading a record, which may
/// sit before those blank lines. A record's text never starts or ends with a line break (an
/// unquoted break ends it; a quoted cell ends with its quote), so the breaks between two
/// records are the run of `\r`/`\n` just before the later one's first byte: the earlier's
/// terminator, then one per blank line. Breaks inside quoted cells are never counted.
struct RowNumbers<'a> {
    bytes: &'a [u8],
    /// Where the previous record's text starts, and its row.
    previous: Option<(usize, u64)>,
}

impl<'a> RowNumbers<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        RowNumbers {
            bytes,
            previous: None,
        }
    }

    /// The row of the record the csv crate started reading at byte `reported`.
    fn row_at(&mut self, reported: Option<u64>) -> u64 {
        let Some(reported) = reported.and_then(|p| usize::try_from(p).ok()) else {
            // No position (never for records read from bytes): the next row.
            let row = self.previous.map_or(1, |(_, row)| row + 1);
            self.previous = self.previous.map(|(start, _)| (start, row));
            return row;
        };
        let floor = self.previous.map_or(0, |(start, _)| start);
        let reported = reported.clamp(floor, self.bytes.len());
        let tail = self.bytes.get(reported..).unwrap_or_default();
        let start = reported + tail.iter().take_while(|b| is_break(b)).count();
        let before = self.bytes.get(floor..start).unwrap_or_default();
        let run = before.len() - before.iter().rev().take_while(|b| is_break(b)).count();
        let breaks = line_breaks(before.get(run..).unwrap_or_default());
        let row = match self.previous {
            None => 1 + breaks,
            // At least the next row, whatever the bytes say.
            Some((_, row)) => row + breaks.max(1),
        };
        self.previous = Some((start, row));
        row
    }
}

/// The most fields any record of `text` has, as the csv crate splits it (same parser, same
/// dialect), counted without keeping them.
fn widest_record(text: &[u8], delimiter: u8) -> u64 {
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = [0u8; 4096];
    let mut input = text;
    let (mut fields, mut widest) = (0u64, 0u64);
    loop {
        let (result, read, _) = reader.read_field(input, &mut out);
        input = input.get(read..).unwrap_or_default();
        match result {
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
            csv_core::ReadFieldResult::Field { record_end } => {
                fields += 1;
                if record_end {
                    widest = widest.max(fields);
                    fields = 0;
                }
            }
            csv_core::ReadFieldResult::End => return widest.max(fields),
        }
    }
}

/// Reads a CSV file as one sheet with an empty name. Rows carry the number a spreadsheet
/// program shows (see [`RowNumbers`]).
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut budget = Budget::new(limits);
    let text = decode(bytes);
    let delimiter = detect_delimiter(&text);
    // A record has at most one field more than the file has delimiters.
    let delimiters = text.bytes().filter(|&b| b == delimiter).count() as u64;
    let measured_first = delimiters >= budget.cells_left();
    if measured_first {
        budget.cells(widest_record(text.as_bytes(), delimiter))?;
    }
    let mut widest = 0u64;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut truncated = false;
    let mut numbers = RowNumbers::new(text.as_bytes());
    for (index, record) in reader.records().enumerate() {
        if index >= limits.max_rows {
            break;
        }
        let record = record.map_err(|e| ReadError::Corrupt(format!("línea {}: {e}", index + 1)))?;
        widest = widest.max(record.len() as u64);
        let row_number = numbers.row_at(record.position().map(csv::Position::byte));
        if record.len() > limits.max_columns {
            truncated = true;
        }
        let cells: Vec<Cell> = record
            .iter()
            .take(limits.max_columns)
            .map(|v| {
                if v.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(super::bounded_text(v.to_string()))
                }
            })
            .collect();
        let row = RawRow {
            number: u32::try_from(row_number).unwrap_or(u32::MAX),
            cells,
            sum_formulas: false,
        };
        if !row.is_blank() {
            budget.cells(row.cells.len() as u64)?;
            budget.text(
                row.cells
                    .iter()
                    .map(|c| {
                        if let Cell::Text(t) = c {
                            t.len() as u64
                        } else {
                            0
                        }
                    })
                    .sum(),
            )?;
            rows.push(row);
        }
    }
    if !measured_first {
        budget.cells(widest)?;
    }
    Ok(vec![RawSheet {
        name: String::new(),
        rows,
        truncated_columns: truncated,
        merges: Vec::new(),
    }])
}

#[cfg(test)]
mod tests {
    use super::super::Spent;
    use super::*;

    #[test]
    fn windows_1252_with_semicolons() {
        let bytes = b"Programa;Barrio\r\nVoluntariado;SAN CRIST\xd3BAL\r\n";
        let sheets = read_csv(bytes, &Limits::default()).expect("reads");
        assert_eq!(
            sheets[0].rows[1].cells[1],
            Cell::Text("SAN CRISTÓBAL".into())
        );
        assert_eq!(sheets[0].rows[1].number, 2);
    }

    fn numbers(bytes: &[u8]) -> Vec<u32> {
        let sheets = read_csv(bytes, &Limits::default()).expect("reads");
        sheets[0].rows.iter().map(|r| r.number).collect()
    }

    #[test]
    fn row_numbers_count_blank_lines_and_multiline_cells_as_a_spreadsheet_does() {
        let text = "Reuniones 2019\n\nPrograma;Tema\nBA Elige;\"dos\nlíneas\"\n\nBA Elige;x\n";
        assert_eq!(numbers(text.as_bytes()), [1, 3, 4, 6]);
    }

    /// LibreOffice's row numbers for every line ending, alone and mixed in one file.
    #[test]
    fn row_numbers_follow_cr_lf_and_crlf_line_endings() {
        // Old Mac files: CR only (every row was "row 1").
        assert_eq!(numbers(b"a;b\rc;d\re;f\r"), [1, 2, 3]);
        assert_eq!(numbers(b"a;b\r\rc;d\r\r\re;f"), [1, 3, 6]);
        assert_eq!(numbers(b"a;b\r\nc;d\r\n\r\ne;f\r\n"), [1, 2, 4]);
        // Mixed in one file, blank lines of each kind.
        assert_eq!(
            numbers(b"a;b\r\nc;d\re;f\ng;h\r\n\ri;j\n\nk;l\r\rm;n"),
            [1, 2, 3, 4, 6, 8, 10]
        );
        // A pair of different breaks is one line in LibreOffice, whichever comes first.
        assert_eq!(numbers(b"a;b\n\rc;d\n\r\ne;f"), [1, 2, 4]);
        // Leading blank lines.
        assert_eq!(numbers(b"\r\n\r\na;b"), [3]);
        assert_eq!(numbers(b"\r\ra;b\rc;d"), [3, 4]);
    }

    /// A quoted cell holding line breaks is one row: the next record is the next row, with
    /// CR, LF or CRLF inside the cell and around it.
    #[test]
    fn row_numbers_after_multiline_cells_with_any_line_ending() {
        assert_eq!(numbers(b"a;\"x\ry\"\rc;d\r"), [1, 2]);
        assert_eq!(numbers(b"a;\"x\r\ny\r\nz\"\r\nc;d\r\n"), [1, 2]);
        assert_eq!(numbers(b"a;\"x\n\ny\"\n\nc;d"), [1, 3]);
        assert_eq!(numbers(b"\"x\r\"\r\"y\n\";z\r\nc;d\r\re;f"), [1, 2, 3, 5]);
        // A quoted cell ending in a break, then a blank line.
        assert_eq!(numbers(b"a;\"x\r\n\"\r\n\r\nc;d"), [1, 3]);
        // A quote inside an unquoted cell is a character, not an opening quote.
        assert_eq!(numbers(b"5\" pantalla;x\rb;c\rd;e"), [1, 2, 3]);
        // Doubled quotes inside a quoted cell.
        assert_eq!(numbers(b"a;\"dijo \"\"si\"\"\rno\"\rc;d"), [1, 2]);
    }

    #[test]
    fn delimiter_of_a_cr_only_file_is_detected_per_line() {
        // The semicolon splits every line alike; the commas are more, but not on every line.
        assert_eq!(
            detect_delimiter("Lugar;Monto\rPlaza 1, 2, 3 y 4;1,5\rx;2,5\r"),
            b';'
        );
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("\"x, y\";b\n\"1,2\";3\n"), b';');
    }

    fn budget(cells: u64, text: u64) -> Limits {
        Limits {
            max_cells_per_file: cells,
            max_text_bytes_per_file: text,
            ..Limits::default()
        }
    }

    #[test]
    fn kept_cells_and_their_text_are_charged() {
        // The widest record (3), then two kept rows of 3 cells; the blank row costs nothing.
        let text = b"a,bb,\n,,\nccc,d,e\n";
        assert!(read_csv(text, &budget(9, 8)).is_ok());
        assert_eq!(
            read_csv(text, &budget(8, 8)),
            Err(ReadError::OverBudget {
                spent: Spent::Cells,
                max: 8
            })
        );
        assert_eq!(
            read_csv(text, &budget(9, 7)),
            Err(ReadError::OverBudget {
                spent: Spent::Text,
                max: 7
            })
        );
    }

    #[test]
    fn one_line_of_delimiters_is_refused_before_it_is_split() {
        let line = vec![b','; 3_000_000];
        assert_eq!(
            read_csv(&line, &Limits::default()),
            Err(ReadError::OverBudget {
                spent: Spent::Cells,
                max: 2_000_000
            })
        );
        // Quoted delimiters are text, not fields; blank lines are no record.
        assert_eq!(widest_record(b"\"a,b,c\",d\n\n\ne,f,g,h", b','), 4);
        assert_eq!(widest_record(b"", b','), 0);
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let sheets = read_csv(
            "\u{feff}Fecha,Comuna\n15/03/2019,4\n".as_bytes(),
            &Limits::default(),
        )
        .expect("reads");
        assert_eq!(sheets[0].rows[0].cells[0], Cell::Text("Fecha".into()));
    }
}
