//! The follow-up of processes (issue 17; STANDARD.md §7, indicators 8 and 9), checked the way
//! its readers would: one initiatives file sent again and again over three months
//! (`fixtures/followup`: a state going backwards, a cancelled initiative, one never updated,
//! one sent twice in March) and instances with and without a result. The truth is computed here
//! from the fixture's construction (`construction.json`, the records its generator wrote) and
//! the standard's rule for snapshots, never from participa; then the PDF (pdftotext), the
//! workbook (openpyxl), the published history, data package and web pages must all say it.

mod truth;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::tools;
use crate::util::{copy_tree, fixtures, parse_csv, set_age, Workdir, SETTLED};
use truth::{
    code_names, construction, date, quoted_printable, states_at, transitions, until, updates,
    Construction, Instance,
};

/// Early April 2019: March has closed.
const APRIL_2: &str = "2019-04-02T12:00:00-03:00";

/// Drops each version of the initiatives file in turn and ingests it when it was sent, then
/// the instances; returns the working folder.
fn three_months(c: &Construction) -> Workdir {
    let w = Workdir::new();
    let target = w.inbox().join(&c.iniciativas.file);
    for version in &c.iniciativas.versions {
        let from = fixtures()
            .join("followup")
            .join(&version.folder)
            .join(&c.iniciativas.file);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&from, &target).expect("copy version");
        set_age(&target, SETTLED);
        let run = w.run_at(&version.sent, &["ingest"]);
        assert_eq!(run.code, 0, "ingest {}: {}", version.folder, run.stderr);
        assert!(
            run.stdout.contains(&format!(
                "{} filas aceptadas, 0 rechazadas",
                version.rows.len()
            )),
            "version {}: {}",
            version.folder,
            run.stdout
        );
    }
    copy_tree(&fixtures().join("followup/instancias"), &w.inbox(), SETTLED);
    let run = w.run_at(APRIL_2, &["ingest"]);
    assert_eq!(run.code, 0, "ingest instances: {}", run.stderr);
    for period in ["2019-03", "2019-02"] {
        let run = w.run_at(APRIL_2, &["report", "--period", period]);
        assert_eq!(
            run.code, 0,
            "report {period}: {}\n{}",
            run.stdout, run.stderr
        );
    }
    w
}

/// The text of the section headed `section` (its numbered heading, or a heading of that very
/// line; not its line in the contents) from the next `from` to the next `to` after it.
fn between<'t>(text: &'t str, section: &str, from: &str, to: &str) -> &'t str {
    let mut offset = 0;
    let mut base = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let numbered = t
            .strip_suffix(section)
            .and_then(|p| p.strip_suffix(". "))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if t == section || numbered {
            base = Some(offset);
            break;
        }
        offset += line.len();
    }
    let base = base.unwrap_or_else(|| panic!("no heading «{section}» in the text"));
    let start = base
        + text[base..]
            .find(from)
            .unwrap_or_else(|| panic!("no «{from}» after «{section}»"));
    let end = text[start..].find(to).map_or(text.len(), |e| start + e);
    &text[start..end]
}

/// The whitespace-separated words of the first line of `text` that starts with `label`
/// (leading spaces aside), after the label.
fn words_after<'t>(text: &'t str, label: &str) -> Vec<&'t str> {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line starting with «{label}» in:\n{text}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .collect()
}

/// Spanish percentage as the report writes it: 0.25 → «25,0 %».
fn es_percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0).replace('.', ",")
}

/// Every row of the workbook's sheets whose name contains `name`, cell values as JSON (dates
/// as ISO days), read by openpyxl.
fn xlsx_sheet(xlsx: &Path, name: &str) -> Vec<Vec<serde_json::Value>> {
    let script = r#"
import datetime, json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
out = []
for ws in wb.worksheets:
    if sys.argv[2] not in ws.title:
        continue
    for row in ws.iter_rows(values_only=True):
        out.append([c.date().isoformat() if isinstance(c, datetime.datetime) else c for c in row])
print(json.dumps(out, ensure_ascii=False))
"#;
    let run = std::process::Command::new(tools::venv_python())
        .arg("-c")
        .arg(script)
        .arg(xlsx)
        .arg(name)
        .output()
        .expect("python runs");
    assert!(
        run.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).expect("json rows")
}

