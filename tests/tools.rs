//! External checks of the report's outputs with the real tools a reviewer would use:
//! `frictionless validate` for the data package, poppler (`pdftotext`, `pdfinfo`) and
//! `qpdf --check` for the PDF, openpyxl for the workbook (`tests/inspect_xlsx.py`), and headless
//! Debian Chromium for the published `index.html` (`tests/check_links.py`).
//!
//! Each helper runs one tool and panics with what the tool said when the check fails, so a test
//! reads as a list of checks. A test first asks [`require_tool`] for each tool it needs: a
//! missing tool skips the test with a message, unless `PARTICIPA_REQUIRE_TOOLS=1` (CI), where it
//! fails with an install hint. `.ci/install-report-tools` installs them all; its Python venv is
//! found at `$PARTICIPA_TOOLS_VENV` (default `/opt/participa-report-tools`) before `PATH`.

// Each test binary uses only some of the helpers.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Default place of the venv that `.ci/install-report-tools` makes.
pub const DEFAULT_VENV: &str = "/opt/participa-report-tools";

/// The venv with frictionless and openpyxl.
pub fn venv() -> PathBuf {
    std::env::var_os("PARTICIPA_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_VENV))
}

/// `tests/` of the repository (the Python helper scripts).
fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn install_hint(name: &str) -> &'static str {
    match name {
        "pdftotext" | "pdfinfo" => "apt-get install -y poppler-utils (or run .ci/install-report-tools)",
        "qpdf" => "apt-get install -y qpdf (or run .ci/install-report-tools)",
        "chromium" => "apt-get install -y chromium (or run .ci/install-report-tools)",
        "frictionless" | "openpyxl" => "run .ci/install-report-tools (pip install frictionless openpyxl into the tools venv)",
        "python3" => "apt-get install -y python3",
        "spreadsheet-writers" => "run .ci/install-report-tools (pip install openpyxl xlwt odfpy xlsxwriter into the tools venv)",
        _ => "run .ci/install-report-tools",
    }
}

/// An executable file called `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// The Python that has openpyxl: the tools venv's, else `python3` on `PATH`.
fn python() -> Option<PathBuf> {
    let in_venv = venv().join("bin/python3");
    if in_venv.is_file() {
        return Some(in_venv);
    }
    on_path("python3")
}

