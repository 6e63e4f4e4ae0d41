//! One file's result committed in one transaction ([`Store::commit_file`](super::Store::commit_file)):
//! its version, its rows in the dataset tables (the previous ones kept in history), its
//! rejected rows and warnings, the copies it repeats and the layouts it shows.
//!
//! Only the writing of one file: it must not read for reports or touch the delivery ledger.

use rusqlite::{params, Connection, OptionalExtension};

use super::super::copies::{self, CopyIndex};
use super::super::layouts;
use super::super::{Committed, CopyWording, Outcome, StoreError, Submission};
use super::{field_columns, history_table, table, SqliteStore};
use crate::standard::schema::{Dataset, PROVENANCE};
use crate::standard::Code;

/// [`Store::commit_file`]: one transaction.
pub(super) fn commit_version(
    conn: &mut Connection,
    index: &mut CopyIndex,
    datasets: &[Dataset],
    s: &Submission,
    wording: CopyWording<'_>,
) -> Result<Committed, StoreError> {
    let tx = conn.transaction()?;
    let existing: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT id, version_actual FROM archivos WHERE fuente = ?1 AND ruta = ?2",
            params![s.source, s.relative],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let file_id = match existing {
        Some((id, _)) => {
            tx.execute(
                "UPDATE archivos SET organismo = ?1, estado = 'presente', tamano_bytes = ?2, mtime_ns = ?3, sha256 = ?4,
                 visto_por_ultima_vez = ?5, ausente_desde = NULL WHERE id = ?6",
                params![s.organismo, s.size as i64, s.mtime_ns, s.sha256, s.received_at, id],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO archivos (fuente, ruta, organismo, estado, tamano_bytes, mtime_ns, sha256, visto_por_ultima_vez)
                 VALUES (?1, ?2, ?3, 'presente', ?4, ?5, ?6, ?7)",
                params![s.source, s.relative, s.organismo, s.size as i64, s.mtime_ns, s.sha256, s.received_at],
            )?;
            tx.last_insert_rowid()
        }
    };
    let previous = existing.and_then(|(_, v)| v);
    let (resultado, warnings) = match &s.outcome {
        Outcome::Read(r) => (
            "leido",
            r.issues.iter().filter(|i| !i.is_error()).count() as i64,
        ),
        Outcome::Unreadable(_) => ("ilegible", 0),
    };
    // The counts are set below, once the rows are compared with the organismo's other files.
    tx.execute(
        "INSERT INTO versiones (archivo_id, sha256, tamano_bytes, mtime_ns, recibido_en, resultado, filas_aceptadas, filas_rechazadas, advertencias, informe)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7, ?8)",
        params![file_id, s.sha256, s.size as i64, s.mtime_ns, s.received_at, resultado, warnings, s.report_json],
    )?;
    let version_id = tx.last_insert_rowid();

    // An unreadable re-submission keeps the previous version's rows: a half-saved file must
    // not wipe a ministry's data. It is recorded and reported.
    let Outcome::Read(result) = &s.outcome else {
        tx.commit()?;
        return Ok(Committed::default());
    };
    if let Some(prev) = previous {
        for dataset in datasets {
            if dataset.snapshots.is_some() {
                let cols = [&["_archivo_id", "_version_id"][..], &PROVENANCE[..]]
                    .concat()
                    .iter()
                    .map(|c| c.to_string())
                    .chain(field_columns(dataset))
                    .collect::<Vec<_>>()
                    .join(", ");
                tx.execute(
                    &format!("INSERT INTO {h} (_reemplazada_en, {cols}) SELECT ?1, {cols} FROM {t} WHERE _archivo_id = ?2", h = history_table(dataset), t = table(dataset)),
                    params![s.received_at, file_id],
                )?;
            }
            tx.execute(
                &format!("DELETE FROM {} WHERE _archivo_id = ?1", table(dataset)),
                [file_id],
            )?;
            tx.execute(
                &format!(
                    "DELETE FROM {} WHERE _archivo_id = ?1",
                    copies::copies_table(dataset)
                ),
                [file_id],
            )?;
        }
        tx.execute("DELETE FROM rechazos WHERE archivo_id = ?1", [file_id])?;
        tx.execute("DELETE FROM advertencias WHERE archivo_id = ?1", [file_id])?;
        tx.execute(
            "UPDATE versiones SET reemplazada_en = ?1 WHERE id = ?2",
            params![s.received_at, prev],
        )?;
    }
    let organismo = s.organismo.unwrap_or_default();
    let version = copies::Version {
        id: file_id,
        version_id,
        organismo,
        relative: s.relative,
    };
    let inserted = copies::insert_records(&tx, index, datasets, result, &version, wording)?;
    SqliteStore::insert_issues(&tx, file_id, version_id, s.relative, result)?;
    // Copies in other files that repeated this file's previous rows: still copies, or data again.
    let restored = copies::recheck(&tx, index, datasets, file_id, wording)?;
    let new_layouts = layouts::record(
        &tx,
        organismo,
        file_id,
        version_id,
        s.received_at,
        &result.sheets,
    )?;

    let mut rejected_rows = inserted.copy_rows;
    for issue in result.issues.iter().filter(|i| i.is_error()) {
        if let Some(row) = issue.row {
            rejected_rows.insert((std::sync::Arc::from(issue.sheet.as_str()), row));
        }
    }
    let committed = Committed {
        accepted: inserted.accepted,
        rejected: rejected_rows.len(),
        repeats: inserted.repeats,
        restored,
        new_layouts,
    };
    tx.execute(
        "UPDATE versiones SET filas_aceptadas = ?1, filas_rechazadas = ?2 WHERE id = ?3",
        params![
            committed.accepted as i64,
            committed.rejected as i64,
            version_id
        ],
    )?;
    tx.execute(
        "UPDATE archivos SET version_actual = ?1 WHERE id = ?2",
        params![version_id, file_id],
    )?;
    tx.commit()?;
    Ok(committed)
}

impl SqliteStore {
    fn insert_issues(
        tx: &rusqlite::Transaction,
        file_id: i64,
        version_id: i64,
        relative: &str,
        result: &crate::standard::FileResult,
    ) -> Result<(), StoreError> {
        let mut rejected = tx.prepare_cached(
            "INSERT INTO rechazos (archivo_id, version_id, fuente_archivo, fuente_hoja, fuente_fila, columna, encabezado, campo, codigo, valor, mensaje)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut warned = tx.prepare_cached(
            "INSERT INTO advertencias (archivo_id, version_id, fuente_archivo, fuente_hoja, fuente_fila, columna, campo, valor, mensaje)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for issue in &result.issues {
            if issue.code == Code::Warning {
                warned.execute(params![
                    file_id,
                    version_id,
                    relative,
                    issue.sheet,
                    issue.row,
                    issue.column,
                    issue.field,
                    issue.value,
                    issue.message
                ])?;
            } else {
                rejected.execute(params![
                    file_id,
                    version_id,
                    relative,
                    issue.sheet,
                    issue.row,
                    issue.column,
                    issue.header,
                    issue.field,
                    issue.code.as_str(),
                    issue.value,
                    issue.message
                ])?;
            }
        }
        Ok(())
    }
}
