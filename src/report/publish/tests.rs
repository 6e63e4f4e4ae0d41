//! Tests of publishing: the folder, the data package, `resumen.json`, the index, languages,
//! and what a crash leaves.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::files::{recover, unique};
use super::index::write_index;
use super::resumen::Resumen;
use super::{publish, ASIDE_PREFIX, STAGE_PREFIX};
use crate::report::model::{Cell, Report, RowSource};
use crate::report::ReportError;

use crate::config::embedded::DATASETS;
use crate::report::example::{english, example, ExampleRows};
use crate::standard::Dataset;

const ROWS: u64 = 37;

fn definitions() -> Vec<Dataset> {
    DATASETS
        .iter()
        .filter_map(|(_, text)| serde_json::from_str::<Dataset>(text).ok())
        .collect()
}

fn february() -> Report {
    let mut r = example(ROWS);
    r.meta.period = "2019-02".into();
    r.meta.period_label = "febrero de 2019".into();
    r.meta.title = "Informe de rendición de cuentas — febrero de 2019".into();
    r.meta.period_start = NaiveDate::from_ymd_opt(2019, 2, 1).unwrap_or_default();
    r.meta.period_end = NaiveDate::from_ymd_opt(2019, 2, 28).unwrap_or_default();
    r.meta.issued_on = NaiveDate::from_ymd_opt(2019, 3, 4).unwrap_or_default();
    r.meta.file_stem = "participa-2019-02-es".into();
    r
}

fn publish_example(root: &Path, report: &Report, pdf: &[u8]) -> PathBuf {
    let mut rows = ExampleRows {
        rows_per_dataset: report.datasets.first().map(|d| d.row_count).unwrap_or(0),
    };
    match publish(
        root,
        report,
        pdf,
        &mut || Ok(b"PK placeholder xlsx".to_vec()),
        &mut rows,
        &definitions(),
    ) {
        Ok(p) => p,
        Err(e) => panic!("publish failed: {e}"),
    }
}

pub(super) fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hidden_leftovers(root: &Path) -> Vec<String> {
    fs::read_dir(root)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn two_months_newest_first_with_every_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("publicacion");
    let march = publish_example(&root, &example(ROWS), b"%PDF-1.7 march");
    publish_example(&root, &february(), b"%PDF-1.7 february");
    assert_eq!(march, root.join("2019-03"));

    let index = read(&root.join("index.html"));
    let (m, f) = (
        index.find("2019-03/participa-2019-03-es.pdf"),
        index.find("2019-02/participa-2019-02-es.pdf"),
    );
    assert!(
        m.is_some() && f.is_some() && m < f,
        "March must come before February:\n{index}"
    );
    assert!(index.starts_with("<!DOCTYPE html>\n<html lang=\"es-AR\">"));
    assert!(
        index.contains("<main>")
            && index.contains("<caption>")
            && index.contains("<th scope=\"col\">")
    );
    assert!(
        index.contains("8.144"),
        "key figures as the report writes them"
    );
    assert!(!index.contains("<script") && !index.contains("http://"));

    for (dataset, width) in [("instancias", 12), ("reconocimientos", 9)] {
        let path = march.join(format!("{dataset}.csv"));
        let bytes = fs::read(&path).expect("csv");
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().expect("header").len(), width);
        let records: Vec<csv::StringRecord> =
            reader.records().map(|r| r.expect("record")).collect();
        assert_eq!(records.len() as u64, ROWS, "{dataset}");
        assert!(bytes.windows(2).any(|w| w == b"\r\n"), "RFC 4180 line ends");
    }
    let instancias = read(&march.join("instancias.csv"));
    let first = instancias.lines().nth(1).expect("a data row");
    assert_eq!(
        first,
        "reunion_vecinos,2019-03-14,presencial,4,Almagro,,87,Seguridad y señalización en Núñez,ministerio-justicia-seguridad,ministerio-justicia-seguridad/comisarías_2019.xlsx,Marzo,2"
    );
    assert!(
        hidden_leftovers(&root).is_empty(),
        "{:?}",
        hidden_leftovers(&root)
    );
}

