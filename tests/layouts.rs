//! Sheets laid out in ways nobody has seen, read the way a person reads them (STANDARD.md §3).
//!
//! `fixtures/random/make_layout_tree.py` writes, at test time, drop trees whose files vary how a
//! sheet is laid out and labelled — header words with qualifiers, units, abbreviations, capitals;
//! two-row headers under merged parents; headers below title lines and right of empty columns;
//! vertical merges in code columns; columns known only by their values; near misses that must
//! stay unused — with a truth computed from how each row was made, never by running participa.
//! Each seed is its own organismo folder (`seed-0001/…`, 2–3 small files); one ingest reads them
//! all and the four exports are compared per organismo and file with
//! `truth_by_organismo.json`: accepted rows (by sheet and row number), rejected rows with an
//! acceptable error code, sums, unknown (null) counts, filled text fields and group counts. A
//! failure names the seed, the file, its families and what differed.
//!
//! `PARTICIPA_LAYOUT_SEEDS=1-1000` runs other seeds than the default `1-200`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::tools;
use crate::util::{copy_tree, fixtures, Workdir, SETTLED};

type Row = HashMap<String, String>;

const DATASETS: [&str; 3] = ["instancias", "iniciativas", "reconocimientos"];

fn generator() -> PathBuf {
    fixtures().join("random").join("make_layout_tree.py")
}

/// Runs the generator into `out`; false (the test is skipped) when its Python is missing.
fn generate(out: &Path, args: &[&str]) -> bool {
    if !tools::require_tool("spreadsheet-writers") {
        return false;
    }
    let run = Command::new(tools::writers_python())
        .arg(generator())
        .arg(out)
        .args(args)
        .output()
        .expect("the generator runs");
    assert!(
        run.status.success(),
        "make_layout_tree.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    true
}

/// What participa made of a tree: the three datasets' rows by source file, and the rejected
/// rows by source file, `sheet!row` and the error codes given.
struct Read {
    rows: HashMap<(String, String), Vec<Row>>,
    rejected: HashMap<String, BTreeMap<String, BTreeSet<String>>>,
}

fn ingest(tree: &Path) -> Read {
    let w = Workdir::new();
    copy_tree(&tree.join("inbox"), &w.inbox(), SETTLED);
    w.ingest();
    let mut rows: HashMap<(String, String), Vec<Row>> = HashMap::new();
    for dataset in DATASETS {
        for r in w.export(dataset) {
            rows.entry((dataset.to_string(), r["fuente_archivo"].clone()))
                .or_default()
                .push(r);
        }
    }
    let mut rejected: HashMap<String, BTreeMap<String, BTreeSet<String>>> = HashMap::new();
    for r in w.export("rechazos") {
        let at = format!("{}!{}", r["fuente_hoja"], r["fuente_fila"]);
        rejected
            .entry(r["fuente_archivo"].clone())
            .or_default()
            .entry(at)
            .or_default()
            .insert(r["codigo"].clone());
    }
    Read { rows, rejected }
}

fn number(v: &str) -> f64 {
    v.trim().parse::<f64>().unwrap_or(0.0)
}

/// A group key as the truth writes it: comunas as integers, `field:month` as `YYYY-MM`.
fn group_key(value: &str, month: bool) -> String {
    if month {
        return value.chars().take(7).collect();
    }
    match value.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 => format!("{}", x as i64),
        _ => value.to_string(),
    }
}

fn shown<T: std::fmt::Debug>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<T> = items.into_iter().collect();
    if v.len() > 8 {
        format!("{:?}… ({} in all)", &v[..8], v.len())
    } else {
        format!("{v:?}")
    }
}

