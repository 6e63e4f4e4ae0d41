//! The `participa` binary: parse the command line, hand over to the library.

use clap::Parser;

fn main() {
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
