//! Text folding: the one way participa compares words written by people.
//!
//! Folding lower-cases, removes accents, turns punctuation into spaces and collapses spaces, so
//! that `COMUNA 4`, `Comuna  4` and `comuna-4` compare equal. Pure; no I/O.

use unicode_normalization::UnicodeNormalization;

/// Folds `text` for comparison: lower case, no accents, punctuation as single spaces.
///
/// The degree and ordinal signs (`N°`, `Nº`) become spaces rather than `o`, because in headers
/// they are decorations of `N`, not letters.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return fold_ascii(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.nfd() {
        if unicode_normalization::char::is_combining_mark(ch) {
            continue;
        }
        if ch.is_alphanumeric() && ch != 'º' && ch != 'ª' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for lower in ch.to_lowercase() {
                out.push(lower);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// [`fold`] for ASCII text, which has no accents to remove: most cells are.
fn fold_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(b.to_ascii_lowercase() as char);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Trims `text` and collapses inner runs of white space into one space, keeping it as written
/// otherwise (the rule for free-text values).
pub fn clean_text(text: &str) -> String {
    let tidy = !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && !text.contains("  ")
        && !text.contains(['\t', '\n', '\r', '\u{a0}']);
    if tidy {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table() {
        let cases = [
            ("COMUNA 4", "comuna 4"),
            ("  Comuna   IV ", "comuna iv"),
            ("Nº Comuna", "n comuna"),
            ("N° Comuna", "n comuna"),
            ("Núñez", "nunez"),
            ("VILLA GRAL. MITRE", "villa gral mitre"),
            ("Barrio / Zona", "barrio zona"),
            ("% de avance", "de avance"),
            ("Presupuesto ($)", "presupuesto"),
            ("", ""),
            ("-", ""),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "fold({input:?})");
        }
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_general_path() {
        for text in [
            "COMUNA 4",
            " Cant. participantes ",
            "C.4",
            "a--b",
            "Programa de Incentivos",
            "$ 1.234,56",
            "",
            "...",
        ] {
            let general: String = {
                // The general path, forced through a non-ASCII character that folds to nothing.
                let mut t = fold(&format!("{text}\u{301}"));
                if t.ends_with(' ') {
                    t.pop();
                }
                t
            };
            assert_eq!(fold(text), general, "{text:?}");
        }
    }

    #[test]
    fn clean_text_collapses_spaces() {
        assert_eq!(clean_text("  Acuerdo   de\tmejoras "), "Acuerdo de mejoras");
        assert_eq!(clean_text("Sin cambios"), "Sin cambios");
    }
}
