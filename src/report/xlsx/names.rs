//! Sheet names Excel accepts: at most 31 UTF-16 units, no `[]:*?/\\`, no apostrophe at either
//! end, unique ignoring case.
//!
//! Pure text: must not touch rust_xlsxwriter.

use std::collections::HashSet;

/// Hands out valid, unique sheet names: at most 31 UTF-16 units, none of `[]:*?/\`, no
/// apostrophe at either end, unique ignoring case (as Excel compares them).
#[derive(Default)]
pub(super) struct SheetNames {
    taken: HashSet<String>,
}

impl SheetNames {
    pub(super) fn claim(&mut self, wanted: &str) -> String {
        let clean: String = wanted
            .chars()
            .flat_map(|c| match c {
                // «Anexo: archivos» reads as «Anexo - archivos».
                ':' => vec![' ', '-', ' '],
                '/' | '\\' => vec!['-'],
                '[' | ']' | '*' | '?' => vec![' '],
                c if c.is_control() => vec![' '],
                c => vec![c],
            })
            .collect();
        let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
        let clean = clean.trim_matches(|c: char| c == '\'' || c.is_whitespace());
        let base = if clean.is_empty() || clean.eq_ignore_ascii_case("history") {
            "Hoja"
        } else {
            clean
        };
        for n in 1u32.. {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!(" ({n})")
            };
            let name = format!(
                "{}{suffix}",
                truncate_utf16(base, 31 - suffix.len())
                    .trim_end_matches(|c: char| c == '\'' || c.is_whitespace())
            );
            if self.taken.insert(name.to_lowercase()) {
                return name;
            }
        }
        // Unreachable in practice: u32 names run out long after Excel's sheet limit.
        base.to_string()
    }
}

/// The longest prefix of `s` of at most `max` UTF-16 units.
pub(super) fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}
