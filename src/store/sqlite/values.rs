//! Standard values and SQLite values: the column type of each field type, the dataset tables'
//! names and columns, a value bound as a parameter, a stored value read back (typed, or as
//! export text), and a date bound as the field stores it.
//!
//! The mapping only: no statement runs here except reading the rows handed to
//! [`read_rows`]; it must not know the files, the ledger or the copy index.

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::ToSql;

use super::super::{ExportError, StoreError, StoredRow};
use crate::standard::schema::{Dataset, FieldType};
use crate::standard::Value;

pub(super) fn sql_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Integer | FieldType::Year => "BIGINT",
        FieldType::Number => "DOUBLE PRECISION",
        FieldType::String | FieldType::Date | FieldType::Yearmonth => "TEXT",
    }
}

pub(in crate::store) fn table(dataset: &Dataset) -> String {
    format!("ds_{}", dataset.name)
}

pub(in crate::store) fn history_table(dataset: &Dataset) -> String {
    format!("ds_{}_historial", dataset.name)
}

pub(in crate::store) fn field_columns(dataset: &Dataset) -> Vec<String> {
    dataset.fields.iter().map(|f| f.name.clone()).collect()
}

/// Binds a standard value without copying text: dates ISO, periods `YYYY-MM`, years as
/// integers.
impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(SqlValue::Null),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Value::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Value::Num(n) => ToSqlOutput::Owned(SqlValue::Real(*n)),
            Value::Year(y) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*y))),
            Value::Date(_) | Value::YearMonth(..) => {
                ToSqlOutput::Owned(SqlValue::Text(self.to_export()))
            }
        })
    }
}

/// Renders a stored value the way exports write it.
pub(super) fn export_value(v: SqlValue) -> String {
    match v {
        SqlValue::Null => String::new(),
        SqlValue::Integer(i) => i.to_string(),
        SqlValue::Real(r) => crate::standard::sheet::format_number(r),
        SqlValue::Text(t) => t,
        SqlValue::Blob(_) => String::new(),
    }
}

/// Hands each row of a scan to `each`, reusing `out`.
pub(in crate::store) fn read_rows(
    mut rows: rusqlite::Rows<'_>,
    ds: &Dataset,
    out: &mut StoredRow,
    each: &mut dyn FnMut(&StoredRow) -> std::io::Result<()>,
) -> Result<(), ExportError> {
    let n = ds.fields.len();
    let text = |r: &rusqlite::Row, i: usize, into: &mut String| -> rusqlite::Result<()> {
        into.clear();
        if let ValueRef::Text(t) = r.get_ref(i)? {
            into.push_str(&String::from_utf8_lossy(t));
        }
        Ok(())
    };
    while let Some(row) = rows.next().map_err(StoreError::from)? {
        for (i, f) in ds.fields.iter().enumerate() {
            assign_value(
                &mut out.values[i],
                f.field_type,
                row.get_ref(i).map_err(StoreError::from)?,
            );
        }
        text(row, n, &mut out.organismo).map_err(StoreError::from)?;
        text(row, n + 1, &mut out.archivo).map_err(StoreError::from)?;
        text(row, n + 2, &mut out.hoja).map_err(StoreError::from)?;
        out.fila = row.get(n + 3).map_err(StoreError::from)?;
        out.version_id = row.get(n + 4).map_err(StoreError::from)?;
        each(out)?;
    }
    Ok(())
}

/// `YYYY-MM-DD` without the general date parser: reports read half a million dates.
fn iso_date(t: &[u8]) -> Option<chrono::NaiveDate> {
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let num = |b: &[u8]| {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    chrono::NaiveDate::from_ymd_opt(
        i32::try_from(num(&t[..4])?).ok()?,
        num(&t[5..7])?,
        num(&t[8..])?,
    )
}

/// [`typed_value`] into `slot`, reusing its text's allocation.
fn assign_value(slot: &mut Value, t: FieldType, v: ValueRef<'_>) {
    if let (Value::Text(old), ValueRef::Text(new)) = (&mut *slot, v) {
        if !matches!(t, FieldType::Date | FieldType::Yearmonth) {
            old.clear();
            old.push_str(&String::from_utf8_lossy(new));
            return;
        }
    }
    *slot = typed_value(t, v);
}

/// Reads a stored value back as the standard value of a field of this type.
pub(in crate::store) fn typed_value(t: FieldType, v: ValueRef<'_>) -> Value {
    match (t, v) {
        (_, ValueRef::Null) => Value::Null,
        (FieldType::Integer, ValueRef::Integer(i)) => Value::Int(i),
        (FieldType::Year, ValueRef::Integer(i)) => {
            i32::try_from(i).map(Value::Year).unwrap_or(Value::Int(i))
        }
        (FieldType::Number, ValueRef::Integer(i)) => Value::Num(i as f64),
        (FieldType::Number | FieldType::Integer, ValueRef::Real(r)) => Value::Num(r),
        (FieldType::Date, ValueRef::Text(t)) => {
            if let Some(d) = iso_date(t) {
                return Value::Date(d);
            }
            let text = String::from_utf8_lossy(t);
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(Value::Date)
                .unwrap_or_else(|_| Value::Text(text.into_owned()))
        }
        (FieldType::Yearmonth, ValueRef::Text(t)) => {
            let text = String::from_utf8_lossy(t);
            let parsed = text
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)));
            match parsed {
                Some((y, m)) if (1..=12).contains(&m) => Value::YearMonth(y, m),
                _ => Value::Text(text.into_owned()),
            }
        }
        (_, ValueRef::Text(t)) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        (_, ValueRef::Integer(i)) => Value::Int(i),
        (_, ValueRef::Real(r)) => Value::Num(r),
        (_, ValueRef::Blob(_)) => Value::Null,
    }
}

/// A date bound as the dating field stores it: `2019-03-31`, or `2019-03` for a year-month.
pub(in crate::store) fn bound(t: FieldType, d: chrono::NaiveDate) -> String {
    match t {
        FieldType::Yearmonth => d.format("%Y-%m").to_string(),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}
