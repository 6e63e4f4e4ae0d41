//! Columns whose values say what they are (codes, comunas, dates), for the best few candidates:
//! a column the header left unread takes a field its values fit, and an unused column notes the
//! field its values resemble.
//!
//! Reads values under a candidate header; must not look for the header row.

use std::collections::{HashMap, HashSet};

use super::candidate::Candidate;
use super::{
    Header, MatchKind, Role, CONTENT_MIN_VALUES, CONTENT_ROWS, CONTENT_SHARE, RESEMBLE_SHARE,
};
use crate::standard::schema::{Dataset, FieldType};
use crate::standard::sheet::{Cell, RawSheet};
use crate::standard::values;
use crate::standard::{ReadingReason, Standard};

/// Whether a field can be told from its column's values: codes, comunas and dates. Measures
/// and free text never are.
fn by_content(dataset: &Dataset, field: usize) -> bool {
    dataset.fields.get(field).is_some_and(|f| {
        f.code_list.is_some()
            || f.parse.as_deref() == Some("comuna")
            || matches!(f.field_type, FieldType::Date | FieldType::Yearmonth)
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
    pub(super) fn new(
        sheet: &'a RawSheet,
        standard: &'a Standard,
        dataset: &'a Dataset,
        data_start: usize,
    ) -> ContentScan<'a> {
        ContentScan {
            sheet,
            standard,
            dataset,
            data_start,
            counts: HashMap::new(),
            full: HashMap::new(),
        }
    }

    /// (values of the field's kind, non-empty values) in the column's first data rows; the
    /// scan stops early once the values can no longer be [`CONTENT_SHARE`] of the field's kind,
    /// so a column of free text costs a few cells.
    pub(super) fn count(&mut self, col: usize, field: usize) -> (usize, usize) {
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
        let Some(field) = self.dataset.fields.get(field_index) else {
            return (0, 0);
        };
        let lex = &self.standard.lexicon;
        let list = field
            .code_list
            .as_ref()
            .and_then(|l| self.standard.code_lists.get(l));
        let comuna = field.parse.as_deref() == Some("comuna");
        let (mut hits, mut written_out, mut seen) = (0usize, 0usize, 0usize);
        // The most values the scan can see.
        let most = self
            .sheet
            .rows
            .len()
            .saturating_sub(self.data_start)
            .min(CONTENT_ROWS);
        for row in self
            .sheet
            .rows
            .iter()
            .skip(self.data_start)
            .take(CONTENT_ROWS)
        {
            let cell = row.cell(col);
            if values::is_missing(cell, lex) || cell.text().is_some_and(|t| lex.is_totals_word(t)) {
                continue;
            }
            seen += 1;
            let hit = if let Some(list) = list {
                cell.text()
                    .is_some_and(|t| list.lookup(&self.dataset.name, t).is_some())
            } else if comuna {
                // A bare number is any count; `Comuna 4`, `C.4`, `IV` are comunas.
                let valid = values::parse_comuna(cell, lex).is_ok_and(|n| (1..=15).contains(&n));
                let spelled = cell
                    .text()
                    .is_some_and(|t| t.chars().any(char::is_alphabetic));
                written_out += usize::from(valid && spelled);
                valid
            } else {
                match field.field_type {
                    FieldType::Date => {
                        matches!(cell, Cell::Date(_))
                            || (matches!(cell, Cell::Text(_))
                                && values::parse_date(cell, lex).is_ok())
                    }
                    FieldType::Yearmonth => {
                        !matches!(cell, Cell::Number(_))
                            && values::parse_yearmonth(cell, lex).is_ok()
                    }
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
        (seen >= CONTENT_MIN_VALUES && hits as f64 >= CONTENT_SHARE * seen as f64)
            .then_some((hits, seen))
    }
}

/// Lets the values decide where the header could not: each field that content can tell and no
/// header named goes to the unused (or weakly named) column whose values are nearly all of its
/// kind; ties between equally named columns go to the one whose values fit.
pub(super) fn apply_content(
    candidate: &mut Candidate,
    sheet: &RawSheet,
    standard: &Standard,
    mapping_cols: &HashSet<usize>,
) {
    let dataset = &standard.datasets[candidate.header.dataset];
    let header = &mut candidate.header;
    let mut scan = ContentScan::new(sheet, standard, dataset, header.data_start);
    let width = header.roles.len().max(
        sheet
            .rows
            .iter()
            .skip(header.data_start)
            .take(CONTENT_ROWS)
            .map(|r| r.cells.len())
            .max()
            .unwrap_or(0),
    );
    header.roles.resize(width, Role::Empty);
    header.labels.resize(width, String::new());
    header
        .reasons
        .resize(width, ReadingReason::SinUso { parecido: None });
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
            header.reasons[col] = ReadingReason::Contenido {
                coinciden: hits,
                de: seen,
                lista,
            };
            candidate.strengths[col] = None;
        }
    }
}

/// What a field's values are called in a column's reading: the code list's name, or
/// the messages' words for comunas, dates and periods.
fn content_kind(standard: &Standard, dataset: &Dataset, field: usize) -> String {
    let Some(f) = dataset.fields.get(field) else {
        return String::new();
    };
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
pub(super) fn note_resemblances(header: &mut Header, sheet: &RawSheet, standard: &Standard) {
    let dataset = &standard.datasets[header.dataset];
    let mut scan = ContentScan::new(sheet, standard, dataset, header.data_start);
    let used: HashSet<usize> = header
        .roles
        .iter()
        .filter_map(|r| {
            if let Role::Field(i) = r {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    for col in 0..header.roles.len() {
        if !matches!(header.roles[col], Role::Unmapped | Role::Empty) {
            continue;
        }
        let mut best: Option<(usize, usize, usize)> = None;
        for field in
            (0..dataset.fields.len()).filter(|f| by_content(dataset, *f) && !used.contains(f))
        {
            let (hits, seen) = scan.resemblance(col, field);
            if seen > 0
                && hits as f64 >= RESEMBLE_SHARE * seen as f64
                && best.is_none_or(|(_, h, _)| hits > h)
            {
                best = Some((field, hits, seen));
            }
        }
        header.resembles[col] = best;
        if let (Some((field, ..)), ReadingReason::SinUso { parecido }) =
            (best, &mut header.reasons[col])
        {
            *parecido = Some(dataset.fields[field].name.clone());
        }
    }
}
