//! Bar and line charts drawn as boxes and lines: axis with round steps, vertical and horizontal
//! bars, legend, value labels, a target line, and a note for a chart without data.
//!
//! Draws on a `Layout`; the only arithmetic is geometry. Must not touch printpdf.

use super::fonts::{style, Fonts, Style, Weight};
use super::layout::{baseline, Item, Layout};
use super::{AXIS, GRID, INK, MUTED, RULE, SERIES, TARGET, WHITE};
use crate::report::model::{Chart, ChartKind};
use crate::text::{number as format_number, Lang};

/// A value axis with round tick values.
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    pub(super) ticks: Vec<f64>,
    pub(super) places: u8,
}

impl Axis {
    /// An axis from `lo` to `hi` (which include zero) with about five round ticks; whole
    /// steps when the values are whole (counts are never drawn against «0,25»).
    pub(super) fn new(lo: f64, hi: f64, whole: bool) -> Axis {
        let (lo, hi) = if hi - lo > 0.0 && (hi - lo).is_finite() {
            (lo, hi)
        } else {
            (lo.min(0.0), lo.max(0.0) + 1.0)
        };
        let raw = (hi - lo) / 4.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
            .iter()
            .map(|m| m * magnitude)
            .filter(|s| !whole || (*s >= 1.0 && s.fract() == 0.0))
            .find(|s| *s >= raw)
            .unwrap_or(if whole {
                raw.ceil().max(1.0)
            } else {
                10.0 * magnitude
            });
        let (lo2, hi2) = ((lo / step).floor() * step, (hi / step).ceil() * step);
        let count = ((hi2 - lo2) / step).round();
        if !(step > 0.0 && count.is_finite() && (1.0..=20.0).contains(&count)) {
            return Axis {
                lo,
                hi,
                ticks: vec![lo, hi],
                places: 2,
            };
        }
        let ticks = (0..=count as usize)
            .map(|i| lo2 + i as f64 * step)
            .collect();
        // Enough decimals for the step (0.25 needs two).
        let places = (0..=4u8).find(|p| {
            let scaled = step * 10f64.powi(i32::from(*p));
            (scaled - scaled.round()).abs() < 1e-6
        });
        Axis {
            lo: lo2,
            hi: hi2,
            ticks,
            places: places.unwrap_or(4),
        }
    }

    /// Where `v` falls between `lo` (0) and `hi` (1).
    pub(super) fn frac(&self, v: f64) -> f32 {
        ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0) as f32
    }
}

/// Decimals for a chart's value labels: none when every value is whole.
fn value_places(values: &[f64]) -> u8 {
    if values.iter().all(|v| (v - v.round()).abs() < 1e-9) {
        0
    } else if values.iter().all(|v| v.abs() < 10.0) {
        2
    } else {
        1
    }
}

