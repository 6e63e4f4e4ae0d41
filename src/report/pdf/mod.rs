//! The monthly report as a printable PDF: A4 portrait, laid out from a [`Report`] alone.
//!
//! An oversight body prints this document and judges the commitment on it, so the layout
//! follows strict rules: every table is printed complete (when it does not fit it continues on
//! the next page with its title, «(continúa)» and the header row repeated), long text wraps
//! inside its column measured with the embedded font's real glyph advances, the annex prints
//! every SHA-256 in full, and every page but the cover says which page of how many it is.
//!
//! It depends on the model only. It must not query the store, compute a figure or translate a
//! word: every number arrives formatted by [`format_cell`](crate::report::model::format_cell) and every word in `report.labels`,
//! so this PDF, the workbook and the web page cannot disagree. The only arithmetic here is
//! geometry (how long a bar or a progress bar is drawn).
//!
//! Rendering is deterministic: the same report gives the same bytes. Dates come from
//! `meta.issued_on`, the document id from the data version and the period, and the embedded
//! font subsets from the text itself.
//!
//! How: every page is first laid out as a list of positioned items (text, boxes, lines) measured
//! with the DejaVu Sans metrics, so the page count is known before any footer is drawn; then the
//! two fonts are subset to the characters used and the pages are written with printpdf.
//!
//! The rooms, in the order a page is made:
//! - `fonts`: the two embedded faces' text measurement and line breaking;
//! - `layout`: positioned items on pages, and the cursor that fills them;
//! - `document`: cover, summary, contents, sections, annex, running header and footer;
//! - `figures`, `tables`, `charts` (and `stacked`, its stacked columns): one kind of block each;
//! - `write`: the only file that touches printpdf (and its allsorts and lopdf): reads the
//!   fonts' metrics, subsets them and writes the laid-out pages.

mod charts;
mod document;
mod figures;
mod fonts;
mod layout;
mod stacked;
mod tables;
#[cfg(test)]
mod tests;
mod write;

use super::model::Report;
use super::ReportError;
use document::layout;
use fonts::Fonts;
use write::write;

// Page geometry, in points. While laying out, y grows downwards from the top edge of the page
// (as a reader reads); it is turned into PDF coordinates only when the page is written.
const PT_PER_MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * PT_PER_MM;
const PAGE_H: f32 = 297.0 * PT_PER_MM;
const MARGIN_X: f32 = 18.0 * PT_PER_MM;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Baseline of the running header (period), inside the top margin.
const HEADER_BASE: f32 = 12.0 * PT_PER_MM;
/// Where the content of a page starts and must end.
const CONTENT_TOP: f32 = 21.0 * PT_PER_MM;
const CONTENT_BOTTOM: f32 = PAGE_H - 20.0 * PT_PER_MM;
/// Baseline of the footer («… · Página N de M»).
const FOOTER_BASE: f32 = PAGE_H - 11.0 * PT_PER_MM;

/// An RGB colour, 0–1 per channel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Colour(f32, f32, f32);

const fn rgb(r: u8, g: u8, b: u8) -> Colour {
    Colour(r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0)
}

const INK: Colour = rgb(33, 37, 41);
const MUTED: Colour = rgb(96, 103, 112);
const WHITE: Colour = rgb(255, 255, 255);
const ACCENT: Colour = rgb(0, 94, 153);
const ACCENT_DARK: Colour = rgb(0, 58, 99);
/// The city's yellow, as a thin stripe on the cover.
const CITY_YELLOW: Colour = rgb(255, 204, 0);
const HEADER_FILL: Colour = rgb(0, 72, 122);
const ZEBRA: Colour = rgb(242, 245, 248);
const TOTAL_FILL: Colour = rgb(222, 231, 240);
const RULE: Colour = rgb(186, 193, 201);
const GRID: Colour = rgb(226, 229, 233);
const AXIS: Colour = rgb(110, 116, 124);
const TARGET: Colour = rgb(190, 30, 45);
const GOOD: Colour = rgb(40, 120, 60);
const BAR_TRACK: Colour = rgb(225, 229, 234);
const NOTICE_FILL: Colour = rgb(255, 243, 205);
const NOTICE_EDGE: Colour = rgb(214, 140, 0);
const NOTICE_INK: Colour = rgb(110, 62, 0);
/// Series colours: the Okabe–Ito palette, told apart by colour-blind readers and in greyscale
/// print by their different lightness.
const SERIES: [Colour; 6] = [
    rgb(0, 114, 178),
    rgb(230, 159, 0),
    rgb(0, 158, 115),
    rgb(204, 121, 167),
    rgb(86, 180, 233),
    rgb(213, 94, 0),
];

/// Renders the report as PDF bytes.
pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let fonts = Fonts::load()?;
    let (pages, outline) = layout(report, &fonts);
    write(report, &fonts, &pages, &outline)
}
