//! Stacked columns: one column per category (a month), its series (the states) stacked from
//! the bottom in legend order, the column's total above it when there is room.
//!
//! Draws on a `Layout` inside the box `charts::draw_chart` leaves after the title and the
//! legend; the only arithmetic is geometry. Must not touch printpdf.

use super::charts::{Axis, PlotBox, ValueAxis};
use super::fonts::{style, Weight};
use super::layout::Layout;
use super::{AXIS, INK, SERIES};
use crate::report::followup_text::format_number;
use crate::report::model::Chart;

/// Each category's total of the series (what the axis must reach).
pub(super) fn totals(chart: &Chart) -> Vec<f64> {
    (0..chart.categories.len())
        .map(|j| {
            chart
                .series
                .iter()
                .filter_map(|s| s.values.get(j))
                .filter(|v| v.is_finite() && **v > 0.0)
                .sum()
        })
        .collect()
}

/// Draws the stacked columns on `axis` in `b`.
pub(super) fn draw(lay: &mut Layout, chart: &Chart, axis: &Axis, b: PlotBox) {
    let fonts = lay.fonts;
    let lang = lay.lang;
    let n = chart.categories.len();
    if n == 0 {
        return;
    }
    let values = ValueAxis::new(lay, axis, b);
    let (plot_x, plot_w) = (values.plot_x, values.plot_w);
    let slot = plot_w / n as f32;
    let cat_st = style(6.5, Weight::Regular, INK);
    // Every label when they fit their slot, else every k-th one (months read in order).
    let widest = chart
        .categories
        .iter()
        .map(|c| fonts.width(c, cat_st))
        .fold(0.0, f32::max);
    let every = ((widest + 4.0) / slot).ceil().max(1.0) as usize;
    let plot_top = b.y + 10.0;
    let plot_bottom = b.y + b.h - 12.0;
    let plot_h = plot_bottom - plot_top;
    if plot_h < 20.0 {
        return;
    }
    let y_of = |v: f64| plot_bottom - axis.frac(v) * plot_h;
    values.draw_ticks(lay, axis, y_of);
    let bar_w = (slot * 0.72).min(40.0);
    let total_st = style(6.0, Weight::Regular, INK);
    let sums = totals(chart);
    for j in 0..n {
        let bx = plot_x + j as f32 * slot + (slot - bar_w) / 2.0;
        let mut base = 0.0;
        for (k, series) in chart.series.iter().enumerate() {
            let Some(v) = series
                .values
                .get(j)
                .copied()
                .filter(|v| v.is_finite() && *v > 0.0)
            else {
                continue;
            };
            let (y1, y2) = (y_of(base + v), y_of(base));
            lay.fill(bx, y1, bar_w, (y2 - y1).max(0.3), SERIES[k % SERIES.len()]);
            base += v;
        }
        let total = sums.get(j).copied().unwrap_or(0.0);
        let text = format_number(total, 0, lang);
        if total > 0.0 && fonts.width(&text, total_st) <= slot {
            lay.text_center(bx + bar_w / 2.0, y_of(total) - 2.5, total_st, &text);
        }
        if j % every == 0 {
            if let Some(c) = chart.categories.get(j) {
                lay.text_center(bx + bar_w / 2.0, plot_bottom + 9.0, cat_st, c);
            }
        }
    }
    lay.line((plot_x, y_of(0.0)), (plot_x + plot_w, y_of(0.0)), 0.8, AXIS);
}
