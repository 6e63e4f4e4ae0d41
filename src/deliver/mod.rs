//! The mail layer: builds the messages participa sends and hands them to a transport.
//!
//! - [`config`]: `[correo]` of `participa.toml` (transport, sender, links, allowed domains) and
//!   its checks;
//! - [`message`]: the monthly report to an oversight recipient, reminders to a ministry
//!   contact, alerts to administrators, each a complete [`lettre::Message`] with a plain-text
//!   and an HTML part, and what every message shares (headers, the HTML page);
//! - [`feedback`]: the feedback to a ministry contact (rows accepted and rejected, files that
//!   repeat another's rows, how a new sheet layout was read);
//! - [`transport`]: the [`Mailer`] trait and its two transports, an outbox folder of `.eml`
//!   files ([`Outbox`], the default, so the program works with no server) and SMTP ([`Smtp`]).
//!
//! One message goes to one recipient (one envelope each), so a refused address never affects
//! another. Time is always given by the caller (no wall clock in here), and so is the
//! Message-ID of a report message ([`message_id`] derives a stable one), so that a message sent
//! twice after a crash is recognisable as the same one.
//!
//! Must not depend on the store, the scheduler or the report renderers: it reads the report
//! model ([`crate::report::model`]), the standard's sheet reports (how columns were read) and
//! files given by path, and takes every word from [`crate::text`]; and knows nothing of when or whether a message should be sent: that is
//! the delivery ledger's business.

pub mod config;
pub mod feedback;
pub mod message;
pub mod transport;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub use config::{MailConfig, MailConfigError, Security, Transport};
pub use feedback::{
    feedback_message, rejected_rows_table, AcceptedFile, Feedback, LayoutTable, RejectedRow,
    RepeatedFile,
};
pub use message::{
    alert_message, frozen_report_message, reminder_message, report_mail, report_message,
    ReportAttachments, ReportDocs, ReportMail,
};
pub use transport::{mailer, Mailer, Outbox, SendError, SendReceipt, Smtp, Unavailable};

/// Why a message could not be built or a transport made (nothing was sent).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The `[correo]` configuration is not usable (the message names the key).
    #[error(transparent)]
    Config(#[from] MailConfigError),
    /// An address is malformed or outside `correo.dominios_permitidos`.
    #[error("destinatario: {0}")]
    Recipient(#[source] MailConfigError),
    /// A message with nobody to send it to.
    #[error("destinatario: el mensaje no tiene destinatarios")]
    NoRecipient,
    /// A file to attach, a password file or a certificate could not be read.
    #[error("no se pudo leer {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The SMTP password is not available. The text names where it was looked for (a variable
    /// or a file), never the password.
    #[error("contraseña SMTP: {0}")]
    Password(String),
    /// The message could not be assembled (a malformed Message-ID, a header lettre refuses).
    #[error("no se pudo armar el mensaje: {0}")]
    Build(String),
    /// TLS settings could not be made (an unreadable or invalid certificate).
    #[error("TLS: {0}")]
    Tls(String),
}

/// A stable Message-ID for `period`'s report in `lang` to `recipient`:
/// `<participa.2019-03.es.<16 hex>@domain>`, the hex a SHA-256 of the three (the recipient
/// lower-cased), so the id does not show the address and the ledger can compute it again after
/// a crash. `domain` should be the sender's ([`MailConfig::message_id_domain`]).
pub fn message_id(period: &str, lang: &str, recipient: &str, domain: &str) -> String {
    let mut h = Sha256::new();
    for part in [period, lang, recipient.trim().to_lowercase().as_str()] {
        h.update(part.as_bytes());
        // A separator that cannot occur in the parts, so ("a", "bc") and ("ab", "c") differ.
        h.update([0u8]);
    }
    let digest = h.finalize();
    format!(
        "<participa.{}.{}.{}@{}>",
        id_part(period),
        id_part(lang),
        hex::encode(&digest[..8]),
        id_part(domain)
    )
}

/// Keeps what RFC 5322 allows in a Message-ID's dot-atoms (letters, digits and `-`, `.`, `_`).
fn id_part(s: &str) -> String {
    let kept: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = kept.trim_matches('.');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.replace("..", ".")
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_period_language_and_recipient() {
        let a = message_id("2019-03", "es", "Control@Example.gob.ar", "example.gob.ar");
        assert_eq!(
            a,
            message_id("2019-03", "es", "control@example.gob.ar ", "example.gob.ar")
        );
        assert!(
            a.starts_with("<participa.2019-03.es.") && a.ends_with("@example.gob.ar>"),
            "{a}"
        );
        assert_eq!(
            a.len(),
            "<participa.2019-03.es.".len() + 16 + "@example.gob.ar>".len()
        );
        assert!(!a.contains("control"));
        assert_ne!(
            a,
            message_id("2019-03", "en", "control@example.gob.ar", "example.gob.ar")
        );
        assert_ne!(
            a,
            message_id("2019-04", "es", "control@example.gob.ar", "example.gob.ar")
        );
        assert_ne!(
            a,
            message_id("2019-03", "es", "otro@example.gob.ar", "example.gob.ar")
        );
    }
}
