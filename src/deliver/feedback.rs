//! The feedback to a ministry contact after an ingest that changed its files: rows accepted
//! per file, files that repeat another's rows, every rejected row (and, for a long list, the
//! rows as a table the caller attaches as a workbook), and how each sheet of a new layout was
//! read. Built from data the caller gives, like every message (see [`super::message`]).

use chrono::{DateTime, Utc};
use lettre::message::{Attachment, MultiPart};
use lettre::Message;

use super::config::MailConfig;
use super::message::{base, content_type, derived_id, page, th, TD, XLSX_TYPE};
use super::DeliverError;
use crate::report::model::{Cell, Column, Kind, Table};
use crate::standard::{ColumnReading, SheetReport};
use crate::text::mail::{self, FeedbackWords, LayoutWords, MailWords};
use crate::text::{count, html_escape as esc, Lang};

/// Rejected rows listed in a feedback message's body when the complete list is attached as a
/// workbook: enough to see what went wrong, small enough that the message is not refused for
/// its size.
pub const MAX_LISTED_REJECTED_ROWS: usize = 500;

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
    let n = |v: u64| count(v, lang);
    let w = FeedbackWords::of(lang);
    let accepted_rows: u64 = accepted.iter().map(|a| a.rows).sum();
    let rejected_rows = rejected.len() as u64;
    let subject = mail::feedback_subject(organismo, accepted_rows, rejected_rows, lang);
    let intro = mail::feedback_intro(organismo, lang);
    let rejected_title = mail::rejected_title(rejected_rows, lang);
    let listed = if rejected_xlsx.is_some() {
        rejected.len().min(MAX_LISTED_REJECTED_ROWS)
    } else {
        rejected.len()
    };
    let unlisted = rejected.len() - listed;

    let mut text = format!("{intro}\n\n{}:\n", w.accepted_title);
    for a in accepted {
        text.push_str(&format!("  - {}: {}\n", a.file, n(a.rows)));
    }
    text.push('\n');
    if !repeated.is_empty() {
        text.push_str(&format!("{}:\n", w.repeated_title));
        for r in repeated {
            text.push_str(&format!("  - {}\n", repeated_sentence(r, lang)));
        }
        text.push('\n');
    }
    if rejected.is_empty() {
        text.push_str(w.none_rejected);
        text.push('\n');
    } else {
        text.push_str(&format!("{rejected_title}:\n"));
        for r in &rejected[..listed] {
            text.push_str(&format!("  - {}", r.file));
            if !r.sheet.is_empty() {
                text.push_str(&format!(", {} {}", w.sheet.to_lowercase(), r.sheet));
            }
            text.push_str(&format!(", {} {}", w.row.to_lowercase(), r.row));
            if !r.cell.is_empty() {
                text.push_str(&format!(", {} {}", w.cell.to_lowercase(), r.cell));
            }
            text.push_str(&format!(": {}\n", r.reason));
        }
        if unlisted > 0 {
            text.push_str(&format!(
                "  … {} {} {}\n",
                w.and,
                n(unlisted as u64),
                w.more
            ));
        }
    }
    if !layouts.is_empty() {
        text.push_str(&layouts_text(layouts, lang));
    }
    if rejected_xlsx.is_some() {
        text.push_str(&format!("\n{}\n", w.attached));
    }
    text.push_str(&format!("\n-- \n{}\n", MailWords::of(lang).footer));

    let mut html = String::new();
    for para in intro.split("\n\n") {
        html.push_str(&format!("<p>{}</p>\n", esc(para)));
    }
    html.push_str(&format!("<h2 style=\"font-size:16px\">{}</h2>\n<table style=\"border-collapse:collapse\">\n<tr>{}{}</tr>\n", esc(w.accepted_title), th(w.file, false), th(w.rows_accepted, true)));
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
            esc(w.repeated_title)
        ));
        for r in repeated {
            html.push_str(&format!("<li>{}</li>\n", esc(&repeated_sentence(r, lang))));
        }
        html.push_str("</ul>\n");
    }
    if rejected.is_empty() {
        html.push_str(&format!("<p>{}</p>\n", esc(w.none_rejected)));
    } else {
        html.push_str(&format!("<h2 style=\"font-size:16px\">{}</h2>\n<table style=\"border-collapse:collapse\">\n<tr>", esc(&rejected_title)));
        for (i, c) in [w.file, w.sheet, w.row, w.cell, w.reason]
            .iter()
            .enumerate()
        {
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
                w.and,
                esc(&n(unlisted as u64)),
                esc(w.more)
            ));
        }
    }
    if !layouts.is_empty() {
        html.push_str(&layouts_html(layouts, lang));
    }
    if rejected_xlsx.is_some() {
        html.push_str(&format!("<p>{}</p>\n", esc(w.attached)));
    }
    html.push_str(&format!(
        "<p style=\"color:#888;font-size:12px\">{}</p>\n",
        esc(MailWords::of(lang).footer)
    ));

    let id = derived_id(cfg, "devolucion", &[organismo, to, &subject], now);
    let builder = base(cfg, &[to], &subject, id, now)?;
    let body = MultiPart::alternative_plain_html(text, page(lang.tag(), &subject, &html));
    let message = match rejected_xlsx {
        Some(xlsx) => builder.multipart(MultiPart::mixed().multipart(body).singlepart(
            Attachment::new(w.workbook_name.to_string()).body(xlsx, content_type(XLSX_TYPE)?),
        )),
        None => builder.multipart(body),
    };
    message.map_err(|e| DeliverError::Build(e.to_string()))
}

