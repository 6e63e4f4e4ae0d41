//! The standard: turns the sheets a reader found into rows of the three standard datasets, or
//! into issues a clerk can act on (STANDARD.md §2–§6).
//!
//! Pure code: no files, no database, no clock, no logging. Everything it knows about the
//! datasets, code lists and words comes in a [`Standard`] built from configuration text, and
//! everything it knows about the file comes in a [`FileContext`]. It must not depend on
//! `ingest`, `store` or `pipeline`.

pub mod codes;
pub mod fold;
pub mod header;
pub mod issue;
pub mod lexicon;
pub mod process;
pub mod schema;
pub mod sheet;
pub mod values;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

pub use issue::{Code, Issue, Messages};
pub use process::process_file;
pub use schema::{Dataset, FieldType};
pub use sheet::{Cell, Merge, RawRow, RawSheet};

use codes::CodeList;
use header::Matcher;
use lexicon::{Lexicon, LexiconFile};

/// A typed value of a standard field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// No data.
    Null,
    /// Text or a code.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(f64),
    /// A date.
    Date(NaiveDate),
    /// A year and month.
    YearMonth(i32, u32),
    /// A year.
    Year(i32),
}

impl Value {
    /// The value as exported: dates ISO, periods `YYYY-MM`, null empty.
    pub fn to_export(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(t) => t.clone(),
            Value::Int(i) => i.to_string(),
            Value::Num(n) => sheet::format_number(*n),
            Value::Date(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            Value::YearMonth(y, m) => format!("{y:04}-{m:02}"),
            Value::Year(y) => y.to_string(),
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The number, for integers and decimals.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }
}

/// One accepted row of a dataset, with where it came from in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Sheet name (empty for CSV), shared by the sheet's records.
    pub sheet: std::sync::Arc<str>,
    /// 1-based row number as a person sees it.
    pub row: u32,
    /// Values in the dataset's field order.
    pub values: Vec<Value>,
}

/// The configuration texts a [`Standard`] is built from (files of the standard folder).
#[derive(Debug, Clone, Default)]
pub struct StandardTexts {
    /// `datasets/*.json` contents.
    pub datasets: Vec<(String, String)>,
    /// `codes/*.csv`: (list name, contents).
    pub code_lists: Vec<(String, String)>,
    /// `lexicon.json`.
    pub lexicon: String,
    /// `mensajes.<lang>.json`.
    pub messages: String,
    /// Messages used where `messages` lacks a key (the shipped Spanish ones), so a working
    /// folder made by an older release keeps working after an upgrade.
    pub fallback_messages: Option<String>,
}

/// Everything the standard knows, parsed and checked once.
#[derive(Debug, Clone)]
pub struct Standard {
    /// Datasets in a stable order.
    pub datasets: Vec<Dataset>,
    /// Code lists by name.
    pub code_lists: HashMap<String, CodeList>,
    /// Words for reading messy sheets.
    pub lexicon: Lexicon,
    /// Clerk-facing messages.
    pub messages: Messages,
    matchers: Vec<Matcher>,
}

/// Why the standard's files cannot be used; the message names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    /// A JSON file (the lexicon, the messages, a dataset) that does not parse.
    #[error("{file}: {source}")]
    Json {
        /// The file.
        file: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A code list's CSV that cannot be used.
    #[error("code list {list}{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    CodeList {
        /// The list's name.
        list: String,
        /// The line, when the problem is one line's.
        line: Option<usize>,
        /// What is wrong.
        problem: String,
    },
    /// The messages lack keys every message file must have.
    #[error("messages file lacks {}", .0.join(", "))]
    MissingMessages(Vec<String>),
    /// A dataset definition that refers to what does not exist or names badly.
    #[error("{file}: {problem}")]
    Definition {
        /// The file.
        file: String,
        /// What is wrong.
        problem: schema::DefinitionError,
    },
    /// Two files define the same dataset.
    #[error("{file}: dataset «{name}» is defined twice")]
    Twice {
        /// The second file.
        file: String,
        /// The dataset.
        name: String,
    },
    /// No dataset at all.
    #[error("the standard defines no dataset")]
    NoDataset,
}

