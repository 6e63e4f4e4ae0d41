//! The report as a document, before it is a PDF, a workbook or a web page.
//!
//! `report::build` fills a [`Report`] from the indicators' figures and the store; the renderers
//! (`pdf`, `xlsx`, `publish`) only lay it out. Every text in here is already in the report's
//! language, so renderers never translate, compute or query: two renderers of one `Report`
//! can never disagree on a figure.
//!
//! Must not depend on the store, on printpdf or on rust_xlsxwriter. Its fixed words
//! ([`Labels`]) and how its values are written come from [`crate::text`].

use chrono::NaiveDate;
use serde::Serialize;

pub use crate::text::report::Labels;
use crate::text::{format, Lang};

/// Who, what and when: the cover, the metadata and the footer of every page.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// Report language.
    pub lang: Lang,
    /// Document title, e.g. «Informe de rendición de cuentas — marzo de 2019».
    pub title: String,
    /// The commitment, e.g. «Compromiso BUE0008: participación ciudadana».
    pub commitment: String,
    /// Who publishes it (PDF author, workbook author), e.g. «Ciudad de Buenos Aires».
    pub author: String,
    /// One-line subject for the metadata.
    pub subject: String,
    /// Period code: `2019-03`, `2019-Q1` or `2019`.
    pub period: String,
    /// Period for people: «marzo de 2019».
    pub period_label: String,
    /// First and last day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period (inclusive).
    pub period_end: NaiveDate,
    /// Date of issue: recorded the first time the period's report is built and reused after,
    /// so a rebuild gives the same document.
    pub issued_on: NaiveDate,
    /// Data version: a hash of the input file versions the report used (16 hex digits).
    pub data_version: String,
    /// False when no row of any dataset falls in the period: the report says so.
    pub has_data: bool,
    /// Base name of the output files: `participa-2019-03-es`.
    pub file_stem: String,
}

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Text, left-aligned.
    Text,
    /// Whole number, right-aligned, thousands separated.
    Integer,
    /// Decimal number with this many places.
    Decimal(u8),
    /// A share in 0..=1, written as a percentage with one decimal.
    Percent,
    /// A calendar date.
    Date,
}

/// A table column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Header text.
    pub title: String,
    /// Value kind (alignment and number format).
    pub kind: Kind,
}

impl Column {
    /// A column.
    pub fn new(title: impl Into<String>, kind: Kind) -> Column {
        Column {
            title: title.into(),
            kind,
        }
    }
}

/// One value in a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Nothing (null): printed as «—» in the PDF, an empty cell in the workbook.
    Empty,
    /// Text.
    Text(String),
    /// Whole number.
    Int(i64),
    /// Number (decimal or share, as its column says).
    Num(f64),
    /// A date.
    Date(NaiveDate),
}

/// A complete table: renderers never cut it, they continue it on the next page with the
/// header row repeated.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Title above the table.
    pub title: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// Optional totals row, printed bold at the end.
    pub totals: Option<Vec<Cell>>,
    /// Optional note under the table (what a value means, where it comes from).
    pub note: Option<String>,
}

/// Chart shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Vertical bars, one group per category.
    Column,
    /// Horizontal bars (long category names, such as programmes).
    Bar,
    /// A line over the categories (cumulative series over months).
    Line,
    /// Vertical bars, the series stacked on each other (states at each month's close).
    StackedColumn,
}

/// A series of a chart: one value per category.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per category.
    pub values: Vec<f64>,
}

/// A chart, drawn natively by each renderer from the same numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// Shape.
    pub kind: ChartKind,
    /// Category labels (x axis for columns and lines, y axis for bars).
    pub categories: Vec<String>,
    /// One or more series.
    pub series: Vec<Series>,
    /// A target drawn as a horizontal (or, for bars, vertical) reference line.
    pub target: Option<f64>,
    /// Label of the target line, e.g. «Meta: 300».
    pub target_label: Option<String>,
}

/// One key figure: a value, and where there is one, its target.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// The value as people read it ([`format_cell`] in the report's language): what the
    /// PDF, the web page and the e-mail print.
    pub value_text: String,
    /// The target as people read it, written like the value.
    pub target_text: Option<String>,
    /// What it is, e.g. «Instancias de participación (acumulado)».
    pub label: String,
    /// The value.
    pub value: Cell,
    /// How to write it.
    pub kind: Kind,
    /// The target, if any, in the same kind.
    pub target: Option<f64>,
    /// The baseline, if any.
    pub baseline: Option<f64>,
    /// Short note, e.g. «79 en el período».
    pub note: Option<String>,
}

