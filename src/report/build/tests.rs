//! How the report reads on figures computed from rows held in memory.

use super::*;
use crate::indicators::{compute, Period, RowScan, ScanRow, ScanSpec};
use crate::standard::Value;

/// March 2019 instances held in memory: (file, comuna, barrio, participantes).
struct March(Vec<(&'static str, Vec<Value>)>);

impl RowScan for March {
    type Error = ();
    fn scan(&mut self, spec: &ScanSpec, each: &mut dyn FnMut(&ScanRow)) -> Result<(), ()> {
        if spec.dataset.name != "instancias" {
            return Ok(());
        }
        for (i, (file, values)) in self.0.iter().enumerate() {
            each(&ScanRow {
                values,
                organismo: "jefatura-gabinete",
                archivo: file,
                version_id: if i < 2 { 1 } else { 2 },
            });
        }
        Ok(())
    }

    fn snapshots(&mut self, _: &ScanSpec, _: &mut dyn FnMut(&ScanRow)) -> Result<(), ()> {
        Ok(())
    }
}

fn instance(
    ds: &Dataset,
    comuna: Option<i64>,
    barrio: Option<&str>,
    participantes: i64,
) -> Vec<Value> {
    let mut v = vec![Value::Null; ds.fields.len()];
    let mut set = |f: &str, x: Value| {
        if let Some(i) = ds.field_index(f) {
            v[i] = x;
        }
    };
    set("programa", Value::Text("comisarias_cercanas".into()));
    set(
        "fecha",
        Value::Date(NaiveDate::from_ymd_opt(2019, 3, 14).unwrap_or_default()),
    );
    set("comuna", comuna.map_or(Value::Null, Value::Int));
    set(
        "barrio",
        barrio.map_or(Value::Null, |b| Value::Text(b.into())),
    );
    set("participantes", Value::Int(participantes));
    v
}

fn section<'r>(report: &'r Report, id: &str) -> &'r Section {
    report
        .sections
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no section {id}"))
}

#[test]
fn city_wide_instances_are_a_named_line_after_the_comunas_in_both_languages() {
    let standard = crate::config::embedded_standard().expect("standard");
    let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("indicators");
    let ds = standard.dataset("instancias").expect("instancias").clone();
    let mut rows = March(vec![
        ("comunas.csv", instance(&ds, Some(10), Some("FLORESTA"), 20)),
        ("comunas.csv", instance(&ds, Some(2), None, 5)),
        ("ciudad.csv", instance(&ds, None, None, 176)),
        ("ciudad.csv", instance(&ds, None, None, 54)),
    ]);
    let figures = compute(
        &cfg,
        &standard.datasets,
        Period::parse("2019-03").expect("period"),
        &mut rows,
    )
    .expect("computes");
    for (lang, city, reached_note, not_counting) in [
        (
            Lang::Es,
            "Toda la ciudad",
            "Instancias de «Toda la ciudad» (sin comuna), fuera del alcance por comuna: 2.",
            "sin contar 2 instancias de «Toda la ciudad»",
        ),
        (
            Lang::En,
            "Whole city",
            "Instances of “Whole city” (no comuna), outside the reach by comuna: 2.",
            "not counting 2 instances of “Whole city”",
        ),
    ] {
        let inputs = Inputs {
            indicators: &cfg,
            standard: &standard,
            figures: &figures,
            lang,
            versions: &[],
            unusable: &[],
            organismos: &[],
            rejections: &[],
            issued_on: NaiveDate::from_ymd_opt(2019, 4, 2).unwrap_or_default(),
            zone: chrono_tz::Tz::UTC,
            data_version: "0123456789abcdef",
            dataset_rows: &figures.rows_published,
        };
        let report = build(&inputs);

        // Participants by comuna: comunas by number, then the city-wide line; the total
        // is the sum of the lines.
        let by_comuna = section(&report, "participantes_comuna");
        let table = &by_comuna.tables[0];
        let lines: Vec<(String, i64)> = table
            .rows
            .iter()
            .map(|r| match (&r[0], &r[1]) {
                (Cell::Text(t), Cell::Int(n)) => (t.clone(), *n),
                other => panic!("unexpected cells {other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                ("Comuna 2".to_string(), 5),
                ("Comuna 10".to_string(), 20),
                (city.to_string(), 230)
            ]
        );
        assert_eq!(
            table.totals.as_ref().and_then(|t| t.get(1)),
            Some(&Cell::Int(255))
        );
        let chart = by_comuna.chart.as_ref().expect("chart");
        assert_eq!(chart.categories, ["2", "10", city]);
        assert_eq!(chart.series[0].values, [5.0, 20.0, 230.0]);
        assert!(
            report
                .summary_charts
                .iter()
                .any(|c| c.categories.last().map(String::as_str) == Some(city)),
            "the summary's chart too"
        );

        // Comunas reached: 2 of 15, the city-wide instances named apart, never a 16th member.
        let reach = section(&report, "comunas_alcanzadas");
        assert_eq!(reach.figures[0].value, Cell::Int(2));
        assert!(
            reach.figures[0]
                .note
                .as_deref()
                .is_some_and(|n| n.ends_with(not_counting) && n.contains("15")),
            "{:?}",
            reach.figures[0].note
        );
        let members = &reach.tables[0];
        assert_eq!(members.rows.len(), 15);
        assert!(members
            .rows
            .iter()
            .all(|r| r[0] != Cell::Text(city.to_string())));
        assert_eq!(members.note.as_deref(), Some(reached_note));
        assert_eq!(
            reach.chart.as_ref().map(|c| c.categories.clone()),
            Some(vec!["2".to_string(), "10".to_string()]),
            "no bar for the city"
        );
        let summary = report
            .summary
            .iter()
            .find(|f| f.value == Cell::Int(2) && f.target == Some(15.0))
            .expect("comunas reached on the summary");
        assert_eq!(summary.note.as_deref(), Some(not_counting));

        // Barrios reached: one named barrio; rows without one are noted, without a name.
        let barrios = section(&report, "barrios_alcanzados");
        assert_eq!(barrios.figures[0].value, Cell::Int(1));
        assert!(
            barrios.tables[0]
                .note
                .as_deref()
                .is_some_and(|n| n.ends_with(": 3.")),
            "{:?}",
            barrios.tables[0].note
        );

        // The published schema lets comuna be empty in instancias.
        let part = report
            .datasets
            .iter()
            .find(|d| d.name == "instancias")
            .expect("instancias part");
        assert_eq!(part.may_be_empty, ["comuna"]);
    }
}
