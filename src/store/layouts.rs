//! The sheet layouts each organismo has sent: a layout is a sheet's sequence of (header as
//! written, field or none), remembered by a SHA-256 fingerprint. The version that first brings
//! a layout records it with how its columns were read, so the feedback of that pass can show
//! the reading once; a layout already seen is never shown again.

use rusqlite::{params, Connection, Transaction};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{NewLayout, StoreError};
use crate::standard::{ColumnReading, ReadingReason, SheetReport};

/// The fingerprint of a sheet's layout; `None` when nothing says how its columns were read.
pub(super) fn fingerprint(columns: &[ColumnReading]) -> Option<String> {
    if columns.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    for c in columns {
        h.update(c.encabezado.as_bytes());
        match &c.campo {
            Some(f) => {
                h.update([1u8]);
                h.update(f.as_bytes());
            }
            None => h.update([0u8]),
        }
        // Separators that cannot occur in text: ("ab", "c") and ("a", "bc") differ.
        h.update([0x1eu8]);
    }
    Some(hex::encode(h.finalize()))
}

/// Records the layouts of a version's sheets the organismo had never sent; returns how many
/// were new.
pub(super) fn record(
    tx: &Transaction,
    organismo: &str,
    file_id: i64,
    version_id: i64,
    received_at: &str,
    sheets: &[SheetReport],
) -> Result<usize, StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO disposiciones (organismo, huella, archivo_id, version_id, hoja, columnas, recibido_en) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (organismo, huella) DO NOTHING",
    )?;
    let mut new = 0;
    for sheet in sheets {
        let Some(huella) = fingerprint(&sheet.columnas) else {
            continue;
        };
        let columnas = serde_json::to_string(&sheet.columnas)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        new += stmt.execute(params![
            organismo,
            huella,
            file_id,
            version_id,
            sheet.nombre,
            columnas,
            received_at
        ])?;
    }
    Ok(new)
}

/// The layouts first seen in the pass received at `received_at`, by file and sheet.
pub(super) fn first_seen(
    conn: &Connection,
    organismo: &str,
    received_at: &str,
) -> Result<Vec<NewLayout>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.ruta, d.hoja, d.columnas FROM disposiciones d JOIN archivos a ON a.id = d.archivo_id
         WHERE d.organismo = ?1 AND d.recibido_en = ?2 ORDER BY a.ruta, d.version_id, d.hoja",
    )?;
    let rows = stmt.query_map(params![organismo, received_at], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (archivo, hoja, json) = row?;
        let stored: Vec<StoredColumn> = serde_json::from_str(&json).map_err(|e| {
            StoreError::Corrupt(format!("disposición de {archivo}, hoja «{hoja}»: {e}"))
        })?;
        out.push(NewLayout {
            archivo,
            hoja,
            columnas: stored.into_iter().map(ColumnReading::from).collect(),
        });
    }
    Ok(out)
}

/// [`ColumnReading`] as stored (its `Serialize` form), read back.
#[derive(Deserialize)]
struct StoredColumn {
    columna: String,
    encabezado: String,
    campo: Option<String>,
    motivo: StoredReason,
}

#[derive(Deserialize)]
#[serde(tag = "por", rename_all = "snake_case")]
enum StoredReason {
    Encabezado {
        palabras: String,
    },
    Contenido {
        coinciden: usize,
        de: usize,
        lista: String,
    },
    Mapeo,
    Mensual,
    Anio,
    Personal,
    SinUso {
        parecido: Option<String>,
    },
}

impl From<StoredColumn> for ColumnReading {
    fn from(c: StoredColumn) -> ColumnReading {
        let motivo = match c.motivo {
            StoredReason::Encabezado { palabras } => ReadingReason::Encabezado { palabras },
            StoredReason::Contenido {
                coinciden,
                de,
                lista,
            } => ReadingReason::Contenido {
                coinciden,
                de,
                lista,
            },
            StoredReason::Mapeo => ReadingReason::Mapeo,
            StoredReason::Mensual => ReadingReason::Mensual,
            StoredReason::Anio => ReadingReason::Anio,
            StoredReason::Personal => ReadingReason::Personal,
            StoredReason::SinUso { parecido } => ReadingReason::SinUso { parecido },
        };
        ColumnReading {
            columna: c.columna,
            encabezado: c.encabezado,
            campo: c.campo,
            motivo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(
        columna: &str,
        encabezado: &str,
        campo: Option<&str>,
        motivo: ReadingReason,
    ) -> ColumnReading {
        ColumnReading {
            columna: columna.into(),
            encabezado: encabezado.into(),
            campo: campo.map(str::to_string),
            motivo,
        }
    }

    #[test]
    fn every_reading_survives_the_store_and_the_fingerprint_is_the_header_field_sequence() {
        let columns = vec![
            column(
                "A",
                "Programa",
                Some("programa"),
                ReadingReason::Encabezado {
                    palabras: "programa".into(),
                },
            ),
            column(
                "B",
                "Lugar",
                Some("barrio"),
                ReadingReason::Contenido {
                    coinciden: 18,
                    de: 20,
                    lista: "barrios".into(),
                },
            ),
            column("C", "Col3", Some("tema"), ReadingReason::Mapeo),
            column(
                "D",
                "Inscriptos enero",
                Some("inscriptos"),
                ReadingReason::Mensual,
            ),
            column("E", "Año", Some("periodo"), ReadingReason::Anio),
            column("F", "DNI", None, ReadingReason::Personal),
            column(
                "G",
                "Observaciones",
                None,
                ReadingReason::SinUso {
                    parecido: Some("resultado".into()),
                },
            ),
            column("H", "", None, ReadingReason::SinUso { parecido: None }),
        ];
        let json = serde_json::to_string(&columns).unwrap_or_default();
        let back: Vec<ColumnReading> = serde_json::from_str::<Vec<StoredColumn>>(&json)
            .map(|v| v.into_iter().map(ColumnReading::from).collect())
            .unwrap_or_default();
        assert_eq!(back, columns);

        let print = fingerprint(&columns);
        assert!(print.is_some());
        // How a column was read is not part of the layout; its header and field are.
        let mut other_reason = columns.clone();
        other_reason[1].motivo = ReadingReason::Mapeo;
        assert_eq!(fingerprint(&other_reason), print);
        let mut other_field = columns.clone();
        other_field[1].campo = Some("comuna".into());
        assert_ne!(fingerprint(&other_field), print);
        let mut other_header = columns.clone();
        other_header[0].encabezado = "Programas".into();
        assert_ne!(fingerprint(&other_header), print);
        assert_eq!(fingerprint(&[]), None);
    }
}
