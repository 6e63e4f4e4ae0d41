//! Rows an organismo already sent in another of its files: the same sheet saved as `.xlsx` and
//! again as `.ods` must count once.
//!
//! When a version is written, each of its records is compared with the current rows of the
//! organismo's *other* files on every field of its dataset (standardised values, not where
//! they came from). An equal one is not stored as data: it becomes one `duplicate-row`
//! rejection per sheet row, worded by the caller and naming the kept row, and its values go to
//! `ds_<name>_copias` with a pointer to the file that keeps the row. When that file is
//! re-submitted, the copies that pointed to it are checked again in the same transaction: one
//! still repeated (by the new version or by another file) points to the row that repeats it
//! now; one that nothing repeats any more moves back into the data, in its own file. Rows are
//! never lost, and a file that disappears keeps its rows, so its copies stay copies.
//!
//! Finding candidates is a hash of the values in memory ([`CopyIndex`], per organismo and
//! dataset, loaded from the store the first time a pass needs it and kept up to date as rows
//! are written); each candidate is confirmed in SQL on every field (`IS`, so nulls compare
//! equal), so a collision or an id gone stale can never reject a row by mistake. Which copy is
//! kept depends only on the order versions are written, which the pipeline makes deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;
use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension, ToSql, Transaction};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::sqlite::{field_columns, table, typed_value};
use super::{CopyWording, Original, Repeat, StoreError};
use crate::standard::schema::Dataset;
use crate::standard::{FileResult, Record, Value};

/// The table of a dataset's rows rejected as copies of another file's rows.
pub(super) fn copies_table(dataset: &Dataset) -> String {
    format!("ds_{}_copias", dataset.name)
}

/// DDL of a dataset's copies table: the dataset's columns and provenance, the rejection that
/// reports it, and the row it repeats.
pub(super) fn create_sql(dataset: &Dataset, fields: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {t} (_copia_id INTEGER PRIMARY KEY, _rechazo_id BIGINT NOT NULL,
             _de_archivo_id BIGINT NOT NULL, _de_hoja TEXT NOT NULL, _de_fila BIGINT NOT NULL,
             _archivo_id BIGINT NOT NULL, _version_id BIGINT NOT NULL, organismo TEXT NOT NULL,
             fuente_archivo TEXT NOT NULL, fuente_hoja TEXT NOT NULL, fuente_fila BIGINT NOT NULL, {fields});
         CREATE INDEX IF NOT EXISTS {t}_archivo ON {t} (_archivo_id);
         CREATE INDEX IF NOT EXISTS {t}_de_archivo ON {t} (_de_archivo_id);",
        t = copies_table(dataset)
    )
}

/// Row ids by hash: the first id of each hash, and the others apart (a hash shared by two
/// rows is rare), so that an entry costs 16 bytes.
#[derive(Default)]
struct HashToIds {
    first: FxHashMap<u64, i64>,
    more: FxHashMap<u64, Vec<i64>>,
}

impl HashToIds {
    fn add(&mut self, hash: u64, id: i64) {
        use std::collections::hash_map::Entry;
        match self.first.entry(hash) {
            Entry::Vacant(e) => {
                e.insert(id);
            }
            Entry::Occupied(_) => self.more.entry(hash).or_default().push(id),
        }
    }

    /// The ids of rows with this hash.
    fn get(&self, hash: u64) -> impl Iterator<Item = i64> + '_ {
        self.first
            .get(&hash)
            .copied()
            .into_iter()
            .chain(self.more.get(&hash).into_iter().flatten().copied())
    }
}

/// Current rows by the hash of their values, per (organismo, dataset), for one ingest pass.
/// Only a filter: ids of rows deleted since are harmless (the SQL confirmation finds nothing),
/// a row missing from it would be a missed copy, so it is emptied whenever a write fails and
/// at the start of every pass (another process may have written in between).
#[derive(Default)]
pub(super) struct CopyIndex {
    maps: FxHashMap<(String, String), HashToIds>,
}

impl CopyIndex {
    /// Forgets everything; the next use loads from the store again.
    pub(super) fn clear(&mut self) {
        self.maps.clear();
    }

