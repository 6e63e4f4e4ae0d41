//! `participa report`: the monthly accountability report, checked the way its readers would
//! check it — the PDF's text against what `participa export` implies, the workbook opened by
//! openpyxl, the data package by `frictionless validate`, the index in headless Chromium.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::tools;
use crate::util::{fixtures, Workdir};

/// Early April 2019, Buenos Aires: March has closed.
const APRIL_2: &str = "2019-04-02T12:00:00-03:00";

fn samples() -> Workdir {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    w
}

fn report(w: &Workdir, now: &str, args: &[&str]) -> crate::util::Run {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let run = w.run_at(now, &all);
    assert_eq!(
        run.code, 0,
        "report failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run
}

fn pdf_path(w: &Workdir, period: &str, lang: &str) -> PathBuf {
    w.dir
        .join("informes")
        .join(format!("participa-{period}-{lang}.pdf"))
}

/// Spanish thousands: 8144 → «8.144».
fn es_int(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// True when some line of the text has `label` and then `value` as a separate word.
fn line_has(text: &str, label: &str, value: &str) -> bool {
    text.lines()
        .any(|l| l.contains(label) && l.split_whitespace().any(|w| w == value))
}

/// True when `value` is a word of the line holding `label` or of one of the next three lines:
/// a figure's value sits beside its label, which may wrap or carry a note below it.
fn near(text: &str, label: &str, value: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().enumerate().any(|(i, l)| {
        l.contains(label)
            && lines[i..(i + 4).min(lines.len())]
                .iter()
                .any(|l| l.split_whitespace().any(|w| w == value))
    })
}

fn num(r: &HashMap<String, String>, c: &str) -> f64 {
    r.get(c).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
}

#[test]
fn march_2019_pdf_holds_the_figures_export_implies_and_the_truth_file_states() {
    let w = samples();
    let run = report(&w, APRIL_2, &["--period", "2019-03"]);
    assert!(run.stdout.contains("marzo de 2019"), "{}", run.stdout);
    let pdf = pdf_path(&w, "2019-03", "es");
    assert!(
        tools::require_tool("qpdf") && tools::require_tool("pdftotext"),
        "skipped: no qpdf or pdftotext"
    );
    tools::qpdf_check(&pdf);
    let text = tools::pdftotext(&pdf);

    // What the exported datasets say about March 2019.
    let instancias = w.export("instancias");
    let march: Vec<_> = instancias
        .iter()
        .filter(|r| r["fecha"].starts_with("2019-03"))
        .collect();
    let participants: f64 = march.iter().map(|r| num(r, "participantes")).sum();
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("samples/truth.json")).expect("truth"),
    )
    .expect("json");
    assert_eq!(
        march.len() as i64,
        truth["events"]["by_month"]["2019-03"]["instancias"]
            .as_i64()
            .unwrap_or(-1)
    );
    assert_eq!(
        participants as i64,
        truth["events"]["by_month"]["2019-03"]["participantes"]
            .as_i64()
            .unwrap_or(-1)
    );
    let cumulative = instancias
        .iter()
        .filter(|r| r["fecha"].as_str() >= "2019-01" && r["fecha"].as_str() < "2019-04")
        .count();

    assert!(
        near(
            &text,
            "Instancias de participación — marzo",
            &march.len().to_string()
        ),
        "instances of March"
    );
    assert!(
        text.contains(&cumulative.to_string()) && text.contains("300"),
        "cumulative against the target of 300"
    );
    assert!(
        near(
            &text,
            "Participantes en el período",
            &es_int(participants as i64)
        ),
        "participants of March: {}",
        es_int(participants as i64)
    );
    let barrios: std::collections::BTreeSet<&str> = march
        .iter()
        .map(|r| r["barrio"].as_str())
        .filter(|b| !b.is_empty())
        .collect();
    assert!(
        near(&text, "Barrios alcanzados", &barrios.len().to_string()),
        "barrios reached: {}",
        barrios.len()
    );
    // Participants by comuna, each line of the table.
    let mut by_comuna: BTreeMap<String, f64> = BTreeMap::new();
    for r in &march {
        *by_comuna.entry(r["comuna"].clone()).or_default() += num(r, "participantes");
    }
    for (comuna, n) in &by_comuna {
        assert!(
            line_has(&text, &format!("Comuna {comuna}"), &es_int(*n as i64)),
            "comuna {comuna}: {n}"
        );
    }
    // Initiatives by state at the close of March.
    let iniciativas = w.export("iniciativas");
    for (estado, label) in [
        ("ganadora", "Ganadora"),
        ("en_ejecucion", "En ejecución"),
        ("finalizada", "Finalizada"),
        ("cancelada", "Cancelada"),
    ] {
        let n = iniciativas.iter().filter(|r| r["estado"] == estado).count();
        assert_eq!(
            Some(n as i64),
            truth["initiatives"]["by_estado"][estado].as_i64()
        );
        assert!(line_has(&text, label, &n.to_string()), "{label}: {n}");
    }
    // Recognition: enrolled and winners of March, by programme.
    let rec = w.export("reconocimientos");
    let enrolled: f64 = rec
        .iter()
        .filter(|r| r["periodo"] == "2019-03")
        .map(|r| num(r, "inscriptos"))
        .sum();
    let winners: f64 = rec
        .iter()
        .filter(|r| r["periodo"] == "2019-03")
        .map(|r| num(r, "ganadores"))
        .sum();
    assert!(
        enrolled > 0.0
            && text.contains(&es_int(enrolled as i64))
            && text.contains(&es_int(winners as i64)),
        "recognition {enrolled} / {winners}"
    );
    // Traceability: every source file of March, with its full SHA-256.
    for f in w.export("archivos") {
        if march.iter().any(|r| r["fuente_archivo"] == f["ruta"]) {
            assert!(
                text.replace(char::is_whitespace, "").contains(&f["sha256"]),
                "annex lacks {} {}",
                f["ruta"],
                f["sha256"]
            );
        }
    }
    // Rejected rows are reported with their cell and reason.
    let flowing = tools::pdftotext_raw(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flowing.contains("«-5» en la columna «Participantes» no puede ser menor que 0"),
        "the rejected row's reason"
    );
    // Metadata.
    let info = tools::pdfinfo(&pdf);
    assert!(
        info.contains("Informe de rendición de cuentas") && info.contains("Author:"),
        "{info}"
    );
}

