//! The document's order: cover, summary, contents, the sections with their figures, tables and
//! charts, data quality and annex; then the running header and footer once the page count is
//! known.
//!
//! Decides what goes where, drawing through `figures`, `tables` and `charts`. Must not touch
//! printpdf or format a value (every value arrives written by the model).

use super::charts::draw_chart;
use super::figures::figures;
use super::fonts::{style, Fonts, Weight};
use super::layout::{baseline, Item, Layout, Outline, Page};
use super::tables::draw_table;
use super::{
    ACCENT, ACCENT_DARK, CITY_YELLOW, CONTENT_BOTTOM, CONTENT_W, FOOTER_BASE, HEADER_BASE, INK,
    MARGIN_X, MUTED, PAGE_W, PT_PER_MM, RULE, WHITE,
};
use crate::report::model::{ChartKind, Report, Table};

/// Lays out the whole report: cover, summary, contents, sections, data quality, rejected rows
/// and annex, then the running header and footer (now that the page count is known).
pub(super) fn layout(report: &Report, fonts: &Fonts) -> (Vec<Page>, Outline) {
    let labels = &report.labels;
    let mut lay = Layout::new(fonts, report.meta.lang);
    let mut outline: Outline = Vec::new();
    // What an empty chart shows: the period has no data, or this chart has nothing (null).
    let empty_chart = if report.meta.has_data {
        "—"
    } else {
        labels.no_data
    };

    cover(&mut lay, report);

    lay.new_page();
    outline.push((labels.summary.to_string(), lay.page_index()));
    summary(&mut lay, report, empty_chart);

    // The contents go here, but their page numbers are only known once the rest is laid out.
    let contents_at = lay.pages.len();
    let mut body: Outline = Vec::new();
    for section in &report.sections {
        lay.new_page();
        body.push((section.title.clone(), lay.page_index()));
        lay.heading(&section.title);
        if !section.description.trim().is_empty() {
            lay.paragraph(
                MARGIN_X,
                CONTENT_W,
                style(9.5, Weight::Regular, INK),
                13.5,
                &section.description,
            );
            lay.y += 8.0;
        }
        figures(&mut lay, report, &section.figures);
        if let Some(chart) = &section.chart {
            // Horizontal bars take the height their categories need; the others a fixed box.
            let h = match chart.kind {
                ChartKind::Bar => (80.0 + 24.0 * chart.categories.len() as f32).clamp(140.0, 420.0),
                _ => 215.0,
            };
            lay.need(h + 14.0);
            let top = lay.y;
            draw_chart(&mut lay, chart, MARGIN_X, top, CONTENT_W, h, empty_chart);
            lay.y += h + 16.0;
        }
        for table in &section.tables {
            draw_table(
                &mut lay,
                report,
                table,
                Some(table.title.as_str()).filter(|t| !t.trim().is_empty()),
            );
        }
        let listings = report.followup.listings.iter();
        for listing in listings.filter(|l| l.section == section.id) {
            draw_table(
                &mut lay,
                report,
                &listing.table,
                Some(listing.table.title.as_str()),
            );
        }
        let sources_title = if section.sources.title.trim().is_empty() {
            labels.sources
        } else {
            section.sources.title.as_str()
        };
        draw_table(&mut lay, report, &section.sources, Some(sources_title));
    }

    lay.new_page();
    body.push((labels.quality.to_string(), lay.page_index()));
    lay.heading(labels.quality);
    draw_table(
        &mut lay,
        report,
        &report.quality,
        title_unless_heading(&report.quality, labels.quality),
    );
    lay.subheading(labels.silent);
    if report.silent.is_empty() {
        lay.paragraph(
            MARGIN_X,
            CONTENT_W,
            style(9.5, Weight::Regular, INK),
            13.5,
            labels.none,
        );
    } else {
        let st = style(9.5, Weight::Regular, INK);
        for name in &report.silent {
            let lines = fonts.wrap(name, st, CONTENT_W - 14.0);
            for (i, line) in lines.iter().enumerate() {
                lay.need(13.5);
                if i == 0 {
                    lay.text(MARGIN_X + 3.0, baseline(lay.y, st.size, 13.5), st, "•");
                }
                lay.text(MARGIN_X + 14.0, baseline(lay.y, st.size, 13.5), st, line);
                lay.y += 13.5;
            }
        }
    }
    for table in &report.followup.quality {
        lay.y += 10.0;
        draw_table(&mut lay, report, table, Some(table.title.as_str()));
    }
    lay.y += 18.0;

    lay.need(120.0);
    body.push((labels.rejected.to_string(), lay.page_index()));
    lay.heading(labels.rejected);
    draw_table(
        &mut lay,
        report,
        &report.rejected,
        title_unless_heading(&report.rejected, labels.rejected),
    );

    lay.new_page();
    body.push((labels.annex.to_string(), lay.page_index()));
    lay.heading(labels.annex);
    draw_table(
        &mut lay,
        report,
        &report.annex,
        title_unless_heading(&report.annex, labels.annex),
    );
    if let Some(annex) = &report.followup.annex {
        lay.new_page();
        body.push((annex.title.clone(), lay.page_index()));
        lay.heading(&annex.title);
        let st = style(9.5, Weight::Regular, INK);
        lay.paragraph(MARGIN_X, CONTENT_W, st, 13.5, &annex.description);
        lay.y += 8.0;
        for table in &annex.tables {
            draw_table(&mut lay, report, table, Some(table.title.as_str()));
        }
    }

    // Contents: laid out once to learn how many pages they take, then again with the final
    // page numbers (the count cannot change: numbers sit in a fixed-width column).
    let provisional = contents(fonts, report, &outline, &body);
    let shift = provisional.len();
    for entry in &mut body {
        if entry.1 >= contents_at {
            entry.1 += shift;
        }
    }
    let toc = contents(fonts, report, &outline, &body);
    outline.push((labels.contents.to_string(), contents_at));
    outline.extend(body);
    let mut pages = lay.pages;
    pages.splice(contents_at..contents_at, toc);

    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        if page.chrome {
            running_header_and_footer(fonts, report, page, i + 1, total);
        }
    }
    (pages, outline)
}

