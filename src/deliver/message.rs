//! The messages: each is a complete [`Message`] (headers, a plain-text and an HTML part with the
//! same content, attachments), built from data the caller gives. Nothing here reads the clock,
//! the store or the network; the only files read are the report's PDF and XLSX.
//!
//! Every message carries `Auto-Submitted: auto-generated` (RFC 3834) so that vacation
//! responders do not answer it, a `Date` from the caller's `now` and a Message-ID: the caller's
//! for report messages (see [`super::message_id`]), one derived from the content and `now` for
//! the others.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart};
use lettre::Message;
use sha2::{Digest, Sha256};

use super::config::MailConfig;
use super::DeliverError;
use crate::report::model::Report;
use crate::text::mail::{self, Attachments, MailWords};
use crate::text::{html_escape as esc, long_date, Lang};

const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const PDF_TYPE: &str = "application/pdf";
pub(super) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The report's files to attach, as written by the report run (`ReportFiles::pdf`, `::xlsx`).
#[derive(Debug, Clone, Copy)]
pub struct ReportDocs<'a> {
    /// The PDF.
    pub pdf: &'a Path,
    /// The XLSX workbook.
    pub xlsx: &'a Path,
}

/// The monthly report to one oversight recipient.
///
/// Subject: the report's title and commitment code, e.g. «Informe de rendición de cuentas —
/// marzo de 2019 (BUE0008)». Body (plain text and HTML): the key figures, the links to
/// `<url_publicacion>/<period>/` and to `<url_publicacion>/`, and the PDF and XLSX attached,
/// or, when together they are larger than `max_adjuntos_bytes`, no attachment and a sentence
/// that says so. `message_id` is the caller's (`<...@...>`), `now` the `Date`.
pub fn report_message(
    cfg: &MailConfig,
    report: &Report,
    docs: &ReportDocs<'_>,
    recipient: &str,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<Message, DeliverError> {
    let (mail, files) = report_mail(cfg, report, docs)?;
    frozen_report_message(cfg, &mail, files.as_ref(), recipient, message_id, now)
}

/// What a report message says, made once when the report is queued and kept with the queue
/// (see [`report_mail`]): a retry after an outage sends these words and these files, whatever
/// the store or the report folder hold by then.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportMail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (a whole page).
    pub html: String,
    /// The attachments' file names.
    pub pdf_name: String,
    /// See `pdf_name`.
    pub xlsx_name: String,
    /// Whether the body says the files are attached (then [`ReportAttachments`] go with it).
    pub attached: bool,
}

/// The bytes of the report's files, when the message carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAttachments {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The XLSX workbook.
    pub xlsx: Vec<u8>,
}

