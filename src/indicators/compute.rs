//! One pass over each dataset's rows feeds every indicator at once: the period's value, the
//! cumulative value, each breakdown and each source file's share, so that a year of half a
//! million instances is read once, not once per table.
//!
//! Pure: rows arrive through [`RowScan`]; it must not depend on the store, the report or the
//! text. The filters of an indicator's part are in [`filter`].

mod filter;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};

use super::config::{IndicatorDef, IndicatorsConfig, Measure, Part};
use super::followup::FollowUpResult;
use super::listing::ListingAcc;
use super::period::{Month, Period};
use super::stages::{self, Snapshots};
use crate::standard::{Dataset, Value};
use filter::{compile_filters, month_of};
pub(super) use filter::{day_of, key_of, passes, Filter};
pub use filter::{days_filter, MAX_FILTER_DAYS};

/// One stored row as a scan gives it.
#[derive(Debug, Clone, Copy)]
pub struct ScanRow<'a> {
    /// The dataset's fields, in definition order (dates as `Value::Date`, periods as
    /// `Value::YearMonth`).
    pub values: &'a [Value],
    /// Organismo that sent it.
    pub organismo: &'a str,
    /// Source file, relative to the source root.
    pub archivo: &'a str,
    /// The file version it came from.
    pub version_id: i64,
}

/// What to scan: rows of one dataset dated within an interval.
#[derive(Debug, Clone, Copy)]
pub struct ScanSpec<'a> {
    /// The dataset.
    pub dataset: &'a Dataset,
    /// Its dating field.
    pub date_field: &'a str,
    /// First day, inclusive; `None` for no lower bound.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: NaiveDate,
    /// Each item's latest snapshot dated on or before `to`, instead of every row.
    pub as_of: bool,
    /// The fields any indicator reads (by field index); the others may come back null.
    pub wanted: &'a [bool],
}

/// Where rows come from (the pipeline implements it over the store).
pub trait RowScan {
    /// Why a scan failed.
    type Error;
    /// Calls `each` for every row the spec selects.
    fn scan(&mut self, spec: &ScanSpec, each: &mut dyn FnMut(&ScanRow)) -> Result<(), Self::Error>;
    /// Calls `each` for every snapshot of a snapshot dataset dated on or before `spec.to`, the
    /// current ones and those a re-submission replaced: item by item, each item's in the
    /// order its current one is chosen (the order fields, then reception), so that an item's
    /// state on a day is its last snapshot dated on or before it. `spec.from` and
    /// `spec.as_of` are not used.
    fn snapshots(
        &mut self,
        spec: &ScanSpec,
        each: &mut dyn FnMut(&ScanRow),
    ) -> Result<(), Self::Error>;
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The field's value as stored (a code, a comuna number, `2019-03` for `mes`); empty for
    /// the rows that leave the field empty (city-wide instances, for `comuna`).
    pub key: String,
    /// The indicator's value within the group (`None`: not defined, e.g. a ratio over 0).
    pub value: Option<f64>,
    /// Rows the group counted.
    pub rows: u64,
}

/// An indicator broken down by one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// Field name, or `mes`.
    pub field: String,
    /// Groups, ordered by key (numbers by value), the empty key last. A `distinct`
    /// indicator's breakdown by its own field has no empty group: a row without the field
    /// reaches nothing (those rows are [`IndicatorResult::missing`]).
    pub groups: Vec<Group>,
}

/// One source file's share of an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceShare {
    /// Organismo.
    pub organismo: String,
    /// File.
    pub archivo: String,
    /// Rows of the file the indicator counted.
    pub rows: u64,
    /// The indicator's value over those rows alone.
    pub value: Option<f64>,
}

/// An indicator's figures for a period.
#[derive(Debug, Clone)]
pub struct IndicatorResult {
    /// Its definition.
    pub def: IndicatorDef,
    /// Value in the period.
    pub value: Option<f64>,
    /// Value since the commitment's start (when `acumulado`).
    pub cumulative: Option<f64>,
    /// Rows counted in the period.
    pub rows: u64,
    /// Rows counted whose measured field was empty (sum and mean): unknown, not zero. For
    /// `distinct`, the rows that passed the filters without the field: they reach nothing.
    pub missing: u64,
    /// Sums of each of `campos`.
    pub fields: Vec<(String, f64)>,
    /// Breakdowns, one per `por` (plus the measured field when there is a universe).
    pub breakdowns: Vec<Breakdown>,
    /// Month by month since the commitment's start (when `acumulado`): (month, value).
    pub months: Vec<(Month, f64)>,
    /// Each source file's share in the period.
    pub sources: Vec<SourceShare>,
    /// The follow-up keys' results: rows listed, a field over time, trajectories.
    pub followup: FollowUpResult,
}