impl Standard {
    /// Parses and cross-checks the texts; the error names the file and what is wrong.
    pub fn from_texts(texts: &StandardTexts) -> Result<Standard, StandardError> {
        let lexicon_file: LexiconFile =
            serde_json::from_str(&texts.lexicon).map_err(|source| StandardError::Json {
                file: "lexicon.json".to_string(),
                source,
            })?;
        let lexicon = Lexicon::new(&lexicon_file);
        let mut messages = Messages::parse(&texts.messages)?;
        if let Some(fallback) = &texts.fallback_messages {
            messages = Messages::parse(fallback)?.overlaid_with(messages);
        }
        let missing = messages.missing_keys();
        if !missing.is_empty() {
            return Err(StandardError::MissingMessages(
                missing.iter().map(ToString::to_string).collect(),
            ));
        }
        let mut code_lists = HashMap::new();
        for (name, text) in &texts.code_lists {
            code_lists.insert(name.clone(), CodeList::parse(name, text)?);
        }
        let list_names: Vec<&str> = code_lists.keys().map(String::as_str).collect();
        let mut datasets = Vec::new();
        for (file, text) in &texts.datasets {
            let dataset: Dataset =
                serde_json::from_str(text).map_err(|source| StandardError::Json {
                    file: file.clone(),
                    source,
                })?;
            dataset
                .check(&list_names)
                .map_err(|problem| StandardError::Definition {
                    file: file.clone(),
                    problem,
                })?;
            if datasets.iter().any(|d: &Dataset| d.name == dataset.name) {
                return Err(StandardError::Twice {
                    file: file.clone(),
                    name: dataset.name,
                });
            }
            datasets.push(dataset);
        }
        if datasets.is_empty() {
            return Err(StandardError::NoDataset);
        }
        datasets.sort_by(|a, b| a.name.cmp(&b.name));
        let matchers = datasets.iter().map(|d| Matcher::new(d, &lexicon)).collect();
        Ok(Standard {
            datasets,
            code_lists,
            lexicon,
            messages,
            matchers,
        })
    }

    /// The dataset called `name`.
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The header matcher of dataset `index`.
    pub fn matcher(&self, index: usize) -> &Matcher {
        &self.matchers[index]
    }
}

/// What the standard needs to know about the file being read.
#[derive(Debug, Clone, Default)]
pub struct FileContext {
    /// Reporting body (first-level folder).
    pub organismo: String,
    /// Path relative to the source root, `/`-separated.
    pub path: String,
    /// The day the file was submitted (its modification date): default for update dates.
    pub submitted: Option<NaiveDate>,
    /// A dataset the configuration pins this file to.
    pub pinned_dataset: Option<String>,
    /// A programme code the configuration gives as default for this file.
    pub default_programa: Option<String>,
    /// Dates outside this interval are flagged as warnings.
    pub reporting_period: Option<(NaiveDate, NaiveDate)>,
    /// The operator's column mapping for this file (`[organismos.X] columnas`, then the
    /// matching pin's): header as written → field name, or `ignorar`. Applied before any
    /// inference.
    pub column_map: Vec<(String, String)>,
}

/// What became of one sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "resultado", rename_all = "snake_case")]
pub enum SheetOutcome {
    /// Read as this dataset.
    Leida {
        /// Dataset name.
        dataset: String,
    },
    /// No header of any dataset (instructions, notes, lists): skipped, not an error.
    SinEncabezado,
    /// Looked like a dataset but a required column is missing: rejected.
    Rechazada {
        /// Dataset name.
        dataset: String,
    },
}

/// The report of one sheet, for the file's feedback.
#[derive(Debug, Clone, Serialize)]
pub struct SheetReport {
    /// Sheet name.
    pub nombre: String,
    /// What became of it.
    pub resultado: SheetOutcome,
    /// Header row number(s).
    pub filas_encabezado: Vec<u32>,
    /// Rows accepted (after unpivoting, records).
    pub filas_aceptadas: usize,
    /// Rows rejected.
    pub filas_rechazadas: usize,
    /// Totals, note and blank rows skipped.
    pub filas_omitidas: usize,
    /// Headers of columns that match nothing.
    pub columnas_ignoradas: Vec<String>,
    /// Headers of personal-data columns dropped on read (header only, never a value).
    pub columnas_personales_descartadas: Vec<String>,
    /// Columns past the reader's width limit were not read.
    pub columnas_truncadas: bool,
    /// How every column with a header or values was read, left to right.
    pub columnas: Vec<ColumnReading>,
}

