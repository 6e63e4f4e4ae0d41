//! The monthly accountability report (STANDARD.md §8): a [`model::Report`] built from the
//! indicators and the store, laid out as a PDF (`pdf`), an XLSX workbook (`xlsx`) and a
//! published folder with CSVs, a Frictionless data package and an `index.html` (`publish`);
//! and the blank ministry template (`template`).
//!
//! Renderers see only the model: they must not query the store, compute a figure or translate
//! a word (every word is [`crate::text`]'s, chosen by `build`). Only `pipeline` calls them.

pub mod build;
mod followup;
pub mod followup_text;
pub mod model;
pub mod pdf;
pub mod publish;
pub mod sheet_xml;
pub mod template;
mod trajectories;
pub mod xlsx;

#[doc(hidden)]
pub mod example;

pub use followup::findings;

use std::path::PathBuf;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The workbook writer failed.
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A file or folder of the output could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Rows for a dataset sheet or CSV could not be read.
    #[error("filas de {dataset}: {source}")]
    Rows {
        /// The dataset.
        dataset: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The dataset rows could not be added to the workbook.
    #[error("XLSX: {0}")]
    Sheet(#[from] sheet_xml::SheetXmlError),
    /// A template was asked for a dataset the standard does not have.
    #[error("no existe el dataset {0}")]
    UnknownDataset(String),
    /// Something in the output would not serialise (JSON of the data package or summary).
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