#[test]
fn the_workbook_has_its_sheets_charts_and_the_month_rows() {
    let w = samples();
    report(&w, APRIL_2, &["--period", "2019-03"]);
    if !tools::require_tool("openpyxl") {
        return;
    }
    let xlsx = w.dir.join("informes/participa-2019-03-es.xlsx");
    let info = tools::xlsx_inspect(&xlsx);
    let sheets = info["sheets"].as_array().expect("sheets");
    let names: Vec<&str> = sheets.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names.first(), Some(&"Resumen"), "{names:?}");
    for needed in [
        "instancias",
        "iniciativas",
        "reconocimientos",
        "Filas rechazadas",
    ] {
        assert!(names.contains(&needed), "no sheet {needed}: {names:?}");
    }
    let sheet = |n: &str| sheets.iter().find(|s| s["name"] == n).expect("sheet");
    let march_rows = w
        .export("instancias")
        .iter()
        .filter(|r| r["fecha"].starts_with("2019-03"))
        .count() as i64;
    assert_eq!(
        sheet("instancias")["max_row"].as_i64(),
        Some(march_rows + 1),
        "header + March's rows"
    );
    assert!(
        sheet("instancias")["freeze_panes"].as_str().is_some(),
        "frozen header"
    );
    assert!(
        sheet("instancias")["auto_filter"]
            .as_str()
            .is_some_and(|f| !f.is_empty()),
        "filter"
    );
    let charts: i64 = sheets.iter().filter_map(|s| s["charts"].as_i64()).sum();
    assert!(
        sheet("Resumen")["charts"].as_i64() == Some(4),
        "the summary's four charts"
    );
    assert!(
        charts >= 12,
        "a native chart on each indicator sheet with something to draw: {charts}"
    );
    assert!(
        info["properties"]["title"]
            .as_str()
            .is_some_and(|t| t.contains("marzo de 2019")),
        "{}",
        info["properties"]
    );
}

