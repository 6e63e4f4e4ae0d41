//! xlsx/xlsm read in one streaming pass of our own over each worksheet part: its cells and
//! then, after `</sheetData>`, its `<mergeCells>`, so a part is inflated and parsed once.
//!
//! Why not calamine (which still reads xls and ods, see [`super::workbook`]): its streaming cell
//! reader stops at `</sheetData>` and cannot hand over the rest of the part, so the merges cost a
//! second inflate of every sheet (about 7 % of an ingest, BENCHMARKS.md "Reading sheets the way a
//! person does"); and it copies a shared string into every cell that refers to it before anyone
//! can count it, so a 72 KB file whose cells all refer to one 32,767-character string expanded
//! to tens of GB (issue 10). Here every kept cell and its text are charged to the file's
//! [`Budget`] *before* the text is copied, and the shared-string table is itself held to the
//! text budget (as one string plus its ends, so a table of millions of empty strings costs bytes,
//! not allocations).
//!
//! What a cell means follows calamine 0.38 exactly, so a file reads the same as before (a test
//! compares both on every fixture): the workbook part is the package's `officeDocument`
//! relationship; sheets are listed in workbook order and only worksheets are read (a part with
//! no `<sheetData>` is no worksheet and is skipped); a numeric cell is a date when its style's
//! number format is a date format (built-in ids 14–22, 27–36, 45, 47, 50–58, or a custom code
//! with date tokens outside quotes and brackets), a duration (`[h]:mm`, id 46) stays a number;
//! `date1904` moves the epoch; shared and inline strings join their runs (`<r><t>`), leave out
//! phonetic runs (`<rPh>`), trim unless `xml:space="preserve"` and decode `_xHHHH_`; formulas
//! count by their cached `<v>`. Where calamine would fail the whole file over something that
//! means nothing here (an error cell it does not know, such as `#SPILL!`; an element it does
//! not expect inside a cell; a bad shared-formula attribute; a bad `<dimension>`) this reader
//! keeps going; a damaged package, part or cell value is [`ReadError::Corrupt`] with where it
//! was found. A merge list that cannot be read leaves the sheet without merges, never fails the
//! file (as before).

//!
//! The parts: [`package`] opens parts and reads the workbook part, [`text`] the shared strings
//! and element text, [`styles`] which numbers are dates, [`sheet`] a worksheet's cells and
//! merges, [`formula`] shared formulas; this file holds what they all share and `read_xlsx`.

mod formula;
mod package;
mod sheet;
mod styles;
mod text;

use std::io::{BufRead, Cursor, Read};

use super::{Budget, Limits, ReadError, MAX_CELL_CHARS};
use crate::standard::RawSheet;
use package::Workbook;
use sheet::read_sheet;

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;
/// One part of an [`Archive`], inflated as it is read.
type Part<'a, 'b> = PartReader<std::io::Take<zip::read::ZipFile<'a, Cursor<&'b [u8]>>>>;

/// A buffered reader for a part, in place of `std::io::BufReader`: quick-xml asks for the
/// buffer once or twice per XML event (some 14 million times for a tenth of the bench corpus),
/// and std's `fill_buf`, not inlined into quick-xml's loop here and keeping count of the
/// initialised bytes on every call, cost 3 % of a whole ingest (valgrind, BENCHMARKS.md). Here
/// the buffer is zeroed once, the common case is a bounds check inlined into the caller, and
/// only a refill is a call.
pub(super) struct PartReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
}

impl<R: Read> PartReader<R> {
    fn new(capacity: usize, inner: R) -> Self {
        PartReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    #[inline(never)]
    fn refill(&mut self) -> std::io::Result<()> {
        self.pos = 0;
        self.filled = 0;
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.filled = n.min(self.buf.len());
        Ok(())
    }
}

impl<R: Read> Read for PartReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for PartReader<R> {
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.refill()?;
        }
        Ok(self.buf.get(self.pos..self.filled).unwrap_or_default())
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        self.pos = self.pos.saturating_add(amount).min(self.filled);
    }
}

/// How much of a part is inflated per read.
const PART_BUFFER: usize = 64 * 1024;

/// The most text one string element (a `<t>`, a `<v>`, an `<f>`) collects before the rest is
/// dropped: well past what [`MAX_CELL_CHARS`] keeps even after trimming and `_xHHHH_`
/// decoding (7 bytes to one character), so the cut is still [`bounded_text`](super::bounded_text)'s, and a hostile
/// element costs this much at most, not the whole part.
const MAX_ELEMENT_BYTES: usize = 8 * 4 * MAX_CELL_CHARS;

/// The last row and column of a sheet (1,048,576 rows, column XFD).
const SHEET_ROWS: u32 = 1_048_576;
const SHEET_COLUMNS: u32 = 16_384;

fn corrupt(text: impl Into<String>) -> ReadError {
    ReadError::Corrupt(text.into())
}

fn zip_error(e: zip::result::ZipError, what: &str) -> ReadError {
    match e {
        zip::result::ZipError::UnsupportedArchive(m)
            if m == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            ReadError::Encrypted
        }
        other => corrupt(format!("{what}: {other}")),
    }
}

/// Reads every worksheet of an xlsx/xlsm workbook, within `limits` and the file's budget.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<RawSheet>, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| zip_error(e, "el paquete zip no se puede abrir"))?;
    let mut budget = Budget::new(limits);
    let book = Workbook::open(&mut archive, limits)?;
    let mut sheets = Vec::with_capacity(book.sheets.len());
    for (name, path) in &book.sheets {
        if let Some(sheet) = read_sheet(&mut archive, &book, name, path, limits, &mut budget)? {
            sheets.push(sheet);
        }
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests;