/// How a file version was used by the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileUse {
    /// Organismo.
    pub organismo: String,
    /// File.
    pub archivo: String,
    /// Rows dated within the period.
    pub rows_in_period: u64,
    /// Rows read for any figure (the period, the cumulative count or a state at the close).
    pub rows_used: u64,
}

/// Every indicator's figures for a period, and the files behind them.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The period.
    pub period: Period,
    /// Results, in configuration order.
    pub indicators: Vec<IndicatorResult>,
    /// File versions read, by version id.
    pub files: BTreeMap<i64, FileUse>,
    /// Rows dated within the period, by dataset.
    pub rows_in_period: BTreeMap<String, u64>,
    /// Rows a report publishes for the period, by dataset: those dated within it, or for a
    /// dataset shown as it stood at the close, every item's state then.
    pub rows_published: BTreeMap<String, u64>,
}

impl Figures {
    /// The result of indicator `id`.
    pub fn get(&self, id: &str) -> Option<&IndicatorResult> {
        self.indicators.iter().find(|r| r.def.id == id)
    }

    /// True when some row of some dataset is dated within the period.
    pub fn has_data(&self) -> bool {
        self.rows_in_period.values().any(|n| *n > 0)
    }

    /// Organismos with rows dated within the period.
    pub fn organismos_with_data(&self) -> BTreeSet<String> {
        self.files
            .values()
            .filter(|f| f.rows_in_period > 0)
            .map(|f| f.organismo.clone())
            .collect()
    }
}

/// Running totals of one indicator over some rows.
#[derive(Default, Clone)]
struct Acc {
    rows: u64,
    /// count or sum (or a ratio's numerator).
    a: f64,
    /// values present (or a ratio's denominator).
    b: f64,
    set: FxHashSet<String>,
    fields: Vec<f64>,
    /// Rows of a `distinct` without its field.
    absent: u64,
}

struct CompiledPart {
    measure: Measure,
    field: Option<usize>,
    filters: Vec<Filter>,
}

struct Compiled {
    def: IndicatorDef,
    filters: Vec<Filter>,
    field: Option<usize>,
    fields: Vec<usize>,
    num: Option<CompiledPart>,
    den: Option<CompiledPart>,
    /// Breakdowns: name, field index (`None` for `mes`), and whether rows leaving the field
    /// empty stay out (a `distinct`'s breakdown by its own field).
    by: Vec<(String, Option<usize>, bool)>,
    period: Acc,
    cumulative: Acc,
    groups: Vec<FxHashMap<String, Acc>>,
    months: BTreeMap<Month, Acc>,
    sources: FxHashMap<i64, Acc>,
}

/// What one row adds.
struct Contribution<'v> {
    a: f64,
    b: f64,
    distinct: Option<&'v Value>,
    counted: bool,
    /// A `distinct` row without its field.
    absent: bool,
}

impl Compiled {
    /// Every field this indicator looks at.
    fn fields_read(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.filters.iter().map(|f| f.index).collect();
        out.extend(self.field);
        out.extend(self.fields.iter().copied());
        for p in [&self.num, &self.den].into_iter().flatten() {
            out.extend(p.filters.iter().map(|f| f.index));
            out.extend(p.field);
        }
        out.extend(self.by.iter().filter_map(|(_, i, _)| *i));
        out
    }

