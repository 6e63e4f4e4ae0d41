//! Table-driven tests of how columns are recognised (issue: read a sheet the way a person
//! reads it): header words with qualifiers, age ranges, competing columns and ties, values that
//! name a column, merged cells, the operator's mapping and city-wide sheets. Sheets are built in
//! memory; no file is read.

use super::header::Role;
use super::sheet::{Cell, Merge, RawRow, RawSheet};
use super::{Code, FileContext, FileResult, ReadingReason, Standard};

fn standard() -> Standard {
    crate::config::embedded_standard().expect("shipped standard loads")
}

/// A sheet from text rows; `=N` cells are numbers; row numbers start at `first`.
fn sheet_from(first: u32, rows: &[&[&str]], merges: Vec<Merge>) -> RawSheet {
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, cells)| RawRow {
            number: first + i as u32,
            sum_formulas: false,
            cells: cells
                .iter()
                .map(|c| match c.strip_prefix('=') {
                    Some(n) => Cell::Number(n.parse().unwrap_or(0.0)),
                    None if c.is_empty() => Cell::Empty,
                    None => Cell::Text(c.to_string()),
                })
                .collect(),
        })
        .filter(|r| r.cells.iter().any(|c| !c.is_blank()))
        .collect();
    RawSheet {
        name: "Hoja1".into(),
        rows,
        truncated_columns: false,
        merges,
    }
}

fn sheet(rows: &[&[&str]]) -> RawSheet {
    sheet_from(1, rows, Vec::new())
}

