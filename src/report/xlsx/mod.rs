//! The report as an XLSX workbook (STANDARD.md §8): a summary sheet, one sheet per indicator
//! section with its tables and a native Excel chart, the data-quality, annex and rejected-rows
//! sheets, and one sheet per standard dataset with the period's rows. Also any one [`Table`] as
//! a workbook of its own (the rejected rows attached to a ministry's feedback).
//!
//! Lays out a [`Report`] and nothing else: it must not depend on the store, the indicators'
//! figures or the configuration, and it never computes, queries or translates. Dataset rows come
//! from a [`RowSource`] or are gathered beforehand into [`Collected`] (compact: about 90 bytes
//! per instance); [`sheet_xml`](super::sheet_xml) writes them into the sheets.
//!
//! The file is reproducible: its creation date is the report's date of issue and the zip
//! entries carry a fixed timestamp, so rendering the same report twice gives the same bytes.
//!
//! The rooms: `workbook`, with `followup` (the follow-up's sheets) the only files that touch
//! rust_xlsxwriter; `collect`, the dataset
//! rows gathered before the workbook is written; `names` and `widths`, sheet names and column
//! widths, pure.

mod collect;
mod followup;
mod names;
#[cfg(test)]
mod tests;
mod widths;
mod workbook;

pub use collect::Collected;
use workbook::render_collected_with;

use super::model::{Cell, Report, RowSource, Table};
use super::ReportError;
use crate::text::Lang;

/// Data rows per sheet: Excel's 1,048,576 rows less the header.
pub const MAX_DATA_ROWS: u32 = 1_048_575;
/// Rows looked at to size a dataset sheet's columns.
const WIDTH_SAMPLE_ROWS: u32 = 200;
/// Widest a column of a dataset sheet gets (in characters). Longer text does not wrap there:
/// every data row keeps one line, and the whole value shows in the cell's edit bar.
const MAX_WIDTH: f64 = 60.0;
/// Widest a column of a report table gets: several tables share a sheet's columns, so a long
/// file path wraps rather than stretching every table.
const TABLE_MAX_WIDTH: f64 = 45.0;
/// Narrowest column.
const MIN_WIDTH: f64 = 6.0;
/// Excel's longest cell text, in UTF-16 units.
const MAX_CELL_TEXT: usize = 32_767;
/// Chart size in pixels.
const CHART_WIDTH: u32 = 576;
const CHART_HEIGHT: u32 = 320;
/// Rows a chart covers at the default row height (20 px), plus a gap.
const CHART_ROWS: u32 = 18;

/// Renders the report as an XLSX workbook.
///
/// # Errors
///
/// [`ReportError::Rows`] when the row source fails, [`ReportError::Xlsx`] when the workbook
/// writer does.
pub fn render(report: &Report, rows: &mut dyn RowSource) -> Result<Vec<u8>, ReportError> {
    render_with(report, rows, MAX_DATA_ROWS)
}

/// [`render`] with a different number of data rows per dataset sheet (tests use a small one).
fn render_with(
    report: &Report,
    rows: &mut dyn RowSource,
    max_rows: u32,
) -> Result<Vec<u8>, ReportError> {
    let mut collected = Collected::new(report.meta.lang);
    for part in &report.datasets {
        let d = collected.start(part);
        let read = rows.for_each_row(&part.name, &mut |cells: &[Cell]| {
            collected.row(d, cells);
            Ok(())
        });
        read.map_err(|source| ReportError::Rows {
            dataset: part.name.clone(),
            source,
        })?;
    }
    render_collected_with(report, &collected, max_rows)
}

/// Renders the report with dataset rows gathered beforehand (while the figures were being
/// computed, say).
///
/// # Errors
///
/// [`ReportError::Xlsx`] when the workbook writer fails, [`ReportError::Sheet`] when the rows
/// cannot be added to its output, [`ReportError::Rows`] for a dataset of the report that was
/// not collected.
pub fn render_collected(report: &Report, collected: &Collected) -> Result<Vec<u8>, ReportError> {
    render_collected_with(report, collected, MAX_DATA_ROWS)
}

/// `table` alone as a workbook: one sheet named and titled `title`, the header frozen and
/// filtered, numbers and dates written in `lang`'s way.
///
/// # Errors
///
/// [`ReportError::Xlsx`] when the workbook writer fails.
pub fn table_workbook(title: &str, table: &Table, lang: Lang) -> Result<Vec<u8>, ReportError> {
    Ok(workbook::table_workbook(title, table, lang)?)
}