/// A table's own title, unless the heading right above it already says the same.
fn title_unless_heading<'t>(table: &'t Table, heading: &str) -> Option<&'t str> {
    let title = table.title.trim();
    if title.is_empty() || title.eq_ignore_ascii_case(heading.trim()) {
        None
    } else {
        Some(title)
    }
}

fn cover(lay: &mut Layout, report: &Report) {
    let meta = &report.meta;
    let labels = &report.labels;
    let fonts = lay.fonts;
    lay.pages.push(Page {
        items: Vec::new(),
        chrome: false,
    });

    let author_st = style(11.0, Weight::Regular, WHITE);
    let commitment_st = style(15.0, Weight::Bold, WHITE);
    let commitment = fonts.wrap_max(&meta.commitment, commitment_st, CONTENT_W, 10);
    let commitment_top = 40.0 * PT_PER_MM;
    let band_h =
        (commitment_top + commitment.len() as f32 * 20.0 + 14.0 * PT_PER_MM).max(82.0 * PT_PER_MM);
    lay.fill(0.0, 0.0, PAGE_W, band_h, ACCENT_DARK);
    lay.fill(0.0, band_h, PAGE_W, 2.5 * PT_PER_MM, CITY_YELLOW);
    for (i, line) in fonts
        .wrap_max(&meta.author, author_st, CONTENT_W, 2)
        .iter()
        .enumerate()
    {
        lay.text(
            MARGIN_X,
            24.0 * PT_PER_MM + i as f32 * 15.0,
            author_st,
            line,
        );
    }
    for (i, line) in commitment.iter().enumerate() {
        lay.text(
            MARGIN_X,
            commitment_top + i as f32 * 20.0,
            commitment_st,
            line,
        );
    }

    lay.y = band_h + 30.0 * PT_PER_MM;
    lay.paragraph(
        MARGIN_X,
        CONTENT_W,
        style(24.0, Weight::Bold, INK),
        31.0,
        &meta.title,
    );
    lay.y += 8.0;
    lay.paragraph(
        MARGIN_X,
        CONTENT_W,
        style(15.0, Weight::Regular, ACCENT),
        20.0,
        &meta.period_label,
    );
    lay.y += 6.0;
    lay.paragraph(
        MARGIN_X,
        CONTENT_W,
        style(10.5, Weight::Regular, MUTED),
        14.5,
        &meta.subject,
    );
    lay.y += 14.0;
    if !meta.has_data {
        lay.notice(labels.no_data);
    }

    // Who, when and from which data: at the foot of the cover.
    let rows = [
        (&labels.period, meta.period_label.clone()),
        (&labels.issued, crate::text::date(meta.issued_on, meta.lang)),
        (&labels.data_version, meta.data_version.clone()),
    ];
    let label_st = style(9.0, Weight::Regular, MUTED);
    let value_st = style(10.5, Weight::Bold, INK);
    let label_w = rows
        .iter()
        .map(|(l, _)| fonts.natural_width(l, label_st))
        .fold(0.0, f32::max)
        .min(CONTENT_W * 0.4)
        + 14.0;
    let block_h: f32 = rows
        .iter()
        .map(|(_, v)| fonts.wrap(v, value_st, CONTENT_W - label_w).len() as f32 * 15.0 + 6.0)
        .sum();
    lay.y = lay.y.max(CONTENT_BOTTOM - block_h - 12.0);
    lay.need(block_h + 12.0);
    lay.line(
        (MARGIN_X, lay.y),
        (MARGIN_X + CONTENT_W, lay.y),
        0.8,
        ACCENT,
    );
    lay.y += 10.0;
    for (label, value) in rows {
        let top = lay.y;
        for (i, line) in fonts
            .wrap(label, label_st, label_w - 14.0)
            .iter()
            .enumerate()
        {
            lay.text(
                MARGIN_X,
                baseline(top + i as f32 * 15.0, label_st.size, 15.0),
                label_st,
                line,
            );
        }
        lay.paragraph(
            MARGIN_X + label_w,
            CONTENT_W - label_w,
            value_st,
            15.0,
            &value,
        );
        lay.y += 6.0;
    }
}

