//! A section of the report per indicator: its figures, tables, chart and sources, and the
//! summary's figures.

use super::{cell, kind_of, Ctx};
use crate::indicators::compute::{Breakdown, IndicatorResult};
use crate::indicators::config::{ChartChoice, Measure};
use crate::report::model::*;
use crate::text::report as words;
use crate::text::{month_label, month_short, period_label};

impl Ctx<'_> {
    fn breakdown_table(&self, r: &IndicatorResult, b: &Breakdown) -> Table {
        let kind = kind_of(r);
        let field_title = self.field_title(&r.def.dataset, &b.field);
        let w = self.w;
        let additive = matches!(r.def.medida, Measure::Count | Measure::Sum);
        if let Some(u) = r
            .def
            .universo
            .as_ref()
            .filter(|_| Some(&b.field) == r.def.campo.as_ref())
        {
            // Every member of the universe, reached or not.
            let entries = self.universe(u);
            let with_comuna = entries.iter().any(|e| e.2.is_some());
            let mut columns = vec![Column::new(field_title.clone(), Kind::Text)];
            if with_comuna {
                columns.push(Column::new(
                    self.field_title(&r.def.dataset, "comuna"),
                    Kind::Integer,
                ));
            }
            columns.push(Column::new(w.reached, Kind::Text));
            columns.push(Column::new(w.instances, Kind::Integer));
            let mut rows = Vec::new();
            for (code, name, comuna) in &entries {
                let n = b
                    .groups
                    .iter()
                    .find(|g| &g.key == code)
                    .map(|g| g.rows)
                    .unwrap_or(0);
                let mut row = vec![Cell::Text(name.clone())];
                if with_comuna {
                    row.push(
                        comuna
                            .as_deref()
                            .and_then(|c| c.parse::<i64>().ok())
                            .map_or(Cell::Empty, Cell::Int),
                    );
                }
                row.push(Cell::Text(if n > 0 { w.yes } else { w.no }.to_string()));
                row.push(Cell::Int(n as i64));
                rows.push(row);
            }
            return Table {
                title: format!("{} {}", w.by, field_title.to_lowercase()),
                columns,
                rows,
                totals: None,
                note: self.unreached_note(r, &b.field),
            };
        }
        // A count's rows are its value: one column says it.
        let with_rows = r.def.medida != Measure::Count;
        let groups = self.in_code_order(&r.def.dataset, b);
        let rows: Vec<Vec<Cell>> = groups
            .iter()
            .map(|g| {
                let mut row = vec![
                    Cell::Text(self.key_label(&r.def.dataset, &b.field, &g.key)),
                    cell(g.value, kind),
                ];
                if with_rows {
                    row.push(Cell::Int(g.rows as i64));
                }
                row
            })
            .collect();
        let totals = additive.then(|| {
            let mut row = vec![Cell::Text(w.total.into()), cell(r.value, kind)];
            if with_rows {
                row.push(Cell::Int(r.rows as i64));
            }
            row
        });
        let mut columns = vec![
            Column::new(field_title.clone(), Kind::Text),
            Column::new(self.title(r), kind),
        ];
        if with_rows {
            columns.push(Column::new(w.rows, Kind::Integer));
        }
        Table {
            title: format!("{} {}", w.by, field_title.to_lowercase()),
            columns,
            rows,
            totals,
            note: None,
        }
    }

    /// Under a reach table: the instances that name no member of the universe (city-wide
    /// ones, for comunas), which the table and the figure leave out.
    fn unreached_note(&self, r: &IndicatorResult, field: &str) -> Option<String> {
        if r.missing == 0 {
            return None;
        }
        let campo = self.field_title(&r.def.dataset, field).to_lowercase();
        let label = self.empty_label(&r.def.dataset, field);
        Some(words::unreached_note(
            label.as_deref(),
            &campo,
            r.missing,
            self.lang,
        ))
    }

    /// Beside a reach figure whose field has a named empty line: how many of those
    /// instances it does not count («sin contar 3 instancias de «Toda la ciudad»»).
    fn not_counting_note(&self, r: &IndicatorResult) -> Option<String> {
        let field = r.def.campo.as_deref()?;
        let label = self.empty_label(&r.def.dataset, field)?;
        words::not_counting(r.missing, &label, self.lang)
    }

    fn sources_table(&self, r: &IndicatorResult) -> Table {
        let kind = kind_of(r);
        let with_value = r.def.medida != Measure::Count;
        let w = self.w;
        let mut columns = vec![
            Column::new(w.organismo, Kind::Text),
            Column::new(w.file, Kind::Text),
            Column::new(w.rows_used, Kind::Integer),
        ];
        if with_value {
            columns.push(Column::new(self.title(r), kind));
        }
        Table {
            title: Labels::of(self.lang).sources.to_string(),
            columns,
            rows: r
                .sources
                .iter()
                .map(|s| {
                    let mut row = vec![
                        Cell::Text(self.organismo_name(&s.organismo)),
                        Cell::Text(s.archivo.clone()),
                        Cell::Int(s.rows as i64),
                    ];
                    if with_value {
                        row.push(cell(s.value, kind));
                    }
                    row
                })
                .collect(),
            totals: None,
            note: Some(w.sources_note.to_string()),
        }
    }

    pub(super) fn chart(&self, r: &IndicatorResult) -> Option<Chart> {
        let choice = r.def.grafico?;
        if let Some(stacked) = crate::report::followup::chart(self.inputs, r) {
            return Some(stacked);
        }
        let title = self.title(r);
        let w = self.w;
        if choice == ChartChoice::Linea && r.def.acumulado {
            let months = self.month_rows(r);
            return Some(Chart {
                title: format!("{title}: {}", w.cumulative_lower),
                kind: ChartKind::Line,
                categories: months
                    .iter()
                    .map(|(m, _, _)| month_short(*m, self.lang))
                    .collect(),
                series: vec![Series {
                    name: Labels::of(self.lang).cumulative.to_string(),
                    values: months.iter().map(|(_, _, c)| *c).collect(),
                }],
                target: r.def.meta,
                target_label: r.def.meta.map(|m| {
                    format!(
                        "{}: {}",
                        Labels::of(self.lang).target,
                        crate::text::number(m, 0, self.lang)
                    )
                }),
            });
        }
        let kind = match choice {
            ChartChoice::Barras => ChartKind::Bar,
            ChartChoice::Columnas => ChartKind::Column,
            ChartChoice::Linea => ChartKind::Line,
            ChartChoice::Apiladas => ChartKind::StackedColumn,
        };
        let (categories, values): (Vec<String>, Vec<f64>) = if !r.fields.is_empty() {
            r.fields
                .iter()
                .map(|(f, v)| (self.field_title(&r.def.dataset, f), *v))
                .unzip()
        } else {
            let b = r.breakdowns.first()?;
            let groups = self.in_code_order(&r.def.dataset, b);
            // Within one barrio a count of distinct barrios is 1: a universe's chart shows
            // how many instances reached each member instead.
            let by_rows = r.def.universo.is_some() && r.def.campo.as_ref() == Some(&b.field);
            groups
                .into_iter()
                .map(|g| {
                    // Comunas by their number alone; the city-wide line by its name.
                    let label = if b.field == "comuna" && !g.key.is_empty() {
                        g.key.clone()
                    } else {
                        self.key_label(&r.def.dataset, &b.field, &g.key)
                    };
                    (
                        label,
                        if by_rows {
                            g.rows as f64
                        } else {
                            g.value.unwrap_or(0.0)
                        },
                    )
                })
                .unzip()
        };
        let by = r
            .breakdowns
            .first()
            .map(|b| self.field_title(&r.def.dataset, &b.field))
            .filter(|_| r.fields.is_empty());
        let by_rows = r.def.universo.is_some();
        Some(Chart {
            title: match by {
                Some(by) if by_rows => format!(
                    "{} {} {}",
                    w.instances_by,
                    by.to_lowercase(),
                    w.in_the_period
                ),
                Some(by) if !title.to_lowercase().contains(&by.to_lowercase()) => {
                    format!("{title} ({} {})", w.by_lower, by.to_lowercase())
                }
                _ => title,
            },
            kind,
            categories,
            series: vec![Series {
                name: if by_rows {
                    w.instances.to_string()
                } else {
                    self.title(r)
                },
                values,
            }],
            target: None,
            target_label: None,
        })
    }

    pub(super) fn section(&self, n: usize, r: &IndicatorResult) -> Section {
        let kind = kind_of(r);
        let (lang, w) = (self.lang, self.w);
        let period_label = period_label(self.inputs.figures.period, lang);
        let (target, baseline) = if r.def.acumulado {
            (None, None)
        } else {
            (r.def.meta, r.def.linea_base)
        };
        let mut figures = vec![Figure::new(
            lang,
            format!("{} — {period_label}", self.title(r)),
            cell(r.value, kind),
            kind,
            target,
            baseline,
            self.figure_note(r),
        )];
        if r.def.acumulado {
            let since = self
                .start_month()
                .map(|m| month_label(m, lang))
                .unwrap_or_default();
            let of_target = r.def.meta.zip(r.cumulative).map(|(m, c)| {
                let share = if m > 0.0 { c / m } else { 0.0 };
                format!("{} {}", crate::text::percent(share, lang), w.of_the_target)
            });
            figures.push(Figure::new(
                lang,
                format!("{} {since}", w.cumulative_since),
                cell(r.cumulative, kind),
                kind,
                r.def.meta,
                r.def.linea_base,
                of_target,
            ));
        }
        let mut tables = Vec::new();
        if r.def.acumulado {
            let months = self.month_rows(r);
            tables.push(Table {
                title: w.by_month.to_string(),
                columns: vec![
                    Column::new(w.month, Kind::Text),
                    Column::new(self.title(r), kind),
                    Column::new(Labels::of(lang).cumulative, kind),
                ],
                rows: months
                    .iter()
                    .map(|(m, v, c)| {
                        vec![
                            Cell::Text(month_label(*m, lang)),
                            cell(Some(*v), kind),
                            cell(Some(*c), kind),
                        ]
                    })
                    .collect(),
                totals: None,
                note: None,
            });
        }
        if !r.fields.is_empty() {
            let total: f64 = r.fields.iter().map(|(_, v)| v).sum();
            tables.push(Table {
                title: self.title(r),
                columns: vec![
                    Column::new(w.band, Kind::Text),
                    Column::new(w.participants, Kind::Integer),
                    Column::new(w.share, Kind::Percent),
                ],
                rows: r
                    .fields
                    .iter()
                    .map(|(f, v)| {
                        vec![
                            Cell::Text(self.field_title(&r.def.dataset, f)),
                            cell(Some(*v), Kind::Integer),
                            if total > 0.0 {
                                Cell::Num(v / total)
                            } else {
                                Cell::Empty
                            },
                        ]
                    })
                    .collect(),
                totals: Some(vec![
                    Cell::Text(w.total.into()),
                    cell(Some(total), Kind::Integer),
                    if total > 0.0 {
                        Cell::Num(1.0)
                    } else {
                        Cell::Empty
                    },
                ]),
                note: None,
            });
        }
        for b in &r.breakdowns {
            if b.field == "mes" && r.def.acumulado {
                continue;
            }
            tables.push(self.breakdown_table(r, b));
        }
        crate::report::followup::extend_section(self.inputs, r, &mut figures, &mut tables);
        Section {
            id: r.def.id.clone(),
            title: format!("{n}. {}", self.title(r)),
            description: self.pick(&r.def.descripcion_es, &r.def.descripcion_en),
            figures,
            tables,
            chart: self.chart(r),
            sources: self.sources_table(r),
        }
    }

    fn figure_note(&self, r: &IndicatorResult) -> Option<String> {
        if let Some(u) = &r.def.universo {
            let of = format!("{} {}", Labels::of(self.lang).of, self.universe(u).len());
            return Some(match self.not_counting_note(r) {
                Some(not_counted) => format!("{of}; {not_counted}"),
                None => of,
            });
        }
        if r.missing > 0 {
            return Some(words::rows_without_figure(r.missing, self.lang));
        }
        if r.value.is_none() {
            return Some(self.w.no_data_to_compute.to_string());
        }
        None
    }

    pub(super) fn summary_figure(&self, r: &IndicatorResult) -> Figure {
        let kind = kind_of(r);
        if r.def.acumulado {
            let in_period = format!(
                "{} {}",
                format_cell(&cell(r.value, kind), kind, self.lang),
                self.w.in_the_period
            );
            Figure::new(
                self.lang,
                format!("{} ({})", self.title(r), self.w.cumulative_lower),
                cell(r.cumulative, kind),
                kind,
                r.def.meta,
                r.def.linea_base,
                Some(in_period),
            )
        } else {
            let universe = r
                .def
                .universo
                .as_ref()
                .map(|u| self.universe(u).len() as f64);
            let label = self.lang.pick(&r.def.resumen_es, &r.def.resumen_en).clone();
            // With a universe the target column already says "of 48"; the note says which
            // instances it leaves out when they have a name (city-wide ones).
            let note = if universe.is_some() {
                self.not_counting_note(r)
            } else {
                self.figure_note(r)
            };
            Figure::new(
                self.lang,
                label.unwrap_or_else(|| self.title(r)),
                cell(r.value, kind),
                kind,
                r.def.meta.or(universe),
                r.def.linea_base,
                note,
            )
        }
    }
}