/// The words of the report message and, when they fit under `max_adjuntos_bytes`, its files,
/// read now: what [`frozen_report_message`] sends to each recipient.
pub fn report_mail(
    cfg: &MailConfig,
    report: &Report,
    docs: &ReportDocs<'_>,
) -> Result<(ReportMail, Option<ReportAttachments>), DeliverError> {
    let meta = &report.meta;
    let lang = meta.lang;
    let w = MailWords::of(lang);

    let pdf_bytes = file_size(docs.pdf)?;
    let xlsx_bytes = file_size(docs.xlsx)?;
    let total = pdf_bytes.saturating_add(xlsx_bytes);
    // Read only when they will be attached; a file that grew since its size was read is
    // measured again on what was actually read.
    let files = if total <= cfg.max_adjuntos_bytes {
        let pdf = read(docs.pdf)?;
        let xlsx = read(docs.xlsx)?;
        ((pdf.len() + xlsx.len()) as u64 <= cfg.max_adjuntos_bytes).then_some((pdf, xlsx))
    } else {
        None
    };
    let total = files
        .as_ref()
        .map(|(p, x)| (p.len() + x.len()) as u64)
        .unwrap_or(total);
    let pdf_name = file_name(docs.pdf, &format!("{}.pdf", meta.file_stem));
    let xlsx_name = file_name(docs.xlsx, &format!("{}.xlsx", meta.file_stem));

    let links = cfg.publication_url().map(|base| Links {
        folder: format!("{base}/{}/", path_segment(&meta.period)),
        pdf: format!(
            "{base}/{}/{}.pdf",
            path_segment(&meta.period),
            path_segment(&meta.file_stem)
        ),
        xlsx: format!(
            "{base}/{}/{}.xlsx",
            path_segment(&meta.period),
            path_segment(&meta.file_stem)
        ),
        index: format!("{base}/"),
    });

    let files_sentence = mail::attachments_sentence(
        match (&files, &links) {
            (Some((pdf, xlsx)), _) => Attachments::Attached {
                pdf: &pdf_name,
                pdf_bytes: pdf.len() as u64,
                xlsx: &xlsx_name,
                xlsx_bytes: xlsx.len() as u64,
            },
            (None, Some(_)) => Attachments::Published {
                total,
                max: cfg.max_adjuntos_bytes,
            },
            (None, None) => Attachments::Unpublished {
                total,
                max: cfg.max_adjuntos_bytes,
            },
        },
        lang,
    );

    let labels = &report.labels;
    let issued = crate::text::date(meta.issued_on, lang);
    let figures: Vec<FigureText> = report
        .summary
        .iter()
        .map(|f| FigureText {
            label: f.label.clone(),
            value: f.value_text.clone(),
            target: f.target_text.clone(),
            note: f.note.clone(),
        })
        .collect();

    // Plain text.
    let mut text = format!("{}\n{}\n\n", meta.title, meta.commitment);
    if !meta.has_data {
        text.push_str(&format!("{}\n\n", labels.no_data));
    }
    if !figures.is_empty() {
        text.push_str(&format!("{} ({}):\n", labels.summary, meta.period_label));
        for f in &figures {
            text.push_str(&format!("  - {}: {}", f.label, f.value));
            if let Some(t) = &f.target {
                text.push_str(&format!(" ({}: {t})", labels.target));
            }
            if let Some(n) = &f.note {
                text.push_str(&format!(" — {n}"));
            }
            text.push('\n');
        }
        text.push('\n');
    }
    text.push_str(&files_sentence);
    text.push_str("\n\n");
    if let Some(l) = &links {
        text.push_str(&format!(
            "{}: {}\n  {}: {}\n  {}: {}\n{}: {}\n\n",
            w.folder, l.folder, w.pdf, l.pdf, w.xlsx, l.xlsx, w.index, l.index
        ));
    }
    text.push_str(&format!(
        "{}: {issued} · {}: {}\n\n-- \n{}\n",
        labels.issued, labels.data_version, meta.data_version, w.footer
    ));

    // HTML: the same content.
    let mut html = format!("<h1 style=\"font-size:20px;margin:0 0 4px\">{}</h1>\n<p style=\"color:#555;margin:0 0 16px\">{}</p>\n", esc(&meta.title), esc(&meta.commitment));
    if !meta.has_data {
        html.push_str(&format!(
            "<p><strong>{}</strong></p>\n",
            esc(labels.no_data)
        ));
    }
    if !figures.is_empty() {
        html.push_str(&format!(
            "<h2 style=\"font-size:16px\">{} ({})</h2>\n",
            esc(labels.summary),
            esc(&meta.period_label)
        ));
        html.push_str(&format!(
            "<table style=\"border-collapse:collapse\">\n<tr>{}{}{}</tr>\n",
            th(labels.indicator, false),
            th(labels.value, true),
            th(labels.target, true)
        ));
        for f in &figures {
            let note = f
                .note
                .as_deref()
                .map(|n| {
                    format!(
                        "<br><span style=\"color:#666;font-size:12px\">{}</span>",
                        esc(n)
                    )
                })
                .unwrap_or_default();
            html.push_str(&format!(
                "<tr><td style=\"{TD}\">{}{note}</td><td style=\"{TD};text-align:right\"><strong>{}</strong></td><td style=\"{TD};text-align:right\">{}</td></tr>\n",
                esc(&f.label),
                esc(&f.value),
                esc(f.target.as_deref().unwrap_or("—"))
            ));
        }
        html.push_str("</table>\n");
    }
    html.push_str(&format!("<p>{}</p>\n", esc(&files_sentence)));
    if let Some(l) = &links {
        html.push_str(&format!(
            "<ul>\n<li>{}: {}</li>\n<li>{}: {}</li>\n<li>{}: {}</li>\n<li>{}: {}</li>\n</ul>\n",
            esc(w.folder),
            link(&l.folder),
            esc(w.pdf),
            link(&l.pdf),
            esc(w.xlsx),
            link(&l.xlsx),
            esc(w.index),
            link(&l.index)
        ));
    }
    html.push_str(&format!(
        "<p style=\"color:#555;font-size:12px\">{}: {} · {}: {}</p>\n<p style=\"color:#888;font-size:12px\">{}</p>\n",
        esc(labels.issued),
        esc(&issued),
        esc(labels.data_version),
        esc(&meta.data_version),
        esc(w.footer)
    ));

    let subject = match commitment_code(&meta.commitment) {
        Some(code) => format!("{} ({code})", meta.title),
        None => meta.title.clone(),
    };
    let mail = ReportMail {
        subject,
        text,
        html: page(lang.tag(), &meta.title, &html),
        pdf_name,
        xlsx_name,
        attached: files.is_some(),
    };
    Ok((
        mail,
        files.map(|(pdf, xlsx)| ReportAttachments { pdf, xlsx }),
    ))
}