impl Figure {
    /// A figure, its value and target written in `lang`.
    pub fn new(
        lang: Lang,
        label: String,
        value: Cell,
        kind: Kind,
        target: Option<f64>,
        baseline: Option<f64>,
        note: Option<String>,
    ) -> Figure {
        Figure {
            value_text: format_cell(&value, kind, lang),
            target_text: target.map(|t| format_cell(&Cell::Num(t), kind, lang)),
            label,
            value,
            kind,
            target,
            baseline,
            note,
        }
    }
}

/// One indicator's section.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Indicator id from the configuration.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it measures and how (one or two sentences).
    pub description: String,
    /// Headline figures of the section.
    pub figures: Vec<Figure>,
    /// Complete tables.
    pub tables: Vec<Table>,
    /// Chart, if the indicator has a grouping worth drawing.
    pub chart: Option<Chart>,
    /// Source files behind the section's figures, with the rows each contributed.
    pub sources: Table,
}

/// Where a dataset sheet's or CSV's rows come from: the renderers call
/// [`RowSource::for_each_row`] and never hold a whole dataset in memory.
pub trait RowSource {
    /// Calls `each` once per row of `dataset` in the report's period, in export order. The
    /// slice is only valid during the call.
    fn for_each_row(
        &mut self,
        dataset: &str,
        each: &mut dyn FnMut(&[Cell]) -> std::io::Result<()>,
    ) -> std::io::Result<()>;
}

/// A standard dataset as published for the period (rows come from a [`RowSource`]).
#[derive(Debug, Clone, Serialize)]
pub struct DatasetPart {
    /// Dataset name (`instancias`), also the sheet and CSV name.
    pub name: String,
    /// Title for people.
    pub title: String,
    /// Columns: the standard fields, then the provenance columns.
    pub columns: Vec<Column>,
    /// Field names, as in the CSV header (same order as `columns`).
    pub field_names: Vec<String>,
    /// Rows in the period.
    pub row_count: u64,
    /// Fields the standard requires that a row may nevertheless leave empty, with a meaning
    /// (`sin_dato` in `indicadores.toml`: an instance without a comuna is city-wide). The
    /// published schema does not declare them required.
    pub may_be_empty: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Cover, metadata and footers.
    pub meta: Meta,
    /// Fixed words.
    pub labels: Labels,
    /// The one-page summary: key figures against targets.
    pub summary: Vec<Figure>,
    /// The summary's charts (instances cumulative against target; participants by comuna;
    /// initiatives by state; age bands).
    pub summary_charts: Vec<Chart>,
    /// One section per configured indicator, in configuration order.
    pub sections: Vec<Section>,
    /// Data quality by organismo: files, rows accepted and rejected.
    pub quality: Table,
    /// Organismos that sent nothing for the period.
    pub silent: Vec<String>,
    /// Every source file: organismo, file, date received, SHA-256.
    pub annex: Table,
    /// Rejected rows of the period's files: file, sheet, row, cell, code, value, message.
    pub rejected: Table,
    /// The standard datasets for the period.
    pub datasets: Vec<DatasetPart>,
    /// The follow-up of processes: rows listed, findings, trajectories and their pages.
    pub followup: FollowUp,
}

/// The follow-up of processes (STANDARD.md §7, indicators 8 and 9) beyond a section's own
/// figures, tables and chart: every text already in the report's language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FollowUp {
    /// Rows a section lists one by one (the period's instances with their results): the PDF
    /// prints each at the end of its section, the workbook gives each a sheet, the period's
    /// web page a table.
    pub listings: Vec<Listing>,
    /// Findings of the data-quality section, as tables under its own (organismos below a
    /// configured minimum share).
    pub quality: Vec<Table>,
    /// The organismos of those findings, each with a sentence saying what it lacks.
    pub findings: Vec<Finding>,
    /// The annex of trajectories: its title and tables (the initiatives that changed in the
    /// period, those without an update for long).
    pub annex: Option<Annex>,
    /// Every trajectory, one row per update: the workbook's sheet.
    pub trajectories: Option<Listing>,
    /// Every update as a published dataset (CSV with its Table Schema).
    pub history: Option<History>,
    /// The published site's pages: the period's and one per comuna.
    pub pages: Option<Pages>,
}

/// A table of rows listed one by one, with the sheet that holds it in the workbook.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// Id of the section it belongs to.
    pub section: String,
    /// The workbook sheet's title.
    pub sheet: String,
    /// The rows.
    pub table: Table,
}

