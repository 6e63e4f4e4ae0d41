//! `cargo bench --bench ingest`: `participa ingest` against a bare calamine/csv read of the same
//! files, in one run on one machine. BENCHMARKS.md says what is measured and how to read it.
//!
//! 1. Corpora (generated once, deterministic, kept while their marker matches):
//!    `target/bench-corpus/main` holds ~100 messy files / ~500k data rows (xlsx written by
//!    rust_xlsxwriter, CSV in Windows-1252 with `;` and UTF-8 with `,`) over 10 organismo
//!    folders; `target/bench-corpus/small` holds 1,000 small CSV files.
//! 2. Bare pass, the baseline: one thread, in this process, every cell of every sheet through
//!    calamine's `worksheet_range`, every CSV field through the csv crate, folded into a checksum.
//! 3. `participa ingest` (the built binary) on a fresh working folder whose source is the corpus,
//!    with `threads = 0` and `threads = 1`: wall clock, and the child's peak RSS and CPU time
//!    from `wait4`.
//! 4. The 1,000-file corpus: a first ingest, then ingests with nothing changed.
//! 5. Correctness: the rows of `participa export instancias` equal the good rows the generator
//!    wrote, and the distinct rejected rows equal the bad rows it wrote.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use calamine::{open_workbook_auto, Data, Reader};
use chrono::{Datelike, NaiveDate};
use participa::text::{calendar::month_name, Lang};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Bump when the generator changes: an old corpus is then thrown away and written again.
const CORPUS_VERSION: u32 = 5;
const SEED: u64 = 0x5041_5254_4943_4950;
const MAIN_FILES: usize = 100;
const SMALL_FILES: usize = 1000;
const SMALL_ROWS: usize = 5;
const BAD_ROW_RATE: f64 = 0.01;
/// Every generated file gets this modification time (2021-01-15T00:00:00Z), so the submission
/// date participa derives from it, and therefore its output, is the same on every machine.
const FILE_MTIME_UNIX: u64 = 1_610_668_800;
const NOTHING_CHANGED_REPEATS: usize = 3;

const TARGET_RATIO: f64 = 1.5;
const TARGET_NOTHING_CHANGED_S: f64 = 0.5;
const TARGET_RSS_MB: f64 = 300.0;

const ORGANISMOS: [&str; 10] = [
    "ministerio-justicia-seguridad",
    "secretaria-atencion-ciudadana",
    "ministerio-desarrollo-humano",
    "ministerio-desarrollo-urbano",
    "ministerio-cultura",
    "ministerio-ambiente",
    "ministerio-transporte",
    "ministerio-educacion",
    "ministerio-salud",
    "vicejefatura-gobierno",
];

const BARRIOS_CSV: &str = include_str!("../config/standard/codes/barrios.csv");
const PROGRAMAS_CSV: &str = include_str!("../config/standard/codes/programas.csv");
const ESTADOS_CSV: &str = include_str!("../config/standard/codes/estados.csv");

const MODALIDADES: [&[&str]; 3] = [
    &["Presencial", "presencial", "PRESENCIAL", "En persona"],
    &["Virtual", "virtual", "VIRTUAL", "Online", "Remota"],
    &["Mixta", "mixta", "Híbrida", "Semipresencial"],
];
const TEMAS: [&str; 10] = [
    "Seguridad en el barrio",
    "Limpieza",
    "Iluminación",
    "Arbolado",
    "Veredas",
    "Tránsito",
    "Plazas",
    "Ruidos molestos",
    "Reciclaje",
    "Cultura y deporte",
];
const RESULTADOS: [&str; 5] = [
    "Acuerdo de mejoras",
    "Se elevó pedido a la comuna",
    "Se relevaron reclamos",
    "Seguimiento en próxima reunión",
    "Sin acuerdos",
];
const NOMBRES: [&str; 20] = [
    "María",
    "Juan",
    "Carlos",
    "Ana",
    "Lucía",
    "Jorge",
    "Sofía",
    "Martín",
    "Laura",
    "Diego",
    "Valeria",
    "Pablo",
    "Florencia",
    "Andrés",
    "Camila",
    "Gustavo",
    "Paula",
    "Ricardo",
    "Julieta",
    "Sergio",
];
const APELLIDOS: [&str; 20] = [
    "González",
    "Rodríguez",
    "Gómez",
    "Fernández",
    "López",
    "Díaz",
    "Martínez",
    "Pérez",
    "García",
    "Sánchez",
    "Romero",
    "Sosa",
    "Álvarez",
    "Torres",
    "Ruiz",
    "Ramírez",
    "Flores",
    "Benítez",
    "Acosta",
    "Medina",
];
const CATEGORIAS_PROYECTO: [&str; 8] = [
    "Educación",
    "Espacio público",
    "Deporte",
    "Cultura",
    "Movilidad",
    "Salud",
    "Ambiente",
    "Seguridad",
];
const CATEGORIAS_RECONOCIMIENTO: [&str; 6] = [
    "Particulares",
    "Colectivos",
    "Taxis",
    "Reciclaje domiciliario",
    "Puntos verdes",
    "Consorcios",
];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/// SplitMix64: tiny, seedable, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Inclusive range.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data: the shipped code lists, so barrios always sit in their comuna

struct Barrio {
    nombre: String,
    comuna: i64,
    aliases: Vec<String>,
}

struct Refs {
    barrios: Vec<Barrio>,
    /// Written forms (name and aliases) of each programme of a dataset.
    programas_instancias: Vec<Vec<String>>,
    programas_reconocimientos: Vec<Vec<String>>,
    estados: Vec<Vec<String>>,
}

fn csv_rows(text: &str) -> BoxResult<Vec<csv::StringRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    Ok(reader.records().collect::<Result<Vec<_>, _>>()?)
}

