//! Packs one fuzzed part into an otherwise valid workbook, so that mutations reach the XML
//! parsers instead of dying in the zip layer. Shared by the `*_xml` targets.

use std::io::Write;

/// A zip holding `parts` (name, contents), stored uncompressed.
pub fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, contents) in parts {
        if out.start_file(*name, stored).is_err() || out.write_all(contents).is_err() {
            return Vec::new();
        }
    }
    out.finish().map(|c| c.into_inner()).unwrap_or_default()
}