/// «planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.»
fn repeated_sentence(r: &RepeatedFile, lang: Lang) -> String {
    mail::repeated_sentence(&r.file, r.rows, &r.of, lang)
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
        mail::reading_reason(&c.motivo, lang),
    ]
}

/// The layout tables as plain text, columns aligned.
fn layouts_text(layouts: &[LayoutTable], lang: Lang) -> String {
    let w = LayoutWords::of(lang);
    let mut out = format!("\n{}:\n{}\n", w.title, w.intro);
    for t in layouts {
        out.push_str(&format!("\n{}:\n", layout_place(t, w)));
        let rows: Vec<[String; 4]> = std::iter::once(w.cols.map(str::to_string))
            .chain(t.columns.iter().map(|c| column_cells(c, w, lang)))
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
        out.push_str(&format!("<h3 style=\"font-size:14px\">{}</h3>\n<table style=\"border-collapse:collapse\">\n<tr>", esc(&layout_place(t, w))));
        for c in w.cols {
            out.push_str(&th(c, false));
        }
        out.push_str("</tr>\n");
        for c in &t.columns {
            out.push_str("<tr>");
            for cell in column_cells(c, w, lang) {
                out.push_str(&format!("<td style=\"{TD}\">{}</td>", esc(&cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out
}

/// The rejected rows as a table (file, sheet, row, cell, reason) titled for the workbook the
/// feedback attaches; the caller renders it (`report::xlsx::table_workbook`).
pub fn rejected_rows_table(rows: &[RejectedRow], lang: Lang) -> Table {
    let w = FeedbackWords::of(lang);
    Table {
        title: w.workbook_sheet.to_string(),
        columns: vec![
            Column::new(w.file, Kind::Text),
            Column::new(w.sheet, Kind::Text),
            Column::new(w.row, Kind::Integer),
            Column::new(w.cell, Kind::Text),
            Column::new(w.reason, Kind::Text),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.file.clone()),
                    Cell::Text(r.sheet.clone()),
                    Cell::Int(i64::try_from(r.row).unwrap_or(i64::MAX)),
                    Cell::Text(r.cell.clone()),
                    Cell::Text(r.reason.clone()),
                ]
            })
            .collect(),
        totals: None,
        note: None,
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::standard::{ReadingReason, SheetOutcome};

    /// A sheet report as `standard` fills it, with a column without a header and texts that
    /// need escaping (every reason's words are `text::mail`'s test).
    fn sheet_report() -> SheetReport {
        let column = |columna: &str, encabezado: &str, campo: Option<&str>, motivo| ColumnReading {
            columna: columna.into(),
            encabezado: encabezado.into(),
            campo: campo.map(str::to_string),
            motivo,
        };
        let unused = |parecido: Option<&str>| ReadingReason::SinUso {
            parecido: parecido.map(str::to_string),
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
            columnas_personales_descartadas: Vec::new(),
            columnas_truncadas: false,
            columnas: vec![
                column("A", "Programa", Some("programa"), ReadingReason::Mapeo),
                column("G", "Notas & más", None, unused(Some("resultado"))),
                column("H", "", None, unused(None)),
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
            "  Columna  Encabezado        Campo     Cómo se leyó\n",
            "  A        Programa          programa  por la configuración (columnas asignadas en participa.toml)\n",
            "  G        Notas & más       —         no se usa (sus valores se parecen a «resultado»)\n",
            "  H        (sin encabezado)  —         no se usa\n",
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
            4,
            "a header row and one row per column"
        );
        let english = layouts_text(&tables, Lang::En);
        assert!(
            english.contains("  H       (no header)  —         not used\n"),
            "{english}"
        );

        // A CSV has no sheet name.
        let csv = LayoutTable {
            file: "reuniones.csv".into(),
            sheet: String::new(),
            columns: sheet_report().columnas,
        };
        assert!(layouts_text(&[csv], Lang::Es).contains("\nreuniones.csv:\n"));
    }

    #[test]
    fn a_repeated_file_is_one_sentence_in_the_message_language() {
        let repeated = RepeatedFile {
            file: "planilla.ods".into(),
            of: "planilla.xlsx".into(),
            rows: 9,
        };
        assert_eq!(
            repeated_sentence(&repeated, Lang::Es),
            "planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez."
        );
        let one = RepeatedFile {
            rows: 1,
            ..repeated
        };
        assert_eq!(
            repeated_sentence(&one, Lang::En),
            "planilla.ods repeats 1 row of planilla.xlsx; they are counted once."
        );
    }
}
