//! One record built from one row (one month of it for wide sheets): values parsed, derived and
//! defaulted, cross-field rules checked, and the row's issues with their place.
//!
//! Must not decide which rows are data (that is `rows`) nor walk the sheet.

use chrono::Duration;

use super::fields::{code_column, month_only, parse_field, CodeMemo};
use super::redact;
use super::rows::Period;
use crate::standard::header::{Header, Role};
use crate::standard::issue::{Code, Issue};
use crate::standard::schema::{Dataset, Field, FieldType, Rule, Severity};
use crate::standard::sheet::{column_letters, Cell, RawRow};
use crate::standard::values;
use crate::standard::{FileContext, Standard, Value};

/// Where a problem sits: one row of one sheet.
pub(super) struct Place<'a> {
    pub(super) sheet: &'a str,
    pub(super) row: u32,
}

/// What rows of one sheet share: the header, and the messages to build issues with.
pub(super) struct Reporter<'a> {
    pub(super) standard: &'a Standard,
    pub(super) header: &'a Header,
    /// Columns of percentages written as fractions (see [`fraction_columns`]).
    pub(super) fraction_columns: Vec<usize>,
    /// Codes looked up so far in this sheet.
    pub(super) codes: CodeMemo,
}

impl Reporter<'_> {
    /// True when the sheet has a column for the field `field` derives from (`barrio` for
    /// `comuna`).
    fn has_source_column(&self, dataset: &Dataset, field: &Field) -> bool {
        let source = field
            .derive
            .as_ref()
            .and_then(|d| dataset.field_index(&d.from));
        source.is_some_and(|f| self.header.roles.contains(&Role::Field(f)))
    }

    // Place, field, column and problem are each needed to tell a clerk which cell and why;
    // bundling them would only hide that at the call sites.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn cell_issue(
        &self,
        place: &Place,
        field: &Field,
        col: Option<usize>,
        code: Code,
        value: &str,
        key: &str,
        extra: &[(&str, &str)],
    ) -> Issue {
        let header_label = col
            .and_then(|c| self.header.labels.get(c))
            .filter(|l| !l.is_empty())
            .cloned();
        let campo = header_label
            .clone()
            .unwrap_or_else(|| field.title.clone().unwrap_or_else(|| field.name.clone()));
        // The value as written, cut to what a clerk needs to find the cell.
        let mut value = redact(value.to_string());
        if value.chars().count() > 200 {
            value = value.chars().take(200).chain("…".chars()).collect();
        }
        let mut args: Vec<(&str, &str)> = vec![("campo", &campo), ("valor", &value)];
        args.extend_from_slice(extra);
        let body = self.standard.messages.render(key, &args);
        let column = col.map(column_letters);
        let message = match &column {
            Some(letters) => format!("Celda {letters}{}: {body}", place.row),
            None => body,
        };
        Issue {
            sheet: place.sheet.to_string(),
            row: Some(place.row),
            column,
            header: header_label,
            field: Some(field.name.clone()),
            code,
            value,
            message,
        }
    }
}

