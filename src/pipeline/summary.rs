//! What a pass tells: each file's line, the folders that could not be listed, and the
//! counts (`participa ingest`'s summary, `status`, the daemon's log).

use super::*;

/// What happened to one file in a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileStatus {
    /// First time seen.
    #[serde(rename = "nuevo")]
    New,
    /// Content changed: a re-submission.
    #[serde(rename = "cambiado")]
    Changed,
    /// Same content as before (not read again).
    #[serde(rename = "sin_cambios")]
    Unchanged,
    /// Rejected whole: could not be read, or held no data; the message says why.
    #[serde(rename = "ilegible")]
    Rejected(String),
    /// Being copied; left for the next pass.
    #[serde(rename = "en_copia")]
    BeingCopied,
    /// Gone from the source; its rows stay.
    #[serde(rename = "ausente")]
    Missing,
    /// Could not be read from disk this pass; nothing recorded, tried again next pass.
    #[serde(rename = "error_de_lectura")]
    DiskError(String),
    /// A symbolic link that is not followed (the message says why); nothing read.
    #[serde(rename = "enlace_no_seguido")]
    LinkNotFollowed(String),
}

/// A folder (or entry) of a source that could not be listed this pass: its files were not
/// read, and those already stored keep their rows (they are not marked missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderLine {
    /// Source name.
    pub fuente: String,
    /// Path relative to the source root.
    pub ruta: String,
    /// Why it could not be listed.
    pub motivo: String,
}

/// One file's line in the pass summary.
#[derive(Debug, Clone, Serialize)]
pub struct FileLine {
    /// Source name.
    pub fuente: String,
    /// Relative path.
    pub ruta: String,
    /// What happened.
    pub estado: FileStatus,
    /// Rows accepted.
    pub filas_aceptadas: usize,
    /// Rows rejected.
    pub filas_rechazadas: usize,
    /// Rows of this file rejected because another file of the organismo already had them, by
    /// that file (included in `filas_rechazadas`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repite: Vec<Repeat>,
    /// Rows of other files that repeated this file's previous version, are no longer in it,
    /// and count again in their own file, by that file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recuperadas: Vec<Repeat>,
}

impl FileLine {
    /// A file considered but not read this pass (unchanged, being copied, gone…).
    pub(super) fn unread(fuente: &str, ruta: String, estado: FileStatus) -> FileLine {
        FileLine {
            fuente: fuente.to_string(),
            ruta,
            estado,
            filas_aceptadas: 0,
            filas_rechazadas: 0,
            repite: Vec::new(),
            recuperadas: Vec::new(),
        }
    }
}

/// The summary of one pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// Files seen for the first time.
    pub archivos_nuevos: usize,
    /// Re-submissions.
    pub archivos_cambiados: usize,
    /// Unchanged files.
    pub archivos_sin_cambios: usize,
    /// Files rejected whole.
    pub archivos_rechazados: usize,
    /// Files gone from their source.
    pub archivos_ausentes: usize,
    /// Files still being copied.
    pub archivos_en_copia: usize,
    /// Files that could not be read from disk this pass (tried again next pass).
    pub errores_de_lectura: usize,
    /// Lock, hidden and temporary files skipped.
    pub archivos_ignorados: usize,
    /// Symbolic links not followed (each listed in `archivos`).
    pub enlaces_no_seguidos: usize,
    /// Rows accepted in files read this pass.
    pub filas_aceptadas: usize,
    /// Rows rejected in files read this pass.
    pub filas_rechazadas: usize,
    /// Of those, rows rejected because another file of the same organismo already had them.
    pub filas_repetidas: usize,
    /// Warnings in files read this pass.
    pub advertencias: usize,
    /// Sources that could not be listed or were empty (nothing was retracted).
    pub errores_de_fuente: Vec<String>,
    /// Folders that could not be listed (the rest of their source was read; nothing of them
    /// was retracted).
    pub carpetas_ilegibles: Vec<FolderLine>,
    /// Every file considered.
    pub archivos: Vec<FileLine>,
    /// Files (`fuente/ruta`) whose reading stopped the process in an earlier pass: each such
    /// version is rejected (`unreadable-file`, [`reading::CRASHED`]) and the rest was read.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub detuvieron_el_proceso: Vec<String>,
    /// True when a shutdown request stopped the pass early.
    pub interrumpida: bool,
}