fn report_file(w: &Workdir, period: &str, ext: &str) -> PathBuf {
    w.dir
        .join("informes")
        .join(format!("participa-{period}-es.{ext}"))
}

#[test]
fn three_months_of_one_follow_up_file_give_stages_transitions_and_trajectories() {
    let c = construction();
    let all = updates(&c);
    let estados = code_names("estados");
    let w = three_months(&c);
    let name = |code: &str| estados.get(code).map(|e| e.0.clone()).unwrap_or_default();
    let (march_start, march_close) = (date("2019-03-01"), date("2019-03-31"));
    let closes = [
        ("enero de 2019", "2019-01-31"),
        ("febrero de 2019", "2019-02-28"),
        ("marzo de 2019", "2019-03-31"),
    ];
    // The states the fixture takes, in the code list's order: the columns of the table.
    let mut seen: Vec<String> = all
        .values()
        .flat_map(|(_, l)| l.iter().map(|u| u.estado.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    seen.sort_by_key(|s| estados.get(s).map_or(i64::MAX, |e| e.1));
    let moves = transitions(&all, march_start, march_close);
    assert!(
        moves.contains_key(&(Some("en_ejecucion".into()), "ganadora".into()))
            && moves.contains_key(&(Some("ganadora".into()), "cancelada".into())),
        "the fixture has a state going backwards and a cancellation: {moves:?}"
    );
    let stale: Vec<(&String, i64)> = all
        .iter()
        .filter_map(|(id, (_, l))| {
            let last = until(l, march_close).last()?.clone();
            let days = (march_close - last.date).num_days();
            (days >= 90 && ["ganadora", "en_ejecucion"].contains(&last.estado.as_str()))
                .then_some((id, days))
        })
        .collect();
    assert_eq!(stale.len(), 1, "one initiative is never updated: {stale:?}");

    // The PDF.
    if tools::require_tool("pdftotext") {
        let text = tools::pdftotext(&report_file(&w, "2019-03", "pdf"));
        let table = between(
            &text,
            "Etapas y trayectorias de las iniciativas",
            "Al cierre de cada mes,",
            "Cada iniciativa cuenta",
        );
        let header: Vec<String> = seen.iter().map(|s| name(s)).collect();
        let header_line = table
            .lines()
            .find(|l| l.trim_start().starts_with("Mes"))
            .expect("header");
        let mut at = 0;
        for h in &header {
            at = header_line[at..]
                .find(h.as_str())
                .map(|p| at + p)
                .unwrap_or_else(|| panic!("column {h} in {header_line}"));
        }
        for (label, close) in closes {
            let counts = states_at(&all, date(close));
            let mut want: Vec<String> = seen
                .iter()
                .map(|s| counts.get(s).copied().unwrap_or(0).to_string())
                .collect();
            want.push(counts.values().sum::<u64>().to_string());
            assert_eq!(
                words_after(table, label),
                want,
                "states at the close of {label}"
            );
        }
        let moves_text = between(
            &text,
            "Etapas y trayectorias de las iniciativas",
            "\nCambios de estado en el período\n",
            "Fuentes de esta sección",
        );
        for ((from, to), n) in &moves {
            let from = from.as_deref().map_or("(primer reporte)".to_string(), name);
            assert!(
                moves_text.lines().any(|l| {
                    let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
                    l == format!("{from} {} {n}", name(to))
                }),
                "change {from} → {to}: {n} in\n{moves_text}"
            );
        }
        let changes: u64 = moves
            .iter()
            .filter(|((f, _), _)| f.is_some())
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            words_after(&text, "Cambios de estado en el período "),
            [changes.to_string().as_str(), "—"],
            "the section's figure"
        );
        // The annex: each change of March with its date, and the stale initiative.
        let annex = &text[text.rfind("Anexo: Etapas y trayectorias").expect("annex")..];
        for (id, (row, list)) in &all {
            let mut before: Option<String> = None;
            for u in until(list, march_close) {
                if u.date >= march_start && before.as_deref() != Some(u.estado.as_str()) {
                    let line = annex
                        .lines()
                        .find(|l| {
                            l.trim_start().starts_with(id.as_str())
                                && l.contains(&u.date.format("%d/%m/%Y").to_string())
                        })
                        .unwrap_or_else(|| panic!("no change of {id} on {} in the annex", u.date));
                    assert!(
                        line.contains(&row.titulo) && line.contains(&name(&u.estado)),
                        "{line}"
                    );
                    assert!(
                        line.contains(
                            &before
                                .as_deref()
                                .map_or("(primer reporte)".to_string(), name)
                        ),
                        "{line}"
                    );
                }
                before = Some(u.estado.clone());
            }
        }
        let stale_text = &annex[annex
            .find("Sin actualización hace 90 días")
            .expect("stale table")..];
        for (id, days) in &stale {
            let words = words_after(stale_text, id);
            assert_eq!(
                words.last().copied(),
                Some(days.to_string().as_str()),
                "{id}: {words:?}"
            );
        }
    }

    // The workbook: every update of every initiative, and the month table.
    if tools::require_tool("openpyxl") {
        let xlsx = report_file(&w, "2019-03", "xlsx");
        let rows = xlsx_sheet(&xlsx, "Trayectorias");
        let data: Vec<&Vec<serde_json::Value>> = rows
            .iter()
            .filter(|r| {
                r.get(1)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s.starts_with("BAE-"))
            })
            .collect();
        let total: usize = all.values().map(|(_, l)| until(l, march_close).len()).sum();
        assert_eq!(data.len(), total, "one row per update");
        for (id, (_, list)) in &all {
            let got: Vec<(String, String, Option<f64>)> = data
                .iter()
                .filter(|r| r[1].as_str() == Some(id.as_str()))
                .map(|r| {
                    (
                        r[4].as_str().unwrap_or_default().to_string(),
                        r[5].as_str().unwrap_or_default().to_string(),
                        r[6].as_f64(),
                    )
                })
                .collect();
            let want: Vec<(String, String, Option<f64>)> = until(list, march_close)
                .iter()
                .map(|u| {
                    (
                        u.date.to_string(),
                        name(&u.estado),
                        u.avance.map(|a| a / 100.0),
                    )
                })
                .collect();
            assert_eq!(got, want, "trajectory of {id}");
        }
        let stages = xlsx_sheet(&xlsx, "Etapas y trayectorias");
        for (label, close) in closes {
            let counts = states_at(&all, date(close));
            let row = stages
                .iter()
                .find(|r| r.first().and_then(|v| v.as_str()) == Some(label))
                .unwrap_or_else(|| panic!("no row {label} in the stages sheet"));
            let got: Vec<f64> = row[1..].iter().filter_map(|v| v.as_f64()).collect();
            let mut want: Vec<f64> = seen
                .iter()
                .map(|s| counts.get(s).copied().unwrap_or(0) as f64)
                .collect();
            want.push(counts.values().sum::<u64>() as f64);
            assert_eq!(got, want, "{label} in the workbook");
        }
    }

    // The published history: every update up to the close, the one in force marked.
    let month = w.dir.join("publicacion/2019-03");
    let history = parse_csv(
        &std::fs::read_to_string(month.join("iniciativas_historial.csv")).expect("history"),
    );
    for (id, (_, list)) in &all {
        let steps = until(list, march_close);
        let got: Vec<_> = history.iter().filter(|r| r["id"] == *id).collect();
        assert_eq!(got.len(), steps.len(), "{id}");
        for (k, (r, u)) in got.iter().zip(&steps).enumerate() {
            assert_eq!(r["fecha_actualizacion"], u.date.to_string(), "{id}");
            assert_eq!(r["estado"], u.estado, "{id}");
            let before = if k == 0 {
                String::new()
            } else {
                steps[k - 1].estado.clone()
            };
            assert_eq!(r["estado_anterior"], before, "{id}");
            let last = k + 1 == steps.len();
            assert_eq!(r["vigente"], last.to_string(), "{id}");
            let days = if last {
                (march_close - u.date).num_days().to_string()
            } else {
                String::new()
            };
            assert_eq!(r["dias_sin_actualizar"], days, "{id}");
        }
    }
    // February's report knows nothing of March: its history stops at the end of February.
    let february = parse_csv(
        &std::fs::read_to_string(w.dir.join("publicacion/2019-02/iniciativas_historial.csv"))
            .expect("history"),
    );
    let until_february: usize = all
        .values()
        .map(|(_, l)| until(l, date("2019-02-28")).len())
        .sum();
    assert_eq!(february.len(), until_february);
    if tools::require_tool("frictionless") {
        tools::frictionless_validate(&month.join("datapackage.json"));
    }

    // The comuna pages: each initiative of the comuna, with its every update.
    let page = std::fs::read_to_string(month.join("participa-2019-03-es-seguimiento.html"))
        .expect("follow-up page");
    let comunas: BTreeSet<i64> = all.values().map(|(r, _)| r.comuna).collect();
    for comuna in comunas {
        let file = format!("participa-2019-03-es-comuna-{comuna}.html");
        assert!(
            page.contains(&format!("href=\"{file}\"")),
            "the follow-up page links {file}"
        );
        let html = std::fs::read_to_string(month.join(&file)).expect("comuna page");
        for (id, (row, list)) in all.iter().filter(|(_, (r, _))| r.comuna == comuna) {
            let at = html
                .find(&format!("<dd>{id}</dd>"))
                .unwrap_or_else(|| panic!("{id} on {file}"));
            let section = &html[at..html[at..].find("</section>").map_or(html.len(), |e| at + e)];
            assert!(html[..at].contains(&row.titulo), "{id}'s title");
            let dates: Vec<String> = until(list, march_close)
                .iter()
                .map(|u| format!("<td>{}</td>", u.date.format("%d/%m/%Y")))
                .collect();
            assert_eq!(
                section.matches("<tr><td>").count(),
                dates.len(),
                "{id}'s updates on {file}"
            );
            assert!(
                dates.iter().all(|d| section.contains(d.as_str())),
                "{id}'s dates on {file}"
            );
        }
    }
    let index = std::fs::read_to_string(w.dir.join("publicacion/index.html")).expect("index");
    assert!(
        index.contains("href=\"2019-03/participa-2019-03-es-seguimiento.html\""),
        "the index links the follow-up page"
    );
    if tools::require_tool("chromium") {
        tools::chromium_check_links(&w.dir.join("publicacion/index.html"));
    }
}

