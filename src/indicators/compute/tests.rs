//! The figures computed over rows held in memory.

use super::*;

/// Rows held in memory, filtered the way the store filters them.
struct Memory {
    rows: Vec<(String, Vec<Value>, String, String, i64)>,
}

impl RowScan for Memory {
    type Error = ();
    fn scan(&mut self, spec: &ScanSpec, each: &mut dyn FnMut(&ScanRow)) -> Result<(), ()> {
        let i = spec.dataset.field_index(spec.date_field).ok_or(())?;
        for (ds, values, org, file, version) in &self.rows {
            let Some(day) = values.get(i).and_then(day_of) else {
                continue;
            };
            let first = match values.get(i) {
                Some(Value::YearMonth(y, m)) => Month {
                    year: *y,
                    month: *m,
                }
                .first_day(),
                _ => day,
            };
            if *ds == spec.dataset.name && spec.from.is_none_or(|f| first >= f) && first <= spec.to
            {
                each(&ScanRow {
                    values,
                    organismo: org,
                    archivo: file,
                    version_id: *version,
                });
            }
        }
        Ok(())
    }

    fn snapshots(&mut self, spec: &ScanSpec, each: &mut dyn FnMut(&ScanRow)) -> Result<(), ()> {
        let i = spec.dataset.field_index(spec.date_field).ok_or(())?;
        for (ds, values, org, file, version) in &self.rows {
            let dated = values.get(i).and_then(day_of).is_some_and(|d| d <= spec.to);
            if *ds == spec.dataset.name && dated {
                each(&ScanRow {
                    values,
                    organismo: org,
                    archivo: file,
                    version_id: *version,
                });
            }
        }
        Ok(())
    }
}

fn date(s: &str) -> Value {
    Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default())
}

fn instancia(
    ds: &Dataset,
    programa: &str,
    fecha: &str,
    modalidad: Option<&str>,
    comuna: i64,
    participantes: Option<i64>,
) -> Vec<Value> {
    let mut v = vec![Value::Null; ds.fields.len()];
    let mut set = |f: &str, x: Value| {
        if let Some(i) = ds.field_index(f) {
            v[i] = x;
        }
    };
    set("programa", Value::Text(programa.into()));
    set("fecha", date(fecha));
    set(
        "modalidad",
        modalidad.map_or(Value::Null, |m| Value::Text(m.into())),
    );
    set("comuna", Value::Int(comuna));
    set(
        "participantes",
        participantes.map_or(Value::Null, Value::Int),
    );
    v
}

