//! Publishes a period's report to a folder that a city web server serves as static files
//! (STANDARD.md §8): `<root>/<period>/` gets the PDF, the XLSX workbook, one CSV per standard
//! dataset, a Frictionless `datapackage.json` and `resumen.json` (everything the index needs, so
//! the index is rebuilt from the folder alone); then `<root>/index.html` is rewritten to list
//! every published period, newest first.
//!
//! Like the other renderers, this module only lays out a [`Report`]: it must not query the store,
//! compute a figure or translate a word. Every figure and date it prints comes already written
//! from the model (through [`format_cell`]); rows are streamed from a [`RowSource`] into the CSVs
//! and never held in memory. The only words of its own are the few page words of the index that
//! [`Labels`](super::model::Labels) does not carry yet (see `Words`).
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

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};
use tracing::warn;

use super::model::{format_bytes, format_cell, format_figure, html_escape as esc, Cell, Column, DatasetPart, Kind, Lang, Report, RowSource};
use super::ReportError;
use crate::standard::schema::{Field, FieldType, PROVENANCE};

/// Licence of everything published: the data (CSVs, data package) and the documents (PDF, XLSX).
/// CC BY 4.0 covers both databases and documents in one licence; ODC-BY would cover the data only.
pub const LICENSE: License =
    License { name: "CC-BY-4.0", title: "Creative Commons Attribution 4.0 International", path: "https://creativecommons.org/licenses/by/4.0/" };

/// A licence as the data package names it.
#[derive(Debug, Clone, Copy)]
pub struct License {
    /// SPDX identifier.
    pub name: &'static str,
    /// Title for people.
    pub title: &'static str,
    /// The licence's text.
    pub path: &'static str,
}

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
const INDEX_TEMP_PREFIX: &str = ".index.html.";

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
pub fn stage_csvs(stage: &Stage, parts: &[DatasetPart], rows: &mut dyn RowSource, also: &mut dyn FnMut(usize, &[Cell])) -> Result<Vec<PublishedDataset>, ReportError> {
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
        read.map_err(|source| ReportError::Rows { dataset: part.name.clone(), source })?;
        published.push(csv.finish()?);
    }
    Ok(published)
}

/// A period folder being written beside the published one; [`publish_staged`] puts it in
/// place. Dropped unfinished, it is deleted.
pub struct Stage {
    root: PathBuf,
    period: String,
    dir: PathBuf,
    done: bool,
}

impl Stage {
    /// Creates the staging folder of `period` under `root`, first undoing what a crashed
    /// publish of that period left.
    pub fn create(root: &Path, period: &str) -> Result<Stage, ReportError> {
        let period = safe_name(period, "period")?;
        fs::create_dir_all(root).map_err(io_at(root))?;
        recover(root, period)?;
        let dir = root.join(format!("{STAGE_PREFIX}{period}.{}", unique()));
        fs::create_dir(&dir).map_err(io_at(&dir))?;
        Ok(Stage { root: root.to_path_buf(), period: period.to_string(), dir, done: false })
    }

    /// Starts the CSV of a dataset in the staging folder.
    pub fn csv(&self, part: &DatasetPart) -> Result<CsvFile, ReportError> {
        CsvFile::create(&self.dir, part)
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if !self.done {
            remove_quietly(&self.dir);
        }
    }
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
        return Err(ReportError::Io { path: stage.dir.clone(), source: io::Error::other("the staging folder is for another period") });
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
    let pdf_file = write_bytes(stage, &format!("{}.pdf", meta.file_stem), pdf, PDF_MEDIATYPE)?;
    for (part, done) in report.datasets.iter().zip(&published) {
        if done.rows != part.row_count {
            warn!(dataset = %part.name, expected = part.row_count, written = done.rows, "the CSV has a different number of rows than the report says");
        }
    }
    let xlsx_file = write_bytes(stage, &format!("{}.xlsx", meta.file_stem), xlsx, XLSX_MEDIATYPE)?;

    let mut editions = carried_editions(stage, target, report, &pdf_file, &xlsx_file);
    editions.push(edition(report, pdf_file, xlsx_file));
    editions.sort_by(|a, b| lang_order(&a.lang).cmp(&lang_order(&b.lang)).then_with(|| a.lang.cmp(&b.lang)));

    // The package's texts come from the first edition (Spanish when there is one), so they do
    // not depend on which language was published last.
    let primary = editions.first().cloned().unwrap_or_else(|| edition(report, PublishedFile::default(), PublishedFile::default()));
    let package = datapackage(&meta.period, &primary, report, &published, datasets);
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
    write_bytes(stage, "resumen.json", &serde_json::to_vec_pretty(&resumen)?, JSON_MEDIATYPE)?;
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
        issued_text: format_cell(&Cell::Date(meta.issued_on), Kind::Date, lang),
        data_version: meta.data_version.clone(),
        has_data: meta.has_data,
        labels: EditionLabels {
            period: labels.period.clone(),
            issued: labels.issued.clone(),
            data_version: labels.data_version.clone(),
            summary: labels.summary.clone(),
            indicator: labels.indicator.clone(),
            value: labels.value.clone(),
            target: labels.target.clone(),
            no_data: labels.no_data.clone(),
        },
        figures: report
            .summary
            .iter()
            .map(|f| SummaryFigure {
                label: f.label.clone(),
                value_text: format_figure(f, lang),
                value: raw_value(&f.value),
                target_text: f.target.map(|t| format_cell(&Cell::Num(t), f.kind, lang)),
                target: f.target.filter(|t| t.is_finite()),
                note: f.note.clone(),
            })
            .collect(),
        pdf,
        xlsx,
    }
}

