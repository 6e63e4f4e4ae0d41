//! (being written)
use super::model::Report;
use super::ReportError;
/// Placeholder.
pub fn render(_report: &Report) -> Result<Vec<u8>, ReportError> {
    Ok(serde_json::to_vec_pretty(_report)?)
}
