//! Publishes the example report for checking by hand with frictionless and Chromium:
//! `cargo run --example publish_example [OUT_DIR]` (a kept temporary folder when no folder is
//! given) writes March 2019 in Spanish and English and February 2019, with 50 rows per
//! dataset, and prints where. The PDF and XLSX are placeholders. `tests/tools.rs` runs the same
//! checks on a real published folder.

use std::path::PathBuf;

use chrono::NaiveDate;
use participa::config::embedded::DATASETS;
use participa::report::example::{english, example, ExampleRows};
use participa::report::model::Report;
use participa::report::publish::publish;
use participa::standard::Dataset;

/// February 2019 as the library's publish tests make it (the example with 37 rows), with 50
/// rows per dataset.
fn february() -> Report {
    let mut r = example(37);
    r.meta.period = "2019-02".into();
    r.meta.period_label = "febrero de 2019".into();
    r.meta.title = "Informe de rendición de cuentas — febrero de 2019".into();
    r.meta.period_start = NaiveDate::from_ymd_opt(2019, 2, 1).unwrap_or_default();
    r.meta.period_end = NaiveDate::from_ymd_opt(2019, 2, 28).unwrap_or_default();
    r.meta.issued_on = NaiveDate::from_ymd_opt(2019, 3, 4).unwrap_or_default();
    r.meta.file_stem = "participa-2019-02-es".into();
    for d in &mut r.datasets {
        d.row_count = 50;
    }
    r
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = match std::env::args_os().nth(1) {
        Some(p) => PathBuf::from(p),
        None => tempfile::tempdir()?.keep(),
    };
    let definitions: Vec<Dataset> = DATASETS
        .iter()
        .filter_map(|(_, text)| serde_json::from_str::<Dataset>(text).ok())
        .collect();
    let pdf = b"%PDF-1.7 placeholder";
    let mut xlsx = || Ok(b"PK placeholder".to_vec());
    let mut rows = ExampleRows {
        rows_per_dataset: 50,
    };
    let dir = publish(&root, &example(50), pdf, &mut xlsx, &mut rows, &definitions)?;
    publish(&root, &february(), pdf, &mut xlsx, &mut rows, &definitions)?;
    publish(
        &root,
        &english(example(50)),
        pdf,
        &mut xlsx,
        &mut rows,
        &definitions,
    )?;
    println!(
        "published {} and {}",
        dir.display(),
        root.join("index.html").display()
    );
    Ok(())
}
