//! Finding the header and what each column means, the way a person reads a sheet: title lines
//! and empty columns before it, a two-row header under merged parent cells, header words with
//! qualifiers, units and clauses around them (`Barrio donde se realizó`, `Participantes (en
//! personas)`), age bands in any words, wide month columns, personal-data columns, columns
//! whose values say what they are, the operator's mapping, and which dataset the sheet holds.
//!
//! Pure: everything comes in the sheet, the [`Standard`] and the mapping. It must not depend on
//! `ingest`, `store` or any I/O.
//!
//! The rooms: this file tries each row as a header (`find_header`) and holds what it finds;
//! `matcher` reads header words as fields; `candidate` makes columns compete for fields and
//! scores a reading; `content` lets the values decide what the headers could not; `two_rows`
//! joins a two-row header under merged parent cells.

mod candidate;
mod content;
mod matcher;
#[cfg(test)]
mod tests;
mod two_rows;

use std::cmp::Reverse;
use std::collections::HashSet;

use super::fold::fold;
use super::schema::Dataset;
use super::sheet::{Cell, RawSheet};
use super::{ReadingReason, Standard};

use candidate::{assign, evaluate, label_of, Assigned, Candidate, Reading};
use content::{apply_content, note_resemblances};
use matcher::ClaimCache;
pub use matcher::{label_candidates, Matcher};
use two_rows::{joined_labels, looks_like_data, merged_parent, parent_columns};

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

/// The operator's mapping for this file: folded header text → field name (`ignorar` leaves
/// the column unused).
pub type ColumnMap = [(String, String)];

/// The word in a mapping that leaves a column unused.
pub const MAPPING_IGNORE: &str = "ignorar";

/// Finds the header and dataset of a sheet among `datasets` (all, or the one a pin names).
///
/// Every row of the first [`HEADER_SCAN_ROWS`] with two labels is tried as a header, alone and
/// with the row below (always with it when a merged parent spans labels there), for every
/// dataset; columns compete for fields by header words; the best few candidates then let the
/// values decide what the headers could not. Returns `None` when no row looks like a header of
/// any dataset: at least two fields with every required one present, or three fields (then the
/// missing ones are `missing-label`).
pub fn find_header(
    sheet: &RawSheet,
    datasets: &[(usize, &Dataset, &Matcher)],
    standard: &Standard,
    mapping: &ColumnMap,
) -> Option<Header> {
    let lex = &standard.lexicon;
    let mapping: Vec<(String, String)> =
        mapping.iter().map(|(k, v)| (fold(k), v.clone())).collect();
    let mut cache = ClaimCache::default();
    let mut candidates: Vec<Candidate> = Vec::new();
    let scan = sheet.rows.len().min(HEADER_SCAN_ROWS);
    for r in 0..scan {
        let row = &sheet.rows[r];
        if row
            .cells
            .iter()
            .filter(|c| matches!(c, Cell::Text(t) if !t.trim().is_empty()))
            .count()
            < 2
        {
            continue;
        }
        let parent_labels: Vec<String> = row.cells.iter().map(|c| label_of(c, lex)).collect();
        let child = sheet.rows.get(r + 1);
        let structural = merged_parent(sheet, r);
        // A row holding numbers or dates is data, not the lower half of a header (unless a merged
        // parent above says otherwise).
        let child = child.filter(|c| structural || !looks_like_data(c, lex));
        let parents = child
            .map(|c| {
                parent_columns(
                    sheet,
                    r,
                    &parent_labels,
                    parent_labels.len().max(c.cells.len()),
                )
            })
            .unwrap_or_default();
        let joined = child.map(|c| joined_labels(&parent_labels, c, &parents));
        for &(di, dataset, matcher) in datasets {
            let reading = Reading {
                di,
                dataset,
                matcher,
                mapping: &mapping,
                lex,
            };
            let claims = reading.claims(&parent_labels, &mut cache);
            let (roles, reasons, strengths, ties) = assign(&claims);
            let single = evaluate(
                di,
                dataset,
                Assigned {
                    roles,
                    reasons,
                    strengths,
                    ties,
                },
                parent_labels.clone(),
                r + 1,
                vec![row.number],
            );
            let mut candidate = single;
            if let (Some(child), Some(joined)) = (child, &joined) {
                let claims = reading.double_claims(&parents, child, joined, &mut cache);
                let (roles, reasons, strengths, ties) = assign(&claims);
                let double = evaluate(
                    di,
                    dataset,
                    Assigned {
                        roles,
                        reasons,
                        strengths,
                        ties,
                    },
                    joined.clone(),
                    r + 2,
                    vec![row.number, child.number],
                );
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
            .filter(|(c, r)| {
                **r == ReadingReason::Mapeo
                    || (!mapping.is_empty()
                        && candidate
                            .header
                            .labels
                            .get(*c)
                            .is_some_and(|l| mapping.iter().any(|(k, _)| *k == fold(l))))
            })
            .map(|(c, _)| c)
            .collect();
        apply_content(&mut candidate, sheet, standard, &mapping_cols);
        let dataset = &standard.datasets[candidate.header.dataset];
        let Header {
            dataset: di,
            data_start,
            header_rows,
            roles,
            labels,
            reasons,
            ties,
            ..
        } = candidate.header;
        let strengths = candidate.strengths;
        let rescored = evaluate(
            di,
            dataset,
            Assigned {
                roles,
                reasons,
                strengths,
                ties,
            },
            labels,
            data_start,
            header_rows,
        );
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
            let ignored = header
                .roles
                .get(c)
                .is_some_and(|r| matches!(r, Role::Unmapped | Role::Empty))
                && mapping
                    .iter()
                    .any(|(k, v)| v == MAPPING_IGNORE && *k == fold(label));
            if let (true, Some(reason)) = (ignored, header.reasons.get_mut(c)) {
                *reason = ReadingReason::Mapeo;
            }
        }
        header
    })
}