    /// The map of `organismo`'s current rows of `dataset`, loaded on first use.
    fn load(
        &mut self,
        tx: &Transaction,
        dataset: &Dataset,
        organismo: &str,
    ) -> Result<&mut HashToIds, StoreError> {
        use std::collections::hash_map::Entry;
        match self
            .maps
            .entry((organismo.to_string(), dataset.name.clone()))
        {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => {
                let mut map = HashToIds::default();
                let n = dataset.fields.len();
                // Through the index on the file: only this organismo's rows are read.
                let mut stmt = tx.prepare(&format!(
                    "SELECT _fila_id, {} FROM {} WHERE _archivo_id IN (SELECT id FROM archivos WHERE organismo = ?1) AND organismo = ?1",
                    field_columns(dataset).join(", "),
                    table(dataset)
                ))?;
                let mut rows = stmt.query([organismo])?;
                while let Some(row) = rows.next()? {
                    let mut h = FxHasher::default();
                    for i in 0..n {
                        hash_ref(&mut h, row.get_ref(i + 1)?);
                    }
                    map.add(h.finish(), row.get(0)?);
                }
                Ok(e.insert(map))
            }
        }
    }
}

/// Hashes a value as SQL holds it: numbers as doubles (an integer and the equal decimal are
/// equal in SQL), dates and periods as their ISO text (how they are bound and stored).
fn hash_value(h: &mut FxHasher, v: &Value) {
    match v {
        Value::Null => h.write_u8(0),
        Value::Text(t) => hash_text(h, t.as_bytes()),
        Value::Int(i) => hash_number(h, *i as f64),
        Value::Num(n) => hash_number(h, *n),
        Value::Year(y) => hash_number(h, f64::from(*y)),
        Value::Date(d) => {
            use chrono::Datelike;
            match iso_digits(d.year(), &[d.month(), d.day()]) {
                Some((buf, len)) => hash_text(h, &buf[..len]),
                None => hash_text(h, v.to_export().as_bytes()),
            }
        }
        Value::YearMonth(y, m) => match iso_digits(*y, &[*m]) {
            Some((buf, len)) => hash_text(h, &buf[..len]),
            None => hash_text(h, v.to_export().as_bytes()),
        },
    }
}

/// `YYYY-MM-DD` / `YYYY-MM` as [`Value::to_export`] writes them, into a buffer rather than a new
/// string: this runs for every stored row. `None` for a year outside 0–9999 (the caller then
/// formats it the slow way).
fn iso_digits(year: i32, parts: &[u32]) -> Option<([u8; 10], usize)> {
    let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
    let mut buf = [0u8; 10];
    let digit = |n: u32| b'0' + (n % 10) as u8;
    buf[..4].copy_from_slice(&[
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
    ]);
    let mut len = 4;
    for &p in parts.iter().take(2) {
        if p > 99 {
            return None;
        }
        buf[len..len + 3].copy_from_slice(&[b'-', digit(p / 10), digit(p)]);
        len += 3;
    }
    Some((buf, len))
}

fn hash_ref(h: &mut FxHasher, v: ValueRef<'_>) {
    match v {
        ValueRef::Null | ValueRef::Blob(_) => h.write_u8(0),
        ValueRef::Text(t) => hash_text(h, t),
        ValueRef::Integer(i) => hash_number(h, i as f64),
        ValueRef::Real(r) => hash_number(h, r),
    }
}

fn hash_text(h: &mut FxHasher, bytes: &[u8]) {
    h.write_u8(1);
    h.write_usize(bytes.len());
    h.write(bytes);
}

fn hash_number(h: &mut FxHasher, n: f64) {
    h.write_u8(2);
    // -0.0 and 0.0 are equal in SQL.
    h.write_u64((n + 0.0).to_bits());
}

#[cfg(test)]
#[test]
fn dates_hash_as_their_stored_text() {
    let date = chrono::NaiveDate::from_ymd_opt(2019, 3, 4)
        .map(Value::Date)
        .unwrap_or(Value::Null);
    for v in [date, Value::YearMonth(2019, 11)] {
        let mut a = FxHasher::default();
        hash_value(&mut a, &v);
        let mut b = FxHasher::default();
        hash_text(&mut b, v.to_export().as_bytes());
        assert_eq!(a.finish(), b.finish(), "{v:?}");
    }
}

fn row_hash(values: &[Value]) -> u64 {
    let mut h = FxHasher::default();
    for v in values {
        hash_value(&mut h, v);
    }
    h.finish()
}

