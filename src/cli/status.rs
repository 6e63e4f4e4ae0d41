//! `participa status`: sources, files, counts and the last ingest.

use super::Format;
use crate::config::Config;
use crate::pipeline;
use crate::store::Store;

/// Prints the status.
pub fn run(config: &Config, format: Format) -> anyhow::Result<i32> {
    let mut store = pipeline::open_store(config)?;
    let status = store.status(&config.standard.datasets)?;
    let sources: Vec<serde_json::Value> = config
        .settings
        .sources
        .iter()
        .map(|s| {
            let path = config.resolve(&s.path);
            serde_json::json!({ "nombre": s.name, "carpeta": path.display().to_string(), "accesible": path.is_dir() })
        })
        .collect();
    if format == Format::Json {
        println!("{}", serde_json::json!({ "fuentes": sources, "almacen": status }));
        return Ok(0);
    }
    println!("Configuración: {}", config.path.display());
    for s in &config.settings.sources {
        let path = config.resolve(&s.path);
        println!("Fuente «{}»: {}{}", s.name, path.display(), if path.is_dir() { "" } else { " (NO ACCESIBLE)" });
    }
    println!(
        "Archivos: {} presentes, {} ausentes, {} ilegibles; {} versiones recibidas en total.",
        status.archivos_presentes, status.archivos_ausentes, status.archivos_ilegibles, status.versiones
    );
    for (dataset, n) in &status.filas {
        println!("  {dataset}: {n} filas");
    }
    println!("Filas rechazadas: {}; advertencias: {}.", status.filas_rechazadas, status.advertencias);
    if !status.organismos.is_empty() {
        println!("Por organismo (archivos, filas aceptadas, rechazadas):");
        for (org, files, ok, bad) in &status.organismos {
            println!("  {}: {files}, {ok}, {bad}", if org.is_empty() { "(sin organismo)" } else { org });
        }
    }
    match &status.ultima_corrida {
        Some((start, end, _)) => println!("Última ingesta: {start} → {}", end.as_deref().unwrap_or("sin terminar")),
        None => println!("Todavía no hubo ninguna ingesta."),
    }
    Ok(0)
}
