//! Text measurement with the two embedded DejaVu Sans faces: text styles, widths, line
//! breaking (`Fonts::wrap`), shortening with «…» (`Fonts::fit`).
//!
//! Measures and nothing else: it must not place items on a page or touch printpdf (a face's
//! glyph advances are read in `write`, the one file that does).

use super::write::Face;
use super::Colour;
use crate::report::ReportError;

/// DejaVu Sans 2.37 (Bitstream Vera licence, `reports/fonts/LICENSE-DejaVu.txt`): an open font
/// with every character Spanish needs, embedded so the report prints the same everywhere.
const REGULAR_TTF: &[u8] = include_bytes!("../../../reports/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37.
const BOLD_TTF: &[u8] = include_bytes!("../../../reports/fonts/DejaVuSans-Bold.ttf");
// ---------------------------------------------------------------------------------------------
// Fonts and text measurement
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// A text style: size in points, weight and colour.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) size: f32,
    pub(super) weight: Weight,
    pub(super) colour: Colour,
}

pub(super) const fn style(size: f32, weight: Weight, colour: Colour) -> Style {
    Style {
        size,
        weight,
        colour,
    }
}

impl Face {
    /// The text as it will be drawn: control characters become spaces and characters the
    /// font lacks become the fallback, so what is measured is what is printed.
    pub(super) fn clean(&self, text: &str) -> String {
        text.chars()
            .filter(|c| *c != '\u{AD}' && *c != '\r')
            .map(|c| {
                if c.is_control() {
                    ' '
                } else if self.has(c) {
                    c
                } else {
                    self.fallback
                }
            })
            .collect()
    }

    /// Width of a text at `size` points: the sum of its glyph advances (printpdf writes text
    /// without kerning, so this is exactly what a reader's viewer draws).
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Fonts {
    pub(super) fn load() -> Result<Fonts, ReportError> {
        Ok(Fonts {
            regular: Face::load(REGULAR_TTF, "DejaVuSans")?,
            bold: Face::load(BOLD_TTF, "DejaVuSans-Bold")?,
        })
    }

    pub(super) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub(super) fn width(&self, text: &str, st: Style) -> f32 {
        self.face(st.weight).width(text, st.size)
    }

    /// Breaks `text` into lines no wider than `max_w`. Lines break at spaces, and also after
    /// «/», «_» and «-» so file paths and identifiers wrap where a reader expects; a word
    /// longer than a whole line (a SHA-256) is broken between characters, never cut. A
    /// newline in the text starts a new line. Always at least one line.
    pub(super) fn wrap(&self, text: &str, st: Style, max_w: f32) -> Vec<String> {
        let face = self.face(st.weight);
        let space = face.width(" ", st.size);
        let mut out = Vec::new();
        for paragraph in text.split('\n') {
            let paragraph = face.clean(paragraph);
            let mut line = String::new();
            let mut line_w = 0.0;
            let mut space_before = false;
            for (atom, space_after) in atoms(&paragraph) {
                if atom.is_empty() {
                    space_before |= space_after;
                    continue;
                }
                let atom_w = face.width(atom, st.size);
                let gap = if space_before && !line.is_empty() {
                    space
                } else {
                    0.0
                };
                if line_w + gap + atom_w <= max_w {
                    if gap > 0.0 {
                        line.push(' ');
                    }
                    line.push_str(atom);
                    line_w += gap + atom_w;
                } else {
                    if !line.is_empty() {
                        out.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    if atom_w <= max_w {
                        line.push_str(atom);
                        line_w = atom_w;
                    } else {
                        // Longer than a line: fill lines character by character (at least one
                        // character per line, so a very narrow column still terminates).
                        for c in atom.chars() {
                            let w = face.advance(c) * st.size;
                            if !line.is_empty() && line_w + w > max_w {
                                out.push(std::mem::take(&mut line));
                                line_w = 0.0;
                            }
                            line.push(c);
                            line_w += w;
                        }
                    }
                }
                space_before = space_after;
            }
            out.push(line);
        }
        if out.is_empty() {
            out.push(String::new());
        }
        out
    }

    /// Like [`Fonts::wrap`], but at most `max_lines` lines; the last one ends in «…» when
    /// text was left out. Only for chart labels and running headers, never for table cells.
    pub(super) fn wrap_max(
        &self,
        text: &str,
        st: Style,
        max_w: f32,
        max_lines: usize,
    ) -> Vec<String> {
        let mut lines = self.wrap(text, st, max_w);
        if lines.len() > max_lines.max(1) {
            lines.truncate(max_lines.max(1));
            if let Some(last) = lines.last_mut() {
                *last = self.fit(&format!("{last}…"), st, max_w);
                if !last.ends_with('…') {
                    last.push('…');
                }
            }
        }
        lines
    }

    /// The text, shortened with «…» if needed to fit in `max_w` on one line.
    pub(super) fn fit(&self, text: &str, st: Style, max_w: f32) -> String {
        let face = self.face(st.weight);
        let text = face.clean(&text.replace('\n', " "));
        if face.width(&text, st.size) <= max_w {
            return text;
        }
        let ellipsis = face.width("…", st.size);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = face.advance(c) * st.size;
            if w + cw + ellipsis > max_w {
                break;
            }
            out.push(c);
            w += cw;
        }
        let mut out = out.trim_end().to_string();
        out.push('…');
        out
    }

    /// Width of the longest unbreakable piece of `text` (see [`Fonts::wrap`]).
    pub(super) fn longest_atom(&self, text: &str, st: Style) -> f32 {
        let face = self.face(st.weight);
        text.split('\n')
            .flat_map(|p| {
                atoms(p)
                    .map(|(a, _)| face.width(a, st.size))
                    .collect::<Vec<_>>()
            })
            .fold(0.0, f32::max)
    }

    /// Width of the widest line of `text` when not wrapped.
    pub(super) fn natural_width(&self, text: &str, st: Style) -> f32 {
        let face = self.face(st.weight);
        text.split('\n')
            .map(|p| face.width(&face.clean(p), st.size))
            .fold(0.0, f32::max)
    }
}

/// Splits a line into unbreakable pieces: each piece ends before a space (then `true`: a space
/// follows, dropped at a line end) or after «/», «_» or «-».
fn atoms(text: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        for (i, c) in rest.char_indices() {
            if c == ' ' {
                let atom = &rest[..i];
                rest = &rest[i + 1..];
                return Some((atom, true));
            }
            if matches!(c, '/' | '_' | '-') && i > 0 {
                let end = i + c.len_utf8();
                let atom = &rest[..end];
                rest = &rest[end..];
                return Some((atom, false));
            }
        }
        let atom = rest;
        rest = "";
        Some((atom, false))
    })
}
