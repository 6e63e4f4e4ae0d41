//! `participa template DATASET -o FILE.xlsx [--organismo X]`: a blank template a ministry
//! fills and sends back.

use std::path::Path;

use anyhow::Context;

use crate::config::{self, Config};
use crate::fsutil::write_atomic;
use crate::report::template;

/// Writes the template; inside a working folder its standard applies, anywhere else the
/// shipped one does (as for `validate`).
pub fn run(
    config_path: Option<&Path>,
    dataset: &str,
    output: &Path,
    organismo: Option<&str>,
) -> anyhow::Result<i32> {
    let loaded = match config_path {
        Some(p) => Some(Config::load(Some(p))?),
        None if Path::new("participa.toml").exists() => Some(Config::load(None)?),
        None => None,
    };
    let standard = match loaded {
        Some(c) => c.standard,
        None => config::embedded_standard().map_err(anyhow::Error::msg)?,
    };
    let bytes = template::render(&standard, dataset, organismo)?;
    write_atomic(output, &bytes)
        .with_context(|| format!("no se pudo escribir {}", output.display()))?;
    say!("Plantilla de {dataset} escrita en {}", output.display());
    Ok(0)
}
