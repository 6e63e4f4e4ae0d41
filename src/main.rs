//! The `participa` binary: parse the command line, hand over to the library.

use clap::Parser;

// Ingest allocates many small strings on worker threads and frees them on the writer thread;
// mimalloc handles that pattern markedly better than the system allocator (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Output piped into `head` that closes early ends the program quietly, as for any Unix
    // tool, instead of panicking in println!.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread exists; SIG_DFL is always a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
