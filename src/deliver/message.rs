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

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart};
use lettre::Message;
use sha2::{Digest, Sha256};

use super::config::MailConfig;
use super::DeliverError;
use crate::indicators::period::{month_label, Month};
use crate::report::model::{
    format_bytes, format_cell, format_figure, format_number, html_escape as esc, Cell, Kind, Lang,
    Report,
};
use crate::standard::{ColumnReading, ReadingReason, SheetReport};

const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const PDF_TYPE: &str = "application/pdf";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Rejected rows listed in a feedback message's body when the complete list is attached as a
/// workbook: enough to see what went wrong, small enough that the message is not refused for
/// its size.
pub const MAX_LISTED_REJECTED_ROWS: usize = 500;

/// The report's files to attach, as written by the report run (`ReportFiles::pdf`, `::xlsx`).
#[derive(Debug, Clone, Copy)]
pub struct ReportDocs<'a> {
    /// The PDF.
    pub pdf: &'a Path,
    /// The XLSX workbook.
    pub xlsx: &'a Path,
}

/// A ministry file and how many of its rows were accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AcceptedFile {
    /// The file as the ministry knows it (path relative to its folder).
    pub file: String,
    /// Rows accepted.
    pub rows: u64,
}

/// A rejected row: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RejectedRow {
    /// The file (path relative to the ministry's folder).
    pub file: String,
    /// The sheet (empty for a CSV).
    pub sheet: String,
    /// The row number as the spreadsheet shows it.
    pub row: u64,
    /// The cell, e.g. `B19` (empty when the whole row is at fault).
    pub cell: String,
    /// Why, in words a clerk understands.
    pub reason: String,
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
    let w = Words::of(lang);

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

    let files_sentence = match (&files, &links) {
        (Some((pdf, xlsx)), _) => match lang {
            Lang::Es => format!("Se adjuntan el informe en PDF ({pdf_name}, {}) y los datos en un libro XLSX ({xlsx_name}, {}).", format_bytes(pdf.len() as u64, lang), format_bytes(xlsx.len() as u64, lang)),
            Lang::En => format!("The report is attached as a PDF ({pdf_name}, {}) and the data as an XLSX workbook ({xlsx_name}, {}).", format_bytes(pdf.len() as u64, lang), format_bytes(xlsx.len() as u64, lang)),
        },
        (None, Some(_)) => match lang {
            Lang::Es => format!(
                "Los archivos del informe (PDF y XLSX, {} en total) no van adjuntos porque superan el máximo de {} por mensaje: están en la carpeta publicada, en los enlaces de abajo.",
                format_bytes(total, lang),
                format_bytes(cfg.max_adjuntos_bytes, lang)
            ),
            Lang::En => format!(
                "The report's files (PDF and XLSX, {} together) are not attached because they exceed the limit of {} per message: they are in the published folder, at the links below.",
                format_bytes(total, lang),
                format_bytes(cfg.max_adjuntos_bytes, lang)
            ),
        },
        (None, None) => match lang {
            Lang::Es => format!(
                "Los archivos del informe (PDF y XLSX, {} en total) no van adjuntos porque superan el máximo de {} por mensaje, y no hay una dirección de publicación configurada: pídalos respondiendo a este mensaje.",
                format_bytes(total, lang),
                format_bytes(cfg.max_adjuntos_bytes, lang)
            ),
            Lang::En => format!(
                "The report's files (PDF and XLSX, {} together) are not attached because they exceed the limit of {} per message, and no publication address is configured: ask for them by replying to this message.",
                format_bytes(total, lang),
                format_bytes(cfg.max_adjuntos_bytes, lang)
            ),
        },
    };

    let labels = &report.labels;
    let issued = format_cell(&Cell::Date(meta.issued_on), Kind::Date, lang);
    let figures: Vec<FigureText> = report
        .summary
        .iter()
        .map(|f| FigureText {
            label: f.label.clone(),
            value: format_figure(f, lang),
            target: f.target.map(|t| format_cell(&Cell::Num(t), f.kind, lang)),
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
            esc(&labels.no_data)
        ));
    }
    if !figures.is_empty() {
        html.push_str(&format!(
            "<h2 style=\"font-size:16px\">{} ({})</h2>\n",
            esc(&labels.summary),
            esc(&meta.period_label)
        ));
        html.push_str(&format!(
            "<table style=\"border-collapse:collapse\">\n<tr>{}{}{}</tr>\n",
            th(&labels.indicator, false),
            th(&labels.value, true),
            th(&labels.target, true)
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
        esc(&labels.issued),
        esc(&issued),
        esc(&labels.data_version),
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

/// Rows of one file rejected because another file of the organismo already had them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepeatedFile {
    /// The file whose rows were rejected (path relative to the ministry's folder).
    pub file: String,
    /// The file that keeps them.
    pub of: String,
    /// How many rows.
    pub rows: u64,
}

/// How the columns of a sheet were read, shown when its layout (headers and the fields they
/// feed) is one the organismo had never sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayoutTable {
    /// The file (path relative to the ministry's folder).
    pub file: String,
    /// The sheet (empty for a CSV).
    pub sheet: String,
    /// Its columns, left to right.
    pub columns: Vec<ColumnReading>,
}

impl LayoutTable {
    /// The table of a sheet's report.
    pub fn of_sheet(file: &str, sheet: &SheetReport) -> LayoutTable {
        LayoutTable {
            file: file.to_string(),
            sheet: sheet.nombre.clone(),
            columns: sheet.columnas.clone(),
        }
    }
}

/// What a ministry contact hears after an ingest that changed its files.
#[derive(Debug, Clone, Default)]
pub struct Feedback<'a> {
    /// The organismo's name.
    pub organismo: &'a str,
    /// Rows accepted per file.
    pub accepted: &'a [AcceptedFile],
    /// Every rejected row.
    pub rejected: &'a [RejectedRow],
    /// Files that repeat rows of another of the organismo's files.
    pub repeated: &'a [RepeatedFile],
    /// Sheets with a layout the organismo had never sent, and how they were read.
    pub layouts: &'a [LayoutTable],
    /// The complete list of rejected rows as a workbook, to attach.
    pub rejected_xlsx: Option<Vec<u8>>,
}