#[test]
fn the_package_describes_the_csvs_it_lists() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = publish_example(tmp.path(), &example(ROWS), b"%PDF-1.7");
    let package: Json = serde_json::from_str(&read(&dir.join("datapackage.json"))).expect("json");
    assert_eq!(package["profile"], "tabular-data-package");
    assert_eq!(package["name"], "participa-2019-03");
    assert_eq!(package["version"], "3f9a1c0d5e7b2a64");
    assert_eq!(package["created"], "2019-04-02T00:00:00Z");
    assert_eq!(package["licenses"][0]["name"], "CC-BY-4.0");
    let resources = package["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 2);
    for resource in resources {
        let path = dir.join(resource["path"].as_str().expect("path"));
        let bytes = fs::read(&path).expect("csv");
        assert_eq!(resource["bytes"], bytes.len() as u64);
        assert_eq!(
            resource["hash"],
            format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
        );
        let header = String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let names: Vec<&str> = resource["schema"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(names.join(","), header);
        for field in resource["schema"]["fields"].as_array().expect("fields") {
            let object = field.as_object().expect("object");
            assert!(
                object.keys().all(|k| !k.starts_with("participa:")),
                "{field}"
            );
        }
    }
    let types: Vec<(&str, &str)> = resources[1]["schema"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or(""),
                f["type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        types.contains(&("periodo", "yearmonth")) && types.contains(&("fuente_fila", "integer")),
        "{types:?}"
    );
    // Comuna is required by the standard, but a city-wide instance has none (the part's
    // `may_be_empty`): the package does not declare it required; programa stays required.
    assert_eq!(
        resources[0]["schema"]["fields"][3]["constraints"],
        json!({ "minimum": 1, "maximum": 15 })
    );
    assert_eq!(
        resources[0]["schema"]["fields"][0]["constraints"],
        json!({ "required": true })
    );

    let resumen: Resumen = serde_json::from_str(&read(&dir.join("resumen.json"))).expect("resumen");
    assert_eq!(
        resumen.datapackage.sha256,
        hex::encode(Sha256::digest(
            fs::read(dir.join("datapackage.json")).expect("read")
        ))
    );
    assert_eq!(resumen.editions.len(), 1);
    assert_eq!(resumen.editions[0].figures[1].value_text, "8.144");
    assert_eq!(resumen.editions[0].figures[1].value, json!(8144));
    assert_eq!(resumen.editions[0].pdf.bytes, 8);
}

#[test]
fn republishing_a_month_replaces_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let dir = publish_example(root, &example(ROWS), b"%PDF-1.7 first");
    fs::write(dir.join("stray.txt"), b"left by hand").expect("write");
    let mut second = example(5);
    second.meta.data_version = "00000000000000ff".into();
    let again = publish_example(root, &second, b"%PDF-1.7 second version");
    assert_eq!(dir, again);
    assert_eq!(
        fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"),
        b"%PDF-1.7 second version"
    );
    assert!(
        !dir.join("stray.txt").exists(),
        "the whole folder is replaced"
    );
    assert_eq!(read(&dir.join("instancias.csv")).lines().count(), 6);
    assert!(read(&root.join("index.html")).contains("00000000000000ff"));
    assert!(hidden_leftovers(root).is_empty());
    let periods: Vec<_> = fs::read_dir(root)
        .expect("dir")
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    assert_eq!(periods.len(), 1);
}

#[test]
fn both_languages_of_a_period_are_listed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    publish_example(root, &english(example(ROWS)), b"%PDF en");
    let dir = publish_example(root, &example(ROWS), b"%PDF es");
    let resumen: Resumen = serde_json::from_str(&read(&dir.join("resumen.json"))).expect("resumen");
    let langs: Vec<&str> = resumen.editions.iter().map(|e| e.lang.as_str()).collect();
    assert_eq!(langs, ["es", "en"]);
    assert!(
        dir.join("participa-2019-03-en.pdf").is_file()
            && dir.join("participa-2019-03-es.pdf").is_file()
    );
    let index = read(&root.join("index.html"));
    assert!(
        index.contains("<tr lang=\"en\">") && index.contains("participa-2019-03-en.xlsx"),
        "{index}"
    );
    publish_example(root, &english(example(ROWS)), b"%PDF en 2");
    let package: Json = serde_json::from_str(&read(&dir.join("datapackage.json"))).expect("json");
    assert_eq!(
        package["title"], "Informe de rendición de cuentas — marzo de 2019",
        "the Spanish edition's texts, whatever was published last"
    );

    // Another data version withdraws the other language rather than mix versions.
    let mut newer = example(ROWS);
    newer.meta.data_version = "1111111111111111".into();
    publish_example(root, &newer, b"%PDF es 2");
    assert!(!dir.join("participa-2019-03-en.pdf").exists());
    assert!(!read(&root.join("index.html")).contains("participa-2019-03-en"));
}

