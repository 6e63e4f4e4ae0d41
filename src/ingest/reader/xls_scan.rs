//! What reading a legacy .xls file will cost, found before calamine is asked to read it.
//!
//! Why: calamine reads an xls workbook whole at `Xls::new`. Each sheet's cells become a dense
//! range from its first to its last cell (`Range::from_sparse`), its DIMENSIONS record makes it
//! reserve rows × columns cells up front, and each LABELSST cell gets its own copy of the
//! shared string it names. A 5.6 KB file with one far corner cell asked for 1 GB; one whose
//! cells all name one long string, for many more. None of that can be bounded from outside once
//! calamine starts, so this module walks the same records first, allocating nothing per cell:
//!
//! - the CFB container (compound file) is read just enough to get the `Workbook` (or `Book`)
//!   stream, from the regular sectors or, for a stream under 4096 bytes, the mini stream, with
//!   every chain bounded by the sectors the file has (a cycle or a sector past the end is a
//!   damaged file, rejected here: calamine's own container reader would follow a cyclic chain
//!   until memory runs out);
//! - the globals substream gives each sheet's offset (BOUNDSHEET) and the shared strings' sizes
//!   (SST and its CONTINUE records, a string's characters possibly split across them);
//! - each sheet's records, from its BOF to its EOF (nested substreams such as charts skipped,
//!   as calamine skips them), give the extent of DIMENSIONS and of every cell record calamine
//!   keeps (NUMBER, LABEL, RSTRING, BOOLERR, RK, MULRK, LABELSST, FORMULA, and the STRING of a
//!   formula's text).
//!
//! Each sheet is charged to the file's [`Budget`] the largest of its DIMENSIONS area, its dense
//! extent and its number of cell records, in cells, the way calamine's wrapping arithmetic
//! computes them; text is charged for the shared strings once and again for every LABELSST
//! naming one, plus the text of LABEL, RSTRING and STRING records. Sheets add up, since calamine
//! holds every sheet at once. Over budget, the file is rejected ([`ReadError::OverBudget`])
//! without calamine ever seeing it.
//!
//! What this scan cannot parse in the records (a record cut short, an encrypted workbook) it
//! leaves to calamine, which walks the same records in the same order and fails at the same
//! place, before it reaches anything past it.

use super::{Budget, Limits, ReadError};

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector ids from here on are markers, not sectors.
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
/// Streams shorter than this live in the mini stream.
const MINI_STREAM_CUTOFF: u64 = 4096;
const MINI_SECTOR: usize = 64;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?
        .try_into()
        .ok()
        .map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)?
        .try_into()
        .ok()
        .map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)?
        .try_into()
        .ok()
        .map(u64::from_le_bytes)
}

fn damaged(what: &str) -> ReadError {
    ReadError::Corrupt(format!("contenedor OLE: {what}"))
}

/// Checks an xls file against its budget. `Ok` means calamine may read it: it fits, or it is
/// damaged in a way calamine reports itself.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let Some(stream) = workbook_stream(bytes)? else {
        // No workbook stream: calamine says so.
        return Ok(());
    };
    scan_workbook(&stream, &mut Budget::new(limits))
}

/// A chain of sectors of `size` bytes: `sector(id)` gives sector `id`'s bytes (the last one of
/// a file may be short), `next` the chain's links.
struct Sectors<'a> {
    data: &'a [u8],
    /// Where sector 0 starts in `data`.
    offset: usize,
    size: usize,
    /// The highest id that can exist.
    max_id: u64,
}

impl Sectors<'_> {
    fn sector(&self, id: u32) -> Result<&[u8], ReadError> {
        if u64::from(id) > self.max_id {
            return Err(damaged("un sector fuera del archivo"));
        }
        let start = (id as usize)
            .saturating_mul(self.size)
            .saturating_add(self.offset);
        let end = start.saturating_add(self.size).min(self.data.len());
        Ok(self.data.get(start..end).unwrap_or_default())
    }

    /// Up to `len` bytes of the chain from `start`. A chain longer than the sectors that exist
    /// loops: it is damaged.
    fn chain(&self, start: u32, links: &[u32], len: u64) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0u64;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        while id != ENDOFCHAIN {
            steps += 1;
            if steps > self.max_id.saturating_add(1) {
                return Err(damaged("una cadena de sectores sin fin"));
            }
            let sector = self.sector(id)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(sector.get(..take).unwrap_or_default());
            if out.len() >= len {
                break;
            }
            id = *links
                .get(id as usize)
                .ok_or_else(|| damaged("un sector sin enlace"))?;
        }
        Ok(out)
    }
}

