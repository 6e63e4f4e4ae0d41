//! Header words read as fields: a label's candidates (qualifiers, units and clauses around the
//! words stripped), the configured words and abbreviations of each field, age bands in any
//! words, wide month columns, and how strongly a label claims a field ([`Matcher`]).
//!
//! Reads one label at a time: must not see a sheet's rows or choose between columns.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use super::{MatchKind, Role, Strength, MAX_LABEL_WORDS};
use crate::standard::fold::fold;
use crate::standard::lexicon::Lexicon;
use crate::standard::schema::Dataset;

/// One field a header may name, with how strongly and by which configured word.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FieldClaim {
    pub(super) field: usize,
    pub(super) strength: Strength,
    pub(super) word: String,
}

/// What one header text may mean for one dataset, before the columns compete for fields.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Claim {
    Empty,
    Personal,
    Wide {
        field: usize,
        month: u32,
        year: Option<i32>,
    },
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
    let mut words: Vec<String> = lex
        .content_words(&folded)
        .into_iter()
        .map(str::to_string)
        .collect();
    words.dedup();
    (!words.is_empty()).then(|| WordSet {
        field,
        words,
        written: word.trim().to_string(),
    })
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
    let numbers: Vec<(usize, u32)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.parse::<u32>().ok().map(|n| (i, n)))
        .collect();
    if numbers.iter().any(|(_, n)| *n > 120) {
        return Vec::new();
    }
    let has = |words: &[String], t: &str| words.iter().any(|w| w == t);
    let before =
        |i: usize, words: &[String]| tokens.iter().take(i).rev().take(2).any(|t| has(words, t));
    let after =
        |i: usize, words: &[String]| tokens.iter().skip(i + 1).take(2).any(|t| has(words, t));
    let ages = lex.age_words();
    match numbers.as_slice() {
        [(_, a), (_, b)] if a < b => vec![(*a, Some(*b))],
        [(i, n)] => {
            let n = *n;
            let plus = text.contains('+');
            if before(*i, &ages.up_to) {
                vec![(0, Some(n))]
            } else if before(*i, &ages.below) {
                n.checked_sub(1)
                    .map(|m| (0, Some(m)))
                    .into_iter()
                    .chain([(0, Some(n))])
                    .collect()
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
        let wide_fields: Vec<&str> = dataset
            .wide
            .as_ref()
            .map(|w| w.month_fields.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut ages = Vec::new();
        for (i, field) in dataset.fields.iter().enumerate() {
            let mut words = field.header_words.clone();
            words.push(field.name.clone());
            let wide = wide_fields.contains(&field.name.as_str());
            for word in &words {
                for key in word_keys(word) {
                    keys.entry(key.clone())
                        .or_insert((i, word.trim().to_string()));
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
        Matcher {
            keys,
            sets,
            wide_keys,
            wide_sets,
            year_keys,
            ages,
        }
    }

    /// The role a header text has on its own, when no other column competes for its field.
    pub fn role(&self, text: &str, lex: &Lexicon) -> Role {
        match self.claim(text, lex) {
            Claim::Empty => Role::Empty,
            Claim::Personal => Role::Personal,
            Claim::Wide { field, month, year } => Role::Wide { field, month, year },
            Claim::Year => Role::Year,
            Claim::Fields(claims) => claims
                .first()
                .map_or(Role::Unmapped, |c| Role::Field(c.field)),
        }
    }

    /// What a header text may mean.
    pub(super) fn claim(&self, text: &str, lex: &Lexicon) -> Claim {
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
            if claims
                .first()
                .is_some_and(|c| c.field != *i && c.strength.words > exact_words)
            {
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
        FieldClaim {
            field,
            strength: Strength {
                kind: MatchKind::Exact,
                words: 0,
                extra: Reverse(0),
            },
            word: word.to_string(),
        }
    }

    /// Fields whose words the header contains, best first, one claim per field.
    fn word_claims(&self, text: &str, lex: &Lexicon) -> Vec<FieldClaim> {
        let (main, hints) = split_hints(text);
        let mut folded = fold(&main);
        if lex
            .significant_words(&folded)
            .iter()
            .all(|w| lex.is_insignificant(w))
        {
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
            let better = best
                .get(&claim.field)
                .is_none_or(|b| claim.strength > b.strength);
            if better {
                best.insert(claim.field, claim);
            }
        };
        for set in &self.sets {
            if !set
                .words
                .iter()
                .all(|w| tokens.iter().any(|t| stands_for(t, w)))
            {
                continue;
            }
            let leading = significant
                .first()
                .is_some_and(|first| set.words.iter().any(|w| stands_for(first, w)));
            let kind = if leading {
                MatchKind::Leading
            } else {
                MatchKind::Contained
            };
            let extra = significant
                .iter()
                .filter(|t| !set.words.iter().any(|w| stands_for(t, w)))
                .count();
            offer(FieldClaim {
                field: set.field,
                strength: Strength {
                    kind,
                    words: set.words.len(),
                    extra: Reverse(extra),
                },
                word: set.written.clone(),
            });
        }
        for (from, to) in age_ranges(&main, lex) {
            if let Some(&(field, ..)) = self.ages.iter().find(|(_, a, b)| *a == from && *b == to) {
                let shown = match to {
                    Some(to) => format!("{from} a {to}"),
                    None => format!("{from} y más"),
                };
                offer(FieldClaim {
                    field,
                    strength: Strength {
                        kind: MatchKind::AgeRange,
                        words: 2,
                        extra: Reverse(0),
                    },
                    word: shown,
                });
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
        let rest: Vec<&str> = full
            .split(' ')
            .filter(|t| !t.is_empty() && !lex.is_name_word(t))
            .collect();
        if lex.is_personal_header(&rest.join(" ")) {
            return true;
        }
        let main = fold(&split_hints(text).0);
        let main: Vec<&str> = main
            .split(' ')
            .filter(|t| !t.is_empty() && !lex.is_name_word(t))
            .collect();
        let main = main.join(" ");
        let significant = lex.significant_words(&main);
        !self
            .sets
            .iter()
            .any(|set| set.words.iter().all(|w| significant.contains(&w.as_str())))
    }

    /// The wide-layout claim of a label holding exactly one month and a month field's words.
    fn wide_claim(&self, candidates: &[String], lex: &Lexicon) -> Option<Claim> {
        if self.wide_keys.is_empty() {
            return None;
        }
        for c in candidates {
            let tokens: Vec<&str> = c.split(' ').collect();
            let months: Vec<usize> = tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| lex.month(t).is_some())
                .map(|(i, _)| i)
                .collect();
            let [m] = months.as_slice() else { continue };
            let month = lex.month(tokens[*m])?;
            // A year next to the month: `2019`, or `19` as in `ene-19`.
            let year_at = |i: usize| -> Option<i32> {
                let t = tokens.get(i)?;
                match t.len() {
                    4 if t.chars().all(|c| c.is_ascii_digit()) => t.parse().ok(),
                    2 if t.chars().all(|c| c.is_ascii_digit()) => {
                        t.parse::<i32>().ok().map(|y| 2000 + y)
                    }
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
pub(super) struct ClaimCache {
    claims: HashMap<(usize, String), Claim>,
}

impl ClaimCache {
    pub(super) fn claim(
        &mut self,
        dataset: usize,
        matcher: &Matcher,
        text: &str,
        lex: &Lexicon,
    ) -> Claim {
        let key = (dataset, text.to_string());
        if let Some(c) = self.claims.get(&key) {
            return c.clone();
        }
        let c = matcher.claim(text, lex);
        self.claims.insert(key, c.clone());
        c
    }
}