/// Draws a chart in the box (`x`, `y`, `w`, `h`): a frame, the title, the legend when there
/// is more than one series, gridlines with tick values, value labels, category labels and the
/// target line with its label. An empty chart shows `empty`.
pub(super) fn draw_chart(
    lay: &mut Layout,
    chart: &Chart,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    empty: &str,
) {
    let fonts = lay.fonts;
    lay.frame(x, y, w, h, 0.5, RULE);
    let pad = 9.0;
    let (ix, iw) = (x + pad, w - 2.0 * pad);
    let mut top = y + pad;
    let bottom = y + h - pad;

    if !chart.title.trim().is_empty() {
        let st = style(9.0, Weight::Bold, INK);
        for line in fonts.wrap_max(&chart.title, st, iw, 2) {
            lay.text(ix, baseline(top, st.size, 12.0), st, &line);
            top += 12.0;
        }
        top += 4.0;
    }
    let n = chart.categories.len();
    if chart.series.len() > 1 {
        top = legend(lay, chart, ix, top, iw) + 4.0;
    }
    let values: Vec<f64> = if chart.kind == ChartKind::StackedColumn {
        super::stacked::totals(chart)
    } else {
        chart
            .series
            .iter()
            .flat_map(|s| s.values.iter().take(n))
            .copied()
            .filter(|v| v.is_finite())
            .collect()
    };
    let target = chart.target.filter(|t| t.is_finite());
    if n == 0 || values.is_empty() || bottom - top < 40.0 {
        let st = style(9.0, Weight::Regular, MUTED);
        for (i, line) in lay.fonts.wrap(empty, st, iw).iter().enumerate() {
            lay.text_center(
                x + w / 2.0,
                (top + bottom) / 2.0 + i as f32 * 12.0,
                st,
                line,
            );
        }
        return;
    }
    let lo = values.iter().copied().chain(target).fold(0.0, f64::min);
    let hi = values.iter().copied().chain(target).fold(0.0, f64::max);
    let places = value_places(&values);
    let axis = Axis::new(
        lo,
        hi,
        places == 0 && target.is_none_or(|t| t.fract() == 0.0),
    );
    let plot = PlotBox {
        x: ix,
        y: top,
        w: iw,
        h: bottom - top,
    };
    match chart.kind {
        ChartKind::Column | ChartKind::Line => {
            vertical_chart(lay, chart, &axis, places, target, plot)
        }
        ChartKind::Bar => horizontal_chart(lay, chart, &axis, places, target, plot),
        ChartKind::StackedColumn => super::stacked::draw(lay, chart, &axis, plot),
    }
}

/// The area a chart's axes and marks may use.
#[derive(Clone, Copy)]
pub(super) struct PlotBox {
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) w: f32,
    pub(super) h: f32,
}

/// The value axis of a vertical chart (columns, a line, stacked columns): its tick labels,
/// measured, and the plot's horizontal extent to their right.
pub(super) struct ValueAxis {
    labels: Vec<String>,
    style: Style,
    /// Where the plot starts, right of the labels.
    pub(super) plot_x: f32,
    /// The plot's width.
    pub(super) plot_w: f32,
}

impl ValueAxis {
    pub(super) fn new(lay: &Layout, axis: &Axis, b: PlotBox) -> ValueAxis {
        let style = style(6.5, Weight::Regular, MUTED);
        let labels: Vec<String> = axis
            .ticks
            .iter()
            .map(|t| format_number(*t, axis.places, lay.lang))
            .collect();
        let axis_w = labels
            .iter()
            .map(|t| lay.fonts.width(t, style))
            .fold(0.0, f32::max)
            + 5.0;
        ValueAxis {
            labels,
            style,
            plot_x: b.x + axis_w,
            plot_w: (b.w - axis_w - 2.0).max(10.0),
        }
    }

    /// A grid line and its label at every tick, `y_of` placing a value.
    pub(super) fn draw_ticks(&self, lay: &mut Layout, axis: &Axis, y_of: impl Fn(f64) -> f32) {
        for (t, label) in axis.ticks.iter().zip(&self.labels) {
            let yy = y_of(*t);
            lay.line(
                (self.plot_x, yy),
                (self.plot_x + self.plot_w, yy),
                0.4,
                GRID,
            );
            lay.text_right(self.plot_x - 4.0, yy + 2.3, self.style, label);
        }
    }
}

/// The series' legend: a colour swatch and the name of each, wrapping; returns the y below.
fn legend(lay: &mut Layout, chart: &Chart, x: f32, y: f32, w: f32) -> f32 {
    let st = style(7.0, Weight::Regular, INK);
    let (mut cx, mut cy) = (x, y);
    for (k, series) in chart.series.iter().enumerate() {
        let name = lay.fonts.fit(&series.name, st, w - 12.0);
        let item_w = 10.0 + lay.fonts.width(&name, st) + 10.0;
        if cx > x && cx + item_w > x + w {
            cx = x;
            cy += 10.0;
        }
        lay.fill(cx, cy + 1.5, 7.0, 7.0, SERIES[k % SERIES.len()]);
        lay.text(cx + 10.0, baseline(cy, st.size, 10.0), st, &name);
        cx += item_w;
    }
    cy + 10.0
}

