//! The seeded mutation smoke test of the readers: every small workbook and CSV of `fixtures/`,
//! damaged in ways a broken writer, a truncated copy or a hostile sender would damage it, must
//! come back as sheets or a `ReadError` — never a panic (`read_unguarded` is `read_bytes`
//! without its `catch_unwind`) and never more cells than the budget.
//! Seconds long, so it runs with every `cargo test`; the long runs are `cargo +nightly fuzz`
//! (RELIABILITY.md).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{read_unguarded, Limits};

/// A tiny deterministic generator (xorshift64*): the same seed damages the same bytes, so a
/// failure names a case that can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn fixture_files() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(extension(&path).as_str(), "xlsx" | "xls" | "ods" | "csv")
                && entry.metadata().is_ok_and(|m| m.len() <= 64 * 1024)
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Damage to the bytes of a file: flipped bytes, a cut, a repeated run, digits made huge.
fn damage_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(4) {
        0 => {
            for _ in 0..=rng.below(8) {
                let at = rng.below(bytes.len());
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        1 => bytes.truncate(rng.below(bytes.len())),
        2 => {
            let at = rng.below(bytes.len());
            let len = rng.below(64).min(bytes.len() - at.min(bytes.len()));
            let run: Vec<u8> = bytes[at..at + len].to_vec();
            for _ in 0..rng.below(50) {
                bytes.splice(at..at, run.iter().copied());
            }
        }
        _ => {
            // A digit somewhere becomes a long number: counts, repeats, sizes, row numbers.
            let digits: Vec<usize> = bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if !digits.is_empty() {
                let at = digits[rng.below(digits.len())];
                let huge = [
                    "99999999",
                    "1048576",
                    "4294967295",
                    "18446744073709551616",
                    "0",
                    "-1",
                ][rng.below(6)];
                bytes.splice(at..=at, huge.bytes());
            }
        }
    }
}

/// The parts of a zip package, in order; `None` when it is not one.
fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).ok()?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).ok()?;
        let name = file.name().ok()?.to_string();
        parts.push((name, data));
    }
    Some(parts)
}

fn zip_parts(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in parts {
        if out.start_file(name.as_str(), options).is_err() || out.write_all(data).is_err() {
            return Vec::new();
        }
    }
    out.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// Damage inside a package's XML parts, repacked with valid CRCs, so the XML parsers see it.
fn damage_package(parts: &mut [(String, Vec<u8>)], rng: &mut Rng) {
    let xml: Vec<usize> = parts
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| n.ends_with(".xml"))
        .map(|(i, _)| i)
        .collect();
    if xml.is_empty() {
        return;
    }
    let target = xml[rng.below(xml.len())];
    damage_bytes(&mut parts[target].1, rng);
}

/// The switches for hunting a crash by hand (RELIABILITY.md), read once; CI sets none.
struct Hunt {
    /// `PARTICIPA_MUTATIONS_SKIP=xls,csv`: extensions left out.
    skip: Vec<String>,
    /// `PARTICIPA_MUTATIONS_SAVE`: each damaged file written to /tmp.
    save: bool,
    /// `PARTICIPA_MUTATIONS_TRACE`: each case named on stderr.
    trace: bool,
    /// `PARTICIPA_MUTATIONS_KEEP_GOING`: every panicking case listed instead of the first failing.
    keep_going: bool,
}

impl Hunt {
    fn from_env() -> Hunt {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        Hunt {
            skip: var("PARTICIPA_MUTATIONS_SKIP")
                .map(|s| s.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            save: var("PARTICIPA_MUTATIONS_SAVE").is_some(),
            trace: var("PARTICIPA_MUTATIONS_TRACE").is_some(),
            keep_going: var("PARTICIPA_MUTATIONS_KEEP_GOING").is_some(),
        }
    }
}

#[test]
fn damaged_fixtures_never_panic_and_stay_within_the_budget() {
    let files = fixture_files();
    assert!(files.len() > 50, "fixtures found: {}", files.len());
    let limits = Limits::default();
    let mut cases = 0;
    let mut read_after_damage = 0;
    let hunt = Hunt::from_env();
    for (n, path) in files.iter().enumerate() {
        let ext = extension(path);
        if hunt.skip.contains(&ext) {
            continue;
        }
        let Ok(original) = std::fs::read(path) else {
            continue;
        };
        let parts = unzip(&original);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1));
        for round in 0..12 {
            let bytes = match &parts {
                Some(parts) if round % 2 == 0 => {
                    let mut parts = parts.clone();
                    damage_package(&mut parts, &mut rng);
                    zip_parts(&parts)
                }
                _ => {
                    let mut bytes = original.clone();
                    damage_bytes(&mut bytes, &mut rng);
                    bytes
                }
            };
            if bytes.is_empty() {
                continue;
            }
            cases += 1;
            if hunt.save {
                let _ = std::fs::write(format!("/tmp/mutation-{n}-{round}.{ext}"), &bytes);
            }
            if hunt.trace {
                eprintln!("{} round {round}", path.display());
            }
            let outcome = std::panic::catch_unwind(|| read_unguarded(&bytes, &ext, &limits));
            if outcome.is_err() && hunt.keep_going {
                eprintln!("PANIC {} round {round}", path.display());
                continue;
            }
            assert!(outcome.is_ok(), "{} round {round} panicked", path.display());
            if let Ok(Ok(sheets)) = outcome {
                read_after_damage += 1;
                let cells: usize = sheets
                    .iter()
                    .flat_map(|s| &s.rows)
                    .map(|r| r.cells.len())
                    .sum();
                assert!(
                    cells as u64 <= limits.max_cells_per_file,
                    "{} round {round}: {cells} cells",
                    path.display()
                );
            }
        }
    }
    assert!(cases > 500, "cases: {cases}");
    // Some damage leaves a readable file (a flipped letter in a cell): the readers are reached.
    assert!(
        read_after_damage > 50,
        "read after damage: {read_after_damage} of {cases}"
    );
}

/// Every file the mutation test or the fuzzer ever found crashing a reader (`fixtures/crashes/`,
/// listed in RELIABILITY.md) is now read or rejected without a panic, an abort or a hang.
#[test]
fn files_that_once_crashed_a_reader_no_longer_do() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/crashes");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        seen += 1;
        let outcome = std::panic::catch_unwind(|| {
            read_unguarded(&bytes, &extension(&path), &Limits::default())
        });
        assert!(outcome.is_ok(), "{} panicked", path.display());
    }
    assert!(seen >= 2, "crash fixtures found: {seen}");
}
