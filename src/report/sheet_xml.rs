//! Dataset sheets written straight as worksheet XML and spliced into the workbook.
//!
//! A year of instances is half a million rows of 18 cells. Written cell by cell through the
//! workbook writer and compressed on one core, that sheet alone took longer than the whole
//! report may (BENCHMARKS.md). So the rows are kept compactly as they are scanned ([`Rows`]),
//! and once the rest of the workbook exists they are turned into `<row>` XML and deflated in
//! pieces on rayon's pool (every core); the pieces are concatenated into the sheet's zip entry (a deflate
//! stream may be cut at a sync flush and continued by another compressor), with the CRC-32
//! combined from the pieces'.
//!
//! The workbook writer still makes everything else: the sheet around the rows (its header
//! row, column widths and formats, frozen pane, filter), the styles, the relationships. This
//! module only adds the rows, appends their strings to the shared-string table, fixes the
//! sheet's dimension and rewrites the zip container around entries it copies as they are.
//!
//! Must not depend on the workbook writer's types, the store or the configuration. What it
//! relies on in the writer's output (entry names by sheet position, `</sheetData>`, the
//! dimension, column styles, the shared-string table) is pinned by a test that fails when a
//! new rust_xlsxwriter writes it otherwise. Why not the writer's own constant-memory sheets:
//! BENCHMARKS.md («sheet_xml against rust_xlsxwriter's own sheets»).

use std::io::{Cursor, Read};
use std::ops::Range;

use flate2::{Compress, Compression, FlushCompress, Status};

/// Why the rows could not be spliced into the workbook. These are faults of this program, not
/// of the data: the workbook writer's output was not what this module expects.
#[derive(Debug, thiserror::Error)]
pub enum SheetXmlError {
    /// The workbook's zip could not be read.
    #[error("el libro XLSX intermedio no se pudo leer: {0}")]
    Zip(String),
    /// A part of the workbook is missing or not in the expected form.
    #[error("el libro XLSX intermedio no tiene la forma esperada: {0}")]
    Shape(String),
    /// Compressing failed.
    #[error("no se pudo comprimir la hoja: {0}")]
    Deflate(String),
}

const TAG_EMPTY: u8 = 0;
const TAG_STRING: u8 = 1;
const TAG_NUMBER: u8 = 2;
const TAG_INTEGER: u8 = 3;

/// Strings of the dataset sheets, each stored once (the workbook's shared strings).
#[derive(Debug, Default)]
pub struct Strings {
    index: rustc_hash::FxHashMap<Box<str>, u32>,
    list: Vec<Box<str>>,
    /// Cells referring to a string (the table's `count`).
    uses: u64,
}

impl Strings {
    fn id(&mut self, s: &str) -> u32 {
        self.uses += 1;
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(s.into());
        self.index.insert(s.into(), id);
        id
    }

    /// Distinct strings.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// One value of a dataset row as the sheet holds it.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// No cell.
    Empty,
    /// Text (a shared string).
    Text(&'a str),
    /// A number (dates are their serial number; the column's format shows them as dates).
    Number(f64),
}

/// A dataset's rows, compact: a tag byte per cell and then its string id or number.
#[derive(Debug, Default)]
pub struct Rows {
    data: Vec<u8>,
    starts: Vec<usize>,
}

impl Rows {
    /// Adds a row.
    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = Value<'a>>, strings: &mut Strings) {
        self.starts.push(self.data.len());
        for cell in cells {
            match cell {
                Value::Empty => self.data.push(TAG_EMPTY),
                Value::Text("") => self.data.push(TAG_EMPTY),
                Value::Text(t) => {
                    self.data.push(TAG_STRING);
                    self.data.extend_from_slice(&strings.id(t).to_le_bytes());
                }
                Value::Number(n) if !n.is_finite() => self.data.push(TAG_EMPTY),
                // Whole numbers, the most of a dataset (counts, dates, codes), take 5 bytes.
                Value::Number(n)
                    if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) =>
                {
                    self.data.push(TAG_INTEGER);
                    self.data.extend_from_slice(&(n as u32).to_le_bytes());
                }
                Value::Number(n) => {
                    self.data.push(TAG_NUMBER);
                    self.data.extend_from_slice(&n.to_le_bytes());
                }
            }
        }
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn row(&self, i: usize) -> &[u8] {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(self.data.len());
        &self.data[start..end]
    }
}