fn summary(lay: &mut Layout, report: &Report, empty_chart: &str) {
    let meta = &report.meta;
    lay.heading(report.labels.summary);
    lay.paragraph(
        MARGIN_X,
        CONTENT_W,
        style(10.0, Weight::Regular, MUTED),
        14.0,
        &format!("{} — {}", meta.commitment, meta.period_label),
    );
    lay.y += 10.0;
    if !meta.has_data {
        lay.notice(report.labels.no_data);
    }
    figures(lay, report, &report.summary);

    // The summary charts in a grid of two columns, as tall as the rest of the page allows.
    let charts = &report.summary_charts;
    if charts.is_empty() {
        return;
    }
    let gap = 10.0;
    let rows = charts.len().div_ceil(2);
    let cell_w = (CONTENT_W - gap) / 2.0;
    let height_for = |room: f32| ((room - gap * (rows as f32 - 1.0)) / rows as f32).min(250.0);
    let mut cell_h = height_for(CONTENT_BOTTOM - lay.y);
    if cell_h < 170.0 {
        lay.new_page();
        cell_h = height_for(CONTENT_BOTTOM - lay.y).max(170.0);
    }
    for (row, pair) in charts.chunks(2).enumerate() {
        if row > 0 {
            lay.y += gap;
        }
        lay.need(cell_h);
        for (col, chart) in pair.iter().enumerate() {
            let x = MARGIN_X + col as f32 * (cell_w + gap);
            let top = lay.y;
            draw_chart(lay, chart, x, top, cell_w, cell_h, empty_chart);
        }
        lay.y += cell_h;
    }
}

/// The contents page(s): one line per part with its page number.
fn contents(fonts: &Fonts, report: &Report, head: &Outline, body: &Outline) -> Vec<Page> {
    let mut lay = Layout::new(fonts, report.meta.lang);
    lay.new_page();
    lay.heading(report.labels.contents);
    let st = style(10.5, Weight::Regular, INK);
    let number_w = 40.0;
    for (title, page) in head.iter().chain(body) {
        let lines = fonts.wrap(title, st, CONTENT_W - number_w - 20.0);
        lay.need(lines.len() as f32 * 15.0 + 6.0);
        let mut end_x = MARGIN_X;
        for line in &lines {
            lay.text(MARGIN_X, baseline(lay.y, st.size, 15.0), st, line);
            end_x = MARGIN_X + fonts.width(line, st);
            lay.y += 15.0;
        }
        let base = baseline(lay.y - 15.0, st.size, 15.0);
        let number = (page + 1).to_string();
        let number_x = MARGIN_X + CONTENT_W - fonts.width(&number, st);
        if number_x - 6.0 > end_x + 6.0 {
            lay.push(Item::Stroke {
                points: vec![(end_x + 6.0, base), (number_x - 6.0, base)],
                width: 0.6,
                colour: RULE,
                dashed: true,
            });
        }
        lay.text(number_x, base, st, &number);
        lay.y += 6.0;
    }
    lay.pages
}

fn running_header_and_footer(
    fonts: &Fonts,
    report: &Report,
    page: &mut Page,
    number: usize,
    total: usize,
) {
    let meta = &report.meta;
    let labels = &report.labels;
    let st = style(7.5, Weight::Regular, MUTED);
    let right = MARGIN_X + CONTENT_W;

    let period = fonts.fit(
        &format!("{}: {}", labels.period, meta.period_label),
        st,
        CONTENT_W * 0.45,
    );
    let period_w = fonts.width(&period, st);
    let left = fonts.fit(&meta.commitment, st, CONTENT_W - period_w - 18.0);
    let mut items = vec![
        Item::Text {
            x: MARGIN_X,
            y: HEADER_BASE,
            angle: 0.0,
            style: st,
            text: left,
        },
        Item::Text {
            x: right - period_w,
            y: HEADER_BASE,
            angle: 0.0,
            style: st,
            text: period,
        },
        Item::Stroke {
            points: vec![(MARGIN_X, HEADER_BASE + 4.0), (right, HEADER_BASE + 4.0)],
            width: 0.4,
            colour: RULE,
            dashed: false,
        },
        Item::Stroke {
            points: vec![(MARGIN_X, FOOTER_BASE - 10.0), (right, FOOTER_BASE - 10.0)],
            width: 0.4,
            colour: RULE,
            dashed: false,
        },
    ];
    // «{title} · Página N de M»: the title gives way if the line is too long, the page never.
    let page_part = format!(" · {} {} {} {}", labels.page, number, labels.of, total);
    let page_w = fonts.width(&page_part, st);
    let footer = format!(
        "{}{}",
        fonts.fit(&meta.title, st, CONTENT_W - page_w),
        page_part
    );
    let footer = fonts.regular.clean(&footer);
    let footer_w = fonts.width(&footer, st);
    items.push(Item::Text {
        x: MARGIN_X + (CONTENT_W - footer_w) / 2.0,
        y: FOOTER_BASE,
        angle: 0.0,
        style: st,
        text: footer,
    });
    page.items.extend(items);
}