fn aliases(field: Option<&str>) -> Vec<String> {
    field
        .unwrap_or_default()
        .split('|')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

impl Refs {
    fn load() -> BoxResult<Refs> {
        let mut barrios = Vec::new();
        for r in csv_rows(BARRIOS_CSV)? {
            barrios.push(Barrio {
                nombre: r[1].to_string(),
                comuna: r[2].trim().parse()?,
                aliases: aliases(r.get(3)),
            });
        }
        let mut programas_instancias = Vec::new();
        let mut programas_reconocimientos = Vec::new();
        for r in csv_rows(PROGRAMAS_CSV)? {
            let mut forms = vec![r[2].to_string()];
            forms.extend(aliases(r.get(3)));
            match &r[1] {
                "instancias" => programas_instancias.push(forms),
                "reconocimientos" => programas_reconocimientos.push(forms),
                _ => {}
            }
        }
        let mut estados = Vec::new();
        for r in csv_rows(ESTADOS_CSV)? {
            let mut forms = vec![r[1].to_string()];
            forms.extend(aliases(r.get(2)));
            estados.push(forms);
        }
        if barrios.is_empty()
            || programas_instancias.is_empty()
            || programas_reconocimientos.is_empty()
            || estados.is_empty()
        {
            return Err("the shipped code lists are empty".into());
        }
        Ok(Refs {
            barrios,
            programas_instancias,
            programas_reconocimientos,
            estados,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A generated file, before it is written as xlsx or CSV

#[derive(Clone, Debug, PartialEq)]
enum Out {
    Empty,
    Text(String),
    Num(f64),
    Date(NaiveDate),
    /// A formula and its cached result.
    Sum(String, f64),
}

impl Out {
    fn text(s: impl Into<String>) -> Out {
        Out::Text(s.into())
    }

    fn as_csv(&self) -> String {
        match self {
            Out::Empty => String::new(),
            Out::Text(s) => s.clone(),
            Out::Num(n) | Out::Sum(_, n) => fmt_num(*n),
            Out::Date(d) => d.format("%d/%m/%Y").to_string(),
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

struct Sheet {
    name: String,
    /// Rows above the data: title lines, a blank line, the header row(s).
    top: Vec<Vec<Out>>,
    /// Merged header cells (first row, first col, last row, last col, text); rows index `top`.
    merges: Vec<(u32, u16, u32, u16, String)>,
    /// Data rows, blank rows and the totals row.
    rows: Vec<Vec<Out>>,
}

/// What the generator wrote, for the correctness check and the report.
#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    files: usize,
    xlsx_files: usize,
    csv_files: usize,
    /// Data rows of every dataset (good and bad; not titles, headers, blanks or totals).
    data_rows: usize,
    good_instancias: usize,
    /// Rows written to be rejected, every dataset.
    bad_rows: usize,
    bytes: u64,
}

impl Expected {
    const KEYS: [&'static str; 7] = [
        "files",
        "xlsx_files",
        "csv_files",
        "data_rows",
        "good_instancias",
        "bad_rows",
        "bytes",
    ];

    fn values(&self) -> [u64; 7] {
        [
            self.files as u64,
            self.xlsx_files as u64,
            self.csv_files as u64,
            self.data_rows as u64,
            self.good_instancias as u64,
            self.bad_rows as u64,
            self.bytes,
        ]
    }

    fn to_marker(&self, header: &str) -> String {
        let mut text = header.to_string();
        for (k, v) in Self::KEYS.iter().zip(self.values()) {
            text.push_str(&format!("{k}={v}\n"));
        }
        text
    }

    fn from_marker(text: &str, header: &str) -> Option<Expected> {
        let rest = text.strip_prefix(header)?;
        let mut values = [0u64; 7];
        for line in rest.lines() {
            let (k, v) = line.split_once('=')?;
            let i = Self::KEYS.iter().position(|key| *key == k)?;
            values[i] = v.parse().ok()?;
        }
        let [files, xlsx_files, csv_files, data_rows, good_instancias, bad_rows, bytes] = values;
        Some(Expected {
            files: files as usize,
            xlsx_files: xlsx_files as usize,
            csv_files: csv_files as usize,
            data_rows: data_rows as usize,
            good_instancias: good_instancias as usize,
            bad_rows: bad_rows as usize,
            bytes,
        })
    }
}

fn col_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Same letters, changed case: how clerks type.
fn vary_case(rng: &mut Rng, s: &str) -> String {
    match rng.below(10) {
        0..=5 => s.to_string(),
        6..=8 => s.to_uppercase(),
        _ => s.to_lowercase(),
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'Á' => 'a',
            'é' | 'É' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'Ó' => 'o',
            'ú' | 'Ú' | 'ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn date_from_day(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2017, 1, 1).unwrap_or_default() + chrono::Duration::days(day)
}

/// A date as a clerk leaves it: a date cell (xlsx only), `15/3/2019`, `15/03/2019` or `2019-03-15`.
fn date_cell(rng: &mut Rng, d: NaiveDate, xlsx: bool) -> Out {
    let roll = rng.below(10);
    if xlsx && roll < 4 {
        return Out::Date(d);
    }
    match roll % 3 {
        0 => Out::Text(format!("{}/{}/{}", d.day(), d.month(), d.year())),
        1 => Out::Text(d.format("%d/%m/%Y").to_string()),
        _ => Out::Text(d.format("%Y-%m-%d").to_string()),
    }
}

/// A comuna in one of its written forms: `Comuna 4`, `COMUNA 4`, `C4`, `04`, `4`, a number cell.
fn comuna_cell(rng: &mut Rng, n: i64, xlsx: bool) -> Out {
    match rng.below(if xlsx { 6 } else { 5 }) {
        0 => Out::Text(format!("Comuna {n}")),
        1 => Out::Text(format!("COMUNA {n}")),
        2 => Out::Text(format!("C{n}")),
        3 => Out::Text(format!("{n:02}")),
        4 => Out::Text(n.to_string()),
        _ => Out::Num(n as f64),
    }
}

fn barrio_cell(rng: &mut Rng, b: &Barrio) -> Out {
    let roll = rng.below(10);
    if roll < 2 && !b.aliases.is_empty() {
        return Out::Text(rng.pick(&b.aliases).clone());
    }
    Out::Text(vary_case(rng, &b.nombre))
}

/// A count as written: a number cell, ` 45 ` or `45`.
fn count_cell(rng: &mut Rng, n: i64, xlsx: bool) -> Out {
    match rng.below(10) {
        0..=6 if xlsx => Out::Num(n as f64),
        0..=1 => Out::Text(format!(" {n} ")),
        _ => Out::Text(n.to_string()),
    }
}

fn missing_cell(rng: &mut Rng) -> Out {
    match rng.below(4) {
        0 => Out::text("s/d"),
        1 => Out::text("S/D"),
        2 => Out::text("-"),
        _ => Out::Empty,
    }
}

fn title_rows(rng: &mut Rng, organismo: &str, what: &str) -> Vec<Vec<Out>> {
    let name = organismo.replace('-', " ");
    let mut rows = vec![vec![Out::Text(format!(
        "{} - {what} - {}",
        vary_case(rng, &name),
        2017 + rng.below(4)
    ))]];
    if rng.chance(0.7) {
        rows.push(vec![Out::text(
            "Fuente: elaboración propia. Datos provisorios.",
        )]);
    }
    rows.push(Vec::new());
    rows
}

fn instructions_sheet() -> Sheet {
    Sheet {
        name: "Instrucciones".to_string(),
        top: vec![
            vec![Out::text(
                "Completar una fila por reunión. No modificar los encabezados.",
            )],
            vec![Out::text("Contacto: datos@organismo.example")],
        ],
        merges: Vec::new(),
        rows: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// instancias

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Programa,
    Fecha,
    Modalidad,
    Comuna,
    Barrio,
    Inscriptos,
    Participantes,
    Age(usize),
    Tema,
    Resultado,
    Nombre,
    Dni,
    Correo,
}

fn label(rng: &mut Rng, col: Col) -> String {
    let options: &[&str] = match col {
        Col::Programa => &["Programa", "PROGRAMA", "Evento", "Actividad"],
        Col::Fecha => &[
            "Fecha",
            "FECHA",
            "Fecha de la reunión",
            "Fecha de evento",
            "Fecha de la actividad",
        ],
        Col::Modalidad => &["Modalidad", "MODALIDAD", "Modalidad (presencial/virtual)"],
        Col::Comuna => &["Comuna", "COMUNA", "Nº Comuna", "Comuna (CABA)"],
        Col::Barrio => &["Barrio", "BARRIO", "Barrio / Zona"],
        Col::Inscriptos => &["Inscriptos", "Personas inscriptas"],
        Col::Participantes => &[
            "Participantes",
            "Cant. participantes",
            "Cantidad de asistentes",
            "Asistentes",
            "Total participantes",
        ],
        Col::Age(0) => &["Menores de 18", "0 a 17"],
        Col::Age(1) => &["18 a 29", "De 18 a 29"],
        Col::Age(2) => &["30 a 44", "De 30 a 44"],
        Col::Age(3) => &["45 a 64", "De 45 a 64"],
        Col::Age(_) => &["65 y más", "65+"],
        Col::Tema => &["Temática", "Tema", "TEMA"],
        Col::Resultado => &["Resultado", "Resultados / acuerdos", "Acuerdos"],
        Col::Nombre => &["Nombre y apellido", "Nombre", "Apellido y nombre"],
        Col::Dni => &["DNI", "Documento"],
        Col::Correo => &["Correo electrónico", "E-mail", "Correo"],
    };
    rng.pick(options).to_string()
}

/// What one instancias row means. Keeping [`Instancia::identity`] unique per organismo keeps
/// good rows from being rejected as copies (of a row of the same file, or of another file of
/// the organismo).
#[derive(Debug)]
struct Instancia {
    day: i64,
    barrio: usize,
    barrio_shown: bool,
    comuna_shown: bool,
    participantes: Option<i64>,
    inscriptos: Option<i64>,
    ages: [Option<i64>; 5],
    modalidad: Option<usize>,
    tema: usize,
    resultado: usize,
    persona: (usize, usize, i64, u32),
}

#[derive(Clone, Copy, Debug)]
enum Bad {
    ImpossibleDate,
    Negative,
    WrongComuna,
    UnknownPrograma,
    Duplicate,
    NoDate,
}

struct InstFile<'a> {
    cols: Vec<Col>,
    programa: &'a [String],
    xlsx: bool,
}

impl InstFile<'_> {
    fn pos(&self, col: Col) -> Option<usize> {
        self.cols.iter().position(|c| *c == col)
    }

    fn meaning(&self, rng: &mut Rng, refs: &Refs) -> Instancia {
        let barrio = rng.below(refs.barrios.len());
        let where_roll = rng.below(100);
        let participantes = if rng.chance(0.9) {
            Some(rng.range(1, 200))
        } else {
            None
        };
        let ages = match participantes {
            Some(p) if rng.chance(0.9) => {
                // Bands that add up to the total.
                let mut cuts: Vec<i64> = (0..4).map(|_| rng.range(0, p)).collect();
                cuts.sort_unstable();
                let mut bands = [None; 5];
                let mut prev = 0;
                for (i, cut) in cuts.iter().chain(std::iter::once(&p)).enumerate() {
                    bands[i] = Some(cut - prev);
                    prev = *cut;
                }
                bands
            }
            // Bands that do not add up (a warning) or are unknown.
            _ if rng.chance(0.5) => [(); 5].map(|_| Some(rng.range(0, 60))),
            _ => [None; 5],
        };
        Instancia {
            day: rng.range(0, 4 * 365),
            barrio,
            barrio_shown: where_roll >= 3,
            comuna_shown: !(3..6).contains(&where_roll),
            participantes,
            inscriptos: participantes.map(|p| p + rng.range(0, 40)),
            ages,
            modalidad: if rng.chance(0.97) {
                Some(rng.below(3))
            } else {
                None
            },
            tema: rng.below(TEMAS.len()),
            resultado: rng.below(RESULTADOS.len()),
            persona: (
                rng.below(NOMBRES.len()),
                rng.below(APELLIDOS.len()),
                rng.range(20_000_000, 49_999_999),
                rng.below(1000) as u32,
            ),
        }
    }

    /// What participa stores of the row in this file's layout, in a fixed order: a field the
    /// file has no column for is stored empty, the person is dropped, a comuna follows its
    /// barrio. Two rows of an organismo with the same identity are one row sent twice.
    fn identity(&self, refs: &Refs, m: &Instancia) -> String {
        let has = |c: Col| {
            self.cols
                .iter()
                .any(|x| std::mem::discriminant(x) == std::mem::discriminant(&c))
        };
        let barrio = (has(Col::Barrio) && m.barrio_shown).then_some(m.barrio);
        let comuna = (barrio.is_some() || (has(Col::Comuna) && m.comuna_shown))
            .then(|| refs.barrios[m.barrio].comuna);
        let ages: Vec<Option<i64>> = (0..5)
            .map(|k| {
                if self
                    .cols
                    .iter()
                    .any(|c| matches!(c, Col::Age(j) if *j == k))
                {
                    m.ages[k]
                } else {
                    None
                }
            })
            .collect();
        format!(
            "{:?}",
            (
                self.programa.first(),
                m.day,
                has(Col::Modalidad).then_some(m.modalidad).flatten(),
                barrio,
                comuna,
                has(Col::Participantes).then_some(m.participantes).flatten(),
                has(Col::Inscriptos).then_some(m.inscriptos).flatten(),
                ages,
                has(Col::Tema).then_some(m.tema),
                has(Col::Resultado).then_some(m.resultado),
            )
        )
    }

    fn render(&self, rng: &mut Rng, refs: &Refs, m: &Instancia) -> Vec<Out> {
        let b = &refs.barrios[m.barrio];
        let xlsx = self.xlsx;
        let (first, last, dni, n) = m.persona;
        self.cols
            .iter()
            .map(|col| match col {
                Col::Programa => {
                    let form = rng.pick(self.programa).clone();
                    Out::Text(vary_case(rng, &form))
                }
                Col::Fecha => date_cell(rng, date_from_day(m.day), xlsx),
                Col::Modalidad => match m.modalidad {
                    Some(i) => Out::text(*rng.pick(MODALIDADES[i])),
                    None => Out::Empty,
                },
                Col::Comuna if m.comuna_shown => comuna_cell(rng, b.comuna, xlsx),
                Col::Barrio if m.barrio_shown => barrio_cell(rng, b),
                Col::Comuna | Col::Barrio => Out::Empty,
                Col::Participantes => match m.participantes {
                    Some(p) => count_cell(rng, p, xlsx),
                    None => missing_cell(rng),
                },
                Col::Inscriptos => match m.inscriptos {
                    Some(p) => count_cell(rng, p, xlsx),
                    None => missing_cell(rng),
                },
                Col::Age(k) => match m.ages[*k] {
                    Some(v) => count_cell(rng, v, xlsx),
                    None => missing_cell(rng),
                },
                Col::Tema => Out::text(TEMAS[m.tema]),
                Col::Resultado => Out::text(RESULTADOS[m.resultado]),
                Col::Nombre => Out::Text(format!("{} {}", NOMBRES[first], APELLIDOS[last])),
                Col::Dni => {
                    if xlsx && rng.chance(0.5) {
                        Out::Num(dni as f64)
                    } else {
                        Out::Text(format!(
                            "{}.{:03}.{:03}",
                            dni / 1_000_000,
                            dni / 1000 % 1000,
                            dni % 1000
                        ))
                    }
                }
                Col::Correo => Out::Text(format!(
                    "{}.{}{n}@correo.example",
                    ascii_lower(NOMBRES[first]),
                    ascii_lower(APELLIDOS[last])
                )),
            })
            .collect()
    }

    /// Turns a good row into one participa must reject.
    fn spoil(&self, rng: &mut Rng, refs: &Refs, m: &Instancia, cells: &mut [Out], bad: Bad) {
        let set = |cells: &mut [Out], col: Col, value: Out| {
            if let Some(i) = self.pos(col) {
                cells[i] = value;
            }
        };
        match bad {
            Bad::ImpossibleDate => {
                let year = date_from_day(m.day).year();
                set(
                    cells,
                    Col::Fecha,
                    Out::Text(format!("{}/02/{year}", rng.range(30, 31))),
                );
            }
            Bad::Negative => set(
                cells,
                Col::Participantes,
                Out::Num(-(rng.range(1, 50) as f64)),
            ),
            Bad::WrongComuna => {
                let b = &refs.barrios[m.barrio];
                let wrong = (b.comuna + rng.range(1, 14) - 1) % 15 + 1;
                set(cells, Col::Comuna, Out::Text(format!("Comuna {wrong}")));
                set(cells, Col::Barrio, Out::Text(b.nombre.clone()));
            }
            Bad::UnknownPrograma => set(cells, Col::Programa, Out::text("Taller de cerámica")),
            Bad::NoDate => set(cells, Col::Fecha, Out::Empty),
            Bad::Duplicate => {}
        }
    }
}

const BAD_KINDS: [Bad; 6] = [
    Bad::ImpossibleDate,
    Bad::Negative,
    Bad::WrongComuna,
    Bad::UnknownPrograma,
    Bad::Duplicate,
    Bad::NoDate,
];

// The meanings already written for the organismo: a good row never repeats one from another
// of its files either, or participa rightly rejects it as a copy sent twice.
#[allow(clippy::too_many_arguments)]
fn gen_instancias(
    rng: &mut Rng,
    refs: &Refs,
    organismo: &str,
    n_rows: usize,
    xlsx: bool,
    bad_rate: f64,
    seen: &mut HashSet<String>,
    exp: &mut Expected,
) -> Vec<Sheet> {
    let programa = rng.pick(&refs.programas_instancias).as_slice();
    let mut cols = vec![
        Col::Programa,
        Col::Fecha,
        Col::Modalidad,
        Col::Comuna,
        Col::Barrio,
        Col::Participantes,
        Col::Tema,
        Col::Resultado,
    ];
    if rng.chance(0.3) {
        cols.push(Col::Inscriptos);
    }
    if rng.chance(0.6) {
        rng.shuffle(&mut cols);
    }
    let ages = rng.chance(0.35);
    if ages {
        cols.extend((0..5).map(Col::Age));
    }
    if rng.chance(0.3) {
        let personal = [Col::Nombre, Col::Dni, Col::Correo];
        if rng.chance(0.3) {
            cols.splice(0..0, personal);
        } else {
            cols.extend(personal);
        }
    }
    let labels: Vec<String> = cols.iter().map(|c| label(rng, *c)).collect();
    let file = InstFile {
        cols,
        programa,
        xlsx,
    };
    let width = file.cols.len();

    // Title lines, then a one-row header, or (xlsx with age bands) a two-row header under
    // merged cells: `Participantes por edad` over the bands, the other labels merged down.
    let mut top = if rng.chance(if xlsx { 0.5 } else { 0.15 }) {
        title_rows(rng, organismo, &programa[0])
    } else {
        Vec::new()
    };
    let mut merges = Vec::new();
    if xlsx && ages && rng.chance(0.8) {
        let h0 = top.len() as u32;
        let mut child = vec![Out::Empty; width];
        for (c, col) in file.cols.iter().enumerate() {
            match col {
                Col::Age(0) => merges.push((
                    h0,
                    c as u16,
                    h0,
                    c as u16 + 4,
                    "Participantes por edad".to_string(),
                )),
                Col::Age(_) => {}
                _ => merges.push((h0, c as u16, h0 + 1, c as u16, labels[c].clone())),
            }
            if matches!(col, Col::Age(_)) {
                child[c] = Out::Text(labels[c].clone());
            }
        }
        top.push(vec![Out::Empty; width]);
        top.push(child);
    } else {
        top.push(labels.iter().map(|l| Out::Text(l.clone())).collect());
    }

    let n_sheets = if xlsx && rng.chance(0.3) {
        2 + rng.below(3)
    } else {
        1
    };
    let mut sheets = Vec::new();
    if xlsx && (n_sheets > 1 || rng.chance(0.1)) {
        sheets.push(instructions_sheet());
    }
    let mut last_good: Option<Vec<Out>> = None;
    for s in 0..n_sheets {
        let rows_here = if s + 1 == n_sheets {
            n_rows - n_rows / n_sheets * s
        } else {
            n_rows / n_sheets
        };
        let first_data_row = top.len() + 1;
        let blank_at = if rng.chance(0.3) {
            Some(rng.below(rows_here.max(1)))
        } else {
            None
        };
        let mut rows = Vec::with_capacity(rows_here + 2);
        let mut total = 0i64;
        for r in 0..rows_here {
            if blank_at == Some(r) {
                rows.push(if xlsx {
                    Vec::new()
                } else {
                    vec![Out::Empty; width]
                });
            }
            let bad = if rng.chance(bad_rate) {
                Some(*rng.pick(&BAD_KINDS))
            } else {
                None
            };
            if let (Some(Bad::Duplicate), Some(copy)) = (bad, &last_good) {
                rows.push(copy.clone());
                exp.bad_rows += 1;
                exp.data_rows += 1;
                continue;
            }
            let mut meaning = file.meaning(rng, refs);
            while !seen.insert(file.identity(refs, &meaning)) {
                meaning = file.meaning(rng, refs);
            }
            let mut cells = file.render(rng, refs, &meaning);
            match bad {
                None | Some(Bad::Duplicate) => {
                    total += meaning.participantes.unwrap_or(0);
                    last_good = Some(cells.clone());
                    exp.good_instancias += 1;
                }
                Some(kind) => {
                    file.spoil(rng, refs, &meaning, &mut cells, kind);
                    exp.bad_rows += 1;
                }
            }
            exp.data_rows += 1;
            rows.push(cells);
        }
        if rng.chance(0.6) {
            let mut totals = vec![Out::Empty; width];
            totals[0] = Out::text(*rng.pick(&["TOTAL", "Total", "Total general"]));
            if let Some(p) = file.pos(Col::Participantes).filter(|p| *p > 0) {
                let letters = col_letters(p);
                let last_data_row = first_data_row + rows.len() - 1;
                totals[p] = if xlsx {
                    Out::Sum(
                        format!("=SUM({letters}{first_data_row}:{letters}{last_data_row})"),
                        total as f64,
                    )
                } else {
                    Out::Num(total as f64)
                };
            }
            rows.push(totals);
        }
        let name = if n_sheets == 1 {
            rng.pick(&["Hoja1", "Datos", "Sheet1", "Reuniones"])
                .to_string()
        } else {
            format!("Parte {}", s + 1)
        };
        sheets.push(Sheet {
            name,
            top: top.clone(),
            merges: merges.clone(),
            rows,
        });
    }
    sheets
}

// ---------------------------------------------------------------------------------------------
// iniciativas (BA Elige follow-up) and reconocimientos (wide, one column pair per month)

fn gen_iniciativas(
    rng: &mut Rng,
    refs: &Refs,
    organismo: &str,
    n_rows: usize,
    exp: &mut Expected,
) -> Vec<Sheet> {
    let labels = [
        "Id proyecto",
        "Edición",
        "Proyecto",
        "Comuna",
        "Barrio",
        "Categoría",
        "Estado actual",
        "Votos",
        "Presupuesto ($)",
        "Avance (%)",
        "Fecha de actualización",
    ];
    let mut top = title_rows(
        rng,
        organismo,
        "BA Elige - Seguimiento de proyectos ganadores",
    );
    top.push(labels.iter().map(|l| Out::text(*l)).collect());
    let edicion = 2017 + rng.range(0, 2);
    let mut ids: Vec<String> = Vec::new();
    let mut rows = Vec::with_capacity(n_rows);
    for seq in 1..=n_rows {
        let b = &refs.barrios[rng.below(refs.barrios.len())];
        let mut id = format!("BAE-{edicion}-{seq:05}");
        let mut comuna = comuna_cell(rng, b.comuna, true);
        let estado_forms = rng.pick(&refs.estados);
        let estado_form = rng.pick(estado_forms).clone();
        let mut estado = Out::Text(vary_case(rng, &estado_form));
        let bad = rng.chance(BAD_ROW_RATE);
        if bad {
            match rng.below(3) {
                0 => estado = Out::text("En revisión técnica"),
                1 if !ids.is_empty() => id = rng.pick(&ids).clone(),
                _ => comuna = Out::Text(format!("C{}", b.comuna % 15 + 1)),
            }
            exp.bad_rows += 1;
        } else {
            ids.push(id.clone());
        }
        exp.data_rows += 1;
        let presupuesto = rng.range(100_000, 9_999_999) as f64 + rng.range(0, 99) as f64 / 100.0;
        let avance = rng.range(0, 100);
        let updated =
            NaiveDate::from_ymd_opt(2020, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                .unwrap_or_default();
        rows.push(vec![
            Out::Text(id),
            Out::Num(edicion as f64),
            Out::Text(format!(
                "Proyecto {seq} - {}",
                rng.pick(&CATEGORIAS_PROYECTO)
            )),
            comuna,
            barrio_cell(rng, b),
            Out::text(*rng.pick(&CATEGORIAS_PROYECTO)),
            estado,
            Out::Num(rng.range(100, 9000) as f64),
            if rng.chance(0.5) {
                let whole = presupuesto.trunc() as i64;
                let cents = ((presupuesto - presupuesto.trunc()) * 100.0).round() as i64;
                Out::Text(format!(
                    "$ {}.{:03}.{:03},{cents:02}",
                    whole / 1_000_000,
                    whole / 1000 % 1000,
                    whole % 1000
                ))
            } else {
                Out::Num(presupuesto)
            },
            if rng.chance(0.5) {
                Out::Text(format!("{avance}%"))
            } else {
                Out::Num(avance as f64)
            },
            date_cell(rng, updated, true),
        ]);
    }
    vec![Sheet {
        name: "Seguimiento".to_string(),
        top,
        merges: Vec::new(),
        rows,
    }]
}

fn gen_reconocimientos(
    rng: &mut Rng,
    refs: &Refs,
    n_rows: usize,
    exp: &mut Expected,
) -> Vec<Sheet> {
    let programa = rng.pick(&refs.programas_reconocimientos).as_slice();
    let mut header = vec![
        Out::text("Comuna"),
        Out::text("año"),
        Out::text("Programa"),
        Out::text("Categoría"),
    ];
    for mes in (1..=12).map(|m| month_name(m, Lang::Es)) {
        header.push(Out::Text(format!("Inscriptos {mes}")));
        header.push(Out::Text(format!("Ganadores {mes}")));
    }
    let mut rows = Vec::with_capacity(n_rows);
    for _ in 0..n_rows {
        let comuna = rng.range(1, 15);
        let form = rng.pick(programa).clone();
        let mut row = vec![
            comuna_cell(rng, comuna, true),
            Out::Num(rng.range(2017, 2020) as f64),
            Out::Text(vary_case(rng, &form)),
            Out::text(*rng.pick(&CATEGORIAS_RECONOCIMIENTO)),
        ];
        let first_month = rng.below(12);
        for month in 0..12 {
            if month == first_month || rng.chance(0.8) {
                let inscriptos = rng.range(0, 900);
                row.push(Out::Num(inscriptos as f64));
                row.push(Out::Num(rng.range(0, inscriptos / 5) as f64));
            } else {
                row.push(Out::Empty);
                row.push(Out::Empty);
            }
        }
        if rng.chance(BAD_ROW_RATE) {
            // More winners than people enrolled, in one month.
            let i = 4 + 2 * first_month;
            if let Out::Num(inscriptos) = row[i] {
                row[i + 1] = Out::Num(inscriptos + rng.range(1, 50) as f64);
            }
            exp.bad_rows += 1;
        }
        exp.data_rows += 1;
        rows.push(row);
    }
    vec![Sheet {
        name: "Hoja1".to_string(),
        top: vec![header],
        merges: Vec::new(),
        rows,
    }]
}

// ---------------------------------------------------------------------------------------------
// Writing

fn write_xlsx(sheets: &[Sheet], path: &Path) -> BoxResult<()> {
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let plain = Format::new();
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (r, row) in sheet.top.iter().chain(&sheet.rows).enumerate() {
            let r = r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Out::Empty => {}
                    Out::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Out::Num(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Out::Date(d) => {
                        let dt = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        ws.write_datetime_with_format(r, c, &dt, &date_format)?;
                    }
                    Out::Sum(f, v) => {
                        ws.write_formula(r, c, Formula::new(f).set_result(fmt_num(*v)))?;
                    }
                }
            }
        }
        for (r1, c1, r2, c2, text) in &sheet.merges {
            ws.merge_range(*r1, *c1, *r2, *c2, text, &plain)?;
        }
    }
    workbook.save(path)?;
    Ok(())
}

fn write_csv(sheet: &Sheet, path: &Path, windows_1252: bool) -> BoxResult<()> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(if windows_1252 { b';' } else { b',' })
        .terminator(if windows_1252 {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .flexible(true)
        .from_writer(Vec::new());
    for row in sheet.top.iter().chain(&sheet.rows) {
        if row.is_empty() {
            writer.write_record([""])?;
        } else {
            writer.write_record(row.iter().map(Out::as_csv))?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    let bytes = if windows_1252 {
        let text = String::from_utf8(bytes)?;
        let (encoded, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        if unmappable {
            return Err(
                format!("{}: text not representable in Windows-1252", path.display()).into(),
            );
        }
        encoded.into_owned()
    } else {
        bytes
    };
    fs::write(path, bytes)?;
    Ok(())
}

fn set_mtime(path: &Path) -> BoxResult<()> {
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(FILE_MTIME_UNIX);
    fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(mtime)?;
    Ok(())
}

fn marker_header(kind: &str) -> String {
    format!("participa bench corpus {kind}\nversion={CORPUS_VERSION}\nseed={SEED:#x}\n")
}

/// Generates a corpus unless `dir` exists with a marker written by this version of the generator.
fn ensure_corpus(
    root: &Path,
    kind: &str,
    generate: fn(&Path, &Refs) -> BoxResult<Expected>,
    refs: &Refs,
) -> BoxResult<(Expected, bool)> {
    let dir = root.join(kind);
    let marker = root.join(format!("{kind}.marker"));
    let header = marker_header(kind);
    if dir.is_dir() {
        if let Some(expected) = fs::read_to_string(&marker)
            .ok()
            .and_then(|t| Expected::from_marker(&t, &header))
        {
            return Ok((expected, false));
        }
    }
    let _ = fs::remove_file(&marker);
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    let expected = generate(&dir, refs)?;
    fs::write(&marker, expected.to_marker(&header))?;
    Ok((expected, true))
}

fn save(
    sheets: &[Sheet],
    dir: &Path,
    organismo: &str,
    name: &str,
    format: FileFormat,
    exp: &mut Expected,
) -> BoxResult<()> {
    let folder = dir.join(organismo);
    fs::create_dir_all(&folder)?;
    let path = folder.join(name);
    match format {
        FileFormat::Xlsx => {
            write_xlsx(sheets, &path)?;
            exp.xlsx_files += 1;
        }
        FileFormat::CsvWindows1252 | FileFormat::CsvUtf8 => {
            write_csv(&sheets[0], &path, format == FileFormat::CsvWindows1252)?;
            exp.csv_files += 1;
        }
    }
    set_mtime(&path)?;
    exp.files += 1;
    exp.bytes += fs::metadata(&path)?.len();
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Xlsx,
    CsvWindows1252,
    CsvUtf8,
}

fn generate_main(dir: &Path, refs: &Refs) -> BoxResult<Expected> {
    let mut rng = Rng(SEED);
    let mut exp = Expected::default();
    let mut seen: std::collections::HashMap<&str, HashSet<String>> =
        std::collections::HashMap::new();
    for i in 0..MAIN_FILES {
        let organismo = ORGANISMOS[i % ORGANISMOS.len()];
        if i % 20 == 5 {
            let n = 600 + rng.below(800);
            let sheets = gen_iniciativas(&mut rng, refs, organismo, n, &mut exp);
            save(
                &sheets,
                dir,
                organismo,
                &format!("ba_elige_seguimiento_{i:03}.xlsx"),
                FileFormat::Xlsx,
                &mut exp,
            )?;
        } else if i % 20 == 15 {
            let n = 150 + rng.below(300);
            let sheets = gen_reconocimientos(&mut rng, refs, n, &mut exp);
            save(
                &sheets,
                dir,
                organismo,
                &format!("reconocimientos_{i:03}.xlsx"),
                FileFormat::Xlsx,
                &mut exp,
            )?;
        } else {
            let format = match i % 10 {
                2 => FileFormat::CsvWindows1252,
                8 => FileFormat::CsvUtf8,
                _ => FileFormat::Xlsx,
            };
            let n = 2900 + rng.below(6000);
            let xlsx = format == FileFormat::Xlsx;
            let sheets = gen_instancias(
                &mut rng,
                refs,
                organismo,
                n,
                xlsx,
                BAD_ROW_RATE,
                seen.entry(organismo).or_default(),
                &mut exp,
            );
            let name = if xlsx {
                format!("instancias_{i:03}.xlsx")
            } else {
                format!("export_instancias_{i:03}.csv")
            };
            save(&sheets, dir, organismo, &name, format, &mut exp)?;
        }
    }
    Ok(exp)
}

fn generate_small(dir: &Path, refs: &Refs) -> BoxResult<Expected> {
    let mut rng = Rng(SEED ^ 0x5A11);
    let mut exp = Expected::default();
    let mut seen: std::collections::HashMap<&str, HashSet<String>> =
        std::collections::HashMap::new();
    for i in 0..SMALL_FILES {
        let organismo = ORGANISMOS[i % ORGANISMOS.len()];
        let sheets = gen_instancias(
            &mut rng,
            refs,
            organismo,
            SMALL_ROWS,
            false,
            0.0,
            seen.entry(organismo).or_default(),
            &mut exp,
        );
        save(
            &sheets,
            dir,
            organismo,
            &format!("reunion_{i:04}.csv"),
            FileFormat::CsvUtf8,
            &mut exp,
        )?;
    }
    Ok(exp)
}

// ---------------------------------------------------------------------------------------------
// The bare pass: what reading the same files costs with nothing else done

#[derive(Debug, Default, Clone, Copy)]
struct BareStats {
    files: usize,
    sheets: usize,
    cells: u64,
    checksum: u64,
}

const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fold(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(FNV_PRIME)
}

fn fold_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = fold(h, u64::from(b));
    }
    h
}

fn fold_cell(h: u64, cell: &Data) -> u64 {
    match cell {
        Data::Empty => fold(h, 0),
        Data::Int(i) => fold(h, *i as u64),
        Data::Float(f) => fold(h, f.to_bits()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            fold_bytes(h, s.as_bytes())
        }
        Data::Bool(b) => fold(h, u64::from(*b) + 2),
        Data::DateTime(d) => fold(h, d.as_f64().to_bits()),
        Data::Error(_) => fold(h, 7),
    }
}

fn bare_read(files: &[PathBuf]) -> BoxResult<BareStats> {
    let mut stats = BareStats {
        checksum: 0xcbf2_9ce4_8422_2325,
        ..BareStats::default()
    };
    for path in files {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if ext == "csv" {
            let bytes = fs::read(path)?;
            let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            let semicolons = first_line.iter().filter(|b| **b == b';').count();
            let commas = first_line.iter().filter(|b| **b == b',').count();
            let delimiter = if semicolons > commas { b';' } else { b',' };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(bytes.as_slice());
            let mut record = csv::ByteRecord::new();
            while reader.read_byte_record(&mut record)? {
                for field in record.iter() {
                    stats.checksum = fold_bytes(stats.checksum, field);
                    stats.cells += 1;
                }
            }
            stats.sheets += 1;
        } else {
            let mut workbook = open_workbook_auto(path)?;
            for name in workbook.sheet_names() {
                let range = workbook.worksheet_range(&name)?;
                for row in range.rows() {
                    for cell in row {
                        stats.checksum = fold_cell(stats.checksum, cell);
                        stats.cells += 1;
                    }
                }
                stats.sheets += 1;
            }
        }
        stats.files += 1;
    }
    Ok(std::hint::black_box(stats))
}

fn bare_read_parallel(files: &[PathBuf], threads: usize) -> BoxResult<BareStats> {
    let parts: Vec<Vec<PathBuf>> = (0..threads)
        .map(|t| files.iter().skip(t).step_by(threads).cloned().collect())
        .collect();
    let results: Vec<Result<BareStats, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| scope.spawn(move || bare_read(part).map_err(|e| e.to_string())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("bare reader thread panicked".to_string()))
            })
            .collect()
    });
    let mut total = BareStats::default();
    for r in results {
        let s = r?;
        total.files += s.files;
        total.sheets += s.sheets;
        total.cells += s.cells;
        total.checksum ^= s.checksum;
    }
    Ok(total)
}

fn list_files(dir: &Path) -> BoxResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// participa as a child process

struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_mb: f64,
    /// CPU cores' worth of work done by other processes during the run (0 on a quiet machine).
    others: f64,
    stdout: String,
}

/// Machine-wide busy CPU time so far (/proc/stat), to see what other processes did during a run.
#[derive(Clone, Copy)]
struct CpuSnap {
    at: Instant,
    busy: f64,
}

fn cpu_snap() -> CpuSnap {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let busy = fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| {
            let line = text.lines().next()?.strip_prefix("cpu ")?.to_string();
            let v: Vec<f64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            (v.len() >= 8).then(|| (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / ticks)
        })
        .unwrap_or(0.0);
    CpuSnap {
        at: Instant::now(),
        busy,
    }
}

/// Cores' worth of CPU that processes other than ours used between two snapshots.
fn others_between(before: CpuSnap, after: CpuSnap, ours: Duration) -> f64 {
    let wall = after.at.duration_since(before.at).as_secs_f64();
    if wall <= 0.0 {
        return 0.0;
    }
    ((after.busy - before.busy - ours.as_secs_f64()) / wall).max(0.0)
}

/// User + system CPU time of this process so far.
fn self_cpu() -> Duration {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

/// Runs `f` in this process, timing it and what else the machine did meanwhile.
fn in_process<T>(f: impl FnOnce() -> BoxResult<T>) -> BoxResult<(T, Measured)> {
    let (snap, cpu0, start) = (cpu_snap(), self_cpu(), Instant::now());
    let value = f()?;
    let wall = start.elapsed();
    let cpu = self_cpu() - cpu0;
    let others = others_between(snap, cpu_snap(), cpu);
    Ok((
        value,
        Measured {
            wall,
            cpu,
            max_rss_mb: 0.0,
            others,
            stdout: String::new(),
        },
    ))
}

/// Set in the environment of this bench binary when it runs as the measuring wrapper.
const WRAPPER_REPORT_ENV: &str = "PARTICIPA_BENCH_WRAPPER_REPORT";

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// The measuring wrapper: runs `args[0]` with `args[1..]`, reaps it with `wait4` and writes
/// `wall_ns cpu_ns max_rss_kb exit_code` to the file named by [`WRAPPER_REPORT_ENV`].
///
/// Why a wrapper: Linux carries the parent's peak RSS into a child's `ru_maxrss` (the child
/// starts as a copy, or with `posix_spawn` a share, of the parent's memory, and exec keeps the
/// high-water mark). Spawned from this bench, which by then holds the corpus' metadata and
/// calamine's buffers, every child would report at least the bench's own peak. The wrapper is
/// a fresh, small process, so what it reports is participa's own peak (floored at the
/// wrapper's few MB).
fn wrapper(report: &Path, args: &[String]) -> BoxResult<i32> {
    let (program, rest) = args.split_first().ok_or("wrapper: no program")?;
    let start = Instant::now();
    let child = Command::new(program).args(rest).spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child and not yet reaped (std never waits on it: `wait` is
        // not called on `child`); `status` and `usage` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {err}").into());
        }
    }
    let wall = start.elapsed();
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    fs::write(
        report,
        format!(
            "{} {} {} {code}\n",
            wall.as_nanos(),
            cpu.as_nanos(),
            usage.ru_maxrss
        ),
    )?;
    Ok(code)
}

/// Runs `program args` in `dir` under the wrapper; wall clock from spawn to reaping, CPU time
/// and peak RSS of that process alone.
fn measure(program: &Path, args: &[&str], dir: &Path, tag: &str) -> BoxResult<Measured> {
    let out_path = dir.join(format!("{tag}.stdout"));
    let err_path = dir.join(format!("{tag}.stderr"));
    let report_path = dir.join(format!("{tag}.rusage"));
    let _ = fs::remove_file(&report_path);
    let snap = cpu_snap();
    let status = Command::new(std::env::current_exe()?)
        .env(WRAPPER_REPORT_ENV, &report_path)
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path)?)
        .stderr(fs::File::create(&err_path)?)
        .status()?;
    let after = cpu_snap();
    let stdout = fs::read_to_string(&out_path)?;
    if !status.success() {
        let stderr = fs::read_to_string(&err_path).unwrap_or_default();
        return Err(format!(
            "{tag}: {} {} failed ({status})\n{stdout}\n{stderr}",
            program.display(),
            args.join(" ")
        )
        .into());
    }
    let report = fs::read_to_string(&report_path)?;
    let fields: Vec<u64> = report
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [wall_ns, cpu_ns, max_rss_kb, _code] = fields[..] else {
        return Err(format!("{tag}: bad wrapper report {report:?}").into());
    };
    let cpu = Duration::from_nanos(cpu_ns);
    Ok(Measured {
        wall: Duration::from_nanos(wall_ns),
        cpu,
        max_rss_mb: max_rss_kb as f64 / 1024.0,
        others: others_between(snap, after, cpu),
        stdout,
    })
}

/// `participa init DIR`, then the source pointed at `corpus`, `threads` set and no settle time
/// (the corpus files are old anyway).
fn workspace(bin: &Path, dir: &Path, corpus: &Path, threads: usize) -> BoxResult<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    let init = Command::new(bin)
        .arg("init")
        .arg(dir)
        .stdout(Stdio::null())
        .output()?;
    if !init.status.success() {
        return Err(format!(
            "participa init failed: {}",
            String::from_utf8_lossy(&init.stderr)
        )
        .into());
    }
    let toml_path = dir.join("participa.toml");
    let mut doc: toml::Table = fs::read_to_string(&toml_path)?.parse()?;
    let source = doc
        .get_mut("sources")
        .and_then(|s| s.as_array_mut())
        .and_then(|a| a.first_mut())
        .and_then(|s| s.as_table_mut())
        .ok_or("participa.toml has no [[sources]]")?;
    source.insert(
        "path".to_string(),
        toml::Value::String(corpus.to_string_lossy().into_owned()),
    );
    let ingest = doc
        .get_mut("ingest")
        .and_then(|s| s.as_table_mut())
        .ok_or("participa.toml has no [ingest]")?;
    ingest.insert("threads".to_string(), toml::Value::Integer(threads as i64));
    ingest.insert("settle_seconds".to_string(), toml::Value::Integer(0));
    fs::write(&toml_path, toml::to_string(&doc)?)?;
    Ok(())
}

