//! The lexicon: the words participa needs to read messy sheets (missing-value tokens, personal-data
//! header words, header decorations, totals words, month names, comuna prefixes). Loaded from
//! `lexicon.json` in the standard folder; folded once here so matching is a set lookup. Pure.

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use serde::Deserialize;

use super::fold::fold;

/// `lexicon.json` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconFile {
    #[serde(rename = "_comment", default)]
    _comment: Option<String>,
    /// Tokens that mean "no data" (`s/d`, `N/A`, `-`…); an empty cell is always missing.
    pub missing_values: Vec<String>,
    /// Header words of columns about a person (names, DNI, e-mail, phone…): dropped on read.
    pub personal_data_words: Vec<String>,
    /// Leading header decorations (`N°`, `Cant.`, `Total de`…) removed before matching.
    pub header_prefixes: Vec<String>,
    /// Trailing header decorations (`de la reunión`, `(CABA)`…) removed before matching.
    pub header_suffixes: Vec<String>,
    /// First words of a totals row (`Total`, `Total general`…).
    pub totals_words: Vec<String>,
    /// Month names and abbreviations → month number.
    pub months: HashMap<String, u32>,
    /// Words written before a comuna number (`Comuna 4`, `C4`).
    pub comuna_prefixes: Vec<String>,
    /// First words of a note row under the data (`Fuente: …`, `Nota: …`).
    #[serde(default = "default_note_words")]
    pub note_words: Vec<String>,
    /// Words that carry no meaning of their own in a header (`de`, `la`, `donde`, `se`…):
    /// dropped before a header's words are compared with a field's.
    #[serde(default = "default_stop_words")]
    pub header_stop_words: Vec<String>,
    /// Counters, units and qualifiers that say how a value is counted, not what it is
    /// (`cant`, `nro`, `total`, `pesos`, `personas`): dropped like stop words.
    #[serde(default = "default_qualifiers")]
    pub header_qualifiers: Vec<String>,
    /// Words that name something without saying whose (`nombre`): a header made of them and
    /// a field's words (`Nombre del programa`) is that field, not a person's name.
    #[serde(default = "default_name_words")]
    pub name_words: Vec<String>,
    /// Words around an age in a header that make it a range (`Hasta 17`, `65 y más`).
    #[serde(default)]
    pub age_words: AgeWords,
}

/// Words that turn one age in a header into a range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeWords {
    /// Before the age, up to and including it (`hasta 17`).
    pub up_to: Vec<String>,
    /// Before the age, below it (`menores de 18`).
    pub below: Vec<String>,
    /// Before the age, above it (`mayores de 64`, `más de 64`).
    pub above: Vec<String>,
    /// After the age, from it on (`65 y más`).
    pub and_more: Vec<String>,
}

impl Default for AgeWords {
    fn default() -> Self {
        let list = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        AgeWords {
            up_to: list(&["hasta"]),
            below: list(&["menos", "menores"]),
            above: list(&["mas", "mayores"]),
            and_more: list(&["mas"]),
        }
    }
}

/// [`AgeWords`], folded.
#[derive(Debug, Clone, Default)]
pub struct FoldedAgeWords {
    /// See [`AgeWords::up_to`].
    pub up_to: Vec<String>,
    /// See [`AgeWords::below`].
    pub below: Vec<String>,
    /// See [`AgeWords::above`].
    pub above: Vec<String>,
    /// See [`AgeWords::and_more`].
    pub and_more: Vec<String>,
}

fn default_name_words() -> Vec<String> {
    vec!["nombre".to_string(), "nombres".to_string()]
}

