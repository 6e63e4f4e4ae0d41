//! A made-up but realistic report for the renderers' tests and the report benchmark: accents
//! and ñ in every kind of text, a table long enough to continue over several pages, an empty
//! cell, and a dataset of `rows_per_dataset` rows. Never used to make a real report.

use chrono::NaiveDate;

use super::model::*;
use crate::text::Lang;

/// Rows for [`example`]'s datasets: the same made-up row repeated with a changing row number.
pub struct ExampleRows {
    /// Rows per dataset.
    pub rows_per_dataset: u64,
}

impl RowSource for ExampleRows {
    fn for_each_row(
        &mut self,
        dataset: &str,
        each: &mut dyn FnMut(&[Cell]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut row: Vec<Cell> = match dataset {
            "instancias" => vec![
                Cell::Text("reunion_vecinos".into()),
                Cell::Date(date(2019, 3, 14)),
                Cell::Text("presencial".into()),
                Cell::Int(4),
                Cell::Text("Almagro".into()),
                Cell::Empty,
                Cell::Int(87),
                Cell::Text("Seguridad y señalización en Núñez".into()),
                Cell::Text("ministerio-justicia-seguridad".into()),
                Cell::Text("ministerio-justicia-seguridad/comisarías_2019.xlsx".into()),
                Cell::Text("Marzo".into()),
                Cell::Int(0),
            ],
            _ => vec![
                Cell::Text("grandes_choferes".into()),
                Cell::Text("2019-03".into()),
                Cell::Int(1),
                Cell::Int(240),
                Cell::Int(31),
                Cell::Text("ministerio-transporte".into()),
                Cell::Text("ministerio-transporte/grandes_choferes_2019.xlsx".into()),
                Cell::Text("Hoja1".into()),
                Cell::Int(0),
            ],
        };
        let last = row.len() - 1;
        for i in 0..self.rows_per_dataset {
            row[last] = Cell::Int(i as i64 + 2);
            each(&row)?;
        }
        Ok(())
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// [`example`]'s report as if built in English: language, title, labels and the figures'
/// texts (the rest stays in Spanish, as made-up data may).
pub fn english(mut r: Report) -> Report {
    r.meta.lang = Lang::En;
    r.meta.title = "Accountability report — March 2019".into();
    r.meta.period_label = "March 2019".into();
    r.meta.file_stem = format!("participa-{}-en", r.meta.period);
    r.meta.subject = "Citizen participation indicators, March 2019".into();
    r.labels = Labels::of(Lang::En);
    let figures = r
        .summary
        .iter_mut()
        .chain(r.sections.iter_mut().flat_map(|s| s.figures.iter_mut()));
    for f in figures {
        *f = Figure::new(
            Lang::En,
            std::mem::take(&mut f.label),
            f.value.clone(),
            f.kind,
            f.target,
            f.baseline,
            f.note.take(),
        );
    }
    r
}

/// A Spanish report for March 2019 with datasets of `rows_per_dataset` rows.
pub fn example(rows_per_dataset: u64) -> Report {
    // Comunas 1 to 15, then the city-wide instances' line.
    let comunas: Vec<String> = (1..=15)
        .map(|c| format!("Comuna {c}"))
        .chain(std::iter::once("Toda la ciudad".to_string()))
        .collect();
    let by_comuna: Vec<f64> = (1..=16).map(|c| f64::from((c * 137) % 900 + 40)).collect();
    let months = ["ene 2019", "feb 2019", "mar 2019"];
    let barrios = [
        "Agronomía",
        "Almagro",
        "Balvanera",
        "Barracas",
        "Belgrano",
        "Boedo",
        "Caballito",
        "Chacarita",
        "Coghlan",
        "Colegiales",
        "Constitución",
        "Flores",
        "Floresta",
        "La Boca",
        "La Paternal",
        "Liniers",
        "Mataderos",
        "Monte Castro",
        "Montserrat",
        "Nueva Pompeya",
        "Núñez",
        "Palermo",
        "Parque Avellaneda",
        "Parque Chacabuco",
        "Parque Chas",
        "Parque Patricios",
        "Puerto Madero",
        "Recoleta",
        "Retiro",
        "Saavedra",
        "San Cristóbal",
        "San Nicolás",
        "San Telmo",
        "Vélez Sársfield",
        "Versalles",
        "Villa Crespo",
        "Villa del Parque",
        "Villa Devoto",
        "Villa General Mitre",
        "Villa Lugano",
        "Villa Luro",
        "Villa Ortúzar",
        "Villa Pueyrredón",
        "Villa Real",
        "Villa Riachuelo",
        "Villa Santa Rita",
        "Villa Soldati",
        "Villa Urquiza",
    ];
    let mut barrio_rows: Vec<Vec<Cell>> = Vec::new();
    for (i, b) in barrios.iter().enumerate() {
        let comuna = (i % 15) as i64 + 1;
        let n = (i as i64 * 7) % 5;
        barrio_rows.push(vec![
            text(b),
            Cell::Int(comuna),
            Cell::Int(n),
            if n == 0 {
                Cell::Empty
            } else {
                Cell::Int(n * 53)
            },
        ]);
    }
    let sources = |rows: Vec<(&str, &str, i64)>| Table {
        title: "Fuentes de esta sección".into(),
        columns: vec![
            Column::new("Organismo", Kind::Text),
            Column::new("Archivo", Kind::Text),
            Column::new("Filas usadas", Kind::Integer),
        ],
        rows: rows
            .into_iter()
            .map(|(o, f, n)| vec![text(o), text(f), Cell::Int(n)])
            .collect(),
        totals: None,
        note: None,
    };
    let instancias = Section {
        id: "instancias".into(),
        title: "1. Instancias de participación".into(),
        description: "Reuniones, encuentros y actividades con vecinos y vecinas realizados en el período, y el acumulado desde el inicio del compromiso contra la meta de 300 (hito 3.3).".into(),
        figures: vec![
            Figure::new(Lang::Es, "Instancias en el período".into(), Cell::Int(79), Kind::Integer, None, None, None),
            Figure::new(Lang::Es, "Instancias acumuladas".into(), Cell::Int(166), Kind::Integer, Some(300.0), Some(0.0), Some("55,3 % de la meta".into())),
        ],
        tables: vec![
            Table {
                title: "Instancias por mes".into(),
                columns: vec![Column::new("Mes", Kind::Text), Column::new("Instancias", Kind::Integer), Column::new("Acumulado", Kind::Integer)],
                rows: vec![vec![text(months[0]), Cell::Int(40), Cell::Int(40)], vec![text(months[1]), Cell::Int(47), Cell::Int(87)], vec![text(months[2]), Cell::Int(79), Cell::Int(166)]],
                totals: Some(vec![text("Total"), Cell::Int(166), Cell::Empty]),
                note: None,
            },
            Table {
                title: "Instancias por barrio".into(),
                columns: vec![Column::new("Barrio", Kind::Text), Column::new("Comuna", Kind::Integer), Column::new("Instancias", Kind::Integer), Column::new("Participantes", Kind::Integer)],
                rows: barrio_rows,
                totals: None,
                note: Some("Un barrio sin instancias figura con 0; «—» indica que no se informaron participantes.".into()),
            },
        ],
        chart: Some(Chart {
            title: "Instancias acumuladas contra la meta".into(),
            kind: ChartKind::Line,
            categories: months.iter().map(|m| m.to_string()).collect(),
            series: vec![Series { name: "Acumulado".into(), values: vec![40.0, 87.0, 166.0] }],
            target: Some(300.0),
            target_label: Some("Meta: 300".into()),
        }),
        sources: sources(vec![
            ("ministerio-justicia-seguridad", "ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx", 40),
            ("secretaria-atencion-ciudadana", "secretaria-atencion-ciudadana/reuniones_vecinos_1er_trimestre.xlsx", 30),
            ("ministerio-cultura", "ministerio-cultura/experiencia_ba.ods", 9),
        ]),
    };
    let participantes = Section {
        id: "participantes".into(),
        title: "2. Participantes por comuna".into(),
        description: "Personas que asistieron, por comuna. Una instancia sin el dato no suma cero: se informa aparte.".into(),
        figures: vec![Figure::new(Lang::Es, "Participantes en el período".into(), Cell::Int(8144), Kind::Integer, None, None, Some("2 instancias sin el dato".into()))],
        tables: vec![Table {
            title: "Participantes por comuna".into(),
            columns: vec![Column::new("Comuna", Kind::Text), Column::new("Participantes", Kind::Integer), Column::new("Proporción", Kind::Percent)],
            rows: comunas.iter().zip(&by_comuna).map(|(c, v)| vec![text(c), Cell::Int(*v as i64), Cell::Num(v / 8144.0)]).collect(),
            totals: Some(vec![text("Total"), Cell::Int(by_comuna.iter().sum::<f64>() as i64), Cell::Num(1.0)]),
            note: None,
        }],
        chart: Some(Chart {
            title: "Participantes por comuna".into(),
            kind: ChartKind::Column,
            categories: (1..=15).map(|c| c.to_string()).chain(std::iter::once("Toda la ciudad".to_string())).collect(),
            series: vec![Series { name: "Participantes".into(), values: by_comuna.clone() }],
            target: None,
            target_label: None,
        }),
        sources: sources(vec![("ministerio-desarrollo-humano", "ministerio-desarrollo-humano/voluntariado_export.csv", 21)]),
    };
    let estados = Section {
        id: "iniciativas_estado".into(),
        title: "5. Seguimiento de iniciativas".into(),
        description:
            "Iniciativas por estado actual (la última actualización recibida de cada una).".into(),
        figures: vec![Figure::new(
            Lang::Es,
            "Avance medio".into(),
            Cell::Num(47.25),
            Kind::Decimal(1),
            None,
            None,
            None,
        )],
        tables: vec![Table {
            title: "Iniciativas por estado".into(),
            columns: vec![
                Column::new("Estado", Kind::Text),
                Column::new("Iniciativas", Kind::Integer),
            ],
            rows: vec![
                vec![text("Ganadora"), Cell::Int(10)],
                vec![text("En ejecución"), Cell::Int(15)],
                vec![text("Finalizada"), Cell::Int(5)],
                vec![text("Cancelada"), Cell::Int(10)],
            ],
            totals: Some(vec![text("Total"), Cell::Int(40)]),
            note: None,
        }],
        chart: Some(Chart {
            title: "Iniciativas por estado".into(),
            kind: ChartKind::Bar,
            categories: vec![
                "Ganadora".into(),
                "En ejecución".into(),
                "Finalizada".into(),
                "Cancelada".into(),
            ],
            series: vec![Series {
                name: "Iniciativas".into(),
                values: vec![10.0, 15.0, 5.0, 10.0],
            }],
            target: None,
            target_label: None,
        }),
        sources: sources(vec![(
            "secretaria-atencion-ciudadana",
            "secretaria-atencion-ciudadana/ba_elige_seguimiento_2019-03.xlsx",
            40,
        )]),
    };
    let summary_charts = vec![
        instancias.chart.clone().unwrap_or_else(empty_chart),
        participantes.chart.clone().unwrap_or_else(empty_chart),
        estados.chart.clone().unwrap_or_else(empty_chart),
        Chart {
            title: "Participantes por franja de edad".into(),
            kind: ChartKind::Column,
            categories: vec![
                "0 a 17".into(),
                "18 a 29".into(),
                "30 a 44".into(),
                "45 a 64".into(),
                "65 y más".into(),
            ],
            series: vec![Series {
                name: "Participantes".into(),
                values: vec![120.0, 540.0, 880.0, 760.0, 310.0],
            }],
            target: None,
            target_label: None,
        },
    ];
    let annex_files = [
        (
            "ministerio-cultura",
            "ministerio-cultura/experiencia_ba.ods",
        ),
        (
            "ministerio-desarrollo-humano",
            "ministerio-desarrollo-humano/voluntariado_export.csv",
        ),
        (
            "ministerio-justicia-seguridad",
            "ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx",
        ),
        (
            "secretaria-atencion-ciudadana",
            "secretaria-atencion-ciudadana/reuniones_vecinos_1er_trimestre.xlsx",
        ),
    ];
    Report {
        meta: Meta {
            lang: Lang::Es,
            title: "Informe de rendición de cuentas — marzo de 2019".into(),
            commitment: "Compromiso BUE0008: participación ciudadana en la Ciudad de Buenos Aires"
                .into(),
            author: "Gobierno de la Ciudad Autónoma de Buenos Aires".into(),
            subject: "Indicadores de participación ciudadana, marzo de 2019".into(),
            period: "2019-03".into(),
            period_label: "marzo de 2019".into(),
            period_start: date(2019, 3, 1),
            period_end: date(2019, 3, 31),
            issued_on: date(2019, 4, 2),
            data_version: "3f9a1c0d5e7b2a64".into(),
            has_data: true,
            file_stem: "participa-2019-03-es".into(),
        },
        labels: Labels::of(Lang::Es),
        summary: vec![
            Figure::new(
                Lang::Es,
                "Instancias acumuladas".into(),
                Cell::Int(166),
                Kind::Integer,
                Some(300.0),
                Some(0.0),
                Some("79 en el período".into()),
            ),
            Figure::new(
                Lang::Es,
                "Participantes en el período".into(),
                Cell::Int(8144),
                Kind::Integer,
                None,
                None,
                None,
            ),
            Figure::new(
                Lang::Es,
                "Barrios alcanzados".into(),
                Cell::Int(48),
                Kind::Integer,
                Some(48.0),
                None,
                Some("de 48".into()),
            ),
            Figure::new(
                Lang::Es,
                "Proporción de instancias virtuales".into(),
                Cell::Num(0.3855),
                Kind::Percent,
                None,
                None,
                None,
            ),
            Figure::new(
                Lang::Es,
                "Ganadores cada 100 inscriptos".into(),
                Cell::Num(9.24),
                Kind::Decimal(1),
                None,
                None,
                None,
            ),
        ],
        summary_charts,
        sections: vec![instancias, participantes, estados],
        quality: Table {
            title: "Calidad y oportunidad de los datos por organismo".into(),
            columns: vec![
                Column::new("Organismo", Kind::Text),
                Column::new("Archivos", Kind::Integer),
                Column::new("Filas aceptadas", Kind::Integer),
                Column::new("Filas rechazadas", Kind::Integer),
                Column::new("Proporción rechazada", Kind::Percent),
            ],
            rows: vec![
                vec![
                    text("Ministerio de Justicia y Seguridad"),
                    Cell::Int(1),
                    Cell::Int(40),
                    Cell::Int(3),
                    Cell::Num(3.0 / 43.0),
                ],
                vec![
                    text("Secretaría de Atención Ciudadana"),
                    Cell::Int(3),
                    Cell::Int(100),
                    Cell::Int(1),
                    Cell::Num(0.0099),
                ],
                vec![
                    text("Ministerio de Educación"),
                    Cell::Int(0),
                    Cell::Int(0),
                    Cell::Int(0),
                    Cell::Empty,
                ],
            ],
            totals: Some(vec![
                text("Total"),
                Cell::Int(4),
                Cell::Int(140),
                Cell::Int(4),
                Cell::Num(4.0 / 144.0),
            ]),
            note: None,
        },
        silent: vec!["Ministerio de Educación".into()],
        annex: Table {
            title: "Archivos de origen".into(),
            columns: vec![
                Column::new("Organismo", Kind::Text),
                Column::new("Archivo", Kind::Text),
                Column::new("Recibido", Kind::Date),
                Column::new("SHA-256", Kind::Text),
            ],
            rows: annex_files
                .iter()
                .enumerate()
                .map(|(i, (o, f))| {
                    vec![
                        text(o),
                        text(f),
                        Cell::Date(date(2019, 4, 1)),
                        text(&format!(
                            "{:064x}",
                            (i as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)
                        )),
                    ]
                })
                .collect(),
            totals: None,
            note: None,
        },
        rejected: Table {
            title: "Filas rechazadas".into(),
            columns: vec![
                Column::new("Archivo", Kind::Text),
                Column::new("Hoja", Kind::Text),
                Column::new("Fila", Kind::Integer),
                Column::new("Celda", Kind::Text),
                Column::new("Código", Kind::Text),
                Column::new("Valor", Kind::Text),
                Column::new("Motivo", Kind::Text),
            ],
            rows: vec![vec![
                text("ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx"),
                text("Hoja1"),
                Cell::Int(19),
                text("B19"),
                text("constraint-error"),
                text("-5"),
                text("«-5» en la columna «Participantes» no puede ser menor que 0."),
            ]],
            totals: None,
            note: None,
        },
        datasets: vec![
            DatasetPart {
                name: "instancias".into(),
                title: "Instancias de participación".into(),
                columns: vec![
                    Column::new("programa", Kind::Text),
                    Column::new("fecha", Kind::Date),
                    Column::new("modalidad", Kind::Text),
                    Column::new("comuna", Kind::Integer),
                    Column::new("barrio", Kind::Text),
                    Column::new("inscriptos", Kind::Integer),
                    Column::new("participantes", Kind::Integer),
                    Column::new("tema", Kind::Text),
                    Column::new("organismo", Kind::Text),
                    Column::new("fuente_archivo", Kind::Text),
                    Column::new("fuente_hoja", Kind::Text),
                    Column::new("fuente_fila", Kind::Integer),
                ],
                field_names: [
                    "programa",
                    "fecha",
                    "modalidad",
                    "comuna",
                    "barrio",
                    "inscriptos",
                    "participantes",
                    "tema",
                    "organismo",
                    "fuente_archivo",
                    "fuente_hoja",
                    "fuente_fila",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                row_count: rows_per_dataset,
                may_be_empty: vec!["comuna".into()],
            },
            DatasetPart {
                name: "reconocimientos".into(),
                title: "Programa de reconocimiento".into(),
                columns: vec![
                    Column::new("programa", Kind::Text),
                    Column::new("periodo", Kind::Text),
                    Column::new("comuna", Kind::Integer),
                    Column::new("inscriptos", Kind::Integer),
                    Column::new("ganadores", Kind::Integer),
                    Column::new("organismo", Kind::Text),
                    Column::new("fuente_archivo", Kind::Text),
                    Column::new("fuente_hoja", Kind::Text),
                    Column::new("fuente_fila", Kind::Integer),
                ],
                field_names: [
                    "programa",
                    "periodo",
                    "comuna",
                    "inscriptos",
                    "ganadores",
                    "organismo",
                    "fuente_archivo",
                    "fuente_hoja",
                    "fuente_fila",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                row_count: rows_per_dataset,
                may_be_empty: Vec::new(),
            },
        ],
        followup: Default::default(),
    }
}

fn empty_chart() -> Chart {
    Chart {
        title: String::new(),
        kind: ChartKind::Column,
        categories: vec![],
        series: vec![],
        target: None,
        target_label: None,
    }
}
