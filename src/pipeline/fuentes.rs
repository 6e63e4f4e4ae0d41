//! The operator's alert about sources: while the daemon's last ingest found sources it could
//! not list (a share unmounted, a server down, a 401…), `alertas/fuentes.txt` beside the
//! outbox folder (next to the mail server's alert) says which and why, readable without any
//! server; the log says it at error. When every source answers again the file is removed and
//! the log says so. Nothing of a failing source was retracted: the alert is for a person to
//! act, not a record of lost data.
//!
//! Depends on the configuration and the pass's summary only.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tracing::{error, info, warn};

use crate::config::Config;

/// `alertas/fuentes.txt`, in the folder of the mail setup alert.
pub fn alert_path(config: &Config) -> PathBuf {
    super::daemon::alert_path(config).with_file_name("fuentes.txt")
}

/// Writes, updates or removes the alert after a pass that found `errors` (one line each,
/// `source: why`).
pub fn update_alert(config: &Config, errors: &[String], now: DateTime<Utc>) {
    let path = alert_path(config);
    if errors.is_empty() {
        match std::fs::remove_file(&path) {
            Ok(()) => {
                info!("todas las fuentes volvieron a responder: se quita la alerta de fuentes")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!(ruta = %path.display(), error = %e, "no se pudo quitar la alerta de fuentes")
            }
        }
        return;
    }
    for e in errors {
        error!(problema = %crate::names::printable(e), "fuente sin listar: no se retiró nada de ella");
    }
    let mut text = format!(
        "participa: fuentes que no se pudieron listar en la ingesta de {}\n\n",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    for e in errors {
        text.push_str(&format!("- {}\n", crate::names::printable(e)));
    }
    text.push_str(
        "\nNo se retiró nada: los archivos de esas fuentes conservan sus filas hasta que vuelvan \
         a listarse. Revise la conexión, el montaje o la clave, y pruebe con \
         `participa fuentes probar`. Este archivo se borra solo cuando todas las fuentes \
         responden de nuevo.\n",
    );
    if let Err(e) = write_replacing(&path, text.as_bytes()) {
        warn!(ruta = %path.display(), error = %e, "no se pudo escribir la alerta de fuentes");
    }
}

/// Writes beside the place and renames, so a reader never sees half of it.
fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_file_name(".fuentes.txt.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
