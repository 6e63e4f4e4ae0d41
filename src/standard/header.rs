//! Finding the header and what each column means: title rows and notes before it, a two-row
//! header under merged parent cells, decorations such as `N°` or `(CABA)`, wide month columns,
//! personal-data columns, and which dataset the sheet holds. Pure.

use std::collections::{HashMap, HashSet};

use super::fold::fold;
use super::lexicon::Lexicon;
use super::schema::Dataset;
use super::sheet::{Cell, RawSheet};

/// How many rows from the top of a sheet may hold the header.
pub const HEADER_SCAN_ROWS: usize = 30;

/// What a column means for one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The column of a dataset field (index into `Dataset::fields`).
    Field(usize),
    /// One month of a wide layout: field index and month 1–12.
    Wide {
        /// Field index.
        field: usize,
        /// Month number.
        month: u32,
        /// The year, when the column names it (`Inscriptos enero 2019`); otherwise the year
        /// column gives it.
        year: Option<i32>,
    },
    /// The year column of a wide layout.
    Year,
    /// A column about a person: dropped, never read further.
    Personal,
    /// A column the standard does not use.
    Unmapped,
    /// No header text.
    Empty,
}

/// The folded header keys of one dataset.
#[derive(Debug, Clone)]
pub struct Matcher {
    keys: HashMap<String, usize>,
    wide_keys: HashMap<String, usize>,
    year_keys: HashSet<String>,
}

/// `Avance (%)` → `Avance `: removes parenthesised and bracketed hints.
fn strip_parens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for ch in text.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out
}

/// Every folded form a header text may match under: as written, without parenthesised hints,
/// without decorations, and each side of a `/`.
pub fn label_candidates(text: &str, lex: &Lexicon) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    let base = fold(text);
    push(base.clone());
    push(lex.strip_decorations(&base));
    let without_parens = strip_parens(text);
    let bare = fold(&without_parens);
    push(bare.clone());
    push(lex.strip_decorations(&bare));
    if without_parens.contains('/') {
        for part in without_parens.split('/') {
            let f = fold(part);
            push(f.clone());
            push(lex.strip_decorations(&f));
        }
    }
    out
}

/// The folded forms a configured header word is known by: as written and without a
/// parenthesised hint. Decorations are not stripped here: `Nombre de la actividad` must not
/// become a key for a bare `Nombre` column, which is a person's name.
fn word_keys(word: &str) -> Vec<String> {
    let mut keys = vec![fold(word), fold(&strip_parens(word))];
    keys.retain(|k| !k.is_empty());
    keys.dedup();
    keys
}

impl Matcher {
    /// Folds the dataset's header words (and their undecorated forms).
    pub fn new(dataset: &Dataset) -> Matcher {
        let mut keys = HashMap::new();
        let mut wide_keys = HashMap::new();
        let wide_fields: Vec<&str> =
            dataset.wide.as_ref().map(|w| w.month_fields.iter().map(String::as_str).collect()).unwrap_or_default();
        for (i, field) in dataset.fields.iter().enumerate() {
            let mut words = field.header_words.clone();
            words.push(field.name.clone());
            for word in &words {
                for key in word_keys(word) {
                    keys.entry(key.clone()).or_insert(i);
                    if wide_fields.contains(&field.name.as_str()) {
                        wide_keys.entry(key).or_insert(i);
                    }
                }
            }
        }
        let year_keys = dataset
            .wide
            .as_ref()
            .map(|w| w.year_words.iter().flat_map(|y| word_keys(y)).collect())
            .unwrap_or_default();
        Matcher { keys, wide_keys, year_keys }
    }

    /// The role of a header text.
    pub fn role(&self, text: &str, lex: &Lexicon) -> Role {
        self.role_with(text, &label_candidates(text, lex), lex)
    }

