//! Tables: column widths measured from their texts, wrapped cells, zebra rows, totals, and a
//! table that continues on the next page with its title, «(continúa)» and its header row.
//!
//! Draws on a `Layout`. Must not touch printpdf or format a value.

use super::fonts::{style, Fonts, Style, Weight};
use super::layout::{baseline, Layout};
use super::{
    ACCENT_DARK, AXIS, CONTENT_BOTTOM, CONTENT_TOP, CONTENT_W, HEADER_FILL, INK, MARGIN_X, MUTED,
    RULE, TOTAL_FILL, WHITE, ZEBRA,
};
use crate::report::model::{format_cell, Cell, Kind, Report, Table};

/// A table ready to draw: texts formatted, columns measured.
struct TableGeometry {
    /// Text style of each column's cells (a column of long identifiers is smaller).
    cells: Vec<Style>,
    head: Style,
    leading: f32,
    pad_x: f32,
    pad_y: f32,
    widths: Vec<f32>,
    /// Right-aligned columns (numbers).
    right: Vec<bool>,
    header: Vec<Vec<String>>,
    header_h: f32,
}

impl TableGeometry {
    fn x_of(&self, col: usize) -> f32 {
        MARGIN_X + self.widths.iter().take(col).sum::<f32>()
    }

    pub(super) fn width(&self) -> f32 {
        self.widths.iter().sum()
    }

    fn is_right(&self, col: usize) -> bool {
        self.right.get(col).copied().unwrap_or(false)
    }

    /// The style of a cell: the column's, bold in the totals row.
    fn cell_style(&self, col: usize, bold: bool) -> Style {
        let st = self.cells.get(col).copied().unwrap_or(self.head);
        if bold {
            Style {
                weight: Weight::Bold,
                ..st
            }
        } else {
            st
        }
    }

    fn wrap_row(&self, fonts: &Fonts, row: &[String], bold: bool) -> Vec<Vec<String>> {
        row.iter()
            .zip(&self.widths)
            .enumerate()
            .map(|(col, (text, w))| {
                fonts.wrap(text, self.cell_style(col, bold), w - 2.0 * self.pad_x)
            })
            .collect()
    }

    fn row_height(&self, lines: &[Vec<String>]) -> f32 {
        lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * self.leading
            + 2.0 * self.pad_y
    }
}

/// What column widths are measured from.
struct ColumnTexts<'t> {
    header: &'t [String],
    body: &'t [Vec<String>],
    totals: Option<&'t Vec<String>>,
    /// Columns whose cells never wrap (numbers, dates, identifiers).
    nowrap: &'t [bool],
}

