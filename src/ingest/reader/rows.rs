//! Rows as the workbook readers hand them over: cells placed by position into [`RawRow`]s
//! within the reader's limits, and the totals-row rule (a row whose numbers are all `=SUM(…)`
//! formulas over other rows). Shared by every workbook reader (xlsx, xls, ods), so a sheet comes
//! out the same whichever format carried it.

use chrono::{NaiveDate, NaiveDateTime};

use super::Limits;
use crate::standard::{Cell, Merge, RawRow, RawSheet};

/// An ISO 8601 date or date-time as a spreadsheet stores it (xlsx `t="d"`, ods `date-value`).
pub fn parse_iso(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// Row numbers of the cell references in a formula's argument text (`$F$5:F30` → 5, 30).
fn referenced_rows(args: &str) -> Vec<u32> {
    let mut rows = Vec::new();
    for reference in args.split([':', ',', ';']) {
        let cleaned: String = reference
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let digits: String = cleaned
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
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
pub fn is_sum_formula(formula: &str, own_row: u32) -> bool {
    let upper = formula.trim().to_ascii_uppercase();
    let Some(args) = sum_arguments(&upper) else {
        return false;
    };
    let args = args.split(')').next().unwrap_or_default();
    referenced_rows(args).iter().any(|&r| r != own_row)
}

/// True when a formula is a call of a totals function (`SUM`, `SUMA`, `SUBTOTAL`…), whatever it
/// refers to: only such a formula can make [`is_sum_formula`] true, so a reader keeps no other.
pub fn is_sum_call(formula: &str) -> bool {
    sum_arguments(&formula.trim().to_ascii_uppercase()).is_some()
}

/// The text after the opening parenthesis of a totals function call, in an upper-cased formula.
fn sum_arguments(upper: &str) -> Option<&str> {
    let f = upper.trim_start_matches('=');
    let f = f
        .strip_prefix("OF:")
        .unwrap_or(f)
        .trim_start_matches('=')
        .trim_start();
    ["SUM(", "SUMA(", "SUBTOTAL(", "SUBTOTALES("]
        .iter()
        .find_map(|p| f.strip_prefix(p))
}

/// Accumulates cells into rows as they stream in, tracking totals-formula rows.
pub struct RowBuilder {
    rows: Vec<RawRow>,
    numeric: Vec<(usize, usize)>,
    limits: Limits,
    truncated: bool,
}

impl RowBuilder {
    pub fn new(limits: &Limits) -> RowBuilder {
        RowBuilder {
            rows: Vec::new(),
            numeric: Vec::new(),
            limits: *limits,
            truncated: false,
        }
    }

    /// What keeping a non-empty cell at `(row, col)` (0-based) would cost, counted before the
    /// cell is built so a reader can charge its [`super::Budget`] first: `None` when the cell
    /// would not be kept (past the rows read, or past the columns read, which marks the sheet
    /// truncated as [`RowBuilder::push`] does), else the cells its row grows by — at least one,
    /// and every empty cell before it that the row must hold too (a lone cell in column IV
    /// costs 256 cells of memory, so it costs 256 of the budget).
    pub fn room(&mut self, row: u32, col: u32) -> Option<u64> {
        let (row, col) = (row as usize, col as usize);
        if col >= self.limits.max_columns {
            self.truncated = true;
            return None;
        }
        if row >= self.limits.max_rows {
            return None;
        }
        let number = (row + 1) as u32;
        let len = match self.rows.last() {
            Some(last) if last.number == number => last.cells.len(),
            Some(last) if last.number < number => 0,
            None => 0,
            Some(_) => self
                .rows
                .binary_search_by_key(&number, |r| r.number)
                .map_or(0, |i| self.rows[i].cells.len()),
        };
        Some(((col + 1).saturating_sub(len) as u64).max(1))
    }

    pub fn push(&mut self, row: u32, col: u32, cell: Cell, formula: Option<&str>) {
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
                self.rows.push(RawRow {
                    number,
                    ..RawRow::default()
                });
                self.numeric.push((0, 0));
                self.rows.len() - 1
            }
            None => {
                self.rows.push(RawRow {
                    number,
                    ..RawRow::default()
                });
                self.numeric.push((0, 0));
                0
            }
            Some(_) => match self.rows.binary_search_by_key(&number, |r| r.number) {
                Ok(i) => i,
                Err(i) => {
                    self.rows.insert(
                        i,
                        RawRow {
                            number,
                            ..RawRow::default()
                        },
                    );
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

    pub fn finish(mut self, name: String, merges: Vec<Merge>) -> RawSheet {
        for (row, (numbers, sums)) in self.rows.iter_mut().zip(self.numeric) {
            row.sum_formulas = sums > 0 && sums == numbers;
        }
        RawSheet {
            name,
            rows: self.rows,
            truncated_columns: self.truncated,
            merges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_formulas_in_every_dialect() {
        // Formulas in row 5 (the row of `SUM(H5:L5)`) or below a one-row table (`SUM(D2:D2)`).
        for f in [
            "SUM(F1:F4)",
            "=SUM($F$1:$F$4)",
            "of:=SUM([.F1:.F4])",
            "=suma(B2:B4)",
            "SUBTOTAL(9,C2:C4)",
            "SUM(F2,F3,F4)",
            "SUM(D2:D2)",
        ] {
            assert!(is_sum_formula(f, 5), "{f}");
        }
        for f in [
            "AVERAGE(F1:F4)",
            "F1+F2",
            "of:=[.F1]*2",
            "SUM(H5:L5)",
            "of:=SUM([.H5:.L5])",
        ] {
            assert!(!is_sum_formula(f, 5), "{f}");
        }
    }
}
