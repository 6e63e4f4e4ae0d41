//! The follow-up of processes in the model (STANDARD.md §7, indicators 8 and 9): from an
//! indicator's follow-up results to its section's extra figures, tables and stacked chart, the
//! listing of the period's rows, the data-quality findings, and (through `trajectories`) the
//! annex, the workbook sheet, the published history and the web pages.
//!
//! Pure, like `build`: it receives what the pipeline read. Words come from `followup_text`.

use std::collections::{BTreeSet, HashMap};

use super::build::Inputs;
use super::followup_text::{format_cell, month_label, month_short, words, Lang, Words};
use super::model::{
    Cell, Chart, ChartKind, Column, Figure, Finding, FollowUp, Kind, Listing, Series, Table,
};
use crate::indicators::compute::IndicatorResult;
use crate::indicators::config::{ChartChoice, Measure};
use crate::indicators::followup::{Evolution, ListedRow};
use crate::standard::schema::FieldType;
use crate::standard::Value;

/// Names as people read them in the report's language.
pub(super) struct Names<'a> {
    pub(super) inputs: &'a Inputs<'a>,
    pub(super) lang: Lang,
    pub(super) w: &'static Words,
}

impl<'a> Names<'a> {
    pub(super) fn new(inputs: &'a Inputs<'a>) -> Names<'a> {
        Names {
            inputs,
            lang: inputs.lang,
            w: words(inputs.lang),
        }
    }

    fn english(&self) -> bool {
        self.lang == Lang::En
    }

    pub(super) fn pick(&self, spanish: &str, english: &str) -> String {
        if self.english() { english } else { spanish }.to_string()
    }

    /// A field's title: the standard's (Spanish), or the English word for it.
    pub(super) fn field_title(&self, dataset: &str, field: &str) -> String {
        if field == "organismo" {
            return self.w.organismo.to_string();
        }
        if let Some((_, t)) = self.w.english_fields.iter().find(|(f, _)| *f == field) {
            return t.to_string();
        }
        self.inputs
            .standard
            .dataset(dataset)
            .and_then(|d| d.field_index(field).map(|i| &d.fields[i]))
            .and_then(|f| f.title.clone())
            .unwrap_or_else(|| field.to_string())
    }

    /// A code's name in its field's code list (the code itself when it has none).
    pub(super) fn code_name(&self, dataset: &str, field: &str, code: &str) -> String {
        self.code_list(dataset, field)
            .and_then(|l| l.entries.iter().find(|e| e.code == code))
            .map(|e| e.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn code_list(&self, dataset: &str, field: &str) -> Option<&crate::standard::codes::CodeList> {
        let ds = self.inputs.standard.dataset(dataset)?;
        let list = ds.fields.get(ds.field_index(field)?)?.code_list.as_ref()?;
        self.inputs.standard.code_lists.get(list)
    }

    /// Codes in the order people know them: the code list's `orden`, then file order; codes
    /// outside the list after, alphabetically.
    pub(super) fn in_code_order(&self, dataset: &str, field: &str, codes: &mut [String]) {
        let rank: HashMap<&str, (i64, usize)> = self
            .code_list(dataset, field)
            .map(|l| {
                l.entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let orden = e.columns.get("orden").and_then(|o| o.trim().parse().ok());
                        (e.code.as_str(), (orden.unwrap_or(i as i64), i))
                    })
                    .collect()
            })
            .unwrap_or_default();
        codes.sort_by(|a, b| {
            let key = |c: &String| rank.get(c.as_str()).copied().unwrap_or((i64::MAX, 0));
            key(a).cmp(&key(b)).then_with(|| a.cmp(b))
        });
    }

    /// An organismo's display name.
    pub(super) fn organismo_name(&self, code: &str) -> String {
        self.inputs
            .organismos
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// A value as people read it: a code by its name, a date as a date, an empty comuna of a
    /// city-wide instance by its configured name.
    pub(super) fn cell(&self, dataset: &str, field: &str, v: &Value) -> Cell {
        match v {
            Value::Null => self
                .inputs
                .indicators
                .empty_label(dataset, field)
                .map_or(Cell::Empty, |l| Cell::Text(self.pick(&l.es, &l.en))),
            Value::Text(t) => Cell::Text(self.code_name(dataset, field, t)),
            Value::Int(i) => Cell::Int(*i),
            Value::Num(n) => Cell::Num(*n),
            Value::Date(d) => Cell::Date(*d),
            // A year is a label («2018»), never a quantity with thousands («2.018»).
            Value::Year(y) => Cell::Text(y.to_string()),
            Value::YearMonth(..) => Cell::Text(v.to_export()),
        }
    }

    /// The column kind a field's values are written in.
    pub(super) fn kind(&self, dataset: &str, field: &str) -> Kind {
        let t = self
            .inputs
            .standard
            .dataset(dataset)
            .and_then(|d| d.field_index(field).map(|i| d.fields[i].field_type));
        match t {
            Some(FieldType::Date) => Kind::Date,
            Some(FieldType::Number) => Kind::Decimal(2),
            // Comunas and years read as labels: a city-wide line may stand among them.
            _ => Kind::Text,
        }
    }
}