fn to_u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .filter_map(|c| c.try_into().ok().map(u32::from_le_bytes))
}

/// The `Workbook` (or `Book`) stream of a compound file, found as calamine finds it; `None`
/// when there is neither.
fn workbook_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
    let header = bytes
        .get(..512)
        .ok_or_else(|| damaged("encabezado incompleto"))?;
    let size: usize = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err(damaged("tamaño de sector desconocido")),
    };
    if u16_at(header, 32) != Some(6) {
        return Err(damaged("tamaño de minisector desconocido"));
    }
    let version = u16_at(header, 26).unwrap_or_default();
    let field = |at| u32_at(header, at).ok_or_else(|| damaged("encabezado incompleto"));
    let (dir_start, mini_fat_start, mini_fat_len, difat_start) =
        (field(48)?, field(60)?, field(64)?, field(68)?);
    let sectors = Sectors {
        data: bytes,
        offset: size,
        size,
        max_id: (bytes.len() / size) as u64,
    };

    // The DIFAT: 109 FAT sector ids in the header, then a chain of sectors of them, each ending
    // with the next one's id.
    let mut difat: Vec<u32> = to_u32s(header.get(76..512).unwrap_or_default()).collect();
    let mut id = difat_start;
    let mut steps = 0u64;
    while id < RESERVED_SECTORS {
        steps += 1;
        if steps > sectors.max_id.saturating_add(1) {
            return Err(damaged("una cadena de sectores sin fin"));
        }
        difat.extend(to_u32s(sectors.sector(id)?));
        id = difat.pop().ok_or_else(|| damaged("DIFAT vacía"))?;
    }
    // More FAT sectors than the file has sectors: each would add a sector of links, gigabytes
    // from a small file.
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() as u64 > sectors.max_id.saturating_add(1) {
        return Err(damaged("más sectores de FAT que sectores"));
    }
    let mut fat = Vec::new();
    for id in fat_sectors {
        fat.extend(to_u32s(sectors.sector(id)?));
    }

    let directory = sectors.chain(dir_start, &fat, u64::MAX)?;
    let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
    let root = entries.first().ok_or_else(|| damaged("sin directorio"))?;
    let entry_start = |e: &[u8]| u32_at(e, 116).unwrap_or(ENDOFCHAIN);
    let entry_len = |e: &[u8]| {
        if size == 512 {
            u32_at(e, 120).map(u64::from)
        } else {
            u64_at(e, 120)
        }
        .unwrap_or_default()
    };
    if version != 3 && entry_start(root) == ENDOFCHAIN {
        return Err(damaged("directorio raíz vacío"));
    }
    let named = |wanted: &str| {
        entries.iter().find(|e| {
            let units = e
                .get(..64)
                .unwrap_or_default()
                .chunks_exact(2)
                .filter_map(|c| c.try_into().ok().map(u16::from_le_bytes))
                .take_while(|u| *u != 0);
            let name: String = char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .collect();
            name.eq_ignore_ascii_case(wanted)
        })
    };
    let Some(entry) = named("Workbook").or_else(|| named("Book")) else {
        return Ok(None);
    };
    let (start, len) = (entry_start(entry), entry_len(entry));
    if len < MINI_STREAM_CUTOFF {
        if mini_fat_len == 0 {
            return Err(damaged("sin minisectores"));
        }
        let mini_stream = sectors.chain(entry_start(root), &fat, entry_len(root))?;
        let mini_fat_bytes = u64::from(mini_fat_len).saturating_mul(size as u64);
        let mini_fat: Vec<u32> =
            to_u32s(&sectors.chain(mini_fat_start, &fat, mini_fat_bytes)?).collect();
        let minis = Sectors {
            data: &mini_stream,
            offset: 0,
            size: MINI_SECTOR,
            max_id: sectors.max_id.saturating_mul(8),
        };
        Ok(Some(minis.chain(start, &mini_fat, len)?))
    } else {
        Ok(Some(sectors.chain(start, &fat, len)?))
    }
}

/// One BIFF record with the CONTINUE records that follow it.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    continues: Vec<&'a [u8]>,
}

