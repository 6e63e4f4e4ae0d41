//! Reading one file into sheets of cells: xlsx/xlsm through a streaming reader of our own
//! (`xlsx`: cells and merges in one pass), ods through another (`ods`), xls through calamine
//! (`workbook`) once `xls_scan` found it within its budget, CSV through the csv crate; rows are
//! built the same way for every workbook format (`rows`). Every reader charges what it keeps to
//! the file's [`Budget`] before it copies it. Formats are told by content first (a renamed file is still read, or rejected with
//! a message that says what it really is) and by extension second.
//!
//! Readers must not interpret cells (headers, dates, codes): they hand over what the file holds,
//! merged ranges included (bounded, sorted; see `merges`).

mod csv_file;
mod merges;
#[cfg(test)]
mod mutations;
mod ods;
mod rows;
#[cfg(test)]
mod test_support;
mod workbook;
mod xls_scan;
mod xlsx;

use crate::standard::RawSheet;

/// Limits that keep memory bounded whatever the file holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Larger files are not read.
    pub max_file_bytes: u64,
    /// Columns past this many are not read.
    pub max_columns: usize,
    /// Rows past this many in one sheet are not read.
    pub max_rows: usize,
    /// A zipped workbook (xlsx, ods) whose parts add up to more than this unpacked is not read:
    /// a small file can hide gigabytes.
    pub max_unpacked_bytes: u64,
    /// Cells one file may hand over, counted while it is read (see [`Budget`]).
    pub max_cells_per_file: u64,
    /// Bytes of cell text one file may hand over, counted while it is read (see [`Budget`]).
    pub max_text_bytes_per_file: u64,
}

/// What reading one file may cost, counted *while* it is read, before anything is expanded:
/// every cell a reader keeps (each repeat of an ods cell, each cell of an xls range, each
/// cell of a CSV record) costs one cell, and every byte of text it keeps costs one byte — an
/// xlsx shared string is counted each time a cell refers to it, since each reference becomes
/// its own copy. When either runs out the file is rejected as unreadable
/// ([`ReadError::OverBudget`]), so the memory of a pass is bounded by
/// `threads × (max_cells_per_file × size of a cell + max_text_bytes_per_file)` plus a
/// constant, whatever the files say about themselves.
#[derive(Debug, Clone)]
pub struct Budget {
    cells_left: u64,
    text_left: u64,
    max_cells: u64,
    max_text_bytes: u64,
}

/// Which part of a [`Budget`] ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// Too many cells.
    Cells,
    /// Too much text.
    Text,
}

impl Budget {
    /// A fresh budget for one file.
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            cells_left: limits.max_cells_per_file,
            text_left: limits.max_text_bytes_per_file,
            max_cells: limits.max_cells_per_file,
            max_text_bytes: limits.max_text_bytes_per_file,
        }
    }

    /// Cells still to spend.
    pub fn cells_left(&self) -> u64 {
        self.cells_left
    }

    /// Spends `n` cells.
    pub fn cells(&mut self, n: u64) -> Result<(), ReadError> {
        match self.cells_left.checked_sub(n) {
            Some(left) => {
                self.cells_left = left;
                Ok(())
            }
            None => Err(ReadError::OverBudget {
                spent: Spent::Cells,
                max: self.max_cells,
            }),
        }
    }

    /// Spends `bytes` of text.
    pub fn text(&mut self, bytes: u64) -> Result<(), ReadError> {
        match self.text_left.checked_sub(bytes) {
            Some(left) => {
                self.text_left = left;
                Ok(())
            }
            None => Err(ReadError::OverBudget {
                spent: Spent::Text,
                max: self.max_text_bytes,
            }),
        }
    }

    /// Spends one cell holding `text_bytes` of text.
    pub fn cell_with_text(&mut self, text_bytes: usize) -> Result<(), ReadError> {
        self.cells(1)?;
        self.text(text_bytes as u64)
    }
}

/// Default cells per file: 100,000 rows of 20 columns (a month of a large programme is a few
/// thousand rows); at 32 bytes a cell, 64 MiB.
pub const DEFAULT_MAX_CELLS_PER_FILE: u64 = 2_000_000;
/// Default text per file: 64 MiB, several times the text of the largest real file seen.
pub const DEFAULT_MAX_TEXT_BYTES_PER_FILE: u64 = 64 * 1024 * 1024;

