//! Publishes a period's report to a folder that a city web server serves as static files
//! (STANDARD.md §8): `<root>/<period>/` gets the PDF, the XLSX workbook, one CSV per standard
//! dataset, a Frictionless `datapackage.json` and `resumen.json` (everything the index needs, so
//! the index is rebuilt from the folder alone); then `<root>/index.html` is rewritten to list
//! every published period, newest first.
//!
//! Like the other renderers, this module only lays out a [`Report`]: it must not query the store,
//! compute a figure or translate a word. Every figure and date it prints comes already written
//! from the model (its figures' texts, [`crate::text::date`]); rows are streamed from a
//! [`RowSource`] into the CSVs and never held in memory. The index's few page words that
//! [`Labels`](super::model::Labels) does not carry are `text::web`'s.
//!
//! Writes are atomic as the web server sees them:
//! - a period is written into a hidden staging folder beside it (`.participa-new.<period>.*`),
//!   every file synced, then swapped in with two renames (the old folder aside to
//!   `.participa-old.<period>.*`, the new one into place, the old one deleted). A reader sees the
//!   old month or the new one, never a mix; for the microseconds between the renames the month
//!   is absent. A crash leaves either the complete old or the complete new folder, or the old one
//!   aside, which the next [`publish`] of that period puts back before it starts;
//! - `index.html` is written to a hidden temporary file and renamed over the old one;
//! - what a crash left of any period is cleared by [`sweep_leftovers`] when the next `ingest`,
//!   `report` or `run` starts.
//!
//! Publishes of one root must not run concurrently (the pipeline runs one report at a time).
//!
//! Languages: one period folder holds one data version (the CSVs and the data package) and the
//! report in one or more languages. Publishing the Spanish report keeps an already published
//! English edition of the same period when it was built from the same data version, and
//! withdraws it (with a warning) when not, so the folder never mixes data versions.
//!
//! The rooms: this file writes a period folder (the order of its files and the editions of
//! other languages kept); `files` stages, swaps and sweeps folders and names files safely;
//! `csv_file` writes and hashes one dataset's CSV; `datapackage` the Frictionless package;
//! `resumen` the `resumen.json` every period keeps for the index; `index` the `index.html`
//! with its few words of its own.

mod csv_file;
mod datapackage;
mod files;
mod history;
mod index;
mod pages;
mod resumen;
#[cfg(test)]
mod tests;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::warn;

use super::model::{Cell, DatasetPart, Report, RowSource};
use super::ReportError;
use crate::text::Lang;

pub use csv_file::CsvFile;
pub use datapackage::{License, LICENSE};
pub use files::{sweep_leftovers, Stage};
pub use index::write_index;
pub use resumen::{
    Edition, EditionLabels, PublishedDataset, PublishedFile, PublishedPage, Resumen, SummaryFigure,
};

use crate::fsutil::sync_dir;
use datapackage::datapackage;
use files::{is_safe_name, safe_name, swap_in, write_bytes};
use index::lang_order;
use resumen::{iso, raw_value, read_resumen};

/// `resumen.json`'s `format` value: anything else in a period folder is not ours.
pub const RESUMEN_FORMAT: &str = "participa-resumen";
/// `resumen.json`'s `version` this module writes and reads.
pub const RESUMEN_VERSION: u32 = 1;

const CSV_MEDIATYPE: &str = "text/csv";
const PDF_MEDIATYPE: &str = "application/pdf";
const XLSX_MEDIATYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const JSON_MEDIATYPE: &str = "application/json";
const STAGE_PREFIX: &str = ".participa-new.";
const ASIDE_PREFIX: &str = ".participa-old.";
/// How the index's temporary files start (`fsutil::write_atomic`'s `.index.html.<random>.tmp`,
/// and `.index.html.<unique>` of earlier releases).
const INDEX_TEMP_PREFIX: &str = ".index.html.";

/// The workbook's bytes, asked for once the CSVs are written: the caller can still be
/// rendering it on another thread while the CSVs are written.
pub type XlsxBytes<'a> = &'a mut dyn FnMut() -> Result<Vec<u8>, ReportError>;

