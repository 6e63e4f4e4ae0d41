//! Finding the header and what each column means, the way a person reads a sheet: title lines
//! and empty columns before it, a two-row header under merged parent cells, header words with
//! qualifiers, units and clauses around them (`Barrio donde se realizó`, `Participantes (en
//! personas)`), age bands in any words, wide month columns, personal-data columns, columns
//! whose values say what they are, the operator's mapping, and which dataset the sheet holds.
//!
//! Pure: everything comes in the sheet, the [`Standard`] and the mapping. It must not depend on
//! `ingest`, `store` or any I/O.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use super::fold::fold;
use super::lexicon::Lexicon;
use super::schema::{Dataset, FieldType};
use super::sheet::{Cell, RawSheet};
use super::values;
use super::{ReadingReason, Standard};

/// How many rows from the top of a sheet may hold the header.
pub const HEADER_SCAN_ROWS: usize = 30;
/// Rows under the header whose values are looked at to tell a column by its content.
const CONTENT_ROWS: usize = 200;
/// Share of a column's non-empty values that must belong to a list for the values to name it.
const CONTENT_SHARE: f64 = 0.9;
/// Fewest non-empty values that can name a column by content.
const CONTENT_MIN_VALUES: usize = 2;
/// Share from which an unused column is said to resemble a field (in messages only).
const RESEMBLE_SHARE: f64 = 0.5;
/// Significant words past which a header text is a sentence (an instruction, a note) and is
/// matched only exactly, never by the words it contains.
const MAX_LABEL_WORDS: usize = 6;
/// Header candidates (row, shape, dataset) whose columns are also judged by content.
const CONTENT_CANDIDATES: usize = 4;

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

/// How a header names a field, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The field's words are in the header but do not lead it (`Comisarías participantes`):
    /// weak, so the values may overrule it.
    Contained,
    /// The header leads with the field's words (`Barrio donde se realizó`).
    Leading,
    /// The header names the field's age range (`De 0 a 17 inclusive`, `Hasta 17`).
    AgeRange,
    /// The header is one of the field's words, hints and decorations aside.
    Exact,
    /// The operator's `columnas` mapping says so.
    Mapping,
}

/// How strongly a header names a field, compared as a tuple: the kind of match, then how many
/// of the field's words it carries, then fewer words of its own left over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Strength {
    kind: MatchKind,
    words: usize,
    extra: Reverse<usize>,
}

/// One field a header may name, with how strongly and by which configured word.
#[derive(Debug, Clone, PartialEq)]
struct FieldClaim {
    field: usize,
    strength: Strength,
    word: String,
}

/// What one header text may mean for one dataset, before the columns compete for fields.
#[derive(Debug, Clone, PartialEq)]
enum Claim {
    Empty,
    Personal,
    Wide { field: usize, month: u32, year: Option<i32> },
    Year,
    /// Fields the header names, best first; none when it names nothing.
    Fields(Vec<FieldClaim>),
}

/// A configured header word as the words that matter in it.
#[derive(Debug, Clone)]
struct WordSet {
    field: usize,
    words: Vec<String>,
    written: String,
}

/// The header words of one dataset, folded and split once.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Folded exact forms → (field, the word as configured).
    keys: HashMap<String, (usize, String)>,
    sets: Vec<WordSet>,
    wide_keys: HashMap<String, usize>,
    wide_sets: Vec<WordSet>,
    year_keys: HashSet<String>,
    /// Age bands: (field, first age, last age or open).
    ages: Vec<(usize, u32, Option<u32>)>,
}

/// `Avance (%)` → `Avance `: removes parenthesised and bracketed hints.
fn strip_parens(text: &str) -> String {
    split_hints(text).0
}