#[test]
fn broken_or_foreign_summaries_are_skipped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    for (folder, text) in [
        ("2020-01", "{ not json"),
        ("2020-02", "{\"format\":\"something-else\"}"),
        ("assets", ""),
    ] {
        fs::create_dir_all(root.join(folder)).expect("mkdir");
        fs::write(root.join(folder).join("resumen.json"), text).expect("write");
    }
    publish_example(root, &example(3), b"%PDF");
    let index = read(&root.join("index.html"));
    assert!(index.contains("2019-03/") && !index.contains("2020-0"));
    write_index(root).expect("index again");
}

#[test]
fn every_text_is_escaped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut report = example(2);
    report.meta.title = "<script>alert('x')</script> & co".into();
    report.summary[0].label = "\"><img src=x onerror=alert(1)>".into();
    let dir = publish_example(tmp.path(), &report, b"%PDF");
    let index = read(&tmp.path().join("index.html"));
    assert!(
        !index.contains("<script>") && !index.contains("<img"),
        "{index}"
    );
    assert!(index.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    assert!(dir.join("resumen.json").is_file());
}

#[test]
fn an_empty_root_gets_an_index_saying_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_index(tmp.path()).expect("index");
    let index = read(&tmp.path().join("index.html"));
    assert!(index.contains("Todavía no hay informes publicados."));
}

#[test]
fn unsafe_names_are_refused_and_leave_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut report = example(2);
    report.meta.period = "../2019-03".into();
    let mut rows = ExampleRows {
        rows_per_dataset: 2,
    };
    assert!(publish(
        tmp.path(),
        &report,
        b"",
        &mut || Ok(Vec::new()),
        &mut rows,
        &definitions()
    )
    .is_err());
    assert_eq!(fs::read_dir(tmp.path()).expect("dir").count(), 0);
}

#[test]
fn a_failing_row_source_leaves_the_published_month_alone() {
    struct Failing;
    impl RowSource for Failing {
        fn for_each_row(
            &mut self,
            _: &str,
            _: &mut dyn FnMut(&[Cell]) -> io::Result<()>,
        ) -> io::Result<()> {
            Err(io::Error::other("store gone"))
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = publish_example(tmp.path(), &example(3), b"%PDF old");
    let result = publish(
        tmp.path(),
        &example(3),
        b"%PDF new",
        &mut || Ok(Vec::new()),
        &mut Failing,
        &definitions(),
    );
    assert!(
        matches!(result, Err(ReportError::Rows { .. })),
        "{result:?}"
    );
    assert_eq!(
        fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"),
        b"%PDF old"
    );
    assert!(hidden_leftovers(tmp.path()).is_empty());
}

#[test]
fn a_crash_between_the_renames_is_undone_by_the_next_publish() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let dir = publish_example(root, &example(3), b"%PDF old");
    let aside = root.join(format!("{ASIDE_PREFIX}2019-03.{}", unique()));
    fs::rename(&dir, &aside).expect("set aside");
    fs::create_dir(root.join(format!("{STAGE_PREFIX}2019-03.{}", unique()))).expect("stage");
    recover(root, "2019-03").expect("recover");
    assert_eq!(
        fs::read(dir.join("participa-2019-03-es.pdf")).expect("pdf"),
        b"%PDF old"
    );
    assert!(hidden_leftovers(root).is_empty());
}
