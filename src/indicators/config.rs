//! `indicadores.toml`: the commitment and its indicators, as data (STANDARD.md §7).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::period::{Month, Period};
use crate::standard::schema::FieldType;
use crate::standard::Standard;

/// Years before the commitment's start a period may fall in ([`IndicatorsConfig::months_window`]).
pub const YEARS_BEFORE_START: i32 = 5;
/// Years after the commitment's start a period may fall in.
pub const YEARS_AFTER_START: i32 = 10;

/// The largest `escala`, `meta` or `linea_base` (a billion).
pub const MAX_FIGURE: f64 = 1e9;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsConfig {
    /// The commitment the report accounts for.
    pub compromiso: Commitment,
    /// How each dataset's rows fall in a period, by dataset name.
    #[serde(default)]
    pub datasets: BTreeMap<String, Dating>,
    /// The indicators, one report section each, in report order.
    pub indicadores: Vec<IndicatorDef>,
}

/// The commitment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Code, e.g. `BUE0008`.
    pub codigo: String,
    /// Title in Spanish.
    pub titulo_es: String,
    /// Title in English.
    pub titulo_en: String,
    /// Who publishes the report (PDF and workbook author).
    pub autor: String,
    /// First month (`YYYY-MM`): cumulative figures count from it.
    pub inicio: String,
}

/// How a dataset's rows are dated, and what an empty field of theirs means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dating {
    /// The date (or year-month) field that places a row in a period.
    pub fecha: String,
    /// For snapshot datasets: a report shows each item as it stood at the period's close.
    #[serde(default)]
    pub estado_al_cierre: bool,
    /// Fields whose empty value means something, by field name, with the name of the line
    /// that gathers those rows in a breakdown (an instance without a comuna is city-wide:
    /// «Toda la ciudad»). Such rows reach no member of the field's universe, and the
    /// published schema does not declare the field required.
    #[serde(default)]
    pub sin_dato: BTreeMap<String, EmptyLabel>,
}

/// The name of the line of rows that leave a field empty, in each language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyLabel {
    /// Spanish.
    pub es: String,
    /// English.
    pub en: String,
}

/// What an indicator measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Rows.
    Count,
    /// Sum of a field.
    Sum,
    /// Mean of a field over the rows where it is present.
    Mean,
    /// Number of different values of a field.
    Distinct,
    /// numerator / denominator × scale.
    Ratio,
}

/// A row filter value: one value, any of several, `*` (present) or `>=Nd` (a date at least N
/// days before the period's close).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    /// One value (or `*`, or `>=90d`).
    One(String),
    /// Any of these values.
    Any(Vec<String>),
}

/// One side of a ratio.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// `count` or `sum`.
    pub medida: Measure,
    /// The field summed.
    pub campo: Option<String>,
    /// Rows this side counts.
    #[serde(default)]
    pub filtro: BTreeMap<String, FilterValue>,
}

/// Chart shape chosen for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartChoice {
    /// Vertical bars.
    Columnas,
    /// Horizontal bars.
    Barras,
    /// A line (cumulative by month against the target).
    Linea,
    /// Stacked columns: the values of `evolucion` at each month's close.
    Apiladas,
}

/// One indicator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    /// Unique id (sheet names, anchors).
    pub id: String,
    /// Spanish title.
    pub titulo_es: String,
    /// English title.
    pub titulo_en: String,
    /// Spanish description.
    pub descripcion_es: String,
    /// English description.
    pub descripcion_en: String,
    /// Dataset name.
    pub dataset: String,
    /// The measure.
    pub medida: Measure,
    /// Field of `sum`, `mean` and `distinct`.
    pub campo: Option<String>,
    /// Fields summed side by side (age bands), instead of `campo`.
    #[serde(default)]
    pub campos: Vec<String>,
    /// Rows the indicator counts.
    #[serde(default)]
    pub filtro: BTreeMap<String, FilterValue>,
    /// Numerator of a ratio.
    pub numerador: Option<Part>,
    /// Denominator of a ratio.
    pub denominador: Option<Part>,
    /// A ratio's scale: 1 gives a share (printed as %), 100 "per 100".
    pub escala: Option<f64>,
    /// Breakdowns: dataset fields, `mes` (the row's month) or `organismo` (who sent it).
    #[serde(default)]
    pub por: Vec<String>,
    /// Also the cumulative value since the commitment's start.
    #[serde(default)]
    pub acumulado: bool,
    /// Target, in the value's unit (cumulative when `acumulado`).
    pub meta: Option<f64>,
    /// Baseline, in the value's unit.
    pub linea_base: Option<f64>,
    /// Code list (or `comunas`) whose size is the denominator of a `distinct`.
    pub universo: Option<String>,
    /// Headline on the summary page.
    #[serde(default)]
    pub resumen: bool,
    /// The headline's label on the summary page in Spanish, when the title does not fit it.
    pub resumen_es: Option<String>,
    /// The same in English.
    pub resumen_en: Option<String>,
    /// Chart of the first breakdown.
    pub grafico: Option<ChartChoice>,
    /// Its chart also goes on the summary page.
    #[serde(default)]
    pub grafico_en_resumen: bool,
    /// Fields of the period's rows listed one by one (the instances with their results).
    #[serde(default)]
    pub listado: Vec<String>,
    /// The most rows the listing holds (default [`super::followup::LISTING_MAX_ROWS`]).
    pub listado_maximo: Option<u32>,
    /// The listing's title in Spanish (its table, its workbook sheet).
    pub listado_titulo_es: Option<String>,
    /// The same in English.
    pub listado_titulo_en: Option<String>,
    /// Organismos whose value (by `organismo`) is below this are a data-quality finding.
    pub minimo_por_organismo: Option<f64>,
    /// For a dataset shown at the close: the field counted at each month's close since the
    /// commitment's start, and whose changes in the period are counted.
    pub evolucion: Option<String>,
    /// For a dataset shown at the close: each item's trajectory.
    pub trayectorias: Option<super::followup::TrajectoryDef>,
}