/// The feedback message: rows accepted per file, which files repeat rows of which (counted
/// once), every rejected row with its cell and reason (at most [`MAX_LISTED_REJECTED_ROWS`]
/// in the body when the complete list is attached as a workbook), and for each sheet of a
/// layout the organismo had never sent, a table of how each column was read.
pub fn feedback_message(
    cfg: &MailConfig,
    to: &str,
    feedback: Feedback<'_>,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Message, DeliverError> {
    let Feedback {
        organismo,
        accepted,
        rejected,
        repeated,
        layouts,
        rejected_xlsx,
    } = feedback;
    let n = |v: u64| format_number(v as f64, 0, lang);
    let accepted_rows: u64 = accepted.iter().map(|a| a.rows).sum();
    let rejected_rows = rejected.len() as u64;
    let (subject, intro, accepted_title, rejected_title, none_rejected, cols, attached, more) = match lang {
        Lang::Es => (
            format!("participa: resultado de los archivos de {organismo} — {} filas aceptadas, {} rechazadas", n(accepted_rows), n(rejected_rows)),
            format!("Hola:\n\nparticipa leyó los archivos de {organismo}. Este es el resultado."),
            "Filas aceptadas por archivo".to_string(),
            format!("Filas rechazadas ({}): corríjalas en su archivo y vuelva a dejarlo en la carpeta compartida", n(rejected_rows)),
            "No se rechazó ninguna fila.",
            ["Archivo", "Hoja", "Fila", "Celda", "Motivo", "Filas aceptadas"],
            "Se adjunta una planilla con las filas rechazadas.",
            "más: la lista completa está en la planilla adjunta.",
        ),
        Lang::En => (
            format!("participa: results for {organismo}'s files — {} rows accepted, {} rejected", n(accepted_rows), n(rejected_rows)),
            format!("Hello,\n\nparticipa has read the files of {organismo}. These are the results."),
            "Rows accepted per file".to_string(),
            format!("Rejected rows ({}): correct them in your file and drop it in the shared folder again", n(rejected_rows)),
            "No row was rejected.",
            ["File", "Sheet", "Row", "Cell", "Reason", "Rows accepted"],
            "A workbook with the rejected rows is attached.",
            "more: the complete list is in the attached workbook.",
        ),
    };
    let listed = if rejected_xlsx.is_some() {
        rejected.len().min(MAX_LISTED_REJECTED_ROWS)
    } else {
        rejected.len()
    };
    let unlisted = rejected.len() - listed;

    let mut text = format!("{intro}\n\n{accepted_title}:\n");
    for a in accepted {
        text.push_str(&format!("  - {}: {}\n", a.file, n(a.rows)));
    }
    text.push('\n');
    let repeated_title = repeated_words(lang).0;
    if !repeated.is_empty() {
        text.push_str(&format!("{repeated_title}:\n"));
        for r in repeated {
            text.push_str(&format!("  - {}\n", repeated_sentence(r, lang)));
        }
        text.push('\n');
    }
    if rejected.is_empty() {
        text.push_str(none_rejected);
        text.push('\n');
    } else {
        text.push_str(&format!("{rejected_title}:\n"));
        for r in &rejected[..listed] {
            text.push_str(&format!("  - {}", r.file));
            if !r.sheet.is_empty() {
                text.push_str(&format!(", {} {}", cols[1].to_lowercase(), r.sheet));
            }
            text.push_str(&format!(", {} {}", cols[2].to_lowercase(), r.row));
            if !r.cell.is_empty() {
                text.push_str(&format!(", {} {}", cols[3].to_lowercase(), r.cell));
            }
            text.push_str(&format!(": {}\n", r.reason));
        }
        if unlisted > 0 {
            text.push_str(&format!(
                "  … {} {} {more}\n",
                and_word(lang),
                n(unlisted as u64)
            ));
        }
    }
    if !layouts.is_empty() {
        text.push_str(&layouts_text(layouts, lang));
    }
    if rejected_xlsx.is_some() {
        text.push_str(&format!("\n{attached}\n"));
    }
    text.push_str(&format!("\n-- \n{}\n", Words::of(lang).footer));

    let mut html = String::new();
    for para in intro.split("\n\n") {
        html.push_str(&format!("<p>{}</p>\n", esc(para)));
    }
    html.push_str(&format!("<h2 style=\"font-size:16px\">{}</h2>\n<table style=\"border-collapse:collapse\">\n<tr>{}{}</tr>\n", esc(&accepted_title), th(cols[0], false), th(cols[5], true)));
    for a in accepted {
        html.push_str(&format!(
            "<tr><td style=\"{TD}\">{}</td><td style=\"{TD};text-align:right\">{}</td></tr>\n",
            esc(&a.file),
            esc(&n(a.rows))
        ));
    }
    html.push_str("</table>\n");
    if !repeated.is_empty() {
        html.push_str(&format!(
            "<h2 style=\"font-size:16px\">{}</h2>\n<ul>\n",
            esc(repeated_title)
        ));
        for r in repeated {
            html.push_str(&format!("<li>{}</li>\n", esc(&repeated_sentence(r, lang))));
        }
        html.push_str("</ul>\n");
    }
    if rejected.is_empty() {
        html.push_str(&format!("<p>{}</p>\n", esc(none_rejected)));
    } else {
        html.push_str(&format!("<h2 style=\"font-size:16px\">{}</h2>\n<table style=\"border-collapse:collapse\">\n<tr>", esc(&rejected_title)));
        for (i, c) in cols[..5].iter().enumerate() {
            html.push_str(&th(c, i == 2));
        }
        html.push_str("</tr>\n");
        for r in &rejected[..listed] {
            html.push_str(&format!(
                "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD};text-align:right\">{}</td><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td></tr>\n",
                esc(&r.file),
                esc(&r.sheet),
                r.row,
                esc(&r.cell),
                esc(&r.reason)
            ));
        }
        html.push_str("</table>\n");
        if unlisted > 0 {
            html.push_str(&format!(
                "<p>… {} {} {}</p>\n",
                and_word(lang),
                esc(&n(unlisted as u64)),
                esc(more)
            ));
        }
    }
    if !layouts.is_empty() {
        html.push_str(&layouts_html(layouts, lang));
    }
    if rejected_xlsx.is_some() {
        html.push_str(&format!("<p>{}</p>\n", esc(attached)));
    }
    html.push_str(&format!(
        "<p style=\"color:#888;font-size:12px\">{}</p>\n",
        esc(Words::of(lang).footer)
    ));

    let id = derived_id(cfg, "devolucion", &[organismo, to, &subject], now);
    let builder = base(cfg, &[to], &subject, id, now)?;
    let body = MultiPart::alternative_plain_html(text, page(lang.tag(), &subject, &html));
    let message =
        match rejected_xlsx {
            Some(xlsx) => {
                let name = match lang {
                    Lang::Es => "filas-rechazadas.xlsx",
                    Lang::En => "rejected-rows.xlsx",
                };
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(
                    Attachment::new(name.to_string()).body(xlsx, content_type(XLSX_TYPE)?),
                ))
            }
            None => builder.multipart(body),
        };
    message.map_err(|e| DeliverError::Build(e.to_string()))
}

