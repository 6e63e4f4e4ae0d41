//! The follow-up's web pages of a period, beside its files: the follow-up page
//! (`<file_stem>-seguimiento.html`: the period's instances with their results, the stages of
//! the initiatives month by month, the changes of the period, the list of comunas) and a page
//! per comuna (`<file_stem>-comuna-<n>.html`: each initiative with its trajectory), so a
//! neighbour can follow the project they voted for.
//!
//! Static HTML without script, like the index: every value arrives written by the model
//! (`format_cell`), every word in `report.followup.pages`. Must not read the store.

use std::path::Path;

use super::files::write_bytes;
use super::index::STYLE;
use super::resumen::PublishedPage;
use crate::report::model::{format_cell, Cell, Kind, Pages, Report, Table};
use crate::report::ReportError;
use crate::text::html_escape as esc;

const HTML_MEDIATYPE: &str = "text/html";

/// The follow-up page's file name.
fn page_name(stem: &str) -> String {
    format!("{stem}-seguimiento.html")
}

/// A comuna page's file name.
fn comuna_name(stem: &str, comuna: i64) -> String {
    format!("{stem}-comuna-{comuna}.html")
}

/// Writes the follow-up page and the comuna pages into `dir`; the follow-up page first.
pub(super) fn write_pages(dir: &Path, report: &Report) -> Result<Vec<PublishedPage>, ReportError> {
    let Some(pages) = &report.followup.pages else {
        return Ok(Vec::new());
    };
    let stem = &report.meta.file_stem;
    let tag = report.meta.lang.tag();
    let mut out = Vec::new();
    let main = page_name(stem);
    let html = follow_up_page(report, pages, tag);
    out.push(PublishedPage {
        file: write_bytes(dir, &main, html.as_bytes(), HTML_MEDIATYPE)?,
        title: pages.link_text.clone(),
    });
    for c in &pages.comunas {
        let mut h = head(tag, &c.title);
        h.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n<h1>{}</h1>\n<p>{}</p>\n",
            esc(&main),
            esc(&pages.title),
            esc(&c.title),
            esc(&c.description)
        ));
        for (i, item) in c.items.iter().enumerate() {
            h.push_str(&format!(
                "<section aria-labelledby=\"i{i}\">\n<h2 id=\"i{i}\">{}</h2>\n<dl>\n",
                esc(&item.title)
            ));
            for (label, value) in &item.facts {
                h.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(label), esc(value)));
            }
            h.push_str("</dl>\n");
            table_html(&mut h, &item.steps, report);
            h.push_str("</section>\n");
        }
        h.push_str("</main>\n</body>\n</html>\n");
        let name = comuna_name(stem, c.comuna);
        out.push(PublishedPage {
            file: write_bytes(dir, &name, h.as_bytes(), HTML_MEDIATYPE)?,
            title: c.title.clone(),
        });
    }
    Ok(out)
}

fn head(tag: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}dl{{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}}dd{{margin:0}}</style>\n\
</head>\n<body>\n<main>\n",
        esc(tag),
        esc(title)
    )
}

fn follow_up_page(report: &Report, pages: &Pages, tag: &str) -> String {
    let stem = &report.meta.file_stem;
    let mut h = head(tag, &pages.title);
    h.push_str(&format!(
        "<p><a href=\"../index.html\">{}</a></p>\n<h1>{}</h1>\n<p>{}</p>\n<p class=\"note\">{}</p>\n",
        esc(&pages.back),
        esc(&pages.title),
        esc(&pages.description),
        esc(&pages.search_hint)
    ));
    if !pages.comunas.is_empty() {
        h.push_str(&format!(
            "<nav aria-labelledby=\"comunas\">\n<h2 id=\"comunas\">{}</h2>\n<ul>\n",
            esc(&pages.comunas_title)
        ));
        for c in &pages.comunas {
            h.push_str(&format!(
                "<li><a href=\"{}\">{}</a> <span class=\"note\">({})</span></li>\n",
                esc(&comuna_name(stem, c.comuna)),
                esc(&c.title),
                c.items.len()
            ));
        }
        h.push_str("</ul>\n</nav>\n");
    }
    for (i, table) in pages.tables.iter().enumerate() {
        h.push_str(&format!("<h2 id=\"t{i}\">{}</h2>\n", esc(&table.title)));
        table_html(&mut h, table, report);
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// A table with its header, rows, totals and note; numbers right-aligned.
fn table_html(h: &mut String, table: &Table, report: &Report) {
    let lang = report.meta.lang;
    h.push_str("<table>\n<thead>\n<tr>");
    for c in &table.columns {
        h.push_str(&format!("<th scope=\"col\">{}</th>", esc(&c.title)));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    let row = |h: &mut String, cells: &[Cell]| {
        h.push_str("<tr>");
        for (cell, column) in cells.iter().zip(&table.columns) {
            let numeric = matches!(
                (cell, column.kind),
                (Cell::Int(_) | Cell::Num(_), _) | (_, Kind::Integer | Kind::Percent)
            );
            let class = if numeric { " class=\"num\"" } else { "" };
            h.push_str(&format!(
                "<td{class}>{}</td>",
                esc(&format_cell(cell, column.kind, lang))
            ));
        }
        h.push_str("</tr>\n");
    };
    for cells in &table.rows {
        row(h, cells);
    }
    h.push_str("</tbody>\n");
    if let Some(totals) = &table.totals {
        h.push_str("<tfoot>\n");
        row(h, totals);
        h.push_str("</tfoot>\n");
    }
    h.push_str("</table>\n");
    if let Some(note) = &table.note {
        h.push_str(&format!("<p class=\"note\">{}</p>\n", esc(note)));
    }
}
