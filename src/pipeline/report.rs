//! The report's way through the stages: store rows → indicators → report model → PDF, XLSX
//! and the published folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tracing::{info, info_span};

use crate::config::Config;
use crate::indicators::{self, Figures, Period, RowScan, ScanRow, ScanSpec};
use crate::report::build::{self, Inputs};
use crate::report::model::{Cell, DatasetPart, Report, RowSource, Table};
use crate::report::publish::{PublishedDataset, Stage};
use crate::report::xlsx::Collected;
use crate::report::{self, ReportError};
use crate::standard::Value;
use crate::store::{ExportError, Selection, Store, StoreError};
use crate::text::Lang;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportRunError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Scanning rows failed.
    #[error(transparent)]
    Scan(#[from] ExportError),
    /// Rendering or writing failed.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// What a report run wrote.
#[derive(Debug)]
pub struct ReportFiles {
    /// The report model (figures for messages and e-mails).
    pub report: Report,
    /// The PDF.
    pub pdf: PathBuf,
    /// The workbook.
    pub xlsx: PathBuf,
    /// The period's published folder.
    pub published: PathBuf,
}

/// The indicators' view of the store.
struct StoreScan<'a> {
    store: &'a mut dyn Store,
}

impl RowScan for StoreScan<'_> {
    type Error = ExportError;
    fn scan(&mut self, spec: &ScanSpec, each: &mut dyn FnMut(&ScanRow)) -> Result<(), ExportError> {
        let selection = Selection {
            dataset: spec.dataset,
            date_field: spec.date_field,
            from: spec.from,
            to: spec.to,
            as_of: spec.as_of,
            ordered: false,
            wanted: Some(spec.wanted),
        };
        self.store.scan(&selection, &mut |row| {
            each(&ScanRow {
                values: &row.values,
                organismo: &row.organismo,
                archivo: &row.archivo,
                version_id: row.version_id,
            });
            Ok(())
        })
    }

    fn snapshots(
        &mut self,
        spec: &ScanSpec,
        each: &mut dyn FnMut(&ScanRow),
    ) -> Result<(), ExportError> {
        let selection = Selection {
            dataset: spec.dataset,
            date_field: spec.date_field,
            from: None,
            to: spec.to,
            as_of: false,
            ordered: false,
            wanted: Some(spec.wanted),
        };
        self.store.snapshots(&selection, &mut |row| {
            each(&ScanRow {
                values: &row.values,
                organismo: &row.organismo,
                archivo: &row.archivo,
                version_id: row.version_id,
            });
            Ok(())
        })
    }
}

/// The renderers' view of the store: each dataset's rows for the period, in export order.
struct PeriodRows<'a> {
    store: &'a mut dyn Store,
    config: &'a Config,
    period: Period,
}

fn to_cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Empty,
        Value::Text(t) => Cell::Text(t.clone()),
        Value::Int(i) => Cell::Int(*i),
        Value::Num(n) => Cell::Num(*n),
        Value::Date(d) => Cell::Date(*d),
        Value::YearMonth(..) => Cell::Text(v.to_export()),
        Value::Year(y) => Cell::Int(i64::from(*y)),
    }
}

/// [`to_cell`] into `cell`, reusing its text's allocation: half a million rows of a dozen
/// texts each.
fn assign_cell(cell: &mut Cell, v: &Value) {
    match v {
        Value::Text(t) => assign_text(cell, t),
        other => *cell = to_cell(other),
    }
}

fn assign_text(cell: &mut Cell, text: &str) {
    match cell {
        Cell::Text(old) => {
            old.clear();
            old.push_str(text);
        }
        _ => *cell = Cell::Text(text.to_string()),
    }
}

impl RowSource for PeriodRows<'_> {
    fn for_each_row(
        &mut self,
        dataset: &str,
        each: &mut dyn FnMut(&[Cell]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let missing = || {
            std::io::Error::other(format!(
                "el dataset {dataset} no está en el estándar o no tiene fecha en indicadores.toml"
            ))
        };
        let ds = self.config.standard.dataset(dataset).ok_or_else(missing)?;
        let dating = self
            .config
            .indicators
            .datasets
            .get(dataset)
            .ok_or_else(missing)?;
        let selection = Selection {
            dataset: ds,
            date_field: &dating.fecha,
            from: (!dating.estado_al_cierre).then(|| self.period.start()),
            to: self.period.end(),
            as_of: dating.estado_al_cierre,
            ordered: true,
            wanted: None,
        };
        let mut cells: Vec<Cell> = Vec::new();
        self.store
            .scan(&selection, &mut |row| {
                let n = row.values.len();
                cells.resize(n + 4, Cell::Empty);
                for (cell, v) in cells.iter_mut().zip(&row.values) {
                    assign_cell(cell, v);
                }
                for (cell, text) in
                    cells[n..]
                        .iter_mut()
                        .zip([&row.organismo, &row.archivo, &row.hoja])
                {
                    assign_text(cell, text);
                }
                cells[n + 3] = Cell::Int(row.fila);
                each(&cells)
            })
            .map_err(|e| match e {
                ExportError::Output(e) => e,
                ExportError::Store(e) => std::io::Error::other(e.to_string()),
            })
    }
}