/// Excel's own limit on the characters of one cell; longer text is cut, so one cell cannot
/// fill the memory or the store.
pub const MAX_CELL_CHARS: usize = 32_767;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 * 1024 * 1024,
            max_columns: 256,
            max_rows: 1_048_576,
            max_unpacked_bytes: 256 * 1024 * 1024,
            max_cells_per_file: DEFAULT_MAX_CELLS_PER_FILE,
            max_text_bytes_per_file: DEFAULT_MAX_TEXT_BYTES_PER_FILE,
        }
    }
}

/// Cuts a cell's text at [`MAX_CELL_CHARS`].
pub fn bounded_text(mut text: String) -> String {
    if text.len() > MAX_CELL_CHARS {
        let cut = text
            .char_indices()
            .nth(MAX_CELL_CHARS)
            .map_or(text.len(), |(i, _)| i);
        text.truncate(cut);
    }
    text
}

/// The unpacked size a zip container declares for all its parts.
fn unpacked_size(bytes: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(i).ok()?.size());
    }
    Some(total)
}

/// Why a file could not be read at all. The text is what the ministry clerk reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// An extension participa does not read.
    #[error("el formato «.{0}» no se admite; envíe el archivo como .xlsx, .xls, .ods o .csv")]
    Unsupported(String),
    /// Zero bytes.
    #[error("el archivo está vacío (0 bytes)")]
    Empty,
    /// Over the configured size.
    #[error("el archivo pesa {size} bytes y el máximo admitido es {max} bytes; divídalo en archivos más chicos")]
    TooLarge {
        /// File size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A zipped workbook that unpacks to more than the limit.
    #[error("la planilla ocupa {size} bytes descomprimida y el máximo admitido es {max} bytes; divídala en archivos más chicos")]
    TooLargeUnpacked {
        /// Declared unpacked size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Encrypted with a password.
    #[error(
        "el archivo está protegido con contraseña; guárdelo sin contraseña y vuelva a enviarlo"
    )]
    Encrypted,
    /// The content is not the spreadsheet the name says.
    #[error("el contenido no es una planilla ({0}); ábralo y guárdelo de nuevo como .xlsx")]
    NotASpreadsheet(String),
    /// A spreadsheet that is damaged or truncated.
    #[error(
        "la planilla está dañada o incompleta ({0}); ábrala, guárdela de nuevo y vuelva a enviarla"
    )]
    Corrupt(String),
    /// Reading would cost more cells or text than a file may ([`Budget`]).
    #[error("{}", over_budget_text(*spent, *max))]
    OverBudget {
        /// What ran out.
        spent: Spent,
        /// The limit that was reached.
        max: u64,
    },
    /// Reading from disk failed.
    #[error("no se pudo leer del disco: {0}")]
    Io(String),
}

fn over_budget_text(spent: Spent, max: u64) -> String {
    match spent {
        Spent::Cells => format!(
            "la planilla tiene más de {max} celdas contando cada celda repetida o combinada; quite las filas y columnas vacías de más o divídala en archivos más chicos"
        ),
        Spent::Text => format!(
            "el texto de la planilla ocupa más de {max} bytes contando cada celda que repite un mismo texto; quite el texto repetido o divida la planilla en archivos más chicos"
        ),
    }
}

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Zip,
    Cfb,
    Text,
    Binary(&'static str),
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Sniffed::Cfb;
    }
    for (magic, what) in [
        (&b"%PDF"[..], "es un PDF"),
        (&b"\x89PNG"[..], "es una imagen PNG"),
        (&b"\xFF\xD8\xFF"[..], "es una imagen JPEG"),
        (&b"GIF8"[..], "es una imagen GIF"),
        (&b"Rar!"[..], "es un archivo RAR"),
        (&b"\x1F\x8B"[..], "es un archivo comprimido gzip"),
        (&b"{\\rtf"[..], "es un documento RTF"),
    ] {
        if bytes.starts_with(magic) {
            return Sniffed::Binary(what);
        }
    }
    let head = &bytes[..bytes.len().min(4096)];
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if !utf16 && head.contains(&0) {
        return Sniffed::Binary("contiene datos binarios");
    }
    Sniffed::Text
}

