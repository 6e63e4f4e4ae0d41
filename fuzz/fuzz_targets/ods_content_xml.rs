//! Fuzzed `content.xml` inside a valid OpenDocument package: reaches the cell, repeat, span and
//! text parsing of the ods reader.
#![no_main]

mod guard;

mod package;

use libfuzzer_sys::fuzz_target;
use participa::ingest::{read_bytes, Limits};

const MANIFEST: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

fuzz_target!(|data: &[u8]| {
    guard::install();
    let bytes = package::zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("META-INF/manifest.xml", MANIFEST),
        ("content.xml", data),
    ]);
    let _ = read_bytes(&bytes, "ods", &Limits::default());
});
