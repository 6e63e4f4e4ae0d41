//! Two-row headers: a parent row merged across columns or labelling a group, joined to the
//! labels of the row under it.
//!
//! Structure only: must not match labels to fields.

use crate::standard::fold::fold;
use crate::standard::lexicon::Lexicon;
use crate::standard::sheet::{Cell, RawSheet};
use crate::standard::values;

/// Whether row `r` is the parent row of a two-row header by structure: a cell merged across
/// columns on that row alone, with labels under it on the next row.
pub(super) fn merged_parent(sheet: &RawSheet, r: usize) -> bool {
    let (Some(row), Some(child)) = (sheet.rows.get(r), sheet.rows.get(r + 1)) else {
        return false;
    };
    if child.number != row.number + 1 {
        return false;
    }
    sheet.merges.iter().any(|m| {
        m.first_row == row.number
            && m.last_row == row.number
            && m.last_col > m.first_col
            && (m.first_col..=m.last_col)
                .any(|c| matches!(child.cell(c), Cell::Text(t) if !t.trim().is_empty()))
    })
}

/// True when a row holds a number or a date, as written or as a cell: a data row.
pub(super) fn looks_like_data(row: &crate::standard::sheet::RawRow, lex: &Lexicon) -> bool {
    row.cells.iter().any(|c| match c {
        Cell::Number(_) | Cell::Date(_) => true,
        Cell::Text(t) => {
            values::parse_number_text(t).is_some() || values::parse_date(c, lex).is_ok()
        }
        _ => false,
    })
}

/// For each column of a two-row header, the column whose upper label stands over it: its own;
/// else the first column of a merge covering it on the upper row; else, when the upper row has
/// no merges at all (a CSV, or a parent written once over unmerged cells), the nearest label to
/// its left.
pub(super) fn parent_columns(
    sheet: &RawSheet,
    r: usize,
    parent_labels: &[String],
    width: usize,
) -> Vec<Option<usize>> {
    let number = sheet.rows.get(r).map_or(0, |row| row.number);
    let merges: Vec<_> = sheet
        .merges
        .iter()
        .filter(|m| m.first_row <= number && number <= m.last_row && m.last_col > m.first_col)
        .collect();
    let any_merge_on_row = sheet
        .merges
        .iter()
        .any(|m| m.first_row <= number && number <= m.last_row);
    let mut carried: Option<usize> = None;
    (0..width)
        .map(|col| {
            if parent_labels.get(col).is_some_and(|l| !l.is_empty()) {
                carried = Some(col);
                return Some(col);
            }
            if let Some(m) = merges
                .iter()
                .find(|m| m.first_col <= col && col <= m.last_col)
            {
                return Some(m.first_col);
            }
            if any_merge_on_row {
                None
            } else {
                carried
            }
        })
        .collect()
}

/// Labels of a two-row header: each child joined with the label that stands over it (see
/// [`parent_columns`]); a column without a child keeps its upper label.
pub(super) fn joined_labels(
    parent_labels: &[String],
    child: &crate::standard::sheet::RawRow,
    parents: &[Option<usize>],
) -> Vec<String> {
    let width = parent_labels.len().max(child.cells.len());
    let mut labels = Vec::with_capacity(width);
    for col in 0..width {
        let parent = parent_labels.get(col).cloned().unwrap_or_default();
        let over = parents
            .get(col)
            .copied()
            .flatten()
            .and_then(|p| parent_labels.get(p))
            .cloned()
            .unwrap_or_default();
        let child_label = match child.cell(col) {
            Cell::Text(t) => t.trim().to_string(),
            _ => String::new(),
        };
        if child_label.is_empty() {
            labels.push(parent);
        } else if over.is_empty() || fold(&over) == fold(&child_label) {
            labels.push(child_label);
        } else {
            labels.push(format!("{over} {child_label}"));
        }
    }
    labels
}