/// Where a tool is, or why it is not usable.
fn locate(name: &str) -> Result<PathBuf, String> {
    let found = match name {
        "frictionless" => {
            let in_venv = venv().join("bin/frictionless");
            if in_venv.is_file() {
                Some(in_venv)
            } else {
                on_path("frictionless")
            }
        }
        "chromium" => std::env::var_os("PARTICIPA_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
            .or_else(|| on_path("chromium")),
        "openpyxl" => {
            let py = python().ok_or("python3 is not installed")?;
            let ok = Command::new(&py)
                .args(["-c", "import openpyxl"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            return match ok {
                Ok(s) if s.success() => Ok(py),
                _ => Err(format!("{} cannot import openpyxl", py.display())),
            };
        }
        "spreadsheet-writers" => {
            let py = python().ok_or("python3 is not installed")?;
            let ok = Command::new(&py)
                .args(["-c", "import openpyxl, xlwt, odf, xlsxwriter"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            return match ok {
                Ok(s) if s.success() => Ok(py),
                _ => Err(format!(
                    "{} cannot import openpyxl, xlwt, odf and xlsxwriter",
                    py.display()
                )),
            };
        }
        other => on_path(other),
    };
    found.ok_or_else(|| format!("{name} is not installed"))
}

/// True when `name` can run. When it cannot: prints why and returns false (the caller returns,
/// skipping the test), or, with `PARTICIPA_REQUIRE_TOOLS=1`, panics with an install hint.
pub fn require_tool(name: &str) -> bool {
    match locate(name) {
        Ok(_) => true,
        Err(why) => {
            let hint = install_hint(name);
            if std::env::var("PARTICIPA_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
                panic!("{why}; PARTICIPA_REQUIRE_TOOLS=1 requires it. Install: {hint}");
            }
            eprintln!(
                "skipped: {why} (install: {hint}; set PARTICIPA_REQUIRE_TOOLS=1 to fail instead)"
            );
            false
        }
    }
}

/// What one run of a tool printed.
pub struct ToolRun {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `program args`, killing it after `timeout`. Panics if it cannot start or runs too long.
fn run(program: &Path, args: &[&std::ffi::OsStr], timeout: Duration) -> ToolRun {
    let shown = format!(
        "{} {}",
        program.display(),
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{shown}`: {e}"));
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`{shown}` did not finish within {} s", timeout.as_secs());
            }
            Err(e) => panic!("waiting for `{shown}`: {e}"),
        }
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    ToolRun {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

fn tool(name: &str) -> PathBuf {
    locate(name).unwrap_or_else(|why| panic!("{why}. Install: {}", install_hint(name)))
}

/// The last `n` characters of `text` (tool output can be long).
fn tail(text: &str, n: usize) -> &str {
    let start = text
        .char_indices()
        .rev()
        .nth(n)
        .map(|(i, _)| i)
        .unwrap_or(0);
    &text[start..]
}

/// `frictionless validate --json DATAPACKAGE`: panics with every error unless the package and
/// each resource are valid. Returns the tool's JSON report.
pub fn frictionless_validate(datapackage: &Path) -> serde_json::Value {
    let run = run(
        &tool("frictionless"),
        &[
            "validate".as_ref(),
            "--json".as_ref(),
            datapackage.as_os_str(),
        ],
        Duration::from_secs(300),
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "frictionless validate {} printed no JSON report ({e}); exit {}\nstdout: {}\nstderr: {}",
            datapackage.display(),
            run.code,
            tail(&run.stdout, 3000),
            tail(&run.stderr, 3000)
        )
    });
    if report["valid"] != serde_json::Value::Bool(true) || run.code != 0 {
        let mut problems = Vec::new();
        let describe = |e: &serde_json::Value| {
            let mut s = format!(
                "{}: {}",
                e["type"].as_str().unwrap_or("?"),
                e["message"].as_str().unwrap_or("?")
            );
            if let Some(row) = e["rowNumber"].as_u64() {
                s.push_str(&format!(" (row {row})"));
            }
            s
        };
        for e in report["errors"].as_array().into_iter().flatten() {
            problems.push(format!("package: {}", describe(e)));
        }
        for task in report["tasks"].as_array().into_iter().flatten() {
            let name = task["name"].as_str().unwrap_or("?");
            let errors = task["errors"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for e in errors.iter().take(20) {
                problems.push(format!("{name}: {}", describe(e)));
            }
            if errors.len() > 20 {
                problems.push(format!("{name}: … and {} more", errors.len() - 20));
            }
        }
        panic!(
            "frictionless validate {}: not valid (exit {})\n{}\nstderr: {}",
            datapackage.display(),
            run.code,
            problems.join("\n"),
            tail(&run.stderr, 2000)
        );
    }
    report
}

/// The PDF's text as `pdftotext -layout` reads it (columns kept in place).
pub fn pdftotext(pdf: &Path) -> String {
    pdftotext_with(pdf, true)
}

/// The PDF's text in reading order (`pdftotext` without `-layout`).
pub fn pdftotext_raw(pdf: &Path) -> String {
    pdftotext_with(pdf, false)
}

fn pdftotext_with(pdf: &Path, layout: bool) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec!["-enc".as_ref(), "UTF-8".as_ref()];
    if layout {
        args.push("-layout".as_ref());
    }
    args.push(pdf.as_os_str());
    args.push("-".as_ref());
    let run = run(&tool("pdftotext"), &args, Duration::from_secs(120));
    assert_eq!(
        run.code,
        0,
        "pdftotext {} failed (exit {}): {}",
        pdf.display(),
        run.code,
        tail(&run.stderr, 2000)
    );
    run.stdout
}

/// `qpdf --check PDF`: panics unless qpdf finds the file sound (exit 0; warnings, exit 3, fail too).
pub fn qpdf_check(pdf: &Path) {
    let run = run(
        &tool("qpdf"),
        &["--check".as_ref(), pdf.as_os_str()],
        Duration::from_secs(120),
    );
    let what = match run.code {
        0 => return,
        2 => "errors",
        3 => "warnings",
        _ => "a failure",
    };
    panic!(
        "qpdf --check {}: {what} (exit {})\n{}\n{}",
        pdf.display(),
        run.code,
        tail(&run.stdout, 3000),
        tail(&run.stderr, 3000)
    );
}

/// `pdfinfo PDF` (UTF-8): `Title:`, `Author:`, `Pages:`, `Page size:`, … one per line.
pub fn pdfinfo(pdf: &Path) -> String {
    let run = run(
        &tool("pdfinfo"),
        &["-enc".as_ref(), "UTF-8".as_ref(), pdf.as_os_str()],
        Duration::from_secs(60),
    );
    assert_eq!(
        run.code,
        0,
        "pdfinfo {} failed (exit {}): {}",
        pdf.display(),
        run.code,
        tail(&run.stderr, 2000)
    );
    run.stdout
}

/// One field of [`pdfinfo`]'s output (`"Pages"` → `"12"`).
pub fn pdfinfo_field(info: &str, key: &str) -> Option<String> {
    info.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// The Python that has openpyxl (the tools' venv, else python3 on PATH).
pub fn venv_python() -> PathBuf {
    tool("openpyxl")
}

/// The Python with the spreadsheet writers (openpyxl, xlwt, odfpy, xlsxwriter) that the fixture
/// generators use; ask [`require_tool`]`("spreadsheet-writers")` first.
pub fn writers_python() -> PathBuf {
    tool("spreadsheet-writers")
}

/// What openpyxl sees in a workbook (`tests/inspect_xlsx.py`): `sheet_names`, `sheets[]` with
/// `name`, `max_row`, `max_column`, `freeze_panes`, `auto_filter`, `charts`, and `properties`
/// with `title`, `creator`, `subject`. Panics when openpyxl cannot open the file.
pub fn xlsx_inspect(xlsx: &Path) -> serde_json::Value {
    let py = tool("openpyxl");
    let script = scripts().join("inspect_xlsx.py");
    let run = run(
        &py,
        &[script.as_os_str(), xlsx.as_os_str()],
        Duration::from_secs(120),
    );
    assert_eq!(
        run.code,
        0,
        "inspect_xlsx.py {} failed (exit {}): {}",
        xlsx.display(),
        run.code,
        tail(&run.stderr, 3000)
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "inspect_xlsx.py printed no JSON ({e}): {}",
            tail(&run.stdout, 2000)
        )
    })
}

/// Loads `index.html` in headless Chromium from a throw-away HTTP server on 127.0.0.1 (serving
/// the folder above, so the page is read from a sub-path), then fetches every relative
/// href/src of the DOM Chromium built and wants 200 and the file's exact bytes; `#id` links
/// must name an element; nothing may come from elsewhere (`tests/check_links.py`). Panics with
/// every broken link. Returns the script's JSON report (`checked`, `external`, `lang`, `tags`).
pub fn chromium_check_links(index_html: &Path) -> serde_json::Value {
    check_links(index_html, false)
}

/// As [`chromium_check_links`], loading the page from `file://` and checking files exist.
pub fn chromium_check_links_file(index_html: &Path) -> serde_json::Value {
    check_links(index_html, true)
}

fn check_links(index_html: &Path, file_mode: bool) -> serde_json::Value {
    let chromium = tool("chromium");
    let py = python().unwrap_or_else(|| {
        panic!(
            "python3 is not installed. Install: {}",
            install_hint("python3")
        )
    });
    let script = scripts().join("check_links.py");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        script.as_os_str(),
        "--chromium".as_ref(),
        chromium.as_os_str(),
    ];
    if file_mode {
        args.push("--file".as_ref());
    }
    args.push(index_html.as_os_str());
    let run = run(&py, &args, Duration::from_secs(180));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "check_links.py printed no JSON ({e}); exit {}\nstdout: {}\nstderr: {}",
            run.code,
            tail(&run.stdout, 2000),
            tail(&run.stderr, 2000)
        )
    });
    if run.code != 0 {
        let errors: Vec<&str> = report["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_str())
            .collect();
        panic!(
            "{} in headless Chromium ({}): exit {}\n{}\nstderr: {}",
            index_html.display(),
            report["url"],
            run.code,
            errors.join("\n"),
            tail(&run.stderr, 2000)
        );
    }
    report
}

/// A one-page PDF with `text` (Latin-1) and a title, for checking the PDF helpers themselves.
pub fn tiny_pdf(text: &str, title: &str) -> Vec<u8> {
    fn latin1(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c if c.is_ascii() => c.to_string(),
                c if (c as u32) < 256 => format!("\\{:03o}", c as u32),
                _ => "?".to_string(),
            })
            .collect()
    }
    let content = format!("BT /F1 18 Tf 72 760 Td ({}) Tj ET", latin1(text));
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Title ({}) /Producer (participa tests) >>", latin1(title)),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The helpers themselves, on outputs made here: the published example folder (placeholder
/// PDF and XLSX bytes: its links and data package are what is checked), a hand-made PDF and a
/// workbook made with rust_xlsxwriter.
mod checks {
    use super::*;
    use participa::report::example::{example, ExampleRows};
    use participa::standard::Dataset;

    fn definitions() -> Vec<Dataset> {
        participa::config::embedded::DATASETS
            .iter()
            .map(|(n, text)| serde_json::from_str(text).unwrap_or_else(|e| panic!("{n}: {e}")))
            .collect()
    }

    /// Publishes March 2019 (50 rows per dataset) and February 2019 into `root/publicacion`.
    fn published_example(root: &Path) -> PathBuf {
        let folder = root.join("publicacion");
        let mut march = example(50);
        let mut rows = ExampleRows {
            rows_per_dataset: 50,
        };
        participa::report::publish::publish(
            &folder,
            &march,
            b"%PDF-1.7 placeholder",
            &mut || Ok(b"PK placeholder".to_vec()),
            &mut rows,
            &definitions(),
        )
        .expect("publish March");
        march.meta.period = "2019-02".into();
        march.meta.period_label = "febrero de 2019".into();
        march.meta.file_stem = "participa-2019-02-es".into();
        march.meta.period_start = chrono::NaiveDate::from_ymd_opt(2019, 2, 1).expect("date");
        march.meta.period_end = chrono::NaiveDate::from_ymd_opt(2019, 2, 28).expect("date");
        participa::report::publish::publish(
            &folder,
            &march,
            b"%PDF-1.7 placeholder",
            &mut || Ok(b"PK placeholder".to_vec()),
            &mut rows,
            &definitions(),
        )
        .expect("publish February");
        folder
    }

    #[test]
    fn the_published_folder_passes_frictionless_and_chromium() {
        let need_frictionless = require_tool("frictionless");
        let need_chromium = require_tool("chromium") && require_tool("python3");
        if !need_frictionless && !need_chromium {
            return;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let folder = published_example(tmp.path());
        if need_frictionless {
            for period in ["2019-03", "2019-02"] {
                let report = frictionless_validate(&folder.join(period).join("datapackage.json"));
                let rows: Vec<u64> = report["tasks"]
                    .as_array()
                    .expect("tasks")
                    .iter()
                    .filter_map(|t| t["stats"]["rows"].as_u64())
                    .collect();
                assert_eq!(rows, [50, 50], "{period}");
            }
        }
        if need_chromium {
            let report = chromium_check_links(&folder.join("index.html"));
            let files = report["checked"]
                .as_array()
                .expect("checked")
                .iter()
                .filter(|c| c["kind"] == "file")
                .count();
            // Per month: PDF and XLSX twice (overview and section), two CSVs, the data package.
            assert_eq!(files, 2 * 7, "{report:#}");
            assert_eq!(report["lang"], "es-AR");
        }
    }

    #[test]
    fn a_broken_link_or_package_is_reported() {
        let need_frictionless = require_tool("frictionless");
        let need_chromium = require_tool("chromium") && require_tool("python3");
        if !need_frictionless && !need_chromium {
            return;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let folder = published_example(tmp.path());
        std::fs::write(
            folder.join("2019-03/instancias.csv"),
            "programa,fecha\nx,not a date\n",
        )
        .expect("write");
        std::fs::remove_file(folder.join("2019-02/reconocimientos.csv")).expect("remove");
        if need_frictionless {
            let failure = std::panic::catch_unwind(|| {
                frictionless_validate(&folder.join("2019-03/datapackage.json"))
            });
            let message = failure
                .err()
                .and_then(|p| p.downcast_ref::<String>().cloned())
                .expect("frictionless must fail");
            assert!(
                message.contains("hash-count") || message.contains("label"),
                "{message}"
            );
        }
        if need_chromium {
            let failure =
                std::panic::catch_unwind(|| chromium_check_links(&folder.join("index.html")));
            let message = failure
                .err()
                .and_then(|p| p.downcast_ref::<String>().cloned())
                .expect("the link check must fail");
            assert!(message.contains("reconocimientos.csv"), "{message}");
        }
    }

    #[test]
    fn pdf_helpers_read_a_pdf() {
        if !(require_tool("pdftotext") && require_tool("pdfinfo") && require_tool("qpdf")) {
            return;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let pdf = tmp.path().join("tiny.pdf");
        std::fs::write(
            &pdf,
            tiny_pdf("Participación ciudadana 2019", "Informe de participación"),
        )
        .expect("write");
        qpdf_check(&pdf);
        assert!(pdftotext(&pdf).contains("Participación ciudadana 2019"));
        assert!(pdftotext_raw(&pdf).contains("Participación"));
        let info = pdfinfo(&pdf);
        assert_eq!(
            pdfinfo_field(&info, "Pages").as_deref(),
            Some("1"),
            "{info}"
        );
        assert_eq!(
            pdfinfo_field(&info, "Title").as_deref(),
            Some("Informe de participación"),
            "{info}"
        );

        let broken = tmp.path().join("broken.pdf");
        let bytes = tiny_pdf("x", "y");
        std::fs::write(&broken, &bytes[..bytes.len() / 2]).expect("write");
        assert!(
            std::panic::catch_unwind(|| qpdf_check(&broken)).is_err(),
            "a truncated PDF must fail qpdf --check"
        );
    }

    #[test]
    fn xlsx_inspect_reads_sheets_charts_and_properties() {
        if !require_tool("openpyxl") {
            return;
        }
        use rust_xlsxwriter::{Chart, ChartType, DocProperties, Workbook};
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("libro.xlsx");
        let mut wb = Workbook::new();
        wb.set_properties(
            &DocProperties::new()
                .set_title("Informe — marzo de 2019")
                .set_author("GCBA")
                .set_subject("Participación"),
        );
        let ws = wb.add_worksheet();
        ws.set_name("Resumen").expect("name");
        ws.write_row(0, 0, ["Comuna", "Participantes"])
            .expect("row");
        for i in 1..=15u32 {
            ws.write_number(i, 0, f64::from(i)).expect("cell");
            ws.write_number(i, 1, f64::from(i * 10)).expect("cell");
        }
        ws.set_freeze_panes(1, 0).expect("freeze");
        ws.autofilter(0, 0, 15, 1).expect("filter");
        let mut chart = Chart::new(ChartType::Column);
        chart
            .add_series()
            .set_values(("Resumen", 1, 1, 15, 1))
            .set_categories(("Resumen", 1, 0, 15, 0));
        ws.insert_chart(1, 3, &chart).expect("chart");
        wb.add_worksheet().set_name("instancias").expect("name");
        wb.save(&path).expect("save");

        let seen = xlsx_inspect(&path);
        assert_eq!(
            seen["sheet_names"],
            serde_json::json!(["Resumen", "instancias"])
        );
        let first = &seen["sheets"][0];
        assert_eq!(
            (first["max_row"].as_u64(), first["max_column"].as_u64()),
            (Some(16), Some(2)),
            "{seen:#}"
        );
        assert_eq!(first["freeze_panes"], "A2");
        assert_eq!(first["auto_filter"], "A1:B16");
        assert_eq!(first["charts"], 1);
        assert_eq!(seen["properties"]["title"], "Informe — marzo de 2019");
        assert_eq!(seen["properties"]["creator"], "GCBA");
        assert_eq!(seen["properties"]["subject"], "Participación");
    }
}
