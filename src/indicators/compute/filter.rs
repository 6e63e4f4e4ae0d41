//! The filters of an indicator's part (`campo = "valor"`, a list, `"*"`, `">=Nd"`) compiled
//! against a dataset, a row tested against them, and a value as a grouping key or a day.
//!
//! Pure, over one row's values: it must not depend on the accumulators or on how rows are
//! scanned.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::super::config::FilterValue;
use super::super::period::Month;
use crate::standard::{Dataset, Value};

/// `>=90d` → 90.
pub fn days_filter(s: &str) -> Option<i64> {
    s.strip_prefix(">=")?
        .trim()
        .strip_suffix('d')?
        .trim()
        .parse()
        .ok()
        .filter(|d: &i64| (0..=MAX_FILTER_DAYS).contains(d))
}

/// The most days a `>=Nd` filter may name: a century (more could not be subtracted from a date).
pub const MAX_FILTER_DAYS: i64 = 36_500;

pub(in crate::indicators) enum Op {
    Eq(String),
    In(Vec<String>),
    Present,
    /// The date is at least this many days before the period's close.
    OlderThan(NaiveDate),
}

pub(in crate::indicators) struct Filter {
    pub(super) index: usize,
    op: Op,
}

pub(in crate::indicators) fn compile_filters(
    ds: &Dataset,
    f: &BTreeMap<String, FilterValue>,
    close: NaiveDate,
) -> Vec<Filter> {
    f.iter()
        .filter_map(|(k, v)| {
            let index = ds.field_index(k)?;
            let op = match v {
                FilterValue::One(s) if s == "*" => Op::Present,
                FilterValue::One(s) => match days_filter(s) {
                    Some(days) => Op::OlderThan(close - chrono::Duration::days(days)),
                    None => Op::Eq(s.clone()),
                },
                FilterValue::Any(list) => Op::In(list.clone()),
            };
            Some(Filter { index, op })
        })
        .collect()
}

/// Writes a value as a grouping key (codes and numbers as exported, dates ISO).
pub(in crate::indicators) fn key_of(v: &Value, out: &mut String) {
    out.clear();
    match v {
        Value::Null => {}
        Value::Text(t) => out.push_str(t),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Year(y) => {
            let _ = write!(out, "{y}");
        }
        Value::Num(n) => out.push_str(&crate::standard::sheet::format_number(*n)),
        Value::Date(d) => {
            let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        }
        Value::YearMonth(y, m) => {
            let _ = write!(out, "{y:04}-{m:02}");
        }
    }
}

pub(in crate::indicators) fn passes(
    filters: &[Filter],
    values: &[Value],
    buf: &mut String,
) -> bool {
    filters.iter().all(|f| {
        let v = values.get(f.index).unwrap_or(&Value::Null);
        match &f.op {
            Op::Present => !v.is_null(),
            Op::OlderThan(limit) => match v {
                Value::Date(d) => d <= limit,
                _ => false,
            },
            Op::Eq(want) => {
                key_of(v, buf);
                buf == want
            }
            Op::In(list) => {
                key_of(v, buf);
                list.iter().any(|w| w == buf)
            }
        }
    })
}

pub(super) fn month_of(v: &Value) -> Option<Month> {
    match v {
        Value::Date(d) => Some(Month::of(*d)),
        Value::YearMonth(y, m) => Some(Month {
            year: *y,
            month: *m,
        }),
        _ => None,
    }
}

/// The last day a dating value covers: the date itself, or a month's last day.
pub(in crate::indicators) fn day_of(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        Value::YearMonth(..) => month_of(v).map(Month::last_day),
        _ => None,
    }
}
