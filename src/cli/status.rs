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
    drop(store);
    let daemon = pipeline::daemon::Daemon::inspect(config)?.status(crate::clock::now())?;
    if format == Format::Json {
        say!("{}", serde_json::json!({ "fuentes": sources, "almacen": status, "daemon": daemon }));
        return Ok(0);
    }
    say!("Configuración: {}", config.path.display());
    for s in &config.settings.sources {
        let path = config.resolve(&s.path);
        say!("Fuente «{}»: {}{}", s.name, path.display(), if path.is_dir() { "" } else { " (NO ACCESIBLE)" });
    }
    say!(
        "Archivos: {} presentes, {} ausentes, {} ilegibles; {} versiones recibidas en total.",
        status.archivos_presentes, status.archivos_ausentes, status.archivos_ilegibles, status.versiones
    );
    for (dataset, n) in &status.filas {
        say!("  {dataset}: {n} filas");
    }
    say!("Filas rechazadas: {}; advertencias: {}.", status.filas_rechazadas, status.advertencias);
    if !status.organismos.is_empty() {
        say!("Por organismo (archivos, filas aceptadas, rechazadas):");
        for (org, files, ok, bad) in &status.organismos {
            say!("  {}: {files}, {ok}, {bad}", if org.is_empty() { "(sin organismo)" } else { org });
        }
    }
    match &status.ultima_corrida {
        Some((start, end, _)) => say!("Última ingesta: {start} → {}", end.as_deref().unwrap_or("sin terminar")),
        None => say!("Todavía no hubo ninguna ingesta."),
    }
    say!("Trabajos del daemon (participa run):");
    for j in &daemon.trabajos {
        say!(
            "  {}: última {} ({}); próxima {}",
            j.nombre,
            j.ultima.as_deref().unwrap_or("nunca"),
            j.resultado.as_deref().unwrap_or("-"),
            j.proxima.as_deref().unwrap_or("-")
        );
    }
    if daemon.meses_pendientes.is_empty() {
        say!("Informes mensuales: ninguno pendiente.");
    } else {
        say!("Informes mensuales pendientes: {}.", daemon.meses_pendientes.join(", "));
    }
    say!(
        "Entregas: {} enviadas, {} pendientes, {} fallidas.",
        daemon.entregas_enviadas,
        daemon.entregas_pendientes.len(),
        daemon.entregas_fallidas.len()
    );
    for d in daemon.entregas_pendientes.iter().chain(&daemon.entregas_fallidas) {
        say!(
            "  {} {} → {}: {} tras {} intentos{}{}",
            d.tipo,
            d.clave,
            d.destinatario,
            d.estado,
            d.intentos,
            d.proximo_intento_en.as_deref().map(|t| format!(", próximo intento {t}")).unwrap_or_default(),
            d.ultimo_error.as_deref().map(|e| format!(", último error: {e}")).unwrap_or_default()
        );
    }
    if let Some(m) = &daemon.mes_cerrado {
        if daemon.organismos_atrasados.is_empty() {
            say!("Organismos sin datos de {m}: ninguno.");
        } else {
            say!("Organismos sin datos de {m}: {}.", daemon.organismos_atrasados.join(", "));
        }
    }
    Ok(0)
}
