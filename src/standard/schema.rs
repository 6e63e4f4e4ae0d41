//! Dataset definitions: Frictionless Table Schemas (`datasets/*.json`) with participa's own
//! properties (`participa:header_words`, `participa:code_list`, …). The published data package
//! reuses the same files. Pure: parsing and checking only.

use serde::Deserialize;

/// A field's type, as Frictionless names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Free text or a code.
    String,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
    /// A calendar date (stored ISO `YYYY-MM-DD`).
    Date,
    /// A year and month (stored `YYYY-MM`).
    Yearmonth,
    /// A year.
    Year,
}

/// Frictionless field constraints participa enforces.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// The value must be present (or derivable, or defaulted).
    #[serde(default)]
    pub required: bool,
    /// Smallest allowed number.
    pub minimum: Option<f64>,
    /// Largest allowed number.
    pub maximum: Option<f64>,
}

/// How a missing value is derived from another field's code list (`comuna` from `barrio`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    /// The field whose code gives the value.
    pub from: String,
    /// The code list column holding the value.
    pub column: String,
}

/// A code that must belong to another field's value (`barrio` within `comuna`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// The other field.
    pub field: String,
    /// The code list column that must equal it.
    pub column: String,
}

/// One field of a dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Field name: the export header and the store column.
    pub name: String,
    /// Human title (Spanish).
    #[serde(default)]
    pub title: Option<String>,
    /// Longer description.
    #[serde(default)]
    pub description: Option<String>,
    /// Frictionless type.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Frictionless constraints.
    #[serde(default)]
    pub constraints: Constraints,
    /// Header words seen in real files for this field.
    #[serde(rename = "participa:header_words", default)]
    pub header_words: Vec<String>,
    /// Code list the value must belong to (`programas`, `barrios`, …).
    #[serde(rename = "participa:code_list", default)]
    pub code_list: Option<String>,
    /// A special parser (`comuna`).
    #[serde(rename = "participa:parse", default)]
    pub parse: Option<String>,
    /// Derivation when the column is absent or the cell empty.
    #[serde(rename = "participa:derive", default)]
    pub derive: Option<Derive>,
    /// Parent field constraint.
    #[serde(rename = "participa:parent", default)]
    pub parent: Option<Parent>,
    /// Default when absent: a code, or `submission_date`.
    #[serde(rename = "participa:default", default)]
    pub default: Option<String>,
    /// A percentage (0–100): a column of fractions (a cell formatted `74%` holds 0.74) is
    /// read as percentages.
    #[serde(rename = "participa:percent", default)]
    pub percent: bool,
    /// Warn when the date falls outside the configured reporting period.
    #[serde(rename = "participa:in_reporting_period", default)]
    pub in_reporting_period: bool,
    /// The ages an age-band column counts, `[0, 17]` or `[65, null]`: a header that names
    /// this range in any words (`De 0 a 17 inclusive`, `Hasta 17`, `Menores de 18`) is this
    /// field.
    #[serde(rename = "participa:age_range", default)]
    pub age_range: Option<(u32, Option<u32>)>,
    /// A sheet with neither this column nor the one it derives from leaves the field empty
    /// instead of missing it (city-wide instances have no comuna); a sheet that has either
    /// column must give a value on every row.
    #[serde(rename = "participa:optional_without_column", default)]
    pub optional_without_column: bool,
}

/// A cross-field rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// The parts, when all present, must add up to the total.
    SumEquals {
        /// Fields added up.
        parts: Vec<String>,
        /// Field they must equal.
        total: String,
        /// `warning` keeps the row; `error` rejects it.
        severity: Severity,
    },
    /// `field` must not exceed `limit`.
    LessOrEqual {
        /// The bounded field.
        field: String,
        /// The bounding field.
        limit: String,
        /// `warning` keeps the row; `error` rejects it.
        severity: Severity,
    },
}

/// Whether a broken rule rejects the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Row rejected.
    Error,
    /// Row kept, warning listed.
    Warning,
}

/// A wide layout: a year column and one column per month and field, unpivoted on read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wide {
    /// The year-month field the unpivot fills.
    pub period_field: String,
    /// Header words of the year column.
    pub year_words: Vec<String>,
    /// Fields that come as `<field word> <month>` column pairs.
    pub month_fields: Vec<String>,
}

/// How snapshots of a dataset are kept and which is current.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshots {
    /// Identity of one thing across submissions.
    pub key: Vec<String>,
    /// Fields ordering snapshots; the latest is current.
    pub order_by: Vec<String>,
}