/// True when a CFB container holds an encrypted OOXML package (a password-protected .xlsx).
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Reads a file's bytes into sheets. `extension` is the lower-case extension without the dot.
///
/// Never panics on bad input: a reader panic is caught and reported as a corrupt file.
pub fn read_bytes(
    bytes: &[u8],
    extension: &str,
    limits: &Limits,
) -> Result<Vec<RawSheet>, ReadError> {
    match std::panic::catch_unwind(|| read_unguarded(bytes, extension, limits)) {
        Ok(r) => r,
        Err(_) => Err(ReadError::Corrupt(
            "el lector no pudo interpretarla".to_string(),
        )),
    }
}

/// [`read_bytes`] without its `catch_unwind`: the mutation test calls it so that a reader's
/// panic fails the test instead of becoming a rejection.
fn read_unguarded(
    bytes: &[u8],
    extension: &str,
    limits: &Limits,
) -> Result<Vec<RawSheet>, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max: limits.max_file_bytes,
        });
    }
    if !matches!(extension, "xlsx" | "xlsm" | "xls" | "ods" | "csv") {
        return Err(ReadError::Unsupported(extension.to_string()));
    }
    let sniffed = sniff(bytes);
    if sniffed == Sniffed::Zip {
        if let Some(size) = unpacked_size(bytes).filter(|s| *s > limits.max_unpacked_bytes) {
            return Err(ReadError::TooLargeUnpacked {
                size,
                max: limits.max_unpacked_bytes,
            });
        }
    }
    match (sniffed, extension) {
        (Sniffed::Binary(what), _) => Err(ReadError::NotASpreadsheet(what.to_string())),
        (Sniffed::Cfb, _) if is_encrypted_ooxml(bytes) => Err(ReadError::Encrypted),
        (Sniffed::Cfb, _) => {
            xls_scan::check(bytes, limits).and_then(|()| workbook::read_xls(bytes, limits))
        }
        (Sniffed::Zip, "ods") => {
            ods::read_ods(bytes, limits).or_else(|e| xlsx::read_xlsx(bytes, limits).map_err(|_| e))
        }
        (Sniffed::Zip, _) => {
            xlsx::read_xlsx(bytes, limits).or_else(|e| ods::read_ods(bytes, limits).map_err(|_| e))
        }
        (Sniffed::Text, "csv") => csv_file::read_csv(bytes, limits),
        (Sniffed::Text, _) => Err(ReadError::NotASpreadsheet(
            "parece un archivo de texto con otra extensión".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::Cell;

    #[test]
    fn a_zip_that_unpacks_past_the_limit_is_not_opened() {
        use std::io::Write;
        let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let written = zipped
            .start_file("xl/worksheets/sheet1.xml", stored)
            .and_then(|_| Ok(zipped.write_all(&[b' '; 4096])?));
        assert!(written.is_ok());
        let bytes = zipped.finish().map(|c| c.into_inner()).unwrap_or_default();
        let limits = Limits {
            max_unpacked_bytes: 1024,
            ..Limits::default()
        };
        assert_eq!(
            read_bytes(&bytes, "xlsx", &limits),
            Err(ReadError::TooLargeUnpacked {
                size: 4096,
                max: 1024
            })
        );
    }

    #[test]
    fn content_beats_extension() {
        let limits = Limits::default();
        assert_eq!(read_bytes(b"", "xlsx", &limits), Err(ReadError::Empty));
        assert!(matches!(
            read_bytes(b"hola, mundo", "xlsx", &limits),
            Err(ReadError::NotASpreadsheet(_))
        ));
        assert!(matches!(
            read_bytes(b"\x89PNG\r\n\x1a\n....", "xls", &limits),
            Err(ReadError::NotASpreadsheet(_))
        ));
        assert_eq!(
            read_bytes(b"x", "pdf", &limits),
            Err(ReadError::Unsupported("pdf".into()))
        );
        assert!(matches!(
            read_bytes(b"PK\x03\x04garbage", "xlsx", &limits),
            Err(ReadError::Corrupt(_))
        ));
        let tiny = Limits {
            max_file_bytes: 3,
            ..Limits::default()
        };
        assert_eq!(
            read_bytes(&"x".repeat(40_000).into_bytes(), "csv", &Limits::default())
                .map(|s| s[0].rows[0].cells[0].clone()),
            Ok(Cell::Text("x".repeat(MAX_CELL_CHARS)))
        );
        assert_eq!(
            read_bytes(b"a,b,c", "csv", &tiny),
            Err(ReadError::TooLarge { size: 5, max: 3 })
        );
    }
}