    /// [`Matcher::role`] with the label's candidate forms already computed.
    fn role_with(&self, text: &str, candidates: &[String], lex: &Lexicon) -> Role {
        if text.trim().is_empty() {
            return Role::Empty;
        }
        // 1. A header word as configured, written in full (`Nombre Actividad`).
        let full = fold(text);
        if let Some(&i) = self.keys.get(&full) {
            return Role::Field(i);
        }
        // 2. Anything naming a person, even in a hint (`Ganadores (nombre y apellido)`), is
        //    personal data: never read as a field.
        if lex.is_personal_header(&full) {
            return Role::Personal;
        }
        // 3. A month column of a wide layout (`Inscriptos enero`, `Inscriptos (ene-19)`), before
        //    plain fields, which would match once the month is stripped as a hint.
        if let Some(role) = self.wide_role(candidates, lex) {
            return role;
        }
        // 4. Any other form: without hints, decorations, or one side of a `/`.
        if let Some(&i) = candidates.iter().find_map(|c| self.keys.get(c)) {
            return Role::Field(i);
        }
        if candidates.iter().any(|c| self.year_keys.contains(c)) {
            return Role::Year;
        }
        Role::Unmapped
    }

    /// The wide-layout role of a label holding exactly one month and a month field's word.
    fn wide_role(&self, candidates: &[String], lex: &Lexicon) -> Option<Role> {
        if self.wide_keys.is_empty() {
            return None;
        }
        for c in candidates {
            let tokens: Vec<&str> = c.split(' ').collect();
            let months: Vec<usize> = tokens.iter().enumerate().filter(|(_, t)| lex.month(t).is_some()).map(|(i, _)| i).collect();
            let [m] = months.as_slice() else { continue };
            let month = lex.month(tokens[*m])?;
            // A year next to the month: `2019`, or `19` as in `ene-19`.
            let year_at = |i: usize| -> Option<i32> {
                let t = tokens.get(i)?;
                match t.len() {
                    4 if t.chars().all(|c| c.is_ascii_digit()) => t.parse().ok(),
                    2 if t.chars().all(|c| c.is_ascii_digit()) => t.parse::<i32>().ok().map(|y| 2000 + y),
                    _ => None,
                }
            };
            let (year, year_index) = match (year_at(m + 1), m.checked_sub(1).and_then(year_at)) {
                (Some(y), _) => (Some(y), Some(m + 1)),
                (None, Some(y)) => (Some(y), m.checked_sub(1)),
                _ => (None, None),
            };
            let rest: Vec<&str> = tokens
                .iter()
                .enumerate()
                .filter(|(i, t)| *i != *m && Some(*i) != year_index && **t != "de" && **t != "del")
                .map(|(_, t)| *t)
                .collect();
            let rest = lex.strip_decorations(&rest.join(" "));
            if let Some(&field) = self.wide_keys.get(&rest) {
                return Some(Role::Wide { field, month, year });
            }
        }
        None
    }
}

/// Candidate forms of the labels met while scanning one sheet, computed once per text rather
/// than once per dataset and header shape.
#[derive(Default)]
struct LabelCache {
    forms: HashMap<String, Vec<String>>,
}

impl LabelCache {
    fn role(&mut self, matcher: &Matcher, text: &str, lex: &Lexicon) -> Role {
        if !self.forms.contains_key(text) {
            self.forms.insert(text.to_string(), label_candidates(text, lex));
        }
        let forms = self.forms.get(text).map(Vec::as_slice).unwrap_or_default();
        matcher.role_with(text, forms, lex)
    }
}

/// The header a sheet was found to have, for one dataset.
#[derive(Debug, Clone)]
pub struct Header {
    /// Index of the dataset in the standard.
    pub dataset: usize,
    /// Index (into `RawSheet::rows`) of the first data row.
    pub data_start: usize,
    /// Row number(s) of the header as a person sees them.
    pub header_rows: Vec<u32>,
    /// Role of each column.
    pub roles: Vec<Role>,
    /// Header text of each column as written (parent and child joined for two-row headers).
    pub labels: Vec<String>,
    /// Required fields neither present, derivable nor defaulted.
    pub missing_required: Vec<usize>,
}

