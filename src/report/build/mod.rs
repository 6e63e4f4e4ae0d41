//! From the indicators' figures and the store's facts to a [`Report`]: every text in the
//! report's language, every table complete, every figure with the files behind it.
//!
//! Pure: it receives what the pipeline read from the store. Must not query the store or
//! write a file.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

mod sections;
mod tables;
#[cfg(test)]
mod tests;

use super::model::*;
use crate::indicators::compute::{Breakdown, IndicatorResult};
use crate::indicators::config::Measure;
use crate::indicators::period::Month;
use crate::indicators::{Figures, IndicatorsConfig};
use crate::standard::{Dataset, Standard};
use crate::store::{Rejection, VersionInfo};
use crate::text::report::{self as words, Words};
use crate::text::{month_label, period_label, Lang};

/// Everything a report is made of.
pub struct Inputs<'a> {
    /// The indicators' configuration.
    pub indicators: &'a IndicatorsConfig,
    /// The data standard (field titles, code list names).
    pub standard: &'a Standard,
    /// The computed figures.
    pub figures: &'a Figures,
    /// Language.
    pub lang: Lang,
    /// The versions the figures read (ids of `figures.files`).
    pub versions: &'a [VersionInfo],
    /// Present files that gave no row.
    pub unusable: &'a [VersionInfo],
    /// Every organismo expected to report: (code, display name).
    pub organismos: &'a [(String, String)],
    /// Rejected rows of the period's files.
    pub rejections: &'a [Rejection],
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The configured wall clock: the day a file was received on.
    pub zone: chrono_tz::Tz,
    /// Data version (see [`data_version`]).
    pub data_version: &'a str,
    /// Rows each dataset publishes for the period.
    pub dataset_rows: &'a BTreeMap<String, u64>,
}

/// The data version: a hash of the file versions a report read (path and content hash of
/// each, sorted), so that the same inputs always give the same version and any change of
/// input gives another.
pub fn data_version(versions: &[VersionInfo], unusable: &[VersionInfo]) -> String {
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for v in versions.iter().chain(unusable) {
        lines.insert(format!("{}\t{}\n", v.archivo, v.sha256));
    }
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    hex::encode(h.finalize())[..16].to_string()
}

/// The kind a measure's value is written in.
fn kind_of(r: &IndicatorResult) -> Kind {
    match r.def.medida {
        Measure::Ratio if r.def.escala.unwrap_or(1.0) == 1.0 => Kind::Percent,
        Measure::Ratio | Measure::Mean => Kind::Decimal(1),
        _ => Kind::Integer,
    }
}

fn cell(v: Option<f64>, kind: Kind) -> Cell {
    match (v, kind) {
        (None, _) => Cell::Empty,
        (Some(x), Kind::Integer) if x.fract() == 0.0 && x.abs() < 9e15 => Cell::Int(x as i64),
        (Some(x), _) => Cell::Num(x),
    }
}

struct Ctx<'a> {
    inputs: &'a Inputs<'a>,
    lang: Lang,
    /// The words of the report's language.
    w: &'static Words,
}

