//! What the readers' tests share: packages written by hand.

use std::io::{Cursor, Write};

/// A zip package of `parts` (name, text), as the xlsx and ods tests write them by hand.
pub fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zipped = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in parts {
        let written = zipped
            .start_file(*name, options)
            .and_then(|_| Ok(zipped.write_all(text.as_bytes())?));
        assert!(written.is_ok(), "{name}");
    }
    zipped.finish().map(|c| c.into_inner()).unwrap_or_default()
}