/// Other languages' editions already published for this period from the same data version,
/// with their PDF and XLSX linked (or copied) into `stage`.
fn carried_editions(stage: &Path, target: &Path, report: &Report, pdf: &PublishedFile, xlsx: &PublishedFile) -> Vec<Edition> {
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
        let names = [&e.pdf.file, &e.xlsx.file];
        if names.iter().any(|n| **n == pdf.file || **n == xlsx.file || !is_safe_name(n)) {
            warn!(period = %report.meta.period, lang = %e.lang, "withdrawing the published edition in another language: its file names clash with this one's");
            continue;
        }
        let mut ok = true;
        for name in names {
            let from = target.join(name);
            let to = stage.join(name);
            if let Err(err) = fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(|_| ())) {
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

/// One dataset's CSV being written, hashed on the way.
pub struct CsvFile {
    path: PathBuf,
    name: String,
    dataset: String,
    title: String,
    width: usize,
    rows: u64,
    buf: String,
    csv: csv::Writer<HashingWriter<io::BufWriter<fs::File>>>,
}

impl CsvFile {
    fn create(dir: &Path, part: &DatasetPart) -> Result<CsvFile, ReportError> {
        let name = format!("{}.csv", safe_name(&part.name, "dataset name")?);
        let path = dir.join(&name);
        let file = fs::File::create(&path).map_err(io_at(&path))?;
        let sink = HashingWriter { inner: io::BufWriter::with_capacity(1 << 16, file), hasher: Sha256::new(), bytes: 0 };
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).quote_style(csv::QuoteStyle::Necessary).from_writer(sink);
        csv.write_record(&part.field_names).map_err(|e| io_at(&path)(csv_io(e)))?;
        Ok(CsvFile { width: part.field_names.len(), path, name, dataset: part.name.clone(), title: part.title.clone(), rows: 0, buf: String::new(), csv })
    }

    /// Writes a row.
    pub fn row(&mut self, row: &[Cell]) -> Result<(), ReportError> {
        if row.len() != self.width {
            let source = io::Error::new(io::ErrorKind::InvalidData, format!("a row has {} values for {} columns", row.len(), self.width));
            return Err(ReportError::Rows { dataset: self.dataset.clone(), source });
        }
        for cell in row {
            self.buf.clear();
            csv_value(cell, &mut self.buf);
            self.csv.write_field(&self.buf).map_err(|e| ReportError::Io { path: self.path.clone(), source: csv_io(e) })?;
        }
        self.csv.write_record(None::<&[u8]>).map_err(|e| ReportError::Io { path: self.path.clone(), source: csv_io(e) })?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and syncs the file; what the data package and summary list of it.
    pub fn finish(self) -> Result<PublishedDataset, ReportError> {
        let CsvFile { path, name, dataset, title, rows, csv, .. } = self;
        let sink = csv.into_inner().map_err(|e| ReportError::Io { path: path.clone(), source: io::Error::other(e.to_string()) })?;
        let HashingWriter { inner, hasher, bytes } = sink;
        let file = inner.into_inner().map_err(|e| ReportError::Io { path: path.clone(), source: io::Error::other(e.to_string()) })?;
        file.sync_all().map_err(io_at(&path))?;
        let csv = PublishedFile { file: name, bytes, sha256: hex::encode(hasher.finalize()), mediatype: CSV_MEDIATYPE.to_string() };
        Ok(PublishedDataset { name: dataset, title, rows, csv })
    }
}

/// A cell as the CSV holds it: dates ISO, integers plain, numbers with a dot, null empty.
fn csv_value(cell: &Cell, out: &mut String) {
    match cell {
        Cell::Empty => {}
        Cell::Text(t) => out.push_str(t),
        Cell::Int(i) => out.push_str(&i.to_string()),
        Cell::Num(n) if n.is_finite() => out.push_str(&crate::standard::sheet::format_number(*n)),
        Cell::Num(_) => {}
        Cell::Date(d) if (0..=9999).contains(&d.year()) => {
            use std::fmt::Write;
            let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        }
        Cell::Date(d) => out.push_str(&iso(*d)),
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    io::Error::from(e)
}

/// The Frictionless Data Package (v1, profile `tabular-data-package`) of the period's CSVs.
/// The PDF and XLSX are not resources: that profile accepts tabular resources only.
fn datapackage(period: &str, texts: &Edition, report: &Report, published: &[PublishedDataset], datasets: &[crate::standard::Dataset]) -> Json {
    let resources: Vec<Json> = report
        .datasets
        .iter()
        .zip(published)
        .map(|(part, file)| {
            let definition = datasets.iter().find(|d| d.name == part.name);
            if definition.is_none() {
                warn!(dataset = %part.name, "no dataset definition: the data package's schema takes the types from the report's columns");
            }
            let mut resource = Map::new();
            resource.insert("profile".into(), json!("tabular-data-resource"));
            resource.insert("name".into(), json!(part.name));
            resource.insert("path".into(), json!(file.csv.file));
            resource.insert("title".into(), json!(definition.and_then(|d| d.title.clone()).unwrap_or_else(|| part.title.clone())));
            if let Some(description) = definition.and_then(|d| d.description.clone()) {
                resource.insert("description".into(), json!(description));
            }
            resource.insert("format".into(), json!("csv"));
            resource.insert("mediatype".into(), json!(CSV_MEDIATYPE));
            resource.insert("encoding".into(), json!("utf-8"));
            resource.insert("bytes".into(), json!(file.csv.bytes));
            resource.insert("hash".into(), json!(format!("sha256:{}", file.csv.sha256)));
            resource.insert("licenses".into(), licenses());
            resource.insert("dialect".into(), json!({ "delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": true, "header": true }));
            resource.insert("schema".into(), table_schema(part, definition.map(|d| d.fields.as_slice()).unwrap_or(&[])));
            Json::Object(resource)
        })
        .collect();
    json!({
        "profile": "tabular-data-package",
        "name": format!("participa-{}", period.to_ascii_lowercase()),
        "title": texts.title,
        "description": format!("{}. {}.", texts.subject.trim_end_matches('.'), texts.commitment.trim_end_matches('.')),
        "version": texts.data_version,
        "created": format!("{}T00:00:00Z", texts.issued_on),
        "licenses": licenses(),
        "contributors": [{ "title": texts.author, "role": "publisher" }],
        "resources": resources,
    })
}

fn licenses() -> Json {
    json!([{ "name": LICENSE.name, "title": LICENSE.title, "path": LICENSE.path }])
}

/// A Table Schema for the CSV's columns, in the CSV's order: the dataset definition's fields
/// (Frictionless properties only) and the provenance fields.
fn table_schema(part: &DatasetPart, fields: &[Field]) -> Json {
    let schema_fields: Vec<Json> = part
        .field_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if let Some(f) = fields.iter().find(|f| &f.name == name) {
                let mut field = Map::new();
                field.insert("name".into(), json!(f.name));
                if let Some(t) = &f.title {
                    field.insert("title".into(), json!(t));
                }
                if let Some(d) = &f.description {
                    field.insert("description".into(), json!(d));
                }
                field.insert("type".into(), json!(type_name(f.field_type)));
                let whole = matches!(f.field_type, FieldType::Integer | FieldType::Year);
                let mut constraints = Map::new();
                if f.constraints.required && !part.may_be_empty.contains(&f.name) {
                    constraints.insert("required".into(), json!(true));
                }
                for (key, bound) in [("minimum", f.constraints.minimum), ("maximum", f.constraints.maximum)] {
                    if let Some(b) = bound.filter(|b| b.is_finite()) {
                        let value = if whole && b.fract() == 0.0 && b.abs() < 9.0e15 { json!(b as i64) } else { json!(b) };
                        constraints.insert(key.into(), value);
                    }
                }
                if !constraints.is_empty() {
                    field.insert("constraints".into(), Json::Object(constraints));
                }
                Json::Object(field)
            } else if let Some(p) = provenance_field(name) {
                p
            } else {
                warn!(dataset = %part.name, field = %name, "field not in the dataset definition: its type comes from the report's column");
                let kind = part.columns.get(i).map(|c: &Column| c.kind).unwrap_or(Kind::Text);
                json!({ "name": name, "type": kind_type(kind) })
            }
        })
        .collect();
    json!({ "fields": schema_fields, "missingValues": [""] })
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "string",
        FieldType::Integer => "integer",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Yearmonth => "yearmonth",
        FieldType::Year => "year",
    }
}

