//! `participa export DATASET --format csv|json`: a standard dataset, the rejected rows or the
//! file list, to stdout. The file list's names and problems are printed through
//! [`printable`]: a name with a line break cannot make a line of its own.

use std::io::Write;

use anyhow::bail;

use super::Format;
use crate::config::Config;
use crate::names::printable;
use crate::pipeline;
use crate::standard::schema::{FieldType, PROVENANCE};
use crate::store::{ExportError, Store};

const REJECTION_COLUMNS: [&str; 7] = [
    "fuente_archivo",
    "fuente_hoja",
    "fuente_fila",
    "campo",
    "codigo",
    "valor",
    "mensaje",
];

/// A CSV error as the I/O error it wraps, so a closed pipe stays recognisable.
fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// Where rows go: a CSV writer over the output, or a JSON array written object by object.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json { out: W, first: bool },
}

/// Writes rows as CSV or as a JSON array of objects (numbers typed where the column is numeric).
struct Writer<W: Write> {
    sink: Sink<W>,
    columns: Vec<String>,
    numeric: Vec<bool>,
}

impl<W: Write> Writer<W> {
    fn new(
        out: W,
        format: Format,
        columns: Vec<String>,
        numeric: Vec<bool>,
    ) -> std::io::Result<Self> {
        let sink = match format {
            Format::Json => {
                let mut out = out;
                out.write_all(b"[")?;
                Sink::Json { out, first: true }
            }
            _ => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(&columns).map_err(csv_io)?;
                Sink::Csv(Box::new(csv))
            }
        };
        Ok(Writer {
            sink,
            columns,
            numeric,
        })
    }

    fn row(&mut self, row: Vec<String>) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Csv(csv) => csv.write_record(&row).map_err(csv_io),
            Sink::Json { out, first } => {
                let mut object = serde_json::Map::new();
                for ((col, value), numeric) in self.columns.iter().zip(row).zip(&self.numeric) {
                    let v = if value.is_empty() {
                        serde_json::Value::Null
                    } else if *numeric {
                        value
                            .parse::<f64>()
                            .ok()
                            .and_then(|n| {
                                if n.fract() == 0.0 && n.abs() < 9e15 {
                                    Some(serde_json::Value::from(n as i64))
                                } else {
                                    serde_json::Number::from_f64(n).map(serde_json::Value::Number)
                                }
                            })
                            .unwrap_or(serde_json::Value::String(value))
                    } else {
                        serde_json::Value::String(value)
                    };
                    object.insert(col.clone(), v);
                }
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut *out, &object)?;
                Ok(())
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self.sink {
            Sink::Csv(mut csv) => csv.flush(),
            Sink::Json { mut out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()
            }
        }
    }
}

/// Runs the export.
pub fn run(config: &Config, dataset: &str, format: Format) -> anyhow::Result<i32> {
    if format == Format::Text {
        bail!("export admite --format csv o json");
    }
    let mut store = pipeline::open_store(config)?;
    let stdout = std::io::stdout().lock();
    let out = std::io::BufWriter::new(stdout);
    let result: Result<(), ExportError> = (|| {
        match dataset {
            "rechazos" => {
                let columns: Vec<String> =
                    REJECTION_COLUMNS.iter().map(|c| c.to_string()).collect();
                let numeric = columns.iter().map(|c| c == "fuente_fila").collect();
                let mut w = Writer::new(out, format, columns, numeric)?;
                store.export_rejections(&mut |row| w.row(row))?;
                w.finish()?;
            }
            "archivos" => {
                let files = store.files()?;
                let columns: Vec<String> = [
                    "fuente",
                    "organismo",
                    "ruta",
                    "estado",
                    "resultado",
                    "recibido_en",
                    "sha256",
                    "filas_aceptadas",
                    "filas_rechazadas",
                    "problemas",
                ]
                .iter()
                .map(|c| c.to_string())
                .collect();
                let numeric = columns.iter().map(|c| c.starts_with("filas_")).collect();
                let mut w = Writer::new(out, format, columns, numeric)?;
                // Names and messages as printed everywhere else: escaped, so a name with a line
                // break cannot make a line of its own for a reader that splits on lines.
                let shown = |text: String| printable(&text).into_owned();
                for f in files {
                    w.row(vec![
                        shown(f.fuente),
                        shown(f.organismo),
                        shown(f.ruta),
                        f.estado,
                        f.resultado,
                        f.recibido_en,
                        f.sha256,
                        f.filas_aceptadas.to_string(),
                        f.filas_rechazadas.to_string(),
                        shown(f.problemas),
                    ])?;
                }
                w.finish()?;
            }
            name => {
                let Some(ds) = config.standard.dataset(name) else {
                    return Err(ExportError::Output(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("dataset desconocido «{name}»"),
                    )));
                };
                let mut columns: Vec<String> = ds.fields.iter().map(|f| f.name.clone()).collect();
                let mut numeric: Vec<bool> = ds
                    .fields
                    .iter()
                    .map(|f| {
                        matches!(
                            f.field_type,
                            FieldType::Integer | FieldType::Number | FieldType::Year
                        )
                    })
                    .collect();
                columns.extend(PROVENANCE.iter().map(|c| c.to_string()));
                numeric.extend(PROVENANCE.iter().map(|c| *c == "fuente_fila"));
                let mut w = Writer::new(out, format, columns, numeric)?;
                store.export_dataset(ds, &mut |row| w.row(row))?;
                w.finish()?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(0),
        // A reader that closed the pipe (`| head`) is not an error.
        Err(ExportError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(ExportError::Output(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            let names: Vec<&str> = config
                .standard
                .datasets
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            bail!(
                "{e}; elija uno de: {}, rechazos, archivos",
                names.join(", ")
            )
        }
        Err(e) => Err(e.into()),
    }
}