#[test]
fn the_results_of_the_period_are_listed_and_a_low_share_is_a_finding() {
    let c = construction();
    let w = three_months(&c);
    let programas = code_names("programas");
    let march: Vec<(&str, &Instance)> = c
        .instancias
        .iter()
        .flat_map(|f| f.rows.iter().map(move |r| (f.organismo.as_str(), r)))
        .filter(|(_, r)| r.fecha.starts_with("2019-03"))
        .collect();
    let share = |rows: &[&(&str, &Instance)]| {
        rows.iter().filter(|(_, r)| r.resultado.is_some()).count() as f64 / rows.len() as f64
    };
    let all: Vec<&(&str, &Instance)> = march.iter().collect();
    let by = |key: &dyn Fn(&(&str, &Instance)) -> String| {
        let mut out: BTreeMap<String, Vec<&(&str, &Instance)>> = BTreeMap::new();
        for r in &march {
            out.entry(key(r)).or_default().push(r);
        }
        out
    };
    let by_programme = by(&|(_, r)| {
        programas
            .get(&r.programa)
            .map(|p| p.0.clone())
            .unwrap_or_default()
    });
    let by_organismo = by(&|(o, _)| o.to_string());
    let below: Vec<(&String, f64)> = by_organismo
        .iter()
        .map(|(o, rows)| (o, share(rows)))
        .filter(|(_, s)| *s < 0.5)
        .collect();
    assert_eq!(below.len(), 1, "one organismo records few results");

    if tools::require_tool("pdftotext") {
        let text = tools::pdftotext(&report_file(&w, "2019-03", "pdf"));
        let section = between(
            &text,
            "Instancias con resultado registrado",
            "Indicador",
            "Fuentes de esta sección",
        );
        assert!(
            section.contains(&es_percent(share(&all))),
            "the period's share: {}",
            es_percent(share(&all))
        );
        // The tables by programme and by organismo (the chart above them draws the shares).
        let tables = between(
            &text,
            "Instancias con resultado registrado",
            "Por programa",
            "Instancias del período y sus resultados",
        );
        for (label, rows) in by_programme.iter().chain(&by_organismo) {
            let words = words_after(tables, label);
            assert_eq!(
                words.first().map(|w| w.to_string()),
                Some(
                    es_percent(share(rows))
                        .split(' ')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                ),
                "{label}"
            );
            assert_eq!(
                words.last().map(|w| w.to_string()),
                Some(rows.len().to_string()),
                "{label}"
            );
        }
        // Each instance of March on a line of its own, with its theme and result or «—».
        let listing = between(
            &text,
            "Instancias con resultado registrado",
            "Instancias del período y sus resultados",
            "«—»",
        );
        for (_, r) in &march {
            let day = date(&r.fecha).format("%d/%m/%Y").to_string();
            let line = listing
                .lines()
                .find(|l| l.trim_start().starts_with(&day) && l.contains(&r.tema))
                .unwrap_or_else(|| panic!("no line for {day} {}", r.tema));
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(words.contains(&r.comuna.to_string().as_str()), "{line}");
            match &r.resultado {
                Some(result) => assert!(line.contains(result.as_str()), "{line}"),
                None => assert_eq!(words.last(), Some(&"—"), "{line}"),
            }
        }
        assert_eq!(
            listing
                .lines()
                .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
                .count(),
            march.len()
        );
        // The data-quality section names the organismo below the minimum.
        let quality = between(
            &text,
            "Calidad y oportunidad de los datos",
            "organismos por debajo del mínimo",
            "Filas rechazadas",
        );
        for (org, s) in &below {
            assert!(
                words_after(quality, org).first()
                    == Some(&es_percent(*s).split(' ').next().unwrap_or_default()),
                "{org} in the data-quality section"
            );
        }
    }
    if tools::require_tool("openpyxl") {
        let xlsx = report_file(&w, "2019-03", "xlsx");
        let rows = xlsx_sheet(&xlsx, "Instancias del período");
        let listed: Vec<&Vec<serde_json::Value>> = rows
            .iter()
            .filter(|r| {
                r.first()
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| s.starts_with("2019-03"))
            })
            .collect();
        assert_eq!(listed.len(), march.len());
        for (_, r) in &march {
            assert!(
                listed
                    .iter()
                    .any(|l| l[0].as_str() == Some(r.fecha.as_str())
                        && l[3].as_str() == Some(r.tema.as_str())
                        && l[4].as_str() == r.resultado.as_deref()),
                "{} {}",
                r.fecha,
                r.tema
            );
        }
        let quality = xlsx_sheet(&xlsx, "Calidad");
        for (org, s) in &below {
            assert!(
                quality
                    .iter()
                    .any(|r| r.first().and_then(|v| v.as_str()) == Some(org.as_str())
                        && r.get(1).and_then(|v| v.as_f64()) == Some(*s)),
                "{org} in the workbook's quality sheet"
            );
        }
    }
    // The English report says the same figure its own way.
    if tools::require_tool("pdftotext") {
        let run = w.run_at(APRIL_2, &["report", "--period", "2019-03", "--lang", "en"]);
        assert_eq!(run.code, 0, "report --lang en: {}", run.stderr);
        let english = tools::pdftotext(&w.dir.join("informes/participa-2019-03-en.pdf"));
        let share = format!("{:.1}%", share(&all) * 100.0);
        let section = between(
            &english,
            "Instances with a recorded result",
            "Indicator",
            "By programme",
        );
        assert!(section.contains(&share), "{share} in:\n{section}");
        assert!(english.contains("The period's instances and their results"));
    }
    // The period's web page lists them too.
    let page = std::fs::read_to_string(
        w.dir
            .join("publicacion/2019-03/participa-2019-03-es-seguimiento.html"),
    )
    .expect("page");
    for (_, r) in &march {
        let day = date(&r.fecha).format("%d/%m/%Y").to_string();
        let result = r.resultado.clone().unwrap_or_else(|| "—".into());
        assert!(
            page.contains(&format!("<tr><td>{day}</td>"))
                && page.contains(&format!("<td>{}</td><td>{result}</td></tr>", r.tema)),
            "{day} {} on the page",
            r.tema
        );
    }
}