fn ingest(bin: &Path, ws: &Path, tag: &str) -> BoxResult<Measured> {
    measure(bin, &["ingest"], ws, tag)
}

/// The pass summary lines of `participa ingest`.
fn summary(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| l.starts_with("Archivos:") || l.starts_with("Filas:"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Streams `participa export WHAT` and hands each record to `each`.
fn export(
    bin: &Path,
    ws: &Path,
    what: &str,
    mut each: impl FnMut(&csv::StringRecord),
) -> BoxResult<()> {
    let mut child = Command::new(bin)
        .args(["export", what, "--format", "csv"])
        .current_dir(ws)
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(stdout);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        each(&record);
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("participa export {what} failed: {status}").into());
    }
    Ok(())
}

/// Where one ingest's time goes: participa's own library stages on the same files, one thread,
/// in this process. For diagnosis only; the targets are judged on the binary's runs.
#[derive(Default)]
struct Stages {
    read_hash: Duration,
    parse: Duration,
    standardise: Duration,
    drop: Duration,
    accepted: usize,
}

impl Stages {
    fn total(&self) -> Duration {
        self.read_hash + self.parse + self.standardise + self.drop
    }
}

fn stages(config_path: &Path, corpus: &Path, files: &[PathBuf]) -> BoxResult<Stages> {
    use sha2::Digest;
    let config = participa::config::Config::load(Some(config_path))?;
    let limits = participa::ingest::Limits::default();
    let mtime_ns = (FILE_MTIME_UNIX * 1_000_000_000) as i64;
    let mut st = Stages::default();
    for path in files {
        let t = Instant::now();
        let bytes = fs::read(path)?;
        std::hint::black_box(sha2::Sha256::digest(&bytes));
        st.read_hash += t.elapsed();
        let relative = path
            .strip_prefix(corpus)?
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let organismo = relative.split_once('/').map(|(o, _)| o);
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let t = Instant::now();
        let sheets = participa::ingest::read_bytes(&bytes, &extension, &limits)?;
        st.parse += t.elapsed();
        let ctx = participa::pipeline::file_context(&config, organismo, &relative, mtime_ns);
        let t = Instant::now();
        let result = participa::standard::process_file(&config.standard, &ctx, &sheets);
        st.standardise += t.elapsed();
        st.accepted += result.accepted();
        let t = Instant::now();
        drop(result);
        drop(sheets);
        drop(bytes);
        st.drop += t.elapsed();
    }
    Ok(st)
}

