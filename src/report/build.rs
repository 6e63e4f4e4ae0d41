//! From the indicators' figures and the store's facts to a [`Report`]: every text in the
//! report's language, every table complete, every figure with the files behind it.
//!
//! Pure: it receives what the pipeline read from the store. Must not query the store or
//! write a file.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::model::*;
use crate::indicators::compute::{Breakdown, IndicatorResult};
use crate::indicators::config::{ChartChoice, Measure};
use crate::indicators::period::{month_label, month_short, Month};
use crate::indicators::{Figures, IndicatorsConfig};
use crate::standard::{Dataset, Standard};
use crate::store::{Rejection, VersionInfo};

/// Everything a report is made of.
pub struct Inputs<'a> {
    /// The indicators' configuration.
    pub indicators: &'a IndicatorsConfig,
    /// The data standard (field titles, code list names).
    pub standard: &'a Standard,
    /// The computed figures.
    pub figures: &'a Figures,
    /// Language.
    pub lang: Lang,
    /// The versions the figures read (ids of `figures.files`).
    pub versions: &'a [VersionInfo],
    /// Present files that gave no row.
    pub unusable: &'a [VersionInfo],
    /// Every organismo expected to report: (code, display name).
    pub organismos: &'a [(String, String)],
    /// Rejected rows of the period's files.
    pub rejections: &'a [Rejection],
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Data version (see [`data_version`]).
    pub data_version: &'a str,
    /// Rows each dataset publishes for the period.
    pub dataset_rows: &'a BTreeMap<String, u64>,
}

/// The data version: a hash of the file versions a report read (path and content hash of
/// each, sorted), so that the same inputs always give the same version and any change of
/// input gives another.
pub fn data_version(versions: &[VersionInfo], unusable: &[VersionInfo]) -> String {
    let mut lines: BTreeSet<String> = BTreeSet::new();
    for v in versions.iter().chain(unusable) {
        lines.insert(format!("{}\t{}\n", v.archivo, v.sha256));
    }
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    hex::encode(h.finalize())[..16].to_string()
}

fn es(lang: Lang) -> bool {
    lang == Lang::Es
}

fn pick(lang: Lang, spanish: &str, english: &str) -> String {
    if es(lang) { spanish } else { english }.to_string()
}

fn labels(lang: Lang) -> Labels {
    let t = |a: &str, b: &str| pick(lang, a, b);
    Labels {
        summary: t("Resumen", "Summary"),
        contents: t("Contenido", "Contents"),
        quality: t("Calidad y oportunidad de los datos", "Data quality and timeliness"),
        annex: t("Anexo: archivos de origen", "Annex: source files"),
        rejected: t("Filas rechazadas", "Rejected rows"),
        page: t("Página", "Page"),
        of: t("de", "of"),
        issued: t("Fecha de emisión", "Date of issue"),
        data_version: t("Versión de los datos", "Data version"),
        period: t("Período", "Period"),
        continued: t("(continúa)", "(continued)"),
        target: t("Meta", "Target"),
        baseline: t("Línea de base", "Baseline"),
        no_data: t(
            "No se recibieron datos de este período: las cifras del período son cero o no están definidas.",
            "No data was received for this period: the period's figures are zero or undefined.",
        ),
        silent: t("Organismos que no enviaron datos del período", "Bodies that sent no data for the period"),
        none: t("Ninguno", "None"),
        sources: t("Fuentes de esta sección", "Sources of this section"),
        indicator: t("Indicador", "Indicator"),
        value: t("Valor", "Value"),
        cumulative: t("Acumulado", "Cumulative"),
    }
}

/// The kind a measure's value is written in.
fn kind_of(r: &IndicatorResult) -> Kind {
    match r.def.medida {
        Measure::Ratio if r.def.escala.unwrap_or(1.0) == 1.0 => Kind::Percent,
        Measure::Ratio | Measure::Mean => Kind::Decimal(1),
        _ => Kind::Integer,
    }
}

fn cell(v: Option<f64>, kind: Kind) -> Cell {
    match (v, kind) {
        (None, _) => Cell::Empty,
        (Some(x), Kind::Integer) if x.fract() == 0.0 && x.abs() < 9e15 => Cell::Int(x as i64),
        (Some(x), _) => Cell::Num(x),
    }
}