fn title(n: &Names, r: &IndicatorResult) -> String {
    n.pick(&r.def.titulo_es, &r.def.titulo_en)
}

/// The states a field took at any month's close or in any change, in code order.
fn states(n: &Names, dataset: &str, e: &Evolution) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for m in &e.months {
        seen.extend(m.counts.iter().map(|(s, _)| s.clone()));
    }
    for t in &e.transitions {
        seen.insert(t.to.clone());
        seen.extend(t.from.clone());
    }
    let mut out: Vec<String> = seen.into_iter().collect();
    n.in_code_order(dataset, &e.field, &mut out);
    out
}

/// The stacked chart of `evolucion`, for an indicator that asks for it (`apiladas`).
pub(super) fn chart(inputs: &Inputs, r: &IndicatorResult) -> Option<Chart> {
    if r.def.grafico != Some(ChartChoice::Apiladas) {
        return None;
    }
    let e = r.followup.evolution.as_ref()?;
    let n = Names::new(inputs);
    let ds = &r.def.dataset;
    let series = states(&n, ds, e)
        .into_iter()
        .map(|state| Series {
            name: n.code_name(ds, &e.field, &state),
            values: e
                .months
                .iter()
                .map(|m| {
                    m.counts
                        .iter()
                        .find(|(s, _)| *s == state)
                        .map_or(0.0, |(_, c)| *c as f64)
                })
                .collect(),
        })
        .collect();
    Some(Chart {
        title: format!("{}: {}", title(&n, r), n.w.at_each_close),
        kind: ChartKind::StackedColumn,
        categories: e
            .months
            .iter()
            .map(|m| month_short(m.month, n.english()))
            .collect(),
        series,
        target: None,
        target_label: None,
    })
}

/// A section's extra figures and tables: the count at each month's close and the changes of
/// the period (`evolucion`).
pub(super) fn extend_section(
    inputs: &Inputs,
    r: &IndicatorResult,
    figures: &mut Vec<Figure>,
    tables: &mut Vec<Table>,
) {
    let n = Names::new(inputs);
    if let Some(e) = &r.followup.evolution {
        let (month_table, moves) = evolution_tables(&n, &r.def.dataset, e);
        tables.push(month_table);
        tables.push(moves);
        let changes: u64 = e
            .transitions
            .iter()
            .filter(|t| t.from.is_some())
            .map(|t| t.count)
            .sum();
        let first: u64 = e
            .transitions
            .iter()
            .filter(|t| t.from.is_none())
            .map(|t| t.count)
            .sum();
        for (label, value) in [
            (n.w.changes_figure, changes),
            (n.w.first_reports_figure, first),
        ] {
            figures.push(Figure::new(
                n.lang,
                label.to_string(),
                Cell::Int(value as i64),
                Kind::Integer,
                None,
                None,
                None,
            ));
        }
    }
}

/// The table of states at each month's close, and the table of the period's changes.
pub(super) fn evolution_tables(n: &Names, dataset: &str, e: &Evolution) -> (Table, Table) {
    let states = states(n, dataset, e);
    let mut columns = vec![Column::new(n.w.month, Kind::Text)];
    columns.extend(
        states
            .iter()
            .map(|s| Column::new(n.code_name(dataset, &e.field, s), Kind::Integer)),
    );
    columns.push(Column::new(n.w.total, Kind::Integer));
    let rows = e
        .months
        .iter()
        .map(|m| {
            let mut row = vec![Cell::Text(month_label(m.month, n.english()))];
            let mut total = 0;
            for s in &states {
                let c = m.counts.iter().find(|(x, _)| x == s).map_or(0, |(_, c)| *c);
                total += c;
                row.push(Cell::Int(c as i64));
            }
            row.push(Cell::Int(total as i64));
            row
        })
        .collect();
    let by_month = Table {
        title: n.w.by_month.to_string(),
        columns,
        rows,
        totals: None,
        note: Some(n.w.by_month_note.to_string()),
    };
    let rank = |s: &Option<String>| {
        s.as_ref()
            .and_then(|s| states.iter().position(|x| x == s))
            .map_or(0, |p| p + 1)
    };
    let mut moves = e.transitions.clone();
    moves.sort_by_key(|t| (rank(&t.from), rank(&Some(t.to.clone()))));
    let total: u64 = moves.iter().map(|t| t.count).sum();
    let transitions = Table {
        title: n.w.transitions.to_string(),
        columns: vec![
            Column::new(n.w.from, Kind::Text),
            Column::new(n.w.to, Kind::Text),
            Column::new(n.w.changes, Kind::Integer),
        ],
        rows: moves
            .iter()
            .map(|t| {
                vec![
                    Cell::Text(match &t.from {
                        Some(f) => n.code_name(dataset, &e.field, f),
                        None => n.w.first_report.to_string(),
                    }),
                    Cell::Text(n.code_name(dataset, &e.field, &t.to)),
                    Cell::Int(t.count as i64),
                ]
            })
            .collect(),
        totals: Some(vec![
            Cell::Text(n.w.total.to_string()),
            Cell::Empty,
            Cell::Int(total as i64),
        ]),
        note: Some(if moves.is_empty() {
            n.w.none.to_string()
        } else {
            n.w.transitions_note.to_string()
        }),
    };
    (by_month, transitions)
}