fn cpu_model() -> String {
    let mut text = String::new();
    let _ = fs::File::open("/proc/cpuinfo").and_then(|mut f| f.read_to_string(&mut text));
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn pass_fail(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run() -> BoxResult<bool> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_participa"));
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let corpus_root = target.join("bench-corpus");
    let work = target.join("bench-work");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("participa ingest benchmark: {cores} cores, {}", cpu_model());
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("binary: {} (source at commit {commit})", bin.display());

    let refs = Refs::load()?;
    let started = Instant::now();
    let (main_exp, main_new) = ensure_corpus(&corpus_root, "main", generate_main, &refs)?;
    let (small_exp, small_new) = ensure_corpus(&corpus_root, "small", generate_small, &refs)?;
    println!(
        "corpus: {} (generated: main {main_new}, small {small_new}, {:.1} s)",
        corpus_root.display(),
        secs(started.elapsed())
    );
    let main_dir = corpus_root.join("main");
    let small_dir = corpus_root.join("small");
    let files = list_files(&main_dir)?;
    if files.len() != main_exp.files {
        return Err(format!(
            "corpus has {} files, marker says {}: delete {}",
            files.len(),
            main_exp.files,
            corpus_root.display()
        )
        .into());
    }
    println!(
        "  main:  {} files ({} xlsx, {} csv) in {} organismo folders, {} data rows ({} good instancias rows, {} bad rows), {:.1} MB",
        main_exp.files,
        main_exp.xlsx_files,
        main_exp.csv_files,
        ORGANISMOS.len(),
        main_exp.data_rows,
        main_exp.good_instancias,
        main_exp.bad_rows,
        main_exp.bytes as f64 / 1e6
    );
    println!(
        "  small: {} csv files, {} data rows, {:.1} MB",
        small_exp.files,
        small_exp.data_rows,
        small_exp.bytes as f64 / 1e6
    );

    // Warm the page cache so that neither side pays for the disk.
    for path in files.iter().chain(list_files(&small_dir)?.iter()) {
        std::hint::black_box(fs::read(path)?);
    }
    if work.exists() {
        fs::remove_dir_all(&work)?;
    }
    fs::create_dir_all(&work)?;

    // (a) Baseline: bare read, one thread. Best of two, so the baseline is never flattered by noise.
    let (bare, bare_a) = in_process(|| bare_read(&files))?;
    let (_, bare_b) = in_process(|| bare_read(&files))?;
    println!(
        "bare read: {} files, {} sheets, {} cells, checksum {:016x}; runs {:.3} s, {:.3} s",
        bare.files,
        bare.sheets,
        bare.cells,
        bare.checksum,
        secs(bare_a.wall),
        secs(bare_b.wall)
    );
    let bare_1 = if bare_a.wall <= bare_b.wall {
        bare_a
    } else {
        bare_b
    };
    let (bare2, bare_n) = in_process(|| bare_read_parallel(&files, cores))?;
    if bare2.cells != bare.cells {
        return Err("the parallel bare pass read a different number of cells".into());
    }

    // (b) participa ingest, threads = 0 (all cores).
    let ws_all = work.join("ws-threads-0");
    workspace(&bin, &ws_all, &main_dir, 0)?;
    let full = ingest(&bin, &ws_all, "ingest-full")?;
    println!("ingest threads=0: {}", summary(&full.stdout));
    let mut exported = 0usize;
    export(&bin, &ws_all, "instancias", |_| exported += 1)?;
    let mut rejected: HashSet<(String, String, String)> = HashSet::new();
    export(&bin, &ws_all, "rechazos", |r| {
        rejected.insert((r[0].to_string(), r[1].to_string(), r[2].to_string()));
    })?;
    let again_main = ingest(&bin, &ws_all, "ingest-main-unchanged")?;

    // (c) threads = 1 for reference.
    let ws_one = work.join("ws-threads-1");
    workspace(&bin, &ws_one, &main_dir, 1)?;
    let single = ingest(&bin, &ws_one, "ingest-full-1-thread")?;
    println!("ingest threads=1: {}", summary(&single.stdout));

    // (d) 1,000 small files: first ingest, then nothing changed.
    let ws_small = work.join("ws-small");
    workspace(&bin, &ws_small, &small_dir, 0)?;
    let small_first = ingest(&bin, &ws_small, "ingest-small-first")?;
    let mut unchanged = Vec::new();
    for i in 0..NOTHING_CHANGED_REPEATS {
        let m = ingest(&bin, &ws_small, &format!("ingest-small-unchanged-{i}"))?;
        if i == 0 {
            println!("ingest small, nothing changed: {}", summary(&m.stdout));
        }
        unchanged.push(m);
    }
    let unchanged_median = median(unchanged.iter().map(|m| secs(m.wall)).collect());
    let unchanged_max = unchanged.iter().map(|m| secs(m.wall)).fold(0.0, f64::max);

    // The table.
    let base = secs(bare_1.wall);
    let ratio = |d: Duration| secs(d) / base;
    println!();
    println!(
        "{:<52} {:>9} {:>8} {:>9} {:>10} {:>7}",
        "run", "wall", "vs bare", "CPU", "peak RSS", "others"
    );
    let line = |name: &str, m: &Measured, with_ratio: bool| {
        let r = if with_ratio {
            format!("{:.2}x", ratio(m.wall))
        } else {
            "-".to_string()
        };
        let rss = if m.max_rss_mb > 0.0 {
            format!("{:.1} MB", m.max_rss_mb)
        } else {
            "-".to_string()
        };
        // /proc/stat counts in 10 ms ticks: too coarse to say anything about short runs.
        let others = if secs(m.wall) >= 0.5 {
            format!("{:.2}", m.others)
        } else {
            "-".to_string()
        };
        println!(
            "{:<52} {:>7.3} s {:>8} {:>7.2} s {:>10} {:>7}",
            name,
            secs(m.wall),
            r,
            secs(m.cpu),
            rss,
            others
        );
    };
    line("bare read, 1 thread (baseline, best of 2)", &bare_1, true);
    line(
        &format!("bare read, {cores} threads (context)"),
        &bare_n,
        true,
    );
    line(
        &format!("participa ingest, threads = 0 ({cores} cores)"),
        &full,
        true,
    );
    line("participa ingest, threads = 1", &single, true);
    line(
        &format!(
            "participa ingest, nothing changed, {} files",
            main_exp.files
        ),
        &again_main,
        false,
    );
    line(
        &format!(
            "participa ingest, first pass, {} small files",
            small_exp.files
        ),
        &small_first,
        false,
    );
    for (i, m) in unchanged.iter().enumerate() {
        line(
            &format!(
                "participa ingest, nothing changed, {} files (#{})",
                small_exp.files,
                i + 1
            ),
            m,
            false,
        );
    }
    println!("(CPU: user + system time of the run; others: cores' worth of CPU used by other processes meanwhile, runs of 0.5 s or more)");

    // Stage breakdown, for the diagnosis in BENCHMARKS.md.
    let st = stages(&ws_one.join("participa.toml"), &main_dir, &files)?;
    println!();
    println!("stage breakdown (participa's library on the same files, 1 thread, in this process):");
    println!(
        "  {:<44} {:>7.3} s",
        "read file + SHA-256",
        secs(st.read_hash)
    );
    println!(
        "  {:<44} {:>7.3} s  ({:.2}x the bare read)",
        "ingest::read_bytes (file -> cells)",
        secs(st.parse),
        secs(st.parse) / base
    );
    println!(
        "  {:<44} {:>7.3} s  ({} records)",
        "standard::process_file (cells -> records)",
        secs(st.standardise),
        st.accepted
    );
    println!(
        "  {:<44} {:>7.3} s",
        "dropping cells and records",
        secs(st.drop)
    );
    println!("  {:<44} {:>7.3} s", "sum", secs(st.total()));
    println!(
        "  the threads = 1 ingest used {:.3} s of CPU: {:.3} s more than these stages (store and SQLite on the writer thread, start-up)",
        secs(single.cpu),
        secs(single.cpu) - secs(st.total())
    );

    let full_ratio = ratio(full.wall);
    let peak_rss = full
        .max_rss_mb
        .max(single.max_rss_mb)
        .max(small_first.max_rss_mb);
    let counts_ok = exported == main_exp.good_instancias && rejected.len() == main_exp.bad_rows;
    println!();
    println!("targets:");
    println!(
        "  full ingest (threads = 0) within {TARGET_RATIO}x the 1-thread bare read: {:.2}x  {}",
        full_ratio,
        pass_fail(full_ratio <= TARGET_RATIO)
    );
    println!(
        "  nothing changed over {} files under {TARGET_NOTHING_CHANGED_S} s: median {:.3} s, max {:.3} s  {}",
        small_exp.files,
        unchanged_median,
        unchanged_max,
        pass_fail(unchanged_median < TARGET_NOTHING_CHANGED_S)
    );
    println!(
        "  peak RSS under {TARGET_RSS_MB} MB: {:.1} MB (full ingest, threads = 0)  {}",
        full.max_rss_mb,
        pass_fail(full.max_rss_mb < TARGET_RSS_MB)
    );
    println!("  (largest peak RSS of any ingest run: {peak_rss:.1} MB)");
    println!("correctness:");
    println!(
        "  export instancias rows: {exported}; good instancias rows written: {}  {}",
        main_exp.good_instancias,
        pass_fail(exported == main_exp.good_instancias)
    );
    println!(
        "  distinct rejected rows: {}; bad rows written: {}  {}",
        rejected.len(),
        main_exp.bad_rows,
        pass_fail(rejected.len() == main_exp.bad_rows)
    );
    let disturbed = [&bare_1, &bare_n, &full, &single]
        .iter()
        .map(|m| m.others)
        .fold(0.0, f64::max);
    if disturbed > 0.25 {
        println!("WARNING: other processes used up to {disturbed:.2} cores during the timed runs: the figures are disturbed; run again on a quiet machine.");
    }
    println!(
        "reproduce: cargo bench --bench ingest   (logs and working folders: {})",
        work.display()
    );
    Ok(counts_ok)
}

fn main() {
    if let Some(report) = std::env::var_os(WRAPPER_REPORT_ENV) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match wrapper(Path::new(&report), &args) {
            Ok(code) => std::process::exit(code),
            Err(e) => {
                eprintln!("bench wrapper: {e}");
                std::process::exit(125);
            }
        }
    }
    match run() {
        Ok(true) => {}
        Ok(false) => {
            eprintln!("benchmark ran, but participa's output does not match the generated corpus");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            std::process::exit(2);
        }
    }
}
