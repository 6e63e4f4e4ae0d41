//! xlsx/xlsm and xls through calamine (ods has its own reader, `super::ods`; calamine's ods path
//! stays here for tests only, as its reference). xlsx is streamed cell by cell so a sheet whose
//! dimension claims a million columns costs only the cells it really has; formula cells count
//! by their cached value, and rows made of `=SUM(…)` formulas are flagged as totals rows.
//! Merged ranges come from [`super::merges::XlsxMerges`] for xlsx (a byte search of the sheet's
//! part: its `<mergeCells>` follow the cells), from calamine for xls (parsed with the workbook)
//! and from the ods reader's own pass for ods; all are bounded by
//! [`super::merges::MergeList`].
//! The only module that knows calamine.

use std::io::Cursor;

use calamine::{Data, Dimensions, Range, Reader, Xls, Xlsx, XlsxError};
use chrono::{NaiveDate, NaiveDateTime};

use super::merges::{MergeList, XlsxMerges};
use super::{Limits, ReadError};
use crate::standard::{Cell, Merge, RawRow, RawSheet};

pub(super) fn parse_iso(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A calamine value as a cell. Streaming xlsx cells arrive as `DataRef` and convert with
/// `Data::from` (shared strings are copied once, here).
fn from_data(value: Data) -> Cell {
    match value {
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::String(s) => Cell::Text(super::bounded_text(s)),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if !dt.is_duration() => Cell::Date(d),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => parse_iso(&s).map(Cell::Date).unwrap_or(Cell::Text(super::bounded_text(s))),
        Data::DurationIso(s) => Cell::Text(super::bounded_text(s)),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

/// Row numbers of the cell references in a formula's argument text (`$F$5:F30` → 5, 30).
fn referenced_rows(args: &str) -> Vec<u32> {
    let mut rows = Vec::new();
    for reference in args.split([':', ',', ';']) {
        let cleaned: String = reference.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        let digits: String = cleaned.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
        let letters = cleaned.len() - digits.len();
        if letters > 0 && cleaned[..letters].chars().all(|c| c.is_ascii_alphabetic()) {
            if let Ok(row) = digits.parse() {
                rows.push(row);
            }
        }
    }
    rows
}

/// True for a column-totals formula in row `own_row` (1-based): a `SUM` over cells of other
/// rows — `=SUM(F5:F30)` (xlsx, xls), `of:=SUM([.F5:.F30])` (ods), `=SUM(D2:D2)` under a single
/// data row, the Spanish `SUMA`, `SUBTOTAL`. A `=SUM(H5:L5)` in row 5 adding up the row's own
/// cells is data (participants as the sum of the age bands), not a totals row.
pub(super) fn is_sum_formula(formula: &str, own_row: u32) -> bool {
    let upper = formula.trim().to_ascii_uppercase();
    let f = upper.trim_start_matches('=');
    let f = f.strip_prefix("OF:").unwrap_or(f).trim_start_matches('=').trim_start();
    let Some(args) = ["SUM(", "SUMA(", "SUBTOTAL(", "SUBTOTALES("].iter().find_map(|p| f.strip_prefix(p)) else {
        return false;
    };
    let args = args.split(')').next().unwrap_or_default();
    referenced_rows(args).iter().any(|&r| r != own_row)
}


/// Accumulates cells into rows as they stream in, tracking totals-formula rows.
struct RowBuilder {
    rows: Vec<RawRow>,
    numeric: Vec<(usize, usize)>,
    limits: Limits,
    truncated: bool,
}

impl RowBuilder {
    fn new(limits: &Limits) -> RowBuilder {
        RowBuilder { rows: Vec::new(), numeric: Vec::new(), limits: *limits, truncated: false }
    }

    fn push(&mut self, row: u32, col: u32, cell: Cell, formula: Option<&str>) {
        if cell == Cell::Empty {
            return;
        }
        let (row, col) = (row as usize, col as usize);
        if col >= self.limits.max_columns {
            self.truncated = true;
            return;
        }
        if row >= self.limits.max_rows {
            return;
        }
        let number = (row + 1) as u32;
        // Cells stream in row order; anything else lands in its row by search.
        let index = match self.rows.last() {
            Some(last) if last.number == number => self.rows.len() - 1,
            Some(last) if last.number < number => {
                self.rows.push(RawRow { number, ..RawRow::default() });
                self.numeric.push((0, 0));
                self.rows.len() - 1
            }
            None => {
                self.rows.push(RawRow { number, ..RawRow::default() });
                self.numeric.push((0, 0));
                0
            }
            Some(_) => match self.rows.binary_search_by_key(&number, |r| r.number) {
                Ok(i) => i,
                Err(i) => {
                    self.rows.insert(i, RawRow { number, ..RawRow::default() });
                    self.numeric.insert(i, (0, 0));
                    i
                }
            },
        };
        if matches!(cell, Cell::Number(_)) {
            self.numeric[index].0 += 1;
            if formula.is_some_and(|f| is_sum_formula(f, number)) {
                self.numeric[index].1 += 1;
            }
        }
        let cells = &mut self.rows[index].cells;
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
    }

    fn finish(mut self, name: String, merges: Vec<Merge>) -> RawSheet {
        for (row, (numbers, sums)) in self.rows.iter_mut().zip(self.numeric) {
            row.sum_formulas = sums > 0 && sums == numbers;
        }
        RawSheet { name, rows: self.rows, truncated_columns: self.truncated, merges }
    }
}

/// Merges of calamine's `Dimensions` (0-based `(row, col)` corners), bounded.
fn from_dimensions(dimensions: &[Dimensions], limits: &Limits) -> Vec<Merge> {
    let mut merges = MergeList::new(limits);
    for d in dimensions {
        if merges.is_full() {
            break;
        }
        merges.add((d.start.0.into(), d.start.1.into()), (d.end.0.into(), d.end.1.into()));
    }
    merges.finish()
}

fn xlsx_error(e: XlsxError) -> ReadError {
    let text = e.to_string();
    if text.to_lowercase().contains("password") || text.to_lowercase().contains("encrypt") {
        ReadError::Encrypted
    } else {
        ReadError::Corrupt(text)
    }
}

/// Streams every worksheet of an xlsx/xlsm workbook.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    // The package read a second time for the merges; if that fails, no sheet has any.
    let mut merges = XlsxMerges::new(bytes, limits);
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let mut builder = RowBuilder::new(limits);
        {
            // The cells reader borrows the workbook until the cells are read.
            let mut reader = match workbook.worksheet_cells_reader(&name) {
                Ok(r) => r,
                Err(XlsxError::NotAWorksheet(_)) => continue,
                Err(e) => return Err(xlsx_error(e)),
            };
            while let Some(cell) = reader.next_cell_with_formula().map_err(xlsx_error)? {
                builder.push(cell.pos.0, cell.pos.1, from_data(Data::from(cell.value)), cell.formula.as_deref());
            }
        }
        // After the cells, so a damaged sheet costs no second pass.
        let sheet_merges = merges.as_mut().map(|m| m.sheet(&name, limits)).unwrap_or_default();
        sheets.push(builder.finish(name, sheet_merges));
    }
    Ok(sheets)
}

fn from_ranges(name: String, values: &Range<Data>, formulas: Option<&Range<String>>, merges: Vec<Merge>, limits: &Limits) -> RawSheet {
    let mut builder = RowBuilder::new(limits);
    let Some((row0, col0)) = values.start() else {
        return builder.finish(name, merges);
    };
    for (r, row) in values.rows().enumerate() {
        if r >= limits.max_rows {
            break;
        }
        for (c, value) in row.iter().enumerate() {
            let (abs_row, abs_col) = (row0 + r as u32, col0 + c as u32);
            let formula = formulas.and_then(|f| f.get_value((abs_row, abs_col))).filter(|f| !f.is_empty());
            builder.push(abs_row, abs_col, from_data(value.clone()), formula.map(String::as_str));
        }
    }
    builder.finish(name, merges)
}

/// Reads every sheet of a legacy .xls workbook.
pub fn read_xls(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut workbook: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => ReadError::Encrypted,
        other => ReadError::Corrupt(other.to_string()),
    })?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let values = workbook.worksheet_range(&name).map_err(|e| ReadError::Corrupt(e.to_string()))?;
        let formulas = workbook.worksheet_formula(&name).ok();
        // Parsed with the workbook (MERGEDCELLS records); a sheet without them has none.
        let merges = workbook.merge_cells_by_sheet_name(&name).map(|d| from_dimensions(&d, limits)).unwrap_or_default();
        sheets.push(from_ranges(name, &values, formulas.as_ref(), merges, limits));
    }
    Ok(sheets)
}