/// BIFF records as calamine splits them; `None` at the end or where a record is cut short
/// (calamine stops the file there).
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Records<'a> {
    fn split(&mut self) -> Option<(u16, &'a [u8])> {
        let typ = u16_at(self.stream, 0)?;
        let len = usize::from(u16_at(self.stream, 2)?);
        let data = self.stream.get(4..4 + len)?;
        self.stream = self.stream.get(4 + len..).unwrap_or_default();
        Some((typ, data))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;
    fn next(&mut self) -> Option<Record<'a>> {
        let (typ, data) = self.split()?;
        let mut continues = Vec::new();
        while self.stream.len() > 4 && u16_at(self.stream, 0) == Some(0x003C) {
            let (_, more) = self.split()?;
            continues.push(more);
        }
        Some(Record {
            typ,
            data,
            continues,
        })
    }
}

/// The sizes of the shared strings, in bytes as stored (one per character, or two for UTF-16),
/// read as calamine reads them; `None` where calamine would fail (it fails the file).
fn sst_sizes(record: &Record<'_>) -> Option<Vec<u64>> {
    let mut chunks = record.continues.iter().copied();
    let mut data = record.data.get(8..)?;
    let mut sizes = Vec::new();
    loop {
        if data.is_empty() {
            match chunks.next() {
                Some(next) => data = next,
                None => return Some(sizes),
            }
            if data.is_empty() {
                sizes.push(0);
                continue;
            }
        }
        let cch = u64::from(u16_at(data, 0)?);
        let flags = *data.get(2)?;
        data = data.get(3..)?;
        let mut runs = 0u64;
        if flags & 0x8 != 0 {
            runs = u64::from(u16_at(data, 0)?) * 4;
            data = data.get(2..)?;
        }
        let mut ext = 0u64;
        if flags & 0x4 != 0 {
            // calamine reads it as i32 and then as usize: a negative one is past any stream.
            ext = u64::from(u32_at(data, 0)?);
            data = data.get(4..)?;
        }
        // The characters, maybe continued in the next records, each starting with its own
        // high-byte flag.
        let mut wide = flags & 0x1 != 0;
        let mut left = cch;
        let mut size = 0u64;
        loop {
            let width = if wide { 2 } else { 1 };
            let here = left.min((data.len() / width) as u64);
            size += here * width as u64;
            data = data.get(here as usize * width..)?;
            left -= here;
            if left == 0 {
                break;
            }
            let next = chunks.next()?;
            wide = *next.first()? & 0x1 != 0;
            data = next.get(1..)?;
        }
        sizes.push(size);
        // Formatting runs and phonetic data, across records without flags.
        let mut skip = runs.saturating_add(ext);
        while skip > 0 {
            if data.is_empty() {
                data = chunks.next()?;
                if data.is_empty() {
                    continue;
                }
            }
            let here = skip.min(data.len() as u64);
            data = data.get(here as usize..)?;
            skip -= here;
        }
    }
}

/// Walks the globals, then every sheet, charging `budget`.
fn scan_workbook(stream: &[u8], budget: &mut Budget) -> Result<(), ReadError> {
    let mut sheets = Vec::new();
    let mut strings: Vec<u64> = Vec::new();
    for record in (Records { stream }) {
        match record.typ {
            // FILEPASS: encrypted; calamine says so.
            0x002F => return Ok(()),
            0x0085 => match u32_at(record.data, 0) {
                Some(pos) => sheets.push(pos as usize),
                None => return Ok(()),
            },
            0x00FC => match sst_sizes(&record) {
                Some(sizes) => {
                    budget.text(sizes.iter().sum())?;
                    strings = sizes;
                }
                None => return Ok(()),
            },
            0x000A => break,
            _ => {}
        }
    }
    for pos in sheets {
        // calamine slices the stream at this offset without checking it (a panic).
        let Some(sheet) = stream.get(pos..) else {
            return Err(ReadError::Corrupt(
                "una hoja empieza después del final del libro".to_string(),
            ));
        };
        scan_sheet(sheet, &strings, budget)?;
    }
    Ok(())
}

/// The cells a sheet's records make calamine hold.
#[derive(Default)]
struct Extent {
    /// First and last (row, column) of any cell.
    corners: Option<((u32, u32), (u32, u32))>,
    records: u64,
}

