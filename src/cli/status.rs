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
        println!("{}", serde_json::json!({ "fuentes": sources, "almacen": status, "daemon": daemon }));
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
    println!("Trabajos del daemon (participa run):");
    for j in &daemon.trabajos {
        println!(
            "  {}: última {} ({}); próxima {}",
            j.nombre,
            j.ultima.as_deref().unwrap_or("nunca"),
            j.resultado.as_deref().unwrap_or("-"),
            j.proxima.as_deref().unwrap_or("-")
        );
    }
    if daemon.meses_pendientes.is_empty() {
        println!("Informes mensuales: ninguno pendiente.");
    } else {
        println!("Informes mensuales pendientes: {}.", daemon.meses_pendientes.join(", "));
    }
    if let Some(p) = &daemon.problema_correo {
        super::entregas::print_problem(p);
    }
    println!(
        "Entregas: {} enviadas, {} pendientes, {} fallidas.",
        daemon.entregas_enviadas,
        daemon.entregas_pendientes.len(),
        daemon.entregas_fallidas.len()
    );
    for d in daemon.entregas_pendientes.iter().chain(&daemon.entregas_fallidas) {
        println!(
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
            println!("Organismos sin datos de {m}: ninguno.");
        } else {
            println!("Organismos sin datos de {m}: {}.", daemon.organismos_atrasados.join(", "));
        }
    }
    Ok(0)
}
