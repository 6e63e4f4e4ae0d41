//! What counts as a crash. participa's own code must never panic on input; calamine (which
//! reads xls) may, and `read_bytes` catches that and rejects the file as damaged, as it does in
//! the product (release builds unwind). libFuzzer's panic hook aborts on every panic, so the
//! targets replace it: a panic inside calamine unwinds to `read_bytes`, any other aborts and is
//! a crash. The count of caught calamine panics is printed at exit by the targets that read xls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// Panics inside calamine caught so far.
pub static CALAMINE_PANICS: AtomicUsize = AtomicUsize::new(0);

pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if in_calamine {
                CALAMINE_PANICS.fetch_add(1, Ordering::Relaxed);
                return;
            }
            eprintln!("{info}");
            std::process::abort();
        }));
    });
}
