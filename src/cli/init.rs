//! `participa init DIR`: a ready working folder.

use std::path::Path;

use anyhow::{bail, Context};

use crate::config::{embedded, Config};
use crate::pipeline;

/// Creates DIR with participa.toml, the shipped standard, inbox/ and the SQLite store.
pub fn run(dir: &Path) -> anyhow::Result<i32> {
    let config_path = dir.join("participa.toml");
    if config_path.exists() {
        bail!(
            "{} ya existe: no se sobrescribe una carpeta de trabajo",
            config_path.display()
        );
    }
    std::fs::create_dir_all(dir.join("inbox"))
        .with_context(|| format!("no se pudo crear {}", dir.display()))?;
    for (relative, contents) in embedded::standard_files() {
        let path = dir.join("standard").join(relative);
        write(&path, contents.as_bytes())?;
    }
    let indicators_path = dir.join("indicadores.toml");
    write(&indicators_path, embedded::INDICATORS.as_bytes())?;
    // Last: a folder without it is not a working folder yet, so an interrupted `init` can run
    // again.
    write(&config_path, embedded::EXAMPLE_CONFIG.as_bytes())?;
    let config = Config::load(Some(&config_path))?;
    pipeline::open_store(&config)?;
    say!("Carpeta de trabajo lista en {}", dir.display());
    say!("  configuración: {}", config_path.display());
    say!("  estándar:      {}", dir.join("standard").display());
    say!("  indicadores:   {}", indicators_path.display());
    say!(
        "  bandeja:       {} (una subcarpeta por organismo)",
        dir.join("inbox").display()
    );
    say!("Siguiente paso: copie las planillas en la bandeja y ejecute `participa ingest` dentro de la carpeta.");
    Ok(0)
}

/// Writes one file of the working folder whole ([`crate::fsutil::write_atomic`]).
fn write(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    crate::fsutil::write_atomic(path, contents)
        .with_context(|| format!("no se pudo escribir {}", path.display()))
}
