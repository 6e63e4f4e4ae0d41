//! The follow-up of processes in the workbook: a sheet for each listing of a section's rows
//! (the period's instances with their results) and for every initiative's trajectory, and the
//! data-quality findings under the quality sheet's table.
//!
//! Lays out the model with `workbook`'s tables and formats; never computes or translates.

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::names::SheetNames;
use super::widths::Widths;
use super::workbook::{table_sheet, write_table, Styles};
use crate::report::model::Report;

/// Adds the listing and trajectory sheets, after the sections' sheets.
pub(super) fn sheets(
    workbook: &mut Workbook,
    report: &Report,
    styles: &Styles,
    names: &mut SheetNames,
) -> Result<(), XlsxError> {
    let followup = &report.followup;
    for listing in followup.listings.iter().chain(&followup.trajectories) {
        let name = names.claim(&listing.sheet);
        workbook.push_worksheet(table_sheet(
            &listing.table.title,
            &listing.table,
            styles,
            name,
        )?);
    }
    Ok(())
}

/// Writes the data-quality findings' tables from `row` down.
pub(super) fn quality(
    ws: &mut Worksheet,
    row: u32,
    report: &Report,
    styles: &Styles,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    let mut r = row;
    for table in &report.followup.quality {
        r = write_table(ws, r, table, styles, widths)?.next_row + 1;
    }
    Ok(())
}
