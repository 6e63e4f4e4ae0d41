//! Ingest: where files come from and how their cells are read.
//!
//! `source` is where files come from: the [`Source`] trait and its kinds — a drop folder
//! (skipping locks, hidden and half-copied files, never following a symbolic link out of it,
//! reporting a folder it cannot list as an error of that folder alone), a WebDAV share and
//! published links — each listing entries with their change tokens and handing an entry's bytes
//! over as a local file;
//! `reader` turns one file's bytes into [`RawSheet`](crate::standard::RawSheet)s with calamine
//! or the csv crate, in bounded memory. Nothing here interprets headers or values — that is the
//! standard's job — and nothing here touches the store.

pub mod reader;
pub mod source;

pub use reader::{
    read_bytes, Budget, Limits, ReadError, Spent, DEFAULT_MAX_CELLS_PER_FILE,
    DEFAULT_MAX_TEXT_BYTES_PER_FILE,
};
pub use source::{scan_folder, FoundFile, Known, OpenError, ScanOptions, Source, SourceScan};
