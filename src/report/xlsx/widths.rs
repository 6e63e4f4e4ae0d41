//! Column widths measured from the values as people read them, and cell texts cut to what
//! Excel accepts.
//!
//! Measures only: must not touch rust_xlsxwriter (`Widths::apply`, which sets them on a
//! sheet, lives in `workbook`).

use super::names::truncate_utf16;
use super::{MAX_CELL_TEXT, TABLE_MAX_WIDTH};
use crate::report::model::{format_cell, Cell, Kind};
use crate::text::Lang;

/// Widest content seen per column, in characters.
#[derive(Clone)]
pub(super) struct Widths(pub(super) Vec<f64>, pub(super) f64);

impl Default for Widths {
    fn default() -> Widths {
        Widths(Vec::new(), TABLE_MAX_WIDTH)
    }
}

impl Widths {
    /// Widths capped at `cap` characters.
    pub(super) fn capped(cap: f64) -> Widths {
        Widths(Vec::new(), cap)
    }

    pub(super) fn see(&mut self, col: u16, chars: f64) {
        let i = usize::from(col);
        if self.0.len() <= i {
            self.0.resize(i + 1, 0.0);
        }
        if chars > self.0[i] {
            self.0[i] = chars;
        }
    }

    pub(super) fn see_text(&mut self, col: u16, text: &str) {
        // The longest line, for text with line breaks.
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        self.see(col, longest as f64);
    }

    /// A header: bold, with room for the filter button.
    pub(super) fn see_header(&mut self, col: u16, text: &str) {
        let longest = text
            .split_whitespace()
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0) as f64;
        let whole = text.chars().count() as f64;
        // A long header wraps (the header format wraps) rather than widening the column.
        self.see(col, (whole.min(24.0).max(longest)) * 1.1 + 3.0);
    }
}

/// Cuts text Excel would refuse (over 32,767 UTF-16 units) and keeps the rest.
pub(super) fn cell_text(t: &str) -> &str {
    if t.len() <= MAX_CELL_TEXT {
        t
    } else {
        truncate_utf16(t, MAX_CELL_TEXT)
    }
}

/// Lines a text takes in a wrapped column `width` characters wide (at least one).
pub(super) fn wrapped_lines(text: &str, width: f64) -> f64 {
    // An average letter is narrower than the «0» column widths are measured in.
    let per_line = (width * 1.1).max(1.0);
    text.lines()
        .map(|l| (l.chars().count() as f64 / per_line).ceil().max(1.0))
        .sum::<f64>()
        .max(1.0)
}

/// The width a value takes as people read it.
pub(super) fn display_chars(cell: &Cell, kind: Kind, lang: Lang) -> f64 {
    match cell {
        Cell::Empty => 0.0,
        Cell::Text(t) => t.lines().map(|l| l.chars().count()).max().unwrap_or(0) as f64,
        _ => format_cell(cell, kind, lang).chars().count() as f64 + 1.0,
    }
}