/// Column widths proportional to content. Every column gets at least its longest word (a
/// column that does not wrap, its longest cell); when the table is wider than the page, only
/// the widest columns give way, all down to the same width, so short columns never wrap just
/// because a long one is there.
fn column_widths(
    fonts: &Fonts,
    t: &ColumnTexts,
    cells: &[Style],
    head: Style,
    pad_x: f32,
) -> Vec<f32> {
    // A word longer than this wraps between characters; a word up to twice as long (a path
    // without separators) is kept to two lines instead of three.
    let long_word = 72.0;
    let mut natural = Vec::new();
    let mut minimum = Vec::new();
    for (i, title) in t.header.iter().enumerate() {
        let st = cells.get(i).copied().unwrap_or(head);
        let bold = Style {
            weight: Weight::Bold,
            ..st
        };
        let nowrap = t.nowrap.get(i).copied().unwrap_or(false);
        let mut nat = fonts.natural_width(title, head).min(CONTENT_W * 0.5);
        let mut min = fonts.longest_atom(title, head).min(long_word);
        let mut longest = 0.0_f32;
        let rows = t
            .body
            .iter()
            .map(|r| (r, st))
            .chain(t.totals.map(|r| (r, bold)));
        for (row, cst) in rows {
            let text = row.get(i).map(String::as_str).unwrap_or("");
            let w = fonts.natural_width(text, cst);
            nat = nat.max(w);
            if nowrap {
                min = min.max(w);
            } else {
                longest = longest.max(fonts.longest_atom(text, cst));
            }
        }
        let word_min = if longest <= long_word {
            longest
        } else if longest / 2.0 <= CONTENT_W * 0.4 {
            (longest / 2.0 + 1.0).max(long_word)
        } else {
            long_word
        };
        min = min.max(word_min).min(nat);
        natural.push(nat + 2.0 * pad_x);
        minimum.push(min + 2.0 * pad_x);
    }
    let sum_natural: f32 = natural.iter().sum();
    let sum_minimum: f32 = minimum.iter().sum();
    if sum_natural <= CONTENT_W {
        // Everything fits on one line: a narrow table is widened a little, not to the page.
        let target = if sum_natural >= CONTENT_W * 0.6 {
            CONTENT_W
        } else {
            (sum_natural * 1.3).clamp(CONTENT_W * 0.6, CONTENT_W)
        };
        let scale = if sum_natural > 0.0 {
            target / sum_natural
        } else {
            1.0
        };
        return natural.iter().map(|w| w * scale).collect();
    }
    if sum_minimum >= CONTENT_W {
        return minimum
            .iter()
            .map(|w| w * CONTENT_W / sum_minimum)
            .collect();
    }
    // The widest columns give way: find the cap at which the table is exactly the page wide.
    let capped = |cap: f32| -> Vec<f32> {
        natural
            .iter()
            .zip(&minimum)
            .map(|(n, m)| n.min(cap).max(*m))
            .collect()
    };
    let (mut lo, mut hi) = (0.0_f32, natural.iter().copied().fold(0.0, f32::max));
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if capped(mid).iter().sum::<f32>() > CONTENT_W {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let mut widths = capped(lo);
    // What the search leaves over goes to the widest column.
    let rest = CONTENT_W - widths.iter().sum::<f32>();
    if let Some(widest) = widths.iter_mut().max_by(|a, b| a.total_cmp(b)) {
        *widest += rest.max(0.0);
    }
    widths
}

/// Draws a table complete: title, header row, rows with zebra stripes, bold totals and the
/// note. When the page ends, the table continues on the next one with its title,
/// `labels.continued` and the header row again; a row taller than a whole page is split
/// between its lines.
pub(super) fn draw_table(lay: &mut Layout, report: &Report, table: &Table, title: Option<&str>) {
    let fonts = lay.fonts;
    let lang = report.meta.lang;
    let labels = &report.labels;
    let title_st = style(10.0, Weight::Bold, ACCENT_DARK);
    let continued_title = {
        let base = title
            .map(str::to_string)
            .unwrap_or_else(|| table.title.clone());
        format!("{} {}", base.trim(), labels.continued)
            .trim()
            .to_string()
    };

    let ncol = table.columns.len();
    if ncol == 0 {
        if let Some(t) = title {
            lay.paragraph(MARGIN_X, CONTENT_W, title_st, 14.0, t);
        }
        lay.paragraph(
            MARGIN_X,
            CONTENT_W,
            style(9.0, Weight::Regular, MUTED),
            13.0,
            labels.none,
        );
        lay.y += 14.0;
        return;
    }
    let right: Vec<bool> = table
        .columns
        .iter()
        .map(|c| matches!(c.kind, Kind::Integer | Kind::Decimal(_) | Kind::Percent))
        .collect();
    let texts = |row: &[Cell]| -> Vec<String> {
        table
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let text = format_cell(row.get(i).unwrap_or(&Cell::Empty), col.kind, lang);
                // «38,6 %» stays on one line.
                if right[i] {
                    text.replace(' ', "\u{A0}")
                } else {
                    text
                }
            })
            .collect()
    };
    let body: Vec<Vec<String>> = table.rows.iter().map(|r| texts(r)).collect();
    let totals: Option<Vec<String>> = table.totals.as_ref().map(|r| texts(r));
    let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();

    // Dense tables (many columns, long texts) get a smaller size.
    let widest_in = |i: usize, st: Style| {
        let cells = body
            .iter()
            .map(|r| r.get(i).map(String::as_str).unwrap_or(""));
        cells
            .chain(header.get(i).map(String::as_str))
            .map(|t| fonts.natural_width(t, st))
            .fold(0.0, f32::max)
    };
    let natural: f32 = (0..ncol)
        .map(|i| widest_in(i, style(8.5, Weight::Regular, INK)))
        .sum();
    let size = if ncol >= 6 || natural > CONTENT_W * 1.4 {
        7.5
    } else {
        8.5
    };
    let st = style(size, Weight::Regular, INK);
    let head = style(size, Weight::Bold, WHITE);

    // Numbers and dates never wrap. Nor do identifiers (a SHA-256 in the annex): a column of
    // words too long for a line is printed smaller, down to 5.5 points, so each fits on one line
    // of at most half the page and reads (and copies) whole.
    let mut nowrap: Vec<bool> = table.columns.iter().map(|c| c.kind != Kind::Text).collect();
    let mut cells = vec![st; ncol];
    for (i, cell) in cells.iter_mut().enumerate() {
        if nowrap[i] {
            continue;
        }
        let longest = body
            .iter()
            .chain(totals.iter())
            .filter_map(|r| r.get(i))
            .map(|t| fonts.longest_atom(t, st))
            .fold(0.0, f32::max);
        let budget = CONTENT_W * 0.5;
        if longest > budget * 0.6 {
            let smaller = ((size * budget / longest).min(size) * 10.0).floor() / 10.0;
            if smaller >= 5.5 {
                cell.size = smaller;
                nowrap[i] = true;
            }
        }
    }
    let pad_x = 4.0;
    let widths = column_widths(
        fonts,
        &ColumnTexts {
            header: &header,
            body: &body,
            totals: totals.as_ref(),
            nowrap: &nowrap,
        },
        &cells,
        head,
        pad_x,
    );
    let mut geo = TableGeometry {
        cells,
        head,
        leading: size * 1.3,
        pad_x,
        pad_y: 3.2,
        widths,
        right,
        header: Vec::new(),
        header_h: 0.0,
    };
    geo.header = header
        .iter()
        .zip(&geo.widths)
        .map(|(h, w)| fonts.wrap(h, head, w - 2.0 * pad_x))
        .collect();
    geo.header_h = geo.row_height(&geo.header);

    let title_lines = |text: &str| fonts.wrap(text, title_st, CONTENT_W);
    let note_st = style(7.5, Weight::Regular, MUTED);
    let note_w = geo.width().max(CONTENT_W * 0.6);
    let note_lines = table
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| fonts.wrap(n, note_st, note_w))
        .unwrap_or_default();
    // The note stays on the page of the last row.
    let tail = if note_lines.is_empty() {
        0.0
    } else {
        5.0 + note_lines.len() as f32 * 10.5
    };

    // The title, the header and the first row stay together.
    let first_title = title.map(title_lines).unwrap_or_default();
    let first_row_h = body
        .first()
        .map(|r| geo.row_height(&geo.wrap_row(fonts, r, false)))
        .unwrap_or(geo.leading + 2.0 * geo.pad_y);
    let head_block = first_title.len() as f32 * 14.0 + 3.0 + geo.header_h;
    lay.need(head_block + first_row_h.min(CONTENT_BOTTOM - CONTENT_TOP - head_block));
    draw_table_title(lay, &first_title, title_st);
    draw_table_header(lay, &geo);

    let continue_table = |lay: &mut Layout| {
        lay.line(
            (MARGIN_X, lay.y),
            (MARGIN_X + geo.width(), lay.y),
            0.6,
            RULE,
        );
        lay.new_page();
        draw_table_title(lay, &title_lines(&continued_title), title_st);
        draw_table_header(lay, &geo);
    };

    if body.is_empty() && totals.is_none() {
        let h = geo.leading + 2.0 * geo.pad_y;
        let mst = style(st.size, Weight::Regular, MUTED);
        lay.text(
            MARGIN_X + geo.pad_x,
            baseline(lay.y + geo.pad_y, mst.size, geo.leading),
            mst,
            labels.none,
        );
        lay.y += h;
    }

    let count = body.len() + usize::from(totals.is_some());
    let rows = body
        .iter()
        .map(|r| (r, false))
        .chain(totals.iter().map(|r| (r, true)));
    let mut rows_on_page = 0;
    for (index, (row, is_total)) in rows.enumerate() {
        let lines = geo.wrap_row(fonts, row, is_total);
        let total_lines = lines.iter().map(Vec::len).max().unwrap_or(1);
        let after = if index + 1 == count { tail } else { 0.0 };
        let mut from = 0;
        loop {
            let left = total_lines - from;
            let h = left as f32 * geo.leading + 2.0 * geo.pad_y;
            if !lay.fits(h + after) && rows_on_page > 0 {
                continue_table(lay);
                rows_on_page = 0;
                continue;
            }
            // At the top of a table part: as many lines as fit (all of them, unless the row is
            // taller than a page), at least one so the table always advances.
            let room = ((CONTENT_BOTTOM - lay.y - 2.0 * geo.pad_y) / geo.leading)
                .floor()
                .max(1.0) as usize;
            let take = left.min(room);
            let h = take as f32 * geo.leading + 2.0 * geo.pad_y;
            if is_total {
                lay.fill(MARGIN_X, lay.y, geo.width(), h, TOTAL_FILL);
                lay.line(
                    (MARGIN_X, lay.y),
                    (MARGIN_X + geo.width(), lay.y),
                    0.8,
                    AXIS,
                );
            } else if index % 2 == 1 {
                lay.fill(MARGIN_X, lay.y, geo.width(), h, ZEBRA);
            }
            for (col, cell_lines) in lines.iter().enumerate() {
                let cst = geo.cell_style(col, is_total);
                let x = geo.x_of(col);
                let w = geo.widths.get(col).copied().unwrap_or(0.0);
                for (i, line) in cell_lines.iter().skip(from).take(take).enumerate() {
                    let base = baseline(
                        lay.y + geo.pad_y + i as f32 * geo.leading,
                        cst.size,
                        geo.leading,
                    );
                    if geo.is_right(col) {
                        lay.text_right(x + w - geo.pad_x, base, cst, line);
                    } else {
                        lay.text(x + geo.pad_x, base, cst, line);
                    }
                }
            }
            lay.y += h;
            rows_on_page += 1;
            from += take;
            if from >= total_lines {
                break;
            }
            continue_table(lay);
            rows_on_page = 0;
        }
    }
    lay.line(
        (MARGIN_X, lay.y),
        (MARGIN_X + geo.width(), lay.y),
        0.8,
        AXIS,
    );
    lay.y += 5.0;
    for line in &note_lines {
        lay.need(10.5);
        lay.text(MARGIN_X, baseline(lay.y, note_st.size, 10.5), note_st, line);
        lay.y += 10.5;
    }
    lay.y += 14.0;
}

fn draw_table_title(lay: &mut Layout, lines: &[String], st: Style) {
    for line in lines {
        lay.text(MARGIN_X, baseline(lay.y, st.size, 14.0), st, line);
        lay.y += 14.0;
    }
    if !lines.is_empty() {
        lay.y += 3.0;
    }
}

fn draw_table_header(lay: &mut Layout, geo: &TableGeometry) {
    lay.fill(MARGIN_X, lay.y, geo.width(), geo.header_h, HEADER_FILL);
    for (col, lines) in geo.header.iter().enumerate() {
        let x = geo.x_of(col);
        let w = geo.widths.get(col).copied().unwrap_or(0.0);
        for (i, line) in lines.iter().enumerate() {
            let base = baseline(
                lay.y + geo.pad_y + i as f32 * geo.leading,
                geo.head.size,
                geo.leading,
            );
            if geo.is_right(col) {
                lay.text_right(x + w - geo.pad_x, base, geo.head, line);
            } else {
                lay.text(x + geo.pad_x, base, geo.head, line);
            }
        }
    }
    lay.y += geo.header_h;
}
