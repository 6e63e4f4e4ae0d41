//! The follow-up of processes (STANDARD.md §7, indicators 8 and 9), as configured on an
//! indicator of `indicadores.toml`: the period's rows listed one by one (`listado`: the
//! instances with their results), a data-quality minimum by organismo
//! (`minimo_por_organismo`), the count of a snapshot dataset's field at each month's close
//! with its changes in the period (`evolucion`) and each item's trajectory (`trayectorias`).
//!
//! This file holds the configuration, its checks and the results; `listing` gathers the
//! listed rows during the one scan of the dataset, `stages` reads every snapshot of the items.
//! Pure, like the rest of `indicators`.

use chrono::NaiveDate;
use serde::Deserialize;

use super::config::{IndicatorDef, IndicatorsConfig, Measure, MAX_FIGURE};
use super::period::Month;
use crate::standard::{Dataset, Value};

/// Rows a listing holds when `listado_maximo` does not say: a month of a city's instances
/// fits many times over, and a year's half a million rows do not become a 10,000-page PDF
/// (the dataset sheet and CSV hold them all).
pub const LISTING_MAX_ROWS: u32 = 2000;
/// The most `listado_maximo` may ask for.
pub const LISTING_LIMIT: u32 = 100_000;
/// Days without an update after which an item is stale, when `dias_sin_actualizar` does not
/// say (the 90 days of STANDARD.md §7, indicator 5).
pub const STALE_DAYS: i64 = 90;

/// How each item's trajectory is told (`[indicadores.trayectorias]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryDef {
    /// The field that names an item for people (`titulo`).
    pub titulo: String,
    /// The field that places an item in a comuna: the published site has a page per comuna.
    pub comuna: Option<String>,
    /// The field of progress over time (`avance`, 0–100).
    pub avance: Option<String>,
    /// Fields published with every update, besides the item's key, date, state and progress.
    #[serde(default)]
    pub campos: Vec<String>,
    /// Days without an update after which an item is stale (default [`STALE_DAYS`]).
    pub dias_sin_actualizar: Option<i64>,
    /// States in which an item is expected to be updated (empty: any state).
    #[serde(default)]
    pub estados_sin_actualizar: Vec<String>,
    /// Name of the published dataset of every update (`iniciativas_historial`).
    pub publicar: String,
}

impl TrajectoryDef {
    /// Days without an update after which an item is stale.
    pub fn stale_days(&self) -> i64 {
        self.dias_sin_actualizar.unwrap_or(STALE_DAYS)
    }
}

/// Checks an indicator's follow-up keys against its dataset (`at` prefixes the message).
pub(super) fn check(
    cfg: &IndicatorsConfig,
    ind: &IndicatorDef,
    ds: &Dataset,
) -> Result<(), String> {
    let field = |name: &str, key: &str| -> Result<usize, String> {
        ds.field_index(name)
            .ok_or_else(|| format!("{key}: «{name}» no es un campo de {}", ds.name))
    };
    for f in &ind.listado {
        field(f, "listado")?;
    }
    if let Some(n) = ind.listado_maximo {
        if ind.listado.is_empty() {
            return Err("`listado_maximo` necesita `listado`".into());
        }
        if !(1..=LISTING_LIMIT).contains(&n) {
            return Err(format!("`listado_maximo` va de 1 a {LISTING_LIMIT}"));
        }
    }
    if let Some(m) = ind.minimo_por_organismo {
        if !(0.0..=MAX_FIGURE).contains(&m) {
            return Err(format!("`minimo_por_organismo` va de 0 a {MAX_FIGURE}"));
        }
        if !ind.por.iter().any(|p| p == "organismo") {
            return Err("`minimo_por_organismo` necesita \"organismo\" en `por`".into());
        }
    }
    let at_close = cfg
        .datasets
        .get(&ind.dataset)
        .is_some_and(|d| d.estado_al_cierre);
    if (ind.evolucion.is_some() || ind.trayectorias.is_some()) && !at_close {
        return Err(format!(
            "`evolucion` y `trayectorias` son para un dataset de instantáneas con estado_al_cierre ({} no lo es)",
            ind.dataset
        ));
    }
    if let Some(e) = &ind.evolucion {
        field(e, "evolucion")?;
        if ind.medida != Measure::Count {
            return Err("`evolucion` cuenta elementos: la medida es count".into());
        }
    }
    if ind.grafico == Some(super::config::ChartChoice::Apiladas) && ind.evolucion.is_none() {
        return Err("el gráfico \"apiladas\" dibuja `evolucion`, que falta".into());
    }
    if let Some(t) = &ind.trayectorias {
        if ind.evolucion.is_none() {
            return Err(
                "`trayectorias` sigue los cambios del campo de `evolucion`, que falta".into(),
            );
        }
        field(&t.titulo, "trayectorias.titulo")?;
        for f in t.comuna.iter().chain(&t.avance).chain(&t.campos) {
            field(f, "trayectorias")?;
        }
        if !(0..=super::compute::MAX_FILTER_DAYS).contains(&t.stale_days()) {
            return Err(format!(
                "trayectorias.dias_sin_actualizar va de 0 a {}",
                super::compute::MAX_FILTER_DAYS
            ));
        }
        let name_ok = !t.publicar.is_empty()
            && t.publicar.len() <= 64
            && t.publicar
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err("trayectorias.publicar lleva minúsculas, cifras y _".into());
        }
        if cfg.datasets.contains_key(&t.publicar) {
            return Err(format!(
                "trayectorias.publicar: «{}» ya es el nombre de un dataset",
                t.publicar
            ));
        }
    }
    Ok(())
}

