//! What is wrong with a file, sheet, row or cell: Frictionless error codes, the place a clerk
//! must look, the value as written, and a message in the clerk's language. Pure.

use std::collections::HashMap;

use serde::Serialize;

/// Error codes, named as Frictionless Data names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Code {
    /// A value that does not parse.
    #[serde(rename = "type-error")]
    TypeError,
    /// Out of range, unknown code, barrio not in comuna, ganadores > inscriptos, repeated id.
    #[serde(rename = "constraint-error")]
    ConstraintError,
    /// A required value is missing.
    #[serde(rename = "required-value")]
    RequiredValue,
    /// An exact copy of an earlier row in the same file.
    #[serde(rename = "duplicate-row")]
    DuplicateRow,
    /// A required column is missing: the sheet is rejected.
    #[serde(rename = "missing-label")]
    MissingLabel,
    /// The file cannot be read at all.
    #[serde(rename = "unreadable-file")]
    UnreadableFile,
    /// Not an error: a kept row with something worth a look.
    #[serde(rename = "warning")]
    Warning,
}

impl Code {
    /// The code as written in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::TypeError => "type-error",
            Code::ConstraintError => "constraint-error",
            Code::RequiredValue => "required-value",
            Code::DuplicateRow => "duplicate-row",
            Code::MissingLabel => "missing-label",
            Code::UnreadableFile => "unreadable-file",
            Code::Warning => "warning",
        }
    }
}

/// One problem found in a file. Row-level errors reject the row; `Warning` keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// Sheet name (empty for CSV and for whole-file problems).
    pub sheet: String,
    /// 1-based row as a person sees it; `None` for sheet- or file-level problems.
    pub row: Option<u32>,
    /// Column letters (`F`), when one cell is at fault.
    pub column: Option<String>,
    /// The column's header as written in the sheet.
    pub header: Option<String>,
    /// The standard field concerned (`participantes`).
    pub field: Option<String>,
    /// What kind of problem.
    pub code: Code,
    /// The value as written.
    pub value: String,
    /// What the clerk reads.
    pub message: String,
}

impl Issue {
    /// True for issues that reject their row (or more).
    pub fn is_error(&self) -> bool {
        self.code != Code::Warning
    }

    /// `hoja «Datos», fila 27` — the row only, for lines whose message names the cell.
    pub fn place_row(&self) -> String {
        self.place_parts(false)
    }

    /// `hoja «Datos», fila 27, celda B27` — where to look, for people.
    pub fn place(&self) -> String {
        self.place_parts(true)
    }

    fn place_parts(&self, with_cell: bool) -> String {
        let mut parts = Vec::new();
        if !self.sheet.is_empty() {
            parts.push(format!("hoja «{}»", self.sheet));
        }
        match (self.row, &self.column) {
            (Some(row), Some(col)) if with_cell => {
                parts.push(format!("fila {row}"));
                parts.push(format!("celda {col}{row}"));
            }
            (Some(row), _) => parts.push(format!("fila {row}")),
            (None, Some(col)) if with_cell => parts.push(format!("columna {col}")),
            (None, _) => {}
        }
        parts.join(", ")
    }
}

/// Message templates (`mensajes.es.json`), `{name}` placeholders filled by [`Messages::render`].
#[derive(Debug, Clone, Default)]
pub struct Messages {
    templates: HashMap<String, String>,
}

impl Messages {
    /// Parses a messages JSON object (keys starting with `_` are comments).
    pub fn parse(json: &str) -> Result<Messages, super::StandardError> {
        let templates: HashMap<String, String> =
            serde_json::from_str(json).map_err(|source| super::StandardError::Json {
                file: "messages".to_string(),
                source,
            })?;
        Ok(Messages {
            templates: templates
                .into_iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .collect(),
        })
    }

    /// Keys a complete message file must have, checked at start-up.
    pub const REQUIRED_KEYS: &'static [&'static str] = &[
        "type-error.date",
        "type-error.date_impossible",
        "type-error.yearmonth",
        "type-error.year",
        "type-error.integer",
        "type-error.number",
        "type-error.comuna",
        "constraint-error.minimum",
        "constraint-error.maximum",
        "constraint-error.code",
        "constraint-error.code_suggest",
        "constraint-error.parent",
        "constraint-error.less_or_equal",
        "constraint-error.unique",
        "required-value",
        "required-value.derivable",
        "duplicate-row",
        "missing-label",
        "unreadable-file",
        "unreadable-file.no_data",
        "unreadable-file.no_sheet_usable",
        "warning.sum_equals",
        "warning.out_of_period",
        "warning.future",
        "warning.tie",
        "missing-label.unused",
        "missing-label.unused_column",
        "missing-label.resembles",
        "columna.encabezado",
        "columna.contenido",
        "columna.mapeo",
        "columna.mensual",
        "columna.anio",
        "columna.personal",
        "columna.sin_uso",
        "columna.sin_uso_parecido",
        "valores.comunas",
        "valores.fechas",
        "valores.periodos",
    ];

    /// These messages, with `other`'s replacing them key by key.
    pub fn overlaid_with(mut self, other: Messages) -> Messages {
        self.templates.extend(other.templates);
        self
    }

    /// Names the keys missing from this file.
    pub fn missing_keys(&self) -> Vec<&'static str> {
        Self::REQUIRED_KEYS
            .iter()
            .copied()
            .filter(|k| !self.templates.contains_key(*k))
            .collect()
    }

    /// Fills the template `key` with `args`; an unknown key shows itself so nothing is silent.
    pub fn render(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self
            .templates
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}