/// An organismo with a finding of data quality.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Its code (its folder).
    pub organismo: String,
    /// What the finding says, in a sentence.
    pub text: String,
}

/// An annex of the PDF after the source files.
#[derive(Debug, Clone, Serialize)]
pub struct Annex {
    /// Heading.
    pub title: String,
    /// A paragraph saying what it holds.
    pub description: String,
    /// Its tables.
    pub tables: Vec<Table>,
}

/// A published dataset that is not a standard one: its columns, rows and Table Schema.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// Name, columns and row count (`iniciativas_historial`).
    pub part: DatasetPart,
    /// Description for the data package.
    pub description: String,
    /// Each column's Table Schema field, in column order.
    pub schema: Vec<SchemaField>,
    /// The rows, each as long as the columns.
    pub rows: Vec<Vec<Cell>>,
}

/// A field of a Table Schema.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaField {
    /// Name (the CSV header).
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Frictionless type: `string`, `integer`, `number`, `date`, `boolean`.
    pub kind: String,
    /// Every row has it.
    pub required: bool,
    /// Least value.
    pub minimum: Option<f64>,
    /// Greatest value.
    pub maximum: Option<f64>,
}

/// Web pages of the period beside the index: the follow-up page, and a page per comuna.
#[derive(Debug, Clone, Serialize)]
pub struct Pages {
    /// The follow-up page: its title.
    pub title: String,
    /// What it holds, in a paragraph.
    pub description: String,
    /// How to find a row (the page has no script: the browser's search, the CSV).
    pub search_hint: String,
    /// Its tables: the listed rows, the states by month, the changes of the period.
    pub tables: Vec<Table>,
    /// Heading of the list of comuna pages.
    pub comunas_title: String,
    /// «Volver» / «Back», on every page.
    pub back: String,
    /// The link text from the index to the follow-up page.
    pub link_text: String,
    /// One page per comuna with items.
    pub comunas: Vec<ComunaPage>,
}

/// A comuna's page: its items and their trajectories.
#[derive(Debug, Clone, Serialize)]
pub struct ComunaPage {
    /// The comuna's number.
    pub comuna: i64,
    /// Title («Comuna 4: iniciativas y su seguimiento»).
    pub title: String,
    /// What it holds.
    pub description: String,
    /// One entry per item.
    pub items: Vec<ItemPage>,
}

/// An item on its comuna's page.
#[derive(Debug, Clone, Serialize)]
pub struct ItemPage {
    /// Its title for people.
    pub title: String,
    /// Label and value pairs (id, programme, state, progress, last update, days since).
    pub facts: Vec<(String, String)>,
    /// Its updates, oldest first.
    pub steps: Table,
}

/// Writes a value as people read it in the report's language (see [`crate::text::format`]):
/// `15.349` and `38,6 %` in Spanish, `15,349` and `38.6%` in English; dates `31/03/2019` and
/// `2019-03-31`; null «—». Every renderer uses this, so they print the same text.
pub fn format_cell(cell: &Cell, kind: Kind, lang: Lang) -> String {
    match cell {
        Cell::Empty => format::NONE.to_string(),
        Cell::Text(t) => t.clone(),
        Cell::Date(d) => format::date(*d, lang),
        Cell::Int(i) => format_number_of(*i as f64, kind, 0, lang),
        Cell::Num(n) => format_number_of(*n, kind, 2, lang),
    }
}

/// A number as its column's kind says; `places` when the kind names none.
fn format_number_of(n: f64, kind: Kind, places: u8, lang: Lang) -> String {
    match kind {
        Kind::Percent => format::percent(n, lang),
        Kind::Decimal(p) => format::number(n, p, lang),
        Kind::Integer => format::number(n, 0, lang),
        Kind::Text | Kind::Date => format::number(n, places, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_written_as_their_kind_says() {
        assert_eq!(
            format_cell(&Cell::Num(0.3855), Kind::Percent, Lang::Es),
            "38,6 %"
        );
        assert_eq!(
            format_cell(&Cell::Num(0.3855), Kind::Percent, Lang::En),
            "38.6%"
        );
        assert_eq!(
            format_cell(&Cell::Int(15349), Kind::Integer, Lang::Es),
            "15.349"
        );
        assert_eq!(format_cell(&Cell::Num(2.5), Kind::Text, Lang::En), "2.50");
        assert_eq!(format_cell(&Cell::Empty, Kind::Integer, Lang::Es), "—");
    }
}
