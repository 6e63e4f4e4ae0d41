//! `participa fuentes probar`: connects to each configured source, lists it as an ingest would
//! (nothing is read, nothing is stored, the store is not opened) and says in plain words what
//! it found — files, organismos, folders it could not list — or what failed (the folder
//! missing, DNS, TLS, a 401, a timeout), so an operator can check a new source before the
//! daemon runs. Exit status 0 when every source listed, 1 otherwise.

use std::collections::HashMap;

use anyhow::bail;

use super::Format;
use crate::config::Config;
use crate::ingest::Source;
use crate::names::printable;
use crate::pipeline;

/// «archivo» or «archivos», and the like.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Lists every source and prints what it found.
pub fn probar(config: &Config, format: Format) -> anyhow::Result<i32> {
    if format == Format::Csv {
        bail!("--format: fuentes probar se muestra como text o json");
    }
    let sources = pipeline::sources(config);
    if sources.is_empty() {
        say!("No hay fuentes configuradas ([[sources]] en participa.toml).");
        return Ok(1);
    }
    let mut all_ok = true;
    let mut report = Vec::new();
    for source in &sources {
        let source: &dyn Source = source.as_ref();
        // Nothing known: every entry is listed as it is now.
        let scan = source.list(&HashMap::new());
        all_ok &= scan.error.is_none();
        let organismos: Vec<String> = scan
            .organismos()
            .into_iter()
            .map(|o| printable(o).into_owned())
            .collect();
        if format == Format::Json {
            report.push(serde_json::json!({
                "nombre": source.name(),
                "donde": source.describe(),
                "bien": scan.error.is_none(),
                "error": scan.error.as_ref().map(ToString::to_string),
                "archivos": scan.files.len(),
                "organismos": organismos,
                "ignorados": scan.ignored.len(),
                "enlaces_no_seguidos": scan.links.len(),
                "pedidos": scan.requests,
                "ilegibles": scan.unreadable.iter().map(|u| serde_json::json!({"ruta": u.relative, "motivo": u.problem.to_string()})).collect::<Vec<_>>(),
            }));
            continue;
        }
        let head = format!(
            "Fuente «{}» ({})",
            printable(source.name()),
            printable(&source.describe())
        );
        match &scan.error {
            Some(error) => say!(
                "{head}: NO SE PUDO LISTAR: {}",
                printable(&error.to_string())
            ),
            None => {
                let mut line = format!(
                    "{head}: bien; {} de {}",
                    plural(scan.files.len(), "archivo", "archivos"),
                    plural(organismos.len(), "organismo", "organismos")
                );
                if !organismos.is_empty() {
                    line.push_str(&format!(" ({})", organismos.join(", ")));
                }
                if scan.requests > 0 {
                    line.push_str(&format!(
                        "; {}",
                        plural(scan.requests, "pedido al servidor", "pedidos al servidor")
                    ));
                }
                if !scan.ignored.is_empty() {
                    line.push_str(&format!(
                        "; {} (bloqueos, ocultos o temporales)",
                        plural(scan.ignored.len(), "ignorado", "ignorados")
                    ));
                }
                if !scan.links.is_empty() {
                    line.push_str(&format!(
                        "; {}",
                        plural(
                            scan.links.len(),
                            "enlace simbólico no seguido",
                            "enlaces simbólicos no seguidos"
                        )
                    ));
                }
                say!("{line}.");
                let loose = scan.files.iter().filter(|f| f.organismo.is_none()).count();
                if loose > 0 {
                    say!(
                        "  Atención: {} en la raíz, fuera de la carpeta de un organismo: se rechazarán.",
                        plural(loose, "archivo suelto", "archivos sueltos")
                    );
                }
            }
        }
        for u in &scan.unreadable {
            all_ok = false;
            say!(
                "  ERROR en {}: {}",
                if u.relative.is_empty() {
                    "la raíz".to_string()
                } else {
                    printable(&u.relative).into_owned()
                },
                printable(&u.problem.to_string())
            );
        }
    }
    if format == Format::Json {
        say!(
            "{}",
            serde_json::json!({ "fuentes": report, "bien": all_ok })
        );
    }
    Ok(if all_ok { 0 } else { 1 })
}
