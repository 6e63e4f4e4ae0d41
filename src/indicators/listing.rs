//! The period's rows of an indicator listed one by one (`listado`), gathered during the one
//! scan of their dataset: the first rows by date, at most `listado_maximo` of them, kept in
//! bounded memory however many rows the period has.

use std::cmp::Ordering;

use chrono::NaiveDate;

use super::compute::ScanRow;
use super::config::IndicatorDef;
use super::followup::{ListedRow, Listing, LISTING_MAX_ROWS};
use crate::standard::{Dataset, Value};

/// The listed rows being gathered.
pub(super) struct ListingAcc {
    names: Vec<String>,
    fields: Vec<usize>,
    max: usize,
    rows: Vec<ListedRow>,
    total: u64,
    /// Once the buffer has been cut: a row that sorts after this one will not be listed.
    worst: Option<ListedRow>,
}

impl ListingAcc {
    /// A listing for `def`, when it asks for one.
    pub(super) fn new(def: &IndicatorDef, ds: &Dataset) -> Option<ListingAcc> {
        if def.listado.is_empty() {
            return None;
        }
        let fields: Vec<usize> = def
            .listado
            .iter()
            .filter_map(|f| ds.field_index(f))
            .collect();
        Some(ListingAcc {
            names: def.listado.clone(),
            fields,
            max: def.listado_maximo.unwrap_or(LISTING_MAX_ROWS).max(1) as usize,
            rows: Vec::new(),
            total: 0,
            worst: None,
        })
    }

    /// The fields the listing reads (by index), so the scan reads them.
    pub(super) fn fields(&self) -> &[usize] {
        &self.fields
    }

    /// Adds a row of the period.
    pub(super) fn push(&mut self, row: &ScanRow, date: Option<NaiveDate>) {
        self.total += 1;
        let values = || {
            self.fields
                .iter()
                .map(|i| row.values.get(*i).unwrap_or(&Value::Null))
        };
        if let Some(worst) = &self.worst {
            let order = compare(
                (date, values(), row.organismo, row.archivo),
                (
                    worst.date,
                    worst.values.iter(),
                    &worst.organismo,
                    &worst.archivo,
                ),
            );
            if order != Ordering::Less {
                return;
            }
        }
        let listed = ListedRow {
            values: values().cloned().collect(),
            date,
            organismo: row.organismo.to_string(),
            archivo: row.archivo.to_string(),
        };
        self.rows.push(listed);
        if self.rows.len() >= 2 * self.max {
            self.cut();
        }
    }

    fn cut(&mut self) {
        self.rows.sort_by(order);
        self.rows.truncate(self.max);
        if self.rows.len() == self.max {
            self.worst = self.rows.last().cloned();
        }
    }

    /// The listing, in order.
    pub(super) fn finish(mut self) -> Listing {
        self.cut();
        Listing {
            fields: self.names,
            rows: self.rows,
            total: self.total,
            max: self.max as u32,
        }
    }
}

fn order(a: &ListedRow, b: &ListedRow) -> Ordering {
    compare(
        (a.date, a.values.iter(), &a.organismo, &a.archivo),
        (b.date, b.values.iter(), &b.organismo, &b.archivo),
    )
}

type View<'a, I> = (Option<NaiveDate>, I, &'a str, &'a str);

/// By date (rows without one last), then the listed values, organismo and file.
fn compare<'a, 'b, I, J>(a: View<'_, I>, b: View<'_, J>) -> Ordering
where
    I: Iterator<Item = &'a Value>,
    J: Iterator<Item = &'b Value>,
{
    let by_date = match (a.0, b.0) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_date
        .then_with(|| {
            a.1.zip(b.1)
                .map(|(x, y)| value_order(x, y))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        })
        .then_with(|| a.2.cmp(b.2))
        .then_with(|| a.3.cmp(b.3))
}

/// Values of one field in people's order: numbers by value, text alphabetically, empty last.
pub(super) fn value_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::YearMonth(y1, m1), Value::YearMonth(y2, m2)) => (y1, m1).cmp(&(y2, m2)),
        (Value::Year(x), Value::Year(y)) => x.cmp(y),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.to_export().cmp(&b.to_export()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many rows arrive, the listing keeps the first by date, in order, and counts
    /// them all.
    #[test]
    fn a_long_period_keeps_the_first_rows_by_date() {
        let standard = crate::config::embedded_standard().expect("standard");
        let ds = standard.dataset("instancias").expect("instancias").clone();
        let mut def =
            crate::indicators::IndicatorsConfig::parse(crate::config::embedded::INDICATORS)
                .expect("indicators")
                .indicadores
                .into_iter()
                .find(|d| !d.listado.is_empty())
                .expect("a listing indicator");
        def.listado_maximo = Some(3);
        let mut acc = ListingAcc::new(&def, &ds).expect("listing");
        let fecha = ds.field_index("fecha").expect("fecha");
        // Days 30, 29, …, 1 of a month, and one row without a date.
        for day in (1..=30).rev().chain([0]) {
            let date = NaiveDate::from_ymd_opt(2019, 4, day);
            let mut values = vec![Value::Null; ds.fields.len()];
            values[fecha] = date.map_or(Value::Null, Value::Date);
            let row = ScanRow {
                values: &values,
                organismo: "org",
                archivo: "a.csv",
                version_id: 1,
            };
            acc.push(&row, date);
        }
        let listing = acc.finish();
        assert_eq!(listing.total, 31);
        let days: Vec<Option<NaiveDate>> = listing.rows.iter().map(|r| r.date).collect();
        assert_eq!(
            days,
            [1, 2, 3].map(|d| NaiveDate::from_ymd_opt(2019, 4, d)),
            "the three earliest, earliest first"
        );
    }
}
