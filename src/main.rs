//! The `participa` binary: parse the command line, hand over to the library.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use clap::Parser;
use participa::cli::out::OutputError;

// Ingest allocates many small strings on worker threads and frees them on the writer thread;
// mimalloc handles that pattern markedly better than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    participa::cli::init_logging();
    let cli = participa::cli::Cli::parse();
    let code = match participa::cli::run(cli) {
        Ok(code) => code,
        // `participa validate x.xlsx | head`: the reader has gone; that is its choice, not an
        // error, so the program ends quietly with status 0 (as `export` does).
        Err(e)
            if e.downcast_ref::<OutputError>()
                .is_some_and(OutputError::reader_left) =>
        {
            0
        }
        Err(e) => {
            // Never a panic, even when stderr cannot be written (`2>/dev/full`).
            participa::cli::out::note_line(format_args!("participa: {e:#}"));
            2
        }
    };
    std::process::exit(code);
}
