//! The truth of `tests/followup.rs`, computed from the fixture's construction
//! (`fixtures/followup/construction.json`, the records its generator wrote) and the standard's
//! rule for snapshots (an item's state on a day is its last update dated on or before it, by
//! date, then by when it was sent) — never from participa; and a quoted-printable decoder for
//! the e-mails.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::util::{fixtures, parse_csv};

#[derive(Deserialize)]
pub(super) struct Construction {
    pub(super) iniciativas: Initiatives,
    pub(super) instancias: Vec<InstanceFile>,
}

#[derive(Deserialize)]
pub(super) struct Initiatives {
    pub(super) file: String,
    pub(super) versions: Vec<Version>,
}

#[derive(Deserialize)]
pub(super) struct Version {
    pub(super) folder: String,
    pub(super) sent: String,
    pub(super) rows: Vec<SnapshotRow>,
}

#[derive(Deserialize, Clone)]
pub(super) struct SnapshotRow {
    pub(super) id: String,
    pub(super) titulo: String,
    pub(super) comuna: i64,
    pub(super) estado: String,
    pub(super) avance: Option<f64>,
    pub(super) fecha_actualizacion: String,
}

#[derive(Deserialize)]
pub(super) struct InstanceFile {
    pub(super) organismo: String,
    pub(super) rows: Vec<Instance>,
}

#[derive(Deserialize)]
pub(super) struct Instance {
    pub(super) fecha: String,
    pub(super) programa: String,
    pub(super) comuna: i64,
    pub(super) tema: String,
    pub(super) resultado: Option<String>,
}

pub(super) fn construction() -> Construction {
    let text = std::fs::read_to_string(fixtures().join("followup/construction.json"))
        .expect("construction.json");
    serde_json::from_str(&text).expect("construction.json parses")
}

pub(super) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("ISO date")
}

/// A code list of `config/standard/codes`: code → (name, order).
pub(super) fn code_names(list: &str) -> BTreeMap<String, (String, i64)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("config/standard/codes/{list}.csv"));
    let text = std::fs::read_to_string(path).expect("code list");
    parse_csv(&text)
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let code = r
                .get("estado")
                .or(r.get("programa"))
                .cloned()
                .unwrap_or_default();
            let order = r
                .get("orden")
                .and_then(|o| o.parse().ok())
                .unwrap_or(i as i64);
            (code, (r["nombre"].clone(), order))
        })
        .collect()
}

/// One update of an initiative as the truth sees it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Update {
    pub(super) date: NaiveDate,
    pub(super) estado: String,
    pub(super) avance: Option<f64>,
}

/// Updates with the version that sent them first.
pub(super) type Dated = Vec<(NaiveDate, usize, Update)>;
/// Each initiative's last row as sent and its updates, by id.
pub(super) type Updates = BTreeMap<String, (SnapshotRow, Vec<Update>)>;

/// Each initiative's distinct updates in the order the standard gives them (by their date, then
/// by when they were sent): the same row sent again in a later version is one update.
pub(super) fn updates(c: &Construction) -> Updates {
    let mut out: BTreeMap<String, (SnapshotRow, Dated)> = BTreeMap::new();
    for (v, version) in c.iniciativas.versions.iter().enumerate() {
        for row in &version.rows {
            let u = Update {
                date: date(&row.fecha_actualizacion),
                estado: row.estado.clone(),
                avance: row.avance,
            };
            let entry = out
                .entry(row.id.clone())
                .or_insert_with(|| (row.clone(), Vec::new()));
            entry.0 = row.clone();
            if !entry.1.iter().any(|(_, _, x)| *x == u) {
                entry.1.push((u.date, v, u));
            }
        }
    }
    out.into_iter()
        .map(|(id, (row, mut list))| {
            list.sort_by_key(|(d, v, _)| (*d, *v));
            (id, (row, list.into_iter().map(|(_, _, u)| u).collect()))
        })
        .collect()
}

/// Updates dated up to `close`.
pub(super) fn until(list: &[Update], close: NaiveDate) -> Vec<Update> {
    list.iter().filter(|u| u.date <= close).cloned().collect()
}

/// Initiatives by state at `close`.
pub(super) fn states_at(all: &Updates, close: NaiveDate) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (_, list) in all.values() {
        if let Some(last) = until(list, close).last() {
            *out.entry(last.estado.clone()).or_default() += 1;
        }
    }
    out
}

/// Changes of state dated from `start` to `close`: (from, to) → count; `None` a first report.
pub(super) fn transitions(
    all: &Updates,
    start: NaiveDate,
    close: NaiveDate,
) -> BTreeMap<(Option<String>, String), u64> {
    let mut out = BTreeMap::new();
    for (_, list) in all.values() {
        let mut before: Option<String> = None;
        for u in until(list, close) {
            if u.date >= start && before.as_deref() != Some(u.estado.as_str()) {
                *out.entry((before.clone(), u.estado.clone())).or_default() += 1;
            }
            before = Some(u.estado.clone());
        }
    }
    out
}

/// A quoted-printable body as text (soft line breaks joined, `=XX` bytes decoded).
pub(super) fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