/// The kept row a record repeats: among `organismo`'s current rows of `dataset` outside file
/// `exclude` with the same hash, the first (by file, sheet, row) equal on every field.
fn find(
    tx: &Transaction,
    dataset: &Dataset,
    map: &HashToIds,
    organismo: &str,
    hash: u64,
    values: &[Value],
    exclude: i64,
) -> Result<Option<(i64, Original)>, StoreError> {
    let mut ids = map.get(hash).peekable();
    if ids.peek().is_none() {
        return Ok(None);
    }
    let equal: Vec<String> = dataset
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} IS ?{}", f.name, i + 4))
        .collect();
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT _archivo_id, fuente_archivo, fuente_hoja, fuente_fila FROM {} WHERE _fila_id = ?1 AND organismo = ?2 AND _archivo_id <> ?3 AND {}",
        table(dataset),
        equal.join(" AND ")
    ))?;
    let mut best: Option<(i64, Original)> = None;
    for id in ids {
        let mut bound: Vec<&dyn ToSql> = Vec::with_capacity(values.len() + 3);
        bound.extend_from_slice(&[&id, &organismo, &exclude]);
        bound.extend(values.iter().map(|v| v as &dyn ToSql));
        let found = stmt
            .query_row(bound.as_slice(), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Original {
                        organismo: organismo.to_string(),
                        archivo: r.get(1)?,
                        hoja: r.get(2)?,
                        fila: r.get(3)?,
                    },
                ))
            })
            .optional()?;
        if let Some((file, original)) = found {
            let better = best.as_ref().is_none_or(|(_, b)| {
                (&original.archivo, &original.hoja, original.fila) < (&b.archivo, &b.hoja, b.fila)
            });
            if better {
                best = Some((file, original));
            }
        }
    }
    Ok(best)
}

/// The version being written.
pub(super) struct Version<'a> {
    /// File id.
    pub id: i64,
    /// Version id.
    pub version_id: i64,
    /// Organismo.
    pub organismo: &'a str,
    /// Path relative to the source root.
    pub relative: &'a str,
}

/// What writing a version's records gave.
pub(super) struct Inserted {
    /// Records stored as data.
    pub accepted: usize,
    /// Sheet rows rejected as copies.
    pub copy_rows: FxHashSet<(Arc<str>, u32)>,
    /// Those rows by the file that keeps them.
    pub repeats: Vec<Repeat>,
}

/// Writes a version's records: as data, or as copies of rows another file of the organismo
/// already holds (one rejection per sheet row).
pub(super) fn insert_records(
    tx: &Transaction,
    index: &mut CopyIndex,
    datasets: &[Dataset],
    result: &FileResult,
    v: &Version,
    wording: CopyWording<'_>,
) -> Result<Inserted, StoreError> {
    let mut accepted = 0;
    let mut copy_rows: FxHashSet<(Arc<str>, u32)> = FxHashSet::default();
    let mut repeats: BTreeMap<String, FxHashSet<(Arc<str>, u32)>> = BTreeMap::new();
    for dataset in datasets {
        let Some(records) = result.records.get(&dataset.name).filter(|r| !r.is_empty()) else {
            continue;
        };
        let map = index.load(tx, dataset, v.organismo)?;
        let cols = field_columns(dataset);
        let placeholders: Vec<String> = (1..=cols.len() + 6).map(|i| format!("?{i}")).collect();
        let mut stmt = tx.prepare_cached(&format!(
            "INSERT INTO {} (_archivo_id, _version_id, organismo, fuente_archivo, fuente_hoja, fuente_fila, {}) VALUES ({})",
            table(dataset),
            cols.join(", "),
            placeholders.join(", ")
        ))?;
        let mut copies: Vec<(&Record, i64, Original)> = Vec::new();
        let mut bound: Vec<&dyn ToSql> = Vec::with_capacity(cols.len() + 6);
        for record in records {
            let hash = row_hash(&record.values);
            if let Some((kept_in, original)) =
                find(tx, dataset, map, v.organismo, hash, &record.values, v.id)?
            {
                copies.push((record, kept_in, original));
                continue;
            }
            bound.clear();
            bound.extend_from_slice(&[
                &v.id,
                &v.version_id,
                &v.organismo,
                &v.relative,
                &record.sheet,
                &record.row,
            ]);
            bound.extend(record.values.iter().map(|x| x as &dyn ToSql));
            stmt.execute(bound.as_slice())?;
            map.add(hash, tx.last_insert_rowid());
            accepted += 1;
        }
        if copies.is_empty() {
            continue;
        }
        let mut copy_stmt = tx.prepare_cached(&insert_copy_sql(dataset))?;
        let mut rejection_of: FxHashMap<(Arc<str>, u32), i64> = FxHashMap::default();
        for (record, kept_in, original) in &copies {
            let key = (Arc::clone(&record.sheet), record.row);
            let rechazo = match rejection_of.get(&key) {
                Some(id) => *id,
                None => {
                    tx.execute(
                        "INSERT INTO rechazos (archivo_id, version_id, fuente_archivo, fuente_hoja, fuente_fila, codigo, valor, mensaje)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'duplicate-row', '', ?6)",
                        params![v.id, v.version_id, v.relative, &*record.sheet, record.row, wording(original)],
                    )?;
                    let id = tx.last_insert_rowid();
                    rejection_of.insert(key.clone(), id);
                    id
                }
            };
            let mut row: Vec<&dyn ToSql> = Vec::with_capacity(cols.len() + 10);
            row.extend_from_slice(&[
                &rechazo,
                kept_in,
                &original.hoja,
                &original.fila,
                &v.id,
                &v.version_id,
                &v.organismo,
                &v.relative,
                &record.sheet,
                &record.row,
            ]);
            row.extend(record.values.iter().map(|x| x as &dyn ToSql));
            copy_stmt.execute(row.as_slice())?;
            repeats
                .entry(original.archivo.clone())
                .or_default()
                .insert(key.clone());
            copy_rows.insert(key);
        }
    }
    let repeats = repeats
        .into_iter()
        .map(|(archivo, rows)| Repeat {
            archivo,
            filas: rows.len(),
        })
        .collect();
    Ok(Inserted {
        accepted,
        copy_rows,
        repeats,
    })
}