/// The report message to one recipient, from what [`report_mail`] made. A mail that says its
/// files are attached and comes without them is refused, never sent half.
pub fn frozen_report_message(
    cfg: &MailConfig,
    mail: &ReportMail,
    files: Option<&ReportAttachments>,
    recipient: &str,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<Message, DeliverError> {
    check_message_id(message_id)?;
    let builder = base(
        cfg,
        &[recipient],
        &mail.subject,
        message_id.to_string(),
        now,
    )?;
    let body = MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone());
    let message = match (mail.attached, files) {
        (true, Some(f)) => builder.multipart(
            MultiPart::mixed()
                .multipart(body)
                .singlepart(
                    Attachment::new(mail.pdf_name.clone())
                        .body(f.pdf.clone(), content_type(PDF_TYPE)?),
                )
                .singlepart(
                    Attachment::new(mail.xlsx_name.clone())
                        .body(f.xlsx.clone(), content_type(XLSX_TYPE)?),
                ),
        ),
        (true, None) => {
            return Err(DeliverError::Build(
                "el mensaje del informe dice que lleva sus archivos y no están".into(),
            ))
        }
        (false, _) => builder.multipart(body),
    };
    message.map_err(|e| DeliverError::Build(e.to_string()))
}

/// A polite reminder (in Spanish) to a ministry contact that nothing was received from
/// `organismo` for `period_label` («marzo de 2019»), due by `deadline`; with `findings`, that
/// what was received needs completing (those data-quality findings).
pub fn reminder_message(
    cfg: &MailConfig,
    organismo: &str,
    to: &str,
    period_label: &str,
    deadline: NaiveDate,
    findings: &[String],
    now: DateTime<Utc>,
) -> Result<Message, DeliverError> {
    let due = long_date(deadline, Lang::Es);
    let (subject, paragraphs) = mail::reminder(organismo, period_label, &due);
    // An organismo that sent the month with data-quality findings is asked to complete them.
    let paragraphs = match findings {
        [] => paragraphs.to_vec(),
        _ => mail::findings_reminder(organismo, period_label, &due, findings),
    };
    let text = format!(
        "{}\n\n-- \n{}\n",
        paragraphs.join("\n\n"),
        MailWords::of(Lang::Es).footer
    );
    let mut html: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .collect();
    html.push_str(&format!(
        "<p style=\"color:#888;font-size:12px\">{}</p>\n",
        esc(MailWords::of(Lang::Es).footer)
    ));
    let id = derived_id(cfg, "recordatorio", &[organismo, to, period_label], now);
    base(cfg, &[to], &subject, id, now)?
        .multipart(MultiPart::alternative_plain_html(
            text,
            page(Lang::Es.tag(), &subject, &html),
        ))
        .map_err(|e| DeliverError::Build(e.to_string()))
}

/// An alert to the administrators (all in `To`; send one envelope per administrator). The
/// subject gets a `[participa]` prefix; `body` is plain text, shown as is in the HTML part.
pub fn alert_message(
    cfg: &MailConfig,
    admins: &[String],
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Message, DeliverError> {
    let subject = format!("[participa] {subject}");
    let text = format!("{body}\n\n-- \n{}\n", MailWords::of(Lang::Es).footer);
    let html = format!("<pre style=\"white-space:pre-wrap;font-family:inherit\">{}</pre>\n<p style=\"color:#888;font-size:12px\">{}</p>\n", esc(body), esc(MailWords::of(Lang::Es).footer));
    let to: Vec<&str> = admins.iter().map(String::as_str).collect();
    let id = derived_id(cfg, "alerta", &[&to.join(","), &subject, body], now);
    base(cfg, &to, &subject, id, now)?
        .multipart(MultiPart::alternative_plain_html(
            text,
            page(Lang::Es.tag(), &subject, &html),
        ))
        .map_err(|e| DeliverError::Build(e.to_string()))
}

struct Links {
    folder: String,
    pdf: String,
    xlsx: String,
    index: String,
}

struct FigureText {
    label: String,
    value: String,
    target: Option<String>,
    note: Option<String>,
}

pub(super) const TD: &str = "border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top";

pub(super) fn th(text: &str, right: bool) -> String {
    format!(
        "<th style=\"border-bottom:2px solid #999;padding:4px 8px;text-align:{}\">{}</th>",
        if right { "right" } else { "left" },
        esc(text)
    )
}

fn link(url: &str) -> String {
    format!("<a href=\"{0}\">{0}</a>", esc(url))
}

/// A whole HTML document around `inner`.
pub(super) fn page(lang_tag: &str, title: &str, inner: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;color:#222;max-width:680px\">\n{inner}</body>\n</html>\n",
        esc(lang_tag),
        esc(title)
    )
}