impl Extent {
    fn add(&mut self, row: u32, col: u32, cells: u64) {
        self.records = self.records.saturating_add(cells);
        self.corners = Some(match self.corners {
            None => ((row, col), (row, col)),
            Some(((r0, c0), (r1, c1))) => ((r0.min(row), c0.min(col)), (r1.max(row), c1.max(col))),
        });
    }

    /// Cells of the dense range calamine builds (`Range::from_sparse`).
    fn dense(&self) -> u64 {
        self.corners.map_or(0, |((r0, c0), (r1, c1))| {
            (u64::from(r1) - u64::from(r0) + 1).saturating_mul(u64::from(c1) - u64::from(c0) + 1)
        })
    }
}

/// The area DIMENSIONS makes calamine reserve, with calamine's arithmetic (`None`: a record
/// calamine refuses, which fails the file there).
fn dimensions(data: &[u8]) -> Option<u64> {
    let (rf, rl, mut cf, cl) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    // calamine subtracts in u32: an end before the start wraps to a huge count.
    let rows = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
    let cols = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
    Some(rows.saturating_mul(cols))
}

/// Scans one sheet from its BOF to its EOF and charges it.
fn scan_sheet(stream: &[u8], strings: &[u64], budget: &mut Budget) -> Result<(), ReadError> {
    let mut extent = Extent::default();
    let mut reserved = 0u64;
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut formula_at = (0u32, 0u32);
    for r in (Records { stream }) {
        if depth > 0 {
            match r.typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let at = || Some((u32::from(u16_at(r.data, 0)?), u32::from(u16_at(r.data, 2)?)));
        match r.typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x0200 => match dimensions(r.data) {
                Some(area) => reserved = reserved.max(area),
                None => break,
            },
            // NUMBER, BOOLERR, RK.
            0x0203 | 0x0205 | 0x027E => {
                if let Some((row, col)) = at() {
                    extent.add(row, col, 1);
                }
            }
            // LABEL, RSTRING: their text is in the record.
            0x0204 | 0x00D6 => {
                if let Some((row, col)) = at() {
                    extent.add(row, col, 1);
                    budget.text(r.data.len().saturating_sub(6) as u64)?;
                }
            }
            // LABELSST: a copy of the shared string for each cell.
            0x00FD => {
                let index = u32_at(r.data, 6).map(|i| i as usize);
                if let (Some((row, col)), Some(size)) = (at(), index.and_then(|i| strings.get(i))) {
                    extent.add(row, col, 1);
                    budget.text(*size)?;
                }
            }
            // MULRK: a run of numbers in one row. calamine computes `last - first + 1` in u16
            // (a panic when the run is reversed or spans every column): such a record is damage.
            0x00BD => {
                let last = r
                    .data
                    .len()
                    .checked_sub(2)
                    .and_then(|at| u16_at(r.data, at));
                let fits = matches!((u16_at(r.data, 2), last), (Some(first), Some(last)) if last >= first && last - first < u16::MAX);
                if !fits {
                    return Err(ReadError::Corrupt(
                        "una serie de números (MULRK) con columnas imposibles".to_string(),
                    ));
                }
                if let (Some((row, col)), true) = (at(), r.data.len() >= 6) {
                    let n = ((r.data.len() - 6) / 6) as u32;
                    if n > 0 {
                        extent.add(row, col, 0);
                        extent.add(row, col.saturating_add(n - 1), u64::from(n));
                    }
                }
            }
            0x0006 => {
                if let Some((row, col)) = at() {
                    formula_at = (row, col);
                    extent.add(row, col, 1);
                }
            }
            // STRING: a formula's text, in the formula's cell.
            0x0207 => {
                extent.add(formula_at.0, formula_at.1, 1);
                budget.text(r.data.len() as u64)?;
            }
            // MERGECELLS: calamine reads `count` ranges of 8 bytes with unchecked slices and a
            // u16 offset (a panic when the record is shorter or the count past 8,192).
            0x00E5 => {
                let fits = u16_at(r.data, 0).is_some_and(|count| {
                    count <= 8192 && r.data.len() >= 2 + 8 * usize::from(count)
                });
                if !fits {
                    return Err(ReadError::Corrupt(
                        "una lista de celdas combinadas (MERGECELLS) más corta de lo que dice"
                            .to_string(),
                    ));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    budget.cells(reserved.max(extent.dense()).max(extent.records))
}

#[cfg(test)]
pub mod tests;
