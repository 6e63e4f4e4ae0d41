//! Any bytes given to the xlsx reader, with the default limits: it must return sheets or a
//! `ReadError`, never panic, abort or exceed the budget's memory (libFuzzer's -rss_limit_mb).
#![no_main]

mod guard;

use libfuzzer_sys::fuzz_target;
use participa::ingest::{read_bytes, Limits};

fuzz_target!(|data: &[u8]| {
    guard::install();
    let _ = read_bytes(data, "xlsx", &Limits::default());
});