/// The text outside parentheses and brackets, and the text inside them.
fn split_hints(text: &str) -> (String, String) {
    let mut out = String::with_capacity(text.len());
    let mut hints = String::new();
    let mut depth = 0usize;
    for ch in text.chars() {
        match ch {
            '(' | '[' => {
                depth += 1;
                hints.push(' ');
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => hints.push(ch),
        }
    }
    (out, hints)
}

/// Every folded form a header text may match exactly under: as written, without parenthesised
/// hints, without decorations, and each side of a `/`.
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

/// The significant words of a configured header word, deduplicated.
fn word_set(field: usize, word: &str, lex: &Lexicon) -> Option<WordSet> {
    let folded = fold(&strip_parens(word));
    // Qualifiers stay in a configured word: `Nº de proyecto` is an id, `Proyecto` a title.
    let mut words: Vec<String> = lex.content_words(&folded).into_iter().map(str::to_string).collect();
    words.dedup();
    (!words.is_empty()).then(|| WordSet { field, words, written: word.trim().to_string() })
}

/// Folded words a header writes as abbreviations: three letters or more followed by a period
/// (`Cant. asist.` → `asist`; `Nº com.` → `com`). Shorter ones (`N.`) say too little.
fn abbreviations(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut word = String::new();
    for ch in text.chars().chain([' ']) {
        if ch.is_alphanumeric() && ch != 'º' && ch != 'ª' {
            word.push(ch);
            continue;
        }
        if ch == '.' && word.chars().count() >= 3 && word.chars().all(char::is_alphabetic) {
            out.insert(fold(&word));
        }
        word.clear();
    }
    out
}

/// The ages a header names, when it names a range: `0 a 17`, `De 18 a 29 años`, `Hasta 17`,
/// `Menores de 18`, `65 y más`, `Más de 64`, `65+`. Numbers over 120 (years) are not ages.
/// Returns every reading worth trying, most literal first (`Mayores de 65` is 66+ to the
/// letter and 65+ as often meant).
fn age_ranges(text: &str, lex: &Lexicon) -> Vec<(u32, Option<u32>)> {
    let folded = fold(text);
    let tokens: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    let numbers: Vec<(usize, u32)> = tokens.iter().enumerate().filter_map(|(i, t)| t.parse::<u32>().ok().map(|n| (i, n))).collect();
    if numbers.iter().any(|(_, n)| *n > 120) {
        return Vec::new();
    }
    let has = |words: &[String], t: &str| words.iter().any(|w| w == t);
    let before = |i: usize, words: &[String]| tokens.iter().take(i).rev().take(2).any(|t| has(words, t));
    let after = |i: usize, words: &[String]| tokens.iter().skip(i + 1).take(2).any(|t| has(words, t));
    let ages = lex.age_words();
    match numbers.as_slice() {
        [(_, a), (_, b)] if a < b => vec![(*a, Some(*b))],
        [(i, n)] => {
            let n = *n;
            let plus = text.contains('+');
            if before(*i, &ages.up_to) {
                vec![(0, Some(n))]
            } else if before(*i, &ages.below) {
                n.checked_sub(1).map(|m| (0, Some(m))).into_iter().chain([(0, Some(n))]).collect()
            } else if before(*i, &ages.above) {
                vec![(n + 1, None), (n, None)]
            } else if after(*i, &ages.and_more) || plus {
                vec![(n, None)]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

impl Matcher {
    /// Folds the dataset's header words, splits them into their significant words, and notes
    /// the age bands.
    pub fn new(dataset: &Dataset, lex: &Lexicon) -> Matcher {
        let mut keys = HashMap::new();
        let mut sets = Vec::new();
        let mut wide_keys = HashMap::new();
        let mut wide_sets = Vec::new();
        let wide_fields: Vec<&str> =
            dataset.wide.as_ref().map(|w| w.month_fields.iter().map(String::as_str).collect()).unwrap_or_default();
        let mut ages = Vec::new();
        for (i, field) in dataset.fields.iter().enumerate() {
            let mut words = field.header_words.clone();
            words.push(field.name.clone());
            let wide = wide_fields.contains(&field.name.as_str());
            for word in &words {
                for key in word_keys(word) {
                    keys.entry(key.clone()).or_insert((i, word.trim().to_string()));
                    if wide {
                        wide_keys.entry(key).or_insert(i);
                    }
                }
                if let Some(set) = word_set(i, word, lex) {
                    if wide {
                        wide_sets.push(set.clone());
                    }
                    sets.push(set);
                }
            }
            if let Some((from, to)) = field.age_range {
                ages.push((i, from, to));
            }
        }
        let year_keys = dataset
            .wide
            .as_ref()
            .map(|w| w.year_words.iter().flat_map(|y| word_keys(y)).collect())
            .unwrap_or_default();
        Matcher { keys, sets, wide_keys, wide_sets, year_keys, ages }
    }

    /// The role a header text has on its own, when no other column competes for its field.
    pub fn role(&self, text: &str, lex: &Lexicon) -> Role {
        match self.claim(text, lex) {
            Claim::Empty => Role::Empty,
            Claim::Personal => Role::Personal,
            Claim::Wide { field, month, year } => Role::Wide { field, month, year },
            Claim::Year => Role::Year,
            Claim::Fields(claims) => claims.first().map_or(Role::Unmapped, |c| Role::Field(c.field)),
        }
    }

    /// What a header text may mean.
    fn claim(&self, text: &str, lex: &Lexicon) -> Claim {
        if text.trim().is_empty() {
            return Claim::Empty;
        }
        // 1. A header word as configured, written in full (`Nombre Actividad`).
        let full = fold(text);
        if let Some((i, word)) = self.keys.get(&full) {
            return Claim::Fields(vec![self.exact(*i, word)]);
        }
        // 2. A column about a person is never read as a field, even when a hint says so
        //    (`Ganadores (nombre y apellido)`).
        if self.is_personal(text, &full, lex) {
            return Claim::Personal;
        }
        // 3. A month column of a wide layout (`Inscriptos enero`, `Inscriptos (ene-19)`), before
        //    plain fields, which would match once the month is stripped as a hint.
        let candidates = label_candidates(text, lex);
        if let Some(claim) = self.wide_claim(&candidates, lex) {
            return claim;
        }
        // 4. Any other exact form: without hints, decorations, or one side of a `/`. A form
        //    that only matches once a counter is stripped yields to a field whose words keep
        //    it (`Proyecto Nº` is `Nº de proyecto`, an id, not the title `Proyecto`).
        if let Some((i, word)) = candidates.iter().find_map(|c| self.keys.get(c)) {
            let claims = self.word_claims(text, lex);
            let exact_words = lex.content_words(&fold(word)).len();
            if claims.first().is_some_and(|c| c.field != *i && c.strength.words > exact_words) {
                return Claim::Fields(claims);
            }
            return Claim::Fields(vec![self.exact(*i, word)]);
        }
        if candidates.iter().any(|c| self.year_keys.contains(c)) {
            return Claim::Year;
        }
        // 5. The header's significant words contain a field's words; or it names an age band.
        Claim::Fields(self.word_claims(text, lex))
    }

    /// An exact match. Every exact match is as strong as another: two columns that are both
    /// a field's words (`Instancia`, `Nombre Actividad`) tie, and the values or a warning
    /// settle it.
    fn exact(&self, field: usize, word: &str) -> FieldClaim {
        FieldClaim { field, strength: Strength { kind: MatchKind::Exact, words: 0, extra: Reverse(0) }, word: word.to_string() }
    }

    /// Fields whose words the header contains, best first, one claim per field.
    fn word_claims(&self, text: &str, lex: &Lexicon) -> Vec<FieldClaim> {
        let (main, hints) = split_hints(text);
        let mut folded = fold(&main);
        if lex.significant_words(&folded).iter().all(|w| lex.is_insignificant(w)) {
            // `Cantidad (asistentes)`: the hint says what the counter counts.
            folded = format!("{folded} {}", fold(&hints)).trim().to_string();
        }
        let tokens = lex.content_words(&folded);
        let significant = lex.significant_words(&folded);
        if significant.len() > MAX_LABEL_WORDS {
            // A sentence (an instruction, a note), not a column's name.
            return Vec::new();
        }
        let abbreviated = abbreviations(text);
        // A header word `t` stands for a field's word `w` when it is `w`, or an abbreviation
        // of it (`Asist.` for `asistentes`, `Nº com.` for `comuna`).
        let stands_for = |t: &str, w: &str| t == w || (abbreviated.contains(t) && w.starts_with(t));
        let mut best: HashMap<usize, FieldClaim> = HashMap::new();
        let mut offer = |claim: FieldClaim| {
            let better = best.get(&claim.field).is_none_or(|b| claim.strength > b.strength);
            if better {
                best.insert(claim.field, claim);
            }
        };
        for set in &self.sets {
            if !set.words.iter().all(|w| tokens.iter().any(|t| stands_for(t, w))) {
                continue;
            }
            let leading = significant.first().is_some_and(|first| set.words.iter().any(|w| stands_for(first, w)));
            let kind = if leading { MatchKind::Leading } else { MatchKind::Contained };
            let extra = significant.iter().filter(|t| !set.words.iter().any(|w| stands_for(t, w))).count();
            offer(FieldClaim { field: set.field, strength: Strength { kind, words: set.words.len(), extra: Reverse(extra) }, word: set.written.clone() });
        }
        for (from, to) in age_ranges(&main, lex) {
            if let Some(&(field, ..)) = self.ages.iter().find(|(_, a, b)| *a == from && *b == to) {
                let shown = match to {
                    Some(to) => format!("{from} a {to}"),
                    None => format!("{from} y más"),
                };
                offer(FieldClaim { field, strength: Strength { kind: MatchKind::AgeRange, words: 2, extra: Reverse(0) }, word: shown });
                break;
            }
        }
        let mut claims: Vec<FieldClaim> = best.into_values().collect();
        claims.sort_by(|a, b| b.strength.cmp(&a.strength).then(a.field.cmp(&b.field)));
        claims
    }

    /// True when the header names a person's data. `Nombre del programa` and `Programa
    /// (nombre)` name a programme, not a person: a header whose only personal words are name
    /// words (`nombre`) is personal only when it names no field.
    fn is_personal(&self, text: &str, full: &str, lex: &Lexicon) -> bool {
        if !lex.is_personal_header(full) {
            return false;
        }
        let rest: Vec<&str> = full.split(' ').filter(|t| !t.is_empty() && !lex.is_name_word(t)).collect();
        if lex.is_personal_header(&rest.join(" ")) {
            return true;
        }
        let main = fold(&split_hints(text).0);
        let main: Vec<&str> = main.split(' ').filter(|t| !t.is_empty() && !lex.is_name_word(t)).collect();
        let main = main.join(" ");
        let significant = lex.significant_words(&main);
        !self.sets.iter().any(|set| set.words.iter().all(|w| significant.contains(&w.as_str())))
    }

    /// The wide-layout claim of a label holding exactly one month and a month field's words.
    fn wide_claim(&self, candidates: &[String], lex: &Lexicon) -> Option<Claim> {
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
                return Some(Claim::Wide { field, month, year });
            }
            // `Cantidad de inscriptos del mes de enero`: the field's words among the rest.
            let significant = lex.significant_words(&rest);
            let field = self
                .wide_sets
                .iter()
                .filter(|set| set.words.iter().all(|w| significant.contains(&w.as_str())))
                .max_by_key(|set| set.words.len())
                .map(|set| set.field);
            if let Some(field) = field {
                return Some(Claim::Wide { field, month, year });
            }
        }
        None
    }
}

/// Claims of the labels met while scanning one sheet, computed once per dataset and text
/// rather than once per row shape.
#[derive(Default)]
struct ClaimCache {
    claims: HashMap<(usize, String), Claim>,
}

impl ClaimCache {
    fn claim(&mut self, dataset: usize, matcher: &Matcher, text: &str, lex: &Lexicon) -> Claim {
        let key = (dataset, text.to_string());
        if let Some(c) = self.claims.get(&key) {
            return c.clone();
        }
        let c = matcher.claim(text, lex);
        self.claims.insert(key, c.clone());
        c
    }
}

/// Two columns that name one field equally well: the first is read, and the sheet's report
/// says so (never a silent pick).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tie {
    /// The field.
    pub field: usize,
    /// The column read.
    pub chosen: usize,
    /// The column left unused.
    pub other: usize,
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
    /// Why each column has its role (same length as `roles`).
    pub reasons: Vec<ReadingReason>,
    /// Required fields neither present, derivable nor defaulted.
    pub missing_required: Vec<usize>,
    /// Columns that named one field equally well.
    pub ties: Vec<Tie>,
    /// For each unused column, the field its values resemble and how many of them do.
    pub resembles: Vec<Option<(usize, usize, usize)>>,
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
/// fewer missing required fields, then more fields matched, then stronger matches.
type Score = (bool, i64, usize, usize);

#[derive(Debug, Clone)]
struct Candidate {
    score: Score,
    /// Required fields present as columns.
    required_present: usize,
    /// Fields present that are not codes or comunas (a measure, a date, free text).
    measures_present: usize,
    /// How each column got its field (for content to overrule weak ones).
    strengths: Vec<Option<Strength>>,
    /// A required field is absent because the sheet holds city-wide rows.
    city_wide: bool,
    header: Header,
}

impl Candidate {
    /// Whether the header is a dataset's at all: every required field and two fields, or three
    /// fields including a required one and a measure. A sheet of dropdown lists (`Programa |
    /// Barrio | Comuna`) is only codes, and is skipped rather than rejected.
    /// A sheet whose required place is absent (city-wide rows) needs a third field, so a list
    /// of programmes and dates alone is not taken for data.
    fn eligible(&self) -> bool {
        let enough = if self.city_wide { 3 } else { 2 };
        (self.score.0 && self.score.2 >= enough) || (self.score.2 >= 3 && self.required_present >= 1 && self.measures_present >= 1)
    }
}

/// The operator's mapping for this file: folded header text → field name (`ignorar` leaves
/// the column unused).
pub type ColumnMap = [(String, String)];

/// The word in a mapping that leaves a column unused.
pub const MAPPING_IGNORE: &str = "ignorar";

/// Columns compete for fields: every (column, field) claim, strongest first, leftmost first on
/// equal strength; each column and each field is taken once. Returns roles, reasons, the
/// strength each field column won with, and the ties.
fn assign(claims: &[Claim]) -> (Vec<Role>, Vec<ReadingReason>, Vec<Option<Strength>>, Vec<Tie>) {
    let n = claims.len();
    let mut roles = vec![Role::Unmapped; n];
    let mut reasons = vec![ReadingReason::SinUso { parecido: None }; n];
    let mut strengths = vec![None; n];
    let mut pairs: Vec<(Strength, usize, &FieldClaim)> = Vec::new();
    for (c, claim) in claims.iter().enumerate() {
        match claim {
            Claim::Empty => roles[c] = Role::Empty,
            Claim::Personal => {
                roles[c] = Role::Personal;
                reasons[c] = ReadingReason::Personal;
            }
            Claim::Wide { field, month, year } => {
                roles[c] = Role::Wide { field: *field, month: *month, year: *year };
                reasons[c] = ReadingReason::Mensual;
            }
            Claim::Year => {
                roles[c] = Role::Year;
                reasons[c] = ReadingReason::Anio;
            }
            Claim::Fields(list) => pairs.extend(list.iter().map(|f| (f.strength, c, f))),
        }
    }
    pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut taken: HashMap<usize, (usize, Strength)> = HashMap::new();
    let mut ties = Vec::new();
    for (strength, c, claim) in pairs {
        if let Some(&(chosen, s)) = taken.get(&claim.field) {
            // The same field, as strongly, from a column with nothing better to do.
            if s == strength && strengths[c].is_none() && chosen != c && !ties.iter().any(|t: &Tie| t.other == c) {
                ties.push(Tie { field: claim.field, chosen, other: c });
            }
            continue;
        }
        if strengths[c].is_some() {
            continue;
        }
        taken.insert(claim.field, (c, strength));
        roles[c] = Role::Field(claim.field);
        strengths[c] = Some(strength);
        reasons[c] = if strength.kind == MatchKind::Mapping {
            ReadingReason::Mapeo
        } else {
            ReadingReason::Encabezado { palabras: claim.word.clone() }
        };
    }
    // A tie whose losing column found another field is no tie.
    ties.retain(|t| strengths[t.other].is_none());
    (roles, reasons, strengths, ties)
}

/// Applies the wide-layout rules and finds the required fields missing; scores the result.
fn evaluate(dataset_index: usize, dataset: &Dataset, parts: Assigned, labels: Vec<String>, data_start: usize, header_rows: Vec<u32>) -> Candidate {
    let Assigned { mut roles, mut reasons, strengths, ties } = parts;
    let mut matched = HashSet::new();
    let mut has_year = false;
    let mut wide_fields = HashSet::new();
    let mut wide_without_year = false;
    for (c, role) in roles.iter_mut().enumerate() {
        match role {
            Role::Field(i) if !matched.insert(*i) => {
                *role = Role::Unmapped;
                reasons[c] = ReadingReason::SinUso { parecido: None };
            }
            Role::Wide { field, year, .. } => {
                wide_fields.insert(*field);
                wide_without_year |= year.is_none();
            }
            Role::Year => {
                if has_year {
                    *role = Role::Unmapped;
                    reasons[c] = ReadingReason::SinUso { parecido: None };
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
        for (c, role) in roles.iter_mut().enumerate() {
            if let Role::Field(i) = role {
                if wide_fields.contains(i) {
                    matched.remove(i);
                    *role = Role::Unmapped;
                    reasons[c] = ReadingReason::SinUso { parecido: None };
                }
            }
        }
        matched.extend(wide_fields.iter().copied());
    } else {
        for (c, role) in roles.iter_mut().enumerate() {
            if matches!(role, Role::Wide { .. }) {
                *role = Role::Unmapped;
                reasons[c] = ReadingReason::SinUso { parecido: None };
            }
        }
    }
    let period_field = dataset.wide.as_ref().and_then(|w| dataset.field_index(&w.period_field));
    let mut missing_required = Vec::new();
    let mut city_wide = false;
    for (i, field) in dataset.fields.iter().enumerate() {
        if !field.constraints.required || matched.contains(&i) || field.default.is_some() {
            continue;
        }
        let source = field.derive.as_ref().and_then(|d| dataset.field_index(&d.from));
        let derivable = source.is_some_and(|f| matched.contains(&f));
        let from_wide = wide_active && (has_year || !wide_without_year) && Some(i) == period_field;
        // City-wide rows: a sheet with neither the column nor its source names no comuna.
        if !derivable && !from_wide {
            if field.optional_without_column {
                city_wide = true;
            } else {
                missing_required.push(i);
            }
        }
    }
    let quality: usize = strengths.iter().flatten().map(|s| s.kind as usize + 1).sum();
    let score = (missing_required.is_empty(), -(missing_required.len() as i64), matched.len(), quality);
    let required_present = matched.iter().filter(|&&i| dataset.fields[i].constraints.required).count();
    let measures_present = matched
        .iter()
        .filter(|&&i| dataset.fields[i].code_list.is_none() && dataset.fields[i].parse.is_none())
        .count();
    let n = roles.len();
    Candidate {
        score,
        required_present,
        measures_present,
        strengths,
        city_wide,
        header: Header {
            dataset: dataset_index,
            data_start,
            header_rows,
            roles,
            labels,
            reasons,
            missing_required,
            ties,
            resembles: vec![None; n],
        },
    }
}

/// The result of [`assign`].
struct Assigned {
    roles: Vec<Role>,
    reasons: Vec<ReadingReason>,
    strengths: Vec<Option<Strength>>,
    ties: Vec<Tie>,
}

/// What reading a row of labels for one dataset needs.
struct Reading<'a> {
    di: usize,
    dataset: &'a Dataset,
    matcher: &'a Matcher,
    /// Folded header text → field name.
    mapping: &'a [(String, String)],
    lex: &'a Lexicon,
}

impl Reading<'_> {
    /// Claims for a row of labels, the operator's mapping first.
    fn claims(&self, labels: &[String], cache: &mut ClaimCache) -> Vec<Claim> {
        labels.iter().map(|label| self.claim(label, cache)).collect()
    }

    fn claim(&self, label: &str, cache: &mut ClaimCache) -> Claim {
        if !self.mapping.is_empty() && !label.trim().is_empty() {
            let folded = fold(label);
            if let Some((_, field)) = self.mapping.iter().find(|(k, _)| *k == folded) {
                if field == MAPPING_IGNORE {
                    return Claim::Fields(Vec::new());
                }
                if let Some(i) = self.dataset.field_index(field) {
                    let strength = Strength { kind: MatchKind::Mapping, words: 0, extra: Reverse(0) };
                    return Claim::Fields(vec![FieldClaim { field: i, strength, word: label.to_string() }]);
                }
            }
        }
        cache.claim(self.di, self.matcher, label, self.lex)
    }

    /// Claims of a two-row header: the joined label's, unless the child alone says more (a
    /// child `Programa` under a parent `Datos de la actividad`).
    fn double_claims(&self, parents: &[Option<usize>], child: &super::sheet::RawRow, joined: &[String], cache: &mut ClaimCache) -> Vec<Claim> {
        let joined_claims = self.claims(joined, cache);
        let strength = |c: &Claim| match c {
            Claim::Fields(list) => list.first().map(|f| f.strength),
            _ => None,
        };
        joined_claims
            .into_iter()
            .enumerate()
            .map(|(col, claim)| {
                let has_parent = parents.get(col).copied().flatten().is_some();
                let child_label = match child.cell(col) {
                    Cell::Text(t) => t.trim().to_string(),
                    _ => String::new(),
                };
                if child_label.is_empty() || !has_parent || matches!(claim, Claim::Wide { .. } | Claim::Personal | Claim::Year) {
                    return claim;
                }
                let alone = self.claim(&child_label, cache);
                // `Nombre` under `Programa` is the programme's name, not a person's.
                let only_name_words = fold(&child_label).split(' ').all(|t| self.lex.is_name_word(t));
                match (&alone, strength(&alone), strength(&claim)) {
                    (Claim::Personal, _, Some(_)) if only_name_words => claim,
                    (Claim::Personal | Claim::Wide { .. } | Claim::Year, _, _) => alone,
                    (_, Some(a), Some(j)) if a > j => alone,
                    (_, Some(_), None) => alone,
                    _ => claim,
                }
            })
            .collect()
    }
}

/// Whether a field can be told from its column's values: codes, comunas and dates. Measures
/// and free text never are.
fn by_content(dataset: &Dataset, field: usize) -> bool {
    dataset.fields.get(field).is_some_and(|f| {
        f.code_list.is_some() || f.parse.as_deref() == Some("comuna") || matches!(f.field_type, FieldType::Date | FieldType::Yearmonth)
    })
}

/// What a column's values are, counted once per (column, field) for one data start.
struct ContentScan<'a> {
    sheet: &'a RawSheet,
    standard: &'a Standard,
    dataset: &'a Dataset,
    data_start: usize,
    counts: HashMap<(usize, usize), (usize, usize)>,
    /// Counts of whole scans ([`ContentScan::resemblance`]).
    full: HashMap<(usize, usize), (usize, usize)>,
}

impl<'a> ContentScan<'a> {
    fn new(sheet: &'a RawSheet, standard: &'a Standard, dataset: &'a Dataset, data_start: usize) -> ContentScan<'a> {
        ContentScan { sheet, standard, dataset, data_start, counts: HashMap::new(), full: HashMap::new() }
    }

    /// (values of the field's kind, non-empty values) in the column's first data rows; the
    /// scan stops early once the values can no longer be [`CONTENT_SHARE`] of the field's kind,
    /// so a column of free text costs a few cells.
    fn count(&mut self, col: usize, field: usize) -> (usize, usize) {
        if let Some(&c) = self.counts.get(&(col, field)) {
            return c;
        }
        let c = self.measure(col, field, true);
        self.counts.insert((col, field), c);
        c
    }

    /// [`ContentScan::count`] without stopping early: how much the values resemble the field.
    fn resemblance(&mut self, col: usize, field: usize) -> (usize, usize) {
        if let Some(&c) = self.full.get(&(col, field)) {
            return c;
        }
        let c = self.measure(col, field, false);
        self.full.insert((col, field), c);
        c
    }

    fn measure(&self, col: usize, field_index: usize, stop_early: bool) -> (usize, usize) {
        let Some(field) = self.dataset.fields.get(field_index) else { return (0, 0) };
        let lex = &self.standard.lexicon;
        let list = field.code_list.as_ref().and_then(|l| self.standard.code_lists.get(l));
        let comuna = field.parse.as_deref() == Some("comuna");
        let (mut hits, mut written_out, mut seen) = (0usize, 0usize, 0usize);
        // The most values the scan can see.
        let most = self.sheet.rows.len().saturating_sub(self.data_start).min(CONTENT_ROWS);
        for row in self.sheet.rows.iter().skip(self.data_start).take(CONTENT_ROWS) {
            let cell = row.cell(col);
            if values::is_missing(cell, lex) || cell.text().is_some_and(|t| lex.is_totals_word(t)) {
                continue;
            }
            seen += 1;
            let hit = if let Some(list) = list {
                cell.text().is_some_and(|t| list.lookup(&self.dataset.name, t).is_some())
            } else if comuna {
                // A bare number is any count; `Comuna 4`, `C.4`, `IV` are comunas.
                let valid = values::parse_comuna(cell, lex).is_ok_and(|n| (1..=15).contains(&n));
                let spelled = cell.text().is_some_and(|t| t.chars().any(char::is_alphabetic));
                written_out += usize::from(valid && spelled);
                valid
            } else {
                match field.field_type {
                    FieldType::Date => matches!(cell, Cell::Date(_)) || (matches!(cell, Cell::Text(_)) && values::parse_date(cell, lex).is_ok()),
                    FieldType::Yearmonth => !matches!(cell, Cell::Number(_)) && values::parse_yearmonth(cell, lex).is_ok(),
                    _ => false,
                }
            };
            hits += usize::from(hit);
            if stop_early && (seen - hits) as f64 > (1.0 - CONTENT_SHARE) * most as f64 {
                // Past this many misses the column cannot be named by its values however the
                // rest reads: stop, with counts whose share is already under the bar.
                break;
            }
        }
        if comuna && written_out * 2 < hits {
            // Mostly bare numbers: could be any count.
            hits = written_out;
        }
        (hits, seen)
    }

    /// True when the values name the field: enough of them, nearly all of its kind.
    fn names(&mut self, col: usize, field: usize) -> Option<(usize, usize)> {
        let (hits, seen) = self.count(col, field);
        (seen >= CONTENT_MIN_VALUES && hits as f64 >= CONTENT_SHARE * seen as f64).then_some((hits, seen))
    }
}

/// Lets the values decide where the header could not: each field that content can tell and no
/// header named goes to the unused (or weakly named) column whose values are nearly all of its
/// kind; ties between equally named columns go to the one whose values fit.
fn apply_content(candidate: &mut Candidate, sheet: &RawSheet, standard: &Standard, mapping_cols: &HashSet<usize>) {
    let dataset = &standard.datasets[candidate.header.dataset];
    let header = &mut candidate.header;
    let mut scan = ContentScan::new(sheet, standard, dataset, header.data_start);
    let width = header.roles.len().max(sheet.rows.iter().skip(header.data_start).take(CONTENT_ROWS).map(|r| r.cells.len()).max().unwrap_or(0));
    header.roles.resize(width, Role::Empty);
    header.labels.resize(width, String::new());
    header.reasons.resize(width, ReadingReason::SinUso { parecido: None });
    header.resembles.resize(width, None);
    candidate.strengths.resize(width, None);

    // Ties: the column whose values fit the field better is read, and the tie is settled;
    // equal fits stay a tie, said to the clerk.
    let strengths = &mut candidate.strengths;
    header.ties.retain(|tie| {
        if !by_content(dataset, tie.field) {
            return true;
        }
        let (a, _) = scan.count(tie.chosen, tie.field);
        let (b, _) = scan.count(tie.other, tie.field);
        if b > a {
            header.roles.swap(tie.chosen, tie.other);
            header.reasons.swap(tie.chosen, tie.other);
            strengths.swap(tie.chosen, tie.other);
        }
        a == b
    });

    let present: HashSet<usize> = header
        .roles
        .iter()
        .filter_map(|r| match r {
            Role::Field(i) | Role::Wide { field: i, .. } => Some(*i),
            _ => None,
        })
        .collect();
    for field in 0..dataset.fields.len() {
        if present.contains(&field) || !by_content(dataset, field) {
            continue;
        }
        let mut best: Option<(usize, (usize, usize))> = None;
        for col in 0..width {
            let open = match &header.roles[col] {
                Role::Unmapped | Role::Empty => !mapping_cols.contains(&col),
                // A weak header (`Comisarías participantes`) yields to unmistakable values; so
                // does a header word whose values are not of its field (`Zona de intervención`
                // full of comunas).
                Role::Field(g) => match candidate.strengths[col] {
                    Some(s) if s.kind == MatchKind::Contained => true,
                    Some(s) if s.kind == MatchKind::Leading && by_content(dataset, *g) => {
                        let (hits, seen) = scan.resemblance(col, *g);
                        seen >= CONTENT_MIN_VALUES && (hits as f64) < RESEMBLE_SHARE * seen as f64
                    }
                    _ => false,
                },
                _ => false,
            };
            if !open {
                continue;
            }
            if let Some(found) = scan.names(col, field) {
                let share = |(h, s): (usize, usize)| h as f64 / s.max(1) as f64;
                if best.is_none_or(|(_, b)| share(found) > share(b)) {
                    best = Some((col, found));
                }
            }
        }
        if let Some((col, (hits, seen))) = best {
            let lista = content_kind(standard, dataset, field);
            header.roles[col] = Role::Field(field);
            header.reasons[col] = ReadingReason::Contenido { coinciden: hits, de: seen, lista };
            candidate.strengths[col] = None;
        }
    }
}

/// What a field's values are called in a column's reading: the code list's name, or
/// the messages' words for comunas, dates and periods.
fn content_kind(standard: &Standard, dataset: &Dataset, field: usize) -> String {
    let Some(f) = dataset.fields.get(field) else { return String::new() };
    if let Some(list) = &f.code_list {
        list.clone()
    } else if f.parse.as_deref() == Some("comuna") {
        standard.messages.render("valores.comunas", &[])
    } else if f.field_type == FieldType::Yearmonth {
        standard.messages.render("valores.periodos", &[])
    } else {
        standard.messages.render("valores.fechas", &[])
    }
}

/// For each unused column with values, the field they resemble most (at least half of them),
/// so a rejection can say how to map it.
fn note_resemblances(header: &mut Header, sheet: &RawSheet, standard: &Standard) {
    let dataset = &standard.datasets[header.dataset];
    let mut scan = ContentScan::new(sheet, standard, dataset, header.data_start);
    let used: HashSet<usize> = header.roles.iter().filter_map(|r| if let Role::Field(i) = r { Some(*i) } else { None }).collect();
    for col in 0..header.roles.len() {
        if !matches!(header.roles[col], Role::Unmapped | Role::Empty) {
            continue;
        }
        let mut best: Option<(usize, usize, usize)> = None;
        for field in (0..dataset.fields.len()).filter(|f| by_content(dataset, *f) && !used.contains(f)) {
            let (hits, seen) = scan.resemblance(col, field);
            if seen > 0 && hits as f64 >= RESEMBLE_SHARE * seen as f64 && best.is_none_or(|(_, h, _)| hits > h) {
                best = Some((field, hits, seen));
            }
        }
        header.resembles[col] = best;
        if let (Some((field, ..)), ReadingReason::SinUso { parecido }) = (best, &mut header.reasons[col]) {
            *parecido = Some(dataset.fields[field].name.clone());
        }
    }
}

/// Whether row `r` is the parent row of a two-row header by structure: a cell merged across
/// columns on that row alone, with labels under it on the next row.
fn merged_parent(sheet: &RawSheet, r: usize) -> bool {
    let (Some(row), Some(child)) = (sheet.rows.get(r), sheet.rows.get(r + 1)) else { return false };
    if child.number != row.number + 1 {
        return false;
    }
    sheet.merges.iter().any(|m| {
        m.first_row == row.number
            && m.last_row == row.number
            && m.last_col > m.first_col
            && (m.first_col..=m.last_col).any(|c| matches!(child.cell(c), Cell::Text(t) if !t.trim().is_empty()))
    })
}

/// True when a row holds a number or a date, as written or as a cell: a data row.
fn looks_like_data(row: &super::sheet::RawRow, lex: &Lexicon) -> bool {
    row.cells.iter().any(|c| match c {
        Cell::Number(_) | Cell::Date(_) => true,
        Cell::Text(t) => values::parse_number_text(t).is_some() || values::parse_date(c, lex).is_ok(),
        _ => false,
    })
}

/// For each column of a two-row header, the column whose upper label stands over it: its own;
/// else the first column of a merge covering it on the upper row; else, when the upper row has
/// no merges at all (a CSV, or a parent written once over unmerged cells), the nearest label to
/// its left.
fn parent_columns(sheet: &RawSheet, r: usize, parent_labels: &[String], width: usize) -> Vec<Option<usize>> {
    let number = sheet.rows.get(r).map_or(0, |row| row.number);
    let merges: Vec<_> = sheet.merges.iter().filter(|m| m.first_row <= number && number <= m.last_row && m.last_col > m.first_col).collect();
    let any_merge_on_row = sheet.merges.iter().any(|m| m.first_row <= number && number <= m.last_row);
    let mut carried: Option<usize> = None;
    (0..width)
        .map(|col| {
            if parent_labels.get(col).is_some_and(|l| !l.is_empty()) {
                carried = Some(col);
                return Some(col);
            }
            if let Some(m) = merges.iter().find(|m| m.first_col <= col && col <= m.last_col) {
                return Some(m.first_col);
            }
            if any_merge_on_row {
                None
            } else {
                carried
            }
        })
        .collect()
}

/// Labels of a two-row header: each child joined with the label that stands over it (see
/// [`parent_columns`]); a column without a child keeps its upper label.
fn joined_labels(parent_labels: &[String], child: &super::sheet::RawRow, parents: &[Option<usize>]) -> Vec<String> {
    let width = parent_labels.len().max(child.cells.len());
    let mut labels = Vec::with_capacity(width);
    for col in 0..width {
        let parent = parent_labels.get(col).cloned().unwrap_or_default();
        let over = parents.get(col).copied().flatten().and_then(|p| parent_labels.get(p)).cloned().unwrap_or_default();
        let child_label = match child.cell(col) {
            Cell::Text(t) => t.trim().to_string(),
            _ => String::new(),
        };
        if child_label.is_empty() {
            labels.push(parent);
        } else if over.is_empty() || fold(&over) == fold(&child_label) {
            labels.push(child_label);
        } else {
            labels.push(format!("{over} {child_label}"));
        }
    }
    labels
}

/// Finds the header and dataset of a sheet among `datasets` (all, or the one a pin names).
///
/// Every row of the first [`HEADER_SCAN_ROWS`] with two labels is tried as a header, alone and
/// with the row below (always with it when a merged parent spans labels there), for every
/// dataset; columns compete for fields by header words; the best few candidates then let the
/// values decide what the headers could not. Returns `None` when no row looks like a header of
/// any dataset: at least two fields with every required one present, or three fields (then the
/// missing ones are `missing-label`).
pub fn find_header(sheet: &RawSheet, datasets: &[(usize, &Dataset, &Matcher)], standard: &Standard, mapping: &ColumnMap) -> Option<Header> {
    let lex = &standard.lexicon;
    let mapping: Vec<(String, String)> = mapping.iter().map(|(k, v)| (fold(k), v.clone())).collect();
    let mut cache = ClaimCache::default();
    let mut candidates: Vec<Candidate> = Vec::new();
    let scan = sheet.rows.len().min(HEADER_SCAN_ROWS);
    for r in 0..scan {
        let row = &sheet.rows[r];
        if row.cells.iter().filter(|c| matches!(c, Cell::Text(t) if !t.trim().is_empty())).count() < 2 {
            continue;
        }
        let parent_labels: Vec<String> = row.cells.iter().map(|c| label_of(c, lex)).collect();
        let child = sheet.rows.get(r + 1);
        let structural = merged_parent(sheet, r);
        // A row holding numbers or dates is data, not the lower half of a header (unless a merged
        // parent above says otherwise).
        let child = child.filter(|c| structural || !looks_like_data(c, lex));
        let parents = child.map(|c| parent_columns(sheet, r, &parent_labels, parent_labels.len().max(c.cells.len()))).unwrap_or_default();
        let joined = child.map(|c| joined_labels(&parent_labels, c, &parents));
        for &(di, dataset, matcher) in datasets {
            let reading = Reading { di, dataset, matcher, mapping: &mapping, lex };
            let claims = reading.claims(&parent_labels, &mut cache);
            let (roles, reasons, strengths, ties) = assign(&claims);
            let single = evaluate(di, dataset, Assigned { roles, reasons, strengths, ties }, parent_labels.clone(), r + 1, vec![row.number]);
            let mut candidate = single;
            if let (Some(child), Some(joined)) = (child, &joined) {
                let claims = reading.double_claims(&parents, child, joined, &mut cache);
                let (roles, reasons, strengths, ties) = assign(&claims);
                let double = evaluate(di, dataset, Assigned { roles, reasons, strengths, ties }, joined.clone(), r + 2, vec![row.number, child.number]);
                let better = double.score.2 > candidate.score.2 && double.score >= candidate.score;
                if (structural && double.score.2 >= 2) || better {
                    candidate = double;
                }
            }
            // One field named by its header is enough to try: the values may name the rest
            // (`Columna2 | Nombre Actividad | Columna9` over dates, programmes and barrios).
            if candidate.score.2 >= 1 {
                candidates.push(candidate);
            }
        }
    }
    // The strongest few by header, then by content; earlier rows win ties (stable sort).
    candidates.sort_by_key(|c| Reverse(c.score));
    candidates.truncate(CONTENT_CANDIDATES);
    let mut best: Option<Candidate> = None;
    for mut candidate in candidates {
        let mapping_cols: HashSet<usize> = candidate
            .header
            .reasons
            .iter()
            .enumerate()
            .filter(|(c, r)| **r == ReadingReason::Mapeo || (!mapping.is_empty() && candidate.header.labels.get(*c).is_some_and(|l| mapping.iter().any(|(k, _)| *k == fold(l)))))
            .map(|(c, _)| c)
            .collect();
        apply_content(&mut candidate, sheet, standard, &mapping_cols);
        let dataset = &standard.datasets[candidate.header.dataset];
        let Header { dataset: di, data_start, header_rows, roles, labels, reasons, ties, .. } = candidate.header;
        let strengths = candidate.strengths;
        let rescored = evaluate(di, dataset, Assigned { roles, reasons, strengths, ties }, labels, data_start, header_rows);
        if rescored.eligible() && best.as_ref().is_none_or(|b| rescored.score > b.score) {
            best = Some(rescored);
        }
        // A candidate with every required field is the reading: weaker ones by header words
        // cannot pass it on values alone often enough to pay for looking.
        if best.as_ref().is_some_and(|b| b.score.0) {
            break;
        }
    }
    best.map(|c| {
        let mut header = c.header;
        if !header.missing_required.is_empty() {
            // Only a rejection needs to say what unused columns look like.
            note_resemblances(&mut header, sheet, standard);
        }
        // A column the mapping leaves unused says so.
        for (c, label) in header.labels.iter().enumerate() {
            let ignored = header.roles.get(c).is_some_and(|r| matches!(r, Role::Unmapped | Role::Empty))
                && mapping.iter().any(|(k, v)| v == MAPPING_IGNORE && *k == fold(label));
            if let (true, Some(reason)) = (ignored, header.reasons.get_mut(c)) {
                *reason = ReadingReason::Mapeo;
            }
        }
        header
    })
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
