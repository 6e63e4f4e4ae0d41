//! `participa status`: sources, files, counts and the last ingest (with the folders it could
//! not read and the sources it found empty or unreachable). Names are printed through
//! [`printable`]: none can start a line of its own.

use super::Format;
use crate::config::Config;
use crate::names::{printable, printable_path};
use crate::pipeline;
use crate::store::Store;

/// What the last ingest could not read, from its stored summary: folders, sources and the
/// number of links not followed.
fn last_pass_problems(summary: Option<&str>) -> serde_json::Value {
    let parsed: serde_json::Value = summary
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    serde_json::json!({
        "carpetas_ilegibles": parsed.get("carpetas_ilegibles").cloned().unwrap_or_else(|| serde_json::json!([])),
        "errores_de_fuente": parsed.get("errores_de_fuente").cloned().unwrap_or_else(|| serde_json::json!([])),
        "enlaces_no_seguidos": parsed.get("enlaces_no_seguidos").cloned().unwrap_or_else(|| serde_json::json!(0)),
    })
}

/// Prints the status.
pub fn run(config: &Config, format: Format) -> anyhow::Result<i32> {
    let mut store = pipeline::open_store(config)?;
    let status = store.status(&config.standard.datasets)?;
    // Files whose current version stopped a process while it was read (`pipeline::reading`).
    let crashed: Vec<String> = store
        .files()?
        .into_iter()
        .filter(|f| f.estado == "presente" && f.problemas.contains(pipeline::reading::CRASHED))
        .map(|f| format!("{}/{}", f.fuente, f.ruta))
        .collect();
    // Each source says where it is and whether it can be reached now (one cheap step: a
    // folder's existence, a network source's one request, no listing).
    let reach: Vec<(String, String, Result<(), String>)> = pipeline::sources(config)
        .iter()
        .map(|s| (s.name().to_string(), s.describe(), s.reachable()))
        .collect();
    let sources: Vec<serde_json::Value> = reach
        .iter()
        .zip(&config.settings.sources)
        .map(|((name, describe, reachable), configured)| {
            // `carpeta` as before for a folder, so scripts written for it keep working.
            let folder = configured
                .path
                .as_deref()
                .map(|p| config.resolve(p).display().to_string());
            serde_json::json!({
                "nombre": name,
                "donde": describe,
                "carpeta": folder,
                "accesible": reachable.is_ok(),
                "problema": reachable.as_ref().err(),
            })
        })
        .collect();
    drop(store);
    let daemon = pipeline::daemon::Daemon::inspect(config)?.status(crate::clock::now())?;
    let problems = last_pass_problems(
        status
            .ultima_corrida
            .as_ref()
            .and_then(|(_, _, summary)| summary.as_deref()),
    );
    if format == Format::Json {
        say!(
            "{}",
            serde_json::json!({ "fuentes": sources, "almacen": status, "ultima_ingesta": problems, "detuvieron_el_proceso": crashed, "daemon": daemon })
        );
        return Ok(0);
    }
    say!("Configuración: {}", printable_path(&config.path));
    for (name, describe, reachable) in &reach {
        match reachable {
            Ok(()) => say!("Fuente «{}»: {}", printable(name), printable(describe)),
            Err(why) => say!(
                "Fuente «{}»: {} (NO ACCESIBLE: {})",
                printable(name),
                printable(describe),
                printable(why)
            ),
        }
    }
    say!(
        "Archivos: {} presentes, {} ausentes, {} ilegibles; {} versiones recibidas en total.",
        status.archivos_presentes,
        status.archivos_ausentes,
        status.archivos_ilegibles,
        status.versiones
    );
    for (dataset, n) in &status.filas {
        say!("  {dataset}: {n} filas");
    }
    say!(
        "Filas rechazadas: {}; advertencias: {}.",
        status.filas_rechazadas,
        status.advertencias
    );
    if !status.organismos.is_empty() {
        say!("Por organismo (archivos, filas aceptadas, rechazadas):");
        for (org, files, ok, bad) in &status.organismos {
            say!(
                "  {}: {files}, {ok}, {bad}",
                if org.is_empty() {
                    "(sin organismo)".into()
                } else {
                    printable(org)
                }
            );
        }
    }
    for file in &crashed {
        say!("  ERROR: la lectura de {} detuvo el proceso; esa versión está rechazada (reemplace el archivo).", printable(file));
    }
    match &status.ultima_corrida {
        Some((start, end, _)) => say!(
            "Última ingesta: {start} → {}",
            end.as_deref().unwrap_or("sin terminar")
        ),
        None => say!("Todavía no hubo ninguna ingesta."),
    }
    let text = |v: &serde_json::Value, key: &str| {
        printable(v.get(key).and_then(|x| x.as_str()).unwrap_or_default()).into_owned()
    };
    for folder in problems["carpetas_ilegibles"]
        .as_array()
        .into_iter()
        .flatten()
    {
        say!(
            "  ERROR de carpeta (se leyó el resto; sus archivos conservan sus filas): {}/{}: {}",
            text(folder, "fuente"),
            text(folder, "ruta"),
            text(folder, "motivo")
        );
    }
    for error in problems["errores_de_fuente"]
        .as_array()
        .into_iter()
        .flatten()
    {
        say!(
            "  ERROR de fuente (no se retiró nada): {}",
            printable(error.as_str().unwrap_or_default())
        );
    }
    if let Some(n) = problems["enlaces_no_seguidos"].as_u64().filter(|n| *n > 0) {
        say!("  Enlaces simbólicos no seguidos: {n} (detalle: `participa ingest`).");
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
        say!(
            "Informes mensuales pendientes: {}.",
            daemon.meses_pendientes.join(", ")
        );
    }
    if let Some(p) = &daemon.problema_correo {
        super::entregas::print_problem(p)?;
    }
    say!(
        "Entregas: {} enviadas, {} pendientes, {} fallidas.",
        daemon.entregas_enviadas,
        daemon.entregas_pendientes.len(),
        daemon.entregas_fallidas.len()
    );
    for d in daemon
        .entregas_pendientes
        .iter()
        .chain(&daemon.entregas_fallidas)
    {
        say!(
            "  {} {} → {}: {} tras {} intentos{}{}",
            d.tipo,
            printable(&d.clave),
            d.destinatario,
            d.estado,
            d.intentos,
            d.proximo_intento_en
                .as_deref()
                .map(|t| format!(", próximo intento {t}"))
                .unwrap_or_default(),
            d.ultimo_error
                .as_deref()
                .map(|e| format!(", último error: {}", printable(e)))
                .unwrap_or_default()
        );
    }
    if let Some(m) = &daemon.mes_cerrado {
        if daemon.organismos_atrasados.is_empty() {
            say!("Organismos sin datos de {m}: ninguno.");
        } else {
            say!(
                "Organismos sin datos de {m}: {}.",
                printable(&daemon.organismos_atrasados.join(", "))
            );
        }
    }
    Ok(0)
}
