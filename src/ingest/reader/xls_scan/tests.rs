use super::super::Spent;
use super::*;

/// A BIFF record.
pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
    out
}

/// A compound file holding `stream` as `Workbook`: in regular 512-byte sectors when it has
/// 4096 bytes or more, else in the mini stream. One FAT sector: streams up to about 60 KB.
pub fn cfb_of(stream: &[u8]) -> Vec<u8> {
    let sectors_of = |len: usize| len.div_ceil(512).max(1);
    let mini = stream.len() < 4096;
    let mut fat: Vec<u32> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let chain = |fat: &mut Vec<u32>, body: &mut Vec<u8>, bytes: &[u8]| -> u32 {
        let first = fat.len() as u32; // sector 0 is the FAT itself, listed first
        let n = sectors_of(bytes.len());
        for k in 0..n {
            fat.push(if k + 1 == n {
                ENDOFCHAIN
            } else {
                first + k as u32 + 1
            });
        }
        let mut padded = bytes.to_vec();
        padded.resize(n * 512, 0);
        body.extend(padded);
        first
    };
    fat.push(0xFFFF_FFFD); // the FAT sector
    let (stream_start, mini_stream_start, mini_fat_start, mini_stream_len) = if mini {
        let mut mini_stream = stream.to_vec();
        mini_stream.resize(stream.len().div_ceil(64) * 64, 0);
        let n = mini_stream.len() / 64;
        let mini_fat: Vec<u8> = (0..n)
            .flat_map(|k| if k + 1 == n { ENDOFCHAIN } else { k as u32 + 1 }.to_le_bytes())
            .collect();
        let ms = chain(&mut fat, &mut body, &mini_stream);
        let mf = chain(&mut fat, &mut body, &mini_fat);
        (0, ms, mf, mini_stream.len() as u32)
    } else {
        (
            chain(&mut fat, &mut body, stream),
            ENDOFCHAIN,
            ENDOFCHAIN,
            0,
        )
    };
    let entry = |name: &str, typ: u8, start: u32, len: u32| {
        let mut e = vec![0u8; 128];
        for (i, u) in name.encode_utf16().enumerate() {
            e[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[64..66].copy_from_slice(&((name.len() as u16 + 1) * 2).to_le_bytes());
        e[66] = typ;
        e[68..80].copy_from_slice(&[0xFF; 12]);
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&len.to_le_bytes());
        e
    };
    let mut dir = entry("Root Entry", 5, mini_stream_start, mini_stream_len);
    dir.extend(entry("Workbook", 2, stream_start, stream.len() as u32));
    dir.resize(512, 0);
    let dir_start = chain(&mut fat, &mut body, &dir);
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    header[26..28].copy_from_slice(&3u16.to_le_bytes());
    header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    header[30..32].copy_from_slice(&9u16.to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    header[44..48].copy_from_slice(&1u32.to_le_bytes());
    header[48..52].copy_from_slice(&dir_start.to_le_bytes());
    header[56..60].copy_from_slice(&4096u32.to_le_bytes());
    header[60..64].copy_from_slice(&mini_fat_start.to_le_bytes());
    header[64..68].copy_from_slice(&u32::from(mini).to_le_bytes());
    header[68..72].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
    for k in 0..109 {
        let id: u32 = if k == 0 { 0 } else { 0xFFFF_FFFF };
        header[76 + k * 4..80 + k * 4].copy_from_slice(&id.to_le_bytes());
    }
    let mut fat_sector: Vec<u8> = fat.iter().flat_map(|id| id.to_le_bytes()).collect();
    fat_sector.resize(512, 0xFF);
    let mut out = header;
    out.extend(fat_sector);
    out.extend(body);
    out
}

/// A BIFF8 workbook stream: globals (with `sst`, the SST record's data and its CONTINUEs, if
/// any) and one sheet made of `cells` (records).
pub fn workbook(sst: &[Vec<u8>], cells: &[Vec<u8>]) -> Vec<u8> {
    let bof = |dt: u16| {
        record(
            0x0809,
            &[&0x0600u16.to_le_bytes()[..], &dt.to_le_bytes(), &[0; 12]].concat(),
        )
    };
    let mut globals = bof(0x0005);
    globals.extend(record(0x0042, &1200u16.to_le_bytes()));
    let boundsheet_at = globals.len();
    globals.extend(record(
        0x0085,
        &[0, 0, 0, 0, 0, 0, 5, 0, b'H', b'o', b'j', b'a', b'1'],
    ));
    for (k, part) in sst.iter().enumerate() {
        globals.extend(record(if k == 0 { 0x00FC } else { 0x003C }, part));
    }
    globals.extend(record(0x000A, &[]));
    let sheet_at = globals.len() as u32;
    globals[boundsheet_at + 4..boundsheet_at + 8].copy_from_slice(&sheet_at.to_le_bytes());
    let mut stream = globals;
    stream.extend(bof(0x0010));
    for c in cells {
        stream.extend(c);
    }
    stream.extend(record(0x000A, &[]));
    stream
}

pub fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    record(
        0x0203,
        &[
            &row.to_le_bytes()[..],
            &col.to_le_bytes(),
            &[0x0F, 0],
            &value.to_le_bytes(),
        ]
        .concat(),
    )
}

pub fn label_sst(row: u16, col: u16, index: u32) -> Vec<u8> {
    record(
        0x00FD,
        &[
            &row.to_le_bytes()[..],
            &col.to_le_bytes(),
            &[0x0F, 0],
            &index.to_le_bytes(),
        ]
        .concat(),
    )
}

pub fn dimensions_record(rows: u32, cols: u16) -> Vec<u8> {
    record(
        0x0200,
        &[
            &0u32.to_le_bytes()[..],
            &rows.to_le_bytes(),
            &0u16.to_le_bytes(),
            &cols.to_le_bytes(),
            &[0, 0],
        ]
        .concat(),
    )
}

/// An SST record's data for `strings` (compressed characters), cut into records of at
/// most `max` bytes: a cut inside a string's characters starts the next record with the
/// high-byte flag.
pub fn sst(strings: &[&str], max: usize) -> Vec<Vec<u8>> {
    let n = strings.len() as u32;
    let mut parts = vec![[n.to_le_bytes(), n.to_le_bytes()].concat()];
    for s in strings {
        let header = [&(s.len() as u16).to_le_bytes()[..], &[0]].concat();
        if parts.last().map_or(0, Vec::len) + header.len() + 1 > max {
            parts.push(Vec::new());
        }
        if let Some(last) = parts.last_mut() {
            last.extend(header);
        }
        for b in s.bytes() {
            if parts.last().map_or(0, Vec::len) >= max {
                parts.push(vec![0]);
            }
            if let Some(last) = parts.last_mut() {
                last.push(b);
            }
        }
    }
    parts
}

fn limits(cells: u64, text: u64) -> Limits {
    Limits {
        max_cells_per_file: cells,
        max_text_bytes_per_file: text,
        ..Limits::default()
    }
}

fn read(stream: &[u8], limits: &Limits) -> Result<Vec<crate::standard::RawSheet>, ReadError> {
    super::super::read_bytes(&cfb_of(stream), "xls", limits)
}

#[test]
fn a_small_workbook_is_read_from_the_mini_stream_or_the_sectors() {
    for pad in [0usize, 300] {
        let cells: Vec<Vec<u8>> = (0..=pad as u16)
            .map(|r| number(r, 1, f64::from(r)))
            .collect();
        let stream = workbook(
            &sst(&["hola"], 8224),
            &[cells, vec![label_sst(0, 0, 0)]].concat(),
        );
        assert_eq!(stream.len() < 4096, pad == 0);
        let sheets = read(&stream, &Limits::default());
        assert!(
            sheets.as_ref().is_ok_and(|s| s[0].rows.len() == pad + 1),
            "{sheets:?}"
        );
        assert_eq!(check(&cfb_of(&stream), &Limits::default()), Ok(()));
    }
}

#[test]
fn a_far_corner_or_wide_dimensions_is_over_budget_before_calamine() {
    let far = workbook(&[], &[number(0, 0, 1.0), number(65_535, 255, 2.0)]);
    assert_eq!(
        read(&far, &Limits::default()),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 2_000_000
        })
    );
    // 65,536 × 256 exactly fits a budget that size.
    assert_eq!(check(&cfb_of(&far), &limits(65_536 * 256, 100)), Ok(()));
    let dims = workbook(&[], &[dimensions_record(1_000_000, 256), number(0, 0, 1.0)]);
    assert_eq!(check(&cfb_of(&dims), &limits(256_000_000, 100)), Ok(()));
    assert_eq!(
        check(&cfb_of(&dims), &limits(255_999_999, 100)),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            max: 255_999_999
        })
    );
    // An end before the start wraps in calamine's arithmetic: four billion rows.
    let backwards = workbook(
        &[],
        &[record(
            0x0200,
            &[
                &10u32.to_le_bytes()[..],
                &5u32.to_le_bytes(),
                &[0, 0, 2, 0, 0, 0],
            ]
            .concat(),
        )],
    );
    assert!(matches!(
        check(&cfb_of(&backwards), &Limits::default()),
        Err(ReadError::OverBudget {
            spent: Spent::Cells,
            ..
        })
    ));
}

