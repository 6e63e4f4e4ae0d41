//! The published dataset of every initiative's updates (`iniciativas_historial.csv`, named by
//! `trayectorias.publicar`): its CSV, written from the model's rows, and its data-package
//! resource with the Table Schema the model describes.
//!
//! Must not read the store: the rows are the model's.

use std::path::Path;

use serde_json::{json, Map, Value as Json};

use super::csv_file::CsvFile;
use super::datapackage::licenses;
use super::resumen::PublishedDataset;
use super::CSV_MEDIATYPE;
use crate::report::model::{History, SchemaField};
use crate::report::ReportError;

/// Writes the history's CSV into `dir`; returns what the summary lists of it and its
/// data-package resource.
pub(super) fn write_history(
    dir: &Path,
    history: &History,
) -> Result<(PublishedDataset, Json), ReportError> {
    let mut csv = CsvFile::create(dir, &history.part)?;
    for row in &history.rows {
        csv.row(row)?;
    }
    let done = csv.finish()?;
    let mut resource = Map::new();
    resource.insert("profile".into(), json!("tabular-data-resource"));
    resource.insert("name".into(), json!(history.part.name));
    resource.insert("path".into(), json!(done.csv.file));
    resource.insert("title".into(), json!(history.part.title));
    resource.insert("description".into(), json!(history.description));
    resource.insert("format".into(), json!("csv"));
    resource.insert("mediatype".into(), json!(CSV_MEDIATYPE));
    resource.insert("encoding".into(), json!("utf-8"));
    resource.insert("bytes".into(), json!(done.csv.bytes));
    resource.insert("hash".into(), json!(format!("sha256:{}", done.csv.sha256)));
    resource.insert("licenses".into(), licenses());
    resource.insert(
        "dialect".into(),
        json!({ "delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": true, "header": true }),
    );
    let fields: Vec<Json> = history.schema.iter().map(schema_field).collect();
    resource.insert(
        "schema".into(),
        json!({ "fields": fields, "missingValues": [""] }),
    );
    Ok((done, Json::Object(resource)))
}

fn schema_field(f: &SchemaField) -> Json {
    let mut field = Map::new();
    field.insert("name".into(), json!(f.name));
    field.insert("title".into(), json!(f.title));
    if !f.description.is_empty() {
        field.insert("description".into(), json!(f.description));
    }
    field.insert("type".into(), json!(f.kind));
    let whole = matches!(f.kind.as_str(), "integer" | "year");
    let mut constraints = Map::new();
    if f.required {
        constraints.insert("required".into(), json!(true));
    }
    for (key, bound) in [("minimum", f.minimum), ("maximum", f.maximum)] {
        if let Some(b) = bound.filter(|b| b.is_finite()) {
            let value = if whole && b.fract() == 0.0 && b.abs() < 9.0e15 {
                json!(b as i64)
            } else {
                json!(b)
            };
            constraints.insert(key.into(), value);
        }
    }
    if !constraints.is_empty() {
        field.insert("constraints".into(), Json::Object(constraints));
    }
    Json::Object(field)
}
