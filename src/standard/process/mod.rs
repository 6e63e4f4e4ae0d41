//! From sheets to records: header detection, row filtering (blank, totals, notes, duplicates),
//! unpivoting wide sheets, value parsing, derivations, defaults and cross-field rules. Pure.
//!
//! The rooms: this file walks a file's sheets and their rows (`process_file`); `rows` tells
//! data rows from totals, notes, duplicates and blanks and finds a wide row's months;
//! `fields` parses one cell into a field's value; `record` builds one record from a row with
//! its issues; `columns` reports how each column was read.

mod columns;
mod fields;
mod record;
mod rows;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::header::{find_header, Header, Role};
use super::issue::{Code, Issue};
use super::sheet::{column_letters, RawRow, RawSheet};
use super::{FileContext, FileResult, Record, SheetOutcome, SheetReport, Standard};

use columns::{column_readings, unused_columns};
use fields::CodeMemo;
use record::{build_record, Place, Reporter};
use rows::{
    blank_rows_between, fraction_columns, is_note_row, is_totals_row, row_hash, same_row,
    wide_months, Period,
};

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
                .map(|h| {
                    sheet.merged_rows(sheet.rows.get(h.data_start).map_or(u32::MAX, |r| r.number))
                })
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
            let message = standard.messages.render(
                "warning.tie",
                &[("columna", &chosen), ("otra", &other), ("campo", &campo)],
            );
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
                let mut message = standard.messages.render(
                    "missing-label",
                    &[("dataset", &dataset.name), ("campo", &campo)],
                );
                if let Some((list, example)) = &unused {
                    let organismo = if ctx.organismo.is_empty() {
                        "ORGANISMO"
                    } else {
                        ctx.organismo.as_str()
                    };
                    let detail = standard.messages.render(
                        "missing-label.unused",
                        &[
                            ("columnas", list),
                            ("campo", &campo),
                            ("organismo", organismo),
                            ("encabezado", example),
                            ("codigo", &field.name),
                        ],
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
            report.resultado = SheetOutcome::Rechazada {
                dataset: dataset.name.clone(),
            };
            result.sheets.push(report);
            continue;
        }
        report.resultado = SheetOutcome::Leida {
            dataset: dataset.name.clone(),
        };
        report.filas_omitidas += blank_rows_between(sheet, header.data_start);
        let reporter = Reporter {
            standard,
            header,
            fraction_columns: fraction_columns(dataset, header, sheet),
            codes: CodeMemo::default(),
        };
        let sheet_name: Arc<str> = Arc::from(sheet.name.as_str());
        let key_fields: Vec<usize> = dataset
            .unique_in_file
            .iter()
            .filter_map(|f| dataset.field_index(f))
            .collect();
        let records = result.records.entry(dataset.name.clone()).or_default();

        for read in sheet.rows.iter().skip(header.data_start) {
            // The row as filled by its merges, when any reach it.
            let row = filled
                .binary_search_by_key(&read.number, |r| r.number)
                .ok()
                .and_then(|i| filled.get(i))
                .unwrap_or(read);
            if row.is_blank()
                || is_totals_row(row, standard)
                || is_note_row(row, standard, dataset, header)
            {
                report.filas_omitidas += 1;
                continue;
            }
            let place = Place {
                sheet: &sheet.name,
                row: row.number,
            };
            let dup_key = (header.dataset, row_hash(row));
            let earlier = seen_rows
                .get(&dup_key)
                .and_then(|rows| rows.iter().find(|(_, r)| same_row(r, row)));
            if let Some((first_sheet, first)) = earlier {
                let previous = if *first_sheet == sheet.name {
                    first.number.to_string()
                } else {
                    format!("{} de la hoja «{first_sheet}»", first.number)
                };
                let message = standard
                    .messages
                    .render("duplicate-row", &[("fila_previa", &previous)]);
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
            seen_rows
                .entry(dup_key)
                .or_default()
                .push((&sheet.name, row));

            let months: Vec<Option<Period>> =
                if header.roles.iter().any(|r| matches!(r, Role::Wide { .. })) {
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
                    let key: Vec<String> =
                        key_fields.iter().map(|&i| values[i].to_export()).collect();
                    if let Some(first) = seen_keys.get(&(header.dataset, key.clone())) {
                        let field = &dataset.fields[key_fields[0]];
                        let col = header
                            .roles
                            .iter()
                            .position(|r| *r == Role::Field(key_fields[0]));
                        let first = first.to_string();
                        row_errors.push(reporter.cell_issue(
                            &place,
                            field,
                            col,
                            Code::ConstraintError,
                            &key.join(" "),
                            "constraint-error.unique",
                            &[("fila_previa", &first)],
                        ));
                    }
                }
                if row_errors.is_empty() {
                    for values in &built {
                        let key: Vec<String> =
                            key_fields.iter().map(|&i| values[i].to_export()).collect();
                        seen_keys.insert((header.dataset, key), row.number);
                    }
                }
            }
            if row_errors.is_empty() {
                report.filas_aceptadas += built.len();
                records.extend(built.into_iter().map(|values| Record {
                    sheet: Arc::clone(&sheet_name),
                    row: row.number,
                    values,
                }));
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