#[test]
fn each_reference_to_a_shared_string_costs_its_length() {
    let long = "x".repeat(20_000);
    // Split across CONTINUE records inside the characters.
    let strings = sst(&["corto", &long], 8224);
    assert!(strings.len() >= 3);
    let cells: Vec<Vec<u8>> = (0..10).map(|r| label_sst(r, 0, 1)).collect();
    let stream = workbook(&strings, &cells);
    // The table once (20,005) and ten references (200,000).
    assert_eq!(check(&cfb_of(&stream), &limits(1_000, 220_005)), Ok(()));
    assert_eq!(
        check(&cfb_of(&stream), &limits(1_000, 220_004)),
        Err(ReadError::OverBudget {
            spent: Spent::Text,
            max: 220_004
        })
    );
    let sheets = read(&stream, &limits(1_000, 220_005)).unwrap_or_default();
    assert_eq!(sheets.first().map(|s| s.rows.len()), Some(10));
    // A reference to a string that is not there keeps nothing and costs nothing.
    assert_eq!(
        check(
            &cfb_of(&workbook(&strings, &[label_sst(0, 0, 9)])),
            &limits(1_000, 20_005)
        ),
        Ok(())
    );
}

#[test]
fn sst_sizes_follow_strings_across_continue_records() {
    let parts = sst(&["ab", "cdefgh", "ij"], 12);
    let record = Record {
        typ: 0x00FC,
        data: &parts[0],
        continues: parts[1..].iter().map(Vec::as_slice).collect(),
    };
    assert_eq!(sst_sizes(&record), Some(vec![2, 6, 2]));
}