#[test]
fn the_published_folder_validates_and_its_index_links_resolve() {
    let w = samples();
    report(&w, APRIL_2, &["--period", "2019-02"]);
    report(&w, APRIL_2, &["--period", "2019-03"]);
    report(&w, APRIL_2, &["--period", "2019-03", "--lang", "en"]);
    let root = w.dir.join("publicacion");
    let month = root.join("2019-03");
    for f in [
        "participa-2019-03-es.pdf",
        "participa-2019-03-es.xlsx",
        "participa-2019-03-en.pdf",
        "instancias.csv",
        "iniciativas.csv",
        "reconocimientos.csv",
        "datapackage.json",
    ] {
        assert!(
            month.join(f).is_file(),
            "{f} missing in {}",
            month.display()
        );
    }
    let csv = std::fs::read_to_string(month.join("instancias.csv")).expect("csv");
    let march_rows = w
        .export("instancias")
        .iter()
        .filter(|r| r["fecha"].starts_with("2019-03"))
        .count();
    assert_eq!(csv.lines().count(), march_rows + 1);
    let index = std::fs::read_to_string(root.join("index.html")).expect("index");
    let (mar, feb) = (
        index.find("2019-03/").expect("march linked"),
        index.find("2019-02/").expect("february linked"),
    );
    assert!(mar < feb, "newest first");
    if tools::require_tool("frictionless") {
        tools::frictionless_validate(&month.join("datapackage.json"));
    }
    if tools::require_tool("chromium") {
        tools::chromium_check_links(&root.join("index.html"));
    }
}

fn sha(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

#[test]
fn rebuilding_a_closed_month_gives_the_same_document_and_new_data_a_new_version() {
    let w = samples();
    let first = report(&w, APRIL_2, &["--period", "2019-03"]);
    let pdf = pdf_path(&w, "2019-03", "es");
    let (pdf_sha, first_line) = (
        sha(&pdf),
        first.stdout.lines().next().unwrap_or_default().to_string(),
    );
    assert!(
        first_line.contains("2019-04-02"),
        "issued on the day of the first build: {first_line}"
    );
    // Months later, with nothing new: the same issue date, data version and bytes.
    let again = report(&w, "2019-09-15T10:00:00-03:00", &["--period", "2019-03"]);
    assert_eq!(again.stdout.lines().next().unwrap_or_default(), first_line);
    assert_eq!(sha(&pdf), pdf_sha, "a rebuild gives the same PDF");
    // A late file for March changes the data version, never the date of issue.
    w.drop_file(
        "ministerio-cultura/tardio.csv",
        "Programa,Fecha,Comuna,Participantes\nExperiencia BA,2019-03-30,4,12\n".as_bytes(),
    );
    w.ingest();
    let late = report(&w, "2019-09-15T10:00:00-03:00", &["--period", "2019-03"]);
    let late_line = late.stdout.lines().next().unwrap_or_default();
    assert!(late_line.contains("2019-04-02"), "{late_line}");
    assert_ne!(
        late_line, first_line,
        "the data version moves with the input"
    );
}

/// The date of issue is the day on the configured wall clock (`[programacion] zona_horaria`,
/// Buenos Aires in the example), whatever zone the machine that builds the report is set to.
#[test]
fn the_date_of_issue_is_the_configured_zones_day_wherever_the_report_is_built() {
    let w = Workdir::new();
    // 22:30 of March 31 in Buenos Aires; already April 1 in Tokyo and in UTC.
    let run: crate::util::Run = std::process::Command::new(env!("CARGO_BIN_EXE_participa"))
        .args(["report", "--period", "2019-03"])
        .current_dir(&w.dir)
        .env_remove("RUST_LOG")
        .env("PARTICIPA_NOW", "2019-04-01T01:30:00Z")
        .env("TZ", "Asia/Tokyo")
        .output()
        .expect("the participa binary runs")
        .into();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let first_line = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first_line.contains("2019-03-31"),
        "issued on March 31: {first_line}"
    );
    assert!(
        run.stderr.contains("todavía no cerró"),
        "March has not closed in Buenos Aires: {}",
        run.stderr
    );
}