/// Computes the figures and builds the report model for `period`; records the build (the
/// date of issue is `today` the first time, the recorded one after).
pub fn build_report(
    config: &Config,
    store: &mut dyn Store,
    period: Period,
    lang: Lang,
    today: NaiveDate,
    built_at: &str,
) -> Result<(Report, Figures), ReportRunError> {
    let datasets = &config.standard.datasets;
    let figures = indicators::compute(
        &config.indicators,
        datasets,
        period,
        &mut StoreScan { store: &mut *store },
    )?;
    let ids: Vec<i64> = figures.files.keys().copied().collect();
    let versions = store.versions(&ids)?;
    let unusable = store.unusable_files()?;
    let mut organismos: BTreeMap<String, String> = store
        .organismos()?
        .into_iter()
        .map(|o| (o.clone(), o))
        .collect();
    for (code, org) in &config.settings.organismos {
        organismos.insert(
            code.clone(),
            org.nombre.clone().unwrap_or_else(|| code.clone()),
        );
    }
    let organismos: Vec<(String, String)> = organismos.into_iter().collect();
    let period_ids: Vec<i64> = figures
        .files
        .iter()
        .filter(|(_, f)| f.rows_in_period > 0)
        .map(|(id, _)| *id)
        .collect();
    let rejections = store.rejections(&period_ids)?;
    let data_version = build::data_version(&versions, &unusable);
    let issued = store.record_report(
        &period.to_string(),
        lang.code(),
        &data_version,
        &today.to_string(),
        built_at,
    )?;
    let issued_on = NaiveDate::parse_from_str(&issued, "%Y-%m-%d").unwrap_or(today);
    let report = build::build(&Inputs {
        indicators: &config.indicators,
        standard: &config.standard,
        figures: &figures,
        lang,
        versions: &versions,
        unusable: &unusable,
        organismos: &organismos,
        rejections: &rejections,
        issued_on,
        zone: super::configured_zone(config),
        data_version: &data_version,
        dataset_rows: &figures.rows_published,
    });
    Ok((report, figures))
}

/// Each organismo's data-quality findings for `period` (the minimums by organismo of
/// `indicadores.toml`), in Spanish, the reminders' language: organismo code → sentences.
pub fn findings(
    config: &Config,
    store: &mut dyn Store,
    period: Period,
) -> Result<BTreeMap<String, Vec<String>>, ReportRunError> {
    let figures = indicators::compute(
        &config.indicators,
        &config.standard.datasets,
        period,
        &mut StoreScan { store },
    )?;
    Ok(report::findings(
        &config.indicators,
        &config.standard,
        &figures,
        Lang::Es,
    ))
}

/// Rows of the rejected-rows table the PDF prints; the workbook and the published CSVs have
/// them all.
const PDF_REJECTED_ROWS: usize = 300;

/// The PDF's copy of the report: the rejected rows table cut to [`PDF_REJECTED_ROWS`] with a
/// note saying where the rest is, so a bad month cannot make a thousand-page PDF.
fn pdf_view(report: &Report) -> std::borrow::Cow<'_, Report> {
    if report.rejected.rows.len() <= PDF_REJECTED_ROWS {
        return std::borrow::Cow::Borrowed(report);
    }
    let mut view = report.clone();
    let total = view.rejected.rows.len();
    view.rejected = Table {
        rows: view.rejected.rows[..PDF_REJECTED_ROWS].to_vec(),
        ..view.rejected.clone()
    };
    view.rejected.note = Some(crate::text::report::rejected_rows_cut(
        PDF_REJECTED_ROWS,
        total,
        report.meta.lang,
    ));
    std::borrow::Cow::Owned(view)
}