struct Ctx<'a> {
    inputs: &'a Inputs<'a>,
    lang: Lang,
}

impl Ctx<'_> {
    fn t(&self, spanish: &str, english: &str) -> String {
        pick(self.lang, spanish, english)
    }

    fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.inputs.standard.dataset(name)
    }

    fn field(&self, dataset: &str, name: &str) -> Option<&crate::standard::schema::Field> {
        self.dataset(dataset)
            .and_then(|d| d.field_index(name).map(|i| &d.fields[i]))
    }

    /// A field's title for a table header.
    fn field_title(&self, dataset: &str, field: &str) -> String {
        if field == "mes" {
            return self.t("Mes", "Month");
        }
        if field == "organismo" {
            return "Organismo".to_string();
        }
        if !es(self.lang) {
            let english = match field {
                "programa" => Some("Programme"),
                "comuna" => Some("Comuna"),
                "barrio" => Some("Barrio"),
                "estado" => Some("State"),
                "modalidad" => Some("Modality"),
                "categoria" => Some("Category"),
                "participantes_0_17" => Some("Aged 0 to 17"),
                "participantes_18_29" => Some("Aged 18 to 29"),
                "participantes_30_44" => Some("Aged 30 to 44"),
                "participantes_45_64" => Some("Aged 45 to 64"),
                "participantes_65_mas" => Some("Aged 65 and over"),
                _ => None,
            };
            if let Some(e) = english {
                return e.to_string();
            }
        }
        self.field(dataset, field)
            .and_then(|f| f.title.clone())
            .map(|t| {
                t.strip_prefix("Participantes de ")
                    .map(str::to_string)
                    .unwrap_or(t)
            })
            .unwrap_or_else(|| field.to_string())
    }

    /// The configured name of the line of `dataset`'s rows that leave `field` empty
    /// («Toda la ciudad» for instances without a comuna), in the report's language.
    fn empty_label(&self, dataset: &str, field: &str) -> Option<String> {
        self.inputs
            .indicators
            .empty_label(dataset, field)
            .map(|l| pick(self.lang, &l.es, &l.en))
    }

    /// A grouping key as people read it: a code's name, «Comuna 4», «marzo de 2019»; the rows
    /// without a value by their configured name («Toda la ciudad»), else «(sin dato)».
    fn key_label(&self, dataset: &str, field: &str, key: &str) -> String {
        if key.is_empty() {
            return self
                .empty_label(dataset, field)
                .unwrap_or_else(|| self.t("(sin dato)", "(not given)"));
        }
        if field == "mes" {
            return Month::parse(key)
                .map(|m| month_label(m, !es(self.lang)))
                .unwrap_or_else(|| key.to_string());
        }
        if field == "comuna" {
            return format!("Comuna {key}");
        }
        if field == "organismo" {
            return self.organismo_name(key);
        }
        let list = self.field(dataset, field).and_then(|f| f.code_list.clone());
        list.and_then(|l| self.inputs.standard.code_lists.get(&l))
            .and_then(|l| l.entries.iter().find(|e| e.code == key))
            .map(|e| e.name.clone())
            .unwrap_or_else(|| key.to_string())
    }

    /// A breakdown's groups in the order people know: the field's code list order (estados
    /// by their `orden`); groups outside the list, and fields without one, keep their order.
    fn in_code_order<'b>(
        &self,
        dataset: &str,
        b: &'b Breakdown,
    ) -> Vec<&'b crate::indicators::compute::Group> {
        let mut groups: Vec<_> = b.groups.iter().collect();
        let list = self
            .field(dataset, &b.field)
            .and_then(|f| f.code_list.clone());
        let Some(list) = list.and_then(|l| self.inputs.standard.code_lists.get(&l)) else {
            return groups;
        };
        let mut entries: Vec<(i64, usize, &str)> = list
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    e.columns
                        .get("orden")
                        .and_then(|o| o.trim().parse().ok())
                        .unwrap_or(i as i64),
                    i,
                    e.code.as_str(),
                )
            })
            .collect();
        entries.sort();
        groups.sort_by_key(|g| {
            entries
                .iter()
                .position(|(_, _, c)| *c == g.key)
                .unwrap_or(usize::MAX)
        });
        groups
    }

    fn organismo_name(&self, code: &str) -> String {
        self.inputs
            .organismos
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn title(&self, r: &IndicatorResult) -> String {
        pick(self.lang, &r.def.titulo_es, &r.def.titulo_en)
    }

    fn start_month(&self) -> Option<Month> {
        self.inputs.indicators.start().ok()
    }

    /// Each month from the commitment's start to the period's end, with the month's value and
    /// the running total (months without rows are zero).
    fn month_rows(&self, r: &IndicatorResult) -> Vec<(Month, f64, f64)> {
        let Some(mut m) = self.start_month() else {
            return Vec::new();
        };
        let last = self.inputs.figures.period.last_month();
        let mut out = Vec::new();
        let mut running = 0.0;
        while m <= last && out.len() < 1200 {
            let cum = r
                .months
                .iter()
                .find(|(x, _)| *x == m)
                .map(|(_, v)| *v)
                .unwrap_or(running);
            out.push((m, cum - running, cum));
            running = cum;
            m = m.next();
        }
        out
    }

    fn universe(&self, name: &str) -> Vec<(String, String, Option<String>)> {
        if name == "comunas" {
            return (1..=15)
                .map(|c| (c.to_string(), format!("Comuna {c}"), None))
                .collect();
        }
        self.inputs
            .standard
            .code_lists
            .get(name)
            .map(|l| {
                l.entries
                    .iter()
                    .map(|e| {
                        (
                            e.code.clone(),
                            e.name.clone(),
                            e.columns.get("comuna").cloned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn breakdown_table(&self, r: &IndicatorResult, b: &Breakdown) -> Table {
        let kind = kind_of(r);
        let field_title = self.field_title(&r.def.dataset, &b.field);
        let rows_title = self.t("Filas", "Rows");
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
                columns.push(Column::new("Comuna", Kind::Integer));
            }
            columns.push(Column::new(self.t("Alcanzado", "Reached"), Kind::Text));
            columns.push(Column::new(
                self.t("Instancias", "Instances"),
                Kind::Integer,
            ));
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
                row.push(Cell::Text(if n > 0 {
                    self.t("sí", "yes")
                } else {
                    self.t("no", "no")
                }));
                row.push(Cell::Int(n as i64));
                rows.push(row);
            }
            return Table {
                title: format!("{} {}", self.t("Por", "By"), field_title.to_lowercase()),
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
            let mut row = vec![Cell::Text("Total".into()), cell(r.value, kind)];
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
            columns.push(Column::new(rows_title, Kind::Integer));
        }
        Table {
            title: format!("{} {}", self.t("Por", "By"), field_title.to_lowercase()),
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
        let n = r.missing;
        Some(
            match (self.empty_label(&r.def.dataset, field), es(self.lang)) {
                (Some(label), true) => format!(
                    "Instancias de «{label}» (sin {campo}), fuera del alcance por {campo}: {n}."
                ),
                (Some(label), false) => format!(
                    "Instances of “{label}” (no {campo}), outside the reach by {campo}: {n}."
                ),
                (None, true) => {
                    format!("Instancias sin {campo}, fuera del alcance por {campo}: {n}.")
                }
                (None, false) => {
                    format!("Instances without a {campo}, outside the reach by {campo}: {n}.")
                }
            },
        )
    }

    /// Beside a reach figure whose field has a named empty line: how many of those
    /// instances it does not count («sin contar 3 instancias de «Toda la ciudad»»).
    fn not_counting_note(&self, r: &IndicatorResult) -> Option<String> {
        let field = r.def.campo.as_deref()?;
        let label = self.empty_label(&r.def.dataset, field)?;
        let n = r.missing;
        match (n, es(self.lang)) {
            (0, _) => None,
            (1, true) => Some(format!("sin contar 1 instancia de «{label}»")),
            (_, true) => Some(format!("sin contar {n} instancias de «{label}»")),
            (1, false) => Some(format!("not counting 1 instance of “{label}”")),
            (_, false) => Some(format!("not counting {n} instances of “{label}”")),
        }
    }

    fn sources_table(&self, r: &IndicatorResult) -> Table {
        let kind = kind_of(r);
        let with_value = r.def.medida != Measure::Count;
        let mut columns = vec![
            Column::new("Organismo", Kind::Text),
            Column::new(self.t("Archivo", "File"), Kind::Text),
            Column::new(self.t("Filas usadas", "Rows used"), Kind::Integer),
        ];
        if with_value {
            columns.push(Column::new(self.title(r), kind));
        }
        Table {
            title: self.inputs_labels().sources,
            columns,
            rows: r
                .sources
                .iter()
                .map(|s| {
                    let mut row = vec![Cell::Text(self.organismo_name(&s.organismo)), Cell::Text(s.archivo.clone()), Cell::Int(s.rows as i64)];
                    if with_value {
                        row.push(cell(s.value, kind));
                    }
                    row
                })
                .collect(),
            totals: None,
            note: Some(self.t(
                "Cada archivo figura con su SHA-256 en el anexo; cada fila, con su hoja y su número, en la hoja del dataset del libro XLSX.",
                "Each file is listed with its SHA-256 in the annex; each row, with its sheet and number, in the dataset's sheet of the XLSX workbook.",
            )),
        }
    }

    fn inputs_labels(&self) -> Labels {
        labels(self.lang)
    }

    fn chart(&self, r: &IndicatorResult) -> Option<Chart> {
        let choice = r.def.grafico?;
        if let Some(stacked) = super::followup::chart(self.inputs, r) {
            return Some(stacked);
        }
        let title = self.title(r);
        if choice == ChartChoice::Linea && r.def.acumulado {
            let months = self.month_rows(r);
            return Some(Chart {
                title: format!("{title}: {}", self.t("acumulado", "cumulative")),
                kind: ChartKind::Line,
                categories: months
                    .iter()
                    .map(|(m, _, _)| month_short(*m, !es(self.lang)))
                    .collect(),
                series: vec![Series {
                    name: self.t("Acumulado", "Cumulative"),
                    values: months.iter().map(|(_, _, c)| *c).collect(),
                }],
                target: r.def.meta,
                target_label: r.def.meta.map(|m| {
                    format!(
                        "{}: {}",
                        self.t("Meta", "Target"),
                        format_number(m, 0, self.lang)
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
                    self.t("Instancias por", "Instances by"),
                    by.to_lowercase(),
                    self.t("en el período", "in the period")
                ),
                Some(by) if !title.to_lowercase().contains(&by.to_lowercase()) => {
                    format!("{title} ({} {})", self.t("por", "by"), by.to_lowercase())
                }
                _ => title,
            },
            kind,
            categories,
            series: vec![Series {
                name: if by_rows {
                    self.t("Instancias", "Instances")
                } else {
                    self.title(r)
                },
                values,
            }],
            target: None,
            target_label: None,
        })
    }

    fn section(&self, n: usize, r: &IndicatorResult) -> Section {
        let kind = kind_of(r);
        let period_label = self.inputs.figures.period.label(!es(self.lang));
        let mut figures = vec![Figure {
            label: format!("{} — {period_label}", self.title(r)),
            value: cell(r.value, kind),
            kind,
            target: if r.def.acumulado { None } else { r.def.meta },
            baseline: if r.def.acumulado {
                None
            } else {
                r.def.linea_base
            },
            note: self.figure_note(r),
        }];
        if r.def.acumulado {
            let since = self
                .start_month()
                .map(|m| month_label(m, !es(self.lang)))
                .unwrap_or_default();
            figures.push(Figure {
                label: format!("{} {since}", self.t("Acumulado desde", "Cumulative since")),
                value: cell(r.cumulative, kind),
                kind,
                target: r.def.meta,
                baseline: r.def.linea_base,
                note: r.def.meta.zip(r.cumulative).map(|(m, c)| {
                    format!(
                        "{} {}",
                        format_cell(
                            &Cell::Num(if m > 0.0 { c / m } else { 0.0 }),
                            Kind::Percent,
                            self.lang
                        ),
                        self.t("de la meta", "of the target")
                    )
                }),
            });
        }
        let mut tables = Vec::new();
        if r.def.acumulado {
            let months = self.month_rows(r);
            tables.push(Table {
                title: self.t(
                    "Por mes, desde el inicio del compromiso",
                    "By month, since the commitment's start",
                ),
                columns: vec![
                    Column::new(self.t("Mes", "Month"), Kind::Text),
                    Column::new(self.title(r), kind),
                    Column::new(self.t("Acumulado", "Cumulative"), kind),
                ],
                rows: months
                    .iter()
                    .map(|(m, v, c)| {
                        vec![
                            Cell::Text(month_label(*m, !es(self.lang))),
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
                    Column::new(self.t("Franja", "Band"), Kind::Text),
                    Column::new(self.t("Participantes", "Participants"), Kind::Integer),
                    Column::new(self.t("Proporción", "Share"), Kind::Percent),
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
                    Cell::Text("Total".into()),
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
        super::followup::extend_section(self.inputs, r, &mut figures, &mut tables);
        Section {
            id: r.def.id.clone(),
            title: format!("{n}. {}", self.title(r)),
            description: pick(self.lang, &r.def.descripcion_es, &r.def.descripcion_en),
            figures,
            tables,
            chart: self.chart(r),
            sources: self.sources_table(r),
        }
    }

    fn figure_note(&self, r: &IndicatorResult) -> Option<String> {
        if let Some(u) = &r.def.universo {
            let of = format!("{} {}", self.t("de", "of"), self.universe(u).len());
            return Some(match self.not_counting_note(r) {
                Some(not_counted) => format!("{of}; {not_counted}"),
                None => of,
            });
        }
        if r.missing > 0 {
            return Some(if es(self.lang) {
                format!("{} filas sin el dato (no se cuentan como cero)", r.missing)
            } else {
                format!(
                    "{} rows without the figure (not counted as zero)",
                    r.missing
                )
            });
        }
        if r.value.is_none() {
            return Some(self.t("sin datos para calcularlo", "no data to compute it"));
        }
        None
    }

    fn summary_figure(&self, r: &IndicatorResult) -> Figure {
        let kind = kind_of(r);
        let period_note = |v: Option<f64>| {
            format!(
                "{} {}",
                format_cell(&cell(v, kind), kind, self.lang),
                self.t("en el período", "in the period")
            )
        };
        if r.def.acumulado {
            Figure {
                label: format!("{} ({})", self.title(r), self.t("acumulado", "cumulative")),
                value: cell(r.cumulative, kind),
                kind,
                target: r.def.meta,
                baseline: r.def.linea_base,
                note: Some(period_note(r.value)),
            }
        } else {
            let universe = r
                .def
                .universo
                .as_ref()
                .map(|u| self.universe(u).len() as f64);
            let label = match self.lang {
                Lang::Es => r.def.resumen_es.clone(),
                Lang::En => r.def.resumen_en.clone(),
            };
            // With a universe the target column already says "of 48"; the note says which
            // instances it leaves out when they have a name (city-wide ones).
            let note = if universe.is_some() {
                self.not_counting_note(r)
            } else {
                self.figure_note(r)
            };
            Figure {
                label: label.unwrap_or_else(|| self.title(r)),
                value: cell(r.value, kind),
                kind,
                target: r.def.meta.or(universe),
                baseline: r.def.linea_base,
                note,
            }
        }
    }

    fn quality(&self) -> (Table, Vec<String>) {
        let inputs = self.inputs;
        let info: BTreeMap<i64, &VersionInfo> = inputs.versions.iter().map(|v| (v.id, v)).collect();
        // organismo → (files, accepted in period, rejected in those files)
        let mut by: BTreeMap<String, (i64, i64, i64)> = inputs
            .organismos
            .iter()
            .map(|(c, _)| (c.clone(), (0, 0, 0)))
            .collect();
        for (id, use_) in &inputs.figures.files {
            if use_.rows_in_period == 0 {
                continue;
            }
            let e = by.entry(use_.organismo.clone()).or_default();
            e.0 += 1;
            e.1 += use_.rows_in_period as i64;
            e.2 += info.get(id).map(|v| v.filas_rechazadas).unwrap_or(0);
        }
        let share = |acc: i64, rej: i64| {
            if acc + rej > 0 {
                Cell::Num(rej as f64 / (acc + rej) as f64)
            } else {
                Cell::Empty
            }
        };
        let mut rows = Vec::new();
        let mut silent = Vec::new();
        let (mut tf, mut ta, mut tr) = (0, 0, 0);
        for (code, (files, acc, rej)) in &by {
            if *files == 0 {
                silent.push(self.organismo_name(code));
            }
            rows.push(vec![
                Cell::Text(self.organismo_name(code)),
                Cell::Int(*files),
                Cell::Int(*acc),
                Cell::Int(*rej),
                share(*acc, *rej),
            ]);
            tf += files;
            ta += acc;
            tr += rej;
        }
        let table = Table {
            title: self.t("Archivos y filas por organismo", "Files and rows by body"),
            columns: vec![
                Column::new("Organismo", Kind::Text),
                Column::new(self.t("Archivos", "Files"), Kind::Integer),
                Column::new(self.t("Filas aceptadas", "Rows accepted"), Kind::Integer),
                Column::new(self.t("Filas rechazadas", "Rows rejected"), Kind::Integer),
                Column::new(self.t("Proporción rechazada", "Share rejected"), Kind::Percent),
            ],
            rows,
            totals: Some(vec![Cell::Text("Total".into()), Cell::Int(tf), Cell::Int(ta), Cell::Int(tr), share(ta, tr)]),
            note: Some(self.t(
                "Archivos: los que tienen filas fechadas en el período. Filas aceptadas: las del período. Filas rechazadas: todas las de esos archivos, porque una fila rechazada puede no tener una fecha válida; el detalle, con la celda y el motivo, está en la sección de filas rechazadas.",
                "Files: those with rows dated in the period. Rows accepted: those of the period. Rows rejected: all of those files' rejected rows, since a rejected row may lack a valid date; the detail, with the cell and the reason, is in the rejected rows section.",
            )),
        };
        (table, silent)
    }

    fn annex(&self) -> Table {
        let inputs = self.inputs;
        let mut rows = Vec::new();
        let mut listed: Vec<&VersionInfo> = inputs.versions.iter().chain(inputs.unusable).collect();
        listed.sort_by(|a, b| {
            (&a.organismo, &a.archivo, a.id).cmp(&(&b.organismo, &b.archivo, b.id))
        });
        listed.dedup_by_key(|v| v.id);
        for v in listed {
            let used = inputs
                .figures
                .files
                .get(&v.id)
                .map(|f| f.rows_used)
                .unwrap_or(0);
            let received = chrono::DateTime::parse_from_rfc3339(&v.recibido_en)
                .map(|d| Cell::Date(d.date_naive()))
                .unwrap_or(Cell::Text(v.recibido_en.clone()));
            rows.push(vec![
                Cell::Text(self.organismo_name(&v.organismo)),
                Cell::Text(v.archivo.clone()),
                received,
                Cell::Int(used as i64),
                Cell::Text(v.sha256.clone()),
            ]);
        }
        Table {
            title: self.t("Archivos de origen", "Source files"),
            columns: vec![
                Column::new("Organismo", Kind::Text),
                Column::new(self.t("Archivo", "File"), Kind::Text),
                Column::new(self.t("Recibido", "Received"), Kind::Date),
                Column::new(self.t("Filas usadas", "Rows used"), Kind::Integer),
                Column::new("SHA-256", Kind::Text),
            ],
            rows,
            totals: None,
            note: Some(self.t(
                "Filas usadas: filas del archivo que entran en alguna cifra del informe (el período, el acumulado o el estado al cierre). Un archivo con 0 filas usadas no pudo leerse o todas sus filas fueron rechazadas. El SHA-256 identifica el contenido exacto recibido: `sha256sum archivo` lo reproduce.",
                "Rows used: rows of the file that enter some figure of the report (the period, the cumulative count or the state at the close). A file with 0 rows used could not be read or had every row rejected. The SHA-256 identifies the exact content received: `sha256sum file` reproduces it.",
            )),
        }
    }

    fn rejected(&self) -> Table {
        Table {
            title: self.t(
                "Filas rechazadas de los archivos del período",
                "Rejected rows of the period's files",
            ),
            columns: vec![
                Column::new(self.t("Archivo", "File"), Kind::Text),
                Column::new(self.t("Hoja", "Sheet"), Kind::Text),
                Column::new(self.t("Fila", "Row"), Kind::Integer),
                Column::new(self.t("Celda", "Cell"), Kind::Text),
                Column::new(self.t("Código", "Code"), Kind::Text),
                Column::new(self.t("Valor", "Value"), Kind::Text),
                Column::new(self.t("Motivo", "Reason"), Kind::Text),
            ],
            rows: self
                .inputs
                .rejections
                .iter()
                .map(|r| {
                    let cell_ref = if r.columna.is_empty() {
                        String::new()
                    } else {
                        format!("{}{}", r.columna, r.fila)
                    };
                    vec![
                        Cell::Text(r.archivo.clone()),
                        Cell::Text(r.hoja.clone()),
                        Cell::Int(r.fila),
                        Cell::Text(cell_ref),
                        Cell::Text(r.codigo.clone()),
                        Cell::Text(r.valor.clone()),
                        Cell::Text(r.mensaje.clone()),
                    ]
                })
                .collect(),
            totals: None,
            note: None,
        }
    }

    fn datasets(&self) -> Vec<DatasetPart> {
        let mut out = Vec::new();
        for ds in &self.inputs.standard.datasets {
            let Some(rows) = self.inputs.dataset_rows.get(&ds.name) else {
                continue;
            };
            let mut part = dataset_part(ds, *rows);
            // A field whose empty value has a name (an instance without a comuna is
            // city-wide) may be empty in the published rows.
            part.may_be_empty = self
                .inputs
                .indicators
                .datasets
                .get(&ds.name)
                .map(|d| d.sin_dato.keys().cloned().collect())
                .unwrap_or_default();
            out.push(part);
        }
        out
    }
}

/// A standard dataset as the report publishes it: its fields, then the provenance columns.
pub fn dataset_part(ds: &crate::standard::Dataset, rows: u64) -> DatasetPart {
    let mut columns: Vec<Column> = ds
        .fields
        .iter()
        .map(|f| {
            let kind = match f.field_type {
                crate::standard::schema::FieldType::Integer
                | crate::standard::schema::FieldType::Year => Kind::Integer,
                crate::standard::schema::FieldType::Number => Kind::Decimal(2),
                crate::standard::schema::FieldType::Date => Kind::Date,
                _ => Kind::Text,
            };
            Column::new(f.name.clone(), kind)
        })
        .collect();
    let mut names: Vec<String> = ds.fields.iter().map(|f| f.name.clone()).collect();
    for p in crate::standard::schema::PROVENANCE {
        columns.push(Column::new(
            p,
            if p == "fuente_fila" {
                Kind::Integer
            } else {
                Kind::Text
            },
        ));
        names.push(p.to_string());
    }
    DatasetPart {
        name: ds.name.clone(),
        title: ds.title.clone().unwrap_or_else(|| ds.name.clone()),
        columns,
        field_names: names,
        row_count: rows,
        may_be_empty: Vec::new(),
    }
}

/// Builds the report.
pub fn build(inputs: &Inputs) -> Report {
    let lang = inputs.lang;
    let ctx = Ctx { inputs, lang };
    let period = inputs.figures.period;
    let period_label = period.label(!es(lang));
    let c = &inputs.indicators.compromiso;
    let meta = Meta {
        lang,
        title: if es(lang) {
            format!("Informe de rendición de cuentas — {period_label}")
        } else {
            format!("Accountability report — {period_label}")
        },
        commitment: pick(lang, &c.titulo_es, &c.titulo_en),
        author: c.autor.clone(),
        subject: if es(lang) {
            format!(
                "Indicadores del compromiso {} de participación ciudadana, {period_label}",
                c.codigo
            )
        } else {
            format!(
                "Indicators of the citizen participation commitment {}, {period_label}",
                c.codigo
            )
        },
        period: period.to_string(),
        period_label,
        period_start: period.start(),
        period_end: period.end(),
        issued_on: inputs.issued_on,
        data_version: inputs.data_version.to_string(),
        has_data: inputs.figures.has_data(),
        file_stem: format!("participa-{period}-{}", lang.code()),
    };
    let results = &inputs.figures.indicators;
    let summary = results
        .iter()
        .filter(|r| r.def.resumen)
        .map(|r| ctx.summary_figure(r))
        .collect();
    let summary_charts = results
        .iter()
        .filter(|r| r.def.grafico_en_resumen)
        .filter_map(|r| ctx.chart(r))
        .collect();
    let sections = results
        .iter()
        .enumerate()
        .map(|(i, r)| ctx.section(i + 1, r))
        .collect();
    let (quality, silent) = ctx.quality();
    Report {
        labels: labels(lang),
        meta,
        summary,
        summary_charts,
        sections,
        quality,
        silent,
        annex: ctx.annex(),
        rejected: ctx.rejected(),
        datasets: ctx.datasets(),
        followup: super::followup::build(inputs),
    }
}

#[cfg(test)]
mod tests {
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
}
