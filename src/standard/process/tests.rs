//! Tests of standardising sheets into records.

use chrono::NaiveDate;

use super::process_file;
use crate::standard::sheet::{Cell, RawRow, RawSheet};
use crate::standard::{Code, FileContext, FileResult, SheetOutcome, Standard};

fn standard() -> Standard {
    crate::config::embedded_standard().expect("shipped standard loads")
}

/// A sheet from text rows; `=N` cells are numbers, `=SUM:N` a SUM formula's cached value.
fn sheet(name: &str, rows: &[&[&str]]) -> RawSheet {
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, cells)| {
            let mut sums = 0;
            let cells: Vec<Cell> = cells
                .iter()
                .map(|c| {
                    if let Some(n) = c.strip_prefix("=SUM:") {
                        sums += 1;
                        Cell::Number(n.parse().unwrap_or(0.0))
                    } else if let Some(n) = c.strip_prefix('=') {
                        Cell::Number(n.parse().unwrap_or(0.0))
                    } else if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect();
            RawRow {
                number: i as u32 + 1,
                sum_formulas: sums > 0,
                cells,
            }
        })
        .collect();
    RawSheet {
        name: name.to_string(),
        rows,
        truncated_columns: false,
        merges: Vec::new(),
    }
}

fn ctx() -> FileContext {
    FileContext {
        organismo: "org".into(),
        path: "org/f.xlsx".into(),
        submitted: NaiveDate::from_ymd_opt(2019, 4, 2),
        ..FileContext::default()
    }
}

fn column(std: &Standard, result: &FileResult, dataset: &str, field: &str) -> Vec<String> {
    let ds = std.dataset(dataset).expect("dataset");
    let i = ds.field_index(field).expect("field");
    result
        .records
        .get(dataset)
        .map(|r| r.iter().map(|rec| rec.values[i].to_export()).collect())
        .unwrap_or_default()
}

#[test]
fn title_rows_totals_notes_and_blank_rows() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &["Ministerio - Reuniones 2019"],
            &["Fuente: elaboración propia"],
            &[],
            &["Programa", "Fecha", "Comuna", "Barrio", "Participantes"],
            &[
                "Reunión de vecinos",
                "15/03/2019",
                "Comuna IV",
                "La Boca",
                "=10",
            ],
            &[],
            &["Reunion vecinos", "2019-03-16", "C.4", "barracas", "s/d"],
            &["TOTAL", "", "", "", "=10"],
            &["", "", "", "", "=SUM:10"],
            &["Fuente: datos provisorios"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(
        column(&std, &r, "instancias", "barrio"),
        ["BOCA", "BARRACAS"]
    );
    assert_eq!(column(&std, &r, "instancias", "participantes"), ["10", ""]);
    assert_eq!(
        column(&std, &r, "instancias", "fecha"),
        ["2019-03-15", "2019-03-16"]
    );
    assert_eq!(
        r.records["instancias"]
            .iter()
            .map(|rec| rec.row)
            .collect::<Vec<_>>(),
        [5, 7]
    );
    assert_eq!(r.sheets[0].filas_encabezado, [4]);
    assert_eq!(r.sheets[0].filas_omitidas, 4);
}

#[test]
fn two_row_header_under_a_merged_parent() {
    let std = standard();
    let s = sheet(
        "Datos",
        &[
            &[
                "Programa",
                "Fecha",
                "Barrio",
                "Participantes",
                "Participantes por edad",
                "",
                "",
                "",
                "",
            ],
            &[
                "",
                "",
                "",
                "",
                "0 a 17",
                "18 a 29",
                "30 a 44",
                "45 a 64",
                "65 y más",
            ],
            &[
                "BA Elige",
                "01/03/2019",
                "Palermo",
                "=10",
                "=1",
                "=2",
                "=3",
                "=2",
                "=2",
            ],
            &[
                "BA Elige",
                "02/03/2019",
                "Palermo",
                "=11",
                "=1",
                "=2",
                "=3",
                "=2",
                "=2",
            ],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert_eq!(r.sheets[0].filas_encabezado, [1, 2]);
    assert_eq!(
        column(&std, &r, "instancias", "participantes_65_mas"),
        ["2", "2"]
    );
    assert_eq!(
        column(&std, &r, "instancias", "comuna"),
        ["14", "14"],
        "comuna derived from barrio"
    );
    // 1+2+3+2+2 = 10: the second row's 11 is a warning, the row is kept.
    let warnings: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.code == Code::Warning)
        .collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].row, Some(4));
}