fn ctx() -> FileContext {
    FileContext {
        organismo: "org".into(),
        path: "org/f.xlsx".into(),
        submitted: chrono::NaiveDate::from_ymd_opt(2019, 4, 2),
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

fn field_of(std: &Standard, dataset: &str, text: &str) -> Option<String> {
    let index = std
        .datasets
        .iter()
        .position(|d| d.name == dataset)
        .expect("dataset exists");
    match std.matcher(index).role(text, &std.lexicon) {
        Role::Field(i) => Some(std.datasets[index].fields[i].name.clone()),
        _ => None,
    }
}

/// A header word with a qualifier, a unit, a clause, capitals or no accents still names its
/// field; words that only look alike do not.
#[test]
fn header_words_with_qualifiers_units_and_clauses() {
    let std = standard();
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("instancias", "Barrio donde se realizó", Some("barrio")),
        ("instancias", "BARRIO DONDE SE REALIZO", Some("barrio")),
        (
            "instancias",
            "Participantes (en personas)",
            Some("participantes"),
        ),
        ("instancias", "Programa o dispositivo", Some("programa")),
        (
            "instancias",
            "Cantidad total de asistentes",
            Some("participantes"),
        ),
        ("instancias", "Cant. asistentes", Some("participantes")),
        (
            "instancias",
            "Fecha de realización del encuentro",
            Some("fecha"),
        ),
        ("instancias", "Inscriptos (total)", Some("inscriptos")),
        ("instancias", "Comuna donde se realizó", Some("comuna")),
        (
            "instancias",
            "Nombre del programa o dispositivo",
            Some("programa"),
        ),
        ("instancias", "Temática abordada", Some("tema")),
        ("instancias", "Acuerdos alcanzados", Some("resultado")),
        ("instancias", "Cantidad (asistentes)", Some("participantes")),
        ("iniciativas", "Presupuesto en pesos", Some("presupuesto")),
        ("iniciativas", "Estado del proyecto", Some("estado")),
        ("iniciativas", "Título de la propuesta", Some("titulo")),
        (
            "reconocimientos",
            "Cantidad de ganadores",
            Some("ganadores"),
        ),
        // Near misses: nothing to read there.
        ("instancias", "Observaciones", None),
        ("instancias", "Comentarios", None),
        ("instancias", "Columna1", None),
        ("instancias", "Dirección", None),
        ("iniciativas", "Descripción", None),
    ];
    for (dataset, text, want) in cases {
        assert_eq!(
            field_of(&std, dataset, text).as_deref(),
            *want,
            "{dataset}: {text:?}"
        );
    }
}

/// Age bands in any words a person uses for them.
#[test]
fn age_bands_by_their_range() {
    let std = standard();
    let cases: &[(&str, Option<&str>)] = &[
        ("De 0 a 17 inclusive", Some("participantes_0_17")),
        ("Hasta 17", Some("participantes_0_17")),
        ("Menos de 18", Some("participantes_0_17")),
        ("Menores de 18 años", Some("participantes_0_17")),
        ("Participantes de 18 a 29 años", Some("participantes_18_29")),
        ("30-44", Some("participantes_30_44")),
        ("De 45 a 64 años", Some("participantes_45_64")),
        ("65 años y más", Some("participantes_65_mas")),
        ("Más de 64", Some("participantes_65_mas")),
        ("Mayores de 65", Some("participantes_65_mas")),
        ("65+", Some("participantes_65_mas")),
        // Not bands: a year, a comuna, a range that is no band.
        ("Participantes 2019", Some("participantes")),
        ("Comuna 4", Some("comuna")),
        ("De 10 a 20", None),
    ];
    for (text, want) in cases {
        assert_eq!(
            field_of(&std, "instancias", text).as_deref(),
            *want,
            "{text:?}"
        );
    }
}

/// Columns compete: the one that names the field best gets it; a weak mention elsewhere in a
/// header (`Comisarías participantes`, a count of police stations) loses to `Asistentes`.
#[test]
fn the_best_column_wins_a_field() {
    let std = standard();
    let s = sheet(&[
        &[
            "Fecha de evento",
            "Evento",
            "Comisarias participantes",
            "Inscriptos ",
            "Asistentes",
        ],
        &["05/03/2019", "Comisarías Cercanas", "=3", "=40", "=31"],
        &["12/03/2019", "Comisarías Cercanas", "=2", "=35", "=30"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "instancias", "participantes"),
        ["31", "30"]
    );
    assert_eq!(column(&std, &r, "instancias", "inscriptos"), ["40", "35"]);
    let readings = &r.sheets[0].columnas;
    let c = readings
        .iter()
        .find(|c| c.columna == "C")
        .expect("column C listed");
    assert_eq!(
        c.campo, None,
        "Comisarias participantes is not participants"
    );
}

/// Two columns that name one field equally: the values decide when they can; otherwise the
/// first is read and a warning names both.
#[test]
fn ties_are_settled_by_values_or_said() {
    let std = standard();
    // `Instancia` and `Nombre Actividad` are both programa words; only B holds programmes.
    let s = sheet(&[
        &[
            "Fecha",
            "Instancia",
            "Nombre Actividad",
            "Comuna",
            "Asistentes",
        ],
        &[
            "05/03/2019",
            "Reunión de vecinos",
            "Charla sobre veredas",
            "4",
            "=31",
        ],
        &[
            "12/03/2019",
            "Reunión de vecinos",
            "Poda en la plaza",
            "4",
            "=30",
        ],
        &[
            "13/03/2019",
            "BA Elige",
            "Votación de proyectos",
            "4",
            "=30",
        ],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "instancias", "programa"),
        ["reunion_vecinos", "reunion_vecinos", "ba_elige"]
    );
    assert!(
        r.issues
            .iter()
            .all(|i| i.code != Code::Warning || i.row.is_some()),
        "settled by values: no tie warning"
    );

    // Two `Fecha` columns whose values are both dates: a tie, said.
    let s = sheet(&[
        &[
            "Programa",
            "Fecha",
            "Fecha de la reunión",
            "Comuna",
            "Asistentes",
        ],
        &["BA Elige", "05/03/2019", "06/03/2019", "4", "=31"],
        &["BA Elige", "12/03/2019", "13/03/2019", "4", "=30"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "instancias", "fecha"),
        ["2019-03-05", "2019-03-12"]
    );
    let tie: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.code == Code::Warning && i.row.is_none())
        .collect();
    assert_eq!(tie.len(), 1, "{:?}", r.issues);
    assert!(
        tie[0].message.contains('B') && tie[0].message.contains('C'),
        "{}",
        tie[0].message
    );
}

/// When the header says nothing, unmistakable values do: programmes, barrios, comunas written
/// out, dates. A measure never comes from values, and sentences mentioning barrios are not
/// barrios.
#[test]
fn values_name_a_column_the_header_does_not() {
    let std = standard();
    let s = sheet(&[
        &[
            "Dispositivo",
            "Día del encuentro",
            "Zona de intervención",
            "Comentarios",
            "Asistentes",
            "Columna1",
        ],
        &[
            "Reunión de vecinos",
            "05/03/2019",
            "Comuna 4",
            "Vecinos de Palermo pidieron luminarias",
            "=31",
            "=7",
        ],
        &[
            "BA Elige",
            "12/03/2019",
            "C.5",
            "Reunión en Almagro por veredas",
            "=30",
            "=8",
        ],
        &[
            "Reunión de vecinos",
            "19/03/2019",
            "Comuna XII",
            "Se habló de Caballito",
            "=12",
            "=9",
        ],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "instancias", "programa"),
        ["reunion_vecinos", "ba_elige", "reunion_vecinos"],
        "{:?} {:?}",
        r.issues,
        r.sheets
    );
    assert_eq!(column(&std, &r, "instancias", "comuna"), ["4", "5", "12"]);
    assert_eq!(
        column(&std, &r, "instancias", "barrio"),
        ["", "", ""],
        "sentences are not barrios"
    );
    let readings = &r.sheets[0].columnas;
    let a = readings.iter().find(|c| c.columna == "A").expect("A");
    assert_eq!(
        a.motivo,
        ReadingReason::Contenido {
            coinciden: 3,
            de: 3,
            lista: "programas".into()
        }
    );
    let f = readings.iter().find(|c| c.columna == "F").expect("F");
    assert_eq!(
        f.campo, None,
        "numbers under an unrelated header are no measure"
    );
}

/// Bare numbers are any count: they do not make a comuna column by themselves.
#[test]
fn bare_numbers_do_not_name_a_comuna() {
    let std = standard();
    let s = sheet(&[
        &["Programa", "Fecha", "Mesas", "Asistentes"],
        &["BA Elige", "05/03/2019", "=3", "=31"],
        &["BA Elige", "12/03/2019", "=4", "=30"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        column(&std, &r, "instancias", "comuna"),
        ["", ""],
        "city-wide, not comunas 3 and 4"
    );
}

/// A merged parent over child labels makes a two-row header whatever the children say; the
/// header may start under title lines and right of empty columns; a programme merged down a
/// block of rows belongs to every row of it, and a blank cell that is not merged stays blank.
#[test]
fn merged_header_blocks_and_merged_values() {
    let std = standard();
    let m = |first_row, last_row, first_col, last_col| Merge {
        first_row,
        last_row,
        first_col,
        last_col,
    };
    let rows: &[&[&str]] = &[
        &["", "", "Informe de actividades 2019"],
        &["", "", "Dirección General de Participación"],
        &[
            "",
            "",
            "Programa",
            "Fecha",
            "Barrio",
            "Asistentes",
            "Participantes por edad",
            "",
            "",
        ],
        &[
            "",
            "",
            "",
            "",
            "",
            "",
            "De 0 a 17 inclusive",
            "De 18 a 64",
            "Mayores",
        ],
        &[
            "",
            "",
            "Reunión de vecinos",
            "05/03/2019",
            "Palermo",
            "=10",
            "=2",
            "=6",
            "=2",
        ],
        &["", "", "", "06/03/2019", "Palermo", "=11", "=2", "=7", "=2"],
        &["", "", "", "07/03/2019", "Almagro", "=12", "=2", "=8", "=2"],
        &["", "", "", "08/03/2019", "Almagro", "=13", "=3", "=8", "=2"],
    ];
    // C5:C7 merged (programme over three rows); C8 is blank and not merged.
    let merges = vec![m(1, 1, 2, 8), m(3, 4, 2, 2), m(3, 3, 6, 8), m(5, 7, 2, 2)];
    let s = sheet_from(1, rows, merges);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(r.sheets[0].filas_encabezado, [3, 4]);
    assert_eq!(
        column(&std, &r, "instancias", "programa"),
        ["reunion_vecinos"; 3]
    );
    assert_eq!(
        column(&std, &r, "instancias", "participantes_0_17"),
        ["2", "2", "2"]
    );
    let rejected: Vec<_> = r.issues.iter().filter(|i| i.is_error()).collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (rejected[0].row, rejected[0].code),
        (Some(8), Code::RequiredValue)
    );
}

/// The operator's mapping wins over words and values, and can leave a column unused.
#[test]
fn the_operators_mapping_comes_first() {
    let std = standard();
    let rows: &[&[&str]] = &[
        &["Actividad", "Fecha", "Comuna", "Asistentes", "Tema libre"],
        &["BA Elige", "05/03/2019", "4", "=31", "Veredas"],
        &["BA Elige", "12/03/2019", "4", "=30", "Plazas"],
    ];
    let mut c = ctx();
    c.column_map = vec![
        ("TEMA LIBRE".into(), "tema".into()),
        ("Asistentes".into(), "ignorar".into()),
    ];
    let r = crate::standard::process_file(&std, &c, &[sheet(rows)]);
    assert_eq!(
        column(&std, &r, "instancias", "tema"),
        ["Veredas", "Plazas"],
        "{:?} {:?}",
        r.issues,
        r.sheets
    );
    assert_eq!(column(&std, &r, "instancias", "participantes"), ["", ""]);
    let e = r.sheets[0]
        .columnas
        .iter()
        .find(|c| c.columna == "E")
        .expect("E");
    assert_eq!(
        (e.campo.as_deref(), &e.motivo),
        (Some("tema"), &ReadingReason::Mapeo)
    );
}

/// A sheet with neither comuna nor barrio holds city-wide instances; a sheet with a barrio
/// column must still give one on every row.
#[test]
fn city_wide_sheets_and_sheets_that_must_name_a_place() {
    let std = standard();
    let s = sheet(&[
        &["Fecha de evento", "Evento", "Asistentes"],
        &["05/03/2019", "Comisarías Cercanas", "=31"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(column(&std, &r, "instancias", "comuna"), [""]);
    assert!(r.issues.iter().all(|i| !i.is_error()), "{:?}", r.issues);

    let s = sheet(&[
        &["Fecha", "Programa", "Barrio", "Asistentes"],
        &["05/03/2019", "BA Elige", "", "=31"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        r.issues
            .iter()
            .filter(|i| i.is_error())
            .map(|i| i.code)
            .collect::<Vec<_>>(),
        [Code::RequiredValue]
    );
}

/// When nothing identifies a required field, the rejection lists the unused columns, what
/// their values resemble, and how to map one.
#[test]
fn a_missing_field_names_the_unused_columns_and_how_to_map_them() {
    let std = standard();
    let s = sheet(&[
        &["Cosa", "Fecha", "Comuna", "Asistentes", "Inscriptos"],
        &["Charla", "05/03/2019", "4", "=31", "=40"],
        &["Taller", "12/03/2019", "4", "=30", "=40"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    let missing: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.code == Code::MissingLabel)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", r.issues);
    let m = &missing[0].message;
    assert!(
        m.contains("A «Cosa»")
            && m.contains("columnas = { \"Cosa\" = \"programa\" }")
            && m.contains("[organismos.org]"),
        "{m}"
    );
}

/// Blank rows skipped among the data are counted as omitted.
#[test]
fn blank_rows_are_counted_as_omitted() {
    let std = standard();
    let s = sheet(&[
        &["Programa", "Fecha", "Comuna", "Asistentes"],
        &["BA Elige", "05/03/2019", "4", "=31"],
        &[],
        &[],
        &["BA Elige", "06/03/2019", "4", "=31"],
        &["Total", "", "", "=62"],
    ]);
    let r = crate::standard::process_file(&std, &ctx(), &[s]);
    assert_eq!(
        (r.sheets[0].filas_aceptadas, r.sheets[0].filas_omitidas),
        (2, 3)
    );
}
