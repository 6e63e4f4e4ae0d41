//! Which rows are data: totals and note rows, duplicates (by what a person sees), blank rows
//! the numbering skips, percentage columns held as fractions, the months of a wide row.
//!
//! Reads rows against the header; must not build records or issues.

use super::fields::parse_field;
use crate::standard::header::{Header, Role};
use crate::standard::schema::{Dataset, FieldType};
use crate::standard::sheet::{Cell, RawRow, RawSheet};
use crate::standard::values;
use crate::standard::Standard;

pub(super) fn is_totals_row(row: &RawRow, standard: &Standard) -> bool {
    if row.sum_formulas {
        return true;
    }
    // The first text cell starts with `Total`…, or any text cell is just `Total` (a subtotal
    // under a row counter or a comuna number: `3 | 4 | Total | … | 30`).
    let lex = &standard.lexicon;
    let mut texts = row
        .cells
        .iter()
        .filter_map(Cell::text)
        .filter(|t| !t.is_empty());
    texts.next().is_some_and(|t| lex.is_totals_label(t)) || texts.any(|t| lex.is_totals_word(t))
}

/// A lone text under or among the data that is not a value of its column: `Fuente: …`,
/// `Elaborado por …`, `Datos provisorios`. A lone value that its column accepts (a known
/// programme) is a data row with the rest missing, and is reported as such.
pub(super) fn is_note_row(
    row: &RawRow,
    standard: &Standard,
    dataset: &Dataset,
    header: &Header,
) -> bool {
    let mut filled = row.cells.iter().enumerate().filter(|(_, c)| !c.is_blank());
    let (Some((col, Cell::Text(t))), None) = (filled.next(), filled.next()) else {
        return false;
    };
    if standard.lexicon.is_note_label(t) {
        return true;
    }
    match header.roles.get(col) {
        Some(Role::Field(i)) => {
            let field = &dataset.fields[*i];
            // Free text would accept any note; a code, number or date column tells.
            let free_text = field.field_type == FieldType::String && field.code_list.is_none();
            free_text
                || parse_field(standard, dataset, field, &Cell::Text(t.clone()), None).is_err()
        }
        _ => true,
    }
}

/// The period of one wide column pair: the year when the column names it, and the month.
pub(super) type Period = (Option<i32>, u32);

/// Columns of percentage fields whose numeric cells are all fractions with at least one
/// between 0 and 1 exclusive: cells formatted as `74%`, which hold 0.74.
pub(super) fn fraction_columns(dataset: &Dataset, header: &Header, sheet: &RawSheet) -> Vec<usize> {
    header
        .roles
        .iter()
        .enumerate()
        .filter(|(_, role)| matches!(role, Role::Field(i) if dataset.fields[*i].percent))
        .map(|(c, _)| c)
        .filter(|&c| {
            let numbers: Vec<f64> = sheet
                .rows
                .iter()
                .skip(header.data_start)
                .filter_map(|r| match r.cell(c) {
                    Cell::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            numbers.iter().all(|n| (0.0..=1.0).contains(n))
                && numbers.iter().any(|n| *n > 0.0 && *n < 1.0)
        })
        .collect()
}

/// Periods of a wide row that hold any value, in order.
pub(super) fn wide_months(header: &Header, row: &RawRow, standard: &Standard) -> Vec<Period> {
    let mut months: Vec<Period> = header
        .roles
        .iter()
        .enumerate()
        .filter_map(|(c, role)| match role {
            Role::Wide { month, year, .. }
                if !values::is_missing(row.cell(c), &standard.lexicon) =>
            {
                Some((*year, *month))
            }
            _ => None,
        })
        .collect();
    months.sort_unstable();
    months.dedup();
    months
}

/// The cells that make a row what it is: up to the last non-blank one, text trimmed.
fn significant(row: &RawRow) -> &[Cell] {
    let end = row
        .cells
        .iter()
        .rposition(|c| !c.is_blank())
        .map_or(0, |i| i + 1);
    &row.cells[..end]
}

fn same_cell(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => x.trim() == y.trim(),
        _ if a.is_blank() && b.is_blank() => true,
        _ => a == b,
    }
}

/// True when two rows hold the same cells as a person sees them.
pub(super) fn same_row(a: &RawRow, b: &RawRow) -> bool {
    let (a, b) = (significant(a), significant(b));
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_cell(x, y))
}

/// A hash consistent with [`same_row`].
pub(super) fn row_hash(row: &RawRow) -> u64 {
    use std::hash::{Hash, Hasher};
    // Not DoS-resistant, and need not be: equal hashes are confirmed cell by cell.
    let mut h = rustc_hash::FxHasher::default();
    for cell in significant(row) {
        match cell {
            c if c.is_blank() => 0u8.hash(&mut h),
            Cell::Text(t) => (1u8, t.trim()).hash(&mut h),
            Cell::Number(n) => (2u8, (n + 0.0).to_bits()).hash(&mut h),
            Cell::Date(d) => (3u8, d).hash(&mut h),
            Cell::Bool(b) => (4u8, b).hash(&mut h),
            Cell::Error(e) => (5u8, e).hash(&mut h),
            Cell::Empty => 0u8.hash(&mut h),
        }
    }
    h.finish()
}

/// Blank rows among the data (rows a reader left out because nothing was in them): the rows
/// between the header and the last row that the sheet's numbering skips.
pub(super) fn blank_rows_between(sheet: &RawSheet, data_start: usize) -> usize {
    let mut previous = data_start
        .checked_sub(1)
        .and_then(|i| sheet.rows.get(i))
        .map(|r| r.number);
    let mut blank = 0usize;
    for row in sheet.rows.iter().skip(data_start) {
        if let Some(p) = previous {
            blank += row.number.saturating_sub(p).saturating_sub(1) as usize;
        }
        previous = Some(row.number);
    }
    blank
}