/// The samples' March report (the acceptance tree): its results section lists every March
/// instance, and its stages table counts at the close of March what the samples' truth says.
#[test]
fn the_samples_march_report_shows_results_and_stages() {
    if !tools::require_tool("pdftotext") {
        return;
    }
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    let run = w.run_at(APRIL_2, &["report", "--period", "2019-03"]);
    assert_eq!(run.code, 0, "report: {}\n{}", run.stdout, run.stderr);
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("samples/truth.json")).expect("truth"),
    )
    .expect("json");
    let text = tools::pdftotext(&report_file(&w, "2019-03", "pdf"));
    let listing = between(
        &text,
        "Instancias con resultado registrado",
        "Instancias del período y sus resultados",
        "«—»",
    );
    let listed = listing
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            t.len() >= 10 && t[..10].ends_with("/03/2019")
        })
        .count();
    assert_eq!(
        Some(listed as i64),
        truth["events"]["by_month"]["2019-03"]["instancias"].as_i64(),
        "every March instance listed with its result"
    );
    let estados = code_names("estados");
    let table = between(
        &text,
        "Etapas y trayectorias de las iniciativas",
        "Al cierre de cada mes,",
        "Cada iniciativa cuenta",
    );
    let header = table
        .lines()
        .find(|l| l.trim_start().starts_with("Mes"))
        .expect("header");
    let mut columns: Vec<(usize, &String)> = estados
        .iter()
        .filter_map(|(code, (name, _))| header.find(name.as_str()).map(|at| (at, code)))
        .collect();
    columns.sort();
    let march = words_after(table, "marzo de 2019");
    for ((_, code), n) in columns.iter().zip(&march) {
        let want = truth["initiatives"]["by_estado"][code.as_str()]
            .as_i64()
            .unwrap_or(0);
        assert_eq!(
            n.parse::<i64>().ok(),
            Some(want),
            "{code} at the close of March"
        );
    }
    assert_eq!(
        march.last().and_then(|n| n.parse::<i64>().ok()),
        truth["initiatives"]["count"].as_i64()
    );
}