/// Columns or a line over the categories, values upwards.
fn vertical_chart(
    lay: &mut Layout,
    chart: &Chart,
    axis: &Axis,
    places: u8,
    target: Option<f64>,
    b: PlotBox,
) {
    let fonts = lay.fonts;
    let lang = lay.lang;
    let n = chart.categories.len();
    let values = ValueAxis::new(lay, axis, b);
    let (plot_x, plot_w) = (values.plot_x, values.plot_w);
    let slot = plot_w / n as f32;

    // Category labels: across, on up to two lines, when they fit their slot; otherwise
    // slanted at 45° and shortened.
    let cat_st = style(7.0, Weight::Regular, INK);
    let across: Vec<Vec<String>> = chart
        .categories
        .iter()
        .map(|c| fonts.wrap(c, cat_st, slot - 2.0))
        .collect();
    let fits_across = chart
        .categories
        .iter()
        .zip(&across)
        .all(|(c, lines)| lines.len() <= 2 && fonts.longest_atom(c, cat_st) <= slot - 2.0);
    let slant_len = chart
        .categories
        .iter()
        .map(|c| fonts.natural_width(c, cat_st))
        .fold(0.0, f32::max)
        .min(b.h * 0.3)
        .min(70.0);
    let cat_h = if fits_across {
        across.iter().map(Vec::len).max().unwrap_or(1) as f32 * 8.5 + 5.0
    } else {
        slant_len * std::f32::consts::FRAC_1_SQRT_2 + 10.0
    };

    let plot_top = b.y + 10.0;
    let plot_bottom = b.y + b.h - cat_h;
    let plot_h = plot_bottom - plot_top;
    if plot_h < 20.0 {
        return;
    }
    let y_of = |v: f64| plot_bottom - axis.frac(v) * plot_h;

    values.draw_ticks(lay, axis, y_of);
    let zero = y_of(0.0);
    lay.line((plot_x, zero), (plot_x + plot_w, zero), 0.8, AXIS);

    let nseries = chart.series.len().max(1);
    let value_of = |k: usize, j: usize| {
        chart
            .series
            .get(k)
            .and_then(|s| s.values.get(j))
            .copied()
            .filter(|v| v.is_finite())
    };
    let label_room = if chart.kind == ChartKind::Column {
        slot * 0.95 / nseries as f32
    } else {
        slot * 0.95
    };
    let label_st = value_label_style(fonts, chart, places, lang, label_room, nseries);

    match chart.kind {
        ChartKind::Line => {
            for (k, _) in chart.series.iter().enumerate() {
                let colour = SERIES[k % SERIES.len()];
                let points: Vec<(f32, f32)> = (0..n)
                    .filter_map(|j| {
                        value_of(k, j).map(|v| (plot_x + (j as f32 + 0.5) * slot, y_of(v)))
                    })
                    .collect();
                if points.len() > 1 {
                    lay.push(Item::Stroke {
                        points: points.clone(),
                        width: 1.8,
                        colour,
                        dashed: false,
                    });
                }
                for (px, py) in &points {
                    lay.push(Item::Shape {
                        points: circle(*px, *py, 2.6),
                        colour,
                    });
                }
                if let Some(lst) = label_st {
                    for j in 0..n {
                        if let Some(v) = value_of(k, j) {
                            let (px, py) = (plot_x + (j as f32 + 0.5) * slot, y_of(v));
                            lay.text_center(px, py - 5.0, lst, &format_number(v, places, lang));
                        }
                    }
                }
            }
        }
        _ => {
            // A few categories on a wide chart: columns stay columns, not slabs.
            let group = (slot * 0.72).min(44.0 * nseries as f32);
            let bar_w = group / nseries as f32;
            for j in 0..n {
                for k in 0..nseries {
                    let Some(v) = value_of(k, j) else { continue };
                    let bx = plot_x + j as f32 * slot + (slot - group) / 2.0 + k as f32 * bar_w;
                    let (y1, y2) = (y_of(v.max(0.0)), y_of(v.min(0.0)));
                    lay.fill(
                        bx + 0.3,
                        y1,
                        (bar_w - 0.6).max(0.3),
                        y2 - y1,
                        SERIES[k % SERIES.len()],
                    );
                    if let Some(lst) = label_st {
                        let label_y = if v >= 0.0 {
                            y1 - 2.5
                        } else {
                            y2 + lst.size + 1.5
                        };
                        lay.text_center(
                            bx + bar_w / 2.0,
                            label_y,
                            lst,
                            &format_number(v, places, lang),
                        );
                    }
                }
            }
        }
    }

    for (j, category) in chart.categories.iter().enumerate() {
        let cx = plot_x + (j as f32 + 0.5) * slot;
        if fits_across {
            for (i, line) in across.get(j).into_iter().flatten().enumerate() {
                lay.text_center(cx, plot_bottom + 10.0 + i as f32 * 8.5, cat_st, line);
            }
        } else {
            let text = fonts.fit(category, cat_st, slant_len);
            let len = fonts.width(&text, cat_st);
            let d = std::f32::consts::FRAC_1_SQRT_2;
            // The label ends just under its tick and runs down to the left.
            lay.text_at(
                cx - len * d + 2.5,
                plot_bottom + 6.0 + len * d,
                45.0,
                cat_st,
                &text,
            );
        }
    }

    if let Some(t) = target {
        let yy = y_of(t);
        lay.dashed((plot_x, yy), (plot_x + plot_w, yy), 1.0, TARGET);
        let label = chart
            .target_label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| format_number(t, places, lang));
        let st = style(7.0, Weight::Bold, TARGET);
        let label = fonts.fit(&label, st, plot_w * 0.6);
        let lw = fonts.width(&label, st);
        let base = if yy - plot_top > 10.0 {
            yy - 3.0
        } else {
            yy + 9.0
        };
        let lx = plot_x + plot_w - lw - 3.0;
        lay.fill(lx - 2.0, base - 7.0, lw + 4.0, 9.0, WHITE);
        lay.text(lx, base, st, &label);
    }
}

