//! From sheets to records: header detection, row filtering (blank, totals, notes, duplicates),
//! unpivoting wide sheets, value parsing, derivations, defaults and cross-field rules. Pure.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use chrono::Duration;

use super::fold::clean_text;
use super::header::{find_header, Header, Role};
use super::issue::{Code, Issue};
use super::schema::{Dataset, Field, FieldType, Rule, Severity};
use super::sheet::{column_letters, Cell, RawRow, RawSheet};
use super::values::{self, ValueError};
use super::{FileContext, FileResult, Record, SheetOutcome, SheetReport, Standard, Value};

/// Replaces e-mail addresses in free text: a person's address must never be stored.
pub fn redact(text: String) -> String {
    if !text.contains('@') {
        return text;
    }
    text.split(' ')
        .map(|word| {
            // `ana@correo.example`, `ana@correo`: anything around an `@`.
            let at = word.find('@');
            if at.is_some_and(|i| i > 0 && i + 1 < word.len()) {
                "[correo omitido]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a problem sits: one row of one sheet.
struct Place<'a> {
    sheet: &'a str,
    row: u32,
}

/// What rows of one sheet share: the header, and the messages to build issues with.
struct Reporter<'a> {
    standard: &'a Standard,
    header: &'a Header,
    /// Columns of percentages written as fractions (see [`fraction_columns`]).
    fraction_columns: Vec<usize>,
    /// Codes looked up so far in this sheet.
    codes: CodeMemo,
}

impl Reporter<'_> {
    /// True when the sheet has a column for the field `field` derives from (`barrio` for
    /// `comuna`).
    fn has_source_column(&self, dataset: &Dataset, field: &Field) -> bool {
        let source = field.derive.as_ref().and_then(|d| dataset.field_index(&d.from));
        source.is_some_and(|f| self.header.roles.contains(&Role::Field(f)))
    }

    // Place, field, column and problem are each needed to tell a clerk which cell and why;
    // bundling them would only hide that at the call sites.
    #[allow(clippy::too_many_arguments)]
    fn cell_issue(&self, place: &Place, field: &Field, col: Option<usize>, code: Code, value: &str, key: &str, extra: &[(&str, &str)]) -> Issue {
        let header_label = col.and_then(|c| self.header.labels.get(c)).filter(|l| !l.is_empty()).cloned();
        let campo = header_label.clone().unwrap_or_else(|| field.title.clone().unwrap_or_else(|| field.name.clone()));
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

/// A parse failure: code, message key and extra placeholders.
type FieldError = (Code, &'static str, Vec<(&'static str, String)>);

fn check_range(field: &Field, n: f64) -> Result<(), FieldError> {
    if let Some(min) = field.constraints.minimum {
        if n < min {
            return Err((Code::ConstraintError, "constraint-error.minimum", vec![("limite", super::sheet::format_number(min))]));
        }
    }
    if let Some(max) = field.constraints.maximum {
        if n > max {
            return Err((Code::ConstraintError, "constraint-error.maximum", vec![("limite", super::sheet::format_number(max))]));
        }
    }
    Ok(())
}

fn type_error(e: ValueError) -> FieldError {
    (Code::TypeError, e.message_key(), Vec::new())
}

/// Codes already looked up in one sheet, by field: the same barrio is written the same way on
/// thousands of rows, and folding it once is enough.
type CodeMemo = RefCell<FxHashMap<usize, FxHashMap<String, Option<String>>>>;

fn parse_field(standard: &Standard, dataset: &Dataset, field: &Field, cell: &Cell, memo: Option<(&CodeMemo, usize)>) -> Result<Value, FieldError> {
    let lex = &standard.lexicon;
    let value = match field.field_type {
        FieldType::String => {
            let written: Cow<str> = match cell {
                Cell::Text(t) => Cow::Borrowed(t),
                other => Cow::Owned(other.as_written()),
            };
            match field.code_list.as_ref().and_then(|l| standard.code_lists.get(l)) {
                Some(list) => match memoised_lookup(list, dataset, &written, memo) {
                    Some(code) => Value::Text(code),
                    None => {
                        return Err(match list.suggest(&dataset.name, &written) {
                            Some(s) => (Code::ConstraintError, "constraint-error.code_suggest", vec![("sugerencia", s.to_string())]),
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
fn month_only(cell: &Cell, lex: &super::lexicon::Lexicon) -> Option<u32> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && (1.0..=12.0).contains(n) => Some(*n as u32),
        Cell::Text(t) => {
            let folded = super::fold::fold(t);
            lex.month(&folded).or_else(|| folded.parse().ok().filter(|m| (1..=12).contains(m)))
        }
        _ => None,
    }
}

/// [`CodeList::lookup`](super::codes::CodeList::lookup) through the sheet's memo.
fn memoised_lookup(list: &super::codes::CodeList, dataset: &Dataset, written: &str, memo: Option<(&CodeMemo, usize)>) -> Option<String> {
    let Some((memo, field)) = memo else {
        return list.lookup(&dataset.name, written).map(|e| e.code.clone());
    };
    if let Some(known) = memo.borrow().get(&field).and_then(|m| m.get(written)) {
        return known.clone();
    }
    let found = list.lookup(&dataset.name, written).map(|e| e.code.clone());
    memo.borrow_mut().entry(field).or_default().insert(written.to_string(), found.clone());
    found
}

/// The code-list column of the entry a field's code names (`comuna` of a barrio).
fn code_column(standard: &Standard, dataset: &Dataset, field: &Field, value: &Value, column: &str) -> Option<i64> {
    let Value::Text(code) = value else { return None };
    let list = standard.code_lists.get(field.code_list.as_ref()?)?;
    list.by_code(&dataset.name, code)?.columns.get(column)?.trim().parse().ok()
}

/// Builds one record from a row (one month of it for wide sheets): values, or the errors that
/// reject the row. Warnings ride along with accepted values.
fn build_record(
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
            Role::Wide { field, month: m, year } if Some((*year, *m)) == month && col_of[*field].is_none() => col_of[*field] = Some(c),
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
        let parsed = parse_field(standard, dataset, field, cell, Some((&reporter.codes, i))).or_else(|e| {
            // A `Mes` column holding only the month, beside a year column: `marzo` + `2019`.
            match (field.field_type, month_only(cell, lex), year_col.map(|y| values::parse_year(row.cell(y)))) {
                (FieldType::Yearmonth, Some(m), Some(Ok(y))) if month.is_none() => Ok(Value::YearMonth(y, m)),
                _ => Err(e),
            }
        });
        match parsed {
            Ok(Value::Num(n)) if fraction_columns.contains(&c) && matches!(cell, Cell::Number(_)) => values[i] = Value::Num(n * 100.0),
            Ok(v) => values[i] = v,
            Err((code, key, extra)) => {
                failed[i] = true;
                let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
                errors.push(reporter.cell_issue(place, field, Some(c), code, &cell.as_written(), key, &extra));
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
                        errors.push(reporter.cell_issue(place, field, year_col, Code::TypeError, &cell.as_written(), e.message_key(), &[]));
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
                if let Some(v) = code_column(standard, dataset, &dataset.fields[from], &values[from], &derive.column) {
                    values[i] = Value::Int(v);
                }
            }
        }
    }
    for (i, field) in dataset.fields.iter().enumerate() {
        let Some(parent) = &field.parent else { continue };
        let Some(p) = dataset.field_index(&parent.field) else { continue };
        let (Some(expected), Value::Int(given)) = (code_column(standard, dataset, field, &values[i], &parent.column), &values[p]) else {
            continue;
        };
        if expected != *given {
            failed[i] = true;
            let cell = col_of[i].map(|c| row.cell(c).as_written()).unwrap_or_default();
            let (e, g) = (expected.to_string(), given.to_string());
            errors.push(reporter.cell_issue(place, field, col_of[i], Code::ConstraintError, &cell, "constraint-error.parent", &[("esperado", &e), ("dado", &g)]));
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
                let chosen = if field.code_list.as_deref() == Some("programas") { ctx.default_programa.as_deref().unwrap_or(code) } else { code };
                values[i] = Value::Text(chosen.to_string());
            }
            None => {}
        }
        if values[i].is_null() && field.constraints.required {
            // City-wide rows: the sheet has neither the column nor the one it derives from.
            if field.optional_without_column && col_of[i].is_none() && !reporter.has_source_column(dataset, field) {
                continue;
            }
            let derived_from_failed = field.derive.as_ref().and_then(|d| dataset.field_index(&d.from)).is_some_and(|f| failed[f]);
            if derived_from_failed {
                continue;
            }
            let key = if field.derive.is_some() { "required-value.derivable" } else { "required-value" };
            let written = col_of[i].map(|c| row.cell(c).as_written()).unwrap_or_default();
            errors.push(reporter.cell_issue(place, field, col_of[i], Code::RequiredValue, &written, key, &[]));
        }
    }

    // Cross-field rules.
    for rule in &dataset.rules {
        match rule {
            Rule::LessOrEqual { field, limit, severity } => {
                let (Some(f), Some(l)) = (dataset.field_index(field), dataset.field_index(limit)) else { continue };
                let (Some(a), Some(b)) = (values[f].as_f64(), values[l].as_f64()) else { continue };
                if a > b {
                    let (av, bv) = (values[f].to_export(), values[l].to_export());
                    let limit_label = col_of[l].and_then(|c| header.labels.get(c)).cloned().unwrap_or_else(|| limit.clone());
                    let code = if *severity == Severity::Error { Code::ConstraintError } else { Code::Warning };
                    let issue = reporter.cell_issue(place, &dataset.fields[f], col_of[f], code, &av, "constraint-error.less_or_equal", &[("limite", &bv), ("limite_campo", &limit_label)]);
                    if *severity == Severity::Error { errors.push(issue) } else { warnings.push(issue) }
                }
            }
            Rule::SumEquals { parts, total, severity } => {
                let Some(t) = dataset.field_index(total) else { continue };
                let Some(total_value) = values[t].as_f64() else { continue };
                let part_values: Option<Vec<f64>> = parts.iter().map(|p| dataset.field_index(p).and_then(|i| values[i].as_f64())).collect();
                let Some(part_values) = part_values else { continue };
                let sum: f64 = part_values.iter().sum();
                if (sum - total_value).abs() > 1e-9 {
                    let code = if *severity == Severity::Error { Code::ConstraintError } else { Code::Warning };
                    let s = super::sheet::format_number(sum);
                    let issue = reporter.cell_issue(place, &dataset.fields[t], col_of[t], code, &values[t].to_export(), "warning.sum_equals", &[("suma", &s)]);
                    if *severity == Severity::Error { errors.push(issue) } else { warnings.push(issue) }
                }
            }
        }
    }

    // Dates worth a second look.
    for (i, field) in dataset.fields.iter().enumerate() {
        let (true, Value::Date(d)) = (field.in_reporting_period, &values[i]) else { continue };
        let shown = || d.format("%d/%m/%Y").to_string();
        if let Some((from, to)) = ctx.reporting_period {
            if *d < from || *d > to {
                let shown = shown();
                let (f, t) = (from.format("%d/%m/%Y").to_string(), to.format("%d/%m/%Y").to_string());
                warnings.push(reporter.cell_issue(place, field, col_of[i], Code::Warning, &shown, "warning.out_of_period", &[("desde", &f), ("hasta", &t)]));
            }
        }
        if let Some(submitted) = ctx.submitted {
            if *d > submitted + Duration::days(1) {
                let shown = shown();
                warnings.push(reporter.cell_issue(place, field, col_of[i], Code::Warning, &shown, "warning.future", &[]));
            }
        }
    }

    if errors.is_empty() {
        Ok((values, warnings))
    } else {
        Err(errors)
    }
}

fn is_totals_row(row: &RawRow, standard: &Standard) -> bool {
    if row.sum_formulas {
        return true;
    }
    // The first text cell starts with `Total`…, or any text cell is just `Total` (a subtotal
    // under a row counter or a comuna number: `3 | 4 | Total | … | 30`).
    let lex = &standard.lexicon;
    let mut texts = row.cells.iter().filter_map(Cell::text).filter(|t| !t.is_empty());
    texts.next().is_some_and(|t| lex.is_totals_label(t)) || texts.any(|t| lex.is_totals_word(t))
}

/// A lone text under or among the data that is not a value of its column: `Fuente: …`,
/// `Elaborado por …`, `Datos provisorios`. A lone value that its column accepts (a known
/// programme) is a data row with the rest missing, and is reported as such.
fn is_note_row(row: &RawRow, standard: &Standard, dataset: &Dataset, header: &Header) -> bool {
    let mut filled = row.cells.iter().enumerate().filter(|(_, c)| !c.is_blank());
    let (Some((col, Cell::Text(t))), None) = (filled.next(), filled.next()) else {
        return false;
    };
    if standard.lexicon.is_note_label(t) {
        return true;
    }
    match header.roles.get(col) {
        Some(Role::Field(i)) => {
            let field = &dataset.fields[*i];
            // Free text would accept any note; a code, number or date column tells.
            let free_text = field.field_type == FieldType::String && field.code_list.is_none();
            free_text || parse_field(standard, dataset, field, &Cell::Text(t.clone()), None).is_err()
        }
        _ => true,
    }
}

/// The period of one wide column pair: the year when the column names it, and the month.
type Period = (Option<i32>, u32);

/// Columns of percentage fields whose numeric cells are all fractions with at least one
/// between 0 and 1 exclusive: cells formatted as `74%`, which hold 0.74.
fn fraction_columns(dataset: &Dataset, header: &Header, sheet: &RawSheet) -> Vec<usize> {
    header
        .roles
        .iter()
        .enumerate()
        .filter(|(_, role)| matches!(role, Role::Field(i) if dataset.fields[*i].percent))
        .map(|(c, _)| c)
        .filter(|&c| {
            let numbers: Vec<f64> = sheet
                .rows
                .iter()
                .skip(header.data_start)
                .filter_map(|r| match r.cell(c) {
                    Cell::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            numbers.iter().all(|n| (0.0..=1.0).contains(n)) && numbers.iter().any(|n| *n > 0.0 && *n < 1.0)
        })
        .collect()
}

/// Periods of a wide row that hold any value, in order.
fn wide_months(header: &Header, row: &RawRow, standard: &Standard) -> Vec<Period> {
    let mut months: Vec<Period> = header
        .roles
        .iter()
        .enumerate()
        .filter_map(|(c, role)| match role {
            Role::Wide { month, year, .. } if !values::is_missing(row.cell(c), &standard.lexicon) => Some((*year, *month)),
            _ => None,
        })
        .collect();
    months.sort_unstable();
    months.dedup();
    months
}

/// The cells that make a row what it is: up to the last non-blank one, text trimmed.
fn significant(row: &RawRow) -> &[Cell] {
    let end = row.cells.iter().rposition(|c| !c.is_blank()).map_or(0, |i| i + 1);
    &row.cells[..end]
}

fn same_cell(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => x.trim() == y.trim(),
        _ if a.is_blank() && b.is_blank() => true,
        _ => a == b,
    }
}

/// True when two rows hold the same cells as a person sees them.
fn same_row(a: &RawRow, b: &RawRow) -> bool {
    let (a, b) = (significant(a), significant(b));
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_cell(x, y))
}

/// A hash consistent with [`same_row`].
fn row_hash(row: &RawRow) -> u64 {
    use std::hash::{Hash, Hasher};
    // Not DoS-resistant, and need not be: equal hashes are confirmed cell by cell.
    let mut h = rustc_hash::FxHasher::default();
    for cell in significant(row) {
        match cell {
            c if c.is_blank() => 0u8.hash(&mut h),
            Cell::Text(t) => (1u8, t.trim()).hash(&mut h),
            Cell::Number(n) => (2u8, (n + 0.0).to_bits()).hash(&mut h),
            Cell::Date(d) => (3u8, d).hash(&mut h),
            Cell::Bool(b) => (4u8, b).hash(&mut h),
            Cell::Error(e) => (5u8, e).hash(&mut h),
            Cell::Empty => 0u8.hash(&mut h),
        }
    }
    h.finish()
}

/// Blank rows among the data (rows a reader left out because nothing was in them): the rows
/// between the header and the last row that the sheet's numbering skips.
fn blank_rows_between(sheet: &RawSheet, data_start: usize) -> usize {
    let mut previous = data_start.checked_sub(1).and_then(|i| sheet.rows.get(i)).map(|r| r.number);
    let mut blank = 0usize;
    for row in sheet.rows.iter().skip(data_start) {
        if let Some(p) = previous {
            blank += row.number.saturating_sub(p).saturating_sub(1) as usize;
        }
        previous = Some(row.number);
    }
    blank
}

/// How each column with a header or a reading was read, for the file's report.
fn column_readings(dataset: &Dataset, header: &Header) -> Vec<super::ColumnReading> {
    header
        .roles
        .iter()
        .enumerate()
        .filter_map(|(c, role)| {
            let label = header.labels.get(c).cloned().unwrap_or_default();
            let reason = header.reasons.get(c).cloned().unwrap_or(super::ReadingReason::SinUso { parecido: None });
            let campo = match role {
                Role::Field(i) | Role::Wide { field: i, .. } => Some(dataset.fields[*i].name.clone()),
                _ => None,
            };
            let said = campo.is_some() || !matches!(reason, super::ReadingReason::SinUso { parecido: None });
            (!label.trim().is_empty() || said).then(|| super::ColumnReading { columna: column_letters(c), encabezado: label, campo, motivo: reason })
        })
        .collect()
}

/// The unused columns of a sheet missing a required field, as a clerk reads them (letter,
/// header, and what their values resemble), with a header to show in the mapping example.
fn unused_columns(standard: &Standard, dataset: &Dataset, header: &Header) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut example: Option<String> = None;
    for (c, role) in header.roles.iter().enumerate() {
        let label = header.labels.get(c).map(|l| l.trim().to_string()).unwrap_or_default();
        let resembles = header.resembles.get(c).copied().flatten();
        if !matches!(role, Role::Unmapped | Role::Empty) || (label.is_empty() && resembles.is_none()) {
            continue;
        }
        let columna = column_letters(c);
        let shown = if label.is_empty() { format!("(columna {columna})") } else { label.clone() };
        let part = match resembles {
            Some((field, hits, seen)) => {
                let campo = dataset.fields[field].title.clone().unwrap_or_else(|| dataset.fields[field].name.clone());
                if example.is_none() {
                    example = Some(shown.clone());
                }
                let (h, s) = (hits.to_string(), seen.to_string());
                standard.messages.render("missing-label.resembles", &[("columna", &columna), ("encabezado", &shown), ("campo", &campo), ("coinciden", &h), ("de", &s)])
            }
            None => standard.messages.render("missing-label.unused_column", &[("columna", &columna), ("encabezado", &shown)]),
        };
        parts.push(part);
    }
    let first = example.or_else(|| header.roles.iter().zip(&header.labels).find(|(r, l)| **r == Role::Unmapped && !l.trim().is_empty()).map(|(_, l)| l.trim().to_string()))?;
    Some((parts.join("; "), first))
}

/// Standardises every sheet of one file. Never fails: what cannot be used becomes an issue.
pub fn process_file(standard: &Standard, ctx: &FileContext, sheets: &[RawSheet]) -> FileResult {
    let mut result = FileResult::default();
    let candidates: Vec<_> = standard
        .datasets
        .iter()
        .enumerate()
        .filter(|(_, d)| ctx.pinned_dataset.as_ref().is_none_or(|p| *p == d.name))
        .map(|(i, d)| (i, d, standard.matcher(i)))
        .collect();
    // Exact copies are looked for across the whole file, per dataset.
    // Keyed by a hash of the row; equal hashes are confirmed cell by cell, so a collision can
    // never reject a row that is not a copy.
    let mut seen_rows: FxHashMap<(usize, u64), Vec<(&str, &RawRow)>> = FxHashMap::default();
    let mut seen_keys: FxHashMap<(usize, Vec<String>), u32> = FxHashMap::default();

    // Headers first, with each sheet's merged data filled in: the rows compared for copies
    // below borrow from these for the whole file.
    let prepared: Vec<(Option<Header>, Vec<RawRow>)> = sheets
        .iter()
        .map(|sheet| {
            let header = find_header(sheet, &candidates, standard, &ctx.column_map);
            // Merged cells in the data give their value to every cell they span.
            let filled = header
                .as_ref()
                .filter(|h| h.missing_required.is_empty())
                .map(|h| sheet.merged_rows(sheet.rows.get(h.data_start).map_or(u32::MAX, |r| r.number)))
                .unwrap_or_default();
            (header, filled)
        })
        .collect();

    for (sheet, (header, filled)) in sheets.iter().zip(&prepared) {
        let mut report = SheetReport {
            nombre: sheet.name.clone(),
            resultado: SheetOutcome::SinEncabezado,
            filas_encabezado: Vec::new(),
            filas_aceptadas: 0,
            filas_rechazadas: 0,
            filas_omitidas: 0,
            columnas_ignoradas: Vec::new(),
            columnas_personales_descartadas: Vec::new(),
            columnas_truncadas: sheet.truncated_columns,
            columnas: Vec::new(),
        };
        let Some(header) = header else {
            result.sheets.push(report);
            continue;
        };
        let dataset = &standard.datasets[header.dataset];
        report.filas_encabezado = header.header_rows.clone();
        for (c, role) in header.roles.iter().enumerate() {
            let label = header.labels.get(c).cloned().unwrap_or_default();
            match role {
                Role::Personal => report.columnas_personales_descartadas.push(label),
                Role::Unmapped if !label.is_empty() => report.columnas_ignoradas.push(label),
                _ => {}
            }
        }
        report.columnas = column_readings(dataset, header);
        for tie in &header.ties {
            let field = &dataset.fields[tie.field];
            let campo = field.title.clone().unwrap_or_else(|| field.name.clone());
            let (chosen, other) = (column_letters(tie.chosen), column_letters(tie.other));
            let message = standard.messages.render("warning.tie", &[("columna", &chosen), ("otra", &other), ("campo", &campo)]);
            result.issues.push(Issue {
                sheet: sheet.name.clone(),
                row: None,
                column: Some(other),
                header: header.labels.get(tie.other).cloned(),
                field: Some(field.name.clone()),
                code: Code::Warning,
                value: String::new(),
                message,
            });
        }
        if !header.missing_required.is_empty() {
            let unused = unused_columns(standard, dataset, header);
            for &i in &header.missing_required {
                let field = &dataset.fields[i];
                let campo = field.title.clone().unwrap_or_else(|| field.name.clone());
                let mut message = standard.messages.render("missing-label", &[("dataset", &dataset.name), ("campo", &campo)]);
                if let Some((list, example)) = &unused {
                    let organismo = if ctx.organismo.is_empty() { "ORGANISMO" } else { ctx.organismo.as_str() };
                    let detail = standard.messages.render(
                        "missing-label.unused",
                        &[("columnas", list), ("campo", &campo), ("organismo", organismo), ("encabezado", example), ("codigo", &field.name)],
                    );
                    message = format!("{message} {detail}");
                }
                result.issues.push(Issue {
                    sheet: sheet.name.clone(),
                    row: None,
                    column: None,
                    header: None,
                    field: Some(field.name.clone()),
                    code: Code::MissingLabel,
                    value: String::new(),
                    message,
                });
            }
            report.resultado = SheetOutcome::Rechazada { dataset: dataset.name.clone() };
            result.sheets.push(report);
            continue;
        }
        report.resultado = SheetOutcome::Leida { dataset: dataset.name.clone() };
        report.filas_omitidas += blank_rows_between(sheet, header.data_start);
        let reporter = Reporter { standard, header, fraction_columns: fraction_columns(dataset, header, sheet), codes: CodeMemo::default() };
        let sheet_name: Arc<str> = Arc::from(sheet.name.as_str());
        let key_fields: Vec<usize> = dataset.unique_in_file.iter().filter_map(|f| dataset.field_index(f)).collect();
        let records = result.records.entry(dataset.name.clone()).or_default();

        for read in sheet.rows.iter().skip(header.data_start) {
            // The row as filled by its merges, when any reach it.
            let row = filled.binary_search_by_key(&read.number, |r| r.number).ok().and_then(|i| filled.get(i)).unwrap_or(read);
            if row.is_blank() || is_totals_row(row, standard) || is_note_row(row, standard, dataset, header) {
                report.filas_omitidas += 1;
                continue;
            }
            let place = Place { sheet: &sheet.name, row: row.number };
            let dup_key = (header.dataset, row_hash(row));
            let earlier = seen_rows.get(&dup_key).and_then(|rows| rows.iter().find(|(_, r)| same_row(r, row)));
            if let Some((first_sheet, first)) = earlier {
                let previous = if *first_sheet == sheet.name { first.number.to_string() } else { format!("{} de la hoja «{first_sheet}»", first.number) };
                let message = standard.messages.render("duplicate-row", &[("fila_previa", &previous)]);
                result.issues.push(Issue {
                    sheet: sheet.name.clone(),
                    row: Some(row.number),
                    column: None,
                    header: None,
                    field: None,
                    code: Code::DuplicateRow,
                    value: String::new(),
                    message,
                });
                report.filas_rechazadas += 1;
                continue;
            }
            seen_rows.entry(dup_key).or_default().push((&sheet.name, row));

            let months: Vec<Option<Period>> = if header.roles.iter().any(|r| matches!(r, Role::Wide { .. })) {
                let m = wide_months(header, row, standard);
                if m.is_empty() {
                    // A row with no monthly figure at all is a placeholder, not data.
                    report.filas_omitidas += 1;
                    continue;
                }
                m.into_iter().map(Some).collect()
            } else {
                vec![None]
            };
            let mut built = Vec::new();
            let mut row_errors = Vec::new();
            let mut row_warnings = Vec::new();
            for month in months {
                match build_record(standard, ctx, dataset, &reporter, &place, row, month) {
                    Ok((values, warnings)) => {
                        built.push(values);
                        row_warnings.extend(warnings);
                    }
                    Err(errors) => row_errors.extend(errors),
                }
            }
            if row_errors.is_empty() && !key_fields.is_empty() {
                for values in &built {
                    let key: Vec<String> = key_fields.iter().map(|&i| values[i].to_export()).collect();
                    if let Some(first) = seen_keys.get(&(header.dataset, key.clone())) {
                        let field = &dataset.fields[key_fields[0]];
                        let col = header.roles.iter().position(|r| *r == Role::Field(key_fields[0]));
                        let first = first.to_string();
                        row_errors.push(reporter.cell_issue(&place, field, col, Code::ConstraintError, &key.join(" "), "constraint-error.unique", &[("fila_previa", &first)]));
                    }
                }
                if row_errors.is_empty() {
                    for values in &built {
                        let key: Vec<String> = key_fields.iter().map(|&i| values[i].to_export()).collect();
                        seen_keys.insert((header.dataset, key), row.number);
                    }
                }
            }
            if row_errors.is_empty() {
                report.filas_aceptadas += built.len();
                records.extend(built.into_iter().map(|values| Record { sheet: Arc::clone(&sheet_name), row: row.number, values }));
                result.issues.extend(row_warnings);
            } else {
                report.filas_rechazadas += 1;
                // The same cell may fail in several months of a wide row: report it once.
                let mut seen = std::collections::HashSet::new();
                row_errors.retain(|e| seen.insert((e.column.clone(), e.message.clone())));
                result.issues.extend(row_errors);
            }
        }
        result.sheets.push(report);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::{Code, FileContext, Standard};
    use chrono::NaiveDate;

    fn standard() -> Standard {
        crate::config::embedded_standard().expect("shipped standard loads")
    }

    /// A sheet from text rows; `=N` cells are numbers, `=SUM:N` a SUM formula's cached value.
    fn sheet(name: &str, rows: &[&[&str]]) -> RawSheet {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, cells)| {
                let mut sums = 0;
                let cells: Vec<Cell> = cells
                    .iter()
                    .map(|c| {
                        if let Some(n) = c.strip_prefix("=SUM:") {
                            sums += 1;
                            Cell::Number(n.parse().unwrap_or(0.0))
                        } else if let Some(n) = c.strip_prefix('=') {
                            Cell::Number(n.parse().unwrap_or(0.0))
                        } else if c.is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(c.to_string())
                        }
                    })
                    .collect();
                RawRow { number: i as u32 + 1, sum_formulas: sums > 0, cells }
            })
            .collect();
        RawSheet { name: name.to_string(), rows, truncated_columns: false, merges: Vec::new() }
    }

    fn ctx() -> FileContext {
        FileContext {
            organismo: "org".into(),
            path: "org/f.xlsx".into(),
            submitted: NaiveDate::from_ymd_opt(2019, 4, 2),
            ..FileContext::default()
        }
    }

    fn column(std: &Standard, result: &FileResult, dataset: &str, field: &str) -> Vec<String> {
        let ds = std.dataset(dataset).expect("dataset");
        let i = ds.field_index(field).expect("field");
        result.records.get(dataset).map(|r| r.iter().map(|rec| rec.values[i].to_export()).collect()).unwrap_or_default()
    }

    #[test]
    fn title_rows_totals_notes_and_blank_rows() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Ministerio - Reuniones 2019"],
            &["Fuente: elaboración propia"],
            &[],
            &["Programa", "Fecha", "Comuna", "Barrio", "Participantes"],
            &["Reunión de vecinos", "15/03/2019", "Comuna IV", "La Boca", "=10"],
            &[],
            &["Reunion vecinos", "2019-03-16", "C.4", "barracas", "s/d"],
            &["TOTAL", "", "", "", "=10"],
            &["", "", "", "", "=SUM:10"],
            &["Fuente: datos provisorios"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "instancias", "barrio"), ["BOCA", "BARRACAS"]);
        assert_eq!(column(&std, &r, "instancias", "participantes"), ["10", ""]);
        assert_eq!(column(&std, &r, "instancias", "fecha"), ["2019-03-15", "2019-03-16"]);
        assert_eq!(r.records["instancias"].iter().map(|rec| rec.row).collect::<Vec<_>>(), [5, 7]);
        assert_eq!(r.sheets[0].filas_encabezado, [4]);
        assert_eq!(r.sheets[0].filas_omitidas, 4);
    }

    #[test]
    fn two_row_header_under_a_merged_parent() {
        let std = standard();
        let s = sheet("Datos", &[
            &["Programa", "Fecha", "Barrio", "Participantes", "Participantes por edad", "", "", "", ""],
            &["", "", "", "", "0 a 17", "18 a 29", "30 a 44", "45 a 64", "65 y más"],
            &["BA Elige", "01/03/2019", "Palermo", "=10", "=1", "=2", "=3", "=2", "=2"],
            &["BA Elige", "02/03/2019", "Palermo", "=11", "=1", "=2", "=3", "=2", "=2"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert_eq!(r.sheets[0].filas_encabezado, [1, 2]);
        assert_eq!(column(&std, &r, "instancias", "participantes_65_mas"), ["2", "2"]);
        assert_eq!(column(&std, &r, "instancias", "comuna"), ["14", "14"], "comuna derived from barrio");
        // 1+2+3+2+2 = 10: the second row's 11 is a warning, the row is kept.
        let warnings: Vec<_> = r.issues.iter().filter(|i| i.code == Code::Warning).collect();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].row, Some(4));
    }

    #[test]
    fn rejected_rows_name_the_cell_and_why() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Programa", "Fecha", "Comuna", "Barrio", "Participantes"],
            &["BA Elige", "15/03/2019", "1", "Almagro", "=5"],
            &["BA Elige", "31/02/2019", "5", "Almagro", "=5"],
            &["BA Elige", "15/03/2019", "5", "Springfield", "=5"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=-5"],
            &["Programa Inventado", "15/03/2019", "5", "Almagro", "=5"],
            &["", "15/03/2019", "5", "Almagro", "=5"],
            &["BA Elige"],
            &["Elaborado por: Juan Pérez"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=5"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=5"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        let errors: Vec<(u32, Code, Option<&str>)> =
            r.issues.iter().filter(|i| i.is_error()).map(|i| (i.row.unwrap_or(0), i.code, i.column.as_deref())).collect();
        assert_eq!(
            errors,
            [
                (2, Code::ConstraintError, Some("D")),
                (3, Code::TypeError, Some("B")),
                (4, Code::ConstraintError, Some("D")),
                (5, Code::ConstraintError, Some("E")),
                (6, Code::ConstraintError, Some("A")),
                (7, Code::RequiredValue, Some("A")),
                (8, Code::RequiredValue, Some("B")),
                (8, Code::RequiredValue, Some("C")),
                (11, Code::DuplicateRow, None),
            ]
        );
        assert_eq!(r.accepted(), 1);
        assert_eq!(r.rejected_rows(), 8);
        assert!(!format!("{:?}", r.issues).contains("Juan"), "a note is skipped, not stored");
        let parent = &r.issues[0].message;
        assert!(parent.contains("comuna 5") && parent.contains("Celda D2"), "{parent}");
    }

    #[test]
    fn wide_sheets_are_unpivoted_one_row_per_month() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Comuna", "año", "Programa", "Categoría", "Inscriptos enero", "Ganadores enero", "Inscriptos febrero", "Ganadores febrero"],
            &["Comuna 10", "=2019", "Grandes Choferes", "Particulares", "=100", "=10", "=200", "=20"],
            &["4", "=2019", "Grandes Choferes", "Colectivos", "=50", "=60", "", ""],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert_eq!(column(&std, &r, "reconocimientos", "periodo"), ["2019-01", "2019-02"]);
        assert_eq!(column(&std, &r, "reconocimientos", "inscriptos"), ["100", "200"]);
        // 60 winners of 50 enrolled: the whole row is rejected.
        assert_eq!(r.rejected_rows(), 1);
        assert!(r.issues.iter().any(|i| i.row == Some(3) && i.code == Code::ConstraintError));
    }

    #[test]
    fn a_month_column_beside_a_year_column_makes_the_period() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Programa", "Año", "Mes", "Comuna", "Total de inscriptos", "Ganadores efectivos", "Premio"],
            &["Buena convivencia", "=2019", "marzo", "4", "=100", "=10", "Entradas"],
            &["Buena convivencia", "=2019", "=4", "4", "=100", "=10", "Entradas"],
            &["Buena convivencia", "", "mayo", "4", "=100", "=10", "Entradas"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert_eq!(column(&std, &r, "reconocimientos", "periodo"), ["2019-03", "2019-04"]);
        assert_eq!(column(&std, &r, "reconocimientos", "beneficio"), ["Entradas", "Entradas"]);
        // Without a year the month alone is not a period: the row is rejected.
        assert!(r.issues.iter().any(|i| i.row == Some(4) && i.code == Code::TypeError));
    }

    #[test]
    fn totals_rows_are_found_past_a_leading_number() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["N°", "Comuna", "Categoría", "Programa", "Período", "Inscriptos", "Ganadores"],
            &["=1", "4", "Particulares", "Grandes Choferes", "2019-03", "=20", "=2"],
            &["=2", "4", "Colectivos", "Grandes Choferes", "2019-03", "=10", "=3"],
            &["=3", "4", "Total", "Grandes Choferes", "2019-03", "=30", "=5"],
            &["", "Total general", "", "", "", "=30", "=5"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "reconocimientos", "inscriptos"), ["20", "10"]);
    }

    #[test]
    fn a_total_under_participants_by_age_is_the_participants() {
        let std = standard();
        let s = sheet("Datos", &[
            &["Programa", "Fecha", "Barrio", "Participantes por edad", "", "", "", "", ""],
            &["", "", "", "Menores de 18", "18 a 29", "30 a 44", "45 a 64", "65 y más", "Total"],
            &["BA Elige", "01/03/2019", "Palermo", "=1", "=2", "=3", "=2", "=2", "=10"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "instancias", "participantes"), ["10"]);
    }

    #[test]
    fn wide_sheets_in_every_layout() {
        let std = standard();
        let with_totals = sheet("A", &[
            &["Comuna", "Año", "Programa", "Inscriptos enero", "Ganadores enero", "Inscriptos febrero", "Ganadores febrero", "Total inscriptos", "Total ganadores"],
            &["4", "=2019", "Grandes Choferes", "=10", "=1", "=20", "=2", "=30", "=3"],
        ]);
        let month_over_pair = sheet("B", &[
            &["Comuna", "Año", "Programa", "Enero", "", "Febrero", ""],
            &["", "", "", "Inscriptos", "Ganadores", "Inscriptos", "Ganadores"],
            &["5", "=2019", "Grandes Choferes", "=11", "=1", "=21", "=2"],
        ]);
        let mut dated = month_over_pair.clone();
        dated.name = "C".into();
        for (col, m) in [(3, 1), (5, 2)] {
            dated.rows[0].cells[col] = Cell::Date(NaiveDate::from_ymd_opt(2019, m, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default());
        }
        dated.rows[2].cells[0] = Cell::Text("6".into());
        let hinted = sheet("D", &[
            &["Comuna", "Programa", "Inscriptos (ene-19)", "Ganadores (ene-19)"],
            &["7", "Grandes Choferes", "=12", "=1"],
        ]);
        let r = process_file(&std, &ctx(), &[with_totals, month_over_pair, dated, hinted]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "reconocimientos", "periodo"), ["2019-01", "2019-02", "2019-01", "2019-02", "2019-01", "2019-02", "2019-01"]);
        assert_eq!(column(&std, &r, "reconocimientos", "inscriptos"), ["10", "20", "11", "21", "11", "21", "12"]);
        assert_eq!(column(&std, &r, "reconocimientos", "comuna"), ["4", "4", "5", "5", "6", "6", "7"]);
    }

    #[test]
    fn dropdown_list_sheets_are_skipped_not_rejected() {
        let std = standard();
        let lists = sheet("Listas", &[&["Programa", "Modalidad", "Barrio", "Comuna"], &["BA Elige", "Presencial", "Palermo", "14"]]);
        let r = process_file(&std, &ctx(), &[lists]);
        assert_eq!(r.sheets[0].resultado, SheetOutcome::SinEncabezado);
        assert!(r.issues.is_empty());
        assert!(r.no_data_reason(&std).is_some(), "a file with no data sheet is rejected whole");
    }

    #[test]
    fn a_persons_name_in_a_hint_makes_the_column_personal() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Programa", "Período", "Inscriptos", "Ganadores", "Ganadores (nombre y apellido)"],
            &["Grandes Choferes", "2019-03", "=10", "=1", "Carlos Díaz"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(r.sheets[0].columnas_personales_descartadas, ["Ganadores (nombre y apellido)"]);
        assert_eq!(column(&std, &r, "reconocimientos", "ganadores"), ["1"]);
    }

    #[test]
    fn progress_written_as_percent_cells_is_read_as_percent() {
        let std = standard();
        let s = sheet("Seguimiento", &[
            &["ID", "Título", "Comuna", "Estado", "Avance"],
            &["P-1", "Plaza", "3", "En curso", "=0.74"],
            &["P-2", "Calle", "3", "Finalizada", "=1"],
            &["P-3", "Luz", "3", "Ganadora", "=0"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert_eq!(column(&std, &r, "iniciativas", "avance"), ["74", "100", "0"]);
        let plain = sheet("Otra", &[&["ID", "Título", "Comuna", "Estado", "Avance"], &["P-9", "Plaza", "3", "En curso", "=1"], &["P-8", "Plaza", "3", "En curso", "=74"]]);
        let r = process_file(&std, &ctx(), &[plain]);
        assert_eq!(column(&std, &r, "iniciativas", "avance"), ["1", "74"]);
    }

    #[test]
    fn comuna_headers_and_values_with_number_signs() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Programa", "Fecha", "Comuna N°", "Participantes"],
            &["BA Elige", "01/03/2019", "Comuna Nº 4", "=5"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "instancias", "comuna"), ["4"]);
    }

    #[test]
    fn wide_columns_may_carry_their_own_year() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Comuna", "Programa", "Inscriptos dic 2018", "Ganadores dic 2018", "Inscriptos enero 2019", "Ganadores enero 2019"],
            &["C5", "Programa de Incentivos", "=30", "=3", "=40", "=4"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        assert_eq!(column(&std, &r, "reconocimientos", "periodo"), ["2018-12", "2019-01"]);
        assert_eq!(column(&std, &r, "reconocimientos", "ganadores"), ["3", "4"]);
    }

    #[test]
    fn initiatives_default_programme_and_update_date_and_unique_ids() {
        let std = standard();
        let s = sheet("Seguimiento", &[
            &["Código", "Título", "Comuna", "Estado", "% de avance", "Monto asignado"],
            &["P-1", "Plaza", "3", "En curso", "74%", "$ 5.752.772,26"],
            &["P-2", "Calle", "3", "Finalisada", "100", "1"],
            &["P-1", "Plaza bis", "3", "Ganadora", "0", "1"],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        assert_eq!(column(&std, &r, "iniciativas", "programa"), ["ba_elige"]);
        assert_eq!(column(&std, &r, "iniciativas", "estado"), ["en_ejecucion"]);
        assert_eq!(column(&std, &r, "iniciativas", "avance"), ["74"]);
        assert_eq!(column(&std, &r, "iniciativas", "presupuesto"), ["5752772.26"]);
        assert_eq!(column(&std, &r, "iniciativas", "fecha_actualizacion"), ["2019-04-02"]);
        let finalisada = r.issues.iter().find(|i| i.row == Some(3)).map(|i| i.message.clone()).unwrap_or_default();
        assert!(finalisada.contains("¿Quiso decir «Finalizada»?"), "{finalisada}");
        assert!(r.issues.iter().any(|i| i.row == Some(4) && i.message.contains("fila 2")));
    }

    #[test]
    fn sheets_without_a_header_are_skipped_and_missing_columns_reject_the_sheet() {
        let std = standard();
        let notes = sheet("Instrucciones", &[&["Completar una fila por reunión."], &["Contacto: datos@organismo.example"]]);
        let incomplete = sheet("Datos", &[&["Programa", "Barrio", "Participantes"], &["BA Elige", "Palermo", "=4"]]);
        let r = process_file(&std, &ctx(), &[notes, incomplete]);
        assert_eq!(r.sheets[0].resultado, SheetOutcome::SinEncabezado);
        assert_eq!(r.sheets[1].resultado, SheetOutcome::Rechazada { dataset: "instancias".into() });
        assert_eq!(r.issues.len(), 1);
        assert_eq!(r.issues[0].code, Code::MissingLabel);
        assert_eq!(r.issues[0].field.as_deref(), Some("fecha"));
        assert_eq!(r.accepted(), 0);
    }

    #[test]
    fn personal_columns_never_reach_records_or_issues() {
        let std = standard();
        let s = sheet("Hoja1", &[
            &["Programa", "Fecha", "Barrio", "Participantes", "Nombre", "DNI", "E-mail", "Resultado"],
            &["BA Elige", "01/03/2019", "Palermo", "=10", "Ana López", "30111222", "ana@correo.example", "Escribir a ana@correo.example"],
            &["BA Elige", "01/03/2019", "Palermo", "=-1", "Ana López", "30111222", "ana@correo.example", ""],
        ]);
        let r = process_file(&std, &ctx(), &[s]);
        let everything = format!("{:?} {:?}", r.records, r.issues);
        for secret in ["Ana", "30111222", "@correo.example"] {
            assert!(!everything.contains(secret), "{secret} leaked: {everything}");
        }
        assert_eq!(r.sheets[0].columnas_personales_descartadas, ["Nombre", "DNI", "E-mail"]);
    }
}