/// Builds one record from a row (one month of it for wide sheets): values, or the errors that
/// reject the row. Warnings ride along with accepted values.
pub(super) fn build_record(
    standard: &Standard,
    ctx: &FileContext,
    dataset: &Dataset,
    reporter: &Reporter,
    place: &Place,
    row: &RawRow,
    month: Option<Period>,
) -> Result<(Vec<Value>, Vec<Issue>), Vec<Issue>> {
    let fraction_columns = &reporter.fraction_columns;
    let header = reporter.header;
    let n = dataset.fields.len();
    let mut col_of: Vec<Option<usize>> = vec![None; n];
    let mut year_col = None;
    for (c, role) in header.roles.iter().enumerate() {
        match role {
            Role::Field(i) if col_of[*i].is_none() => col_of[*i] = Some(c),
            Role::Wide {
                field,
                month: m,
                year,
            } if Some((*year, *m)) == month && col_of[*field].is_none() => col_of[*field] = Some(c),
            Role::Year if year_col.is_none() => year_col = Some(c),
            _ => {}
        }
    }
    let mut values = vec![Value::Null; n];
    let mut errors: Vec<Issue> = Vec::new();
    let mut warnings: Vec<Issue> = Vec::new();
    let mut failed = vec![false; n];
    let lex = &standard.lexicon;

    for (i, field) in dataset.fields.iter().enumerate() {
        let Some(c) = col_of[i] else { continue };
        let cell = row.cell(c);
        if values::is_missing(cell, lex) {
            continue;
        }
        let parsed = parse_field(standard, dataset, field, cell, Some((&reporter.codes, i)))
            .or_else(|e| {
                // A `Mes` column holding only the month, beside a year column: `marzo` + `2019`.
                match (
                    field.field_type,
                    month_only(cell, lex),
                    year_col.map(|y| values::parse_year(row.cell(y))),
                ) {
                    (FieldType::Yearmonth, Some(m), Some(Ok(y))) if month.is_none() => {
                        Ok(Value::YearMonth(y, m))
                    }
                    _ => Err(e),
                }
            });
        match parsed {
            Ok(Value::Num(n))
                if fraction_columns.contains(&c) && matches!(cell, Cell::Number(_)) =>
            {
                values[i] = Value::Num(n * 100.0)
            }
            Ok(v) => values[i] = v,
            Err((code, key, extra)) => {
                failed[i] = true;
                let extra: Vec<(&str, &str)> =
                    extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
                errors.push(reporter.cell_issue(
                    place,
                    field,
                    Some(c),
                    code,
                    &cell.as_written(),
                    key,
                    &extra,
                ));
            }
        }
    }

    // Wide sheets: the period is the year column plus the month of the column pair.
    if let (Some((column_year, m)), Some(wide)) = (month, dataset.wide.as_ref()) {
        if let Some(p) = dataset.field_index(&wide.period_field) {
            let field = &dataset.fields[p];
            if let Some(y) = column_year {
                values[p] = Value::YearMonth(y, m);
            }
            let cell = year_col.map(|c| row.cell(c)).unwrap_or(&Cell::Empty);
            if values[p].is_null() && !values::is_missing(cell, lex) {
                match values::parse_year(cell) {
                    Ok(y) => values[p] = Value::YearMonth(y, m),
                    Err(e) => {
                        failed[p] = true;
                        errors.push(reporter.cell_issue(
                            place,
                            field,
                            year_col,
                            Code::TypeError,
                            &cell.as_written(),
                            e.message_key(),
                            &[],
                        ));
                    }
                }
            }
            col_of[p] = year_col;
        }
    }

    // Derivations (comuna from barrio), then parent checks (barrio within comuna).
    for (i, field) in dataset.fields.iter().enumerate() {
        if let (Value::Null, Some(derive)) = (&values[i], &field.derive) {
            if let Some(from) = dataset.field_index(&derive.from) {
                if let Some(v) = code_column(
                    standard,
                    dataset,
                    &dataset.fields[from],
                    &values[from],
                    &derive.column,
                ) {
                    values[i] = Value::Int(v);
                }
            }
        }
    }
    for (i, field) in dataset.fields.iter().enumerate() {
        let Some(parent) = &field.parent else {
            continue;
        };
        let Some(p) = dataset.field_index(&parent.field) else {
            continue;
        };
        let (Some(expected), Value::Int(given)) = (
            code_column(standard, dataset, field, &values[i], &parent.column),
            &values[p],
        ) else {
            continue;
        };
        if expected != *given {
            failed[i] = true;
            let cell = col_of[i]
                .map(|c| row.cell(c).as_written())
                .unwrap_or_default();
            let (e, g) = (expected.to_string(), given.to_string());
            errors.push(reporter.cell_issue(
                place,
                field,
                col_of[i],
                Code::ConstraintError,
                &cell,
                "constraint-error.parent",
                &[("esperado", &e), ("dado", &g)],
            ));
        }
    }

    // Defaults, then required values.
    for (i, field) in dataset.fields.iter().enumerate() {
        if !values[i].is_null() || failed[i] {
            continue;
        }
        match field.default.as_deref() {
            Some("submission_date") => {
                if let Some(d) = ctx.submitted {
                    values[i] = Value::Date(d);
                }
            }
            Some(code) => {
                let chosen = if field.code_list.as_deref() == Some("programas") {
                    ctx.default_programa.as_deref().unwrap_or(code)
                } else {
                    code
                };
                values[i] = Value::Text(chosen.to_string());
            }
            None => {}
        }
        if values[i].is_null() && field.constraints.required {
            // City-wide rows: the sheet has neither the column nor the one it derives from.
            if field.optional_without_column
                && col_of[i].is_none()
                && !reporter.has_source_column(dataset, field)
            {
                continue;
            }
            let derived_from_failed = field
                .derive
                .as_ref()
                .and_then(|d| dataset.field_index(&d.from))
                .is_some_and(|f| failed[f]);
            if derived_from_failed {
                continue;
            }
            let key = if field.derive.is_some() {
                "required-value.derivable"
            } else {
                "required-value"
            };
            let written = col_of[i]
                .map(|c| row.cell(c).as_written())
                .unwrap_or_default();
            errors.push(reporter.cell_issue(
                place,
                field,
                col_of[i],
                Code::RequiredValue,
                &written,
                key,
                &[],
            ));
        }
    }

    // Cross-field rules.
    for rule in &dataset.rules {
        match rule {
            Rule::LessOrEqual {
                field,
                limit,
                severity,
            } => {
                let (Some(f), Some(l)) = (dataset.field_index(field), dataset.field_index(limit))
                else {
                    continue;
                };
                let (Some(a), Some(b)) = (values[f].as_f64(), values[l].as_f64()) else {
                    continue;
                };
                if a > b {
                    let (av, bv) = (values[f].to_export(), values[l].to_export());
                    let limit_label = col_of[l]
                        .and_then(|c| header.labels.get(c))
                        .cloned()
                        .unwrap_or_else(|| limit.clone());
                    let code = if *severity == Severity::Error {
                        Code::ConstraintError
                    } else {
                        Code::Warning
                    };
                    let issue = reporter.cell_issue(
                        place,
                        &dataset.fields[f],
                        col_of[f],
                        code,
                        &av,
                        "constraint-error.less_or_equal",
                        &[("limite", &bv), ("limite_campo", &limit_label)],
                    );
                    if *severity == Severity::Error {
                        errors.push(issue)
                    } else {
                        warnings.push(issue)
                    }
                }
            }
            Rule::SumEquals {
                parts,
                total,
                severity,
            } => {
                let Some(t) = dataset.field_index(total) else {
                    continue;
                };
                let Some(total_value) = values[t].as_f64() else {
                    continue;
                };
                let part_values: Option<Vec<f64>> = parts
                    .iter()
                    .map(|p| dataset.field_index(p).and_then(|i| values[i].as_f64()))
                    .collect();
                let Some(part_values) = part_values else {
                    continue;
                };
                let sum: f64 = part_values.iter().sum();
                if (sum - total_value).abs() > 1e-9 {
                    let code = if *severity == Severity::Error {
                        Code::ConstraintError
                    } else {
                        Code::Warning
                    };
                    let s = crate::standard::sheet::format_number(sum);
                    let issue = reporter.cell_issue(
                        place,
                        &dataset.fields[t],
                        col_of[t],
                        code,
                        &values[t].to_export(),
                        "warning.sum_equals",
                        &[("suma", &s)],
                    );
                    if *severity == Severity::Error {
                        errors.push(issue)
                    } else {
                        warnings.push(issue)
                    }
                }
            }
        }
    }

    // Dates worth a second look.
    for (i, field) in dataset.fields.iter().enumerate() {
        let (true, Value::Date(d)) = (field.in_reporting_period, &values[i]) else {
            continue;
        };
        let shown = || d.format("%d/%m/%Y").to_string();
        if let Some((from, to)) = ctx.reporting_period {
            if *d < from || *d > to {
                let shown = shown();
                let (f, t) = (
                    from.format("%d/%m/%Y").to_string(),
                    to.format("%d/%m/%Y").to_string(),
                );
                warnings.push(reporter.cell_issue(
                    place,
                    field,
                    col_of[i],
                    Code::Warning,
                    &shown,
                    "warning.out_of_period",
                    &[("desde", &f), ("hasta", &t)],
                ));
            }
        }
        if let Some(submitted) = ctx.submitted {
            if *d > submitted + Duration::days(1) {
                let shown = shown();
                warnings.push(reporter.cell_issue(
                    place,
                    field,
                    col_of[i],
                    Code::Warning,
                    &shown,
                    "warning.future",
                    &[],
                ));
            }
        }
    }

    if errors.is_empty() {
        Ok((values, warnings))
    } else {
        Err(errors)
    }
}