/// Horizontal bars: categories down the left, values to the right.
fn horizontal_chart(
    lay: &mut Layout,
    chart: &Chart,
    axis: &Axis,
    places: u8,
    target: Option<f64>,
    b: PlotBox,
) {
    let fonts = lay.fonts;
    let lang = lay.lang;
    let n = chart.categories.len();
    let nseries = chart.series.len().max(1);
    let tick_st = style(6.5, Weight::Regular, MUTED);
    let value_of = |k: usize, j: usize| {
        chart
            .series
            .get(k)
            .and_then(|s| s.values.get(j))
            .copied()
            .filter(|v| v.is_finite())
    };

    let target_room = if target.is_some() { 11.0 } else { 0.0 };
    let plot_top = b.y + target_room;
    let plot_bottom = b.y + b.h - 12.0;
    let plot_h = plot_bottom - plot_top;
    if plot_h < 20.0 {
        return;
    }
    let slot = plot_h / n as f32;
    let cat_size = (slot * 0.8).clamp(4.0, 7.0);
    let cat_st = style(cat_size, Weight::Regular, INK);
    let label_w = chart
        .categories
        .iter()
        .map(|c| fonts.natural_width(c, cat_st))
        .fold(0.0, f32::max)
        .min(b.w * 0.36);
    let max_lines = if slot >= 2.0 * (cat_size + 1.5) { 2 } else { 1 };

    let band = (slot * 0.66).min(18.0 * nseries as f32);
    let bar_h = band / nseries as f32;
    let value_st = style((bar_h * 0.9).clamp(4.5, 6.5), Weight::Regular, INK);
    let value_w = (0..nseries)
        .flat_map(|k| (0..n).filter_map(move |j| value_of(k, j)))
        .map(|v| fonts.width(&format_number(v, places, lang), value_st))
        .fold(0.0, f32::max);
    let plot_x = b.x + label_w + 6.0;
    let plot_w = b.w - label_w - 6.0 - value_w - 6.0;
    if plot_w < 20.0 {
        return;
    }
    let x_of = |v: f64| plot_x + axis.frac(v) * plot_w;

    for t in &axis.ticks {
        let xx = x_of(*t);
        lay.line((xx, plot_top), (xx, plot_bottom), 0.4, GRID);
        lay.text_center(
            xx,
            plot_bottom + 9.0,
            tick_st,
            &format_number(*t, axis.places, lang),
        );
    }
    let zero = x_of(0.0);
    lay.line((zero, plot_top), (zero, plot_bottom), 0.8, AXIS);

    for (j, category) in chart.categories.iter().enumerate() {
        let band_top = plot_top + j as f32 * slot;
        let lines = fonts.wrap_max(category, cat_st, label_w, max_lines);
        let leading = cat_size + 1.5;
        let first = band_top + (slot - lines.len() as f32 * leading) / 2.0;
        for (i, line) in lines.iter().enumerate() {
            lay.text_right(
                plot_x - 5.0,
                baseline(first + i as f32 * leading, cat_size, leading),
                cat_st,
                line,
            );
        }
        for k in 0..nseries {
            let Some(v) = value_of(k, j) else { continue };
            let by = band_top + (slot - band) / 2.0 + k as f32 * bar_h;
            let (x1, x2) = (x_of(v.min(0.0)), x_of(v.max(0.0)));
            lay.fill(
                x1,
                by + 0.3,
                x2 - x1,
                (bar_h - 0.6).max(0.3),
                SERIES[k % SERIES.len()],
            );
            if bar_h >= 4.0 {
                let text = format_number(v, places, lang);
                let base = baseline(by, value_st.size, bar_h);
                if v >= 0.0 {
                    lay.text(x2 + 3.0, base, value_st, &text);
                } else {
                    lay.text_right(x1 - 3.0, base, value_st, &text);
                }
            }
        }
    }

    if let Some(t) = target {
        let xx = x_of(t);
        lay.dashed((xx, plot_top - 2.0), (xx, plot_bottom), 1.0, TARGET);
        let label = chart
            .target_label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| format_number(t, places, lang));
        let st = style(7.0, Weight::Bold, TARGET);
        let label = fonts.fit(&label, st, b.w * 0.6);
        let lw = fonts.width(&label, st);
        let lx = (xx - lw / 2.0).clamp(b.x, b.x + b.w - lw);
        lay.text(lx, plot_top - 4.0, st, &label);
    }
}

/// The style for value labels over columns or points, smaller if needed to fit `room`;
/// `None` when even the smallest size would overlap (labels are then left out, all of them).
fn value_label_style(
    fonts: &Fonts,
    chart: &Chart,
    places: u8,
    lang: Lang,
    room: f32,
    nseries: usize,
) -> Option<Style> {
    if chart.kind == ChartKind::Line && nseries > 1 {
        return None;
    }
    let labels: Vec<String> = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter())
        .filter(|v| v.is_finite())
        .map(|v| format_number(*v, places, lang))
        .collect();
    [6.5, 6.0, 5.5, 5.0]
        .into_iter()
        .map(|size| style(size, Weight::Regular, INK))
        .find(|st| labels.iter().all(|l| fonts.width(l, *st) <= room))
}

/// A filled circle as a polygon (fine enough for a 3-point marker).
fn circle(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
    (0..16)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / 16.0;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}
