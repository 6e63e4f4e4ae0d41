//! The command line (STANDARD.md §9): one file per subcommand, each a thin layer over the
//! library. Output for people goes to stdout; logs go to stderr.
//!
//! Commands call `pipeline`, `config` and the `Store` trait; they must not read spreadsheets,
//! write SQL or apply a rule of the standard themselves. They print through `say!` and `note!`
//! (`out`), which never panic.

#[macro_use]
pub mod out;

mod entregas;
mod export;
mod fuentes;
mod ingest;
mod init;
mod report;
mod run;
mod status;
mod template;
mod validate;

use std::path::PathBuf;

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};

use crate::config::Config;

/// Consolidates ministry participation spreadsheets into the standard open datasets.
#[derive(Debug, Parser)]
#[command(name = "participa", version, about)]
pub struct Cli {
    /// Configuration file (default: ./participa.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats of `export`, `validate`, `status` and `entregas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON.
    Json,
    /// Text for people.
    Text,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a working folder: participa.toml, the standard, inbox/ and the SQLite store.
    Init {
        /// The folder to create.
        dir: PathBuf,
    },
    /// One pass over the sources: read new and changed files, store the standard datasets.
    Ingest,
    /// Write a standard dataset (or `rechazos`, or `archivos`) to stdout.
    Export {
        /// instancias, iniciativas, reconocimientos, rechazos or archivos.
        dataset: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
    },
    /// Check one spreadsheet without storing it; exit status 1 when it has errors.
    Validate {
        /// The spreadsheet.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Build a period's accountability report: PDF, XLSX and the published folder.
    Report {
        /// The period: 2019-03 (a month), 2019-Q1 (a quarter) or 2019 (a year).
        #[arg(long)]
        period: String,
        /// Language: es or en (default: informe.idioma of participa.toml).
        #[arg(long)]
        lang: Option<String>,
        /// Also e-mail it to the recipients of `[correo]`, through the delivery ledger: nobody
        /// who already received it gets it twice.
        #[arg(long)]
        send: bool,
    },
    /// The daemon: ingest, monthly reports (catching up missed months), reminders and
    /// deliveries on the schedule of `[programacion]`, until SIGTERM or Ctrl-C.
    Run {
        /// Do every job once (what is due now) and exit.
        #[arg(long)]
        once: bool,
    },
    /// Write a blank XLSX template of a dataset for a ministry: standard headers, dropdown
    /// lists, date and number checks, instructions.
    Template {
        /// instancias, iniciativas or reconocimientos.
        dataset: String,
        /// The file to write.
        #[arg(short, long, value_name = "FILE.xlsx")]
        output: std::path::PathBuf,
        /// The organismo it is for (written in the instructions and the file's properties).
        #[arg(long)]
        organismo: Option<String>,
    },
    /// Registro de entregas de correo: cada mensaje por destinatario (id, tipo, período u
    /// organismo, destinatario como hash, estado, intentos, último error, próximo intento).
    #[command(name = "entregas")]
    Deliveries {
        /// Qué hacer con las entregas (sin acción: listarlas).
        #[command(subcommand)]
        action: Option<DeliveriesAction>,
        /// Formato de salida: text o json.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Fuentes de archivos: `probar` se conecta a cada una, la lista y dice qué encontró o qué
    /// falló (carpeta sin montar, DNS, TLS, usuario o clave, tiempo agotado), sin leer ni
    /// guardar nada.
    Fuentes {
        /// Qué hacer con las fuentes.
        #[command(subcommand)]
        accion: FuentesAccion,
        /// Formato de salida: text o json.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Sources, files, row counts and the last ingest.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Internal: reads one file in a child process, under an address-space limit, for an
    /// ingest that suspects it stopped an earlier process; writes its sheets to stdout.
    #[command(name = "leer-archivo-aislado", hide = true)]
    ReadFileApart {
        /// The file.
        path: PathBuf,
        /// Its extension, lower case.
        extension: String,
        /// The reader's limits, comma-separated.
        limits: String,
    },
}

/// Acciones de `participa fuentes`.
#[derive(Debug, Subcommand)]
pub enum FuentesAccion {
    /// Se conecta a cada fuente configurada y la lista como lo haría una ingesta: sale con 0
    /// si todas respondieron, 1 si alguna falló.
    Probar,
}

/// Acciones de `participa entregas`.
#[derive(Debug, Subcommand)]
pub enum DeliveriesAction {
    /// Vuelve a poner en la cola entregas fallidas (una sola vez: las que ya volvieron a la
    /// cola no cambian hasta que fallen de nuevo); el daemon o `participa run --once` las
    /// envía.
    #[command(group(ArgGroup::new("cuales").required(true).args(["id", "periodo", "fallidas"])))]
    #[command(name = "reintentar")]
    Requeue {
        /// La entrega con este id (`participa entregas` lo muestra).
        #[arg(long)]
        id: Option<i64>,
        /// Las entregas fallidas de un mes (informes y recordatorios), por ejemplo 2019-03.
        #[arg(long, value_name = "AAAA-MM")]
        periodo: Option<String>,
        /// Todas las entregas fallidas.
        #[arg(long)]
        fallidas: bool,
    },
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Init { dir } => init::run(&dir),
        Command::Ingest => ingest::run(&Config::load(cli.config.as_deref())?),
        Command::Export { dataset, format } => {
            export::run(&Config::load(cli.config.as_deref())?, &dataset, format)
        }
        Command::Validate { file, format } => validate::run(cli.config.as_deref(), &file, format),
        Command::Fuentes {
            accion: FuentesAccion::Probar,
            format,
        } => fuentes::probar(&Config::load(cli.config.as_deref())?, format),
        Command::Status { format } => status::run(&Config::load(cli.config.as_deref())?, format),
        Command::Template {
            dataset,
            output,
            organismo,
        } => template::run(
            cli.config.as_deref(),
            &dataset,
            &output,
            organismo.as_deref(),
        ),
        Command::Report { period, lang, send } => report::run(
            &Config::load(cli.config.as_deref())?,
            &period,
            lang.as_deref(),
            send,
        ),
        Command::Run { once } => run::run(&Config::load(cli.config.as_deref())?, once),
        Command::ReadFileApart {
            path,
            extension,
            limits,
        } => Ok(crate::pipeline::reading::child_main(
            &path, &extension, &limits,
        )),
        Command::Deliveries {
            action: None,
            format,
        } => entregas::list(&Config::load(cli.config.as_deref())?, format),
        Command::Deliveries {
            action:
                Some(DeliveriesAction::Requeue {
                    id,
                    periodo,
                    fallidas,
                }),
            ..
        } => entregas::retry(&Config::load(cli.config.as_deref())?, id, periodo, fallidas),
    }
}

/// What a command that writes the store says on stderr when it has to wait for another
/// process (named) to finish writing it.
fn say_waiting(limit: std::time::Duration) -> impl FnMut(&crate::store::Busy) {
    move |busy| note!("participa: {}", busy.waiting_message(limit))
}

/// Sets up logging to stderr: warnings by default, `RUST_LOG` to see more. Values from files
/// are never logged, only paths and counts. A log line stderr cannot take is dropped (the
/// subscriber's own report of that failure would panic: it uses `eprintln!`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .log_internal_errors(false)
        .try_init();
}