#[test]
fn rejected_rows_name_the_cell_and_why() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &["Programa", "Fecha", "Comuna", "Barrio", "Participantes"],
            &["BA Elige", "15/03/2019", "1", "Almagro", "=5"],
            &["BA Elige", "31/02/2019", "5", "Almagro", "=5"],
            &["BA Elige", "15/03/2019", "5", "Springfield", "=5"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=-5"],
            &["Programa Inventado", "15/03/2019", "5", "Almagro", "=5"],
            &["", "15/03/2019", "5", "Almagro", "=5"],
            &["BA Elige"],
            &["Elaborado por: Juan Pérez"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=5"],
            &["BA Elige", "15/03/2019", "5", "Almagro", "=5"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    let errors: Vec<(u32, Code, Option<&str>)> = r
        .issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| (i.row.unwrap_or(0), i.code, i.column.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [
            (2, Code::ConstraintError, Some("D")),
            (3, Code::TypeError, Some("B")),
            (4, Code::ConstraintError, Some("D")),
            (5, Code::ConstraintError, Some("E")),
            (6, Code::ConstraintError, Some("A")),
            (7, Code::RequiredValue, Some("A")),
            (8, Code::RequiredValue, Some("B")),
            (8, Code::RequiredValue, Some("C")),
            (11, Code::DuplicateRow, None),
        ]
    );
    assert_eq!(r.accepted(), 1);
    assert_eq!(r.rejected_rows(), 8);
    assert!(
        !format!("{:?}", r.issues).contains("Juan"),
        "a note is skipped, not stored"
    );
    let parent = &r.issues[0].message;
    assert!(
        parent.contains("comuna 5") && parent.contains("Celda D2"),
        "{parent}"
    );
}

#[test]
fn wide_sheets_are_unpivoted_one_row_per_month() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "Comuna",
                "año",
                "Programa",
                "Categoría",
                "Inscriptos enero",
                "Ganadores enero",
                "Inscriptos febrero",
                "Ganadores febrero",
            ],
            &[
                "Comuna 10",
                "=2019",
                "Grandes Choferes",
                "Particulares",
                "=100",
                "=10",
                "=200",
                "=20",
            ],
            &[
                "4",
                "=2019",
                "Grandes Choferes",
                "Colectivos",
                "=50",
                "=60",
                "",
                "",
            ],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "reconocimientos", "periodo"),
        ["2019-01", "2019-02"]
    );
    assert_eq!(
        column(&std, &r, "reconocimientos", "inscriptos"),
        ["100", "200"]
    );
    // 60 winners of 50 enrolled: the whole row is rejected.
    assert_eq!(r.rejected_rows(), 1);
    assert!(r
        .issues
        .iter()
        .any(|i| i.row == Some(3) && i.code == Code::ConstraintError));
}

#[test]
fn a_month_column_beside_a_year_column_makes_the_period() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "Programa",
                "Año",
                "Mes",
                "Comuna",
                "Total de inscriptos",
                "Ganadores efectivos",
                "Premio",
            ],
            &[
                "Buena convivencia",
                "=2019",
                "marzo",
                "4",
                "=100",
                "=10",
                "Entradas",
            ],
            &[
                "Buena convivencia",
                "=2019",
                "=4",
                "4",
                "=100",
                "=10",
                "Entradas",
            ],
            &[
                "Buena convivencia",
                "",
                "mayo",
                "4",
                "=100",
                "=10",
                "Entradas",
            ],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "reconocimientos", "periodo"),
        ["2019-03", "2019-04"]
    );
    assert_eq!(
        column(&std, &r, "reconocimientos", "beneficio"),
        ["Entradas", "Entradas"]
    );
    // Without a year the month alone is not a period: the row is rejected.
    assert!(r
        .issues
        .iter()
        .any(|i| i.row == Some(4) && i.code == Code::TypeError));
}

#[test]
fn totals_rows_are_found_past_a_leading_number() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "N°",
                "Comuna",
                "Categoría",
                "Programa",
                "Período",
                "Inscriptos",
                "Ganadores",
            ],
            &[
                "=1",
                "4",
                "Particulares",
                "Grandes Choferes",
                "2019-03",
                "=20",
                "=2",
            ],
            &[
                "=2",
                "4",
                "Colectivos",
                "Grandes Choferes",
                "2019-03",
                "=10",
                "=3",
            ],
            &[
                "=3",
                "4",
                "Total",
                "Grandes Choferes",
                "2019-03",
                "=30",
                "=5",
            ],
            &["", "Total general", "", "", "", "=30", "=5"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(
        column(&std, &r, "reconocimientos", "inscriptos"),
        ["20", "10"]
    );
}