fn kind_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "string",
        Kind::Integer => "integer",
        Kind::Decimal(_) | Kind::Percent => "number",
        Kind::Date => "date",
    }
}

/// The provenance columns every row carries (STANDARD.md §2).
fn provenance_field(name: &str) -> Option<Json> {
    if !PROVENANCE.contains(&name) {
        return None;
    }
    Some(match name {
        "organismo" => json!({
            "name": "organismo", "title": "Organismo", "type": "string",
            "description": "Código del organismo que envió el archivo (su carpeta en la fuente).",
            "constraints": { "required": true }
        }),
        "fuente_archivo" => json!({
            "name": "fuente_archivo", "title": "Archivo de origen", "type": "string",
            "description": "Ruta del archivo relativa a la raíz de la fuente, separada por /.",
            "constraints": { "required": true }
        }),
        "fuente_hoja" => json!({
            "name": "fuente_hoja", "title": "Hoja de origen", "type": "string",
            "description": "Nombre de la hoja; vacío para un CSV."
        }),
        "fuente_fila" => json!({
            "name": "fuente_fila", "title": "Fila de origen", "type": "integer",
            "description": "Número de fila (desde 1) tal como se ve en la hoja.",
            "constraints": { "required": true, "minimum": 1 }
        }),
        _ => return None,
    })
}

/// Rewrites `root/index.html` from every `root/*/resumen.json`, newest period first.
pub fn write_index(root: &Path) -> Result<(), ReportError> {
    let mut periods: Vec<(Resumen, PathBuf)> = Vec::new();
    for entry in fs::read_dir(root).map_err(io_at(root))? {
        let entry = entry.map_err(io_at(root))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let dir = entry.path();
        if !dir.join("resumen.json").is_file() {
            continue;
        }
        match read_resumen(&dir) {
            Some(r) if r.period == name => periods.push((r, dir)),
            Some(r) => warn!(folder = %dir.display(), period = %r.period, "resumen.json is for another period; not listed"),
            None => {}
        }
    }
    periods.sort_by(|(a, _), (b, _)| {
        let key = |r: &Resumen| (parse_iso(&r.period_end), parse_iso(&r.period_start));
        key(b).cmp(&key(a)).then_with(|| b.period.cmp(&a.period))
    });
    let html = index_html(&periods);
    let target = root.join("index.html");
    let temp = root.join(format!("{INDEX_TEMP_PREFIX}{}", unique()));
    let written = (|| -> io::Result<()> {
        let mut file = fs::File::create(&temp)?;
        file.write_all(html.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(ReportError::Io { path: target, source: e });
    }
    sync_dir(root);
    Ok(())
}

/// Reads and checks `dir/resumen.json`; a missing, broken or foreign one is `None` (warned).
fn read_resumen(dir: &Path) -> Option<Resumen> {
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
        let ok = is_lang_tag(&e.lang_tag) && is_safe_name(&e.pdf.file) && is_safe_name(&e.xlsx.file);
        if !ok {
            warn!(file = %path.display(), lang = %e.lang, "an edition in resumen.json has unusable names; not listed");
        }
        ok
    });
    resumen.datasets.retain(|d| is_safe_name(&d.csv.file));
    Some(resumen)
}