/// Writes `root/<period>/`: the PDF, the CSVs (one per dataset), the XLSX, `datapackage.json`,
/// `resumen.json`; then rewrites `root/index.html`. Returns the period folder.
pub fn publish(
    root: &Path,
    report: &Report,
    pdf: &[u8],
    xlsx: XlsxBytes<'_>,
    rows: &mut dyn RowSource,
    datasets: &[crate::standard::Dataset],
) -> Result<PathBuf, ReportError> {
    let stage = Stage::create(root, &report.meta.period)?;
    let published = stage_csvs(&stage, &report.datasets, rows, &mut |_, _| {})?;
    publish_staged(stage, report, pdf, &xlsx()?, published, datasets)
}

/// Writes each dataset's CSV into `stage` from `rows`, handing every row to `also` too (with
/// the dataset's position in `parts`), so one read of the rows can feed something else, such
/// as the workbook. Returns what the data package lists of each CSV.
pub fn stage_csvs(
    stage: &Stage,
    parts: &[DatasetPart],
    rows: &mut dyn RowSource,
    also: &mut dyn FnMut(usize, &[Cell]),
) -> Result<Vec<PublishedDataset>, ReportError> {
    let mut published = Vec::with_capacity(parts.len());
    for (d, part) in parts.iter().enumerate() {
        let mut csv = stage.csv(part)?;
        // Errors of our own writing are kept apart from the row source's.
        let mut write_error = None;
        let read = rows.for_each_row(&part.name, &mut |row: &[Cell]| {
            also(d, row);
            csv.row(row).map_err(|e| {
                let stop = io::Error::other(e.to_string());
                write_error = Some(e);
                stop
            })
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        read.map_err(|source| ReportError::Rows {
            dataset: part.name.clone(),
            source,
        })?;
        published.push(csv.finish()?);
    }
    Ok(published)
}

/// Writes the rest of the period folder into `stage` (whose CSVs are `published`) and puts it
/// in place of the published one; then rewrites `root/index.html`. Returns the period folder.
pub fn publish_staged(
    mut stage: Stage,
    report: &Report,
    pdf: &[u8],
    xlsx: &[u8],
    published: Vec<PublishedDataset>,
    datasets: &[crate::standard::Dataset],
) -> Result<PathBuf, ReportError> {
    let meta = &report.meta;
    if meta.period != stage.period {
        return Err(ReportError::Io {
            path: stage.dir.clone(),
            source: io::Error::other("the staging folder is for another period"),
        });
    }
    safe_name(&meta.file_stem, "file_stem")?;
    for part in &report.datasets {
        safe_name(&part.name, "dataset name")?;
    }
    let target = stage.root.join(&stage.period);
    write_period(&stage.dir, &target, report, pdf, xlsx, published, datasets)?;
    stage.done = true;
    swap_in(&stage.root, &stage.dir, &target, &stage.period)?;
    write_index(&stage.root)?;
    Ok(target)
}

/// Everything of the period folder but the CSVs (already in `stage`), written into `stage`.
fn write_period(
    stage: &Path,
    target: &Path,
    report: &Report,
    pdf: &[u8],
    xlsx: &[u8],
    published: Vec<PublishedDataset>,
    datasets: &[crate::standard::Dataset],
) -> Result<(), ReportError> {
    let meta = &report.meta;
    let pdf_file = write_bytes(
        stage,
        &format!("{}.pdf", meta.file_stem),
        pdf,
        PDF_MEDIATYPE,
    )?;
    for (part, done) in report.datasets.iter().zip(&published) {
        if done.rows != part.row_count {
            warn!(dataset = %part.name, expected = part.row_count, written = done.rows, "the CSV has a different number of rows than the report says");
        }
    }
    let xlsx_file = write_bytes(
        stage,
        &format!("{}.xlsx", meta.file_stem),
        xlsx,
        XLSX_MEDIATYPE,
    )?;

    let pages = pages::write_pages(stage, report)?;
    let mut editions = carried_editions(stage, target, report, &pdf_file, &xlsx_file, &pages);
    let mut ours = edition(report, pdf_file, xlsx_file);
    ours.pages = pages;
    editions.push(ours);
    editions.sort_by(|a, b| {
        lang_order(&a.lang)
            .cmp(&lang_order(&b.lang))
            .then_with(|| a.lang.cmp(&b.lang))
    });

    // The package's texts come from the first edition (Spanish when there is one), so they do
    // not depend on which language was published last.
    let primary = editions
        .first()
        .cloned()
        .unwrap_or_else(|| edition(report, PublishedFile::default(), PublishedFile::default()));
    let mut package = datapackage(&meta.period, &primary, report, &published, datasets);
    let mut published = published;
    if let Some(h) = &report.followup.history {
        let (csv, resource) = history::write_history(stage, h)?;
        if let Some(resources) = package["resources"].as_array_mut() {
            resources.push(resource);
        }
        published.push(csv);
    }
    let package_bytes = serde_json::to_vec_pretty(&package)?;
    let package_file = write_bytes(stage, "datapackage.json", &package_bytes, JSON_MEDIATYPE)?;

    let resumen = Resumen {
        format: RESUMEN_FORMAT.to_string(),
        version: RESUMEN_VERSION,
        period: meta.period.clone(),
        period_start: iso(meta.period_start),
        period_end: iso(meta.period_end),
        data_version: meta.data_version.clone(),
        license: LICENSE.name.to_string(),
        datapackage: package_file,
        datasets: published,
        editions,
    };
    write_bytes(
        stage,
        "resumen.json",
        &serde_json::to_vec_pretty(&resumen)?,
        JSON_MEDIATYPE,
    )?;
    sync_dir(stage);
    Ok(())
}

/// The published report's entry in `resumen.json`.
fn edition(report: &Report, pdf: PublishedFile, xlsx: PublishedFile) -> Edition {
    let meta = &report.meta;
    let lang = meta.lang;
    let labels = &report.labels;
    Edition {
        lang: Lang::code(lang).to_string(),
        lang_tag: lang.tag().to_string(),
        title: meta.title.clone(),
        commitment: meta.commitment.clone(),
        subject: meta.subject.clone(),
        author: meta.author.clone(),
        period_label: meta.period_label.clone(),
        issued_on: iso(meta.issued_on),
        issued_text: crate::text::date(meta.issued_on, lang),
        data_version: meta.data_version.clone(),
        has_data: meta.has_data,
        labels: EditionLabels {
            period: labels.period.to_string(),
            issued: labels.issued.to_string(),
            data_version: labels.data_version.to_string(),
            summary: labels.summary.to_string(),
            indicator: labels.indicator.to_string(),
            value: labels.value.to_string(),
            target: labels.target.to_string(),
            no_data: labels.no_data.to_string(),
        },
        figures: report
            .summary
            .iter()
            .map(|f| SummaryFigure {
                label: f.label.clone(),
                value_text: f.value_text.clone(),
                value: raw_value(&f.value),
                target_text: f.target_text.clone(),
                target: f.target.filter(|t| t.is_finite()),
                note: f.note.clone(),
            })
            .collect(),
        pdf,
        xlsx,
        pages: Vec::new(),
    }
}

/// Other languages' editions already published for this period from the same data version,
/// with their PDF and XLSX linked (or copied) into `stage`.
fn carried_editions(
    stage: &Path,
    target: &Path,
    report: &Report,
    pdf: &PublishedFile,
    xlsx: &PublishedFile,
    pages: &[PublishedPage],
) -> Vec<Edition> {
    let Some(old) = read_resumen(target) else {
        return Vec::new();
    };
    let ours = Lang::code(report.meta.lang);
    let mut kept = Vec::new();
    for e in old.editions.into_iter().filter(|e| e.lang != ours) {
        if e.data_version != report.meta.data_version {
            warn!(period = %report.meta.period, lang = %e.lang, old = %e.data_version, new = %report.meta.data_version,
                "withdrawing the published edition in another language: it was built from another data version; build it again");
            continue;
        }
        let mut names = vec![&e.pdf.file, &e.xlsx.file];
        names.extend(e.pages.iter().map(|p| &p.file.file));
        let ours = |n: &String| {
            *n == pdf.file || *n == xlsx.file || pages.iter().any(|p| p.file.file == *n)
        };
        if names.iter().any(|n| ours(n) || !is_safe_name(n)) {
            warn!(period = %report.meta.period, lang = %e.lang, "withdrawing the published edition in another language: its file names clash with this one's");
            continue;
        }
        let mut ok = true;
        for name in names {
            let from = target.join(name);
            let to = stage.join(name);
            if let Err(err) =
                fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(|_| ()))
            {
                warn!(file = %from.display(), error = %err, "withdrawing the published edition in another language: its file cannot be kept");
                ok = false;
                break;
            }
        }
        if ok {
            kept.push(e);
        }
    }
    kept
}