/// A dataset: a Frictionless Table Schema plus participa's properties.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Dataset name (`instancias`).
    pub name: String,
    /// Human title.
    #[serde(default)]
    pub title: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Fields in export order.
    pub fields: Vec<Field>,
    /// Cross-field rules.
    #[serde(rename = "participa:rules", default)]
    pub rules: Vec<Rule>,
    /// Fields unique within one file.
    #[serde(rename = "participa:unique_in_file", default)]
    pub unique_in_file: Vec<String>,
    /// Snapshot semantics (the latest per key is current; replaced ones go to history).
    #[serde(rename = "participa:snapshots", default)]
    pub snapshots: Option<Snapshots>,
    /// Wide month-by-month layout.
    #[serde(rename = "participa:wide", default)]
    pub wide: Option<Wide>,
}

/// The provenance columns every stored row carries, after the dataset's fields.
pub const PROVENANCE: [&str; 4] = ["organismo", "fuente_archivo", "fuente_hoja", "fuente_fila"];

/// What is wrong in a dataset's definition (the caller names the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The dataset's name is not a valid table name.
    #[error("dataset name «{0}» must be lower-case letters, digits and _")]
    DatasetName(String),
    /// A field's name is not a valid column name (or is a provenance column's).
    #[error("{dataset}: field name «{field}» is not a valid column name")]
    FieldName {
        /// The dataset.
        dataset: String,
        /// The field.
        field: String,
    },
    /// A field declared twice.
    #[error("{dataset}: field «{field}» is declared twice")]
    Twice {
        /// The dataset.
        dataset: String,
        /// The field.
        field: String,
    },
    /// A field names a code list, a parser or another field that does not exist.
    #[error("{dataset}.{field}: {what}")]
    Unknown {
        /// The dataset.
        dataset: String,
        /// The field.
        field: String,
        /// What it names, e.g. «unknown code list «barrios»».
        what: String,
    },
    /// A rule, the key of snapshots or the wide layout names a field that does not exist.
    #[error("{dataset}: rule refers to unknown field «{field}»")]
    RuleField {
        /// The dataset.
        dataset: String,
        /// The field named.
        field: String,
    },
}

impl Dataset {
    /// Index of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Checks names and references so a bad edit fails at start-up, not mid-run.
    pub fn check(&self, code_lists: &[&str]) -> Result<(), DefinitionError> {
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        if !ident(&self.name) {
            return Err(DefinitionError::DatasetName(self.name.clone()));
        }
        let unknown = |field: &str, what: String| DefinitionError::Unknown {
            dataset: self.name.clone(),
            field: field.to_string(),
            what,
        };
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            if !ident(&f.name) || PROVENANCE.contains(&f.name.as_str()) {
                return Err(DefinitionError::FieldName {
                    dataset: self.name.clone(),
                    field: f.name.clone(),
                });
            }
            if !seen.insert(f.name.as_str()) {
                return Err(DefinitionError::Twice {
                    dataset: self.name.clone(),
                    field: f.name.clone(),
                });
            }
            if let Some(list) = &f.code_list {
                if !code_lists.contains(&list.as_str()) {
                    return Err(unknown(&f.name, format!("unknown code list «{list}»")));
                }
            }
            if let Some(p) = &f.parse {
                if p != "comuna" {
                    return Err(unknown(&f.name, format!("unknown parser «{p}»")));
                }
            }
            for reference in [
                f.derive.as_ref().map(|d| &d.from),
                f.parent.as_ref().map(|p| &p.field),
            ]
            .into_iter()
            .flatten()
            {
                if self.field_index(reference).is_none() {
                    return Err(unknown(
                        &f.name,
                        format!("refers to unknown field «{reference}»"),
                    ));
                }
            }
        }
        let mut refs: Vec<&String> = self.unique_in_file.iter().collect();
        for rule in &self.rules {
            match rule {
                Rule::SumEquals { parts, total, .. } => {
                    refs.extend(parts);
                    refs.push(total);
                }
                Rule::LessOrEqual { field, limit, .. } => {
                    refs.push(field);
                    refs.push(limit);
                }
            }
        }
        if let Some(w) = &self.wide {
            refs.push(&w.period_field);
            refs.extend(&w.month_fields);
        }
        if let Some(s) = &self.snapshots {
            refs.extend(s.key.iter().filter(|k| k.as_str() != "organismo"));
            refs.extend(&s.order_by);
        }
        for r in refs {
            if self.field_index(r).is_none() {
                return Err(DefinitionError::RuleField {
                    dataset: self.name.clone(),
                    field: r.clone(),
                });
            }
        }
        Ok(())
    }
}
