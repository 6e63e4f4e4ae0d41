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
/// reject the row. Warnings ride along with accepted values. The steps run in this order, each
/// seeing what the previous ones left: a derived value is never a parsed one, a default never
/// fills a cell that failed, rules compare finished values.
pub(super) fn build_record(
    standard: &Standard,
    ctx: &FileContext,
    dataset: &Dataset,
    reporter: &Reporter,
    place: &Place,
    row: &RawRow,
    month: Option<Period>,
) -> Result<(Vec<Value>, Vec<Issue>), Vec<Issue>> {
    let (col_of, year_col) = columns(reporter.header, dataset.fields.len(), month);
    let mut draft = Draft {
        standard,
        ctx,
        dataset,
        reporter,
        place,
        row,
        month,
        col_of,
        year_col,
        values: vec![Value::Null; dataset.fields.len()],
        failed: vec![false; dataset.fields.len()],
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    draft.parse_cells();
    draft.wide_period();
    draft.derive();
    draft.check_parents();
    draft.defaults_and_required();
    draft.cross_field_rules();
    draft.date_warnings();
    if draft.errors.is_empty() {
        Ok((draft.values, draft.warnings))
    } else {
        Err(draft.errors)
    }
}

/// The column of each field (for a wide sheet, the one of `month`) and the year column.
fn columns(
    header: &Header,
    fields: usize,
    month: Option<Period>,
) -> (Vec<Option<usize>>, Option<usize>) {
    let mut col_of: Vec<Option<usize>> = vec![None; fields];
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
    (col_of, year_col)
}

/// A record being built from one row: the values so far, which fields failed, and the issues.
struct Draft<'a, 'r> {
    standard: &'a Standard,
    ctx: &'a FileContext,
    dataset: &'a Dataset,
    reporter: &'a Reporter<'r>,
    place: &'a Place<'a>,
    row: &'a RawRow,
    /// The month of a wide sheet's column pair being read.
    month: Option<Period>,
    /// Each field's column.
    col_of: Vec<Option<usize>>,
    /// The year column, if any.
    year_col: Option<usize>,
    values: Vec<Value>,
    /// Fields whose cell was rejected: no default or derivation fills them.
    failed: Vec<bool>,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Draft<'_, '_> {
    /// An issue about field `i`'s cell: a warning when `code` says so, else an error (which
    /// rejects the row).
    fn note(&mut self, i: usize, code: Code, value: &str, key: &str, extra: &[(&str, &str)]) {
        let field = &self.dataset.fields[i];
        let issue =
            self.reporter
                .cell_issue(self.place, field, self.col_of[i], code, value, key, extra);
        if code == Code::Warning {
            self.warnings.push(issue);
        } else {
            self.errors.push(issue);
        }
    }

    /// Each field's cell parsed; a cell that does not parse is an error and its field failed.
    fn parse_cells(&mut self) {
        let (standard, dataset, row) = (self.standard, self.dataset, self.row);
        let lex = &standard.lexicon;
        for (i, field) in dataset.fields.iter().enumerate() {
            let Some(c) = self.col_of[i] else { continue };
            let cell = row.cell(c);
            if values::is_missing(cell, lex) {
                continue;
            }
            let parsed = parse_field(
                standard,
                dataset,
                field,
                cell,
                Some((&self.reporter.codes, i)),
            )
            .or_else(|e| {
                // A `Mes` column holding only the month, beside a year column: `marzo` + `2019`.
                match (
                    field.field_type,
                    month_only(cell, lex),
                    self.year_col.map(|y| values::parse_year(row.cell(y))),
                ) {
                    (FieldType::Yearmonth, Some(m), Some(Ok(y))) if self.month.is_none() => {
                        Ok(Value::YearMonth(y, m))
                    }
                    _ => Err(e),
                }
            });
            match parsed {
                Ok(Value::Num(n))
                    if self.reporter.fraction_columns.contains(&c)
                        && matches!(cell, Cell::Number(_)) =>
                {
                    self.values[i] = Value::Num(n * 100.0)
                }
                Ok(v) => self.values[i] = v,
                Err((code, key, extra)) => {
                    self.failed[i] = true;
                    let extra: Vec<(&str, &str)> =
                        extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    self.note(i, code, &cell.as_written(), key, &extra);
                }
            }
        }
    }

    /// Wide sheets: the period is the year column plus the month of the column pair.
    fn wide_period(&mut self) {
        let dataset = self.dataset;
        let (Some((column_year, m)), Some(wide)) = (self.month, dataset.wide.as_ref()) else {
            return;
        };
        let Some(p) = dataset.field_index(&wide.period_field) else {
            return;
        };
        if let Some(y) = column_year {
            self.values[p] = Value::YearMonth(y, m);
        }
        // The period's cell is the year column's.
        self.col_of[p] = self.year_col;
        let cell = self
            .year_col
            .map(|c| self.row.cell(c))
            .unwrap_or(&Cell::Empty);
        if self.values[p].is_null() && !values::is_missing(cell, &self.standard.lexicon) {
            match values::parse_year(cell) {
                Ok(y) => self.values[p] = Value::YearMonth(y, m),
                Err(e) => {
                    self.failed[p] = true;
                    self.note(p, Code::TypeError, &cell.as_written(), e.message_key(), &[]);
                }
            }
        }
    }

    /// Values derived from another field's code (comuna from barrio), where none was given.
    fn derive(&mut self) {
        let dataset = self.dataset;
        for (i, field) in dataset.fields.iter().enumerate() {
            let (Value::Null, Some(derive)) = (&self.values[i], &field.derive) else {
                continue;
            };
            let Some(from) = dataset.field_index(&derive.from) else {
                continue;
            };
            if let Some(v) = code_column(
                self.standard,
                dataset,
                &dataset.fields[from],
                &self.values[from],
                &derive.column,
            ) {
                self.values[i] = Value::Int(v);
            }
        }
    }

    /// A value within its parent (barrio within comuna): the parent given must be the one the
    /// code list says.
    fn check_parents(&mut self) {
        let dataset = self.dataset;
        for (i, field) in dataset.fields.iter().enumerate() {
            let Some(parent) = &field.parent else {
                continue;
            };
            let Some(p) = dataset.field_index(&parent.field) else {
                continue;
            };
            let (Some(expected), Value::Int(given)) = (
                code_column(
                    self.standard,
                    dataset,
                    field,
                    &self.values[i],
                    &parent.column,
                ),
                &self.values[p],
            ) else {
                continue;
            };
            if expected != *given {
                self.failed[i] = true;
                let cell = self.col_of[i]
                    .map(|c| self.row.cell(c).as_written())
                    .unwrap_or_default();
                let (e, g) = (expected.to_string(), given.to_string());
                let extra = [("esperado", e.as_str()), ("dado", g.as_str())];
                self.note(
                    i,
                    Code::ConstraintError,
                    &cell,
                    "constraint-error.parent",
                    &extra,
                );
            }
        }
    }

    /// Defaults (the file's date, the configured programme), then required values.
    fn defaults_and_required(&mut self) {
        let (ctx, dataset) = (self.ctx, self.dataset);
        for (i, field) in dataset.fields.iter().enumerate() {
            if !self.values[i].is_null() || self.failed[i] {
                continue;
            }
            match field.default.as_deref() {
                Some("submission_date") => {
                    if let Some(d) = ctx.submitted {
                        self.values[i] = Value::Date(d);
                    }
                }
                Some(code) => {
                    let chosen = if field.code_list.as_deref() == Some("programas") {
                        ctx.default_programa.as_deref().unwrap_or(code)
                    } else {
                        code
                    };
                    self.values[i] = Value::Text(chosen.to_string());
                }
                None => {}
            }
            if self.values[i].is_null() && field.constraints.required && self.missing_counts(i) {
                let key = if field.derive.is_some() {
                    "required-value.derivable"
                } else {
                    "required-value"
                };
                let written = self.col_of[i]
                    .map(|c| self.row.cell(c).as_written())
                    .unwrap_or_default();
                self.note(i, Code::RequiredValue, &written, key, &[]);
            }
        }
    }

    /// Whether required field `i`, empty, is an error of its own: not for city-wide rows (the
    /// sheet has neither the column nor the one it derives from), nor when the field it
    /// derives from already failed (one error is enough).
    fn missing_counts(&self, i: usize) -> bool {
        let (dataset, field) = (self.dataset, &self.dataset.fields[i]);
        if field.optional_without_column
            && self.col_of[i].is_none()
            && !self.reporter.has_source_column(dataset, field)
        {
            return false;
        }
        let derived_from_failed = field
            .derive
            .as_ref()
            .and_then(|d| dataset.field_index(&d.from))
            .is_some_and(|f| self.failed[f]);
        !derived_from_failed
    }

    /// The dataset's rules across fields, each an error or a warning as it says.
    fn cross_field_rules(&mut self) {
        for rule in &self.dataset.rules {
            match rule {
                Rule::LessOrEqual {
                    field,
                    limit,
                    severity,
                } => self.less_or_equal(field, limit, *severity),
                Rule::SumEquals {
                    parts,
                    total,
                    severity,
                } => self.sum_equals(parts, total, *severity),
            }
        }
    }

    /// `field` at most `limit` (inscriptos and ganadores), when both are numbers.
    fn less_or_equal(&mut self, field: &str, limit: &str, severity: Severity) {
        let dataset = self.dataset;
        let (Some(f), Some(l)) = (dataset.field_index(field), dataset.field_index(limit)) else {
            return;
        };
        let (Some(a), Some(b)) = (self.values[f].as_f64(), self.values[l].as_f64()) else {
            return;
        };
        if a <= b {
            return;
        }
        let (av, bv) = (self.values[f].to_export(), self.values[l].to_export());
        let limit_label = self.col_of[l]
            .and_then(|c| self.reporter.header.labels.get(c))
            .cloned()
            .unwrap_or_else(|| limit.to_string());
        let extra = [
            ("limite", bv.as_str()),
            ("limite_campo", limit_label.as_str()),
        ];
        let key = "constraint-error.less_or_equal";
        self.note(f, rule_code(severity), &av, key, &extra);
    }

    /// The `parts` add up to `total` (participants by age band), when all are numbers.
    fn sum_equals(&mut self, parts: &[String], total: &str, severity: Severity) {
        let dataset = self.dataset;
        let Some(t) = dataset.field_index(total) else {
            return;
        };
        let Some(total_value) = self.values[t].as_f64() else {
            return;
        };
        let part_values: Option<Vec<f64>> = parts
            .iter()
            .map(|p| dataset.field_index(p).and_then(|i| self.values[i].as_f64()))
            .collect();
        let Some(part_values) = part_values else {
            return;
        };
        let sum: f64 = part_values.iter().sum();
        if (sum - total_value).abs() <= 1e-9 {
            return;
        }
        let s = crate::standard::sheet::format_number(sum);
        let total_text = self.values[t].to_export();
        let extra = [("suma", s.as_str())];
        self.note(
            t,
            rule_code(severity),
            &total_text,
            "warning.sum_equals",
            &extra,
        );
    }

    /// Dates worth a second look: outside the reporting period, or after the file's date.
    fn date_warnings(&mut self) {
        let (ctx, dataset) = (self.ctx, self.dataset);
        for (i, field) in dataset.fields.iter().enumerate() {
            let (true, &Value::Date(d)) = (field.in_reporting_period, &self.values[i]) else {
                continue;
            };
            let shown = d.format("%d/%m/%Y").to_string();
            if let Some((from, to)) = ctx.reporting_period {
                if d < from || d > to {
                    let (f, t) = (
                        from.format("%d/%m/%Y").to_string(),
                        to.format("%d/%m/%Y").to_string(),
                    );
                    let extra = [("desde", f.as_str()), ("hasta", t.as_str())];
                    self.note(i, Code::Warning, &shown, "warning.out_of_period", &extra);
                }
            }
            if ctx.submitted.is_some_and(|s| d > s + Duration::days(1)) {
                self.note(i, Code::Warning, &shown, "warning.future", &[]);
            }
        }
    }
}

/// The code of a rule's issue: a constraint error, or a warning.
fn rule_code(severity: Severity) -> Code {
    if severity == Severity::Error {
        Code::ConstraintError
    } else {
        Code::Warning
    }
}