/// One listed row: the listed fields' values, in `listado` order.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedRow {
    /// Values of the listed fields.
    pub values: Vec<Value>,
    /// The row's date (its dataset's dating field).
    pub date: Option<NaiveDate>,
    /// Organismo that sent it.
    pub organismo: String,
    /// Source file.
    pub archivo: String,
}

/// The period's rows of an indicator, listed: the first [`Listing::max`] by date.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// The listed fields.
    pub fields: Vec<String>,
    /// Rows in date order (then by the listed values, organismo and file).
    pub rows: Vec<ListedRow>,
    /// Every row of the period the indicator counted, listed or not.
    pub total: u64,
    /// The most rows listed.
    pub max: u32,
}

/// Items by the value of a field at one month's close.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthCount {
    /// The month.
    pub month: Month,
    /// (value as stored, items), by value.
    pub counts: Vec<(String, u64)>,
}

/// Items that moved from one value to another in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The value before; `None` for an item first reported in the period.
    pub from: Option<String>,
    /// The value after.
    pub to: String,
    /// How many changes.
    pub count: u64,
}

/// A field of a snapshot dataset over time (`evolucion`).
#[derive(Debug, Clone, PartialEq)]
pub struct Evolution {
    /// The field.
    pub field: String,
    /// Each month from the commitment's start to the period's end.
    pub months: Vec<MonthCount>,
    /// Changes dated in the period, by (from, to).
    pub transitions: Vec<Transition>,
}

/// One update of an item, as its snapshot reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Its date (the dating field: the day the body reported it).
    pub date: NaiveDate,
    /// The state then (the `evolucion` field, as stored).
    pub state: String,
    /// The state of the update before; `None` for the first.
    pub previous: Option<String>,
    /// Progress then.
    pub progress: Option<f64>,
    /// Every field of the snapshot, in the dataset's order.
    pub values: Vec<Value>,
}

impl Step {
    /// True when the state changed here (the first update counts as one: the item entered).
    pub fn changed(&self) -> bool {
        self.previous.as_deref() != Some(self.state.as_str())
    }
}

/// One item's updates up to the period's close.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Organismo that reports it.
    pub organismo: String,
    /// Its key as stored (`organismo`, `id`).
    pub key: Vec<String>,
    /// Updates, oldest first; identical copies of one update (a file sent again) once.
    pub steps: Vec<Step>,
    /// Days from its last update to the period's close.
    pub days_since_update: i64,
    /// Its state changed (or it was first reported) on a day of the period.
    pub changed_in_period: bool,
    /// Not updated for the configured days, in a state that expects updates.
    pub stale: bool,
}

impl Trajectory {
    /// The update in force at the close.
    pub fn last(&self) -> Option<&Step> {
        self.steps.last()
    }
}

/// Every item's trajectory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trajectories {
    /// Items in key order.
    pub items: Vec<Trajectory>,
    /// The staleness threshold used, in days.
    pub stale_days: i64,
}

/// What an indicator's follow-up keys gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUpResult {
    /// The period's rows listed (`listado`).
    pub listing: Option<Listing>,
    /// The field over time (`evolucion`).
    pub evolution: Option<Evolution>,
    /// Each item's trajectory (`trayectorias`).
    pub trajectories: Option<Trajectories>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each follow-up key is checked against its dataset when the configuration loads, so a
    /// typo or a key on the wrong kind of indicator fails before anything runs.
    #[test]
    fn follow_up_keys_that_cannot_work_are_refused_with_the_key_named() {
        let standard = crate::config::embedded_standard().expect("shipped standard");
        let base = crate::config::embedded::INDICATORS;
        for (from, to, says) in [
            (
                "listado = [\"fecha\", \"programa\"",
                "listado = [\"fechas\", \"programa\"",
                "listado: «fechas» no es un campo de instancias",
            ),
            (
                "por = [\"programa\", \"organismo\"]",
                "por = [\"programa\"]",
                "`minimo_por_organismo` necesita \"organismo\" en `por`",
            ),
            (
                "minimo_por_organismo = 0.5",
                "minimo_por_organismo = -1",
                "`minimo_por_organismo` va de 0",
            ),
            (
                "evolucion = \"estado\"",
                "evolucion = \"estados\"",
                "evolucion: «estados» no es un campo de iniciativas",
            ),
            (
                "publicar = \"iniciativas_historial\"",
                "publicar = \"instancias\"",
                "ya es el nombre de un dataset",
            ),
            (
                "titulo = \"titulo\"\ncomuna",
                "titulo = \"nombre\"\ncomuna",
                "trayectorias.titulo: «nombre» no es un campo",
            ),
        ] {
            assert!(base.contains(from), "{from}");
            let cfg = IndicatorsConfig::parse(&base.replacen(from, to, 1)).expect("parses");
            let err = cfg.check(&standard).expect_err(to);
            assert!(err.to_string().contains(says), "{to}: {err}");
        }
        // `evolucion` on a dataset of rows dated in the period (not shown at the close).
        let wrong = base.replacen(
            "minimo_por_organismo = 0.5",
            "minimo_por_organismo = 0.5\nevolucion = \"programa\"",
            1,
        );
        let err = IndicatorsConfig::parse(&wrong)
            .expect("parses")
            .check(&standard)
            .expect_err("evolucion on instancias");
        assert!(err.to_string().contains("estado_al_cierre"), "{err}");
    }
}