/// The organismo whose March instances rarely record a result gets a reminder that says so;
/// the one above the minimum gets none (both sent their month).
#[test]
fn an_organismo_below_the_minimum_is_reminded_and_one_above_it_is_not() {
    let c = construction();
    let w = Workdir::new();
    copy_tree(&fixtures().join("followup/instancias"), &w.inbox(), SETTLED);
    let config = w.dir.join("participa.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    for f in &c.instancias {
        text.push_str(&format!(
            "\n[organismos.{o}]\nemail = \"{o}@example.org\"\n",
            o = f.organismo
        ));
    }
    std::fs::write(&config, text).expect("config");
    let run = w.run_at("2019-04-05T12:00:00Z", &["run", "--once"]);
    assert_eq!(run.code, 0, "run --once: {}\n{}", run.stdout, run.stderr);
    let outbox = w.dir.join("correo/salida");
    let reminders: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".recordatorio."))
        .collect();
    for f in &c.instancias {
        let march: Vec<&Instance> = f
            .rows
            .iter()
            .filter(|r| r.fecha.starts_with("2019-03"))
            .collect();
        let with = march.iter().filter(|r| r.resultado.is_some()).count();
        let share = with as f64 / march.len() as f64;
        let to = format!("--{}@example.org.eml", f.organismo);
        let mine: Vec<&String> = reminders.iter().filter(|n| n.ends_with(&to)).collect();
        if share >= 0.5 {
            assert!(
                mine.is_empty(),
                "{}: {share} needs no reminder",
                f.organismo
            );
            continue;
        }
        assert_eq!(mine.len(), 1, "{}: {reminders:?}", f.organismo);
        let eml = quoted_printable(&std::fs::read_to_string(outbox.join(mine[0])).expect("eml"));
        let finding = format!(
            "Instancias con resultado registrado: {} (mínimo: 50,0 %).",
            es_percent(share)
        );
        assert!(eml.contains(&finding), "{finding} in:\n{eml}");
        assert!(eml.contains("Recibimos los datos"), "{eml}");
    }
}
