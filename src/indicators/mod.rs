//! The report's indicators (STANDARD.md §7), declared in `indicadores.toml` and computed for
//! any month, quarter or year with the cumulative figure since the commitment's start.
//!
//! Pure: rows arrive through [`compute::RowScan`], which the pipeline implements over the
//! store. Must not depend on the store, the report renderers or the file system.

pub mod compute;
pub mod config;
pub mod followup;
mod listing;
pub mod period;
mod stages;

pub use compute::{compute, Figures, IndicatorResult, RowScan, ScanRow, ScanSpec};
pub use config::IndicatorsConfig;
pub use period::{Month, Period};