/// One worksheet of the workbook that gets rows: its zip entry name
/// (`xl/worksheets/sheet21.xml`) and which rows go on it, under its header row.
#[derive(Debug)]
pub struct SheetBody<'a> {
    /// The worksheet's zip entry.
    pub entry: String,
    /// The dataset's rows.
    pub rows: &'a Rows,
    /// Which of them this sheet holds.
    pub range: Range<usize>,
}

/// Rows per piece compressed on its own: large enough that the sync flush between pieces
/// costs nothing measurable, small enough to spread over the cores.
const PIECE_ROWS: usize = 25_000;

/// The workbook `workbook` (a complete XLSX from the workbook writer, whose sheets named in
/// `bodies` hold only their header row) with the rows added. `level` is the deflate level.
pub fn splice(
    workbook: &[u8],
    bodies: &[SheetBody<'_>],
    strings: &Strings,
    level: u32,
) -> Result<Vec<u8>, SheetXmlError> {
    let zip_err = |e: zip::result::ZipError| SheetXmlError::Zip(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).map_err(zip_err)?;

    // The workbook's own strings keep their numbers; the rows' strings follow them.
    let sst_xml = entry_text(&mut archive, SST)?;
    let (sst, offset) = merged_strings(&sst_xml, strings)?;

    // Each sheet around its rows: everything before `</sheetData>`, and the rest.
    let mut frames = Vec::with_capacity(bodies.len());
    for body in bodies {
        let xml = entry_text(&mut archive, &body.entry)?;
        frames.push(Frame::new(&xml, &body.entry, body.range.len())?);
    }

    // Every piece of every sheet, compressed on all cores.
    let mut jobs = Vec::new();
    for (b, body) in bodies.iter().enumerate() {
        let mut start = body.range.start;
        while start < body.range.end {
            let end = (start + PIECE_ROWS).min(body.range.end);
            jobs.push(Job {
                body: b,
                rows: start..end,
                first_row_number: start - body.range.start + 2,
            });
            start = end;
        }
    }
    let pieces = compress_pieces(&jobs, bodies, &frames, offset, level)?;

    let mut out = ZipOut {
        bytes: Vec::with_capacity(
            workbook.len() + pieces.iter().map(|p| p.deflated.len()).sum::<usize>() + 4096,
        ),
        ..ZipOut::default()
    };
    let mut pieces = pieces
        .into_iter()
        .zip(jobs.iter().map(|job| job.body))
        .peekable();
    for i in 0..archive.len() {
        let mut file = archive.by_index_raw(i).map_err(zip_err)?;
        let name = file.name().map_err(zip_err)?.to_string();
        if name == SST {
            let piece = deflate_piece(sst.as_bytes(), level, true)?;
            out.add(&name, METHOD_DEFLATE, &[piece]);
        } else if let Some(b) = bodies.iter().position(|body| body.entry == name) {
            let frame = &frames[b];
            let mut parts = vec![deflate_piece(frame.head.as_bytes(), level, false)?];
            while let Some((piece, _)) = pieces.next_if(|(_, body)| *body == b) {
                parts.push(piece);
            }
            parts.push(deflate_piece(frame.tail.as_bytes(), level, true)?);
            out.add(&name, METHOD_DEFLATE, &parts);
        } else {
            let method = if file.compression() == zip::CompressionMethod::Stored {
                METHOD_STORED
            } else {
                METHOD_DEFLATE
            };
            let (crc, size) = (file.crc32(), file.size());
            let mut raw = Vec::with_capacity(usize::try_from(file.compressed_size()).unwrap_or(0));
            file.read_to_end(&mut raw)
                .map_err(|e| SheetXmlError::Zip(e.to_string()))?;
            out.add_raw(&name, method, &[&raw], crc, size);
        }
    }
    if pieces.next().is_some() {
        return Err(SheetXmlError::Shape(
            "una hoja de datos no está en el libro".into(),
        ));
    }
    out.finish()
}

const SST: &str = "xl/sharedStrings.xml";

fn entry_text(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<String, SheetXmlError> {
    let mut file = archive
        .by_name(name)
        .map_err(|e| SheetXmlError::Shape(format!("{name}: {e}")))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| SheetXmlError::Zip(format!("{name}: {e}")))?;
    Ok(text)
}

/// The shared-string table with the rows' strings appended; and the number of the first of
/// them.
fn merged_strings(xml: &str, strings: &Strings) -> Result<(String, u64), SheetXmlError> {
    let open_end = xml
        .find("<sst")
        .and_then(|i| xml[i..].find('>').map(|j| i + j))
        .ok_or_else(|| SheetXmlError::Shape("sharedStrings.xml sin <sst>".into()))?;
    let open = &xml[..open_end];
    let count = attribute(open, "count").unwrap_or(0);
    let unique = attribute(open, "uniqueCount").unwrap_or(0);
    let (body, close) = if open.ends_with('/') {
        ("", open_end + 1)
    } else {
        let close = xml
            .rfind("</sst>")
            .ok_or_else(|| SheetXmlError::Shape("sharedStrings.xml sin </sst>".into()))?;
        (&xml[open_end + 1..close], close + "</sst>".len())
    };
    let tag_start = xml.find("<sst").unwrap_or(0);
    let mut out =
        String::with_capacity(xml.len() + strings.list.iter().map(|s| s.len() + 40).sum::<usize>());
    out.push_str(&xml[..tag_start]);
    let attrs = strip_attribute(
        &strip_attribute(open[tag_start + 4..].trim_end_matches('/'), "count"),
        "uniqueCount",
    );
    out.push_str(&format!(
        "<sst{} count=\"{}\" uniqueCount=\"{}\">",
        attrs.trim_end(),
        count + strings.uses,
        unique + strings.list.len() as u64
    ));
    out.push_str(body);
    for s in &strings.list {
        out.push_str("<si><t xml:space=\"preserve\">");
        escape_text(s, &mut out);
        out.push_str("</t></si>");
    }
    out.push_str("</sst>");
    out.push_str(&xml[close..]);
    Ok((out, unique))
}

/// A numeric attribute of an element's opening text.
fn attribute(open: &str, name: &str) -> Option<u64> {
    let key = format!(" {name}=\"");
    let at = open.find(&key)? + key.len();
    let end = open[at..].find('"')? + at;
    open[at..end].parse().ok()
}

fn strip_attribute(open: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    match open.find(&key) {
        Some(at) => match open[at + key.len()..].find('"') {
            Some(end) => format!("{}{}", &open[..at], &open[at + key.len() + end + 1..]),
            None => open.to_string(),
        },
        None => open.to_string(),
    }
}

/// Text as XML character data, with the control characters XML 1.0 cannot hold written as
/// Excel's `_xHHHH_` escapes (and a literal `_x` that would read as one escaped itself).
fn escape_text(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    for (i, ch) in s.char_indices() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("_x{:04X}_", c as u32))
            }
            '_' if looks_like_escape(&bytes[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
}

fn looks_like_escape(b: &[u8]) -> bool {
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// A sheet from the workbook writer, cut where its rows go.
struct Frame {
    /// Up to the end of the header row, with the dimension covering the rows.
    head: String,
    /// `</sheetData>` and what follows.
    tail: String,
    /// Each column's style (`s` of its cells): a column's number format, such as the date
    /// format, applies to a cell only through it.
    styles: Vec<Option<u32>>,
}

impl Frame {
    fn new(xml: &str, entry: &str, rows: usize) -> Result<Frame, SheetXmlError> {
        let shape = |what: &str| SheetXmlError::Shape(format!("{entry}: {what}"));
        let (head, tail) = if let Some(at) = xml.find("</sheetData>") {
            (&xml[..at], &xml[at..])
        } else if let Some(at) = xml.find("<sheetData/>") {
            // An empty sheet: open the element ourselves.
            return Frame::new(
                &format!(
                    "{}<sheetData></sheetData>{}",
                    &xml[..at],
                    &xml[at + "<sheetData/>".len()..]
                ),
                entry,
                rows,
            );
        } else {
            return Err(shape("sin <sheetData>"));
        };
        let mut head = head.to_string();
        // The dimension: the header row's columns, down to the last row.
        if let Some(at) = head.find("<dimension ref=\"") {
            let start = at + "<dimension ref=\"".len();
            let end = head[start..]
                .find('"')
                .map(|e| e + start)
                .ok_or_else(|| shape("dimensión sin cerrar"))?;
            let old = head[start..end].to_string();
            let last_col = old
                .rsplit(':')
                .next()
                .unwrap_or(&old)
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
            let first = old.split(':').next().unwrap_or("A1").to_string();
            head.replace_range(start..end, &format!("{first}:{last_col}{}", rows + 1));
        }
        Ok(Frame {
            styles: column_styles(&head),
            head,
            tail: tail.to_string(),
        })
    }
}

/// `style` of each `<col min max>` of a sheet, by column (0-based).
fn column_styles(head: &str) -> Vec<Option<u32>> {
    let mut styles = Vec::new();
    let Some(cols_at) = head.find("<cols>") else {
        return styles;
    };
    let cols_end = head[cols_at..]
        .find("</cols>")
        .map_or(head.len(), |e| e + cols_at);
    for col in head[cols_at..cols_end].split("<col ").skip(1) {
        let open = format!(" {}", col.split('>').next().unwrap_or(""));
        let (Some(min), Some(max), Some(style)) = (
            attribute(&open, "min"),
            attribute(&open, "max"),
            attribute(&open, "style"),
        ) else {
            continue;
        };
        for c in min.max(1)..=max.min(16_384) {
            let i = (c - 1) as usize;
            if styles.len() <= i {
                styles.resize(i + 1, None);
            }
            styles[i] = u32::try_from(style).ok();
        }
    }
    styles
}

/// Rows of one sheet to turn into XML and compress.
struct Job {
    body: usize,
    rows: Range<usize>,
    /// The sheet row number of the first of them (the header is row 1).
    first_row_number: usize,
}

/// A compressed piece and what the zip entry needs of it.
struct Piece {
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

/// Every job's rows as XML, deflated on rayon's pool; the pieces in the jobs' order.
fn compress_pieces(
    jobs: &[Job],
    bodies: &[SheetBody<'_>],
    frames: &[Frame],
    offset: u64,
    level: u32,
) -> Result<Vec<Piece>, SheetXmlError> {
    use rayon::prelude::*;
    jobs.par_iter()
        .map_init(Vec::new, |xml, job| {
            xml.clear();
            rows_xml(
                bodies[job.body].rows,
                job.rows.clone(),
                job.first_row_number,
                &frames[job.body].styles,
                offset,
                xml,
            );
            deflate_piece(xml, level, false)
        })
        .collect()
}

/// The `<row>` elements of `rows`. A cell carries its reference (`r`) only after a gap: a cell
/// without one is the next column, which keeps a sheet of half a million rows a third smaller.
fn rows_xml(
    rows: &Rows,
    range: Range<usize>,
    first_row_number: usize,
    styles: &[Option<u32>],
    offset: u64,
    out: &mut Vec<u8>,
) {
    let style_attrs: Vec<Vec<u8>> = styles
        .iter()
        .map(|s| s.map_or_else(Vec::new, |s| format!(" s=\"{s}\"").into_bytes()))
        .collect();
    let mut number = String::new();
    for (k, i) in range.enumerate() {
        let row_number = first_row_number + k;
        out.extend_from_slice(b"<row r=\"");
        push_uint(out, row_number as u64);
        out.extend_from_slice(b"\">");
        let data = rows.row(i);
        let mut at = 0;
        let mut col = 0usize;
        let mut expected = 0usize;
        while at < data.len() {
            let tag = data[at];
            at += 1;
            let (value_kind, payload): (u8, &[u8]) = match tag {
                TAG_STRING | TAG_INTEGER => {
                    let p = data.get(at..at + 4).unwrap_or(&[0; 4]);
                    at += 4;
                    (tag, p)
                }
                TAG_NUMBER => {
                    let p = data.get(at..at + 8).unwrap_or(&[0; 8]);
                    at += 8;
                    (tag, p)
                }
                _ => (TAG_EMPTY, &[]),
            };
            if value_kind != TAG_EMPTY {
                out.extend_from_slice(b"<c");
                if col != expected {
                    out.extend_from_slice(b" r=\"");
                    push_column(out, col);
                    push_uint(out, row_number as u64);
                    out.push(b'"');
                }
                if let Some(s) = style_attrs.get(col) {
                    out.extend_from_slice(s);
                }
                match value_kind {
                    TAG_STRING => {
                        out.extend_from_slice(b" t=\"s\"><v>");
                        push_uint(
                            out,
                            offset
                                + u64::from(u32::from_le_bytes([
                                    payload[0], payload[1], payload[2], payload[3],
                                ])),
                        );
                    }
                    TAG_INTEGER => {
                        out.extend_from_slice(b"><v>");
                        push_uint(
                            out,
                            u64::from(u32::from_le_bytes([
                                payload[0], payload[1], payload[2], payload[3],
                            ])),
                        );
                    }
                    _ => {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(payload);
                        number.clear();
                        use std::fmt::Write;
                        let _ = write!(number, "{}", f64::from_le_bytes(b));
                        out.extend_from_slice(b"><v>");
                        out.extend_from_slice(number.as_bytes());
                    }
                }
                out.extend_from_slice(b"</v></c>");
                expected = col + 1;
            }
            col += 1;
        }
        out.extend_from_slice(b"</row>");
    }
}

fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Column letters: 0 → A, 25 → Z, 26 → AA.
fn push_column(out: &mut Vec<u8>, col: usize) {
    let mut letters = [0u8; 4];
    let mut i = letters.len();
    let mut n = col + 1;
    while n > 0 && i > 0 {
        i -= 1;
        letters[i] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    out.extend_from_slice(&letters[i..]);
}

/// Raw deflate of `input`: ended by a sync flush (so another piece can follow) or, for the
/// last piece of an entry, as the final block.
fn deflate_piece(input: &[u8], level: u32, last: bool) -> Result<Piece, SheetXmlError> {
    let mut c = Compress::new(Compression::new(level), false);
    let mut out: Vec<u8> = Vec::with_capacity(input.len() / 5 + 1024);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let consumed = usize::try_from(c.total_in())
            .unwrap_or(input.len())
            .min(input.len());
        let status = c
            .compress_vec(&input[consumed..], &mut out, flush)
            .map_err(|e| SheetXmlError::Deflate(e.to_string()))?;
        if status == Status::StreamEnd {
            break;
        }
        // A sync flush is complete when all input is in and the output did not fill up
        // (zlib's rule); a full output buffer just means: give it more room.
        let all_in = usize::try_from(c.total_in()).unwrap_or(0) == input.len();
        if !last && all_in && out.len() < out.capacity() {
            break;
        }
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    Ok(Piece {
        deflated: out,
        crc,
        len: input.len() as u64,
    })
}

const METHOD_STORED: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
/// MS-DOS date of 1980-01-01 00:00, the workbook writer's fixed timestamp: same bytes for the
/// same report.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

/// A zip archive written in memory (no ZIP64: a sheet holds at most 1,048,576 rows, far
/// below 4 GiB).
#[derive(Default)]
struct ZipOut {
    bytes: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
    too_large: bool,
}

impl ZipOut {
    fn add(&mut self, name: &str, method: u16, parts: &[Piece]) {
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        for p in parts {
            crc.combine(&p.crc);
            size += p.len;
        }
        let data: Vec<&[u8]> = parts.iter().map(|p| p.deflated.as_slice()).collect();
        self.add_raw(name, method, &data, crc.finalize(), size);
    }

    fn add_raw(&mut self, name: &str, method: u16, data: &[&[u8]], crc: u32, size: u64) {
        let compressed: usize = data.iter().map(|d| d.len()).sum();
        let (Ok(csize), Ok(usize_), Ok(offset), Ok(name_len)) = (
            u32::try_from(compressed),
            u32::try_from(size),
            u32::try_from(self.bytes.len()),
            u16::try_from(name.len()),
        ) else {
            self.too_large = true;
            return;
        };
        let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
        let b = &mut self.bytes;
        b.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        b.extend_from_slice(&20u16.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&method.to_le_bytes());
        b.extend_from_slice(&DOS_TIME.to_le_bytes());
        b.extend_from_slice(&DOS_DATE.to_le_bytes());
        b.extend_from_slice(&crc.to_le_bytes());
        b.extend_from_slice(&csize.to_le_bytes());
        b.extend_from_slice(&usize_.to_le_bytes());
        b.extend_from_slice(&name_len.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.reserve(compressed);
        for d in data {
            b.extend_from_slice(d);
        }

        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        c.extend_from_slice(&flags.to_le_bytes());
        c.extend_from_slice(&method.to_le_bytes());
        c.extend_from_slice(&DOS_TIME.to_le_bytes());
        c.extend_from_slice(&DOS_DATE.to_le_bytes());
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&csize.to_le_bytes());
        c.extend_from_slice(&usize_.to_le_bytes());
        c.extend_from_slice(&name_len.to_le_bytes());
        c.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.entries = self.entries.saturating_add(1);
    }

    fn finish(mut self) -> Result<Vec<u8>, SheetXmlError> {
        let (Ok(cd_offset), Ok(cd_size)) = (
            u32::try_from(self.bytes.len()),
            u32::try_from(self.central.len()),
        ) else {
            return Err(SheetXmlError::Shape("el libro pasa de 4 GiB".into()));
        };
        if self.too_large {
            return Err(SheetXmlError::Shape(
                "una parte del libro pasa de 4 GiB".into(),
            ));
        }
        self.bytes.extend_from_slice(&self.central);
        self.bytes.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.bytes.extend_from_slice(&[0; 4]);
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&cd_size.to_le_bytes());
        self.bytes.extend_from_slice(&cd_offset.to_le_bytes());
        self.bytes.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests;
