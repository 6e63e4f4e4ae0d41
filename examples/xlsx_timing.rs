//! How long the XLSX renderer takes for a year as it would really be (many instances, a few
//! hundred recognition rows): `cargo run --release --example xlsx_timing [OUT_DIR]`. With
//! `OUT_DIR`, each workbook is also written there. The report bench (`cargo bench --bench
//! report`) measures the whole report; this one the workbook alone.

use participa::report::example::{example, ExampleRows};
use participa::report::model::{Cell, RowSource};
use participa::report::xlsx;

/// The example report's rows with a different count for `instancias` and the other datasets.
struct Year {
    instancias: u64,
    others: u64,
}

impl RowSource for Year {
    fn for_each_row(
        &mut self,
        dataset: &str,
        each: &mut dyn FnMut(&[Cell]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let rows_per_dataset = if dataset == "instancias" {
            self.instancias
        } else {
            self.others
        };
        ExampleRows { rows_per_dataset }.for_each_row(dataset, each)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1);
    for (instancias, others) in [
        (100_000u64, 100_000u64),
        (500_000, 2_000),
        (500_000, 500_000),
    ] {
        let mut report = example(instancias);
        if let Some(d) = report.datasets.get_mut(1) {
            d.row_count = others;
        }
        let mut best = f64::MAX;
        let mut bytes = Vec::new();
        for _ in 0..3 {
            let start = std::time::Instant::now();
            bytes = xlsx::render(&report, &mut Year { instancias, others })?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        eprintln!(
            "instancias {instancias}, reconocimientos {others}: best of 3 {best:.2} s, {} bytes",
            bytes.len()
        );
        if let Some(dir) = &out {
            std::fs::write(format!("{dir}/example-{instancias}-{others}.xlsx"), &bytes)?;
        }
    }
    Ok(())
}