#[test]
fn a_total_under_participants_by_age_is_the_participants() {
    let std = standard();
    let s = sheet(
        "Datos",
        &[
            &[
                "Programa",
                "Fecha",
                "Barrio",
                "Participantes por edad",
                "",
                "",
                "",
                "",
                "",
            ],
            &[
                "",
                "",
                "",
                "Menores de 18",
                "18 a 29",
                "30 a 44",
                "45 a 64",
                "65 y más",
                "Total",
            ],
            &[
                "BA Elige",
                "01/03/2019",
                "Palermo",
                "=1",
                "=2",
                "=3",
                "=2",
                "=2",
                "=10",
            ],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(column(&std, &r, "instancias", "participantes"), ["10"]);
}

#[test]
fn wide_sheets_in_every_layout() {
    let std = standard();
    let with_totals = sheet(
        "A",
        &[
            &[
                "Comuna",
                "Año",
                "Programa",
                "Inscriptos enero",
                "Ganadores enero",
                "Inscriptos febrero",
                "Ganadores febrero",
                "Total inscriptos",
                "Total ganadores",
            ],
            &[
                "4",
                "=2019",
                "Grandes Choferes",
                "=10",
                "=1",
                "=20",
                "=2",
                "=30",
                "=3",
            ],
        ],
    );
    let month_over_pair = sheet(
        "B",
        &[
            &["Comuna", "Año", "Programa", "Enero", "", "Febrero", ""],
            &[
                "",
                "",
                "",
                "Inscriptos",
                "Ganadores",
                "Inscriptos",
                "Ganadores",
            ],
            &["5", "=2019", "Grandes Choferes", "=11", "=1", "=21", "=2"],
        ],
    );
    let mut dated = month_over_pair.clone();
    dated.name = "C".into();
    for (col, m) in [(3, 1), (5, 2)] {
        dated.rows[0].cells[col] = Cell::Date(
            NaiveDate::from_ymd_opt(2019, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or_default(),
        );
    }
    dated.rows[2].cells[0] = Cell::Text("6".into());
    let hinted = sheet(
        "D",
        &[
            &[
                "Comuna",
                "Programa",
                "Inscriptos (ene-19)",
                "Ganadores (ene-19)",
            ],
            &["7", "Grandes Choferes", "=12", "=1"],
        ],
    );
    let r = process_file(&std, &ctx(), &[with_totals, month_over_pair, dated, hinted]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(
        column(&std, &r, "reconocimientos", "periodo"),
        ["2019-01", "2019-02", "2019-01", "2019-02", "2019-01", "2019-02", "2019-01"]
    );
    assert_eq!(
        column(&std, &r, "reconocimientos", "inscriptos"),
        ["10", "20", "11", "21", "11", "21", "12"]
    );
    assert_eq!(
        column(&std, &r, "reconocimientos", "comuna"),
        ["4", "4", "5", "5", "6", "6", "7"]
    );
}

#[test]
fn dropdown_list_sheets_are_skipped_not_rejected() {
    let std = standard();
    let lists = sheet(
        "Listas",
        &[
            &["Programa", "Modalidad", "Barrio", "Comuna"],
            &["BA Elige", "Presencial", "Palermo", "14"],
        ],
    );
    let r = process_file(&std, &ctx(), &[lists]);
    assert_eq!(r.sheets[0].resultado, SheetOutcome::SinEncabezado);
    assert!(r.issues.is_empty());
    assert!(
        r.no_data_reason(&std).is_some(),
        "a file with no data sheet is rejected whole"
    );
}

#[test]
fn a_persons_name_in_a_hint_makes_the_column_personal() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "Programa",
                "Período",
                "Inscriptos",
                "Ganadores",
                "Ganadores (nombre y apellido)",
            ],
            &["Grandes Choferes", "2019-03", "=10", "=1", "Carlos Díaz"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(
        r.sheets[0].columnas_personales_descartadas,
        ["Ganadores (nombre y apellido)"]
    );
    assert_eq!(column(&std, &r, "reconocimientos", "ganadores"), ["1"]);
}

#[test]
fn progress_written_as_percent_cells_is_read_as_percent() {
    let std = standard();
    let s = sheet(
        "Seguimiento",
        &[
            &["ID", "Título", "Comuna", "Estado", "Avance"],
            &["P-1", "Plaza", "3", "En curso", "=0.74"],
            &["P-2", "Calle", "3", "Finalizada", "=1"],
            &["P-3", "Luz", "3", "Ganadora", "=0"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "iniciativas", "avance"),
        ["74", "100", "0"]
    );
    let plain = sheet(
        "Otra",
        &[
            &["ID", "Título", "Comuna", "Estado", "Avance"],
            &["P-9", "Plaza", "3", "En curso", "=1"],
            &["P-8", "Plaza", "3", "En curso", "=74"],
        ],
    );
    let r = process_file(&std, &ctx(), &[plain]);
    assert_eq!(column(&std, &r, "iniciativas", "avance"), ["1", "74"]);
}

#[test]
fn comuna_headers_and_values_with_number_signs() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &["Programa", "Fecha", "Comuna N°", "Participantes"],
            &["BA Elige", "01/03/2019", "Comuna Nº 4", "=5"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(column(&std, &r, "instancias", "comuna"), ["4"]);
}

#[test]
fn wide_columns_may_carry_their_own_year() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "Comuna",
                "Programa",
                "Inscriptos dic 2018",
                "Ganadores dic 2018",
                "Inscriptos enero 2019",
                "Ganadores enero 2019",
            ],
            &["C5", "Programa de Incentivos", "=30", "=3", "=40", "=4"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert_eq!(
        column(&std, &r, "reconocimientos", "periodo"),
        ["2018-12", "2019-01"]
    );
    assert_eq!(column(&std, &r, "reconocimientos", "ganadores"), ["3", "4"]);
}

#[test]
fn initiatives_default_programme_and_update_date_and_unique_ids() {
    let std = standard();
    let s = sheet(
        "Seguimiento",
        &[
            &[
                "Código",
                "Título",
                "Comuna",
                "Estado",
                "% de avance",
                "Monto asignado",
            ],
            &["P-1", "Plaza", "3", "En curso", "74%", "$ 5.752.772,26"],
            &["P-2", "Calle", "3", "Finalisada", "100", "1"],
            &["P-1", "Plaza bis", "3", "Ganadora", "0", "1"],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    assert_eq!(column(&std, &r, "iniciativas", "programa"), ["ba_elige"]);
    assert_eq!(column(&std, &r, "iniciativas", "estado"), ["en_ejecucion"]);
    assert_eq!(column(&std, &r, "iniciativas", "avance"), ["74"]);
    assert_eq!(
        column(&std, &r, "iniciativas", "presupuesto"),
        ["5752772.26"]
    );
    assert_eq!(
        column(&std, &r, "iniciativas", "fecha_actualizacion"),
        ["2019-04-02"]
    );
    let finalisada = r
        .issues
        .iter()
        .find(|i| i.row == Some(3))
        .map(|i| i.message.clone())
        .unwrap_or_default();
    assert!(
        finalisada.contains("¿Quiso decir «Finalizada»?"),
        "{finalisada}"
    );
    assert!(r
        .issues
        .iter()
        .any(|i| i.row == Some(4) && i.message.contains("fila 2")));
}

#[test]
fn sheets_without_a_header_are_skipped_and_missing_columns_reject_the_sheet() {
    let std = standard();
    let notes = sheet(
        "Instrucciones",
        &[
            &["Completar una fila por reunión."],
            &["Contacto: datos@organismo.example"],
        ],
    );
    let incomplete = sheet(
        "Datos",
        &[
            &["Programa", "Barrio", "Participantes"],
            &["BA Elige", "Palermo", "=4"],
        ],
    );
    let r = process_file(&std, &ctx(), &[notes, incomplete]);
    assert_eq!(r.sheets[0].resultado, SheetOutcome::SinEncabezado);
    assert_eq!(
        r.sheets[1].resultado,
        SheetOutcome::Rechazada {
            dataset: "instancias".into()
        }
    );
    assert_eq!(r.issues.len(), 1);
    assert_eq!(r.issues[0].code, Code::MissingLabel);
    assert_eq!(r.issues[0].field.as_deref(), Some("fecha"));
    assert_eq!(r.accepted(), 0);
}

#[test]
fn personal_columns_never_reach_records_or_issues() {
    let std = standard();
    let s = sheet(
        "Hoja1",
        &[
            &[
                "Programa",
                "Fecha",
                "Barrio",
                "Participantes",
                "Nombre",
                "DNI",
                "E-mail",
                "Resultado",
            ],
            &[
                "BA Elige",
                "01/03/2019",
                "Palermo",
                "=10",
                "Ana López",
                "30111222",
                "ana@correo.example",
                "Escribir a ana@correo.example",
            ],
            &[
                "BA Elige",
                "01/03/2019",
                "Palermo",
                "=-1",
                "Ana López",
                "30111222",
                "ana@correo.example",
                "",
            ],
        ],
    );
    let r = process_file(&std, &ctx(), &[s]);
    let everything = format!("{:?} {:?}", r.records, r.issues);
    for secret in ["Ana", "30111222", "@correo.example"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
    assert_eq!(
        r.sheets[0].columnas_personales_descartadas,
        ["Nombre", "DNI", "E-mail"]
    );
}