/// The few page words of the index that the model's labels do not carry.
struct Words {
    heading: &'static str,
    caption: &'static str,
    language: &'static str,
    files: &'static str,
    report: &'static str,
    workbook: &'static str,
    data: &'static str,
    package: &'static str,
    license: &'static str,
    empty: &'static str,
    note: &'static str,
}

const WORDS_ES: Words = Words {
    heading: "Informes de rendición de cuentas",
    caption: "Informes publicados, del más reciente al más antiguo",
    language: "Idioma",
    files: "Archivos",
    report: "Informe",
    workbook: "Libro de cálculo",
    data: "Datos abiertos",
    package: "Paquete de datos Frictionless",
    license: "Licencia",
    empty: "Todavía no hay informes publicados.",
    note: "Nota",
};

const WORDS_EN: Words = Words {
    heading: "Accountability reports",
    caption: "Published reports, newest first",
    language: "Language",
    files: "Files",
    report: "Report",
    workbook: "Workbook",
    data: "Open data",
    package: "Frictionless data package",
    license: "Licence",
    empty: "No report has been published yet.",
    note: "Note",
};

fn words(lang: &str) -> &'static Words {
    if lang == "en" {
        &WORDS_EN
    } else {
        &WORDS_ES
    }
}

/// The language's own name, as people of that language write it.
fn language_name(lang: &str) -> &str {
    match lang {
        "es" => "Español",
        "en" => "English",
        other => other,
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1a1a1a;background:#fff}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
table{border-collapse:collapse;margin:1rem 0;width:100%}\
caption{text-align:left;font-weight:bold;padding:.25rem 0}\
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
td.num{text-align:right}\
ul{margin:0;padding-left:1.2rem}\
a{color:#0645ad}a:focus{outline:3px solid #f90}\
.note{color:#444;font-size:.9em}";

/// The index page: an overview table of every edition, then each edition's key figures.
fn index_html(periods: &[(Resumen, PathBuf)]) -> String {
    let editions: Vec<(&Resumen, &Path, &Edition)> = periods.iter().flat_map(|(r, dir)| r.editions.iter().map(move |e| (r, dir.as_path(), e))).collect();
    let page_lang = editions.first().map(|(_, _, e)| e.lang.clone()).unwrap_or_else(|| "es".to_string());
    let page_tag = editions.first().map(|(_, _, e)| e.lang_tag.clone()).unwrap_or_else(|| Lang::Es.tag().to_string());
    let w = words(&page_lang);
    let mut h = String::with_capacity(16 * 1024);
    h.push_str("<!DOCTYPE html>\n");
    h.push_str(&format!("<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n", esc(&page_tag)));
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let commitment = editions.first().map(|(_, _, e)| e.commitment.as_str()).unwrap_or("");
    let title = if commitment.is_empty() { w.heading.to_string() } else { format!("{} — {commitment}", w.heading) };
    h.push_str(&format!("<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n", esc(&title)));
    h.push_str(&format!("<h1>{}</h1>\n", esc(w.heading)));
    if let Some((_, _, first)) = editions.first() {
        h.push_str(&format!("<p>{} · {}</p>\n", esc(&first.commitment), esc(&first.author)));
    }
    if editions.is_empty() {
        h.push_str(&format!("<p>{}</p>\n</main>\n</body>\n</html>\n", esc(w.empty)));
        return h;
    }

    let first_labels = &editions[0].2.labels;
    h.push_str(&format!("<table>\n<caption>{}</caption>\n<thead>\n<tr>", esc(w.caption)));
    for head in [first_labels.period.as_str(), w.language, first_labels.issued.as_str(), first_labels.data_version.as_str(), w.files] {
        h.push_str(&format!("<th scope=\"col\">{}</th>", esc(head)));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for (r, dir, e) in &editions {
        let lang_attr = if e.lang_tag != page_tag { format!(" lang=\"{}\"", esc(&e.lang_tag)) } else { String::new() };
        h.push_str(&format!(
            "<tr{lang_attr}><th scope=\"row\"><a href=\"#{id}\">{label}</a> <span class=\"note\">({period})</span></th><td>{lang}</td><td>{issued}</td><td><code>{version}</code></td><td>",
            id = esc(&anchor(r, e)),
            label = esc(&e.period_label),
            period = esc(&r.period),
            lang = esc(language_name(&e.lang)),
            issued = esc(&e.issued_text),
            version = esc(&e.data_version),
        ));
        let ew = words(&e.lang);
        let links: Vec<String> = [(&e.pdf, ew.report, "PDF"), (&e.xlsx, ew.workbook, "XLSX")]
            .into_iter()
            .filter(|(f, _, _)| exists(dir, f))
            .map(|(f, what, format)| link(&r.period, f, &format!("{what} ({format}, {})", size(f.bytes, &e.lang))))
            .collect();
        h.push_str(&links.join(" · "));
        h.push_str("</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");

    for (r, dir, e) in &editions {
        let ew = words(&e.lang);
        let lang_attr = if e.lang_tag != page_tag { format!(" lang=\"{}\"", esc(&e.lang_tag)) } else { String::new() };
        let id = anchor(r, e);
        h.push_str(&format!("<section{lang_attr} aria-labelledby=\"{id}\">\n", id = esc(&id)));
        h.push_str(&format!("<h2 id=\"{}\">{}</h2>\n", esc(&id), esc(&e.title)));
        h.push_str(&format!(
            "<p>{}: {} · {}: <code>{}</code></p>\n",
            esc(&e.labels.issued),
            esc(&e.issued_text),
            esc(&e.labels.data_version),
            esc(&e.data_version)
        ));
        if !e.has_data {
            h.push_str(&format!("<p>{}</p>\n", esc(&e.labels.no_data)));
        }
        if !e.figures.is_empty() {
            h.push_str(&format!("<table>\n<caption>{} — {}</caption>\n<thead>\n<tr>", esc(&e.labels.summary), esc(&e.period_label)));
            for head in [&e.labels.indicator, &e.labels.value, &e.labels.target, &ew.note.to_string()] {
                h.push_str(&format!("<th scope=\"col\">{}</th>", esc(head)));
            }
            h.push_str("</tr>\n</thead>\n<tbody>\n");
            for f in &e.figures {
                h.push_str(&format!(
                    "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                    esc(&f.label),
                    esc(&f.value_text),
                    esc(f.target_text.as_deref().unwrap_or("")),
                    esc(f.note.as_deref().unwrap_or(""))
                ));
            }
            h.push_str("</tbody>\n</table>\n");
        }
        h.push_str(&format!("<h3>{}</h3>\n<ul>\n", esc(ew.files)));
        for (f, what, format) in [(&e.pdf, ew.report, "PDF"), (&e.xlsx, ew.workbook, "XLSX")] {
            if exists(dir, f) {
                h.push_str(&format!("<li>{}</li>\n", link(&r.period, f, &format!("{what} ({format}, {})", size(f.bytes, &e.lang)))));
            }
        }
        for d in &r.datasets {
            if exists(dir, &d.csv) {
                h.push_str(&format!("<li>{}</li>\n", link(&r.period, &d.csv, &format!("{}: {} (CSV, {})", ew.data, d.title, size(d.csv.bytes, &e.lang)))));
            }
        }
        if exists(dir, &r.datapackage) {
            h.push_str(&format!("<li>{}</li>\n", link(&r.period, &r.datapackage, &format!("{} (JSON)", ew.package))));
        }
        h.push_str("</ul>\n");
        if r.license == LICENSE.name {
            h.push_str(&format!("<p>{}: <a href=\"{}\" rel=\"license\">{}</a></p>\n", esc(ew.license), esc(LICENSE.path), esc(LICENSE.title)));
        }
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// A link relative to the index: `<period>/<file>`, percent-encoded, with its text escaped.
fn link(period: &str, file: &PublishedFile, text: &str) -> String {
    format!("<a href=\"{}/{}\" type=\"{}\">{}</a>", esc(&percent_encode(period)), esc(&percent_encode(&file.file)), esc(&file.mediatype), esc(text))
}

fn anchor(r: &Resumen, e: &Edition) -> String {
    let raw = format!("informe-{}-{}", r.period, e.lang);
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

fn exists(dir: &Path, f: &PublishedFile) -> bool {
    let ok = is_safe_name(&f.file) && dir.join(&f.file).is_file();
    if !ok {
        warn!(folder = %dir.display(), file = %f.file, "a file listed in resumen.json is missing; not linked");
    }
    ok
}

/// A file size for people, in the language's number format.
fn size(bytes: u64, lang: &str) -> String {
    format_bytes(bytes, if lang == "en" { Lang::En } else { Lang::Es })
}


/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Spanish, the default language, first.
fn lang_order(lang: &str) -> u8 {
    match lang {
        "es" => 0,
        "en" => 1,
        _ => 2,
    }
}

fn raw_value(cell: &Cell) -> Json {
    match cell {
        Cell::Empty => Json::Null,
        Cell::Text(t) => json!(t),
        Cell::Int(i) => json!(i),
        Cell::Num(n) if n.is_finite() => json!(n),
        Cell::Num(_) => Json::Null,
        Cell::Date(d) => json!(iso(*d)),
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_iso(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A file or folder name that is safe in a URL path and on every file system.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 200 && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn safe_name<'a>(name: &'a str, what: &str) -> Result<&'a str, ReportError> {
    if is_safe_name(name) {
        Ok(name)
    } else {
        Err(ReportError::Io {
            path: PathBuf::from(name),
            source: io::Error::new(io::ErrorKind::InvalidInput, format!("{what} «{name}» must be ASCII letters, digits, '-', '_' or '.'")),
        })
    }
}

fn is_lang_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 35 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Writes a small file whole, synced, and describes it.
fn write_bytes(dir: &Path, name: &str, bytes: &[u8], mediatype: &str) -> Result<PublishedFile, ReportError> {
    let path = dir.join(name);
    let mut file = fs::File::create(&path).map_err(io_at(&path))?;
    file.write_all(bytes).map_err(io_at(&path))?;
    file.sync_all().map_err(io_at(&path))?;
    Ok(PublishedFile { file: name.to_string(), bytes: bytes.len() as u64, sha256: hex::encode(Sha256::digest(bytes)), mediatype: mediatype.to_string() })
}

/// Puts a complete staged period folder in place of the published one.
fn swap_in(root: &Path, stage: &Path, target: &Path, period: &str) -> Result<(), ReportError> {
    let aside = root.join(format!("{ASIDE_PREFIX}{period}.{}", unique()));
    let had_old = target.exists();
    if had_old {
        if let Err(e) = fs::rename(target, &aside) {
            remove_quietly(stage);
            return Err(ReportError::Io { path: target.to_path_buf(), source: e });
        }
    }
    if let Err(e) = fs::rename(stage, target) {
        if had_old {
            let _ = fs::rename(&aside, target);
        }
        remove_quietly(stage);
        return Err(ReportError::Io { path: target.to_path_buf(), source: e });
    }
    sync_dir(root);
    if had_old {
        remove_quietly(&aside);
    }
    Ok(())
}

/// Undoes what a crashed publish of `period` left: puts an old folder set aside back when the
/// period has none, and deletes staging folders and other leftovers.
fn recover(root: &Path, period: &str) -> Result<(), ReportError> {
    let target = root.join(period);
    let stage_prefix = format!("{STAGE_PREFIX}{period}.");
    let aside_prefix = format!("{ASIDE_PREFIX}{period}.");
    let mut asides = Vec::new();
    for entry in fs::read_dir(root).map_err(io_at(root))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&stage_prefix) {
            warn!(folder = %entry.path().display(), "deleting an unfinished publication left by an earlier run");
            remove_quietly(&entry.path());
        } else if name.starts_with(&aside_prefix) {
            asides.push(entry.path());
        }
    }
    asides.sort();
    if !target.exists() {
        if let Some(last) = asides.pop() {
            warn!(folder = %last.display(), "an earlier run stopped mid-publication: restoring the previously published period");
            fs::rename(&last, &target).map_err(io_at(&target))?;
        }
    }
    for aside in asides {
        remove_quietly(&aside);
    }
    Ok(())
}

/// Deletes what interrupted publishes of any period left in `root`, and nothing else, once
/// [`crate::leftovers`] finds it stale and its writer (the pid in its name) is not running:
/// staging folders (`.participa-new.<period>.*`) and temporary indexes (`.index.html.*`); a
/// folder set aside (`.participa-old.<period>.*`) is deleted when its period is published, and
/// put back when the period is missing (the crash came between the two renames of a swap), as
/// the next publish of that period would do. Returns how many it removed or put back.
pub fn sweep_leftovers(root: &Path, now: SystemTime) -> usize {
    let mut done = 0;
    let mut asides: Vec<(String, PathBuf)> = Vec::new();
    for (name, path) in crate::leftovers::entries(root) {
        let ours = name.starts_with(STAGE_PREFIX) || name.starts_with(INDEX_TEMP_PREFIX) || name.starts_with(ASIDE_PREFIX);
        let running = crate::leftovers::pid_in(&name).is_some_and(crate::leftovers::other_process_running);
        if !ours || running || !crate::leftovers::is_stale(&path, now) {
            continue;
        }
        match name.strip_prefix(ASIDE_PREFIX).and_then(|rest| rest.rsplit_once('.')) {
            Some((period, _)) => asides.push((period.to_string(), path)),
            None => done += usize::from(crate::leftovers::remove(&path)),
        }
    }
    // The newest aside of a period is the one a crash left last (names start with the time).
    asides.sort();
    while let Some((period, path)) = asides.pop() {
        let target = root.join(&period);
        let published = target.exists() || !is_safe_name(&period);
        if published {
            done += usize::from(crate::leftovers::remove(&path));
        } else if fs::rename(&path, &target).is_ok() {
            warn!(folder = %target.display(), "an earlier run stopped mid-publication: restoring the previously published period");
            sync_dir(root);
            done += 1;
        }
    }
    done
}

fn remove_quietly(dir: &Path) {
    if let Err(e) = fs::remove_dir_all(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            warn!(folder = %dir.display(), error = %e, "cannot delete a temporary folder");
        }
    }
}

/// Makes renames in `dir` durable (best effort: not every file system can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A name part unique to this process and call, sortable by time.
fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{nanos:020}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Io { path: path.to_path_buf(), source }
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::example::{example, ExampleRows};
    use super::*;
    use crate::config::embedded::DATASETS;
    use crate::standard::Dataset;

    const ROWS: u64 = 37;

    fn definitions() -> Vec<Dataset> {
        DATASETS.iter().filter_map(|(_, text)| serde_json::from_str::<Dataset>(text).ok()).collect()
    }

    fn february() -> Report {
        let mut r = example(ROWS);
        r.meta.period = "2019-02".into();
        r.meta.period_label = "febrero de 2019".into();
        r.meta.title = "Informe de rendición de cuentas — febrero de 2019".into();
        r.meta.period_start = NaiveDate::from_ymd_opt(2019, 2, 1).unwrap_or_default();
        r.meta.period_end = NaiveDate::from_ymd_opt(2019, 2, 28).unwrap_or_default();
        r.meta.issued_on = NaiveDate::from_ymd_opt(2019, 3, 4).unwrap_or_default();
        r.meta.file_stem = "participa-2019-02-es".into();
        r
    }

    fn english(mut r: Report) -> Report {
        r.meta.lang = Lang::En;
        r.meta.title = "Accountability report — March 2019".into();
        r.meta.period_label = "March 2019".into();
        r.meta.file_stem = format!("participa-{}-en", r.meta.period);
        r.meta.subject = "Citizen participation indicators, March 2019".into();
        r.labels.summary = "Summary".into();
        r.labels.period = "Period".into();
        r.labels.issued = "Date of issue".into();
        r.labels.data_version = "Data version".into();
        r.labels.indicator = "Indicator".into();
        r.labels.value = "Value".into();
        r.labels.target = "Target".into();
        r
    }

    fn publish_example(root: &Path, report: &Report, pdf: &[u8]) -> PathBuf {
        let mut rows = ExampleRows { rows_per_dataset: report.datasets.first().map(|d| d.row_count).unwrap_or(0) };
        match publish(root, report, pdf, &mut || Ok(b"PK placeholder xlsx".to_vec()), &mut rows, &definitions()) {
            Ok(p) => p,
            Err(e) => panic!("publish failed: {e}"),
        }
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn hidden_leftovers(root: &Path) -> Vec<String> {
        fs::read_dir(root)
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with('.')).collect())
            .unwrap_or_default()
    }

    #[test]
    fn two_months_newest_first_with_every_row() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("publicacion");
        let march = publish_example(&root, &example(ROWS), b"%PDF-1.7 march");
        publish_example(&root, &february(), b"%PDF-1.7 february");
        assert_eq!(march, root.join("2019-03"));

        let index = read(&root.join("index.html"));
        let (m, f) = (index.find("2019-03/participa-2019-03-es.pdf"), index.find("2019-02/participa-2019-02-es.pdf"));
        assert!(m.is_some() && f.is_some() && m < f, "March must come before February:\n{index}");
        assert!(index.starts_with("<!DOCTYPE html>\n<html lang=\"es-AR\">"));
        assert!(index.contains("<main>") && index.contains("<caption>") && index.contains("<th scope=\"col\">"));
        assert!(index.contains("8.144"), "key figures as the report writes them");
        assert!(!index.contains("<script") && !index.contains("http://"));

        for (dataset, width) in [("instancias", 12), ("reconocimientos", 9)] {
            let path = march.join(format!("{dataset}.csv"));
            let bytes = fs::read(&path).expect("csv");
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            assert_eq!(reader.headers().expect("header").len(), width);
            let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
            assert_eq!(records.len() as u64, ROWS, "{dataset}");
            assert!(bytes.windows(2).any(|w| w == b"\r\n"), "RFC 4180 line ends");
        }
        let instancias = read(&march.join("instancias.csv"));
        let first = instancias.lines().nth(1).expect("a data row");
        assert_eq!(
            first,
            "reunion_vecinos,2019-03-14,presencial,4,Almagro,,87,Seguridad y señalización en Núñez,ministerio-justicia-seguridad,ministerio-justicia-seguridad/comisarías_2019.xlsx,Marzo,2"
        );
        assert!(hidden_leftovers(&root).is_empty(), "{:?}", hidden_leftovers(&root));
    }

    #[test]
    fn the_package_describes_the_csvs_it_lists() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = publish_example(tmp.path(), &example(ROWS), b"%PDF-1.7");
        let package: Json = serde_json::from_str(&read(&dir.join("datapackage.json"))).expect("json");
        assert_eq!(package["profile"], "tabular-data-package");
        assert_eq!(package["name"], "participa-2019-03");
        assert_eq!(package["version"], "3f9a1c0d5e7b2a64");
        assert_eq!(package["created"], "2019-04-02T00:00:00Z");
        assert_eq!(package["licenses"][0]["name"], "CC-BY-4.0");
        let resources = package["resources"].as_array().expect("resources");
        assert_eq!(resources.len(), 2);
        for resource in resources {
            let path = dir.join(resource["path"].as_str().expect("path"));
            let bytes = fs::read(&path).expect("csv");
            assert_eq!(resource["bytes"], bytes.len() as u64);
            assert_eq!(resource["hash"], format!("sha256:{}", hex::encode(Sha256::digest(&bytes))));
            let header = String::from_utf8_lossy(&bytes).lines().next().unwrap_or("").to_string();
            let names: Vec<&str> = resource["schema"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["name"].as_str()).collect();
            assert_eq!(names.join(","), header);
            for field in resource["schema"]["fields"].as_array().expect("fields") {
                let object = field.as_object().expect("object");
                assert!(object.keys().all(|k| !k.starts_with("participa:")), "{field}");
            }
        }
        let types: Vec<(&str, &str)> = resources[1]["schema"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| (f["name"].as_str().unwrap_or(""), f["type"].as_str().unwrap_or("")))
            .collect();
        assert!(types.contains(&("periodo", "yearmonth")) && types.contains(&("fuente_fila", "integer")), "{types:?}");
        // Comuna is required by the standard, but a city-wide instance has none (the part's
        // `may_be_empty`): the package does not declare it required; programa stays required.
        assert_eq!(resources[0]["schema"]["fields"][3]["constraints"], json!({ "minimum": 1, "maximum": 15 }));
        assert_eq!(resources[0]["schema"]["fields"][0]["constraints"], json!({ "required": true }));

        let resumen: Resumen = serde_json::from_str(&read(&dir.join("resumen.json"))).expect("resumen");
        assert_eq!(resumen.datapackage.sha256, hex::encode(Sha256::digest(fs::read(dir.join("datapackage.json")).expect("read"))));
        assert_eq!(resumen.editions.len(), 1);
        assert_eq!(resumen.editions[0].figures[1].value_text, "8.144");
        assert_eq!(resumen.editions[0].figures[1].value, json!(8144));
        assert_eq!(resumen.editions[0].pdf.bytes, 8);
    }

    #[test]
    fn republishing_a_month_replaces_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let dir = publish_example(root, &example(ROWS), b"%PDF-1.7 first");
        fs::write(dir.join("stray.txt"), b"left by hand").expect("write");
        let mut second = example(5);
        second.meta.data_version = "00000000000000ff".into();
        let again = publish_example(root, &second, b"%PDF-1.7 second version");
        assert_eq!(dir, again);
        assert_eq!(fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"), b"%PDF-1.7 second version");
        assert!(!dir.join("stray.txt").exists(), "the whole folder is replaced");
        assert_eq!(read(&dir.join("instancias.csv")).lines().count(), 6);
        assert!(read(&root.join("index.html")).contains("00000000000000ff"));
        assert!(hidden_leftovers(root).is_empty());
        let periods: Vec<_> = fs::read_dir(root).expect("dir").flatten().filter(|e| e.path().is_dir()).collect();
        assert_eq!(periods.len(), 1);
    }

    #[test]
    fn both_languages_of_a_period_are_listed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        publish_example(root, &english(example(ROWS)), b"%PDF en");
        let dir = publish_example(root, &example(ROWS), b"%PDF es");
        let resumen: Resumen = serde_json::from_str(&read(&dir.join("resumen.json"))).expect("resumen");
        let langs: Vec<&str> = resumen.editions.iter().map(|e| e.lang.as_str()).collect();
        assert_eq!(langs, ["es", "en"]);
        assert!(dir.join("participa-2019-03-en.pdf").is_file() && dir.join("participa-2019-03-es.pdf").is_file());
        let index = read(&root.join("index.html"));
        assert!(index.contains("<tr lang=\"en\">") && index.contains("participa-2019-03-en.xlsx"), "{index}");
        publish_example(root, &english(example(ROWS)), b"%PDF en 2");
        let package: Json = serde_json::from_str(&read(&dir.join("datapackage.json"))).expect("json");
        assert_eq!(package["title"], "Informe de rendición de cuentas — marzo de 2019", "the Spanish edition's texts, whatever was published last");

        // Another data version withdraws the other language rather than mix versions.
        let mut newer = example(ROWS);
        newer.meta.data_version = "1111111111111111".into();
        publish_example(root, &newer, b"%PDF es 2");
        assert!(!dir.join("participa-2019-03-en.pdf").exists());
        assert!(!read(&root.join("index.html")).contains("participa-2019-03-en"));
    }

    #[test]
    fn broken_or_foreign_summaries_are_skipped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        for (folder, text) in [("2020-01", "{ not json"), ("2020-02", "{\"format\":\"something-else\"}"), ("assets", "")] {
            fs::create_dir_all(root.join(folder)).expect("mkdir");
            fs::write(root.join(folder).join("resumen.json"), text).expect("write");
        }
        publish_example(root, &example(3), b"%PDF");
        let index = read(&root.join("index.html"));
        assert!(index.contains("2019-03/") && !index.contains("2020-0"));
        write_index(root).expect("index again");
    }

    #[test]
    fn every_text_is_escaped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut report = example(2);
        report.meta.title = "<script>alert('x')</script> & co".into();
        report.summary[0].label = "\"><img src=x onerror=alert(1)>".into();
        let dir = publish_example(tmp.path(), &report, b"%PDF");
        let index = read(&tmp.path().join("index.html"));
        assert!(!index.contains("<script>") && !index.contains("<img"), "{index}");
        assert!(index.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(dir.join("resumen.json").is_file());
    }

    #[test]
    fn an_empty_root_gets_an_index_saying_so() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write_index(tmp.path()).expect("index");
        let index = read(&tmp.path().join("index.html"));
        assert!(index.contains("Todavía no hay informes publicados."));
    }

    #[test]
    fn unsafe_names_are_refused_and_leave_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut report = example(2);
        report.meta.period = "../2019-03".into();
        let mut rows = ExampleRows { rows_per_dataset: 2 };
        assert!(publish(tmp.path(), &report, b"", &mut || Ok(Vec::new()), &mut rows, &definitions()).is_err());
        assert_eq!(fs::read_dir(tmp.path()).expect("dir").count(), 0);
    }

    #[test]
    fn a_failing_row_source_leaves_the_published_month_alone() {
        struct Failing;
        impl RowSource for Failing {
            fn for_each_row(&mut self, _: &str, _: &mut dyn FnMut(&[Cell]) -> io::Result<()>) -> io::Result<()> {
                Err(io::Error::other("store gone"))
            }
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = publish_example(tmp.path(), &example(3), b"%PDF old");
        let result = publish(tmp.path(), &example(3), b"%PDF new", &mut || Ok(Vec::new()), &mut Failing, &definitions());
        assert!(matches!(result, Err(ReportError::Rows { .. })), "{result:?}");
        assert_eq!(fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"), b"%PDF old");
        assert!(hidden_leftovers(tmp.path()).is_empty());
    }

    #[test]
    fn a_crash_between_the_renames_is_undone_by_the_next_publish() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let dir = publish_example(root, &example(3), b"%PDF old");
        let aside = root.join(format!("{ASIDE_PREFIX}2019-03.{}", unique()));
        fs::rename(&dir, &aside).expect("set aside");
        fs::create_dir(root.join(format!("{STAGE_PREFIX}2019-03.{}", unique()))).expect("stage");
        recover(root, "2019-03").expect("recover");
        assert_eq!(fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"), b"%PDF old");
        assert!(hidden_leftovers(root).is_empty());
    }

    /// Publishes `example(50)` for the external checks (frictionless, Chromium) to
    /// `$PARTICIPA_PUBLISH_OUT`, or to a kept temporary folder; prints where. The PDF and XLSX
    /// are placeholders. `cargo test --lib publish_example_for_external_checks -- --ignored --nocapture`
    #[test]
    #[ignore = "writes a folder for checking by hand with frictionless and Chromium"]
    fn publish_example_for_external_checks() {
        let root = match std::env::var_os("PARTICIPA_PUBLISH_OUT") {
            Some(p) => PathBuf::from(p),
            None => tempfile::tempdir().expect("tempdir").keep(),
        };
        let report = example(50);
        let mut rows = ExampleRows { rows_per_dataset: 50 };
        let dir = publish(&root, &report, b"%PDF-1.7 placeholder", &mut || Ok(b"PK placeholder".to_vec()), &mut rows, &definitions()).expect("publish");
        let mut feb = february();
        for d in &mut feb.datasets {
            d.row_count = 50;
        }
        publish(&root, &feb, b"%PDF-1.7 placeholder", &mut || Ok(b"PK placeholder".to_vec()), &mut rows, &definitions()).expect("publish");
        publish(&root, &english(example(50)), b"%PDF-1.7 placeholder", &mut || Ok(b"PK placeholder".to_vec()), &mut rows, &definitions()).expect("publish");
        println!("published {} and {}", dir.display(), root.join("index.html").display());
    }
}