#[test]
fn damaged_containers_are_rejected_here() {
    let good = cfb_of(&workbook(&[], &[number(0, 0, 1.0)]));
    // A directory chain that loops on itself.
    let mut cyclic = good.clone();
    let dir_start = u32_at(&cyclic, 48).unwrap_or_default() as usize;
    cyclic[512 + dir_start * 4..512 + dir_start * 4 + 4]
        .copy_from_slice(&(dir_start as u32).to_le_bytes());
    assert!(matches!(
        check(&cyclic, &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
    // A header cut short.
    assert!(matches!(
        check(&good[..300], &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
    // A FAT sector past the end.
    let mut far = good;
    far[76..80].copy_from_slice(&90_000u32.to_le_bytes());
    assert!(matches!(
        check(&far, &Limits::default()),
        Err(ReadError::Corrupt(_))
    ));
}

#[test]
fn every_real_xls_passes_the_scan() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            // fixtures/crashes holds damaged files on purpose.
            if path.is_dir() && !path.ends_with("crashes") {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xls"))
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut files,
    );
    walk(
        std::path::Path::new("/work/shared/samples/inbox"),
        &mut files,
    );
    for path in files {
        let bytes = std::fs::read(&path).unwrap_or_default();
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            assert_eq!(
                check(&bytes, &Limits::default()),
                Ok(()),
                "{}",
                path.display()
            );
            assert!(
                workbook_stream(&bytes).is_ok_and(|s| s.is_some()),
                "{}",
                path.display()
            );
        }
    }
}
