//! Code lists (`programas`, `barrios`, `estados`, `modalidades`): matching a written value to its
//! code by code, name or alias, ignoring case, accents, punctuation and spacing — and nothing
//! more. An unknown value gets the closest known name as a suggestion. Pure: parses CSV text
//! handed to it.

use std::collections::HashMap;

use super::fold::fold;
use super::StandardError;

/// One code and its columns.
#[derive(Debug, Clone)]
pub struct CodeEntry {
    /// The code as stored and exported (first column).
    pub code: String,
    /// Display name (`nombre` column), or the code.
    pub name: String,
    /// Every other column by header (`comuna`, `dataset`, `orden`…).
    pub columns: HashMap<String, String>,
}

/// A code list, with an index per `dataset` scope when the list has a `dataset` column.
#[derive(Debug, Clone)]
pub struct CodeList {
    /// List name (file stem).
    pub name: String,
    /// Entries in file order.
    pub entries: Vec<CodeEntry>,
    /// scope → folded word → entry index. Scope is the `dataset` column or empty.
    index: HashMap<String, rustc_hash::FxHashMap<String, usize>>,
    scoped: bool,
}

impl CodeList {
    /// Parses a code list CSV: first column the code, optional `nombre` and `alias`
    /// (`|`-separated) columns, any other columns kept.
    pub fn parse(name: &str, csv_text: &str) -> Result<CodeList, StandardError> {
        let bad = |line: Option<usize>, problem: String| StandardError::CodeList {
            list: name.to_string(),
            line,
            problem,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(csv_text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| bad(None, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if headers.is_empty() {
            return Err(bad(None, "no header".to_string()));
        }
        let scoped = headers.iter().any(|h| h == "dataset");
        let mut list = CodeList {
            name: name.to_string(),
            entries: Vec::new(),
            index: HashMap::new(),
            scoped,
        };
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(Some(line + 2), e.to_string()))?;
            let mut columns: HashMap<String, String> = headers
                .iter()
                .cloned()
                .zip(record.iter().map(|v| v.trim().to_string()))
                .collect();
            let code = columns.remove(&headers[0]).unwrap_or_default();
            if code.is_empty() {
                return Err(bad(Some(line + 2), "empty code".to_string()));
            }
            let entry_name = columns
                .get("nombre")
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| code.clone());
            let scope = if scoped {
                columns.get("dataset").cloned().unwrap_or_default()
            } else {
                String::new()
            };
            let idx = list.entries.len();
            let mut words = vec![code.clone(), entry_name.clone()];
            if let Some(aliases) = columns.get("alias") {
                words.extend(aliases.split('|').map(str::to_string));
            }
            for w in words {
                let key = fold(&w);
                if key.is_empty() {
                    continue;
                }
                let words = list.index.entry(scope.clone()).or_default();
                if let Some(&other) = words.get(&key) {
                    if other != idx {
                        let other_code = list
                            .entries
                            .get(other)
                            .map(|e| e.code.as_str())
                            .unwrap_or_default();
                        return Err(bad(
                            None,
                            format!("«{w}» names both {other_code} and {code}"),
                        ));
                    }
                }
                words.insert(key, idx);
            }
            list.entries.push(CodeEntry {
                code,
                name: entry_name,
                columns,
            });
        }
        Ok(list)
    }

    fn scope<'a>(&self, dataset: &'a str) -> &'a str {
        if self.scoped {
            dataset
        } else {
            ""
        }
    }

    /// The entry a written value names, within `dataset`'s scope.
    pub fn lookup(&self, dataset: &str, written: &str) -> Option<&CodeEntry> {
        self.index
            .get(self.scope(dataset))?
            .get(&fold(written))
            .and_then(|&i| self.entries.get(i))
    }

    /// The entry with exactly this code, within `dataset`'s scope.
    pub fn by_code(&self, dataset: &str, code: &str) -> Option<&CodeEntry> {
        let scope = self.scope(dataset);
        self.entries.iter().find(|e| {
            e.code == code
                && (!self.scoped || e.columns.get("dataset").map(String::as_str) == Some(scope))
        })
    }

    /// The display name of the known value closest to `written` (for "¿Quiso decir…?"), when one
    /// is close enough to be a plausible typo; a far-off value gets no suggestion rather than a
    /// misleading one.
    pub fn suggest(&self, dataset: &str, written: &str) -> Option<&str> {
        let target = fold(written);
        self.index
            .get(self.scope(dataset))?
            .iter()
            .map(|(word, &i)| (strsim::jaro_winkler(&target, word), i))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .filter(|(score, _)| *score >= 0.8)
            .and_then(|(_, i)| self.entries.get(i))
            .map(|e| e.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn barrios() -> CodeList {
        CodeList::parse(
            "barrios",
            crate::config::embedded::code_list("barrios").unwrap_or_default(),
        )
        .expect("barrios parse")
    }

    fn programas() -> CodeList {
        CodeList::parse(
            "programas",
            crate::config::embedded::code_list("programas").unwrap_or_default(),
        )
        .expect("programas parse")
    }

    #[test]
    fn barrios_match_by_name_alias_case_and_accents() {
        let b = barrios();
        for (written, code) in [
            ("villa soldati", "VILLA SOLDATI"),
            ("AGRONOMÍA", "AGRONOMIA"),
            ("La Boca", "BOCA"),
            ("la boca", "BOCA"),
            ("Paternal", "PATERNAL"),
            ("Nunez", "NUÑEZ"),
            ("núñez", "NUÑEZ"),
            ("Villa General Mitre", "VILLA GRAL. MITRE"),
            ("Vélez Sársfield", "VELEZ SARSFIELD"),
            ("Constitucion", "CONSTITUCION"),
            ("Montserrat", "MONSERRAT"),
        ] {
            assert_eq!(
                b.lookup("instancias", written).map(|e| e.code.as_str()),
                Some(code),
                "{written}"
            );
        }
        assert!(b.lookup("instancias", "Springfield").is_none());
        assert_eq!(
            b.lookup("instancias", "Almagro")
                .and_then(|e| e.columns.get("comuna"))
                .map(String::as_str),
            Some("5")
        );
    }

    #[test]
    fn programas_are_scoped_by_dataset() {
        let p = programas();
        assert_eq!(
            p.lookup("instancias", "Comisaria Cercana")
                .map(|e| e.code.as_str()),
            Some("comisarias_cercanas")
        );
        assert_eq!(
            p.lookup("reconocimientos", "Programa de Incentivos")
                .map(|e| e.code.as_str()),
            Some("incentivos_reciclaje")
        );
        assert!(p.lookup("reconocimientos", "Comisarías Cercanas").is_none());
        assert_eq!(
            p.lookup("iniciativas", "ba_elige").map(|e| e.code.as_str()),
            Some("ba_elige")
        );
    }

    #[test]
    fn unknown_values_get_the_closest_name() {
        assert_eq!(
            barrios().suggest("instancias", "Palermo Soho"),
            Some("Palermo")
        );
        assert_eq!(
            barrios().suggest("instancias", "Villa Pueyreddon"),
            Some("Villa Pueyrredón")
        );
        assert_eq!(
            barrios().suggest("instancias", "Costitucion"),
            Some("Constitución")
        );
        assert_eq!(barrios().suggest("instancias", "Springfield"), None);
        let estados = CodeList::parse(
            "estados",
            crate::config::embedded::code_list("estados").unwrap_or_default(),
        )
        .expect("estados");
        assert_eq!(
            estados.suggest("iniciativas", "Finalisada"),
            Some("Finalizada")
        );
    }
}
