//! Each initiative's trajectory in the model (STANDARD.md §7, indicator 9): the annex of the
//! initiatives that changed in the period and of those without an update for long, the
//! workbook's sheet of every update, the published dataset of every update with its Table
//! Schema, and a web page per comuna.
//!
//! Pure, like `build`; words from `followup_text`.

use std::collections::BTreeMap;

use super::followup::Names;
use super::followup_text::{format_cell, words, Lang, HISTORY_COLUMNS};
use super::model::{
    Annex, Cell, Column, ComunaPage, DatasetPart, FollowUp, History, ItemPage, Kind, Listing,
    Pages, SchemaField, Table,
};
use crate::indicators::compute::IndicatorResult;
use crate::indicators::followup::{Step, Trajectory, TrajectoryDef};
use crate::standard::schema::FieldType;
use crate::standard::{Dataset, Value};

/// What one indicator's trajectories read of its dataset.
struct Fields<'a> {
    ds: &'a Dataset,
    def: &'a TrajectoryDef,
    state: String,
    /// Key fields other than the organismo (the item's id).
    id: Vec<usize>,
    titulo: Option<usize>,
    comuna: Option<usize>,
    date: String,
}

impl Fields<'_> {
    fn id(&self, t: &Trajectory) -> String {
        let last = t.last().map(|s| s.values.as_slice()).unwrap_or_default();
        self.id
            .iter()
            .map(|i| last.get(*i).map(Value::to_export).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    fn text(&self, t: &Trajectory, at: Option<usize>) -> Cell {
        match at.and_then(|i| t.last()?.values.get(i)) {
            Some(Value::Null) | None => Cell::Empty,
            Some(Value::Int(i)) => Cell::Int(*i),
            Some(v) => Cell::Text(v.to_export()),
        }
    }
}

/// A progress (0–100) as a share.
fn progress(s: &Step) -> Cell {
    s.progress.map_or(Cell::Empty, |p| Cell::Num(p / 100.0))
}

/// Adds `r`'s trajectories to the follow-up: the annex, the sheet, the dataset and the pages.
pub(super) fn add(n: &Names, r: &IndicatorResult, out: &mut FollowUp) {
    let (Some(t), Some(def), Some(state)) = (
        &r.followup.trajectories,
        &r.def.trayectorias,
        &r.def.evolucion,
    ) else {
        return;
    };
    let Some(ds) = n.inputs.standard.dataset(&r.def.dataset) else {
        return;
    };
    let Some(dating) = n.inputs.indicators.datasets.get(&ds.name) else {
        return;
    };
    let id = ds
        .snapshots
        .as_ref()
        .map(|s| s.key.iter().filter_map(|k| ds.field_index(k)).collect())
        .unwrap_or_default();
    let f = Fields {
        ds,
        def,
        state: state.clone(),
        id,
        titulo: ds.field_index(&def.titulo),
        comuna: def.comuna.as_ref().and_then(|c| ds.field_index(c)),
        date: dating.fecha.clone(),
    };
    let items = &t.items;
    let title = n.pick(&r.def.titulo_es, &r.def.titulo_en);
    out.annex = Some(annex(n, &f, items, t.stale_days, &title));
    out.trajectories = Some(sheet(n, &f, items, &r.def.id));
    out.history = Some(history(&f, items));
    let pages = out.pages.get_or_insert_with(|| empty_pages(n));
    pages.comunas = comuna_pages(n, &f, items, &title);
}

fn state_name(n: &Names, f: &Fields, code: &str) -> String {
    n.code_name(&f.ds.name, &f.state, code)
}

fn annex(n: &Names, f: &Fields, items: &[Trajectory], days: i64, title: &str) -> Annex {
    let w = n.w;
    let period = n.inputs.figures.period;
    let (start, close) = (period.start(), period.end());
    let mut changes: Vec<(chrono::NaiveDate, usize, Vec<Cell>)> = Vec::new();
    for (k, t) in items.iter().enumerate() {
        for s in &t.steps {
            if s.changed() && s.date >= start && s.date <= close {
                let before = match &s.previous {
                    Some(p) => state_name(n, f, p),
                    None => w.first_report.to_string(),
                };
                changes.push((
                    s.date,
                    k,
                    vec![
                        Cell::Text(f.id(t)),
                        f.text(t, f.titulo),
                        f.text(t, f.comuna),
                        Cell::Text(before),
                        Cell::Text(state_name(n, f, &s.state)),
                        Cell::Date(s.date),
                        progress(s),
                    ],
                ));
            }
        }
    }
    changes.sort_by_key(|(d, k, _)| (*d, *k));
    let changed = Table {
        title: w.changed_title.to_string(),
        columns: vec![
            Column::new(w.id, Kind::Text),
            Column::new(w.title, Kind::Text),
            Column::new(w.comuna, Kind::Text),
            Column::new(w.previous, Kind::Text),
            Column::new(w.state, Kind::Text),
            Column::new(w.change_date, Kind::Date),
            Column::new(w.progress, Kind::Percent),
        ],
        note: changes.is_empty().then(|| w.none.to_string()),
        rows: changes.into_iter().map(|(_, _, row)| row).collect(),
        totals: None,
    };
    let mut stale: Vec<&Trajectory> = items.iter().filter(|t| t.stale).collect();
    stale.sort_by_key(|t| std::cmp::Reverse(t.days_since_update));
    let stale_table = Table {
        title: (w.stale_title)(days),
        columns: vec![
            Column::new(w.id, Kind::Text),
            Column::new(w.title, Kind::Text),
            Column::new(w.comuna, Kind::Text),
            Column::new(w.state, Kind::Text),
            Column::new(w.progress, Kind::Percent),
            Column::new(w.last_update, Kind::Date),
            Column::new(w.days_since, Kind::Integer),
        ],
        note: stale.is_empty().then(|| w.none.to_string()),
        rows: stale
            .iter()
            .filter_map(|t| {
                let last = t.last()?;
                Some(vec![
                    Cell::Text(f.id(t)),
                    f.text(t, f.titulo),
                    f.text(t, f.comuna),
                    Cell::Text(state_name(n, f, &last.state)),
                    progress(last),
                    Cell::Date(last.date),
                    Cell::Int(t.days_since_update),
                ])
            })
            .collect(),
        totals: None,
    };
    Annex {
        title: (w.annex_title)(title),
        description: (w.annex_description)(days),
        tables: vec![changed, stale_table],
    }
}

/// What a step changed, for people: «Ganadora → En ejecución», «(primer reporte)», or nothing.
fn change_text(n: &Names, f: &Fields, s: &Step) -> Cell {
    match &s.previous {
        None => Cell::Text(n.w.first_report.to_string()),
        Some(p) if *p != s.state => Cell::Text(format!(
            "{} → {}",
            state_name(n, f, p),
            state_name(n, f, &s.state)
        )),
        Some(_) => Cell::Empty,
    }
}

fn sheet(n: &Names, f: &Fields, items: &[Trajectory], section: &str) -> Listing {
    let w = n.w;
    let mut rows = Vec::new();
    for t in items {
        let last = t.steps.len().saturating_sub(1);
        for (i, s) in t.steps.iter().enumerate() {
            rows.push(vec![
                Cell::Text(n.organismo_name(&t.organismo)),
                Cell::Text(f.id(t)),
                f.text(t, f.titulo),
                f.text(t, f.comuna),
                Cell::Date(s.date),
                Cell::Text(state_name(n, f, &s.state)),
                progress(s),
                change_text(n, f, s),
                if i == last {
                    Cell::Int(t.days_since_update)
                } else {
                    Cell::Empty
                },
            ]);
        }
    }
    Listing {
        section: section.to_string(),
        sheet: w.trajectories_sheet.to_string(),
        table: Table {
            title: w.trajectories_title.to_string(),
            columns: vec![
                Column::new(w.organismo, Kind::Text),
                Column::new(w.id, Kind::Text),
                Column::new(w.title, Kind::Text),
                Column::new(w.comuna, Kind::Text),
                Column::new(w.date, Kind::Date),
                Column::new(w.state, Kind::Text),
                Column::new(w.progress, Kind::Percent),
                Column::new(w.change, Kind::Text),
                Column::new(w.days_since, Kind::Integer),
            ],
            rows,
            totals: None,
            note: Some(w.trajectories_note.to_string()),
        },
    }
}

/// A value as the published CSVs hold it (codes as codes, dates ISO).
fn raw(v: Option<&Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::Int(i)) => Cell::Int(*i),
        Some(Value::Year(y)) => Cell::Int(i64::from(*y)),
        Some(Value::Num(x)) => Cell::Num(*x),
        Some(Value::Date(d)) => Cell::Date(*d),
        Some(other) => Cell::Text(other.to_export()),
    }
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "string",
        FieldType::Integer => "integer",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Yearmonth => "yearmonth",
        FieldType::Year => "year",
    }
}

