//! Reading the snapshot history of a dataset that keeps one (`ds_<name>_historial`, filled
//! when a file is re-submitted): every snapshot of every item, so that a report can tell each
//! item's trajectory and the count of its states at any month's close.
//!
//! Reads only; how rows reach the history is `sqlite`'s (`commit_file`).

use rusqlite::{params, Connection};

use super::sqlite::{bound, history_table, read_rows, table};
use super::{ExportError, Selection, StoreError, StoredRow};
use crate::standard::Value;

/// Every snapshot of `sel.dataset` dated on or before `sel.to`, current and replaced, in item
/// order and, within an item, in the order its current one is chosen — the reverse of the
/// ranking of [`super::Store::scan`] with `as_of`, so the last one on or before a day is the
/// one that scan would pick for that day.
pub(super) fn snapshots(
    conn: &Connection,
    sel: &Selection,
    each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
) -> Result<(), ExportError> {
    let ds = sel.dataset;
    let Some(snap) = &ds.snapshots else {
        return Ok(());
    };
    let date_type = ds
        .field_index(sel.date_field)
        .map(|i| ds.fields[i].field_type)
        .ok_or_else(|| {
            StoreError::Corrupt(format!("{} no tiene el campo {}", ds.name, sel.date_field))
        })?;
    let structural =
        |name: &str| snap.key.iter().any(|k| k == name) || snap.order_by.iter().any(|o| o == name);
    let inner = ds
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let wanted = sel.wanted.is_none_or(|w| w.get(i).copied().unwrap_or(true));
            if wanted || structural(&f.name) || f.name == sel.date_field {
                f.name.clone()
            } else {
                format!("NULL AS {}", f.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let outer = ds
        .fields
        .iter()
        .map(|f| format!("d.{}", f.name))
        .collect::<Vec<_>>()
        .join(", ");
    let common = "organismo, fuente_archivo, fuente_hoja, fuente_fila, _version_id";
    let mut order: Vec<String> = snap.key.iter().map(|k| format!("d.{k}")).collect();
    order.extend(
        snap.order_by
            .iter()
            .map(|f| format!("d.{f} ASC NULLS FIRST")),
    );
    order.extend(["v.recibido_en", "d._actual", "d._n"].map(String::from));
    let sql = format!(
        "SELECT {outer}, d.organismo, d.fuente_archivo, d.fuente_hoja, d.fuente_fila, d._version_id
         FROM (SELECT {inner}, {common}, 1 AS _actual, _fila_id AS _n FROM {t} WHERE {f} <= ?1
               UNION ALL
               SELECT {inner}, {common}, 0 AS _actual, _historial_id AS _n FROM {h} WHERE {f} <= ?1) AS d
         JOIN versiones v ON v.id = d._version_id
         ORDER BY {order}",
        t = table(ds),
        h = history_table(ds),
        f = sel.date_field,
        order = order.join(", "),
    );
    let mut out = StoredRow {
        values: vec![Value::Null; ds.fields.len()],
        organismo: String::new(),
        archivo: String::new(),
        hoja: String::new(),
        fila: 0,
        version_id: 0,
    };
    let mut stmt = conn.prepare(&sql).map_err(StoreError::from)?;
    let rows = stmt
        .query(params![bound(date_type, sel.to)])
        .map_err(StoreError::from)?;
    read_rows(rows, ds, &mut out, each)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{Original, Outcome, SqliteStore, Store, Submission};
    use super::*;
    use crate::standard::{FileResult, Record, SheetOutcome, SheetReport, Standard};

    /// Initiative `id` in `estado`, updated on 2019-`month`-`day`, at `row` of the sheet.
    fn snapshot(
        ds: &crate::standard::Dataset,
        row: u32,
        id: &str,
        estado: &str,
        month: u32,
        day: u32,
    ) -> Record {
        let mut values = vec![Value::Null; ds.fields.len()];
        let mut set = |name: &str, v: Value| {
            if let Some(i) = ds.field_index(name) {
                values[i] = v;
            }
        };
        set("id", Value::Text(id.into()));
        set("titulo", Value::Text(format!("Proyecto {id}")));
        set("comuna", Value::Int(4));
        set("estado", Value::Text(estado.into()));
        let date = chrono::NaiveDate::from_ymd_opt(2019, month, day).unwrap_or_default();
        set("fecha_actualizacion", Value::Date(date));
        Record {
            sheet: Arc::from("Seguimiento"),
            row,
            values,
        }
    }

    fn send(store: &mut SqliteStore, standard: &Standard, at: &str, records: Vec<Record>) {
        let sheet = SheetReport {
            nombre: "Seguimiento".into(),
            resultado: SheetOutcome::Leida {
                dataset: "iniciativas".into(),
            },
            filas_encabezado: vec![1],
            filas_aceptadas: records.len(),
            filas_rechazadas: 0,
            filas_omitidas: 0,
            columnas_ignoradas: vec![],
            columnas_personales_descartadas: vec![],
            columnas_truncadas: false,
            columnas: vec![],
        };
        let result = FileResult {
            records: [("iniciativas".to_string(), records)].into_iter().collect(),
            issues: vec![],
            sheets: vec![sheet],
        };
        let wording = |o: &Original| o.archivo.clone();
        let submission = Submission {
            source: "local",
            relative: "secretaria/seguimiento.xlsx",
            organismo: Some("secretaria"),
            size: 1,
            mtime_ns: 1,
            sha256: at,
            received_at: at,
            outcome: Outcome::Read(&result),
            report_json: "{}",
        };
        store
            .commit_file(&standard.datasets, &submission, &wording)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A file sent three times: every snapshot comes back, current and replaced, item by item
    /// in the order the current one is chosen (date, then reception), up to the day asked.
    #[test]
    fn every_snapshot_comes_back_in_the_order_the_current_one_is_chosen() {
        let standard = crate::config::embedded_standard().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store =
            SqliteStore::open(&dir.path().join("participa.db")).unwrap_or_else(|e| panic!("{e}"));
        store
            .migrate(&standard.datasets)
            .unwrap_or_else(|e| panic!("{e}"));
        let ds = standard
            .dataset("iniciativas")
            .unwrap_or_else(|| panic!("iniciativas"))
            .clone();
        send(
            &mut store,
            &standard,
            "2019-01-31T15:00:00Z",
            vec![
                snapshot(&ds, 2, "B", "ganadora", 1, 20),
                snapshot(&ds, 3, "A", "ganadora", 1, 10),
            ],
        );
        // B unchanged (the same row again); A changes, and then changes again on the same day.
        send(
            &mut store,
            &standard,
            "2019-02-28T15:00:00Z",
            vec![
                snapshot(&ds, 2, "B", "ganadora", 1, 20),
                snapshot(&ds, 3, "A", "en_ejecucion", 2, 14),
            ],
        );
        send(
            &mut store,
            &standard,
            "2019-03-01T15:00:00Z",
            vec![
                snapshot(&ds, 2, "B", "ganadora", 1, 20),
                snapshot(&ds, 3, "A", "cancelada", 2, 14),
                snapshot(&ds, 4, "C", "propuesta", 3, 30),
            ],
        );
        let (id, estado, fecha) = (
            ds.field_index("id").unwrap_or(0),
            ds.field_index("estado").unwrap_or(0),
            ds.field_index("fecha_actualizacion").unwrap_or(0),
        );
        let read = |store: &mut SqliteStore, to: (u32, u32)| {
            let mut out = Vec::new();
            let selection = Selection {
                dataset: &ds,
                date_field: "fecha_actualizacion",
                from: None,
                to: chrono::NaiveDate::from_ymd_opt(2019, to.0, to.1).unwrap_or_default(),
                as_of: false,
                ordered: false,
                wanted: None,
            };
            store
                .snapshots(&selection, &mut |row| {
                    out.push(format!(
                        "{} {} {}",
                        row.values[id].to_export(),
                        row.values[estado].to_export(),
                        row.values[fecha].to_export()
                    ));
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{e}"));
            out
        };
        assert_eq!(
            read(&mut store, (3, 31)),
            [
                "A ganadora 2019-01-10",
                "A en_ejecucion 2019-02-14",
                "A cancelada 2019-02-14",
                "B ganadora 2019-01-20",
                "B ganadora 2019-01-20",
                "B ganadora 2019-01-20",
                "C propuesta 2019-03-30",
            ],
            "the same day's later reception comes last; a row sent again is there each time"
        );
        assert_eq!(
            read(&mut store, (1, 31)),
            [
                "A ganadora 2019-01-10",
                "B ganadora 2019-01-20",
                "B ganadora 2019-01-20",
                "B ganadora 2019-01-20"
            ],
            "nothing dated after the day asked"
        );
    }
}
