//! (being written)
use super::model::{Report, RowSource};
use super::ReportError;
/// Placeholder.
pub fn render(_report: &Report, _rows: &mut dyn RowSource) -> Result<Vec<u8>, ReportError> {
    Ok(Vec::new())
}