/// Where a history column's value comes from.
enum Source {
    Organismo,
    Field(usize),
    Previous,
    InForce,
    DaysSince,
}

fn history(f: &Fields, items: &[Trajectory]) -> History {
    let spanish = words(Lang::Es);
    let ds = f.ds;
    let own = |name: &str| {
        HISTORY_COLUMNS
            .iter()
            .find(|c| c.0 == name)
            .map(|c| (c.1.to_string(), c.2.to_string()))
            .unwrap_or_default()
    };
    let mut names: Vec<String> = Vec::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut schema: Vec<SchemaField> = Vec::new();
    let mut push = |name: String, source: Source, field: SchemaField| {
        if !names.contains(&name) {
            names.push(name);
            sources.push(source);
            schema.push(field);
        }
    };
    let of_field = |name: &str| {
        let i = ds.field_index(name)?;
        let fd = ds.fields.get(i)?;
        Some((
            i,
            SchemaField {
                name: fd.name.clone(),
                title: fd.title.clone().unwrap_or_else(|| fd.name.clone()),
                description: fd.description.clone().unwrap_or_default(),
                kind: type_name(fd.field_type).to_string(),
                required: fd.constraints.required,
                minimum: fd.constraints.minimum,
                maximum: fd.constraints.maximum,
            },
        ))
    };
    let extra = |name: &str, kind: &str, required: bool, minimum: Option<f64>| {
        let (title, description) = own(name);
        SchemaField {
            name: name.to_string(),
            title,
            description,
            kind: kind.to_string(),
            required,
            minimum,
            maximum: None,
        }
    };
    let keys: Vec<String> = ds
        .snapshots
        .as_ref()
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let progress_field = f.def.avance.clone();
    let mut order: Vec<String> = keys;
    order.extend(f.def.campos.iter().cloned());
    order.extend([f.date.clone(), f.state.clone()]);
    for name in &order {
        if name == "organismo" {
            push(
                name.clone(),
                Source::Organismo,
                extra("organismo", "string", true, None),
            );
        } else if let Some((i, field)) = of_field(name) {
            if Some(name) != progress_field.as_ref() {
                push(name.clone(), Source::Field(i), field);
            }
        }
    }
    let previous = format!("{}_anterior", f.state);
    let mut prev_field = extra("estado_anterior", "string", false, None);
    prev_field.name = previous.clone();
    push(previous, Source::Previous, prev_field);
    if let Some((i, field)) = progress_field.as_deref().and_then(of_field) {
        push(field.name.clone(), Source::Field(i), field);
    }
    push(
        "vigente".into(),
        Source::InForce,
        extra("vigente", "boolean", true, None),
    );
    push(
        "dias_sin_actualizar".into(),
        Source::DaysSince,
        extra("dias_sin_actualizar", "integer", false, Some(0.0)),
    );
    let mut rows = Vec::new();
    for t in items {
        let last = t.steps.len().saturating_sub(1);
        for (k, s) in t.steps.iter().enumerate() {
            rows.push(
                sources
                    .iter()
                    .map(|src| match src {
                        Source::Organismo => Cell::Text(t.organismo.clone()),
                        Source::Field(i) => raw(s.values.get(*i)),
                        Source::Previous => s.previous.clone().map_or(Cell::Empty, Cell::Text),
                        Source::InForce => Cell::Text((k == last).to_string()),
                        Source::DaysSince if k == last => Cell::Int(t.days_since_update),
                        Source::DaysSince => Cell::Empty,
                    })
                    .collect(),
            );
        }
    }
    let columns = schema
        .iter()
        .map(|s| {
            let kind = match s.kind.as_str() {
                "integer" | "year" => Kind::Integer,
                "number" => Kind::Decimal(2),
                "date" => Kind::Date,
                _ => Kind::Text,
            };
            Column::new(s.name.clone(), kind)
        })
        .collect();
    History {
        part: DatasetPart {
            name: f.def.publicar.clone(),
            // The data package is one per period, whatever language was published last: its
            // texts are Spanish, like the standard's field titles.
            title: spanish.trajectories_title.to_string(),
            columns,
            field_names: names,
            row_count: rows.len() as u64,
            may_be_empty: Vec::new(),
        },
        description: spanish.history_description.to_string(),
        schema,
        rows,
    }
}

