//! Writes the example report as PDF, for looking at it:
//! `cargo run --example report_pdf -- out.pdf`, or with `--no-data` for what a period without
//! data looks like (zeros, empty and all-zero charts, no rejected rows, two silent ministries).

use participa::report::example::example;
use participa::report::model::Cell;
use participa::report::pdf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: report_pdf OUT.pdf [--no-data]")?;
    let mut report = example(0);
    if args.next().as_deref() == Some("--no-data") {
        report.meta.has_data = false;
        for figure in &mut report.summary {
            figure.value = Cell::Int(0);
        }
        for (i, chart) in report.summary_charts.iter_mut().enumerate() {
            if i % 2 == 0 {
                chart.categories.clear();
            } else {
                chart
                    .series
                    .iter_mut()
                    .for_each(|s| s.values.iter_mut().for_each(|v| *v = 0.0));
            }
        }
        report.rejected.rows.clear();
        report.silent = vec![
            "Ministerio de Educación".into(),
            "Ministerio de Cultura".into(),
        ];
    }
    let start = std::time::Instant::now();
    let bytes = pdf::render(&report)?;
    eprintln!("rendered {} bytes in {:?}", bytes.len(), start.elapsed());
    std::fs::write(path, bytes)?;
    Ok(())
}
