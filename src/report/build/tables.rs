//! The report's tables about its inputs: data quality by organismo, the annex of source files,
//! the rejected rows, and the published datasets.

use std::collections::BTreeMap;

use super::{dataset_part, Ctx};
use crate::report::model::*;
use crate::store::VersionInfo;

impl Ctx<'_> {
    pub(super) fn quality(&self) -> (Table, Vec<String>) {
        let inputs = self.inputs;
        let info: BTreeMap<i64, &VersionInfo> = inputs.versions.iter().map(|v| (v.id, v)).collect();
        // organismo → (files, accepted in period, rejected in those files)
        let mut by: BTreeMap<String, (i64, i64, i64)> = inputs
            .organismos
            .iter()
            .map(|(c, _)| (c.clone(), (0, 0, 0)))
            .collect();
        for (id, use_) in &inputs.figures.files {
            if use_.rows_in_period == 0 {
                continue;
            }
            let e = by.entry(use_.organismo.clone()).or_default();
            e.0 += 1;
            e.1 += use_.rows_in_period as i64;
            e.2 += info.get(id).map(|v| v.filas_rechazadas).unwrap_or(0);
        }
        let share = |acc: i64, rej: i64| {
            if acc + rej > 0 {
                Cell::Num(rej as f64 / (acc + rej) as f64)
            } else {
                Cell::Empty
            }
        };
        let mut rows = Vec::new();
        let mut silent = Vec::new();
        let (mut tf, mut ta, mut tr) = (0, 0, 0);
        for (code, (files, acc, rej)) in &by {
            if *files == 0 {
                silent.push(self.organismo_name(code));
            }
            rows.push(vec![
                Cell::Text(self.organismo_name(code)),
                Cell::Int(*files),
                Cell::Int(*acc),
                Cell::Int(*rej),
                share(*acc, *rej),
            ]);
            tf += files;
            ta += acc;
            tr += rej;
        }
        let w = self.w;
        let table = Table {
            title: w.files_and_rows.to_string(),
            columns: vec![
                Column::new(w.organismo, Kind::Text),
                Column::new(w.files, Kind::Integer),
                Column::new(w.rows_accepted, Kind::Integer),
                Column::new(w.rows_rejected, Kind::Integer),
                Column::new(w.share_rejected, Kind::Percent),
            ],
            rows,
            totals: Some(vec![
                Cell::Text(w.total.into()),
                Cell::Int(tf),
                Cell::Int(ta),
                Cell::Int(tr),
                share(ta, tr),
            ]),
            note: Some(w.quality_note.to_string()),
        };
        (table, silent)
    }

    pub(super) fn annex(&self) -> Table {
        let inputs = self.inputs;
        let mut rows = Vec::new();
        let mut listed: Vec<&VersionInfo> = inputs.versions.iter().chain(inputs.unusable).collect();
        listed.sort_by(|a, b| {
            (&a.organismo, &a.archivo, a.id).cmp(&(&b.organismo, &b.archivo, b.id))
        });
        listed.dedup_by_key(|v| v.id);
        for v in listed {
            let used = inputs
                .figures
                .files
                .get(&v.id)
                .map(|f| f.rows_used)
                .unwrap_or(0);
            let received = chrono::DateTime::parse_from_rfc3339(&v.recibido_en)
                .map(|d| Cell::Date(crate::clock::date_in(d.to_utc(), inputs.zone)))
                .unwrap_or(Cell::Text(v.recibido_en.clone()));
            rows.push(vec![
                Cell::Text(self.organismo_name(&v.organismo)),
                Cell::Text(v.archivo.clone()),
                received,
                Cell::Int(used as i64),
                Cell::Text(v.sha256.clone()),
            ]);
        }
        let w = self.w;
        Table {
            title: w.source_files.to_string(),
            columns: vec![
                Column::new(w.organismo, Kind::Text),
                Column::new(w.file, Kind::Text),
                Column::new(w.received, Kind::Date),
                Column::new(w.rows_used, Kind::Integer),
                Column::new("SHA-256", Kind::Text),
            ],
            rows,
            totals: None,
            note: Some(w.annex_note.to_string()),
        }
    }

    pub(super) fn rejected(&self) -> Table {
        let w = self.w;
        Table {
            title: w.rejected_title.to_string(),
            columns: vec![
                Column::new(w.file, Kind::Text),
                Column::new(w.sheet, Kind::Text),
                Column::new(w.row, Kind::Integer),
                Column::new(w.cell, Kind::Text),
                Column::new(w.code, Kind::Text),
                Column::new(Labels::of(self.lang).value, Kind::Text),
                Column::new(w.reason, Kind::Text),
            ],
            rows: self
                .inputs
                .rejections
                .iter()
                .map(|r| {
                    let cell_ref = if r.columna.is_empty() {
                        String::new()
                    } else {
                        format!("{}{}", r.columna, r.fila)
                    };
                    vec![
                        Cell::Text(r.archivo.clone()),
                        Cell::Text(r.hoja.clone()),
                        Cell::Int(r.fila),
                        Cell::Text(cell_ref),
                        Cell::Text(r.codigo.clone()),
                        Cell::Text(r.valor.clone()),
                        Cell::Text(r.mensaje.clone()),
                    ]
                })
                .collect(),
            totals: None,
            note: None,
        }
    }

    pub(super) fn datasets(&self) -> Vec<DatasetPart> {
        let mut out = Vec::new();
        for ds in &self.inputs.standard.datasets {
            let Some(rows) = self.inputs.dataset_rows.get(&ds.name) else {
                continue;
            };
            let mut part = dataset_part(ds, *rows);
            // A field whose empty value has a name (an instance without a comuna is
            // city-wide) may be empty in the published rows.
            part.may_be_empty = self
                .inputs
                .indicators
                .datasets
                .get(&ds.name)
                .map(|d| d.sin_dato.keys().cloned().collect())
                .unwrap_or_default();
            out.push(part);
        }
        out
    }
}
