//! One dataset's CSV, streamed row by row into the staging folder and hashed on the way:
//! dates ISO, integers plain, numbers with a dot, null empty.
//!
//! Must not hold the rows in memory nor know about the other files of a period.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::Datelike;
use sha2::{Digest, Sha256};

use super::files::{io_at, safe_name};
use super::resumen::{iso, PublishedDataset, PublishedFile};
use super::CSV_MEDIATYPE;
use crate::report::model::{Cell, DatasetPart};
use crate::report::ReportError;

/// One dataset's CSV being written, hashed on the way.
pub struct CsvFile {
    path: PathBuf,
    name: String,
    dataset: String,
    title: String,
    width: usize,
    rows: u64,
    buf: String,
    csv: csv::Writer<HashingWriter<io::BufWriter<fs::File>>>,
}

impl CsvFile {
    pub(super) fn create(dir: &Path, part: &DatasetPart) -> Result<CsvFile, ReportError> {
        let name = format!("{}.csv", safe_name(&part.name, "dataset name")?);
        let path = dir.join(&name);
        let file = fs::File::create(&path).map_err(io_at(&path))?;
        let sink = HashingWriter {
            inner: io::BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(sink);
        csv.write_record(&part.field_names)
            .map_err(|e| io_at(&path)(csv_io(e)))?;
        Ok(CsvFile {
            width: part.field_names.len(),
            path,
            name,
            dataset: part.name.clone(),
            title: part.title.clone(),
            rows: 0,
            buf: String::new(),
            csv,
        })
    }

    /// Writes a row.
    pub fn row(&mut self, row: &[Cell]) -> Result<(), ReportError> {
        if row.len() != self.width {
            let source = io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a row has {} values for {} columns", row.len(), self.width),
            );
            return Err(ReportError::Rows {
                dataset: self.dataset.clone(),
                source,
            });
        }
        for cell in row {
            self.buf.clear();
            csv_value(cell, &mut self.buf);
            self.csv
                .write_field(&self.buf)
                .map_err(|e| ReportError::Io {
                    path: self.path.clone(),
                    source: csv_io(e),
                })?;
        }
        self.csv
            .write_record(None::<&[u8]>)
            .map_err(|e| ReportError::Io {
                path: self.path.clone(),
                source: csv_io(e),
            })?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and syncs the file; what the data package and summary list of it.
    pub fn finish(self) -> Result<PublishedDataset, ReportError> {
        let CsvFile {
            path,
            name,
            dataset,
            title,
            rows,
            csv,
            ..
        } = self;
        let sink = csv.into_inner().map_err(|e| ReportError::Io {
            path: path.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        let HashingWriter {
            inner,
            hasher,
            bytes,
        } = sink;
        let file = inner.into_inner().map_err(|e| ReportError::Io {
            path: path.clone(),
            source: io::Error::other(e.to_string()),
        })?;
        file.sync_all().map_err(io_at(&path))?;
        let csv = PublishedFile {
            file: name,
            bytes,
            sha256: hex::encode(hasher.finalize()),
            mediatype: CSV_MEDIATYPE.to_string(),
        };
        Ok(PublishedDataset {
            name: dataset,
            title,
            rows,
            csv,
        })
    }
}

/// A cell as the CSV holds it: dates ISO, integers plain, numbers with a dot, null empty.
fn csv_value(cell: &Cell, out: &mut String) {
    match cell {
        Cell::Empty => {}
        Cell::Text(t) => out.push_str(t),
        Cell::Int(i) => out.push_str(&i.to_string()),
        Cell::Num(n) if n.is_finite() => out.push_str(&crate::standard::sheet::format_number(*n)),
        Cell::Num(_) => {}
        Cell::Date(d) if (0..=9999).contains(&d.year()) => {
            use std::fmt::Write;
            let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        }
        Cell::Date(d) => out.push_str(&iso(*d)),
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    io::Error::from(e)
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
