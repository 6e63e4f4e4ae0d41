//! The Frictionless Data Package (`datapackage.json`, profile `tabular-data-package`) of a
//! period's CSVs: resources, Table Schemas from the standard's field definitions, licence.
//!
//! Describes the CSVs already written; must not write files or read the store.

use serde_json::{json, Map, Value as Json};
use tracing::warn;

use super::resumen::{Edition, PublishedDataset};
use super::CSV_MEDIATYPE;
use crate::report::model::{Column, DatasetPart, Kind, Report};
use crate::standard::schema::{Field, FieldType, PROVENANCE};

/// Licence of everything published: the data (CSVs, data package) and the documents (PDF, XLSX).
/// CC BY 4.0 covers both databases and documents in one licence; ODC-BY would cover the data only.
pub const LICENSE: License = License {
    name: "CC-BY-4.0",
    title: "Creative Commons Attribution 4.0 International",
    path: "https://creativecommons.org/licenses/by/4.0/",
};

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

/// The Frictionless Data Package (v1, profile `tabular-data-package`) of the period's CSVs.
/// The PDF and XLSX are not resources: that profile accepts tabular resources only.
pub(super) fn datapackage(
    period: &str,
    texts: &Edition,
    report: &Report,
    published: &[PublishedDataset],
    datasets: &[crate::standard::Dataset],
) -> Json {
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

pub(super) fn licenses() -> Json {
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