/// The title of the repeated-files section and the sentence of one file.
fn repeated_words(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::Es => (
            "Archivos que repiten filas de otro archivo",
            "se cuentan una sola vez",
        ),
        Lang::En => (
            "Files that repeat rows of another file",
            "they are counted once",
        ),
    }
}

/// «planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.»
fn repeated_sentence(r: &RepeatedFile, lang: Lang) -> String {
    let n = format_number(r.rows as f64, 0, lang);
    let once = repeated_words(lang).1;
    match lang {
        Lang::Es => format!(
            "{} repite {n} {} de {}; {once}.",
            r.file,
            if r.rows == 1 { "fila" } else { "filas" },
            r.of
        ),
        Lang::En => format!(
            "{} repeats {n} {} of {}; {once}.",
            r.file,
            if r.rows == 1 { "row" } else { "rows" },
            r.of
        ),
    }
}

/// The words of the layout tables: title, explanation, column headers, «sheet», «no header».
struct LayoutWords {
    title: &'static str,
    intro: &'static str,
    cols: [&'static str; 4],
    sheet: &'static str,
    no_header: &'static str,
}

impl LayoutWords {
    fn of(lang: Lang) -> LayoutWords {
        match lang {
            Lang::Es => LayoutWords {
                title: "Cómo se leyeron las planillas con un formato nuevo",
                intro: "Es la primera vez que recibimos estas hojas con estas columnas. Así se leyó cada una; si algún campo no corresponde, corrija el encabezado de la columna o avísenos respondiendo a este mensaje.",
                cols: ["Columna", "Encabezado", "Campo", "Cómo se leyó"],
                sheet: "hoja",
                no_header: "(sin encabezado)",
            },
            Lang::En => LayoutWords {
                title: "How the sheets with a new layout were read",
                intro: "These sheets are the first we receive with these columns. This is how each column was read; if a field is wrong, correct the column's header or tell us by replying to this message.",
                cols: ["Column", "Header", "Field", "How it was read"],
                sheet: "sheet",
                no_header: "(no header)",
            },
        }
    }
}

/// «planilla.xlsx, hoja «Hoja1»» (the file alone for a CSV).
fn layout_place(t: &LayoutTable, w: &LayoutWords) -> String {
    if t.sheet.is_empty() {
        t.file.clone()
    } else {
        format!("{}, {} «{}»", t.file, w.sheet, t.sheet)
    }
}

/// One column's four cells: letters, header, field, how it was read.
fn column_cells(c: &ColumnReading, w: &LayoutWords, lang: Lang) -> [String; 4] {
    let header = if c.encabezado.trim().is_empty() {
        w.no_header.to_string()
    } else {
        c.encabezado.clone()
    };
    [
        c.columna.clone(),
        header,
        c.campo.clone().unwrap_or_else(|| "—".to_string()),
        reading_text(&c.motivo, lang),
    ]
}

/// Why a column was read the way it was, in words.
fn reading_text(reason: &ReadingReason, lang: Lang) -> String {
    match (lang, reason) {
        (Lang::Es, ReadingReason::Encabezado { palabras }) => {
            format!("por el encabezado (coincide con «{palabras}»)")
        }
        (Lang::En, ReadingReason::Encabezado { palabras }) => {
            format!("by its header (matches «{palabras}»)")
        }
        (
            Lang::Es,
            ReadingReason::Contenido {
                coinciden,
                de,
                lista,
            },
        ) => format!("por el contenido: {coinciden} de {de} valores corresponden a «{lista}»"),
        (
            Lang::En,
            ReadingReason::Contenido {
                coinciden,
                de,
                lista,
            },
        ) => format!("by its content: {coinciden} of {de} values are «{lista}»"),
        (Lang::Es, ReadingReason::Mapeo) => {
            "por la configuración (columnas asignadas en participa.toml)".to_string()
        }
        (Lang::En, ReadingReason::Mapeo) => {
            "by the configuration (columns mapped in participa.toml)".to_string()
        }
        (Lang::Es, ReadingReason::Mensual) => {
            "un mes del formato con una columna por mes".to_string()
        }
        (Lang::En, ReadingReason::Mensual) => {
            "one month of a layout with a column per month".to_string()
        }
        (Lang::Es, ReadingReason::Anio) => "el año del formato con una columna por mes".to_string(),
        (Lang::En, ReadingReason::Anio) => {
            "the year of a layout with a column per month".to_string()
        }
        (Lang::Es, ReadingReason::Personal) => {
            "datos personales: se descarta al leer y no se guarda".to_string()
        }
        (Lang::En, ReadingReason::Personal) => {
            "personal data: dropped when read, never stored".to_string()
        }
        (Lang::Es, ReadingReason::SinUso { parecido: None }) => "no se usa".to_string(),
        (Lang::En, ReadingReason::SinUso { parecido: None }) => "not used".to_string(),
        (Lang::Es, ReadingReason::SinUso { parecido: Some(p) }) => {
            format!("no se usa (sus valores se parecen a «{p}»)")
        }
        (Lang::En, ReadingReason::SinUso { parecido: Some(p) }) => {
            format!("not used (its values look like «{p}»)")
        }
    }
}

/// The layout tables as plain text, columns aligned.
fn layouts_text(layouts: &[LayoutTable], lang: Lang) -> String {
    let w = LayoutWords::of(lang);
    let mut out = format!("\n{}:\n{}\n", w.title, w.intro);
    for t in layouts {
        out.push_str(&format!("\n{}:\n", layout_place(t, &w)));
        let rows: Vec<[String; 4]> = std::iter::once(w.cols.map(str::to_string))
            .chain(t.columns.iter().map(|c| column_cells(c, &w, lang)))
            .collect();
        let mut widths = [0usize; 3];
        for row in &rows {
            for (i, width) in widths.iter_mut().enumerate() {
                *width = (*width).max(row[i].chars().count());
            }
        }
        for row in &rows {
            out.push_str("  ");
            for (i, width) in widths.iter().enumerate() {
                let pad = width.saturating_sub(row[i].chars().count());
                out.push_str(&row[i]);
                out.push_str(&" ".repeat(pad + 2));
            }
            out.push_str(&row[3]);
            out.push('\n');
        }
    }
    out
}

/// The layout tables as HTML, every text escaped.
fn layouts_html(layouts: &[LayoutTable], lang: Lang) -> String {
    let w = LayoutWords::of(lang);
    let mut out = format!(
        "<h2 style=\"font-size:16px\">{}</h2>\n<p>{}</p>\n",
        esc(w.title),
        esc(w.intro)
    );
    for t in layouts {
        out.push_str(&format!("<h3 style=\"font-size:14px\">{}</h3>\n<table style=\"border-collapse:collapse\">\n<tr>", esc(&layout_place(t, &w))));
        for c in w.cols {
            out.push_str(&th(c, false));
        }
        out.push_str("</tr>\n");
        for c in &t.columns {
            out.push_str("<tr>");
            for cell in column_cells(c, &w, lang) {
                out.push_str(&format!("<td style=\"{TD}\">{}</td>", esc(&cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out
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
    let subject = format!("Recordatorio: datos de {period_label} de {organismo}");
    let due = spanish_date(deadline);
    let paragraphs = [
        "Hola:".to_string(),
        format!("Les recordamos que todavía no recibimos datos de {organismo} correspondientes a {period_label}. El plazo para enviarlos vence el {due}."),
        "Para enviarlos, dejen las planillas en la carpeta compartida de su organismo, como de costumbre. Si ya las dejaron en estos días, pueden ignorar este mensaje; si en el período no hubo actividad, respondan a este mensaje para que quede registrado.".to_string(),
        "Muchas gracias.".to_string(),
    ];
    // An organismo that sent the month with data-quality findings is asked to complete them.
    let paragraphs = match findings {
        [] => paragraphs.to_vec(),
        _ => {
            crate::report::followup_text::findings_reminder(organismo, period_label, &due, findings)
        }
    };
    let text = format!(
        "{}\n\n-- \n{}\n",
        paragraphs.join("\n\n"),
        Words::of(Lang::Es).footer
    );
    let mut html: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", esc(p)))
        .collect();
    html.push_str(&format!(
        "<p style=\"color:#888;font-size:12px\">{}</p>\n",
        esc(Words::of(Lang::Es).footer)
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
    let text = format!("{body}\n\n-- \n{}\n", Words::of(Lang::Es).footer);
    let html = format!("<pre style=\"white-space:pre-wrap;font-family:inherit\">{}</pre>\n<p style=\"color:#888;font-size:12px\">{}</p>\n", esc(body), esc(Words::of(Lang::Es).footer));
    let to: Vec<&str> = admins.iter().map(String::as_str).collect();
    let id = derived_id(cfg, "alerta", &[&to.join(","), &subject, body], now);
    base(cfg, &to, &subject, id, now)?
        .multipart(MultiPart::alternative_plain_html(
            text,
            page(Lang::Es.tag(), &subject, &html),
        ))
        .map_err(|e| DeliverError::Build(e.to_string()))
}

fn and_word(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "y",
        Lang::En => "and",
    }
}

/// Fixed words of the messages.
struct Words {
    folder: &'static str,
    pdf: &'static str,
    xlsx: &'static str,
    index: &'static str,
    footer: &'static str,
}

impl Words {
    fn of(lang: Lang) -> Words {
        match lang {
            Lang::Es => Words {
                folder: "Carpeta publicada del período",
                pdf: "Informe (PDF)",
                xlsx: "Datos (XLSX)",
                index: "Todos los informes publicados",
                footer: "Mensaje enviado automáticamente por participa. Para consultas, responda a este mensaje.",
            },
            Lang::En => Words {
                folder: "Published folder of the period",
                pdf: "Report (PDF)",
                xlsx: "Data (XLSX)",
                index: "All published reports",
                footer: "Message sent automatically by participa. For questions, reply to this message.",
            },
        }
    }
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

const TD: &str = "border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top";

fn th(text: &str, right: bool) -> String {
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
fn page(lang_tag: &str, title: &str, inner: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;color:#222;max-width:680px\">\n{inner}</body>\n</html>\n",
        esc(lang_tag),
        esc(title)
    )
}

/// The headers every message has.
fn base(
    cfg: &MailConfig,
    to: &[&str],
    subject: &str,
    message_id: String,
    now: DateTime<Utc>,
) -> Result<MessageBuilder, DeliverError> {
    if to.is_empty() {
        return Err(DeliverError::Recipient(
            "el mensaje no tiene destinatarios".to_string(),
        ));
    }
    let from = cfg
        .sender()
        .map_err(|e| DeliverError::Config(format!("correo.remitente: {e}")))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject)
        .message_id(Some(message_id))
        .date(SystemTime::from(now));
    if let Some(r) = &cfg.responder_a {
        let reply: Mailbox = r.parse().map_err(|e| {
            DeliverError::Config(format!(
                "correo.responder_a: «{r}» no es una dirección válida ({e})"
            ))
        })?;
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
fn derived_id(cfg: &MailConfig, kind: &str, parts: &[&str], now: DateTime<Utc>) -> String {
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

fn content_type(s: &str) -> Result<ContentType, DeliverError> {
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

/// Bytes for people: `850 B`, `312 kB`, `7,0 MB` (decimal units, as file browsers show them).
/// «10 de abril de 2019».
fn spanish_date(d: NaiveDate) -> String {
    format!("{} de {}", d.day(), month_label(Month::of(d), false))
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::standard::SheetOutcome;

    /// A sheet report as `standard` fills it, with a column of every kind and texts that need
    /// escaping.
    fn sheet_report() -> SheetReport {
        let column = |columna: &str,
                      encabezado: &str,
                      campo: Option<&str>,
                      motivo: ReadingReason| ColumnReading {
            columna: columna.into(),
            encabezado: encabezado.into(),
            campo: campo.map(str::to_string),
            motivo,
        };
        SheetReport {
            nombre: "Hoja <1>".into(),
            resultado: SheetOutcome::Leida {
                dataset: "instancias".into(),
            },
            filas_encabezado: vec![3],
            filas_aceptadas: 9,
            filas_rechazadas: 0,
            filas_omitidas: 0,
            columnas_ignoradas: vec!["Notas & más".into()],
            columnas_personales_descartadas: vec!["DNI".into()],
            columnas_truncadas: false,
            columnas: vec![
                column(
                    "A",
                    "Programa",
                    Some("programa"),
                    ReadingReason::Encabezado {
                        palabras: "programa".into(),
                    },
                ),
                column(
                    "B",
                    "Lugar",
                    Some("barrio"),
                    ReadingReason::Contenido {
                        coinciden: 18,
                        de: 20,
                        lista: "barrios".into(),
                    },
                ),
                column("C", "Col3", Some("tema"), ReadingReason::Mapeo),
                column(
                    "D",
                    "Inscriptos enero",
                    Some("inscriptos"),
                    ReadingReason::Mensual,
                ),
                column("E", "Año", Some("periodo"), ReadingReason::Anio),
                column("F", "DNI", None, ReadingReason::Personal),
                column(
                    "G",
                    "Notas & más",
                    None,
                    ReadingReason::SinUso {
                        parecido: Some("resultado".into()),
                    },
                ),
                column("H", "", None, ReadingReason::SinUso { parecido: None }),
            ],
        }
    }

    #[test]
    fn a_new_layout_is_a_table_of_how_each_column_was_read_in_text_and_html() {
        let tables = [LayoutTable::of_sheet("planilla.xlsx", &sheet_report())];
        let text = layouts_text(&tables, Lang::Es);
        for expected in [
            "Cómo se leyeron las planillas con un formato nuevo:",
            "planilla.xlsx, hoja «Hoja <1>»:",
            "  Columna  Encabezado        Campo       Cómo se leyó\n",
            "  A        Programa          programa    por el encabezado (coincide con «programa»)\n",
            "  B        Lugar             barrio      por el contenido: 18 de 20 valores corresponden a «barrios»\n",
            "  C        Col3              tema        por la configuración (columnas asignadas en participa.toml)\n",
            "  D        Inscriptos enero  inscriptos  un mes del formato con una columna por mes\n",
            "  E        Año               periodo     el año del formato con una columna por mes\n",
            "  F        DNI               —           datos personales: se descarta al leer y no se guarda\n",
            "  G        Notas & más       —           no se usa (sus valores se parecen a «resultado»)\n",
            "  H        (sin encabezado)  —           no se usa\n",
        ] {
            assert!(text.contains(expected), "text lacks «{expected}»:\n{text}");
        }
        let html = layouts_html(&tables, Lang::Es);
        assert!(
            html.contains("<h3 style=\"font-size:14px\">planilla.xlsx, hoja «Hoja &lt;1&gt;»</h3>"),
            "{html}"
        );
        assert!(html.contains("<th style=\"border-bottom:2px solid #999;padding:4px 8px;text-align:left\">Cómo se leyó</th>"), "{html}");
        assert!(html.contains(&format!("<tr><td style=\"{TD}\">G</td><td style=\"{TD}\">Notas &amp; más</td><td style=\"{TD}\">—</td>")), "{html}");
        assert!(
            !html.contains("Notas & más") && !html.contains("<1>"),
            "everything from a file is escaped: {html}"
        );
        assert_eq!(
            html.matches("<tr>").count(),
            9,
            "a header row and one row per column"
        );
        let english = layouts_text(&tables, Lang::En);
        assert!(english.contains("  B       Lugar             barrio      by its content: 18 of 20 values are «barrios»\n"), "{english}");

        // A CSV has no sheet name.
        let csv = LayoutTable {
            file: "reuniones.csv".into(),
            sheet: String::new(),
            columns: sheet_report().columnas,
        };
        assert!(layouts_text(&[csv], Lang::Es).contains("\nreuniones.csv:\n"));
    }

    #[test]
    fn the_feedback_says_which_file_repeats_which_and_shows_new_layouts() {
        let cfg = MailConfig {
            dominios_permitidos: vec!["example.gob.ar".into()],
            ..MailConfig::default()
        };
        let accepted = [
            AcceptedFile {
                file: "planilla.xlsx".into(),
                rows: 9,
            },
            AcceptedFile {
                file: "planilla.ods".into(),
                rows: 0,
            },
        ];
        let repeated = [RepeatedFile {
            file: "planilla.ods".into(),
            of: "planilla.xlsx".into(),
            rows: 9,
        }];
        assert_eq!(
            repeated_sentence(&repeated[0], Lang::Es),
            "planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez."
        );
        assert_eq!(
            repeated_sentence(
                &RepeatedFile {
                    rows: 1,
                    ..repeated[0].clone()
                },
                Lang::En
            ),
            "planilla.ods repeats 1 row of planilla.xlsx; they are counted once."
        );
        let layouts = [LayoutTable::of_sheet("planilla.xlsx", &sheet_report())];
        let now = DateTime::parse_from_rfc3339("2019-04-02T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let feedback = Feedback {
            organismo: "Ministerio",
            accepted: &accepted,
            repeated: &repeated,
            layouts: &layouts,
            ..Feedback::default()
        };
        let message = feedback_message(
            &cfg,
            "datos@cultura.example.gob.ar",
            feedback,
            Lang::Es,
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // The parts are encoded; what they say is checked above and in `deliver::tests` (read
        // back by Python's e-mail package). Here: the message is whole and says it in both parts.
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(
            raw.contains("Content-Type: text/plain") && raw.contains("Content-Type: text/html"),
            "{raw}"
        );
    }

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
        assert_eq!(format_bytes(7_000_000, Lang::Es), "7,0 MB");
        assert_eq!(format_bytes(7_000_000, Lang::En), "7.0 MB");
        assert_eq!(format_bytes(312_400, Lang::Es), "312 kB");
        assert_eq!(
            spanish_date(NaiveDate::from_ymd_opt(2019, 4, 10).unwrap_or_default()),
            "10 de abril de 2019"
        );
        assert_eq!(path_segment("2019-03"), "2019-03");
        assert_eq!(path_segment("a b/ñ"), "a%20b%2F%C3%B1");
        assert!(check_message_id("<a.b@c>").is_ok());
        for bad in ["a@b", "<ab>", "<a b@c>", "<á@c>"] {
            assert!(check_message_id(bad).is_err(), "{bad}");
        }
    }
}