/// Writes a report file atomically ([`crate::fsutil::write_atomic`]); a crash leaves its
/// temporary file, which [`sweep_leftovers`] deletes.
fn write_report_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::write_atomic(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Deletes the temporary files a crash left in the report folders (`[informe] dir_salida`: a
/// report's PDF or XLSX being written; `dir_publicacion`: see
/// [`report::publish::sweep_leftovers`]) once stale ([`crate::leftovers`]); returns how many.
pub fn sweep_leftovers(config: &Config, now: std::time::SystemTime) -> usize {
    let out_dir = config.resolve(&config.settings.informe.dir_salida);
    let report_file =
        |n: &str| n.starts_with("participa-") && (n.ends_with(".pdf") || n.ends_with(".xlsx"));
    // `participa-….pdf.tmp`: the name earlier releases wrote to.
    let ours = |name: &str| {
        crate::fsutil::temp_target(name).is_some_and(report_file)
            || name.strip_suffix(".tmp").is_some_and(report_file)
    };
    crate::leftovers::sweep_files(&out_dir, now, ours)
        + report::publish::sweep_leftovers(
            &config.resolve(&config.settings.informe.dir_publicacion),
            now,
        )
}

/// The datasets a report publishes: those the indicators date (as [`indicators::compute`]
/// counts their rows), in the standard's order.
fn published_parts(config: &Config) -> Vec<DatasetPart> {
    config
        .standard
        .datasets
        .iter()
        .filter(|ds| {
            config
                .indicators
                .datasets
                .get(&ds.name)
                .is_some_and(|d| ds.field_index(&d.fecha).is_some())
        })
        .map(|ds| build::dataset_part(ds, 0))
        .collect()
}

/// The period's dataset rows, read once: into the workbook's dataset sheets and the CSVs of
/// the published folder (staged, not yet in place).
fn gather_rows(
    config: &Config,
    period: Period,
    lang: Lang,
    root: &Path,
) -> Result<(Stage, Vec<PublishedDataset>, Collected), ReportRunError> {
    let mut own = super::open_store(config)?;
    let stage = Stage::create(root, &period.to_string())?;
    let parts = published_parts(config);
    let mut collected = Collected::new(lang);
    for part in &parts {
        collected.start(part);
    }
    let mut source = PeriodRows {
        store: &mut own,
        config,
        period,
    };
    let published = report::publish::stage_csvs(&stage, &parts, &mut source, &mut |d, cells| {
        collected.row(d, cells)
    })?;
    Ok((stage, published, collected))
}

/// Builds the period's report and writes its PDF, XLSX and published folder.
///
/// The period's rows are read once, on their own thread and store connection, into the
/// workbook's dataset sheets and the published CSVs, while the figures are computed and the
/// PDF drawn: with half a million rows each side is about a second of work (BENCHMARKS.md).
/// Both read the store as it is when they start; a report is not built while an ingest
/// writes: the daemon runs one job at a time, and a `participa report` holds the store's
/// writer lock, which keeps out every other process that writes.
pub fn report(
    config: &Config,
    store: &mut dyn Store,
    period: Period,
    lang: Lang,
    today: NaiveDate,
    built_at: &str,
) -> Result<ReportFiles, ReportRunError> {
    let span = info_span!("informe", periodo = %period, idioma = ?lang);
    let _guard = span.enter();
    let out_dir = config.resolve(&config.settings.informe.dir_salida);
    let root = config.resolve(&config.settings.informe.dir_publicacion);
    std::thread::scope(|scope| -> Result<ReportFiles, ReportRunError> {
        let root_ref = &root;
        let rows = std::thread::Builder::new()
            .name("filas".into())
            .spawn_scoped(scope, move || gather_rows(config, period, lang, root_ref))
            .map_err(|e| ReportError::Rows {
                dataset: "*".into(),
                source: e,
            })?;
        let (report, _) = build_report(config, store, period, lang, today, built_at)?;
        info!(version_datos = %report.meta.data_version, emitido = %report.meta.issued_on, "cifras calculadas");
        let pdf_path = out_dir.join(format!("{}.pdf", report.meta.file_stem));
        let xlsx_path = out_dir.join(format!("{}.xlsx", report.meta.file_stem));
        let pdf = report::pdf::render(&pdf_view(&report))?;
        write_report_file(&pdf_path, &pdf)?;
        let (stage, published, collected) = match rows.join() {
            Ok(result) => result?,
            Err(_) => {
                return Err(ReportError::Rows {
                    dataset: "*".into(),
                    source: std::io::Error::other(
                        "el hilo que leía las filas terminó con un error interno",
                    ),
                }
                .into())
            }
        };
        info!(
            filas = published.iter().map(|p| p.rows).sum::<u64>(),
            "filas leídas"
        );
        let xlsx = report::xlsx::render_collected(&report, &collected)?;
        drop(collected);
        write_report_file(&xlsx_path, &xlsx)?;
        let published = report::publish::publish_staged(
            stage,
            &report,
            &pdf,
            &xlsx,
            published,
            &config.standard.datasets,
        )?;
        info!(pdf = %pdf_path.display(), xlsx = %xlsx_path.display(), publicado = %published.display(), "informe escrito");
        Ok(ReportFiles {
            report,
            pdf: pdf_path,
            xlsx: xlsx_path,
            published,
        })
    })
}
