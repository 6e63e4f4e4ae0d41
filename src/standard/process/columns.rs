//! How each column of a sheet was read, and the unused columns of a sheet that lacks a
//! required field, for the file's report.
//!
//! Reads the header only: must not see the rows.

use crate::standard::header::{Header, Role};
use crate::standard::schema::Dataset;
use crate::standard::sheet::column_letters;
use crate::standard::Standard;

/// How each column with a header or a reading was read, for the file's report.
pub(super) fn column_readings(
    dataset: &Dataset,
    header: &Header,
) -> Vec<crate::standard::ColumnReading> {
    header
        .roles
        .iter()
        .enumerate()
        .filter_map(|(c, role)| {
            let label = header.labels.get(c).cloned().unwrap_or_default();
            let reason = header
                .reasons
                .get(c)
                .cloned()
                .unwrap_or(crate::standard::ReadingReason::SinUso { parecido: None });
            let campo = match role {
                Role::Field(i) | Role::Wide { field: i, .. } => {
                    Some(dataset.fields[*i].name.clone())
                }
                _ => None,
            };
            let said = campo.is_some()
                || !matches!(
                    reason,
                    crate::standard::ReadingReason::SinUso { parecido: None }
                );
            (!label.trim().is_empty() || said).then(|| crate::standard::ColumnReading {
                columna: column_letters(c),
                encabezado: label,
                campo,
                motivo: reason,
            })
        })
        .collect()
}

/// The unused columns of a sheet missing a required field, as a clerk reads them (letter,
/// header, and what their values resemble), with a header to show in the mapping example.
pub(super) fn unused_columns(
    standard: &Standard,
    dataset: &Dataset,
    header: &Header,
) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut example: Option<String> = None;
    for (c, role) in header.roles.iter().enumerate() {
        let label = header
            .labels
            .get(c)
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        let resembles = header.resembles.get(c).copied().flatten();
        if !matches!(role, Role::Unmapped | Role::Empty)
            || (label.is_empty() && resembles.is_none())
        {
            continue;
        }
        let columna = column_letters(c);
        let shown = if label.is_empty() {
            format!("(columna {columna})")
        } else {
            label.clone()
        };
        let part = match resembles {
            Some((field, hits, seen)) => {
                let campo = dataset.fields[field]
                    .title
                    .clone()
                    .unwrap_or_else(|| dataset.fields[field].name.clone());
                if example.is_none() {
                    example = Some(shown.clone());
                }
                let (h, s) = (hits.to_string(), seen.to_string());
                standard.messages.render(
                    "missing-label.resembles",
                    &[
                        ("columna", &columna),
                        ("encabezado", &shown),
                        ("campo", &campo),
                        ("coinciden", &h),
                        ("de", &s),
                    ],
                )
            }
            None => standard.messages.render(
                "missing-label.unused_column",
                &[("columna", &columna), ("encabezado", &shown)],
            ),
        };
        parts.push(part);
    }
    let first = example.or_else(|| {
        header
            .roles
            .iter()
            .zip(&header.labels)
            .find(|(r, l)| **r == Role::Unmapped && !l.trim().is_empty())
            .map(|(_, l)| l.trim().to_string())
    })?;
    Some((parts.join("; "), first))
}
