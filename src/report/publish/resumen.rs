//! `resumen.json`: what the index needs about one published period (its editions, files and
//! key figures), written with the period and read back to rebuild the index from the folder
//! alone.
//!
//! Must not query the store or format a figure: values arrive written by the model.

use std::fs;
use std::io;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tracing::warn;

use super::files::{is_lang_tag, is_safe_name};
use super::{RESUMEN_FORMAT, RESUMEN_VERSION};
use crate::report::model::Cell;

/// A published file: name within the period folder, size and SHA-256 (hex).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishedFile {
    /// File name in the period folder.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Media type.
    pub mediatype: String,
}

/// A dataset CSV of the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedDataset {
    /// Dataset name (`instancias`).
    pub name: String,
    /// Title for people.
    pub title: String,
    /// Data rows (header excluded).
    pub rows: u64,
    /// The CSV file.
    #[serde(flatten)]
    pub csv: PublishedFile,
}

/// A key figure as the index prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryFigure {
    /// What it is.
    pub label: String,
    /// The value as written in the report (`8.144`, `38,6 %`).
    pub value_text: String,
    /// The raw value (number, text, ISO date or null).
    pub value: Json,
    /// The target as written, if any.
    pub target_text: Option<String>,
    /// The raw target, if any.
    pub target: Option<f64>,
    /// Short note, if any.
    pub note: Option<String>,
}

/// The report's own words the index reuses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EditionLabels {
    /// «Período».
    pub period: String,
    /// «Fecha de emisión».
    pub issued: String,
    /// «Versión de los datos».
    pub data_version: String,
    /// «Resumen».
    pub summary: String,
    /// «Indicador».
    pub indicator: String,
    /// «Valor».
    pub value: String,
    /// «Meta».
    pub target: String,
    /// Sentence for a period without data.
    pub no_data: String,
}

/// One language's report of a period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Edition {
    /// `es` or `en`.
    pub lang: String,
    /// BCP 47 tag for the HTML `lang` attribute.
    pub lang_tag: String,
    /// Document title.
    pub title: String,
    /// The commitment.
    pub commitment: String,
    /// One-line subject.
    pub subject: String,
    /// Publisher.
    pub author: String,
    /// The period for people.
    pub period_label: String,
    /// Date of issue, ISO.
    pub issued_on: String,
    /// Date of issue as the report writes it.
    pub issued_text: String,
    /// Data version the edition was built from.
    pub data_version: String,
    /// False when the period had no data.
    pub has_data: bool,
    /// Words reused by the index.
    pub labels: EditionLabels,
    /// Key figures, in summary order.
    pub figures: Vec<SummaryFigure>,
    /// The PDF.
    pub pdf: PublishedFile,
    /// The workbook.
    pub xlsx: PublishedFile,
    /// Its web pages (the follow-up page first, then one per comuna); none before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PublishedPage>,
}

/// A web page of an edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedPage {
    /// The file.
    #[serde(flatten)]
    pub file: PublishedFile,
    /// What a link to it says.
    pub title: String,
}

/// `resumen.json`: what the index needs about one published period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resumen {
    /// Always [`RESUMEN_FORMAT`].
    pub format: String,
    /// Always [`RESUMEN_VERSION`].
    pub version: u32,
    /// Period code, also the folder name.
    pub period: String,
    /// First day, ISO.
    pub period_start: String,
    /// Last day, ISO.
    pub period_end: String,
    /// Data version of the CSVs and of every edition.
    pub data_version: String,
    /// Licence of the published files (SPDX).
    pub license: String,
    /// The data package.
    pub datapackage: PublishedFile,
    /// The dataset CSVs.
    pub datasets: Vec<PublishedDataset>,
    /// The report in each published language.
    pub editions: Vec<Edition>,
}
/// Reads and checks `dir/resumen.json`; a missing, broken or foreign one is `None` (warned).
pub(super) fn read_resumen(dir: &Path) -> Option<Resumen> {
    let path = dir.join("resumen.json");
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            warn!(file = %path.display(), error = %e, "resumen.json cannot be read; not listed");
            return None;
        }
    };
    let mut resumen: Resumen = match serde_json::from_slice(&text) {
        Ok(r) => r,
        Err(e) => {
            warn!(file = %path.display(), error = %e, "resumen.json is not a participa summary; not listed");
            return None;
        }
    };
    if resumen.format != RESUMEN_FORMAT || resumen.version != RESUMEN_VERSION {
        warn!(file = %path.display(), format = %resumen.format, version = resumen.version, "resumen.json has another format; not listed");
        return None;
    }
    if !is_safe_name(&resumen.period) {
        warn!(file = %path.display(), "resumen.json names an unusable period; not listed");
        return None;
    }
    resumen.editions.retain(|e| {
        let ok = is_lang_tag(&e.lang_tag)
            && is_safe_name(&e.pdf.file)
            && is_safe_name(&e.xlsx.file)
            && e.pages.iter().all(|p| is_safe_name(&p.file.file));
        if !ok {
            warn!(file = %path.display(), lang = %e.lang, "an edition in resumen.json has unusable names; not listed");
        }
        ok
    });
    resumen.datasets.retain(|d| is_safe_name(&d.csv.file));
    Some(resumen)
}

pub(super) fn raw_value(cell: &Cell) -> Json {
    match cell {
        Cell::Empty => Json::Null,
        Cell::Text(t) => json!(t),
        Cell::Int(i) => json!(i),
        Cell::Num(n) if n.is_finite() => json!(n),
        Cell::Num(_) => Json::Null,
        Cell::Date(d) => json!(iso(*d)),
    }
}

pub(super) fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_iso(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