#[test]
fn one_pass_gives_period_cumulative_breakdowns_and_sources() {
    let standard = crate::config::embedded_standard().expect("standard");
    let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("indicators");
    let ds = standard.dataset("instancias").expect("instancias").clone();
    let row = |p: &str, f: &str, m: Option<&str>, c: i64, n: Option<i64>, file: &str, v: i64| {
        (
            "instancias".to_string(),
            instancia(&ds, p, f, m, c, n),
            "org".to_string(),
            file.to_string(),
            v,
        )
    };
    let mut mem = Memory {
        rows: vec![
            row(
                "reunion_vecinos",
                "2018-12-20",
                Some("virtual"),
                1,
                Some(500),
                "old.xlsx",
                1,
            ),
            row(
                "reunion_vecinos",
                "2019-01-10",
                Some("virtual"),
                1,
                Some(10),
                "a.xlsx",
                2,
            ),
            row(
                "reunion_vecinos",
                "2019-03-02",
                Some("presencial"),
                2,
                Some(20),
                "a.xlsx",
                2,
            ),
            row(
                "ba_elige",
                "2019-03-30",
                Some("virtual"),
                10,
                None,
                "b.csv",
                3,
            ),
            row("ba_elige", "2019-03-31", None, 2, Some(5), "b.csv", 3),
            row(
                "ba_elige",
                "2019-04-01",
                Some("virtual"),
                2,
                Some(1000),
                "b.csv",
                3,
            ),
        ],
    };
    let period = Period::parse("2019-03").expect("period");
    let figures = compute(&cfg, &standard.datasets, period, &mut mem).expect("computes");
    let inst = figures.get("instancias").expect("instancias");
    assert_eq!(inst.value, Some(3.0), "March has 3 instances");
    assert_eq!(
        inst.cumulative,
        Some(4.0),
        "January to March; 2018 is before the commitment"
    );
    assert_eq!(
        inst.months
            .iter()
            .map(|(m, v)| (m.to_string(), *v))
            .collect::<Vec<_>>(),
        vec![("2019-01".to_string(), 1.0), ("2019-03".to_string(), 4.0)]
    );
    let part = figures.get("participantes").expect("participantes");
    assert_eq!(part.value, Some(25.0));
    assert_eq!(part.missing, 1, "the unknown figure is not a zero");
    let by_comuna = &figures
        .get("participantes_comuna")
        .expect("by comuna")
        .breakdowns[0];
    assert_eq!(
        by_comuna
            .groups
            .iter()
            .map(|g| (g.key.as_str(), g.value))
            .collect::<Vec<_>>(),
        vec![("2", Some(25.0)), ("10", Some(0.0))]
    );
    let virt = figures.get("virtuales").expect("virtual share");
    assert_eq!(
        virt.value,
        Some(0.5),
        "1 virtual of the 2 March instances with a known modality"
    );
    let comunas = figures.get("comunas_alcanzadas").expect("comunas");
    assert_eq!(comunas.value, Some(2.0));
    assert_eq!(
        inst.sources
            .iter()
            .map(|s| (s.archivo.as_str(), s.rows))
            .collect::<Vec<_>>(),
        vec![("a.xlsx", 1), ("b.csv", 2)]
    );
    assert_eq!(
        figures
            .files
            .get(&3)
            .map(|f| (f.rows_in_period, f.rows_used)),
        Some((2, 2)),
        "April is outside the scan"
    );
    assert!(figures.has_data());
    let empty = compute(
        &cfg,
        &standard.datasets,
        Period::parse("2019-06").expect("june"),
        &mut mem,
    )
    .expect("computes");
    assert!(!empty.has_data());
    assert_eq!(empty.get("instancias").and_then(|r| r.value), Some(0.0));
    assert_eq!(
        empty.get("instancias").and_then(|r| r.cumulative),
        Some(5.0),
        "cumulative still counts up to June"
    );
    assert_eq!(
        empty.get("virtuales").and_then(|r| r.value),
        None,
        "a share of nothing is undefined, not 0 %"
    );
}

/// An instance with an optional comuna and barrio (a city-wide one has neither).
fn placed(
    ds: &Dataset,
    programa: &str,
    fecha: &str,
    comuna: Option<i64>,
    barrio: Option<&str>,
    participantes: Option<i64>,
) -> Vec<Value> {
    let mut v = instancia(ds, programa, fecha, None, 0, participantes);
    if let Some(i) = ds.field_index("comuna") {
        v[i] = comuna.map_or(Value::Null, Value::Int);
    }
    if let Some(i) = ds.field_index("barrio") {
        v[i] = barrio.map_or(Value::Null, |b| Value::Text(b.into()));
    }
    v
}

