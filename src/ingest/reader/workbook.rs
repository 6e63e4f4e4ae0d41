//! xls through calamine, once `super::xls_scan` found it within the file's budget. (xlsx/xlsm
//! and ods are read by readers of our own, [`super::xlsx`] and [`super::ods`], one streaming
//! pass each that takes cells and merged cells together; the calamine paths they replaced stay
//! below, for tests only, as the references they are compared with.) Formula cells count by
//! their cached value, and rows made of `=SUM(…)` formulas are flagged as totals rows
//! ([`super::rows`]). xls merges come from calamine (parsed with the workbook), bounded by
//! [`super::merges::MergeList`].
//! The only module that knows calamine.

use std::io::Cursor;

use calamine::{Data, Dimensions, Range, Reader, Xls};

use super::merges::MergeList;
use super::rows::{parse_iso, RowBuilder};
use super::{Limits, ReadError};
use crate::standard::{Cell, Merge, RawSheet};

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
        Data::DateTimeIso(s) => parse_iso(&s)
            .map(Cell::Date)
            .unwrap_or(Cell::Text(super::bounded_text(s))),
        Data::DurationIso(s) => Cell::Text(super::bounded_text(s)),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

/// Merges of calamine's `Dimensions` (0-based `(row, col)` corners), bounded.
fn from_dimensions(dimensions: &[Dimensions], limits: &Limits) -> Vec<Merge> {
    let mut merges = MergeList::new(limits);
    for d in dimensions {
        if merges.is_full() {
            break;
        }
        merges.add(
            (d.start.0.into(), d.start.1.into()),
            (d.end.0.into(), d.end.1.into()),
        );
    }
    merges.finish()
}

/// The calamine streaming path that read xlsx before [`super::xlsx`]: cells through
/// `worksheet_cells_reader`, merges through calamine's own (second) parse of each sheet.
/// Kept for tests only, as the reference the new reader is compared with on every fixture.
#[cfg(test)]
pub fn read_xlsx_calamine(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    use calamine::{Xlsx, XlsxError};
    let error = |e: XlsxError| ReadError::Corrupt(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(error)?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let mut builder = RowBuilder::new(limits);
        {
            let mut reader = match workbook.worksheet_cells_reader(&name) {
                Ok(r) => r,
                Err(XlsxError::NotAWorksheet(_)) => continue,
                Err(e) => return Err(error(e)),
            };
            while let Some(cell) = reader.next_cell_with_formula().map_err(error)? {
                builder.push(
                    cell.pos.0,
                    cell.pos.1,
                    from_data(Data::from(cell.value)),
                    cell.formula.as_deref(),
                );
            }
        }
        let merges = workbook
            .merge_cells_by_sheet_name(&name)
            .map(|d| from_dimensions(&d, limits))
            .unwrap_or_default();
        sheets.push(builder.finish(name, merges));
    }
    Ok(sheets)
}

fn from_ranges(
    name: String,
    values: &Range<Data>,
    formulas: Option<&Range<String>>,
    merges: Vec<Merge>,
    limits: &Limits,
) -> RawSheet {
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
            let formula = formulas
                .and_then(|f| f.get_value((abs_row, abs_col)))
                .filter(|f| !f.is_empty());
            builder.push(
                abs_row,
                abs_col,
                from_data(value.clone()),
                formula.map(String::as_str),
            );
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
        let values = workbook
            .worksheet_range(&name)
            .map_err(|e| ReadError::Corrupt(e.to_string()))?;
        let formulas = workbook.worksheet_formula(&name).ok();
        // Parsed with the workbook (MERGEDCELLS records); a sheet without them has none.
        let merges = workbook
            .merge_cells_by_sheet_name(&name)
            .map(|d| from_dimensions(&d, limits))
            .unwrap_or_default();
        sheets.push(from_ranges(
            name,
            &values,
            formulas.as_ref(),
            merges,
            limits,
        ));
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
        let values = workbook
            .worksheet_range(&name)
            .map_err(|e| ReadError::Corrupt(e.to_string()))?;
        let formulas = workbook.worksheet_formula(&name).ok();
        let sheet_merges = merges.get(&name).cloned().unwrap_or_default();
        sheets.push(from_ranges(
            name,
            &values,
            formulas.as_ref(),
            sheet_merges,
            limits,
        ));
    }
    Ok(sheets)
}