#[test]
fn a_month_without_data_still_gives_a_report_that_says_so() {
    let w = samples();
    let run = report(&w, "2019-07-02T12:00:00-03:00", &["--period", "2019-06"]);
    assert!(
        run.stdout.contains("No se recibieron datos"),
        "{}",
        run.stdout
    );
    let pdf = pdf_path(&w, "2019-06", "es");
    assert!(pdf.is_file());
    if tools::require_tool("pdftotext") {
        let text = tools::pdftotext(&pdf);
        assert!(text.contains("No se recibieron datos"));
        // The cumulative count still stands at the end of June.
        let cumulative = w
            .export("instancias")
            .iter()
            .filter(|r| r["fecha"].as_str() >= "2019-01" && r["fecha"].as_str() <= "2019-06-30")
            .count();
        assert!(text.contains(&cumulative.to_string()));
    }
}

#[test]
fn quarters_years_and_english_are_reports_too_and_bad_periods_are_explained() {
    let w = samples();
    let q = report(&w, APRIL_2, &["--period", "2019-Q1", "--lang", "en"]);
    assert!(q.stdout.contains("First quarter of 2019"), "{}", q.stdout);
    let all: usize = w
        .export("instancias")
        .iter()
        .filter(|r| r["fecha"].starts_with("2019-0"))
        .count();
    assert!(
        q.stdout.contains(&all.to_string()),
        "the quarter counts every instance of January to March: {}",
        q.stdout
    );
    let bad = w.run(&["report", "--period", "marzo"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("2019-03"),
        "the error shows how to write a period: {}",
        bad.stderr
    );
}

#[test]
fn a_template_filled_by_a_clerk_reads_back_with_zero_errors() {
    let w = Workdir::new();
    if !tools::require_tool("openpyxl") {
        return;
    }
    for (dataset, organismo) in [
        ("instancias", "ministerio-cultura"),
        ("iniciativas", "secretaria-atencion-ciudadana"),
        ("reconocimientos", "ministerio-transporte"),
    ] {
        let template = w.dir.join(format!("plantilla-{dataset}.xlsx"));
        let run = w.run(&[
            "template",
            dataset,
            "-o",
            template.to_str().expect("utf-8"),
            "--organismo",
            organismo,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // The blank template is a valid file with nothing in it.
        let blank = w.run(&["validate", template.to_str().expect("utf-8")]);
        assert_eq!(blank.code, 0, "{}", blank.stdout);
        let info = tools::xlsx_inspect(&template);
        let names: Vec<&str> = info["sheet_names"]
            .as_array()
            .expect("names")
            .iter()
            .filter_map(|n| n.as_str())
            .collect();
        assert_eq!(names, [dataset, "Instrucciones", "Listas"]);
        // Filled with openpyxl from the template's own lists, 25 rows.
        let filled = w.inbox().join(organismo).join(format!("{dataset}.xlsx"));
        std::fs::create_dir_all(filled.parent().expect("folder")).expect("mkdir");
        let fill = std::process::Command::new(tools::venv_python())
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fill_template.py"))
            .args([&template, &filled])
            .arg("25")
            .output()
            .expect("python runs");
        assert!(
            fill.status.success(),
            "{}",
            String::from_utf8_lossy(&fill.stderr)
        );
        let check = w.run(&["validate", filled.to_str().expect("utf-8")]);
        assert_eq!(check.code, 0, "{}", check.stdout);
        assert!(
            check.stdout.contains("filas aceptadas: 25, rechazadas: 0"),
            "{}",
            check.stdout
        );
        assert!(
            !check.stdout.contains("Advertencias"),
            "no warnings either: {}",
            check.stdout
        );
        crate::util::set_age(&filled, std::time::Duration::from_secs(3600));
    }
    w.ingest();
    assert_eq!(w.export("instancias").len(), 25);
    assert_eq!(w.export("iniciativas").len(), 25);
    assert_eq!(w.export("reconocimientos").len(), 25);
    assert!(w.export("rechazos").is_empty());
    let bad = w.run(&["template", "eventos", "-o", "x.xlsx"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("instancias, iniciativas")
            || bad.stderr.contains("iniciativas, instancias"),
        "{}",
        bad.stderr
    );
}

/// City-wide instances as BA Data publishes them (its *Comisarías Cercanas* resource: neither a
/// comuna nor a barrio column, STANDARD.md §2; the header's trailing space is verbatim). Three
/// are of March: 176 + 151 + 312 = 639 participants.
const CITY_WIDE_CSV: &str =
    "\"Fecha de evento\",\"Evento\",\"Comisarias participantes\",\"Inscriptos \",\"Asistentes\"\n\
\"2019-03-07\",\"Comisarías Cercanas\",14,220,176\n\
\"2019-03-21\",\"Comisaría Cercana\",12,180,151\n\
\"2019-03-28\",\"Comisarías cercanas virtual\",54,400,312\n\
\"2019-04-04\",\"Comisarías Cercanas\",9,130,118";

/// Instances by comuna beside them: comuna 4 has 40 + 35 = 75 participants, comuna 14 has 97.
const BY_COMUNA_CSV: &str = "Programa,Fecha,Comuna,Barrio,Participantes\n\
Reuniones de vecinos,2019-03-05,4,Barracas,40\n\
BA Elige,2019-03-12,14,Palermo,97\n\
Experiencia BA,2019-03-20,4,Parque Patricios,35\n";

/// Every row of every sheet of a workbook that has a cell containing one of `needles`, as
/// `[sheet, cell, cell, …]` (empty cells left out), read by openpyxl with cached values.
fn xlsx_rows_with(xlsx: &Path, needles: &[&str]) -> Vec<Vec<serde_json::Value>> {
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
out = []
for ws in wb.worksheets:
    for row in ws.iter_rows(values_only=True):
        cells = [c if isinstance(c, (int, float, str)) else str(c) for c in row if c is not None]
        if any(isinstance(c, str) and any(n in c for n in sys.argv[2:]) for c in cells):
            out.append([ws.title] + cells)
print(json.dumps(out, ensure_ascii=False))
"#;
    let run = std::process::Command::new(tools::venv_python())
        .arg("-c")
        .arg(script)
        .arg(xlsx)
        .args(needles)
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).expect("json rows")
}

/// True when `row` (from [`xlsx_rows_with`]) has a cell equal to `text` followed by the number `n`.
fn row_says(row: &[serde_json::Value], text: &str, n: f64) -> bool {
    row.windows(2)
        .any(|w| w[0].as_str() == Some(text) && w[1].as_f64() == Some(n))
}

#[test]
fn city_wide_instances_are_their_own_line_in_the_pdf_and_the_workbook_and_reach_no_comuna() {
    let w = Workdir::new();
    w.drop_file(
        "jefatura-gabinete/participacion_ciudadana_comisarias_cercanas.csv",
        CITY_WIDE_CSV.as_bytes(),
    );
    w.drop_file(
        "ministerio-cultura/encuentros_marzo.csv",
        BY_COMUNA_CSV.as_bytes(),
    );
    w.ingest();

    // Stored and exported with an empty comuna and barrio.
    let instancias = w.export("instancias");
    let city: Vec<_> = instancias
        .iter()
        .filter(|r| r["fuente_archivo"].ends_with("comisarias_cercanas.csv"))
        .collect();
    assert_eq!(
        city.len(),
        4,
        "the city-wide sheet's rows are accepted (STANDARD.md §2: neither a comuna nor a barrio column); rejected: {:?}; files: {:?}",
        w.export("rechazos"),
        w.export("archivos")
    );
    assert!(
        city.iter()
            .all(|r| r["comuna"].is_empty() && r["barrio"].is_empty()),
        "{city:?}"
    );
    assert_eq!(instancias.len(), 7);

    report(&w, APRIL_2, &["--period", "2019-03"]);
    report(&w, APRIL_2, &["--period", "2019-03", "--lang", "en"]);
    assert!(
        tools::require_tool("qpdf") && tools::require_tool("pdftotext"),
        "skipped: no qpdf or pdftotext"
    );

    // The PDF: participants by comuna, comunas 4 and 14 then the city-wide line.
    let pdf = pdf_path(&w, "2019-03", "es");
    tools::qpdf_check(&pdf);
    let text = tools::pdftotext(&pdf);
    let lines: Vec<&str> = text.lines().collect();
    let at = |label: &str, value: &str| {
        lines
            .iter()
            .position(|l| l.contains(label) && l.split_whitespace().any(|w| w == value))
    };
    let (c4, c14, all) = (
        at("Comuna 4", "75"),
        at("Comuna 14", "97"),
        at("Toda la ciudad", "639"),
    );
    assert!(
        c4.is_some() && c14.is_some(),
        "comunas 4 and 14 in the table"
    );
    assert!(
        all.is_some_and(|a| Some(a) > c14),
        "«Toda la ciudad» 639 after comuna 14:\n{text}"
    );
    assert!(
        line_has(&text, "Participantes en el período", &es_int(75 + 97 + 639))
            || near(&text, "Participantes en el período", &es_int(811)),
        "811 participants"
    );
    // Comunas reached: 2 of 15; the city-wide instances are named apart, not a 16th comuna.
    assert!(
        near(&text, "Comunas alcanzadas", "2"),
        "two comunas reached:\n{text}"
    );
    let flowing = tools::pdftotext_raw(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flowing.contains("sin contar 3 instancias de «Toda la ciudad»"),
        "the reach figure's note"
    );
    assert!(
        flowing.contains(
            "Instancias de «Toda la ciudad» (sin comuna), fuera del alcance por comuna: 3."
        ),
        "the reach table's note"
    );
    assert!(!text.contains("(sin dato)"), "no unnamed line");
    let english = tools::pdftotext(&pdf_path(&w, "2019-03", "en"));
    assert!(
        line_has(&english, "Whole city", "639"),
        "the English line:\n{english}"
    );

    // The workbook: the same line in the table and in its chart's data, and the reach figure.
    if tools::require_tool("openpyxl") {
        let xlsx = w.dir.join("informes/participa-2019-03-es.xlsx");
        let rows = xlsx_rows_with(&xlsx, &["Toda la ciudad", "Comunas alcanzadas"]);
        let city_rows: Vec<_> = rows
            .iter()
            .filter(|r| row_says(r, "Toda la ciudad", 639.0))
            .collect();
        assert!(
            city_rows.len() >= 2,
            "the table line and the chart's data: {rows:?}"
        );
        assert!(
            city_rows.iter().all(|r| r[0]
                .as_str()
                .is_some_and(|s| s.contains("Participantes por comuna") || s == "Resumen")),
            "{city_rows:?}"
        );
        assert!(
            rows.iter()
                .any(|r| r[0] == "Resumen" && row_says(r, "Comunas alcanzadas", 2.0)),
            "comunas reached on the summary: {rows:?}"
        );
        assert!(
            !rows.iter().any(|r| r[0]
                .as_str()
                .is_some_and(|s| s.contains("Comunas alcanzadas"))
                && r.get(1).and_then(|c| c.as_str()) == Some("Toda la ciudad")),
            "no city line among the 15: {rows:?}"
        );
    }

    // The published folder: empty comunas in the CSV, a package that validates, the note on the page.
    let month = w.dir.join("publicacion/2019-03");
    let csv = std::fs::read_to_string(month.join("instancias.csv")).expect("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let comuna = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "comuna")
        .expect("comuna column");
    let empty = reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.get(comuna) == Some(""))
        .count();
    assert_eq!(empty, 3, "March's city-wide rows");
    let index = std::fs::read_to_string(w.dir.join("publicacion/index.html")).expect("index");
    assert!(
        index.contains("sin contar 3 instancias de «Toda la ciudad»"),
        "the page's summary"
    );
    if tools::require_tool("frictionless") {
        tools::frictionless_validate(&month.join("datapackage.json"));
    }
}