    fn contribution<'v>(&self, values: &'v [Value], buf: &mut String) -> Option<Contribution<'v>> {
        if !passes(&self.filters, values, buf) {
            return None;
        }
        let num = |i: Option<usize>| i.and_then(|i| values.get(i)).and_then(Value::as_f64);
        Some(match self.def.medida {
            Measure::Count => Contribution {
                a: 1.0,
                b: 0.0,
                distinct: None,
                counted: true,
                absent: false,
            },
            Measure::Sum | Measure::Mean => match num(self.field) {
                Some(v) => Contribution {
                    a: v,
                    b: 1.0,
                    distinct: None,
                    counted: true,
                    absent: false,
                },
                None => Contribution {
                    a: 0.0,
                    b: 0.0,
                    distinct: None,
                    counted: true,
                    absent: false,
                },
            },
            Measure::Distinct => {
                // A row without the field (an instance with no comuna is city-wide) reaches no
                // member: it is neither counted nor a value.
                let v = self
                    .field
                    .and_then(|i| values.get(i))
                    .filter(|v| !v.is_null());
                Contribution {
                    a: 0.0,
                    b: 0.0,
                    distinct: v,
                    counted: v.is_some(),
                    absent: v.is_none(),
                }
            }
            Measure::Ratio => {
                let side = |p: &Option<CompiledPart>, buf: &mut String| -> f64 {
                    match p {
                        Some(p) if passes(&p.filters, values, buf) => match p.measure {
                            Measure::Sum => num(p.field).unwrap_or(0.0),
                            _ => 1.0,
                        },
                        _ => 0.0,
                    }
                };
                let (a, b) = (side(&self.num, buf), side(&self.den, buf));
                Contribution {
                    a,
                    b,
                    distinct: None,
                    counted: a != 0.0 || b != 0.0,
                    absent: false,
                }
            }
        })
    }

    fn add(fields: &[usize], acc: &mut Acc, c: &Contribution, values: &[Value], buf: &mut String) {
        if c.counted {
            acc.rows += 1;
        }
        if c.absent {
            acc.absent += 1;
        }
        acc.a += c.a;
        acc.b += c.b;
        if let Some(v) = c.distinct {
            key_of(v, buf);
            if !acc.set.contains(buf.as_str()) {
                acc.set.insert(buf.clone());
            }
        }
        if !fields.is_empty() {
            acc.fields.resize(fields.len(), 0.0);
            for (slot, i) in acc.fields.iter_mut().zip(fields) {
                *slot += values.get(*i).and_then(Value::as_f64).unwrap_or(0.0);
            }
        }
    }

    fn value(&self, acc: &Acc) -> Option<f64> {
        if !self.fields.is_empty() {
            return Some(acc.fields.iter().sum());
        }
        match self.def.medida {
            Measure::Count | Measure::Sum => Some(acc.a),
            Measure::Mean => (acc.b > 0.0).then(|| acc.a / acc.b),
            Measure::Distinct => Some(acc.set.len() as f64),
            Measure::Ratio => (acc.b > 0.0).then(|| acc.a / acc.b * self.def.escala.unwrap_or(1.0)),
        }
    }
}

fn compile(def: &IndicatorDef, ds: &Dataset, close: NaiveDate) -> Compiled {
    let part = |p: &Option<Part>| {
        p.as_ref().map(|p| CompiledPart {
            measure: p.medida,
            field: p.campo.as_deref().and_then(|c| ds.field_index(c)),
            filters: compile_filters(ds, &p.filtro, close),
        })
    };
    let own_field = |p: &String| def.medida == Measure::Distinct && def.campo.as_ref() == Some(p);
    let mut by: Vec<(String, Option<usize>, bool)> = def
        .por
        .iter()
        .map(|p| (p.clone(), ds.field_index(p), own_field(p)))
        .collect();
    if let (Some(_), Some(f)) = (&def.universo, &def.campo) {
        if !def.por.contains(f) {
            by.push((f.clone(), ds.field_index(f), own_field(f)));
        }
    }
    Compiled {
        def: def.clone(),
        filters: compile_filters(ds, &def.filtro, close),
        field: def.campo.as_deref().and_then(|c| ds.field_index(c)),
        fields: def
            .campos
            .iter()
            .filter_map(|c| ds.field_index(c))
            .collect(),
        num: part(&def.numerador),
        den: part(&def.denominador),
        groups: vec![FxHashMap::default(); by.len()],
        by,
        period: Acc::default(),
        cumulative: Acc::default(),
        months: BTreeMap::new(),
        sources: FxHashMap::default(),
    }
}

