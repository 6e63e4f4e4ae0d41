//! A dataset's rows gathered for the workbook as the store is read ([`Collected`]): compact,
//! about 90 bytes per instance, with the columns' widths sampled from the first rows and dates
//! turned into Excel serial numbers.
//!
//! Must not touch rust_xlsxwriter: the rows go into the sheets through `sheet_xml`.

use chrono::NaiveDate;

use super::widths::{cell_text, display_chars, Widths};
use super::{MAX_WIDTH, WIDTH_SAMPLE_ROWS};
use crate::report::model::{Cell, Kind};
use crate::report::sheet_xml;
use crate::text::Lang;

/// Every dataset's rows for the workbook, gathered as the store is read; see
/// [`sheet_xml`] for why they are kept apart from the workbook writer.
pub struct Collected {
    pub(super) lang: Lang,
    pub(super) strings: sheet_xml::Strings,
    pub(super) datasets: Vec<CollectedDataset>,
}

pub(super) struct CollectedDataset {
    pub(super) name: String,
    kinds: Vec<Kind>,
    pub(super) rows: sheet_xml::Rows,
    pub(super) widths: Widths,
    /// Rows sampled for the widths so far.
    sampled: u32,
}

impl Collected {
    /// Nothing gathered yet; `lang` decides how dates and numbers are measured for widths.
    pub fn new(lang: Lang) -> Collected {
        Collected {
            lang,
            strings: sheet_xml::Strings::default(),
            datasets: Vec::new(),
        }
    }

    /// Starts a dataset; returns the handle its rows are added with.
    pub fn start(&mut self, part: &crate::report::model::DatasetPart) -> usize {
        self.datasets.push(CollectedDataset {
            name: part.name.clone(),
            kinds: part.columns.iter().map(|c| c.kind).collect(),
            rows: sheet_xml::Rows::default(),
            widths: Widths::capped(MAX_WIDTH),
            sampled: 0,
        });
        self.datasets.len() - 1
    }

    /// Adds a row to dataset `d`.
    pub fn row(&mut self, d: usize, cells: &[Cell]) {
        let lang = self.lang;
        let Some(data) = self.datasets.get_mut(d) else {
            return;
        };
        if data.sampled < WIDTH_SAMPLE_ROWS {
            data.sampled += 1;
            for (c, cell) in cells.iter().enumerate() {
                let Ok(col) = u16::try_from(c) else { break };
                let kind = data.kinds.get(c).copied().unwrap_or(Kind::Text);
                let chars = match cell {
                    Cell::Date(_) => 11.0,
                    Cell::Int(i) => i.to_string().len() as f64,
                    Cell::Num(n) => format!("{n}").len() as f64,
                    other => display_chars(other, kind, lang),
                };
                data.widths.see(col, chars);
            }
        }
        let kinds = &data.kinds;
        // A date Excel cannot number, or in a column that is not a date, is written as text.
        let as_text =
            |c: usize, d: NaiveDate| excel_serial(d).is_none() || kinds.get(c) != Some(&Kind::Date);
        let texts: Vec<Option<String>> = if cells
            .iter()
            .enumerate()
            .any(|(c, cell)| matches!(cell, Cell::Date(d) if as_text(c, *d)))
        {
            cells
                .iter()
                .enumerate()
                .map(|(c, cell)| match cell {
                    Cell::Date(d) if as_text(c, *d) => Some(d.format("%Y-%m-%d").to_string()),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let values = cells.iter().enumerate().map(|(c, cell)| match cell {
            Cell::Empty => sheet_xml::Value::Empty,
            Cell::Text(t) => sheet_xml::Value::Text(cell_text(t)),
            Cell::Int(i) => sheet_xml::Value::Number(*i as f64),
            Cell::Num(n) => sheet_xml::Value::Number(*n),
            Cell::Date(d) => match texts.get(c).and_then(Option::as_deref) {
                Some(text) => sheet_xml::Value::Text(text),
                None => excel_serial(*d).map_or(sheet_xml::Value::Empty, sheet_xml::Value::Number),
            },
        });
        data.rows.push(values, &mut self.strings);
    }
}

/// Excel's serial number of a date from 1 March 1900 on (earlier dates are written as text:
/// Excel counts a 29 February 1900 that never was).
fn excel_serial(d: NaiveDate) -> Option<f64> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let first = NaiveDate::from_ymd_opt(1900, 3, 1)?;
    (d >= first).then(|| (d - epoch).num_days() as f64)
}
