//! `participa validate FILE`: what a clerk needs to fix, cell by cell, without storing anything.

use std::path::Path;

use super::out::OutputError;
use super::Format;
use crate::config::{self, Config};
use crate::pipeline;
use crate::standard::{ColumnReading, FileResult, Messages, SheetOutcome};

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text as one line, cut to `max` characters: a header may hold line breaks or be long.
fn cell(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        flat.chars()
            .take(max.saturating_sub(1))
            .chain(['…'])
            .collect()
    } else {
        flat
    }
}

/// The table of how each column was read: letter, header as written, field, why.
fn print_columns(columns: &[ColumnReading], messages: &Messages) -> Result<(), OutputError> {
    if columns.is_empty() {
        return Ok(());
    }
    let rows: Vec<[String; 4]> = columns
        .iter()
        .map(|c| {
            [
                c.columna.clone(),
                cell(&c.encabezado, 40),
                c.campo.clone().unwrap_or_else(|| "—".to_string()),
                c.motivo.describe(messages),
            ]
        })
        .collect();
    let head = ["col", "encabezado", "campo", "cómo se leyó"].map(str::to_string);
    let width = |i: usize| {
        rows.iter()
            .chain([&head])
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    say!("    cómo se leyó cada columna:");
    for r in [&head].into_iter().chain(&rows) {
        say!(
            "      {:<w0$}  {:<w1$}  {:<w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3]
        );
    }
    Ok(())
}

fn print_text(path: &Path, result: &FileResult, messages: &Messages) -> Result<(), OutputError> {
    say!("{}", crate::names::printable_path(path));
    for sheet in &result.sheets {
        let name = if sheet.nombre.is_empty() {
            "(CSV)".to_string()
        } else {
            format!("hoja «{}»", sheet.nombre)
        };
        match &sheet.resultado {
            SheetOutcome::Leida { dataset } => {
                let rows: Vec<String> = sheet.filas_encabezado.iter().map(u32::to_string).collect();
                say!(
                    "  {name}: {dataset}, encabezado en {} {}; filas aceptadas: {}, rechazadas: {}, omitidas (vacías, totales o notas): {}",
                    if rows.len() == 1 { "la fila" } else { "las filas" },
                    rows.join(" y "),
                    sheet.filas_aceptadas,
                    sheet.filas_rechazadas,
                    sheet.filas_omitidas
                );
            }
            SheetOutcome::SinEncabezado => say!("  {name}: sin encabezado de datos reconocible; se omite (no es un error)"),
            SheetOutcome::Rechazada { dataset } => say!("  {name}: parece «{dataset}» pero le faltan columnas obligatorias; se rechaza entera"),
        }
        print_columns(&sheet.columnas, messages)?;
        if !sheet.columnas_personales_descartadas.is_empty() {
            say!(
                "    columnas con datos personales descartadas sin guardarse: {}",
                sheet.columnas_personales_descartadas.join(", ")
            );
        }
        if sheet.columnas_truncadas {
            say!("    hay datos más allá de la última columna admitida; no se leyeron");
        }
    }
    let errors: Vec<_> = result.issues.iter().filter(|i| i.is_error()).collect();
    let warnings: Vec<_> = result.issues.iter().filter(|i| !i.is_error()).collect();
    let (row_errors, sheet_errors): (Vec<_>, Vec<_>) =
        errors.into_iter().partition(|i| i.row.is_some());
    for issue in &sheet_errors {
        say!(
            "  {} [{}] {}",
            issue.place(),
            issue.code.as_str(),
            issue.message
        );
    }
    if row_errors.is_empty() && sheet_errors.is_empty() {
        say!(
            "Sin errores: {}.",
            plural(result.accepted(), "fila aceptada", "filas aceptadas")
        );
    } else if !row_errors.is_empty() {
        say!(
            "{} con errores ({}):",
            plural(result.rejected_rows(), "fila rechazada", "filas rechazadas"),
            plural(row_errors.len(), "error", "errores")
        );
        for issue in row_errors {
            say!(
                "  {} [{}] {}",
                issue.place_row(),
                issue.code.as_str(),
                issue.message
            );
        }
    }
    if !warnings.is_empty() {
        say!("Advertencias (las filas se conservan):");
        for issue in warnings {
            say!("  {}: {}", issue.place_row(), issue.message);
        }
    }
    Ok(())
}

/// Validates; exit 1 when the file is unreadable or anything was rejected.
pub fn run(config_path: Option<&Path>, file: &Path, format: Format) -> anyhow::Result<i32> {
    // Inside a working folder its standard applies; anywhere else the shipped one does.
    let loaded = match config_path {
        Some(p) => Some(Config::load(Some(p))?),
        None if Path::new("participa.toml").exists() => Some(Config::load(None)?),
        None => None,
    };
    let embedded;
    let standard = match &loaded {
        Some(c) => &c.standard,
        None => {
            embedded = config::embedded_standard().map_err(anyhow::Error::msg)?;
            &embedded
        }
    };
    match pipeline::validate_file(loaded.as_ref(), standard, file) {
        Err(e) => {
            match format {
                Format::Json => say!(
                    "{}",
                    serde_json::json!({ "archivo": crate::names::printable_path(file), "codigo": "unreadable-file", "mensaje": e.to_string() })
                ),
                _ => say!(
                    "{}\n  [unreadable-file] No se pudo leer el archivo: {e}",
                    crate::names::printable_path(file)
                ),
            }
            Ok(1)
        }
        Ok(result) => {
            let unusable = result.no_data_reason(standard);
            match format {
                Format::Json => say!(
                    "{}",
                    serde_json::json!({
                        "archivo": crate::names::printable_path(file),
                        "hojas": result.sheets,
                        "filas_aceptadas": result.accepted(),
                        "filas_rechazadas": result.rejected_rows(),
                        "problemas": result.issues,
                        "archivo_rechazado": unusable,
                    })
                ),
                _ => {
                    print_text(file, &result, &standard.messages)?;
                    if let Some(reason) = &unusable {
                        say!("  [unreadable-file] El archivo se rechaza entero: {reason}");
                    }
                }
            }
            Ok(
                if unusable.is_some() || result.issues.iter().any(|i| i.is_error()) {
                    1
                } else {
                    0
                },
            )
        }
    }
}
