//! Fuzzed CSV text through the whole standard (header recognition, content inference, value
//! parsers, validation) with the shipped configuration: it must never panic.
#![no_main]

mod guard;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use participa::config::embedded_standard;
use participa::ingest::{read_bytes, Limits};
use participa::standard::process::process_file;
use participa::standard::{FileContext, Standard};

fn standard() -> Option<&'static Standard> {
    static STANDARD: OnceLock<Option<Standard>> = OnceLock::new();
    STANDARD.get_or_init(|| embedded_standard().ok()).as_ref()
}

fuzz_target!(|data: &[u8]| {
    guard::install();
    let Some(standard) = standard() else { return };
    let Ok(sheets) = read_bytes(data, "csv", &Limits::default()) else {
        return;
    };
    let ctx = FileContext {
        organismo: "fuzz".into(),
        path: "fuzz/planilla.csv".into(),
        ..FileContext::default()
    };
    let _ = process_file(standard, &ctx, &sheets);
});
