//! One reading of a sheet as a dataset: columns compete for fields (strongest claim first,
//! leftmost on a tie), and the reading is scored against the other candidates.
//!
//! Works on labels and claims: must not read the values under the header.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use super::matcher::{Claim, ClaimCache, FieldClaim, Matcher};
use super::{Header, MatchKind, Role, Strength, Tie, MAPPING_IGNORE};
use crate::standard::fold::fold;
use crate::standard::lexicon::Lexicon;
use crate::standard::schema::Dataset;
use crate::standard::sheet::Cell;
use crate::standard::ReadingReason;

/// A header cell as a label. A date cell in a header names a month (`ene-19` formatted).
pub(super) fn label_of(cell: &Cell, lex: &Lexicon) -> String {
    match cell {
        Cell::Text(t) => t.trim().to_string(),
        Cell::Number(n) => crate::standard::sheet::format_number(*n),
        Cell::Date(d) => {
            use chrono::Datelike;
            lex.month_name(d.month())
                .map(|m| format!("{m} {}", d.year()))
                .unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// Score of a candidate header, compared lexicographically: all required present first, then
/// fewer missing required fields, then more fields matched, then stronger matches.
type Score = (bool, i64, usize, usize);

#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) score: Score,
    /// Required fields present as columns.
    required_present: usize,
    /// Fields present that are not codes or comunas (a measure, a date, free text).
    measures_present: usize,
    /// How each column got its field (for content to overrule weak ones).
    pub(super) strengths: Vec<Option<Strength>>,
    /// A required field is absent because the sheet holds city-wide rows.
    city_wide: bool,
    pub(super) header: Header,
}

impl Candidate {
    /// Whether the header is a dataset's at all: every required field and two fields, or three
    /// fields including a required one and a measure. A sheet of dropdown lists (`Programa |
    /// Barrio | Comuna`) is only codes, and is skipped rather than rejected.
    /// A sheet whose required place is absent (city-wide rows) needs a third field, so a list
    /// of programmes and dates alone is not taken for data.
    pub(super) fn eligible(&self) -> bool {
        let enough = if self.city_wide { 3 } else { 2 };
        (self.score.0 && self.score.2 >= enough)
            || (self.score.2 >= 3 && self.required_present >= 1 && self.measures_present >= 1)
    }
}

/// Columns compete for fields: every (column, field) claim, strongest first, leftmost first on
/// equal strength; each column and each field is taken once. Returns roles, reasons, the
/// strength each field column won with, and the ties.
pub(super) fn assign(
    claims: &[Claim],
) -> (
    Vec<Role>,
    Vec<ReadingReason>,
    Vec<Option<Strength>>,
    Vec<Tie>,
) {
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
                roles[c] = Role::Wide {
                    field: *field,
                    month: *month,
                    year: *year,
                };
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
            if s == strength
                && strengths[c].is_none()
                && chosen != c
                && !ties.iter().any(|t: &Tie| t.other == c)
            {
                ties.push(Tie {
                    field: claim.field,
                    chosen,
                    other: c,
                });
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
            ReadingReason::Encabezado {
                palabras: claim.word.clone(),
            }
        };
    }
    // A tie whose losing column found another field is no tie.
    ties.retain(|t| strengths[t.other].is_none());
    (roles, reasons, strengths, ties)
}

/// Applies the wide-layout rules and finds the required fields missing; scores the result.
pub(super) fn evaluate(
    dataset_index: usize,
    dataset: &Dataset,
    parts: Assigned,
    labels: Vec<String>,
    data_start: usize,
    header_rows: Vec<u32>,
) -> Candidate {
    let Assigned {
        mut roles,
        mut reasons,
        strengths,
        ties,
    } = parts;
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
    let wide_active = wide_complete
        || (!wide_fields.is_empty() && wide_fields.iter().all(|f| !matched.contains(f)));
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
    let period_field = dataset
        .wide
        .as_ref()
        .and_then(|w| dataset.field_index(&w.period_field));
    let mut missing_required = Vec::new();
    let mut city_wide = false;
    for (i, field) in dataset.fields.iter().enumerate() {
        if !field.constraints.required || matched.contains(&i) || field.default.is_some() {
            continue;
        }
        let source = field
            .derive
            .as_ref()
            .and_then(|d| dataset.field_index(&d.from));
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
    let quality: usize = strengths
        .iter()
        .flatten()
        .map(|s| s.kind as usize + 1)
        .sum();
    let score = (
        missing_required.is_empty(),
        -(missing_required.len() as i64),
        matched.len(),
        quality,
    );
    let required_present = matched
        .iter()
        .filter(|&&i| dataset.fields[i].constraints.required)
        .count();
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
pub(super) struct Assigned {
    pub(super) roles: Vec<Role>,
    pub(super) reasons: Vec<ReadingReason>,
    pub(super) strengths: Vec<Option<Strength>>,
    pub(super) ties: Vec<Tie>,
}

/// What reading a row of labels for one dataset needs.
pub(super) struct Reading<'a> {
    pub(super) di: usize,
    pub(super) dataset: &'a Dataset,
    pub(super) matcher: &'a Matcher,
    /// Folded header text → field name.
    pub(super) mapping: &'a [(String, String)],
    pub(super) lex: &'a Lexicon,
}

impl Reading<'_> {
    /// Claims for a row of labels, the operator's mapping first.
    pub(super) fn claims(&self, labels: &[String], cache: &mut ClaimCache) -> Vec<Claim> {
        labels
            .iter()
            .map(|label| self.claim(label, cache))
            .collect()
    }

    pub(super) fn claim(&self, label: &str, cache: &mut ClaimCache) -> Claim {
        if !self.mapping.is_empty() && !label.trim().is_empty() {
            let folded = fold(label);
            if let Some((_, field)) = self.mapping.iter().find(|(k, _)| *k == folded) {
                if field == MAPPING_IGNORE {
                    return Claim::Fields(Vec::new());
                }
                if let Some(i) = self.dataset.field_index(field) {
                    let strength = Strength {
                        kind: MatchKind::Mapping,
                        words: 0,
                        extra: Reverse(0),
                    };
                    return Claim::Fields(vec![FieldClaim {
                        field: i,
                        strength,
                        word: label.to_string(),
                    }]);
                }
            }
        }
        cache.claim(self.di, self.matcher, label, self.lex)
    }

    /// Claims of a two-row header: the joined label's, unless the child alone says more (a
    /// child `Programa` under a parent `Datos de la actividad`).
    pub(super) fn double_claims(
        &self,
        parents: &[Option<usize>],
        child: &crate::standard::sheet::RawRow,
        joined: &[String],
        cache: &mut ClaimCache,
    ) -> Vec<Claim> {
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
                if child_label.is_empty()
                    || !has_parent
                    || matches!(claim, Claim::Wide { .. } | Claim::Personal | Claim::Year)
                {
                    return claim;
                }
                let alone = self.claim(&child_label, cache);
                // `Nombre` under `Programa` is the programme's name, not a person's.
                let only_name_words = fold(&child_label)
                    .split(' ')
                    .all(|t| self.lex.is_name_word(t));
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