#[test]
fn city_wide_instances_are_their_own_line_after_the_comunas_and_reach_no_comuna() {
    let standard = crate::config::embedded_standard().expect("standard");
    let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("indicators");
    let ds = standard.dataset("instancias").expect("instancias").clone();
    let row = |c: Option<i64>, b: Option<&str>, n: Option<i64>, file: &str, v: i64| {
        (
            "instancias".to_string(),
            placed(&ds, "comisarias_cercanas", "2019-03-12", c, b, n),
            "org".to_string(),
            file.to_string(),
            v,
        )
    };
    let mut mem = Memory {
        rows: vec![
            row(Some(10), Some("FLORESTA"), Some(20), "comunas.csv", 1),
            row(Some(2), None, Some(5), "comunas.csv", 1),
            row(Some(15), Some("AGRONOMIA"), Some(7), "comunas.csv", 1),
            row(None, None, Some(176), "ciudad.csv", 2),
            row(None, None, Some(54), "ciudad.csv", 2),
            row(None, None, None, "ciudad.csv", 2),
        ],
    };
    let figures = compute(
        &cfg,
        &standard.datasets,
        Period::parse("2019-03").expect("period"),
        &mut mem,
    )
    .expect("computes");

    // Participants by comuna: 2, 10 and 15 by number, then the city-wide line; the lines add
    // up to the total.
    let by_comuna = figures.get("participantes_comuna").expect("by comuna");
    let lines: Vec<(&str, Option<f64>, u64)> = by_comuna.breakdowns[0]
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.value, g.rows))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("2", Some(5.0), 1),
            ("10", Some(20.0), 1),
            ("15", Some(7.0), 1),
            ("", Some(230.0), 3)
        ]
    );
    assert_eq!(by_comuna.value, Some(262.0));
    assert_eq!(
        by_comuna.missing, 1,
        "the city-wide instance without a figure is unknown, not zero"
    );
    assert_eq!(lines.iter().filter_map(|l| l.1).sum::<f64>(), 262.0);

    // Reach counts the rows that name a comuna or a barrio, and lists only those.
    let comunas = figures.get("comunas_alcanzadas").expect("comunas");
    assert_eq!(
        comunas.value,
        Some(3.0),
        "a city-wide instance is not a comuna reached"
    );
    assert_eq!(comunas.rows, 3);
    assert_eq!(comunas.missing, 3, "the three city-wide instances");
    let reached = comunas
        .breakdowns
        .iter()
        .find(|b| b.field == "comuna")
        .expect("the universe's breakdown");
    assert_eq!(
        reached
            .groups
            .iter()
            .map(|g| g.key.as_str())
            .collect::<Vec<_>>(),
        ["2", "10", "15"],
        "no empty member among the 15"
    );
    let barrios = figures.get("barrios_alcanzados").expect("barrios");
    assert_eq!(
        barrios.value,
        Some(2.0),
        "FLORESTA and AGRONOMIA; rows without a barrio reach none"
    );
    assert_eq!(barrios.missing, 4);
    let named = barrios
        .breakdowns
        .iter()
        .find(|b| b.field == "barrio")
        .expect("barrio breakdown");
    assert_eq!(
        named
            .groups
            .iter()
            .map(|g| g.key.as_str())
            .collect::<Vec<_>>(),
        ["AGRONOMIA", "FLORESTA"]
    );

    // Counts, shares and each file's part do not depend on the comuna.
    let inst = figures.get("instancias").expect("instancias");
    assert_eq!(inst.value, Some(6.0));
    assert_eq!(
        inst.sources
            .iter()
            .map(|s| (s.archivo.as_str(), s.rows))
            .collect::<Vec<_>>(),
        vec![("ciudad.csv", 3), ("comunas.csv", 3)]
    );
    assert_eq!(
        by_comuna
            .sources
            .iter()
            .map(|s| (s.archivo.as_str(), s.value))
            .collect::<Vec<_>>(),
        vec![("ciudad.csv", Some(230.0)), ("comunas.csv", Some(32.0))]
    );
    assert_eq!(
        comunas
            .sources
            .iter()
            .map(|s| (s.archivo.as_str(), s.rows))
            .collect::<Vec<_>>(),
        vec![("comunas.csv", 3)],
        "a file of city-wide instances adds no row to comunas reached"
    );
    assert_eq!(
        figures.files.get(&2).map(|f| f.rows_in_period),
        Some(3),
        "the city-wide file is read and traced"
    );
}

#[test]
fn rows_without_a_value_come_last_in_any_breakdown() {
    let mut keys = vec!["", "10", "b", "2", "a"];
    keys.sort_by(|x, y| natural(x, y));
    assert_eq!(keys, ["2", "10", "a", "b", ""]);
}

#[test]
fn day_filters_parse() {
    assert_eq!(days_filter(">=90d"), Some(90));
    assert_eq!(days_filter(">= 30 d"), Some(30));
    assert_eq!(days_filter(">=x"), None);
}