/// Why `indicadores.toml` is not usable, or a period is outside the commitment's years. The
/// message names the key or the indicator.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorsError {
    /// The TOML does not parse, or has a key it should not.
    #[error(transparent)]
    Syntax(#[from] toml::de::Error),
    /// `compromiso.inicio` is not a month.
    #[error("compromiso.inicio: «{0}» no es un mes AAAA-MM")]
    Start(String),
    /// A period outside [`IndicatorsConfig::months_window`].
    #[error("el período {period} está fuera de los años del compromiso (compromiso.inicio = {start} en indicadores.toml): se admiten períodos entre {first} y {last}")]
    Outside {
        /// The period asked for.
        period: Period,
        /// `compromiso.inicio` as written.
        start: String,
        /// The first month allowed.
        first: Month,
        /// The last month allowed.
        last: Month,
    },
    /// `[datasets.<key>]` is wrong: the key below `datasets.`, and why.
    #[error("datasets.{key}: {problem}")]
    Dating {
        /// E.g. `instancias.fecha`.
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// An indicator is wrong: its id, and why.
    #[error("indicador «{id}»: {problem}")]
    Indicator {
        /// The indicator's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// The configuration's own checks (`config::check_months`) still gather their messages as
/// text; an indicators problem joins them as its message.
impl From<IndicatorsError> for String {
    fn from(e: IndicatorsError) -> String {
        e.to_string()
    }
}

impl IndicatorsConfig {
    /// The name of the line of `dataset`'s rows that leave `field` empty, when the
    /// configuration gives one (`[datasets.<name>.sin_dato.<field>]`).
    pub fn empty_label(&self, dataset: &str, field: &str) -> Option<&EmptyLabel> {
        self.datasets.get(dataset)?.sin_dato.get(field)
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<IndicatorsConfig, IndicatorsError> {
        Ok(toml::from_str(text)?)
    }

    /// First month of the commitment.
    pub fn start(&self) -> Result<Month, IndicatorsError> {
        Month::parse(&self.compromiso.inicio)
            .ok_or_else(|| IndicatorsError::Start(self.compromiso.inicio.clone()))
    }

    /// The months a report, and every month configured, may fall in: from January
    /// [`YEARS_BEFORE_START`] years before the commitment's start to December
    /// [`YEARS_AFTER_START`] years after it (2014-01 to 2029-12 for a start in 2019). A
    /// period outside is a typo (`0000-01`, `9999-12`), never a report to publish.
    pub fn months_window(&self) -> Result<(Month, Month), IndicatorsError> {
        let start = self.start()?;
        Ok((
            Month {
                year: start.year - YEARS_BEFORE_START,
                month: 1,
            },
            Month {
                year: start.year + YEARS_AFTER_START,
                month: 12,
            },
        ))
    }

    /// `period` falls in [`Self::months_window`], or why not, for the person who asked.
    pub fn check_period(&self, period: Period) -> Result<(), IndicatorsError> {
        let (first, last) = self.months_window()?;
        if period.first_month() < first || period.last_month() > last {
            return Err(IndicatorsError::Outside {
                period,
                start: self.compromiso.inicio.clone(),
                first,
                last,
            });
        }
        Ok(())
    }

    /// Checks every name against the standard, so that a typo fails before anything runs.
    pub fn check(&self, standard: &Standard) -> Result<(), IndicatorsError> {
        self.start()?;
        for (name, dating) in &self.datasets {
            let bad = |key: String, problem: String| IndicatorsError::Dating { key, problem };
            let ds = standard
                .dataset(name)
                .ok_or_else(|| bad(name.clone(), "no existe ese dataset".to_string()))?;
            let f = ds
                .field_index(&dating.fecha)
                .map(|i| &ds.fields[i])
                .ok_or_else(|| {
                    bad(
                        format!("{name}.fecha"),
                        format!("«{}» no es un campo de {name}", dating.fecha),
                    )
                })?;
            if !matches!(f.field_type, FieldType::Date | FieldType::Yearmonth) {
                return Err(bad(
                    format!("{name}.fecha"),
                    format!("«{}» no es una fecha ni un mes", dating.fecha),
                ));
            }
            if dating.estado_al_cierre && ds.snapshots.is_none() {
                return Err(bad(
                    format!("{name}.estado_al_cierre"),
                    format!("{name} no guarda instantáneas"),
                ));
            }
            for (field, label) in &dating.sin_dato {
                if ds.field_index(field).is_none() {
                    return Err(bad(
                        format!("{name}.sin_dato"),
                        format!("«{field}» no es un campo de {name}"),
                    ));
                }
                if label.es.trim().is_empty() || label.en.trim().is_empty() {
                    return Err(bad(
                        format!("{name}.sin_dato.{field}"),
                        "falta el nombre en español (es) o en inglés (en)".to_string(),
                    ));
                }
            }
        }
        let mut ids = std::collections::HashSet::new();
        for ind in &self.indicadores {
            let at = |what: &str| IndicatorsError::Indicator {
                id: ind.id.clone(),
                problem: what.to_string(),
            };
            if !ids.insert(ind.id.as_str()) {
                return Err(at("id repetido"));
            }
            if ind.id.is_empty()
                || !ind
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(at("el id lleva solo letras, cifras y _"));
            }
            let ds = standard
                .dataset(&ind.dataset)
                .ok_or_else(|| at(&format!("no existe el dataset «{}»", ind.dataset)))?;
            if !self.datasets.contains_key(&ind.dataset) {
                return Err(at(&format!(
                    "falta [datasets.{}] con el campo que fecha sus filas",
                    ind.dataset
                )));
            }
            let field = |name: &str| -> Result<(), IndicatorsError> {
                if ds.field_index(name).is_some() {
                    Ok(())
                } else {
                    Err(at(&format!("«{name}» no es un campo de {}", ind.dataset)))
                }
            };
            let filters = |f: &BTreeMap<String, FilterValue>| -> Result<(), IndicatorsError> {
                for (k, v) in f {
                    field(k)?;
                    if let FilterValue::One(s) = v {
                        if s.starts_with(">=") && super::compute::days_filter(s).is_none() {
                            return Err(at(&format!(
                                "filtro {k}: «{s}» se escribe como \">=90d\" (de 0 a {} días)",
                                super::compute::MAX_FILTER_DAYS
                            )));
                        }
                    }
                }
                Ok(())
            };
            filters(&ind.filtro)?;
            super::followup::check(self, ind, ds).map_err(|e| at(&e))?;
            for p in &ind.por {
                if p != "mes" && p != "organismo" {
                    field(p)?;
                }
            }
            match ind.medida {
                Measure::Count => {}
                Measure::Sum if !ind.campos.is_empty() => {
                    for c in &ind.campos {
                        field(c)?;
                    }
                }
                Measure::Sum | Measure::Mean | Measure::Distinct => {
                    field(ind.campo.as_deref().ok_or_else(|| at("falta `campo`"))?)?
                }
                Measure::Ratio => {
                    for (side, part) in [
                        ("numerador", &ind.numerador),
                        ("denominador", &ind.denominador),
                    ] {
                        let part = part
                            .as_ref()
                            .ok_or_else(|| at(&format!("una razón necesita `{side}`")))?;
                        match part.medida {
                            Measure::Count => {}
                            Measure::Sum => field(
                                part.campo
                                    .as_deref()
                                    .ok_or_else(|| at(&format!("{side}: falta `campo`")))?,
                            )?,
                            _ => return Err(at(&format!("{side}: la medida es count o sum"))),
                        }
                        filters(&part.filtro)?;
                    }
                }
            }
            for (key, value) in [
                ("escala", ind.escala),
                ("meta", ind.meta),
                ("linea_base", ind.linea_base),
            ] {
                if value.is_some_and(|v| !(0.0..=MAX_FIGURE).contains(&v)) {
                    return Err(at(&format!("`{key}` va de 0 a {MAX_FIGURE}")));
                }
            }
            if ind.escala == Some(0.0) {
                return Err(at("`escala` no puede ser 0"));
            }
            if ind.grafico_en_resumen && ind.grafico.is_none() {
                return Err(at("`grafico_en_resumen` necesita `grafico`"));
            }
            if let Some(u) = &ind.universo {
                if u != "comunas" && !standard.code_lists.contains_key(u) {
                    return Err(at(&format!(
                        "universo «{u}»: no es una lista de códigos ni «comunas»"
                    )));
                }
                if ind.medida != Measure::Distinct {
                    return Err(at("`universo` es para la medida distinct"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_indicators_match_the_shipped_standard() {
        let standard = crate::config::embedded_standard().expect("shipped standard");
        let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("parses");
        cfg.check(&standard).expect("checks");
        assert!(cfg.indicadores.len() >= 7);
    }

    #[test]
    fn instances_without_a_comuna_are_named_city_wide_in_both_languages() {
        let standard = crate::config::embedded_standard().expect("shipped standard");
        let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("parses");
        let label = cfg
            .empty_label("instancias", "comuna")
            .expect("a name for city-wide instances");
        assert_eq!(
            (label.es.as_str(), label.en.as_str()),
            ("Toda la ciudad", "Whole city")
        );
        assert!(
            cfg.empty_label("instancias", "barrio").is_none()
                && cfg.empty_label("reconocimientos", "comuna").is_none()
        );
        let typo = crate::config::embedded::INDICATORS.replace(
            "[datasets.instancias.sin_dato.comuna]",
            "[datasets.instancias.sin_dato.comunas]",
        );
        let err = IndicatorsConfig::parse(&typo)
            .expect("parses")
            .check(&standard)
            .expect_err("must fail")
            .to_string();
        assert!(
            err.contains("«comunas» no es un campo de instancias"),
            "{err}"
        );
        let half = crate::config::embedded::INDICATORS.replace("en = \"Whole city\"", "en = \" \"");
        assert!(IndicatorsConfig::parse(&half)
            .expect("parses")
            .check(&standard)
            .expect_err("must fail")
            .to_string()
            .contains("sin_dato.comuna"));
    }

    /// `--period 0000-01` or `9999-12` was built and published: periods fall within five
    /// years before and ten after the commitment's start (2019-01: 2014-01 to 2029-12).
    #[test]
    fn periods_fall_within_the_commitments_years() {
        let cfg = IndicatorsConfig::parse(crate::config::embedded::INDICATORS).expect("parses");
        for ok in [
            "2019-03", "2014-01", "2029-12", "2014", "2029", "2029-Q4", "2014-Q1",
        ] {
            assert!(
                cfg.check_period(Period::parse(ok).expect("period")).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "0000-01", "9999-12", "2013-12", "2030-01", "2013", "2030", "2013-Q4",
        ] {
            let err = cfg
                .check_period(Period::parse(bad).expect("period"))
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains(&format!("el período {bad}"))
                    && err.contains("entre 2014-01 y 2029-12"),
                "{err}"
            );
        }
    }

    /// Targets, baselines and scales are finite, not negative and not absurd; a `>=Nd` filter
    /// names at most a century (more could not be subtracted from a date).
    #[test]
    fn figures_and_day_filters_have_ranges() {
        let standard = crate::config::embedded_standard().expect("shipped standard");
        let base = crate::config::embedded::INDICATORS;
        for (from, to) in [
            ("meta = 300", "meta = -300"),
            ("meta = 300", "meta = 1e300"),
            ("meta = 300", "meta = nan"),
            (
                "fecha_actualizacion = \">=90d\" }",
                "fecha_actualizacion = \">=99999999999999d\" }",
            ),
        ] {
            assert!(base.contains(from), "{from}");
            let cfg = IndicatorsConfig::parse(&base.replacen(from, to, 1)).expect("parses");
            assert!(cfg.check(&standard).is_err(), "{to} accepted");
        }
    }

    #[test]
    fn a_typo_in_a_field_is_named() {
        let standard = crate::config::embedded_standard().expect("shipped standard");
        let text = crate::config::embedded::INDICATORS
            .replace("campo = \"participantes\"", "campo = \"participante\"");
        let cfg = IndicatorsConfig::parse(&text).expect("parses");
        let err = cfg.check(&standard).expect_err("must fail").to_string();
        assert!(
            err.contains("«participante» no es un campo de instancias"),
            "{err}"
        );
        let unknown_key = format!(
            "{}\n[[indicadores]]\nid = \"x\"\nmeat = 3\n",
            crate::config::embedded::INDICATORS
        );
        assert!(IndicatorsConfig::parse(&unknown_key)
            .expect_err("unknown key")
            .to_string()
            .contains("meat"));
    }
}