impl Ctx<'_> {
    /// The Spanish text or the English one, as configured (titles, descriptions).
    fn pick(&self, spanish: &str, english: &str) -> String {
        self.lang.pick(spanish, english).to_string()
    }

    fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.inputs.standard.dataset(name)
    }

    fn field(&self, dataset: &str, name: &str) -> Option<&crate::standard::schema::Field> {
        self.dataset(dataset)
            .and_then(|d| d.field_index(name).map(|i| &d.fields[i]))
    }

    /// A field's title for a table header.
    fn field_title(&self, dataset: &str, field: &str) -> String {
        if field == "mes" {
            return self.w.month.to_string();
        }
        if field == "organismo" {
            return "Organismo".to_string();
        }
        if let Some(english) = words::field_title_en(field).filter(|_| self.lang == Lang::En) {
            return english.to_string();
        }
        self.field(dataset, field)
            .and_then(|f| f.title.clone())
            .map(|t| {
                t.strip_prefix("Participantes de ")
                    .map(str::to_string)
                    .unwrap_or(t)
            })
            .unwrap_or_else(|| field.to_string())
    }

    /// The configured name of the line of `dataset`'s rows that leave `field` empty
    /// («Toda la ciudad» for instances without a comuna), in the report's language.
    fn empty_label(&self, dataset: &str, field: &str) -> Option<String> {
        self.inputs
            .indicators
            .empty_label(dataset, field)
            .map(|l| self.pick(&l.es, &l.en))
    }

    /// A grouping key as people read it: a code's name, «Comuna 4», «marzo de 2019»; the rows
    /// without a value by their configured name («Toda la ciudad»), else «(sin dato)».
    fn key_label(&self, dataset: &str, field: &str, key: &str) -> String {
        if key.is_empty() {
            return self
                .empty_label(dataset, field)
                .unwrap_or_else(|| self.w.not_given.to_string());
        }
        if field == "mes" {
            return Month::parse(key)
                .map(|m| month_label(m, self.lang))
                .unwrap_or_else(|| key.to_string());
        }
        if field == "comuna" {
            return words::comuna(key);
        }
        if field == "organismo" {
            return self.organismo_name(key);
        }
        let list = self.field(dataset, field).and_then(|f| f.code_list.clone());
        list.and_then(|l| self.inputs.standard.code_lists.get(&l))
            .and_then(|l| l.entries.iter().find(|e| e.code == key))
            .map(|e| e.name.clone())
            .unwrap_or_else(|| key.to_string())
    }

    /// A breakdown's groups in the order people know: the field's code list order (estados
    /// by their `orden`); groups outside the list, and fields without one, keep their order.
    fn in_code_order<'b>(
        &self,
        dataset: &str,
        b: &'b Breakdown,
    ) -> Vec<&'b crate::indicators::compute::Group> {
        let mut groups: Vec<_> = b.groups.iter().collect();
        let list = self
            .field(dataset, &b.field)
            .and_then(|f| f.code_list.clone());
        let Some(list) = list.and_then(|l| self.inputs.standard.code_lists.get(&l)) else {
            return groups;
        };
        let mut entries: Vec<(i64, usize, &str)> = list
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    e.columns
                        .get("orden")
                        .and_then(|o| o.trim().parse().ok())
                        .unwrap_or(i as i64),
                    i,
                    e.code.as_str(),
                )
            })
            .collect();
        entries.sort();
        groups.sort_by_key(|g| {
            entries
                .iter()
                .position(|(_, _, c)| *c == g.key)
                .unwrap_or(usize::MAX)
        });
        groups
    }

    fn organismo_name(&self, code: &str) -> String {
        self.inputs
            .organismos
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn title(&self, r: &IndicatorResult) -> String {
        self.pick(&r.def.titulo_es, &r.def.titulo_en)
    }

    fn start_month(&self) -> Option<Month> {
        self.inputs.indicators.start().ok()
    }

    /// Each month from the commitment's start to the period's end, with the month's value and
    /// the running total (months without rows are zero).
    fn month_rows(&self, r: &IndicatorResult) -> Vec<(Month, f64, f64)> {
        let Some(mut m) = self.start_month() else {
            return Vec::new();
        };
        let last = self.inputs.figures.period.last_month();
        let mut out = Vec::new();
        let mut running = 0.0;
        while m <= last && out.len() < 1200 {
            let cum = r
                .months
                .iter()
                .find(|(x, _)| *x == m)
                .map(|(_, v)| *v)
                .unwrap_or(running);
            out.push((m, cum - running, cum));
            running = cum;
            m = m.next();
        }
        out
    }

    fn universe(&self, name: &str) -> Vec<(String, String, Option<String>)> {
        if name == "comunas" {
            return (1..=15)
                .map(|c| (c.to_string(), words::comuna(&c.to_string()), None))
                .collect();
        }
        self.inputs
            .standard
            .code_lists
            .get(name)
            .map(|l| {
                l.entries
                    .iter()
                    .map(|e| {
                        (
                            e.code.clone(),
                            e.name.clone(),
                            e.columns.get("comuna").cloned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A standard dataset as the report publishes it: its fields, then the provenance columns.
pub fn dataset_part(ds: &crate::standard::Dataset, rows: u64) -> DatasetPart {
    let mut columns: Vec<Column> = ds
        .fields
        .iter()
        .map(|f| {
            let kind = match f.field_type {
                crate::standard::schema::FieldType::Integer
                | crate::standard::schema::FieldType::Year => Kind::Integer,
                crate::standard::schema::FieldType::Number => Kind::Decimal(2),
                crate::standard::schema::FieldType::Date => Kind::Date,
                _ => Kind::Text,
            };
            Column::new(f.name.clone(), kind)
        })
        .collect();
    let mut names: Vec<String> = ds.fields.iter().map(|f| f.name.clone()).collect();
    for p in crate::standard::schema::PROVENANCE {
        columns.push(Column::new(
            p,
            if p == "fuente_fila" {
                Kind::Integer
            } else {
                Kind::Text
            },
        ));
        names.push(p.to_string());
    }
    DatasetPart {
        name: ds.name.clone(),
        title: ds.title.clone().unwrap_or_else(|| ds.name.clone()),
        columns,
        field_names: names,
        row_count: rows,
        may_be_empty: Vec::new(),
    }
}

/// Builds the report.
pub fn build(inputs: &Inputs) -> Report {
    let lang = inputs.lang;
    let ctx = Ctx {
        inputs,
        lang,
        w: Words::of(lang),
    };
    let period = inputs.figures.period;
    let period_label = period_label(period, lang);
    let c = &inputs.indicators.compromiso;
    let meta = Meta {
        lang,
        title: words::title(&period_label, lang),
        commitment: ctx.pick(&c.titulo_es, &c.titulo_en),
        author: c.autor.clone(),
        subject: words::subject(&c.codigo, &period_label, lang),
        period: period.to_string(),
        period_label,
        period_start: period.start(),
        period_end: period.end(),
        issued_on: inputs.issued_on,
        data_version: inputs.data_version.to_string(),
        has_data: inputs.figures.has_data(),
        file_stem: format!("participa-{period}-{}", lang.code()),
    };
    let results = &inputs.figures.indicators;
    let summary = results
        .iter()
        .filter(|r| r.def.resumen)
        .map(|r| ctx.summary_figure(r))
        .collect();
    let summary_charts = results
        .iter()
        .filter(|r| r.def.grafico_en_resumen)
        .filter_map(|r| ctx.chart(r))
        .collect();
    let sections = results
        .iter()
        .enumerate()
        .map(|(i, r)| ctx.section(i + 1, r))
        .collect();
    let (quality, silent) = ctx.quality();
    Report {
        labels: Labels::of(lang),
        meta,
        summary,
        summary_charts,
        sections,
        quality,
        silent,
        annex: ctx.annex(),
        rejected: ctx.rejected(),
        datasets: ctx.datasets(),
        followup: super::followup::build(inputs),
    }
}
