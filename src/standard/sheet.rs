//! The shape every reader hands to the standard: sheets of rows of cells, with the row numbers
//! and column positions a person sees. Pure data; no I/O.

use chrono::NaiveDateTime;

/// One cell as the reader found it. Formula cells arrive as their cached value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in the cell.
    Empty,
    /// Text as written (CSV cells are always text).
    Text(String),
    /// A numeric cell.
    Number(f64),
    /// A cell formatted as a date or date-time.
    Date(NaiveDateTime),
    /// A boolean cell.
    Bool(bool),
    /// A spreadsheet error such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    /// True for an empty cell or one holding only white space.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The text of a text cell, trimmed.
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => Some(t.trim()),
            _ => None,
        }
    }

    /// The value as a person would read it in the sheet, for messages and the list of rejected
    /// rows.
    pub fn as_written(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => format_number(*n),
            Cell::Date(d) => {
                if d.time() == chrono::NaiveTime::MIN {
                    d.format("%d/%m/%Y").to_string()
                } else {
                    d.format("%d/%m/%Y %H:%M").to_string()
                }
            }
            Cell::Bool(true) => "VERDADERO".to_string(),
            Cell::Bool(false) => "FALSO".to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// Formats a number without a trailing `.0` when it is whole.
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// One row of a sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// 1-based row number as a person sees it in the sheet (or the line's record number in a CSV).
    pub number: u32,
    /// Cells by 0-based column position (column A is 0). Trailing empties may be absent.
    pub cells: Vec<Cell>,
    /// True when every formula-bearing numeric cell of the row is a `=SUM(…)` (a totals row).
    pub sum_formulas: bool,
}

impl RawRow {
    /// The cell at `col`, or `Empty` past the end of the row.
    pub fn cell(&self, col: usize) -> &Cell {
        const EMPTY: &Cell = &Cell::Empty;
        self.cells.get(col).unwrap_or(EMPTY)
    }

    /// True when no cell holds anything but white space.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// One sheet (a CSV file is one sheet with an empty name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawSheet {
    /// Sheet name as shown on its tab; empty for CSV.
    pub name: String,
    /// Non-blank rows in order (blank rows may be omitted by the reader).
    pub rows: Vec<RawRow>,
    /// Columns beyond the reader's limit that held values and were not read.
    pub truncated_columns: bool,
    /// Merged ranges as the file records them (xlsx `mergeCell`, xls MERGEDCELLS, ods
    /// `number-rows-spanned`/`number-columns-spanned`); empty for CSV. The value sits in the
    /// range's first cell; the standard decides what the others mean.
    pub merges: Vec<Merge>,
}

/// Most cells that filling merged ranges may write in one sheet (about 16 bytes each).
pub const MAX_FILLED_CELLS: usize = 4_000_000;

impl RawSheet {
    /// The rows that merged ranges starting at or below row `from_row` reach, each filled with
    /// its merges' first-cell values as a person sees the merged cells, in row order; the other
    /// rows are as read, so only these are copied. Rows the reader left out (blank but for the
    /// merge) stay out, and so do blank cells that are not merged.
    pub fn merged_rows(&self, from_row: u32) -> Vec<RawRow> {
        let mut filled: std::collections::BTreeMap<usize, RawRow> =
            std::collections::BTreeMap::new();
        // Cells written by filling, bounded: a hostile file may claim thousands of merges over
        // every row.
        let mut budget: usize = MAX_FILLED_CELLS;
        for m in self.merges.iter().filter(|m| {
            m.first_row >= from_row && (m.last_row > m.first_row || m.last_col > m.first_col)
        }) {
            let Ok(first) = self.rows.binary_search_by_key(&m.first_row, |r| r.number) else {
                continue;
            };
            let value = self.rows[first].cell(m.first_col).clone();
            if value.is_blank() {
                continue;
            }
            let end = self.rows.partition_point(|r| r.number <= m.last_row);
            let cells = end
                .saturating_sub(first)
                .saturating_mul(m.last_col.saturating_sub(m.first_col) + 1);
            let Some(left) = budget.checked_sub(cells) else {
                break;
            };
            budget = left;
            for index in first..end {
                let Some(original) = self.rows.get(index) else {
                    break;
                };
                let row = filled.entry(index).or_insert_with(|| original.clone());
                if row.cells.len() <= m.last_col {
                    row.cells.resize(m.last_col + 1, Cell::Empty);
                }
                for cell in row.cells.iter_mut().take(m.last_col + 1).skip(m.first_col) {
                    if cell.is_blank() {
                        *cell = value.clone();
                    }
                }
            }
        }
        filled.into_values().collect()
    }
}