/// A header cell as a label. A date cell in a header names a month (`ene-19` formatted).
fn label_of(cell: &Cell, lex: &Lexicon) -> String {
    match cell {
        Cell::Text(t) => t.trim().to_string(),
        Cell::Number(n) => super::sheet::format_number(*n),
        Cell::Date(d) => {
            use chrono::Datelike;
            lex.month_name(d.month()).map(|m| format!("{m} {}", d.year())).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// Score of a candidate header, compared lexicographically: all required present first, then
/// fewer missing required fields, then more fields matched.
type Score = (bool, i64, usize);

struct Candidate {
    score: Score,
    /// Required fields present as columns.
    required_present: usize,
    /// Fields present that are not codes or comunas (a measure, a date, free text).
    measures_present: usize,
    header: Header,
}

impl Candidate {
    /// Whether the header is a dataset's at all: every required field and two fields, or three
    /// fields including a required one and a measure. A sheet of dropdown lists (`Programa |
    /// Barrio | Comuna`) is only codes, and is skipped rather than rejected.
    fn eligible(&self) -> bool {
        (self.score.0 && self.score.2 >= 2) || (self.score.2 >= 3 && self.required_present >= 1 && self.measures_present >= 1)
    }
}

fn evaluate(dataset_index: usize, dataset: &Dataset, roles: Vec<Role>, labels: Vec<String>, data_start: usize, header_rows: Vec<u32>) -> Candidate {
    let mut matched = HashSet::new();
    let mut roles = roles;
    let mut has_year = false;
    let mut wide_fields = HashSet::new();
    let mut wide_without_year = false;
    // A second column for a field already taken is not read (it is listed as ignored).
    for role in roles.iter_mut() {
        match role {
            Role::Field(i) if !matched.insert(*i) => *role = Role::Unmapped,
            Role::Wide { field, year, .. } => {
                wide_fields.insert(*field);
                wide_without_year |= year.is_none();
            }
            Role::Year => {
                if has_year {
                    *role = Role::Unmapped;
                }
                has_year = true;
            }
            _ => {}
        }
    }
    // A wide layout counts when its periods are complete (a year column, or years in the
    // month labels), or when no plain column holds its fields. Plain columns beside complete
    // month columns (`Total inscriptos`) are the row's totals, not data.
    let wide_complete = !wide_fields.is_empty() && (has_year || !wide_without_year);
    let wide_active = wide_complete || (!wide_fields.is_empty() && wide_fields.iter().all(|f| !matched.contains(f)));
    if wide_active {
        for role in roles.iter_mut() {
            if let Role::Field(i) = role {
                if wide_fields.contains(i) {
                    matched.remove(i);
                    *role = Role::Unmapped;
                }
            }
        }
        matched.extend(wide_fields.iter().copied());
    } else {
        for role in roles.iter_mut() {
            if matches!(role, Role::Wide { .. }) {
                *role = Role::Unmapped;
            }
        }
    }
    let period_field = dataset.wide.as_ref().and_then(|w| dataset.field_index(&w.period_field));
    let mut missing_required = Vec::new();
    for (i, field) in dataset.fields.iter().enumerate() {
        if !field.constraints.required || matched.contains(&i) || field.default.is_some() {
            continue;
        }
        let derivable = field.derive.as_ref().and_then(|d| dataset.field_index(&d.from)).is_some_and(|f| matched.contains(&f));
        let from_wide = wide_active && (has_year || !wide_without_year) && Some(i) == period_field;
        if !derivable && !from_wide {
            missing_required.push(i);
        }
    }
    let score = (missing_required.is_empty(), -(missing_required.len() as i64), matched.len());
    let required_present = matched.iter().filter(|&&i| dataset.fields[i].constraints.required).count();
    let measures_present = matched
        .iter()
        .filter(|&&i| dataset.fields[i].code_list.is_none() && dataset.fields[i].parse.is_none())
        .count();
    Candidate {
        score,
        required_present,
        measures_present,
        header: Header { dataset: dataset_index, data_start, header_rows, roles, labels, missing_required },
    }
}

/// Finds the header and dataset of a sheet among `datasets` (all, or the one a pin names).
///
/// Returns `None` when no row looks like a header of any dataset: at least two fields with every
/// required one present, or three fields (then the missing ones are `missing-label`).
pub fn find_header(sheet: &RawSheet, datasets: &[(usize, &Dataset, &Matcher)], lex: &Lexicon) -> Option<Header> {
    let mut best: Option<Candidate> = None;
    let mut cache = LabelCache::default();
    let scan = sheet.rows.len().min(HEADER_SCAN_ROWS);
    for r in 0..scan {
        let row = &sheet.rows[r];
        let width = row.cells.len();
        if row.cells.iter().filter(|c| matches!(c, Cell::Text(_))).count() < 2 {
            continue;
        }
        let parent_labels: Vec<String> = row.cells.iter().map(|c| label_of(c, lex)).collect();
        let child = sheet.rows.get(r + 1);
        for &(di, dataset, matcher) in datasets {
            let roles: Vec<Role> = parent_labels.iter().map(|l| cache.role(matcher, l, lex)).collect();
            let single = evaluate(di, dataset, roles, parent_labels.clone(), r + 1, vec![row.number]);
            let mut candidate = single;
            if let Some(child) = child {
                let double_width = width.max(child.cells.len());
                let mut roles = Vec::with_capacity(double_width);
                let mut labels = Vec::with_capacity(double_width);
                let mut carried = String::new();
                for col in 0..double_width {
                    let parent = parent_labels.get(col).cloned().unwrap_or_default();
                    if !parent.is_empty() {
                        carried = parent.clone();
                    }
                    let child_label = match child.cell(col) {
                        Cell::Text(t) => t.trim().to_string(),
                        _ => String::new(),
                    };
                    if child_label.is_empty() {
                        roles.push(cache.role(matcher, &parent, lex));
                        labels.push(parent);
                        continue;
                    }
                    let joined = if carried.is_empty() { child_label.clone() } else { format!("{carried} {child_label}") };
                    // A month over a pair of columns (`Enero` over `Inscriptos | Ganadores`).
                    let joined_role = cache.role(matcher, &joined, lex);
                    let mut role = if matches!(joined_role, Role::Wide { .. }) { joined_role } else { cache.role(matcher, &child_label, lex) };
                    if !matches!(role, Role::Field(_) | Role::Wide { .. } | Role::Year) && !carried.is_empty() {
                        let parent_role = cache.role(matcher, &joined, lex);
                        if matches!(parent_role, Role::Field(_) | Role::Wide { .. } | Role::Year | Role::Personal) {
                            role = parent_role;
                        }
                    }
                    roles.push(role);
                    labels.push(joined);
                }
                let double = evaluate(di, dataset, roles, labels, r + 2, vec![row.number, child.number]);
                if double.score.2 > candidate.score.2 && double.score >= candidate.score {
                    candidate = double;
                }
            }
            if candidate.eligible() && best.as_ref().is_none_or(|b| candidate.score > b.score) {
                best = Some(candidate);
            }
        }
    }
    best.map(|c| c.header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::Standard;

    fn standard() -> Standard {
        crate::config::embedded_standard().expect("shipped standard loads")
    }

    /// Every header word and decoration of STANDARD.md §2, as written in real files.
    #[test]
    fn header_words_of_the_standard() {
        let std = standard();
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("instancias", "Programa", Some("programa")),
            ("instancias", "PROGRAMA", Some("programa")),
            ("instancias", "Iniciativa", Some("programa")),
            ("instancias", "Evento", Some("programa")),
            ("instancias", "Instancia", Some("programa")),
            ("instancias", "Nombre Actividad", Some("programa")),
            ("instancias", "Fecha", Some("fecha")),
            ("instancias", "FECHA", Some("fecha")),
            ("instancias", "Fecha de evento", Some("fecha")),
            ("instancias", "Fecha de la reunión", Some("fecha")),
            ("instancias", "Modalidad", Some("modalidad")),
            ("instancias", "Modalidad (presencial/virtual)", Some("modalidad")),
            ("instancias", "Comuna", Some("comuna")),
            ("instancias", "Nº Comuna", Some("comuna")),
            ("instancias", "N° Comuna", Some("comuna")),
            ("instancias", "Nro. Comuna", Some("comuna")),
            ("instancias", "Comuna (CABA)", Some("comuna")),
            ("instancias", "Barrio", Some("barrio")),
            ("instancias", "BARRIO", Some("barrio")),
            ("instancias", "Barrio / Zona", Some("barrio")),
            ("instancias", "Participantes", Some("participantes")),
            ("instancias", "Cant. participantes", Some("participantes")),
            ("instancias", "Asistentes", Some("participantes")),
            ("instancias", "Cantidad de asistentes", Some("participantes")),
            ("instancias", "Total participantes", Some("participantes")),
            ("instancias", "Inscriptos", Some("inscriptos")),
            ("instancias", "Inscriptos ", Some("inscriptos")),
            ("instancias", "Tema", Some("tema")),
            ("instancias", "Temática", Some("tema")),
            ("instancias", "Resultado", Some("resultado")),
            ("instancias", "Resultados", Some("resultado")),
            ("instancias", "Acuerdos", Some("resultado")),
            ("instancias", "Resultados / acuerdos", Some("resultado")),
            ("instancias", "Menores de 18", Some("participantes_0_17")),
            ("instancias", "0 a 17", Some("participantes_0_17")),
            ("instancias", "18 a 29", Some("participantes_18_29")),
            ("instancias", "30 a 44", Some("participantes_30_44")),
            ("instancias", "45 a 64", Some("participantes_45_64")),
            ("instancias", "65 y más", Some("participantes_65_mas")),
            ("instancias", "Observaciones", None),
            ("iniciativas", "ID", Some("id")),
            ("iniciativas", "Id proyecto", Some("id")),
            ("iniciativas", "Código", Some("id")),
            ("iniciativas", "Edición", Some("edicion")),
            ("iniciativas", "Año", Some("edicion")),
            ("iniciativas", "Título", Some("titulo")),
            ("iniciativas", "Proyecto", Some("titulo")),
            ("iniciativas", "Estado", Some("estado")),
            ("iniciativas", "Estado actual", Some("estado")),
            ("iniciativas", "Votos", Some("votos")),
            ("iniciativas", "Cantidad de votos", Some("votos")),
            ("iniciativas", "Presupuesto", Some("presupuesto")),
            ("iniciativas", "Presupuesto ($)", Some("presupuesto")),
            ("iniciativas", "Monto asignado", Some("presupuesto")),
            ("iniciativas", "Avance", Some("avance")),
            ("iniciativas", "% de avance", Some("avance")),
            ("iniciativas", "Avance (%)", Some("avance")),
            ("iniciativas", "Última actualización", Some("fecha_actualizacion")),
            ("iniciativas", "Fecha de actualización", Some("fecha_actualizacion")),
            ("reconocimientos", "Programa", Some("programa")),
            ("reconocimientos", "Período", Some("periodo")),
            ("reconocimientos", "Mes", Some("periodo")),
            ("reconocimientos", "Categoría", Some("categoria")),
            ("reconocimientos", "Comuna", Some("comuna")),
            ("reconocimientos", "Inscriptos", Some("inscriptos")),
            ("reconocimientos", "Total de inscriptos", Some("inscriptos")),
            ("reconocimientos", "Ganadores", Some("ganadores")),
            ("reconocimientos", "Ganadores efectivos", Some("ganadores")),
            ("reconocimientos", "Beneficio", Some("beneficio")),
            ("reconocimientos", "Premio", Some("beneficio")),
        ];
        for (dataset, text, want) in cases {
            let index = std.datasets.iter().position(|d| d.name == *dataset).expect("dataset exists");
            let role = std.matcher(index).role(text, &std.lexicon);
            let got = match role {
                Role::Field(i) => Some(std.datasets[index].fields[i].name.as_str()),
                _ => None,
            };
            assert_eq!(got, *want, "{dataset}: header {text:?} gave {role:?}");
        }
    }

    #[test]
    fn wide_month_columns_and_personal_columns() {
        let std = standard();
        let rec = std.datasets.iter().position(|d| d.name == "reconocimientos").expect("reconocimientos");
        let m = std.matcher(rec);
        let inscriptos = std.datasets[rec].field_index("inscriptos").expect("field");
        let ganadores = std.datasets[rec].field_index("ganadores").expect("field");
        assert_eq!(m.role("Inscriptos enero", &std.lexicon), Role::Wide { field: inscriptos, month: 1, year: None });
        assert_eq!(m.role("Ganadores marzo", &std.lexicon), Role::Wide { field: ganadores, month: 3, year: None });
        assert_eq!(m.role("Ganadores Marzo 2019", &std.lexicon), Role::Wide { field: ganadores, month: 3, year: Some(2019) });
        assert_eq!(m.role("Ganadores de setiembre", &std.lexicon), Role::Wide { field: ganadores, month: 9, year: None });
        assert_eq!(m.role("año", &std.lexicon), Role::Year);
        let ins = std.datasets.iter().position(|d| d.name == "instancias").expect("instancias");
        for personal in ["Nombre y apellido del referente", "DNI", "Correo electrónico", "E-mail", "Teléfono", "Celular", "CUIL", "Domicilio", "Apellido"] {
            assert_eq!(std.matcher(ins).role(personal, &std.lexicon), Role::Personal, "{personal}");
        }
    }
}
