//! Every word people read, in their language: the report's labels and sentences, the web
//! index's, the e-mails'; month and period names; how numbers, shares, dates and file sizes
//! are written. `report`, `deliver` and `pipeline` ask here, so a language is one place and a
//! number reads the same in the PDF, the web page and the e-mail.
//!
//! Texts only: nothing here reads a file, the clock or the store, and nothing here knows the
//! report's model or a message's layout. Depends on `indicators::period` (months and periods)
//! and on `standard` (how a column was read) for the types it names, on nothing above them.
//! Error messages, logs and what the command line prints stay in Spanish beside their code:
//! they are for the operators, not translated.

pub mod calendar;
pub mod format;
pub mod mail;
pub mod report;
pub mod web;

pub use calendar::{long_date, month_label, month_short, period_label};
pub use format::{bytes, count, date, html_escape, number, percent};

use serde::Serialize;

/// A language people read: a report's, a message's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Spanish (the default).
    Es,
    /// English.
    En,
}

impl Lang {
    /// The language of a code (`es`, `en`).
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim() {
            "es" => Some(Lang::Es),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The short code used in file names, configuration and the store: `es` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// BCP 47 tag, for the PDF's and the workbook's metadata and the HTML `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Es => "es-AR",
            Lang::En => "en",
        }
    }

    /// The language's own name, as people of that language write it.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Es => "Español",
            Lang::En => "English",
        }
    }

    /// The Spanish text or the English one.
    pub fn pick<T>(self, spanish: T, english: T) -> T {
        match self {
            Lang::Es => spanish,
            Lang::En => english,
        }
    }
}