/// What differs between one file's truth and what participa read from it.
fn compare_file(
    want: &Value,
    rows: &[Row],
    rejected: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    let sheet = want["sheet"].as_str().unwrap_or_default();
    let want_rows: BTreeSet<String> = want["accepted_rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .map(|r| format!("{sheet}!{r}"))
        .collect();
    let got_rows: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{}!{}", r["fuente_hoja"], r["fuente_fila"]))
        .collect();
    if got_rows != want_rows || rows.len() != want_rows.len() {
        diffs.push(format!(
            "accepted {} rows, want {} (missing {}, unexpected {})",
            rows.len(),
            want_rows.len(),
            shown(want_rows.difference(&got_rows)),
            shown(got_rows.difference(&want_rows))
        ));
    }
    for (field, w) in want["sums"].as_object().into_iter().flatten() {
        let w = w.as_f64().unwrap_or(0.0);
        let got: f64 = rows
            .iter()
            .map(|r| number(r.get(field).map(String::as_str).unwrap_or("")))
            .fold(0.0, |a, b| a + b);
        if (got - w).abs() > 0.005 {
            diffs.push(format!("sum of {field} {got}, want {w}"));
        }
    }
    for (field, w) in want["nulls"].as_object().into_iter().flatten() {
        let got = rows
            .iter()
            .filter(|r| r.get(field).is_none_or(|v| v.is_empty()))
            .count() as u64;
        if Some(got) != w.as_u64() {
            diffs.push(format!("{field} unknown (empty) in {got} rows, want {w}"));
        }
    }
    for (field, w) in want["filled"].as_object().into_iter().flatten() {
        let got = rows
            .iter()
            .filter(|r| r.get(field).is_some_and(|v| !v.is_empty()))
            .count() as u64;
        if Some(got) != w.as_u64() {
            diffs.push(format!("{field} filled in {got} rows, want {w}"));
        }
    }
    for (key, w) in want["by"].as_object().into_iter().flatten() {
        let (field, month) = key
            .split_once(':')
            .map_or((key.as_str(), false), |(f, m)| (f, m == "month"));
        let mut got: BTreeMap<String, u64> = BTreeMap::new();
        for r in rows {
            *got.entry(group_key(
                r.get(field).map(String::as_str).unwrap_or(""),
                month,
            ))
            .or_default() += 1;
        }
        let w: BTreeMap<String, u64> = w
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
            .collect();
        if got != w {
            let differing: Vec<String> = got
                .keys()
                .chain(w.keys())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter(|k| got.get(*k) != w.get(*k))
                .map(|k| {
                    format!(
                        "{k:?}: {} want {}",
                        got.get(k).copied().unwrap_or(0),
                        w.get(k).copied().unwrap_or(0)
                    )
                })
                .collect();
            diffs.push(format!("rows by {key}: {}", shown(differing)));
        }
    }
    let empty = BTreeMap::new();
    let got_rej = rejected.unwrap_or(&empty);
    let want_rej = want["rejected"].as_object().cloned().unwrap_or_default();
    let got_keys: BTreeSet<&String> = got_rej.keys().collect();
    let want_keys: BTreeSet<&String> = want_rej.keys().collect();
    if got_keys != want_keys {
        diffs.push(format!(
            "rejected {} rows, want {} (missing {}, unexpected {})",
            got_keys.len(),
            want_keys.len(),
            shown(want_keys.difference(&got_keys)),
            shown(got_keys.difference(&want_keys))
        ));
    }
    for (at, codes) in &want_rej {
        let acceptable: BTreeSet<String> = codes
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        if let Some(got) = got_rej.get(at) {
            if got.is_disjoint(&acceptable) {
                diffs.push(format!(
                    "row {at} rejected with {got:?}, want one of {acceptable:?}"
                ));
            }
        }
    }
    diffs
}

/// The comparison of a whole tree, with a tally by layout family.
#[derive(Default)]
struct Outcome {
    organismos: usize,
    organismos_passed: usize,
    files: usize,
    files_passed: usize,
    /// family -> (files passed, files failed), over every file using it
    families: BTreeMap<String, (u32, u32)>,
    /// family -> (files passed, files failed), over files using that family alone
    alone: BTreeMap<String, (u32, u32)>,
    failures: Vec<String>,
}

impl Outcome {
    fn summary(&self) -> String {
        let mut s = format!(
            "{}/{} organismos (seeds) and {}/{} files read like their truth\n  {:<12} {:>14} {:>16}\n",
            self.organismos_passed, self.organismos, self.files_passed, self.files, "family", "files ok/fail", "alone ok/fail"
        );
        for (family, (ok, bad)) in &self.families {
            let (aok, abad) = self.alone.get(family).copied().unwrap_or((0, 0));
            s += &format!(
                "  {family:<12} {:>14} {:>16}\n",
                format!("{ok}/{bad}"),
                format!("{aok}/{abad}")
            );
        }
        s
    }
}

fn check_tree(tree: &Path) -> Outcome {
    let read = ingest(tree);
    let text = std::fs::read_to_string(tree.join("truth_by_organismo.json"))
        .expect("truth_by_organismo.json");
    let truth: Value = serde_json::from_str(&text).expect("the truth parses");
    let organismos = truth["organismos"].as_object().expect("organismos");
    let mut out = Outcome::default();
    let mut known_files = BTreeSet::new();
    for (org, o) in organismos {
        out.organismos += 1;
        let mut all_ok = true;
        for (rel, want) in o["files"].as_object().expect("files") {
            known_files.insert(rel.clone());
            let dataset = want["dataset"].as_str().expect("dataset");
            let rows = read
                .rows
                .get(&(dataset.to_string(), rel.clone()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut diffs = compare_file(want, rows, read.rejected.get(rel));
            for other in DATASETS.iter().filter(|d| **d != dataset) {
                if let Some(stray) = read.rows.get(&(other.to_string(), rel.clone())) {
                    diffs.push(format!("{} rows read as {other}", stray.len()));
                }
            }
            let families: Vec<String> = want["families"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            let ok = diffs.is_empty();
            out.files += 1;
            out.files_passed += usize::from(ok);
            for f in &families {
                let e = out.families.entry(f.clone()).or_default();
                if ok {
                    e.0 += 1
                } else {
                    e.1 += 1
                }
            }
            if let [only] = families.as_slice() {
                let e = out.alone.entry(only.clone()).or_default();
                if ok {
                    e.0 += 1
                } else {
                    e.1 += 1
                }
            }
            if !ok {
                all_ok = false;
                out.failures.push(format!(
                    "{org} (seed {}) {rel} [{dataset}, {}; {}]: {}",
                    o["seed"].as_str().unwrap_or("?"),
                    want["format"].as_str().unwrap_or("?"),
                    families.join("+"),
                    diffs.join("; ")
                ));
            }
        }
        out.organismos_passed += usize::from(all_ok);
    }
    let stray: BTreeSet<&String> = read
        .rows
        .keys()
        .map(|(_, f)| f)
        .chain(read.rejected.keys())
        .filter(|f| !known_files.contains(*f))
        .collect();
    if !stray.is_empty() {
        out.failures.push(format!(
            "rows from files the truth does not know: {stray:?}"
        ));
    }
    out
}

fn assert_read_like_truth(out: &Outcome, regenerate: &str) {
    if out.failures.is_empty() {
        eprintln!("{}", out.summary());
        return;
    }
    eprintln!("{}\n{}", out.summary(), out.failures.join("\n"));
    let shown: Vec<&str> = out.failures.iter().take(25).map(String::as_str).collect();
    panic!(
        "{}{} files differ from their truth{}:\n{}\n(regenerate a tree with: python3 fixtures/random/make_layout_tree.py OUT {regenerate})",
        out.summary(),
        out.failures.len(),
        if out.failures.len() > shown.len() { format!(" (the first {} below, all of them above)", shown.len()) } else { String::new() },
        shown.join("\n")
    );
}

/// 200 seeds (2–3 small files each, every family and their combinations, all formats), one
/// ingest, each organismo compared with its truth.
#[test]
fn two_hundred_seeds_of_unseen_layouts() {
    let seeds = std::env::var("PARTICIPA_LAYOUT_SEEDS").unwrap_or_else(|_| "1-200".to_string());
    let tmp = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    if !generate(tmp.path(), &["--seeds", &seeds]) {
        return;
    }
    eprintln!(
        "generated seeds {seeds} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let out = check_tree(tmp.path());
    eprintln!(
        "generated, ingested and compared in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_read_like_truth(&out, &format!("--seeds {seeds}"));
}

/// The committed example trees (`fixtures/layouts/seed-3`, `seed-5`, made with
/// `--example 3` and `--example 5`): each family alone in one organismo (one file per dataset),
/// and one mixed seed. Needs no Python.
#[test]
fn committed_example_trees() {
    let mut failures = Vec::new();
    let mut summaries = String::new();
    for tree in ["seed-3", "seed-5"] {
        let out = check_tree(&fixtures().join("layouts").join(tree));
        summaries += &format!("fixtures/layouts/{tree}: {}", out.summary());
        failures.extend(
            out.failures
                .into_iter()
                .map(|f| format!("fixtures/layouts/{tree}: {f}")),
        );
    }
    eprintln!("{summaries}\n{}", failures.join("\n"));
    assert!(
        failures.is_empty(),
        "{summaries}{} files differ from their truth:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One organismo whose three files (one per dataset) use only `family`.
fn family(family: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    if !generate(tmp.path(), &["--family", family, "--seeds", "1"]) {
        return;
    }
    let out = check_tree(tmp.path());
    assert_read_like_truth(&out, &format!("--family {family} --seeds 1"));
}

/// The control: STANDARD.md §2's header words in row 1, no merges.
#[test]
fn family_plain() {
    family("plain");
}

/// `Participantes (en personas)`, `Fecha de realización del encuentro`, `Cant. asist.`,
/// `Presupuesto en pesos`, `INSCRIPTOS (TOTAL)`, `Comuna Nº`, accents dropped.
#[test]
fn family_qualified_header_words() {
    family("qualifiers");
}

/// Merged parents of widths 1–6 over lower labels with extra words (`De 0 a 17 inclusive`,
/// `Hasta 17`, `18 a 29 años`, `Ubicación` over Comuna / Barrio, `Proyecto` over Código / Nombre).
#[test]
fn family_two_row_headers() {
    family("two_row");
}

/// The header below 1–8 title lines (merged banners, `Período: | …` lines) and right of 0–3
/// empty columns.
#[test]
fn family_offset_headers() {
    family("offset");
}

/// Programa, comuna, barrio and estado merged down over 2–12 rows; blank cells that are not
/// merged stay blank.
#[test]
fn family_vertical_merges() {
    family("vmerge");
}

/// `Dispositivo`, `Zona de intervención`, `Columna3`, `Jurisdicción`: the values say what the
/// column holds (programmes, barrios, comunas, dates).
#[test]
fn family_columns_known_by_their_values() {
    family("by_values");
}

/// `Comentarios` naming barrios, `Comisarías participantes` beside `Asistentes`, `Fecha de carga`,
/// `Monto ejecutado`, `Inscriptos dados de baja`, a `ColumnaN` of counts: none of them is read.
#[test]
fn family_near_misses_stay_unused() {
    family("near_miss");
}