/// One merged range, inclusive on both ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Merge {
    /// First row, 1-based as a person sees it (same numbering as [`RawRow::number`]).
    pub first_row: u32,
    /// Last row, 1-based, inclusive.
    pub last_row: u32,
    /// First column, 0-based (column A is 0).
    pub first_col: usize,
    /// Last column, 0-based, inclusive.
    pub last_col: usize,
}

/// Spreadsheet column letters for a 0-based column index: 0 → `A`, 27 → `AB`.
pub fn column_letters(mut col: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (col % 26) as u8) as char);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merges fill the data below `from_row` only, blank cells only, within the cell budget.
    #[test]
    fn merges_fill_the_data_area_within_a_budget() {
        let row = |number: u32, cells: Vec<Cell>| RawRow {
            number,
            cells,
            sum_formulas: false,
        };
        let text = |t: &str| Cell::Text(t.to_string());
        let sheet = RawSheet {
            name: "h".into(),
            rows: vec![
                row(1, vec![text("Programa"), text("x")]),
                row(2, vec![text("BA Elige"), text("a")]),
                row(3, vec![Cell::Empty, text("b")]),
                row(5, vec![Cell::Empty, text("c")]),
            ],
            truncated_columns: false,
            merges: vec![
                Merge {
                    first_row: 1,
                    last_row: 2,
                    first_col: 1,
                    last_col: 1,
                },
                Merge {
                    first_row: 2,
                    last_row: 5,
                    first_col: 0,
                    last_col: 0,
                },
            ],
        };
        let filled = sheet.merged_rows(2);
        let first: Vec<(u32, &Cell)> = filled.iter().map(|r| (r.number, r.cell(0))).collect();
        assert_eq!(
            first,
            [
                (2, &text("BA Elige")),
                (3, &text("BA Elige")),
                (5, &text("BA Elige"))
            ]
        );
        assert_eq!(
            filled[0].cell(1),
            &text("a"),
            "a merge starting in the header fills nothing"
        );
        assert!(sheet.merged_rows(6).is_empty());
        // 10,000 merges over 1,000 rows: the budget stops the filling, quickly.
        let rows: Vec<RawRow> = (1..=1000).map(|n| row(n, vec![text("v"); 4])).collect();
        let merges = vec![
            Merge {
                first_row: 1,
                last_row: 1000,
                first_col: 0,
                last_col: 3
            };
            10_000
        ];
        let hostile = RawSheet {
            name: "h".into(),
            rows,
            truncated_columns: false,
            merges,
        };
        assert_eq!(hostile.merged_rows(1).len(), 1000);
    }

    #[test]
    fn column_letters_table() {
        for (col, want) in [
            (0, "A"),
            (7, "H"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
            (16383, "XFD"),
        ] {
            assert_eq!(column_letters(col), want);
        }
    }

    #[test]
    fn as_written_keeps_what_a_person_sees() {
        assert_eq!(Cell::Number(150.0).as_written(), "150");
        assert_eq!(Cell::Number(-5.0).as_written(), "-5");
        assert_eq!(Cell::Number(12.5).as_written(), "12.5");
        let d = chrono::NaiveDate::from_ymd_opt(2019, 3, 4).and_then(|d| d.and_hms_opt(0, 0, 0));
        assert_eq!(
            d.map(|d| Cell::Date(d).as_written()),
            Some("04/03/2019".to_string())
        );
    }
}