/// The headers every message has.
pub(super) fn base(
    cfg: &MailConfig,
    to: &[&str],
    subject: &str,
    message_id: String,
    now: DateTime<Utc>,
) -> Result<MessageBuilder, DeliverError> {
    if to.is_empty() {
        return Err(DeliverError::NoRecipient);
    }
    let from = cfg.sender()?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject)
        .message_id(Some(message_id))
        .date(SystemTime::from(now));
    if let Some(reply) = cfg.reply_to()? {
        builder = builder.reply_to(reply);
    }
    for address in to {
        // Checked again here, not only in the configuration: a contact address can come from
        // elsewhere (an organismo's `email`), and a message must never leave for a domain that
        // is not allowed.
        let allowed = cfg
            .allowed_recipient(address)
            .map_err(DeliverError::Recipient)?;
        builder = builder.to(Mailbox::new(None, allowed));
    }
    Ok(builder.raw_header(HeaderValue::new(
        AUTO_SUBMITTED,
        "auto-generated".to_string(),
    )))
}

fn check_message_id(id: &str) -> Result<(), DeliverError> {
    let inner = id.strip_prefix('<').and_then(|s| s.strip_suffix('>'));
    match inner {
        Some(s)
            if s.contains('@')
                && s.is_ascii()
                && !s.contains(|c: char| {
                    c.is_ascii_whitespace() || c.is_ascii_control() || c == '<' || c == '>'
                }) =>
        {
            Ok(())
        }
        _ => Err(DeliverError::Build(format!(
            "Message-ID «{id}»: debe tener la forma <algo@dominio>"
        ))),
    }
}

/// A Message-ID for messages the ledger does not name: the same content at the same time gives
/// the same id, so a retry of one message is recognisable as such.
pub(super) fn derived_id(
    cfg: &MailConfig,
    kind: &str,
    parts: &[&str],
    now: DateTime<Utc>,
) -> String {
    let mut h = Sha256::new();
    for p in parts.iter().copied().chain([now.to_rfc3339().as_str()]) {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    format!(
        "<participa.{kind}.{}.{}@{}>",
        now.format("%Y%m%dT%H%M%SZ"),
        hex::encode(&h.finalize()[..8]),
        cfg.message_id_domain()
    )
}

pub(super) fn content_type(s: &str) -> Result<ContentType, DeliverError> {
    ContentType::parse(s).map_err(|e| DeliverError::Build(format!("tipo de contenido {s}: {e}")))
}

fn file_size(path: &Path) -> Result<u64, DeliverError> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| DeliverError::Io {
            path: path.to_path_buf(),
            source,
        })
}

fn read(path: &Path) -> Result<Vec<u8>, DeliverError> {
    fs::read(path).map_err(|source| DeliverError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn file_name(path: &Path, fallback: &str) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| fallback.to_string())
}

/// The commitment's code from «Compromiso BUE0008: …»: the last word before the colon, when it
/// looks like a code (capitals and digits). `Meta` has no field for it, and a guess is worse
/// than no code in the subject.
fn commitment_code(commitment: &str) -> Option<&str> {
    let (head, _) = commitment.split_once(':')?;
    let word = head.split_whitespace().last()?;
    let looks_like_code = word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
    looks_like_code.then_some(word)
}

/// Percent-encodes what is not an unreserved URL character (period codes and file stems are
/// plain ASCII already; this only guards the link against a surprise).
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn small_helpers() {
        assert_eq!(
            commitment_code("Compromiso BUE0008: participación"),
            Some("BUE0008")
        );
        assert_eq!(
            commitment_code("Commitment BUE0008: citizen participation"),
            Some("BUE0008")
        );
        assert_eq!(
            commitment_code("Participación ciudadana: un compromiso"),
            None
        );
        assert_eq!(commitment_code("Compromiso BUE0008"), None);
        assert_eq!(path_segment("2019-03"), "2019-03");
        assert_eq!(path_segment("a b/ñ"), "a%20b%2F%C3%B1");
        assert!(check_message_id("<a.b@c>").is_ok());
        for bad in ["a@b", "<ab>", "<a b@c>", "<á@c>"] {
            assert!(check_message_id(bad).is_err(), "{bad}");
        }
    }
}
