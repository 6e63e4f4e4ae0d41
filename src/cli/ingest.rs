//! `participa ingest`: one pass, a progress bar on a terminal, a summary at the end (with which
//! file repeats rows of which, rows that count again, links not followed and folders that could
//! not be read). Every name and message is printed through [`printable`], so no name can start
//! a line of its own.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::names::printable;
use crate::pipeline::{self, FileStatus, Progress, Writer};

/// A progress bar drawn on stderr, only when it is a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(0);
    }
    fn advance(&self, relative: &str) {
        self.0.set_message(relative.to_string());
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// «fila» or «filas».
fn rows_word(n: usize) -> &'static str {
    if n == 1 {
        "fila"
    } else {
        "filas"
    }
}

/// Runs one pass and prints its summary; exit 0 when the pass ran, whatever was rejected.
/// While another process writes the store (another ingest, a report, the daemon) it waits up
/// to `[ingest] espera_bloqueo_segundos`, then gives up naming that process.
pub fn run(config: &Config) -> anyhow::Result<i32> {
    pipeline::sweep_leftovers(config);
    let wait = config.settings.ingest.lock_wait();
    let mut say_waiting = super::say_waiting(wait);
    let mut store = pipeline::open_store_to_write(
        config,
        Writer {
            command: "participa ingest".into(),
            wait,
            waiting: &mut say_waiting,
        },
    )?;
    let shutdown = AtomicBool::new(false);
    let summary = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pipeline::ingest(config, &mut store, &Bar(bar), SystemTime::now(), &shutdown)?
    } else {
        pipeline::ingest(
            config,
            &mut store,
            &pipeline::NoProgress,
            SystemTime::now(),
            &shutdown,
        )?
    };
    for line in &summary.archivos {
        let what = match &line.estado {
            FileStatus::New => format!(
                "nuevo: {} filas aceptadas, {} rechazadas",
                line.filas_aceptadas, line.filas_rechazadas
            ),
            FileStatus::Changed => format!(
                "reemplazado: {} filas aceptadas, {} rechazadas",
                line.filas_aceptadas, line.filas_rechazadas
            ),
            FileStatus::Rejected(m) => format!("rechazado entero: {m}"),
            FileStatus::BeingCopied => {
                "se está copiando; se leerá en la próxima pasada".to_string()
            }
            FileStatus::Missing => "ya no está en la carpeta; sus filas se conservan".to_string(),
            FileStatus::DiskError(m) => {
                format!("no se pudo obtener ({m}); se reintentará en la próxima pasada")
            }
            FileStatus::LinkNotFollowed(m) => m.clone(),
            FileStatus::Unchanged => continue,
        };
        say!(
            "{}/{}: {}",
            printable(&line.fuente),
            printable(&line.ruta),
            printable(&what)
        );
        // Names inside the organismo's folder, as the clerk knows them.
        let short = |path: &str| {
            printable(path.split_once('/').map(|(_, rest)| rest).unwrap_or(path)).into_owned()
        };
        for r in &line.repite {
            say!(
                "  {} repite {} {} de {}; se cuentan una sola vez.",
                short(&line.ruta),
                r.filas,
                rows_word(r.filas),
                short(&r.archivo)
            );
        }
        for r in &line.recuperadas {
            let (kept, file) = (short(&line.ruta), short(&r.archivo));
            if r.filas == 1 {
                say!(
                    "  {file}: 1 fila que repetía {kept} vuelve a contarse (ya no está en {kept})."
                );
            } else {
                say!("  {file}: {} filas que repetían {kept} vuelven a contarse (ya no están en {kept}).", r.filas);
            }
        }
    }
    for folder in &summary.carpetas_ilegibles {
        say!(
            "ERROR de carpeta (se leyó el resto de la fuente; sus archivos conservan sus filas): {}/{}: {}",
            printable(&folder.fuente),
            printable(&folder.ruta),
            printable(&folder.motivo)
        );
    }
    for file in &summary.detuvieron_el_proceso {
        say!(
            "ERROR: la lectura de {} detuvo el proceso en una pasada anterior; esa versión queda rechazada y se leyó todo lo demás. Reemplace el archivo por uno sano.",
            printable(file)
        );
    }
    for error in &summary.errores_de_fuente {
        say!("ERROR de fuente (no se retiró nada): {}", printable(error));
    }
    say!(
        "Archivos: {} nuevos, {} cambiados, {} sin cambios, {} rechazados, {} ausentes, {} en copia.",
        summary.archivos_nuevos, summary.archivos_cambiados, summary.archivos_sin_cambios, summary.archivos_rechazados, summary.archivos_ausentes, summary.archivos_en_copia
    );
    if summary.enlaces_no_seguidos > 0 {
        say!(
            "Enlaces simbólicos no seguidos: {}.",
            summary.enlaces_no_seguidos
        );
    }
    if summary.filas_repetidas > 0 {
        say!(
            "Filas: {} aceptadas, {} rechazadas ({} repiten filas de otro archivo del mismo organismo), {} advertencias.",
            summary.filas_aceptadas, summary.filas_rechazadas, summary.filas_repetidas, summary.advertencias
        );
    } else {
        say!(
            "Filas: {} aceptadas, {} rechazadas, {} advertencias.",
            summary.filas_aceptadas,
            summary.filas_rechazadas,
            summary.advertencias
        );
    }
    if summary.filas_rechazadas > 0 {
        say!("Detalle de las filas rechazadas: `participa export rechazos`.");
    }
    Ok(0)
}
