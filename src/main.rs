//! The `participa` binary: parse the command line, hand over to the library.

use clap::Parser;

// Ingest allocates many small strings on worker threads and frees them on the writer thread;
// mimalloc handles that pattern markedly better than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `participa validate x.xlsx | head`: once the reader has gone, println! panics; that is
    // the reader's choice, not an error, so the program ends quietly with status 0 (as
    // `export` does when it sees the closed pipe itself).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<String>().map(String::as_str).or_else(|| info.payload().downcast_ref::<&str>().copied()).unwrap_or("");
        if message.starts_with("failed printing to stdout") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    participa::cli::init_logging();
    let cli = participa::cli::Cli::parse();
    let code = match participa::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("participa: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