/// Reads every sheet of an OpenDocument spreadsheet the way participa did before `super::ods`:
/// calamine for the cells, `merges::ods_merges` for the merges. Kept as the reference the ods
/// reader is compared with (`ods::tests`); it expands every repeat, so only for trusted files.
#[cfg(test)]
pub(super) fn read_ods_calamine(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    use super::merges::ods_merges;
    let mut workbook: calamine::Ods<_> = calamine::Ods::new(Cursor::new(bytes)).map_err(|e| {
        let text = e.to_string();
        if text.to_lowercase().contains("password") || text.to_lowercase().contains("encrypt") {
            ReadError::Encrypted
        } else {
            ReadError::Corrupt(text)
        }
    })?;
    // calamine reads no merges from ods: a scan of content.xml of our own, after calamine
    // accepted the file.
    let merges = ods_merges(bytes, limits);
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let values = workbook.worksheet_range(&name).map_err(|e| ReadError::Corrupt(e.to_string()))?;
        let formulas = workbook.worksheet_formula(&name).ok();
        let sheet_merges = merges.get(&name).cloned().unwrap_or_default();
        sheets.push(from_ranges(name, &values, formulas.as_ref(), sheet_merges, limits));
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_formulas_in_every_dialect() {
        // Formulas in row 5 (the row of `SUM(H5:L5)`) or below a one-row table (`SUM(D2:D2)`).
        for f in ["SUM(F1:F4)", "=SUM($F$1:$F$4)", "of:=SUM([.F1:.F4])", "=suma(B2:B4)", "SUBTOTAL(9,C2:C4)", "SUM(F2,F3,F4)", "SUM(D2:D2)"] {
            assert!(is_sum_formula(f, 5), "{f}");
        }
        for f in ["AVERAGE(F1:F4)", "F1+F2", "of:=[.F1]*2", "SUM(H5:L5)", "of:=SUM([.H5:.L5])"] {
            assert!(!is_sum_formula(f, 5), "{f}");
        }
    }
}