fn default_stop_words() -> Vec<String> {
    [
        "de", "del", "la", "las", "el", "los", "en", "y", "e", "o", "u", "a", "al", "por", "para",
        "con", "se", "que", "donde", "su", "sus", "un", "una", "lo",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_qualifiers() -> Vec<String> {
    [
        "n", "no", "nro", "numero", "num", "cant", "cantidad", "total", "totales", "pesos", "ars",
        "personas",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_note_words() -> Vec<String> {
    [
        "fuente",
        "nota",
        "notas",
        "observacion",
        "observaciones",
        "aclaracion",
        "referencias",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The lexicon, folded for lookups.
#[derive(Debug, Clone)]
pub struct Lexicon {
    missing: FxHashSet<String>,
    missing_raw: FxHashSet<String>,
    missing_max_chars: usize,
    /// First characters (lower case) of the missing tokens: a cheap first test.
    missing_first_chars: FxHashSet<char>,
    personal: Vec<Vec<String>>,
    prefixes: Vec<Vec<String>>,
    suffixes: Vec<Vec<String>>,
    totals: FxHashSet<String>,
    totals_max_chars: usize,
    totals_first_chars: FxHashSet<char>,
    months: FxHashMap<String, u32>,
    comuna_prefixes: Vec<String>,
    notes: FxHashSet<String>,
    insignificant: FxHashSet<String>,
    stop_words: FxHashSet<String>,
    name_words: FxHashSet<String>,
    ages: FoldedAgeWords,
}

fn words(list: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = list
        .iter()
        .map(|w| {
            fold(w)
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    // Longest first, so `cantidad de` is removed before `cantidad`.
    out.sort_by_key(|w| std::cmp::Reverse(w.len()));
    out
}

/// The words of a folded text not in `dropped`; all of them when every one is.
fn words_without<'a>(folded: &'a str, dropped: &FxHashSet<String>) -> Vec<&'a str> {
    let all: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    let kept: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| !dropped.contains(*t))
        .collect();
    if kept.is_empty() {
        all
    } else {
        kept
    }
}

impl Lexicon {
    /// Folds the file's words for lookups.
    pub fn new(file: &LexiconFile) -> Lexicon {
        Lexicon {
            missing: file
                .missing_values
                .iter()
                .map(|m| fold(m))
                .filter(|m| !m.is_empty())
                .collect(),
            missing_raw: file
                .missing_values
                .iter()
                .map(|m| m.trim().to_lowercase())
                .collect(),
            missing_max_chars: file
                .missing_values
                .iter()
                .map(|m| m.trim().chars().count())
                .max()
                .unwrap_or(0),
            missing_first_chars: file
                .missing_values
                .iter()
                .filter_map(|m| m.trim().chars().next())
                .flat_map(char::to_lowercase)
                .chain(
                    file.missing_values
                        .iter()
                        .filter_map(|m| fold(m).chars().next()),
                )
                .collect(),
            personal: words(&file.personal_data_words),
            prefixes: words(&file.header_prefixes),
            suffixes: words(&file.header_suffixes),
            totals: file.totals_words.iter().map(|w| fold(w)).collect(),
            totals_first_chars: file
                .totals_words
                .iter()
                .filter_map(|w| fold(w).chars().next())
                .collect(),
            totals_max_chars: file
                .totals_words
                .iter()
                .flat_map(|w| w.split_whitespace())
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(0),
            months: file.months.iter().map(|(k, v)| (fold(k), *v)).collect(),
            comuna_prefixes: {
                let mut p: Vec<String> = file.comuna_prefixes.iter().map(|w| fold(w)).collect();
                p.sort_by_key(|w| std::cmp::Reverse(w.len()));
                p
            },
            notes: file.note_words.iter().map(|w| fold(w)).collect(),
            name_words: file.name_words.iter().map(|w| fold(w)).collect(),
            ages: {
                let f = |l: &[String]| {
                    l.iter()
                        .map(|w| fold(w))
                        .filter(|w| !w.is_empty())
                        .collect()
                };
                FoldedAgeWords {
                    up_to: f(&file.age_words.up_to),
                    below: f(&file.age_words.below),
                    above: f(&file.age_words.above),
                    and_more: f(&file.age_words.and_more),
                }
            },
            stop_words: file
                .header_stop_words
                .iter()
                .map(|w| fold(w))
                .filter(|w| !w.is_empty())
                .collect(),
            insignificant: file
                .header_stop_words
                .iter()
                .chain(&file.header_qualifiers)
                .map(|w| fold(w))
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }

    /// True when `text` is a "no data" token (`s/d`, `N/A`, `-`, empty…).
    pub fn is_missing_text(&self, text: &str) -> bool {
        let t = text.trim();
        if t.is_empty() {
            return true;
        }
        // Most cells are longer than any "no data" token, or start differently: no need to
        // fold them.
        if t.len() > 4 * self.missing_max_chars.max(1)
            || t.chars().count() > self.missing_max_chars + 4
        {
            return false;
        }
        let first = t
            .chars()
            .next()
            .into_iter()
            .flat_map(char::to_lowercase)
            .next();
        let folded_first = t
            .chars()
            .find(|c| c.is_alphanumeric())
            .into_iter()
            .flat_map(char::to_lowercase)
            .next();
        if !first.is_some_and(|c| self.missing_first_chars.contains(&c))
            && !folded_first.is_some_and(|c| self.missing_first_chars.contains(&c))
        {
            return false;
        }
        if self.missing_raw.contains(&t.to_lowercase()) {
            return true;
        }
        let f = fold(t);
        // Tokens made only of punctuation (`-`, `—`) fold to nothing; they were matched above.
        !f.is_empty() && self.missing.contains(&f)
    }

    /// Month number for a folded month word (`marzo`, `mar`, `setiembre`).
    pub fn month(&self, folded: &str) -> Option<u32> {
        self.months.get(folded).copied()
    }

    /// The full name of month `m` (the longest word the lexicon has for it).
    pub fn month_name(&self, m: u32) -> Option<&str> {
        self.months
            .iter()
            .filter(|(_, v)| **v == m)
            .map(|(k, _)| k.as_str())
            .max_by_key(|k| (k.len(), *k))
    }

    /// Folded comuna prefixes, longest first.
    pub fn comuna_prefixes(&self) -> &[String] {
        &self.comuna_prefixes
    }

    /// True when the folded first words of a row's first text mark a totals row.
    pub fn is_totals_label(&self, text: &str) -> bool {
        // A totals label starts with one of a few words; skip folding anything else.
        let first_word = text
            .trim_start()
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if first_word.chars().count() > self.totals_max_chars {
            return false;
        }
        let f = fold(text);
        let first = f.split(' ').next().unwrap_or("");
        self.totals.contains(&f) || self.totals.contains(first)
    }

    /// True when a text is exactly a totals word (`Total`, `TOTAL GENERAL`, `Subtotal`).
    pub fn is_totals_word(&self, text: &str) -> bool {
        let first = text
            .trim_start()
            .chars()
            .next()
            .into_iter()
            .flat_map(char::to_lowercase)
            .next();
        first.is_some_and(|c| self.totals_first_chars.contains(&c))
            && text.len() <= 24
            && self.totals.contains(&fold(text))
    }

    /// True when a lone text under the data is a note (`Fuente: …`).
    pub fn is_note_label(&self, text: &str) -> bool {
        let t = text.trim_start();
        if t.starts_with('*') || t.starts_with('(') {
            return true;
        }
        let f = fold(t);
        let first = f.split(' ').next().unwrap_or("");
        self.notes.contains(first)
    }

    /// True when a folded header names a person's data (`nombre y apellido`, `dni`, `e mail`).
    pub fn is_personal_header(&self, folded: &str) -> bool {
        let tokens: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
        self.personal.iter().any(|phrase| {
            tokens
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == b))
        })
    }

    /// The words of a folded header that say what the column is: stop words, counters and
    /// units dropped (`cantidad total de asistentes` → `asistentes`). Keeps every word when
    /// all of them are insignificant, so `Total` alone is still a word.
    pub fn significant_words<'a>(&self, folded: &'a str) -> Vec<&'a str> {
        words_without(folded, &self.insignificant)
    }

    /// True for a folded word such as `nombre` (see [`LexiconFile::name_words`]).
    pub fn is_name_word(&self, folded_word: &str) -> bool {
        self.name_words.contains(folded_word)
    }

    /// The folded words that make an age a range.
    pub fn age_words(&self) -> &FoldedAgeWords {
        &self.ages
    }

    /// The words of a folded header without its stop words, qualifiers kept (`nº de proyecto`
    /// → `n proyecto`); every word when all are stop words.
    pub fn content_words<'a>(&self, folded: &'a str) -> Vec<&'a str> {
        words_without(folded, &self.stop_words)
    }

    /// True for a folded word that [`Lexicon::significant_words`] drops.
    pub fn is_insignificant(&self, folded_word: &str) -> bool {
        self.insignificant.contains(folded_word)
    }

    /// Removes header decorations from a folded label, repeatedly, keeping at least one word.
    pub fn strip_decorations(&self, folded: &str) -> String {
        let mut tokens: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
        loop {
            let before = tokens.len();
            for p in &self.prefixes {
                if tokens.len() > p.len() && tokens.iter().zip(p).all(|(a, b)| *a == b) {
                    tokens.drain(..p.len());
                    break;
                }
            }
            for s in &self.suffixes {
                if tokens.len() > s.len()
                    && tokens[tokens.len() - s.len()..]
                        .iter()
                        .zip(s)
                        .all(|(a, b)| *a == b)
                {
                    tokens.truncate(tokens.len() - s.len());
                    break;
                }
            }
            if tokens.len() == before {
                break;
            }
        }
        tokens.join(" ")
    }
}