/// Computes every indicator for `period`, reading each dataset once.
pub fn compute<S: RowScan>(
    cfg: &IndicatorsConfig,
    datasets: &[Dataset],
    period: Period,
    scan: &mut S,
) -> Result<Figures, S::Error> {
    let start = period.start();
    let close = period.end();
    let commitment_start = cfg.start().map(Month::first_day).unwrap_or(start);
    let mut figures = Figures {
        period,
        indicators: Vec::new(),
        files: BTreeMap::new(),
        rows_in_period: BTreeMap::new(),
        rows_published: BTreeMap::new(),
    };
    let mut compiled: Vec<(usize, Compiled)> = Vec::new();
    for (i, def) in cfg.indicadores.iter().enumerate() {
        if let Some(ds) = datasets.iter().find(|d| d.name == def.dataset) {
            compiled.push((i, compile(def, ds, close)));
        }
    }
    let mut buf = String::new();
    let mut key = String::new();
    // By position in `compiled` while scanning, by configuration order once done.
    let mut listings: FxHashMap<usize, ListingAcc> = FxHashMap::default();
    let mut followups: FxHashMap<usize, FollowUpResult> = FxHashMap::default();
    for ds in datasets {
        let Some(dating) = cfg.datasets.get(&ds.name) else {
            continue;
        };
        let Some(date_index) = ds.field_index(&dating.fecha) else {
            continue;
        };
        let as_of = dating.estado_al_cierre;
        let mine: Vec<usize> = compiled
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| c.def.dataset == ds.name)
            .map(|(k, _)| k)
            .collect();
        // Free text (topics, results) is never measured: leaving it out of the scan saves
        // reading and copying most of a row's bytes.
        let mut wanted = vec![false; ds.fields.len()];
        wanted[date_index] = true;
        for &k in &mine {
            if let Some(l) = ListingAcc::new(&compiled[k].1.def, ds) {
                listings.insert(k, l);
            }
            let listed = listings.get(&k).map(|l| l.fields().to_vec());
            for i in compiled[k]
                .1
                .fields_read()
                .into_iter()
                .chain(listed.into_iter().flatten())
            {
                if let Some(w) = wanted.get_mut(i) {
                    *w = true;
                }
            }
        }
        let spec = ScanSpec {
            dataset: ds,
            date_field: &dating.fecha,
            from: if as_of {
                None
            } else {
                Some(commitment_start.min(start))
            },
            to: close,
            as_of,
            wanted: &wanted,
        };
        let mut in_period_rows = 0u64;
        let mut scanned = 0u64;
        scan.scan(&spec, &mut |row: &ScanRow| {
            let date_value = row.values.get(date_index).unwrap_or(&Value::Null);
            let day = day_of(date_value);
            let dated_in_period = day.is_some_and(|d| d >= start && d <= close);
            let in_period = as_of || dated_in_period;
            let in_cumulative = as_of || day.is_some_and(|d| d >= commitment_start);
            scanned += 1;
            if dated_in_period {
                in_period_rows += 1;
            }
            let use_entry = figures
                .files
                .entry(row.version_id)
                .or_insert_with(|| FileUse {
                    organismo: row.organismo.to_string(),
                    archivo: row.archivo.to_string(),
                    ..FileUse::default()
                });
            use_entry.rows_used += 1;
            if dated_in_period {
                use_entry.rows_in_period += 1;
            }
            for &k in &mine {
                let c = &mut compiled[k].1;
                let Some(contrib) = c.contribution(row.values, &mut buf) else {
                    continue;
                };
                let fields = &c.fields;
                if in_cumulative && c.def.acumulado {
                    Compiled::add(fields, &mut c.cumulative, &contrib, row.values, &mut buf);
                    if let Some(m) = month_of(date_value) {
                        Compiled::add(
                            fields,
                            c.months.entry(m).or_default(),
                            &contrib,
                            row.values,
                            &mut buf,
                        );
                    }
                }
                if !in_period {
                    continue;
                }
                Compiled::add(fields, &mut c.period, &contrib, row.values, &mut buf);
                if let Some(listing) = listings.get_mut(&k) {
                    listing.push(row, day);
                }
                for (g, (name, index, skip_empty)) in c.by.iter().enumerate() {
                    match index {
                        Some(i) => {
                            let v = row.values.get(*i).unwrap_or(&Value::Null);
                            if *skip_empty && v.is_null() {
                                continue;
                            }
                            key_of(v, &mut key)
                        }
                        None if name == "organismo" => {
                            key.clear();
                            key.push_str(row.organismo);
                        }
                        None => {
                            key.clear();
                            if let Some(m) = month_of(date_value) {
                                let _ = write!(key, "{m}");
                            }
                        }
                    }
                    // Look up by &str first: a key is allocated once per group, not per row.
                    let groups = &mut c.groups[g];
                    if !groups.contains_key(key.as_str()) {
                        groups.insert(key.clone(), Acc::default());
                    }
                    if let Some(acc) = groups.get_mut(key.as_str()) {
                        Compiled::add(fields, acc, &contrib, row.values, &mut buf);
                    }
                }
                Compiled::add(
                    fields,
                    c.sources.entry(row.version_id).or_default(),
                    &contrib,
                    row.values,
                    &mut buf,
                );
            }
        })?;
        figures
            .rows_in_period
            .insert(ds.name.clone(), in_period_rows);
        figures.rows_published.insert(
            ds.name.clone(),
            if as_of { scanned } else { in_period_rows },
        );
        let over_time: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|k| {
                let def = &compiled[*k].1.def;
                def.evolucion.is_some() || def.trayectorias.is_some()
            })
            .collect();
        if as_of && !over_time.is_empty() {
            let mut snapshots = Snapshots::new(ds, date_index);
            let every = vec![true; ds.fields.len()];
            let spec = ScanSpec {
                wanted: &every,
                ..spec
            };
            scan.snapshots(&spec, &mut |row: &ScanRow| snapshots.push(row))?;
            let first = cfg.start().unwrap_or(period.first_month());
            for k in over_time {
                let c = &compiled[k].1;
                followups.insert(
                    compiled[k].0,
                    FollowUpResult {
                        evolution: stages::evolution(
                            &c.def, ds, &snapshots, &c.filters, first, period,
                        ),
                        trajectories: stages::trajectories(
                            &c.def, ds, &snapshots, &c.filters, period,
                        ),
                        listing: None,
                    },
                );
            }
        }
    }
    for (k, listing) in listings {
        followups.entry(compiled[k].0).or_default().listing = Some(listing.finish());
    }
    compiled.sort_by_key(|(i, _)| *i);
    for (i, c) in compiled {
        let breakdowns =
            c.by.iter()
                .zip(&c.groups)
                .map(|((field, _, _), groups)| {
                    let mut groups: Vec<Group> = groups
                        .iter()
                        .map(|(k, acc)| Group {
                            key: k.clone(),
                            value: c.value(acc),
                            rows: acc.rows,
                        })
                        .collect();
                    groups.sort_by(|x, y| natural(&x.key, &y.key));
                    Breakdown {
                        field: field.clone(),
                        groups,
                    }
                })
                .collect();
        let mut running = Acc::default();
        let mut months = Vec::new();
        if c.def.acumulado {
            for (m, acc) in &c.months {
                running.rows += acc.rows;
                running.a += acc.a;
                running.b += acc.b;
                running.set.extend(acc.set.iter().cloned());
                if running.fields.len() < acc.fields.len() {
                    running.fields.resize(acc.fields.len(), 0.0);
                }
                for (r, f) in running.fields.iter_mut().zip(&acc.fields) {
                    *r += f;
                }
                months.push((*m, c.value(&running).unwrap_or(0.0)));
            }
        }
        let mut sources: Vec<SourceShare> = c
            .sources
            .iter()
            .filter(|(_, acc)| acc.rows > 0)
            .map(|(v, acc)| {
                let f = figures.files.get(v).cloned().unwrap_or_default();
                SourceShare {
                    organismo: f.organismo,
                    archivo: f.archivo,
                    rows: acc.rows,
                    value: c.value(acc),
                }
            })
            .collect();
        sources.sort_by(|x, y| (&x.organismo, &x.archivo).cmp(&(&y.organismo, &y.archivo)));
        let fields = c
            .def
            .campos
            .iter()
            .cloned()
            .zip(
                c.period
                    .fields
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(0.0)),
            )
            .collect();
        let missing = match c.def.medida {
            Measure::Sum | Measure::Mean if c.def.campos.is_empty() => {
                c.period.rows.saturating_sub(c.period.b as u64)
            }
            Measure::Distinct => c.period.absent,
            _ => 0,
        };
        figures.indicators.push(IndicatorResult {
            value: c.value(&c.period),
            cumulative: c.def.acumulado.then(|| c.value(&c.cumulative)).flatten(),
            rows: c.period.rows,
            missing,
            fields,
            breakdowns,
            months,
            sources,
            followup: followups.remove(&i).unwrap_or_default(),
            def: c.def,
        });
    }
    Ok(figures)
}

/// Orders keys as people expect: numbers by value (comuna 2 before comuna 10), text
/// alphabetically, and the rows without a value last (city-wide instances after comunas 1 to
/// 15).
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return std::cmp::Ordering::Equal,
        (true, false) => return std::cmp::Ordering::Greater,
        (false, true) => return std::cmp::Ordering::Less,
        (false, false) => {}
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests;
