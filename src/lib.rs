//! participa: makes a city government's participation data trustworthy and public.
//!
//! Ministries drop spreadsheets into shared folders; participa reads them however messy they
//! are and turns them into the standard datasets of `STANDARD.md`, keeping where every row came
//! from. The stages, in the order the data flows:
//!
//! - [`ingest`]: sources (drop folders) and readers (xlsx, xls, ods, csv) → sheets of cells;
//! - [`standard`]: headers, values, validation → records and issues (pure);
//! - [`store`]: the only place with SQL;
//! - [`indicators`]: the configured indicators over the store's rows (pure);
//! - [`report`]: the monthly report as a model, laid out as PDF, XLSX and a published folder,
//!   and the ministry template;
//! - [`deliver`]: the e-mail messages (report, ministry feedback, reminders, alerts) and their
//!   transports (outbox, SMTP);
//! - [`schedule`]: `[programacion]`, the months due and the daemon's wake-ups;
//! - [`pipeline`]: the only module that wires stages together (ingest, report, the daemon).
//!
//! Around them:
//!
//! - [`cli`]: the command line, one file per subcommand;
//! - [`config`]: `participa.toml` and the standard's files, checked before anything runs;
//! - [`text`]: every word people read, in their language, and how values are written;
//! - [`clock`]: the time and the day, on the configured wall clock;
//! - [`fsutil`]: writing a file others read, atomically;
//! - [`names`]: file and folder names as lossless text, and text printed for people escaped;
//! - [`leftovers`]: when a temporary file of an interrupted write may be deleted.
//!
//! `ARCHITECTURE.md` maps the code and states what it must not do.

// Every print goes through `cli::out`, which never panics on a closed or full stream.
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

pub mod cli;
pub mod clock;
pub mod config;
pub mod deliver;
pub mod fsutil;
pub mod indicators;
pub mod ingest;
pub mod leftovers;
pub mod names;
pub mod pipeline;
pub mod report;
pub mod schedule;
pub mod standard;
pub mod store;
pub mod text;