/// A listing's table: its fields' titles, then one row per listed row.
fn listing_table(n: &Names, r: &IndicatorResult) -> Option<Listing> {
    let l = r.followup.listing.as_ref()?;
    let ds = &r.def.dataset;
    let title = match n.lang {
        Lang::Es => r.def.listado_titulo_es.clone(),
        Lang::En => r.def.listado_titulo_en.clone(),
    }
    .unwrap_or_else(|| n.w.listing_title.to_string());
    let columns = l
        .fields
        .iter()
        .map(|f| Column::new(n.field_title(ds, f), n.kind(ds, f)))
        .collect();
    let rows = l
        .rows
        .iter()
        .map(|row: &ListedRow| {
            l.fields
                .iter()
                .zip(&row.values)
                .map(|(f, v)| n.cell(ds, f, v))
                .collect()
        })
        .collect();
    let shown = l.rows.len() as u64;
    let mut note = n.w.listing_empty.to_string();
    if shown < l.total {
        note = format!("{} {note}", (n.w.listing_cut)(shown, l.total, ds));
    }
    Some(Listing {
        section: r.def.id.clone(),
        sheet: title.clone(),
        table: Table {
            title,
            columns,
            rows,
            totals: None,
            note: Some(note),
        },
    })
}

/// The data-quality table of an indicator with a minimum by organismo, and its findings.
fn below_minimum(n: &Names, r: &IndicatorResult) -> Option<(Table, Vec<Finding>)> {
    let min = r.def.minimo_por_organismo?;
    let by = r.breakdowns.iter().find(|b| b.field == "organismo")?;
    let kind = match r.def.medida {
        Measure::Ratio if r.def.escala.unwrap_or(1.0) == 1.0 => Kind::Percent,
        Measure::Ratio | Measure::Mean => Kind::Decimal(1),
        _ => Kind::Integer,
    };
    let write = |v: f64| format_cell(&Cell::Num(v), kind, n.lang);
    let title = title(n, r);
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for g in &by.groups {
        let Some(v) = g.value.filter(|v| *v < min) else {
            continue;
        };
        rows.push(vec![
            Cell::Text(n.organismo_name(&g.key)),
            Cell::Num(v),
            Cell::Int(g.rows as i64),
            Cell::Num(min),
        ]);
        findings.push(Finding {
            organismo: g.key.clone(),
            text: (n.w.finding)(&title, &write(v), &write(min)),
        });
    }
    let note = if rows.is_empty() {
        (n.w.none_below)(&write(min))
    } else {
        (n.w.some_below)(&write(min))
    };
    let table = Table {
        title: (n.w.below_title)(&title),
        columns: vec![
            Column::new(n.w.organismo, Kind::Text),
            Column::new(title.clone(), kind),
            Column::new(n.w.rows, Kind::Integer),
            Column::new(n.w.minimum, kind),
        ],
        rows,
        totals: None,
        note: Some(note),
    };
    Some((table, findings))
}

/// Each organismo's data-quality findings (the minimums by organismo of `indicadores.toml`)
/// in `lang`, by organismo code: what its reminder asks it to complete.
pub fn findings(
    indicators: &crate::indicators::IndicatorsConfig,
    standard: &crate::standard::Standard,
    figures: &crate::indicators::Figures,
    lang: Lang,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let inputs = Inputs {
        indicators,
        standard,
        figures,
        lang,
        versions: &[],
        unusable: &[],
        organismos: &[],
        rejections: &[],
        issued_on: figures.period.end(),
        // Findings name no dates: any wall clock gives the same words.
        zone: chrono_tz::Tz::UTC,
        data_version: "",
        dataset_rows: &figures.rows_published,
    };
    let n = Names::new(&inputs);
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in &figures.indicators {
        for f in below_minimum(&n, r).map(|(_, f)| f).unwrap_or_default() {
            out.entry(f.organismo).or_default().push(f.text);
        }
    }
    out
}

/// Everything of the follow-up outside the sections.
pub(super) fn build(inputs: &Inputs) -> FollowUp {
    let n = Names::new(inputs);
    let mut out = FollowUp::default();
    let mut page_tables = Vec::new();
    for r in &inputs.figures.indicators {
        if let Some(listing) = listing_table(&n, r) {
            page_tables.push(listing.table.clone());
            out.listings.push(listing);
        }
        if let Some((table, findings)) = below_minimum(&n, r) {
            out.quality.push(table);
            out.findings.extend(findings);
        }
        if let Some(e) = &r.followup.evolution {
            let (by_month, moves) = evolution_tables(&n, &r.def.dataset, e);
            page_tables.push(by_month);
            page_tables.push(moves);
        }
        super::trajectories::add(&n, r, &mut out);
    }
    if !page_tables.is_empty() || out.pages.is_some() {
        let pages = out
            .pages
            .get_or_insert_with(|| super::trajectories::empty_pages(&n));
        pages.tables = page_tables;
    }
    out
}
