//! One cell read as one field's value: the field's type, its range, its code list (looked up
//! through the sheet's memo), a month written alone.
//!
//! Knows cells and fields only: must not see rows, sheets or issues (a failure is a
//! `FieldError` the caller turns into an issue).

use std::borrow::Cow;
use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::redact;
use crate::standard::fold::clean_text;
use crate::standard::issue::Code;
use crate::standard::schema::{Dataset, Field, FieldType};
use crate::standard::sheet::Cell;
use crate::standard::values::{self, ValueError};
use crate::standard::{Standard, Value};

/// A parse failure: code, message key and extra placeholders.
type FieldError = (Code, &'static str, Vec<(&'static str, String)>);

fn check_range(field: &Field, n: f64) -> Result<(), FieldError> {
    if let Some(min) = field.constraints.minimum {
        if n < min {
            return Err((
                Code::ConstraintError,
                "constraint-error.minimum",
                vec![("limite", crate::standard::sheet::format_number(min))],
            ));
        }
    }
    if let Some(max) = field.constraints.maximum {
        if n > max {
            return Err((
                Code::ConstraintError,
                "constraint-error.maximum",
                vec![("limite", crate::standard::sheet::format_number(max))],
            ));
        }
    }
    Ok(())
}

fn type_error(e: ValueError) -> FieldError {
    (Code::TypeError, e.message_key(), Vec::new())
}

/// Codes already looked up in one sheet, by field: the same barrio is written the same way on
/// thousands of rows, and folding it once is enough.
pub(super) type CodeMemo = RefCell<FxHashMap<usize, FxHashMap<String, Option<String>>>>;

pub(super) fn parse_field(
    standard: &Standard,
    dataset: &Dataset,
    field: &Field,
    cell: &Cell,
    memo: Option<(&CodeMemo, usize)>,
) -> Result<Value, FieldError> {
    let lex = &standard.lexicon;
    let value = match field.field_type {
        FieldType::String => {
            let written: Cow<str> = match cell {
                Cell::Text(t) => Cow::Borrowed(t),
                other => Cow::Owned(other.as_written()),
            };
            match field
                .code_list
                .as_ref()
                .and_then(|l| standard.code_lists.get(l))
            {
                Some(list) => match memoised_lookup(list, dataset, &written, memo) {
                    Some(code) => Value::Text(code),
                    None => {
                        return Err(match list.suggest(&dataset.name, &written) {
                            Some(s) => (
                                Code::ConstraintError,
                                "constraint-error.code_suggest",
                                vec![("sugerencia", s.to_string())],
                            ),
                            None => (Code::ConstraintError, "constraint-error.code", Vec::new()),
                        })
                    }
                },
                None => Value::Text(redact(clean_text(&written))),
            }
        }
        FieldType::Integer => {
            let n = if field.parse.as_deref() == Some("comuna") {
                values::parse_comuna(cell, lex)
            } else {
                values::parse_integer(cell)
            }
            .map_err(type_error)?;
            check_range(field, n as f64)?;
            Value::Int(n)
        }
        FieldType::Number => {
            let n = values::parse_number(cell).map_err(type_error)?;
            check_range(field, n)?;
            Value::Num(n)
        }
        FieldType::Date => Value::Date(values::parse_date(cell, lex).map_err(type_error)?),
        FieldType::Yearmonth => {
            let (y, m) = values::parse_yearmonth(cell, lex).map_err(type_error)?;
            Value::YearMonth(y, m)
        }
        FieldType::Year => Value::Year(values::parse_year(cell).map_err(type_error)?),
    };
    Ok(value)
}

/// A cell holding a month alone: `marzo`, `Mar`, `3`.
pub(super) fn month_only(cell: &Cell, lex: &crate::standard::lexicon::Lexicon) -> Option<u32> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && (1.0..=12.0).contains(n) => Some(*n as u32),
        Cell::Text(t) => {
            let folded = crate::standard::fold::fold(t);
            lex.month(&folded)
                .or_else(|| folded.parse().ok().filter(|m| (1..=12).contains(m)))
        }
        _ => None,
    }
}

/// [`CodeList::lookup`](crate::standard::codes::CodeList::lookup) through the sheet's memo.
fn memoised_lookup(
    list: &crate::standard::codes::CodeList,
    dataset: &Dataset,
    written: &str,
    memo: Option<(&CodeMemo, usize)>,
) -> Option<String> {
    let Some((memo, field)) = memo else {
        return list.lookup(&dataset.name, written).map(|e| e.code.clone());
    };
    if let Some(known) = memo.borrow().get(&field).and_then(|m| m.get(written)) {
        return known.clone();
    }
    let found = list.lookup(&dataset.name, written).map(|e| e.code.clone());
    memo.borrow_mut()
        .entry(field)
        .or_default()
        .insert(written.to_string(), found.clone());
    found
}

/// The code-list column of the entry a field's code names (`comuna` of a barrio).
pub(super) fn code_column(
    standard: &Standard,
    dataset: &Dataset,
    field: &Field,
    value: &Value,
    column: &str,
) -> Option<i64> {
    let Value::Text(code) = value else {
        return None;
    };
    let list = standard.code_lists.get(field.code_list.as_ref()?)?;
    list.by_code(&dataset.name, code)?
        .columns
        .get(column)?
        .trim()
        .parse()
        .ok()
}