fn insert_copy_sql(dataset: &Dataset) -> String {
    let cols = field_columns(dataset);
    let placeholders: Vec<String> = (1..=cols.len() + 10).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {} (_rechazo_id, _de_archivo_id, _de_hoja, _de_fila, _archivo_id, _version_id, organismo, fuente_archivo, fuente_hoja, fuente_fila, {})
         VALUES ({})",
        copies_table(dataset),
        cols.join(", "),
        placeholders.join(", ")
    )
}

/// A copy whose kept row was in a file just re-submitted.
struct Orphan {
    copia: i64,
    rechazo: i64,
    archivo: i64,
    organismo: String,
    values: Vec<Value>,
}

/// Checks again the copies that repeated rows of `file_id`'s previous version (call after its
/// new rows are written): each points to the row that repeats it now, or moves back into the
/// data in its own file. Copies are taken in the order versions are kept (earlier-modified
/// file first, then path), so of several copies of a row that nothing repeats any more, that
/// file's is the one that counts. Returns, by file, the rows that count again.
pub(super) fn recheck(
    tx: &Transaction,
    index: &mut CopyIndex,
    datasets: &[Dataset],
    file_id: i64,
    wording: CopyWording<'_>,
) -> Result<Vec<Repeat>, StoreError> {
    let mut restored: BTreeMap<String, usize> = BTreeMap::new();
    let mut holders: BTreeSet<i64> = BTreeSet::new();
    for dataset in datasets {
        let fields = field_columns(dataset);
        let orphans: Vec<Orphan> = {
            let listed: Vec<String> = fields.iter().map(|f| format!("c.{f}")).collect();
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT c._copia_id, c._rechazo_id, c._archivo_id, c.organismo, {} FROM {} c JOIN archivos a ON a.id = c._archivo_id
                 WHERE c._de_archivo_id = ?1 ORDER BY a.mtime_ns, a.ruta, c.fuente_hoja, c.fuente_fila, c._copia_id",
                listed.join(", "),
                copies_table(dataset)
            ))?;
            let rows = stmt.query_map([file_id], |r| {
                let mut values = Vec::with_capacity(dataset.fields.len());
                for (i, f) in dataset.fields.iter().enumerate() {
                    values.push(typed_value(f.field_type, r.get_ref(i + 4)?));
                }
                Ok(Orphan {
                    copia: r.get(0)?,
                    rechazo: r.get(1)?,
                    archivo: r.get(2)?,
                    organismo: r.get(3)?,
                    values,
                })
            })?;
            rows.collect::<Result<_, _>>()?
        };
        if orphans.is_empty() {
            continue;
        }
        let mut touched: BTreeSet<i64> = BTreeSet::new();
        for o in &orphans {
            let map = index.load(tx, dataset, &o.organismo)?;
            let hash = row_hash(&o.values);
            match find(tx, dataset, map, &o.organismo, hash, &o.values, o.archivo)? {
                Some((kept_in, original)) => {
                    tx.execute(
                        &format!("UPDATE {} SET _de_archivo_id = ?1, _de_hoja = ?2, _de_fila = ?3 WHERE _copia_id = ?4", copies_table(dataset)),
                        params![kept_in, original.hoja, original.fila, o.copia],
                    )?;
                }
                None => {
                    let cols = [
                        &[
                            "_archivo_id",
                            "_version_id",
                            "organismo",
                            "fuente_archivo",
                            "fuente_hoja",
                            "fuente_fila",
                        ][..],
                        &fields.iter().map(String::as_str).collect::<Vec<_>>()[..],
                    ]
                    .concat()
                    .join(", ");
                    tx.execute(
                        &format!(
                            "INSERT INTO {} ({cols}) SELECT {cols} FROM {} WHERE _copia_id = ?1",
                            table(dataset),
                            copies_table(dataset)
                        ),
                        [o.copia],
                    )?;
                    map.add(hash, tx.last_insert_rowid());
                    tx.execute(
                        &format!("DELETE FROM {} WHERE _copia_id = ?1", copies_table(dataset)),
                        [o.copia],
                    )?;
                    holders.insert(o.archivo);
                }
            }
            touched.insert(o.rechazo);
        }
        // A sheet row's rejection stays while one of its records is still a copy, and names the
        // row its first copy repeats now.
        for rechazo in touched {
            let first: Option<(String, String, i64, String)> = tx
                .query_row(
                    &format!(
                        "SELECT c.organismo, a.ruta, c._de_fila, c._de_hoja FROM {} c JOIN archivos a ON a.id = c._de_archivo_id
                         WHERE c._rechazo_id = ?1 ORDER BY c._copia_id LIMIT 1",
                        copies_table(dataset)
                    ),
                    [rechazo],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            match first {
                Some((organismo, archivo, fila, hoja)) => {
                    let message = wording(&Original {
                        organismo,
                        archivo,
                        hoja,
                        fila,
                    });
                    tx.execute(
                        "UPDATE rechazos SET mensaje = ?1 WHERE id = ?2",
                        params![message, rechazo],
                    )?;
                }
                None => {
                    let holder: Option<String> = tx
                        .query_row(
                            "SELECT fuente_archivo FROM rechazos WHERE id = ?1",
                            [rechazo],
                            |r| r.get(0),
                        )
                        .optional()?;
                    tx.execute("DELETE FROM rechazos WHERE id = ?1", [rechazo])?;
                    if let Some(holder) = holder {
                        *restored.entry(holder).or_default() += 1;
                    }
                }
            }
        }
    }
    for holder in holders {
        recount(tx, datasets, holder)?;
    }
    Ok(restored
        .into_iter()
        .map(|(archivo, filas)| Repeat { archivo, filas })
        .collect())
}