/// How one column of a sheet was read: what a clerk or operator needs to see why a value
/// landed in a field, or why a column was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ColumnReading {
    /// Column letters as the spreadsheet shows them (`C`).
    pub columna: String,
    /// The header as written (parent and child joined for two-row headers); may be empty.
    pub encabezado: String,
    /// The standard field it feeds, or `None` when the column is not used.
    pub campo: Option<String>,
    /// Why.
    pub motivo: ReadingReason,
}

impl ReadingReason {
    /// The reason in words (`mensajes.*.json`, keys `columna.*`), for the validate table and
    /// the feedback e-mail.
    pub fn describe(&self, messages: &Messages) -> String {
        match self {
            ReadingReason::Encabezado { palabras } => {
                messages.render("columna.encabezado", &[("palabras", palabras)])
            }
            ReadingReason::Contenido {
                coinciden,
                de,
                lista,
            } => {
                let (c, d) = (coinciden.to_string(), de.to_string());
                messages.render(
                    "columna.contenido",
                    &[("coinciden", &c), ("de", &d), ("lista", lista)],
                )
            }
            ReadingReason::Mapeo => messages.render("columna.mapeo", &[]),
            ReadingReason::Mensual => messages.render("columna.mensual", &[]),
            ReadingReason::Anio => messages.render("columna.anio", &[]),
            ReadingReason::Personal => messages.render("columna.personal", &[]),
            ReadingReason::SinUso {
                parecido: Some(campo),
            } => messages.render("columna.sin_uso_parecido", &[("campo", campo)]),
            ReadingReason::SinUso { parecido: None } => messages.render("columna.sin_uso", &[]),
        }
    }
}

/// Why a column was read the way it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "por", rename_all = "snake_case")]
pub enum ReadingReason {
    /// The header's words name the field (`palabras`: the header word it matched).
    Encabezado {
        /// The configured header word that matched.
        palabras: String,
    },
    /// The values identify the field: `coinciden` of `de` non-empty values are of `lista`.
    Contenido {
        /// Values that matched.
        coinciden: usize,
        /// Non-empty values looked at.
        de: usize,
        /// What they are (a code list's name, `comunas`, `fechas`).
        lista: String,
    },
    /// The operator's `columnas` mapping in `participa.toml`.
    Mapeo,
    /// One month of a wide layout (`Inscriptos enero`).
    Mensual,
    /// The year column of a wide layout.
    Anio,
    /// A column about people: dropped on read.
    Personal,
    /// Not used; `parecido` is the field its values resemble, when any.
    SinUso {
        /// A field the values resemble, to help an operator map it.
        parecido: Option<String>,
    },
}

/// The standardised content of one file.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    /// Accepted records by dataset name.
    pub records: HashMap<String, Vec<Record>>,
    /// Errors (rejected rows and sheets) and warnings.
    pub issues: Vec<Issue>,
    /// One report per sheet.
    pub sheets: Vec<SheetReport>,
}

impl FileResult {
    /// Number of accepted records.
    pub fn accepted(&self) -> usize {
        self.records.values().map(Vec::len).sum()
    }

    /// Number of distinct rejected rows (sheet, row).
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<(&str, u32)> = self
            .issues
            .iter()
            .filter(|i| i.is_error())
            .filter_map(|i| i.row.map(|r| (i.sheet.as_str(), r)))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }

    /// Why the file gave nothing usable, when no sheet could be read as a dataset: such a file
    /// is rejected whole, like one that cannot be opened, so it never replaces good data.
    pub fn no_data_reason(&self, standard: &Standard) -> Option<String> {
        if self
            .sheets
            .iter()
            .any(|s| matches!(s.resultado, SheetOutcome::Leida { .. }))
        {
            return None;
        }
        let sheet_problems: Vec<String> = self
            .issues
            .iter()
            .filter(|i| i.code == Code::MissingLabel)
            .map(|i| format!("{}: {}", i.place(), i.message))
            .collect();
        Some(if sheet_problems.is_empty() {
            standard.messages.render("unreadable-file.no_data", &[])
        } else {
            standard.messages.render(
                "unreadable-file.no_sheet_usable",
                &[("detalle", &sheet_problems.join("; "))],
            )
        })
    }

    /// Headers of personal-data columns dropped, across sheets.
    pub fn personal_columns(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .sheets
            .iter()
            .flat_map(|s| s.columnas_personales_descartadas.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}
#[cfg(test)]
mod recognition_tests;
