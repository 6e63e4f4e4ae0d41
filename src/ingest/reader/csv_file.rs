//! CSV: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252; `,`, `;`, tab or `|`,
//! detected from the first lines. Every cell is text; the standard parses it.

use super::{Limits, ReadError};
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
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(30).collect();
    let mut best = (0usize, 0usize, b',');
    for delimiter in [',', ';', '\t', '|'] {
        let c = counts(&lines, delimiter);
        let Some(&most) = c.iter().max() else { continue };
        if most == 0 {
            continue;
        }
        let mut freq = std::collections::HashMap::new();
        for n in c.iter().filter(|&&n| n > 0) {
            *freq.entry(*n).or_insert(0usize) += 1;
        }
        let (mode, agree) = freq.into_iter().max_by_key(|(n, f)| (*f, *n)).unwrap_or((0, 0));
        let score = (agree, mode, delimiter as u8);
        if (score.0, score.1) > (best.0, best.1) {
            best = score;
        }
    }
    best.2
}

/// Reads a CSV file as one sheet with an empty name.
pub fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let text = decode(bytes);
    let delimiter = detect_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut truncated = false;
    // The csv crate skips blank lines, which a spreadsheet shows as empty rows: number records
    // by the line they start on, less the extra lines of earlier multi-line cells, so row numbers
    // are the ones a clerk sees when opening the file.
    let bytes = text.as_bytes();
    let (mut scanned, mut line) = (0usize, 1u64);
    let mut extra_lines = 0u64;
    for (index, record) in reader.records().enumerate() {
        if index >= limits.max_rows {
            break;
        }
        let record = record.map_err(|e| ReadError::Corrupt(format!("línea {}: {e}", index + 1)))?;
        // The reported position may sit before skipped blank lines: move past them.
        let mut start = record.position().map_or(scanned, |p| p.byte() as usize).min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        if start >= scanned {
            line += bytes[scanned..start].iter().filter(|&&b| b == b'\n').count() as u64;
            scanned = start;
        }
        let row_number = line - extra_lines;
        extra_lines += record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
        if record.len() > limits.max_columns {
            truncated = true;
        }
        let cells: Vec<Cell> = record
            .iter()
            .take(limits.max_columns)
            .map(|v| if v.is_empty() { Cell::Empty } else { Cell::Text(super::bounded_text(v.to_string())) })
            .collect();
        let row = RawRow { number: u32::try_from(row_number).unwrap_or(u32::MAX), cells, sum_formulas: false };
        if !row.is_blank() {
            rows.push(row);
        }
    }
    Ok(vec![RawSheet { name: String::new(), rows, truncated_columns: truncated, merges: Vec::new() }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_with_semicolons() {
        let bytes = b"Programa;Barrio\r\nVoluntariado;SAN CRIST\xd3BAL\r\n";
        let sheets = read_csv(bytes, &Limits::default()).expect("reads");
        assert_eq!(sheets[0].rows[1].cells[1], Cell::Text("SAN CRISTÓBAL".into()));
        assert_eq!(sheets[0].rows[1].number, 2);
    }

    #[test]
    fn row_numbers_count_blank_lines_and_multiline_cells_as_a_spreadsheet_does() {
        let text = "Reuniones 2019\n\nPrograma;Tema\nBA Elige;\"dos\nlíneas\"\n\nBA Elige;x\n";
        let sheets = read_csv(text.as_bytes(), &Limits::default()).expect("reads");
        let numbers: Vec<u32> = sheets[0].rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 3, 4, 6]);
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("\"x, y\";b\n\"1,2\";3\n"), b';');
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let sheets = read_csv("\u{feff}Fecha,Comuna\n15/03/2019,4\n".as_bytes(), &Limits::default()).expect("reads");
        assert_eq!(sheets[0].rows[0].cells[0], Cell::Text("Fecha".into()));
    }
}