/// The follow-up page's words, before its tables are known.
pub(super) fn empty_pages(n: &Names) -> Pages {
    let w = n.w;
    let period = super::followup_text::period_label(
        n.inputs.figures.period,
        n.lang == super::followup_text::Lang::En,
    );
    Pages {
        title: (w.page_title)(&period),
        description: w.page_description.to_string(),
        search_hint: w.search_hint.to_string(),
        tables: Vec::new(),
        comunas_title: w.comunas_title.to_string(),
        back: w.back.to_string(),
        link_text: w.link_text.to_string(),
        comunas: Vec::new(),
    }
}

fn comuna_pages(n: &Names, f: &Fields, items: &[Trajectory], title: &str) -> Vec<ComunaPage> {
    let w = n.w;
    let lang = n.lang;
    let mut by: BTreeMap<i64, Vec<&Trajectory>> = BTreeMap::new();
    for t in items {
        if let Cell::Int(c) = f.text(t, f.comuna) {
            by.entry(c).or_default().push(t);
        }
    }
    let period = super::followup_text::period_label(
        n.inputs.figures.period,
        lang == super::followup_text::Lang::En,
    );
    by.into_iter()
        .map(|(comuna, list)| ComunaPage {
            comuna,
            title: (w.comuna_title)(comuna, title),
            description: (w.comuna_description)(list.len(), &period),
            items: list
                .iter()
                .filter_map(|t| {
                    let last = t.last()?;
                    let mut facts = vec![(w.id.to_string(), f.id(t))];
                    // The published fields that say more than the title and the comuna.
                    for field in &f.def.campos {
                        let shown = [Some(&f.def.titulo), f.def.comuna.as_ref()];
                        let at = f.ds.field_index(field);
                        let value = at.and_then(|i| last.values.get(i));
                        if shown.contains(&Some(field)) || value.is_none_or(Value::is_null) {
                            continue;
                        }
                        let text = match n.cell(&f.ds.name, field, value.unwrap_or(&Value::Null)) {
                            Cell::Text(x) => x,
                            other => format_cell(&other, n.kind(&f.ds.name, field), lang),
                        };
                        facts.push((n.field_title(&f.ds.name, field), text));
                    }
                    facts.push((w.state.to_string(), state_name(n, f, &last.state)));
                    facts.push((
                        w.progress.to_string(),
                        format_cell(&progress(last), Kind::Percent, lang),
                    ));
                    facts.push((
                        w.last_update.to_string(),
                        format_cell(&Cell::Date(last.date), Kind::Date, lang),
                    ));
                    facts.push((
                        w.days_since.to_string(),
                        format_cell(&Cell::Int(t.days_since_update), Kind::Integer, lang),
                    ));
                    let steps = Table {
                        title: String::new(),
                        columns: vec![
                            Column::new(w.date, Kind::Date),
                            Column::new(w.state, Kind::Text),
                            Column::new(w.progress, Kind::Percent),
                            Column::new(w.change, Kind::Text),
                        ],
                        rows: t
                            .steps
                            .iter()
                            .map(|s| {
                                vec![
                                    Cell::Date(s.date),
                                    Cell::Text(state_name(n, f, &s.state)),
                                    progress(s),
                                    change_text(n, f, s),
                                ]
                            })
                            .collect(),
                        totals: None,
                        note: None,
                    };
                    let heading = match f.text(t, f.titulo) {
                        Cell::Text(x) => x,
                        _ => f.id(t),
                    };
                    Some(ItemPage {
                        title: heading,
                        facts,
                        steps,
                    })
                })
                .collect(),
        })
        .collect()
}
