//! The key-figure cards: value, label, comparison and the progress bar toward a target.
//!
//! Draws on a `Layout`; the only arithmetic is how long a progress bar is. Must not touch
//! printpdf.

use super::fonts::{style, Weight};
use super::layout::{baseline, Layout};
use super::{ACCENT, ACCENT_DARK, BAR_TRACK, CONTENT_W, GOOD, INK, MARGIN_X, MUTED, RULE};
use crate::report::model::{format_cell, Cell, Figure, Kind, Report};
use crate::text::Lang;

/// Key figures as a list: indicator (with its note), value, and target with a progress bar
/// and the baseline.
pub(super) fn figures(lay: &mut Layout, report: &Report, figures: &[Figure]) {
    if figures.is_empty() {
        return;
    }
    let fonts = lay.fonts;
    let lang = report.meta.lang;
    let labels = &report.labels;
    let label_w = CONTENT_W * 0.47;
    let value_w = CONTENT_W * 0.17;
    let target_w = CONTENT_W - label_w - value_w;
    let (x_label, x_value, x_target) = (MARGIN_X, MARGIN_X + label_w, MARGIN_X + label_w + value_w);
    let head_st = style(7.5, Weight::Bold, MUTED);
    let label_st = style(9.5, Weight::Bold, INK);
    let note_st = style(7.5, Weight::Regular, MUTED);
    let value_st = style(14.0, Weight::Bold, ACCENT_DARK);
    let target_st = style(9.0, Weight::Regular, INK);
    let pad = 6.0;

    let header = |lay: &mut Layout| {
        let base = baseline(lay.y, head_st.size, 14.0);
        lay.text(
            x_label,
            base,
            head_st,
            &fonts.fit(labels.indicator, head_st, label_w - 8.0),
        );
        lay.text_right(
            x_value + value_w - 8.0,
            base,
            head_st,
            &fonts.fit(labels.value, head_st, value_w - 8.0),
        );
        lay.text(
            x_target + 14.0,
            base,
            head_st,
            &fonts.fit(labels.target, head_st, target_w - 14.0),
        );
        lay.y += 14.0;
        lay.line(
            (MARGIN_X, lay.y),
            (MARGIN_X + CONTENT_W, lay.y),
            0.8,
            ACCENT,
        );
    };
    lay.need(14.0 + 40.0);
    header(lay);

    for figure in figures {
        let label_lines = fonts.wrap(&figure.label, label_st, label_w - 8.0);
        let note_lines = match &figure.note {
            Some(note) if !note.trim().is_empty() => fonts.wrap(note, note_st, label_w - 8.0),
            _ => Vec::new(),
        };
        let value = &figure.value_text;
        // A value too wide for its column is drawn smaller rather than over its neighbour.
        let mut vst = value_st;
        while vst.size > 7.0 && fonts.width(value, vst) > value_w - 10.0 {
            vst.size -= 0.5;
        }
        let value_lines = fonts.wrap(value, vst, value_w - 10.0);
        let baseline_text = figure.baseline.map(|b| {
            format!(
                "{}: {}",
                labels.baseline,
                number_in_kind(b, figure.kind, lang)
            )
        });
        let baseline_lines = baseline_text
            .as_ref()
            .map(|t| fonts.wrap(t, note_st, target_w - 14.0))
            .unwrap_or_default();

        let left_h = label_lines.len() as f32 * 12.5 + note_lines.len() as f32 * 10.0;
        let value_h = value_lines.len() as f32 * (vst.size + 3.0);
        let target_h = 14.0 + baseline_lines.len() as f32 * 10.0;
        let row_h = left_h.max(value_h).max(target_h) + 2.0 * pad;
        if lay.need(row_h) {
            header(lay);
        }
        let top = lay.y + pad;
        let mut y = top;
        for line in &label_lines {
            lay.text(x_label, baseline(y, label_st.size, 12.5), label_st, line);
            y += 12.5;
        }
        for line in &note_lines {
            lay.text(x_label, baseline(y, note_st.size, 10.0), note_st, line);
            y += 10.0;
        }
        for (i, line) in value_lines.iter().enumerate() {
            lay.text_right(
                x_value + value_w - 8.0,
                top + vst.size * 0.95 + i as f32 * (vst.size + 3.0),
                vst,
                line,
            );
        }

        // Target: a progress bar and the target value.
        let bar_x = x_target + 14.0;
        match figure.target.filter(|t| t.is_finite()) {
            Some(target) => {
                let target_text = number_in_kind(target, figure.kind, lang);
                let tw = fonts.width(&target_text, target_st).min(target_w * 0.5);
                let bar_w = (target_w - 14.0 - tw - 10.0).max(20.0);
                let progress = progress(figure, target);
                lay.fill(bar_x, top + 2.0, bar_w, 8.0, BAR_TRACK);
                if let Some(p) = progress {
                    lay.fill(
                        bar_x,
                        top + 2.0,
                        bar_w * p as f32,
                        8.0,
                        if p >= 1.0 { GOOD } else { ACCENT },
                    );
                }
                let target_text = fonts.fit(&target_text, target_st, target_w * 0.5);
                lay.text(
                    bar_x + bar_w + 8.0,
                    baseline(top, target_st.size, 12.0),
                    target_st,
                    &target_text,
                );
            }
            None => lay.text(
                bar_x,
                baseline(top, target_st.size, 12.0),
                style(9.0, Weight::Regular, MUTED),
                "—",
            ),
        }
        for (i, line) in baseline_lines.iter().enumerate() {
            lay.text(
                bar_x,
                baseline(top + 14.0 + i as f32 * 10.0, note_st.size, 10.0),
                note_st,
                line,
            );
        }
        lay.y += row_h;
        lay.line((MARGIN_X, lay.y), (MARGIN_X + CONTENT_W, lay.y), 0.4, RULE);
    }
    lay.y += 16.0;
}

/// A target or baseline written like the figure's value.
fn number_in_kind(n: f64, kind: Kind, lang: Lang) -> String {
    format_cell(&Cell::Num(n), kind, lang)
}

/// How far the value has gone from the baseline (or zero) to the target, 0–1, for drawing
/// the progress bar; `None` when the value is not a number or the target is not reachable.
fn progress(figure: &Figure, target: f64) -> Option<f64> {
    let value = match figure.value {
        Cell::Int(i) => i as f64,
        Cell::Num(n) => n,
        _ => return None,
    };
    let from = figure.baseline.filter(|b| b.is_finite()).unwrap_or(0.0);
    let span = target - from;
    if !value.is_finite() || span.abs() < f64::EPSILON {
        return None;
    }
    let p = (value - from) / span;
    p.is_finite().then(|| p.clamp(0.0, 1.0))
}
