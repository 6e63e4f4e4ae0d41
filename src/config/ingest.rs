//! `[ingest]`: the limits and behaviour of one ingest pass, and their defaults.
//!
//! Only the table: its ranges are checked with the rest of the file in
//! [`super::Settings::check`]; it must not depend on the readers or the pipeline that obey it.

use chrono::NaiveDate;
use serde::Deserialize;

/// Limits and behaviour of one ingest pass. Each number has a range
/// ([`Settings::check`](super::Settings::check): the `MAX_*` constants of [`super`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// A new or changed file is read only when its size and modification time are the same on
    /// two listings at least this many seconds apart.
    #[serde(default = "default_settle")]
    pub settle_seconds: u64,
    /// Larger files are rejected as unreadable.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Columns past this many are not read.
    #[serde(default = "default_max_columns")]
    pub max_columns: usize,
    /// Rows past this many in one sheet are not read.
    #[serde(default = "default_max_rows")]
    pub max_rows_per_sheet: usize,
    /// Zipped workbooks (xlsx, ods) unpacking to more bytes than this are rejected.
    #[serde(default = "default_max_unpacked_bytes")]
    pub max_unpacked_bytes: u64,
    /// Cells one file may hold, counting each repeat (an ods run of repeated cells, an xls
    /// range up to its far corner) as the cells it stands for; a file past it is rejected as
    /// unreadable. With `max_text_bytes_per_file` it bounds a pass's memory at about
    /// `threads × (32 bytes × max_cells_per_file + max_text_bytes_per_file)`.
    #[serde(default = "default_max_cells_per_file")]
    pub max_cells_per_file: u64,
    /// Bytes of cell text one file may hold, counting a text each time a cell repeats it.
    #[serde(default = "default_max_text_bytes_per_file")]
    pub max_text_bytes_per_file: u64,
    /// Reader threads; 0 = one per core; at most [`THREADS_PER_CORE`](super::THREADS_PER_CORE) per core.
    #[serde(default)]
    pub threads: usize,
    /// Start of the reporting period (inclusive, ISO date), within the years a report may
    /// cover (`IndicatorsConfig::months_window`).
    pub reporting_period_start: Option<NaiveDate>,
    /// End of the reporting period (inclusive, ISO date), within the same years.
    pub reporting_period_end: Option<NaiveDate>,
    /// How long `ingest` and `report` wait for another process writing the store (seconds).
    #[serde(default = "default_lock_wait")]
    pub espera_bloqueo_segundos: u64,
}

impl IngestConfig {
    /// How long a command that writes the store waits for another writer to finish.
    pub fn lock_wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.espera_bloqueo_segundos)
    }
}

fn default_settle() -> u64 {
    5
}
fn default_max_file_bytes() -> u64 {
    50 * 1024 * 1024
}
fn default_max_unpacked_bytes() -> u64 {
    256 * 1024 * 1024
}
fn default_max_cells_per_file() -> u64 {
    crate::ingest::DEFAULT_MAX_CELLS_PER_FILE
}
fn default_max_text_bytes_per_file() -> u64 {
    crate::ingest::DEFAULT_MAX_TEXT_BYTES_PER_FILE
}
fn default_max_columns() -> usize {
    256
}
fn default_max_rows() -> usize {
    1_048_576
}
fn default_lock_wait() -> u64 {
    60
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            settle_seconds: default_settle(),
            max_file_bytes: default_max_file_bytes(),
            max_columns: default_max_columns(),
            max_rows_per_sheet: default_max_rows(),
            max_unpacked_bytes: default_max_unpacked_bytes(),
            max_cells_per_file: default_max_cells_per_file(),
            max_text_bytes_per_file: default_max_text_bytes_per_file(),
            threads: 0,
            reporting_period_start: None,
            reporting_period_end: None,
            espera_bloqueo_segundos: default_lock_wait(),
        }
    }
}
