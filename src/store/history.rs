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
