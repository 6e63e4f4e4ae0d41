//! Every snapshot of a snapshot dataset's items (the current rows and those a re-submission
//! replaced), read once: the count of a field at each month's close since the commitment's
//! start, the changes of that field in the period (`evolucion`), and each item's trajectory
//! (`trayectorias`).
//!
//! An item's state on a day is its last snapshot dated on or before it, in the order in which
//! the store chooses the current one (the dataset's order fields, then reception), so the
//! count at the period's close is the count of the report's «state at the close».

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::compute::{day_of, key_of, passes, Filter, ScanRow};
use super::config::IndicatorDef;
use super::followup::{Evolution, MonthCount, Step, Trajectories, Trajectory, Transition};
use super::period::{Month, Period};
use crate::standard::{Dataset, Value};

/// One snapshot of an item.
struct Snap {
    date: NaiveDate,
    values: Vec<Value>,
}

/// An item's snapshots, oldest first.
struct Item {
    organismo: String,
    key: Vec<String>,
    snaps: Vec<Snap>,
}

/// Every item's snapshots, gathered from a scan in the store's order.
pub(super) struct Snapshots {
    date_index: usize,
    key_fields: Vec<Option<usize>>,
    items: Vec<Item>,
    by_key: HashMap<Vec<String>, usize>,
}

impl Snapshots {
    /// Snapshots of `ds`'s items, dated by field `date_index`.
    pub(super) fn new(ds: &Dataset, date_index: usize) -> Snapshots {
        // The key names the provenance field `organismo` or fields of the dataset.
        let key_fields = ds
            .snapshots
            .as_ref()
            .map(|s| s.key.iter().map(|k| ds.field_index(k)).collect())
            .unwrap_or_default();
        Snapshots {
            date_index,
            key_fields,
            items: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// Adds the next snapshot of the scan.
    pub(super) fn push(&mut self, row: &ScanRow) {
        let Some(date) = row.values.get(self.date_index).and_then(day_of) else {
            return;
        };
        let mut buf = String::new();
        let key: Vec<String> = self
            .key_fields
            .iter()
            .map(|f| match f {
                Some(i) => {
                    key_of(row.values.get(*i).unwrap_or(&Value::Null), &mut buf);
                    buf.clone()
                }
                None => row.organismo.to_string(),
            })
            .collect();
        let at = match self.by_key.get(&key) {
            Some(at) => *at,
            None => {
                self.items.push(Item {
                    organismo: row.organismo.to_string(),
                    key: key.clone(),
                    snaps: Vec::new(),
                });
                self.by_key.insert(key, self.items.len() - 1);
                self.items.len() - 1
            }
        };
        let Some(item) = self.items.get_mut(at) else {
            return;
        };
        // A file sent again keeps its earlier rows as history: the same update twice is one.
        if let Some(last) = item.snaps.last_mut() {
            if last.date == date && last.values == row.values {
                return;
            }
        }
        item.snaps.push(Snap {
            date,
            values: row.values.to_vec(),
        });
    }

    /// Items in key order.
    fn sorted(&self) -> Vec<&Item> {
        let mut items: Vec<&Item> = self.items.iter().collect();
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items
    }
}

/// The state (as stored) of a snapshot.
fn state_of(values: &[Value], state: usize) -> String {
    let mut out = String::new();
    key_of(values.get(state).unwrap_or(&Value::Null), &mut out);
    out
}

/// `evolucion`: the items by `def.evolucion` at each month's close from `first` to the
/// period's last month, and its changes dated in the period.
pub(super) fn evolution(
    def: &IndicatorDef,
    ds: &Dataset,
    snapshots: &Snapshots,
    filters: &[Filter],
    first: Month,
    period: Period,
) -> Option<Evolution> {
    let field = def.evolucion.as_ref()?;
    let state = ds.field_index(field)?;
    let mut months: Vec<Month> = Vec::new();
    let mut m = first.min(period.first_month());
    while m <= period.last_month() && months.len() < 2400 {
        months.push(m);
        m = m.next();
    }
    let mut counts: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); months.len()];
    let mut moves: BTreeMap<(Option<String>, String), u64> = BTreeMap::new();
    let mut buf = String::new();
    let (start, close) = (period.start(), period.end());
    for item in snapshots.sorted() {
        let mut next = 0;
        for (slot, month) in counts.iter_mut().zip(&months) {
            let last_day = month.last_day();
            while item.snaps.get(next).is_some_and(|s| s.date <= last_day) {
                next += 1;
            }
            let Some(current) = next.checked_sub(1).and_then(|i| item.snaps.get(i)) else {
                continue;
            };
            if passes(filters, &current.values, &mut buf) {
                *slot.entry(state_of(&current.values, state)).or_default() += 1;
            }
        }
        let mut before: Option<String> = None;
        for snap in &item.snaps {
            let now = state_of(&snap.values, state);
            let dated_in = snap.date >= start && snap.date <= close;
            if dated_in
                && before.as_deref() != Some(now.as_str())
                && passes(filters, &snap.values, &mut buf)
            {
                *moves.entry((before.clone(), now.clone())).or_default() += 1;
            }
            before = Some(now);
        }
    }
    Some(Evolution {
        field: field.clone(),
        months: months
            .into_iter()
            .zip(counts)
            .map(|(month, c)| MonthCount {
                month,
                counts: c.into_iter().collect(),
            })
            .collect(),
        transitions: moves
            .into_iter()
            .map(|((from, to), count)| Transition { from, to, count })
            .collect(),
    })
}

/// `trayectorias`: every item whose state at the close passes the indicator's filters, with
/// each of its updates.
pub(super) fn trajectories(
    def: &IndicatorDef,
    ds: &Dataset,
    snapshots: &Snapshots,
    filters: &[Filter],
    period: Period,
) -> Option<Trajectories> {
    let t = def.trayectorias.as_ref()?;
    let state = ds.field_index(def.evolucion.as_ref()?)?;
    let progress = t.avance.as_ref().and_then(|a| ds.field_index(a));
    let stale_days = t.stale_days();
    let (start, close) = (period.start(), period.end());
    let mut buf = String::new();
    let mut items = Vec::new();
    for item in snapshots.sorted() {
        let Some(last) = item.snaps.last() else {
            continue;
        };
        if !passes(filters, &last.values, &mut buf) {
            continue;
        }
        let mut steps: Vec<Step> = Vec::with_capacity(item.snaps.len());
        for snap in &item.snaps {
            let previous = steps.last().map(|s: &Step| s.state.clone());
            steps.push(Step {
                date: snap.date,
                state: state_of(&snap.values, state),
                previous,
                progress: progress
                    .and_then(|i| snap.values.get(i))
                    .and_then(Value::as_f64),
                values: snap.values.clone(),
            });
        }
        let days_since_update = (close - last.date).num_days();
        let current = state_of(&last.values, state);
        let expects_updates =
            t.estados_sin_actualizar.is_empty() || t.estados_sin_actualizar.contains(&current);
        items.push(Trajectory {
            organismo: item.organismo.clone(),
            key: item.key.clone(),
            changed_in_period: steps
                .iter()
                .any(|s| s.changed() && s.date >= start && s.date <= close),
            stale: expects_updates && days_since_update >= stale_days,
            days_since_update,
            steps,
        });
    }
    Some(Trajectories { items, stale_days })
}