/// Sets the counts of a file's current version from what the store holds for it: records in
/// the data, distinct rejected rows.
fn recount(tx: &Transaction, datasets: &[Dataset], file_id: i64) -> Result<(), StoreError> {
    let mut accepted: i64 = 0;
    for dataset in datasets {
        accepted += tx.query_row(
            &format!(
                "SELECT COUNT(*) FROM {} WHERE _archivo_id = ?1",
                table(dataset)
            ),
            [file_id],
            |r| r.get::<_, i64>(0),
        )?;
    }
    let rejected: i64 = tx.query_row(
        "SELECT COUNT(*) FROM (SELECT DISTINCT fuente_hoja, fuente_fila FROM rechazos WHERE archivo_id = ?1 AND fuente_fila IS NOT NULL) AS r",
        [file_id],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE versiones SET filas_aceptadas = ?1, filas_rechazadas = ?2 WHERE id = (SELECT version_actual FROM archivos WHERE id = ?3)",
        params![accepted, rejected, file_id],
    )?;
    Ok(())
}

/// Rows rejected as copies, by pair of files, for one organismo.
pub(super) fn repeated_rows(
    conn: &rusqlite::Connection,
    datasets: &[Dataset],
    organismo: &str,
) -> Result<Vec<super::RepeatedRows>, StoreError> {
    let mut pairs: BTreeMap<(String, String), BTreeSet<(String, i64)>> = BTreeMap::new();
    for dataset in datasets {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT c.fuente_archivo, a.ruta, c.fuente_hoja, c.fuente_fila FROM {} c JOIN archivos a ON a.id = c._de_archivo_id WHERE c.organismo = ?1",
            copies_table(dataset)
        ))?;
        let rows = stmt.query_map([organismo], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (archivo, de, hoja, fila) = row?;
            pairs.entry((archivo, de)).or_default().insert((hoja, fila));
        }
    }
    Ok(pairs
        .into_iter()
        .map(|((archivo, de_archivo), rows)| super::RepeatedRows {
            archivo,
            de_archivo,
            filas: rows.len() as i64,
        })
        .collect())
}
