//! Shared formulas: a cell of a shared-formula group gets the anchor's formula with its relative
//! references moved by the cell's offset, so the totals-row rule sees each cell's own formula.
//!
//! Pure text work on a formula string: it must not depend on the package, the XML reader or the
//! sheet reader.

use super::{SHEET_COLUMNS, SHEET_ROWS};

/// One reference of a formula: a cell `$A$1`, a whole column `$A` or a whole row `$1`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reference {
    Cell {
        row: u32,
        col: u32,
        fixed_row: bool,
        fixed_col: bool,
    },
    Column {
        col: u32,
        fixed: bool,
    },
    Row {
        row: u32,
        fixed: bool,
    },
}

impl Reference {
    fn parse(text: &[u8]) -> Option<Reference> {
        let (mut col, mut row) = (0u32, 0u32);
        let (mut fixed_col, mut fixed_row) = (false, false);
        let mut i = 0;
        while i < text.len() {
            let c = text[i];
            match c {
                b'$' => match text.get(i + 1) {
                    Some(n) if n.is_ascii_alphabetic() && row == 0 && col == 0 => fixed_col = true,
                    Some(n) if n.is_ascii_digit() && row == 0 => fixed_row = true,
                    _ => return None,
                },
                c if c.is_ascii_alphabetic() && row == 0 => {
                    col = col
                        .checked_mul(26)?
                        .checked_add(u32::from(c.to_ascii_uppercase() - b'A') + 1)?;
                }
                c if c.is_ascii_digit() => {
                    row = row.checked_mul(10)?.checked_add(u32::from(c - b'0'))?
                }
                _ => return None,
            }
            i += 1;
        }
        let reference = match (col.checked_sub(1), row.checked_sub(1)) {
            (Some(col), Some(row)) => Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            },
            (Some(col), None) => Reference::Column {
                col,
                fixed: fixed_col,
            },
            (None, Some(row)) => Reference::Row {
                row,
                fixed: fixed_row,
            },
            (None, None) => return None,
        };
        reference.valid().then_some(reference)
    }

    fn valid(self) -> bool {
        match self {
            Reference::Cell { row, col, .. } => row < SHEET_ROWS && col < SHEET_COLUMNS,
            Reference::Column { col, .. } => col < SHEET_COLUMNS,
            Reference::Row { row, .. } => row < SHEET_ROWS,
        }
    }

    fn shifted(self, (rows, cols): (i64, i64)) -> Option<Reference> {
        let move_by = |at: u32, by: i64, fixed: bool| {
            if fixed {
                Some(at)
            } else {
                u32::try_from(i64::from(at) + by).ok()
            }
        };
        let moved = match self {
            Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            } => Reference::Cell {
                row: move_by(row, rows, fixed_row)?,
                col: move_by(col, cols, fixed_col)?,
                fixed_row,
                fixed_col,
            },
            Reference::Column { col, fixed } => Reference::Column {
                col: move_by(col, cols, fixed)?,
                fixed,
            },
            Reference::Row { row, fixed } => Reference::Row {
                row: move_by(row, rows, fixed)?,
                fixed,
            },
        };
        moved.valid().then_some(moved)
    }

    fn write(self, out: &mut String) {
        let column = |col: u32, out: &mut String| {
            out.push_str(&crate::standard::sheet::column_letters(col as usize))
        };
        match self {
            Reference::Cell {
                row,
                col,
                fixed_row,
                fixed_col,
            } => {
                if fixed_col {
                    out.push('$');
                }
                column(col, out);
                if fixed_row {
                    out.push('$');
                }
                out.push_str(&(row + 1).to_string());
            }
            Reference::Column { col, fixed } => {
                if fixed {
                    out.push('$');
                }
                column(col, out);
            }
            Reference::Row { row, fixed } => {
                if fixed {
                    out.push('$');
                }
                out.push_str(&(row + 1).to_string());
            }
        }
    }
}

/// A token of a formula (`F5`, `$B$2:C9`) moved by `offset`; `None` when it is no reference, or
/// would move off the sheet (then it is kept as written, as Excel's own expansion does).
fn shift_token(token: &[u8], offset: (i64, i64), out: &mut String) -> Option<()> {
    let mut moved = String::new();
    match token.iter().position(|&b| b == b':') {
        None => match Reference::parse(token)? {
            cell @ Reference::Cell { .. } => cell.shifted(offset)?.write(&mut moved),
            _ => return None,
        },
        Some(colon) => {
            let (first, last) = (
                Reference::parse(&token[..colon])?,
                Reference::parse(&token[colon + 1..])?,
            );
            if std::mem::discriminant(&first) != std::mem::discriminant(&last) {
                return None;
            }
            let (first, last) = (first.shifted(offset)?, last.shifted(offset)?);
            first.write(&mut moved);
            moved.push(':');
            last.write(&mut moved);
        }
    }
    out.push_str(&moved);
    Some(())
}

/// The formula of a cell of a shared-formula group: the anchor's text with every relative
/// reference moved by the cell's offset `(rows, columns)` from the anchor (`SUM(B5:G5)` shared
/// down from row 5 is `SUM(B6:G6)` in row 6; `$` parts stay). Function names (a token before
/// `(`) and quoted text are left alone.
pub(super) fn shift_references(formula: &str, offset: (i64, i64)) -> String {
    let mut out = String::with_capacity(formula.len() + 8);
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '\\' | '.' | '_' | '$' | ':');
    let (mut quoted, mut start) = (false, 0);
    for (i, c) in formula.char_indices() {
        if !quoted && is_token(c) {
            continue;
        }
        if start < i {
            let token = &formula[start..i];
            if c == '(' || shift_token(token.as_bytes(), offset, &mut out).is_none() {
                out.push_str(token);
            }
        }
        out.push(c);
        start = i + c.len_utf8();
        if c == '"' {
            quoted = !quoted;
        }
    }
    if start < formula.len() {
        let token = &formula[start..];
        if shift_token(token.as_bytes(), offset, &mut out).is_none() {
            out.push_str(token);
        }
    }
    out
}
