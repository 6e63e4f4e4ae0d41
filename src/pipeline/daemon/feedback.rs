//! Feedback to a ministry after a pass that changed its files: what it says, read from the
//! store right after the pass and kept with its ledger row, and the rejected rows' workbook.

use super::*;

impl Daemon<'_> {
    /// The organismo's present files with their accepted rows, every rejected row of its files,
    /// which of its files repeat rows of which, and the sheet layouts it sent for the first time
    /// in the pass received at `pass`.
    pub(super) fn feedback_content(
        &mut self,
        org: &str,
        pass: &str,
    ) -> Result<FeedbackContent, DaemonError> {
        let prefix = format!("{org}/");
        let short = |path: &str| path.strip_prefix(&prefix).unwrap_or(path).to_string();
        let repeated = self
            .store
            .repeated_rows(&self.config.standard.datasets, org)?
            .into_iter()
            .map(|r| deliver::RepeatedFile {
                file: short(&r.archivo),
                of: short(&r.de_archivo),
                rows: u64::try_from(r.filas).unwrap_or(0),
            })
            .collect();
        // How a new layout was read is a help, not the message: a stored reading that cannot be
        // read back (an older release's) leaves the tables out rather than the feedback.
        let layouts = match self.store.new_layouts(org, pass) {
            Ok(found) => found
                .into_iter()
                .map(|l| deliver::LayoutTable {
                    file: short(&l.archivo),
                    sheet: l.hoja,
                    columns: l.columnas,
                })
                .collect(),
            Err(e) => {
                warn!(organismo = org, error = %e, "no se pudo leer cómo se leyeron las hojas nuevas; la devolución va sin esas tablas");
                Vec::new()
            }
        };
        let files = self.store.files()?;
        let accepted = files
            .iter()
            .filter(|f| f.organismo == org && f.estado == "presente")
            .map(|f| deliver::AcceptedFile {
                file: f.ruta.strip_prefix(&prefix).unwrap_or(&f.ruta).to_string(),
                rows: u64::try_from(f.filas_aceptadas).unwrap_or(0),
            })
            .collect();
        let mut rejected = Vec::new();
        self.store.export_rejections(&mut |r: Vec<String>| {
            if r.first().is_some_and(|f| f.starts_with(&prefix)) {
                let get = |i: usize| r.get(i).cloned().unwrap_or_default();
                rejected.push(deliver::RejectedRow {
                    file: get(0).strip_prefix(&prefix).unwrap_or(&get(0)).to_string(),
                    sheet: get(1),
                    row: get(2).parse().unwrap_or(0),
                    cell: get(3),
                    reason: get(6),
                });
            }
            Ok(())
        })?;
        Ok(FeedbackContent {
            accepted,
            rejected,
            repeated,
            layouts,
        })
    }
}

/// What a feedback message says: read from the store right after the pass it belongs to, and
/// kept with the ledger row (JSON), so a retry says the same.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct FeedbackContent {
    pub(super) accepted: Vec<deliver::AcceptedFile>,
    pub(super) rejected: Vec<deliver::RejectedRow>,
    pub(super) repeated: Vec<deliver::RepeatedFile>,
    pub(super) layouts: Vec<deliver::LayoutTable>,
}

/// The rejected rows as the workbook a feedback attaches; none when there are none, or when
/// it cannot be made (the message still lists them).
pub(super) fn rejected_workbook(rows: &[deliver::RejectedRow], lang: Lang) -> Option<Vec<u8>> {
    if rows.is_empty() {
        return None;
    }
    let table = deliver::rejected_rows_table(rows, lang);
    match crate::report::xlsx::table_workbook(&table.title, &table, lang) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            warn!(error = %e, "no se pudo armar la planilla de filas rechazadas; la devolución va sin ella");
            None
        }
    }
}
