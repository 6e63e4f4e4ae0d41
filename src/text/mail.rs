//! The e-mails' words: the report to its recipients, the feedback and the reminder to a
//! ministry. Alerts to the administrators are in Spanish, beside the code that writes them
//! (they are for the operators, like the log); only their footer is here.

use super::format::{bytes, count};
use super::Lang;
use crate::standard::ReadingReason;

/// Words every message and the report message use.
#[derive(Debug)]
pub struct MailWords {
    /// The link to the period's published folder.
    pub folder: &'static str,
    /// The link to the PDF.
    pub pdf: &'static str,
    /// The link to the workbook.
    pub xlsx: &'static str,
    /// The link to the index of every published report.
    pub index: &'static str,
    /// The signature of every message.
    pub footer: &'static str,
}

const MAIL_ES: MailWords = MailWords {
    folder: "Carpeta publicada del período",
    pdf: "Informe (PDF)",
    xlsx: "Datos (XLSX)",
    index: "Todos los informes publicados",
    footer:
        "Mensaje enviado automáticamente por participa. Para consultas, responda a este mensaje.",
};

const MAIL_EN: MailWords = MailWords {
    folder: "Published folder of the period",
    pdf: "Report (PDF)",
    xlsx: "Data (XLSX)",
    index: "All published reports",
    footer: "Message sent automatically by participa. For questions, reply to this message.",
};

impl MailWords {
    /// The words of `lang`.
    pub fn of(lang: Lang) -> &'static MailWords {
        lang.pick(&MAIL_ES, &MAIL_EN)
    }
}

/// How the report's files reach the recipient, in one sentence of the report message.
#[derive(Debug, Clone, Copy)]
pub enum Attachments<'a> {
    /// Attached: the PDF's and the workbook's names and sizes.
    Attached {
        /// The PDF's file name.
        pdf: &'a str,
        /// Its size.
        pdf_bytes: u64,
        /// The workbook's file name.
        xlsx: &'a str,
        /// Its size.
        xlsx_bytes: u64,
    },
    /// Too large together (`total` over `max`) and left at the published links.
    Published {
        /// Both files' size.
        total: u64,
        /// The limit per message.
        max: u64,
    },
    /// Too large together, and no publication address to link to.
    Unpublished {
        /// Both files' size.
        total: u64,
        /// The limit per message.
        max: u64,
    },
}

/// The report message's sentence about its files.
pub fn attachments_sentence(a: Attachments<'_>, lang: Lang) -> String {
    let size = |b| bytes(b, lang);
    match (a, lang) {
        (Attachments::Attached { pdf, pdf_bytes, xlsx, xlsx_bytes }, Lang::Es) => format!(
            "Se adjuntan el informe en PDF ({pdf}, {}) y los datos en un libro XLSX ({xlsx}, {}).",
            size(pdf_bytes),
            size(xlsx_bytes)
        ),
        (Attachments::Attached { pdf, pdf_bytes, xlsx, xlsx_bytes }, Lang::En) => format!(
            "The report is attached as a PDF ({pdf}, {}) and the data as an XLSX workbook ({xlsx}, {}).",
            size(pdf_bytes),
            size(xlsx_bytes)
        ),
        (Attachments::Published { total, max }, Lang::Es) => format!(
            "Los archivos del informe (PDF y XLSX, {} en total) no van adjuntos porque superan el máximo de {} por mensaje: están en la carpeta publicada, en los enlaces de abajo.",
            size(total),
            size(max)
        ),
        (Attachments::Published { total, max }, Lang::En) => format!(
            "The report's files (PDF and XLSX, {} together) are not attached because they exceed the limit of {} per message: they are in the published folder, at the links below.",
            size(total),
            size(max)
        ),
        (Attachments::Unpublished { total, max }, Lang::Es) => format!(
            "Los archivos del informe (PDF y XLSX, {} en total) no van adjuntos porque superan el máximo de {} por mensaje, y no hay una dirección de publicación configurada: pídalos respondiendo a este mensaje.",
            size(total),
            size(max)
        ),
        (Attachments::Unpublished { total, max }, Lang::En) => format!(
            "The report's files (PDF and XLSX, {} together) are not attached because they exceed the limit of {} per message, and no publication address is configured: ask for them by replying to this message.",
            size(total),
            size(max)
        ),
    }
}

/// The feedback message's fixed words.
#[derive(Debug)]
pub struct FeedbackWords {
    /// Title of the accepted rows per file.
    pub accepted_title: &'static str,
    /// When no row was rejected.
    pub none_rejected: &'static str,
    /// «Archivo» / «File».
    pub file: &'static str,
    /// «Hoja» / «Sheet».
    pub sheet: &'static str,
    /// «Fila» / «Row».
    pub row: &'static str,
    /// «Celda» / «Cell».
    pub cell: &'static str,
    /// «Motivo» / «Reason».
    pub reason: &'static str,
    /// «Filas aceptadas» / «Rows accepted».
    pub rows_accepted: &'static str,
    /// Says the rejected rows are attached as a workbook.
    pub attached: &'static str,
    /// After the rows listed when the rest are in the attached workbook.
    pub more: &'static str,
    /// «y» / «and».
    pub and: &'static str,
    /// Title of the files that repeat another's rows.
    pub repeated_title: &'static str,
    /// The attached workbook's file name.
    pub workbook_name: &'static str,
    /// The attached workbook's sheet name (at most 31 characters).
    pub workbook_sheet: &'static str,
}

const FEEDBACK_ES: FeedbackWords = FeedbackWords {
    accepted_title: "Filas aceptadas por archivo",
    none_rejected: "No se rechazó ninguna fila.",
    file: "Archivo",
    sheet: "Hoja",
    row: "Fila",
    cell: "Celda",
    reason: "Motivo",
    rows_accepted: "Filas aceptadas",
    attached: "Se adjunta una planilla con las filas rechazadas.",
    more: "más: la lista completa está en la planilla adjunta.",
    and: "y",
    repeated_title: "Archivos que repiten filas de otro archivo",
    workbook_name: "filas-rechazadas.xlsx",
    workbook_sheet: "Filas rechazadas",
};

const FEEDBACK_EN: FeedbackWords = FeedbackWords {
    accepted_title: "Rows accepted per file",
    none_rejected: "No row was rejected.",
    file: "File",
    sheet: "Sheet",
    row: "Row",
    cell: "Cell",
    reason: "Reason",
    rows_accepted: "Rows accepted",
    attached: "A workbook with the rejected rows is attached.",
    more: "more: the complete list is in the attached workbook.",
    and: "and",
    repeated_title: "Files that repeat rows of another file",
    workbook_name: "rejected-rows.xlsx",
    workbook_sheet: "Rejected rows",
};

impl FeedbackWords {
    /// The words of `lang`.
    pub fn of(lang: Lang) -> &'static FeedbackWords {
        lang.pick(&FEEDBACK_ES, &FEEDBACK_EN)
    }
}

/// The feedback's subject: whose files, rows accepted and rejected.
pub fn feedback_subject(organismo: &str, accepted: u64, rejected: u64, lang: Lang) -> String {
    let (a, r) = (count(accepted, lang), count(rejected, lang));
    match lang {
        Lang::Es => format!(
            "participa: resultado de los archivos de {organismo} — {a} filas aceptadas, {r} rechazadas"
        ),
        Lang::En => {
            format!("participa: results for {organismo}'s files — {a} rows accepted, {r} rejected")
        }
    }
}

/// The feedback's greeting and first paragraph (two paragraphs, a blank line apart).
pub fn feedback_intro(organismo: &str, lang: Lang) -> String {
    match lang {
        Lang::Es => {
            format!("Hola:\n\nparticipa leyó los archivos de {organismo}. Este es el resultado.")
        }
        Lang::En => {
            format!("Hello,\n\nparticipa has read the files of {organismo}. These are the results.")
        }
    }
}

/// Title of the rejected rows: how many, and what to do.
pub fn rejected_title(rejected: u64, lang: Lang) -> String {
    let n = count(rejected, lang);
    match lang {
        Lang::Es => format!(
            "Filas rechazadas ({n}): corríjalas en su archivo y vuelva a dejarlo en la carpeta compartida"
        ),
        Lang::En => format!(
            "Rejected rows ({n}): correct them in your file and drop it in the shared folder again"
        ),
    }
}

/// «planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.»
pub fn repeated_sentence(file: &str, rows: u64, of: &str, lang: Lang) -> String {
    let n = count(rows, lang);
    match lang {
        Lang::Es => {
            let filas = if rows == 1 { "fila" } else { "filas" };
            format!("{file} repite {n} {filas} de {of}; se cuentan una sola vez.")
        }
        Lang::En => {
            let what = if rows == 1 { "row" } else { "rows" };
            format!("{file} repeats {n} {what} of {of}; they are counted once.")
        }
    }
}

/// The words of the tables of how a new layout was read.
#[derive(Debug)]
pub struct LayoutWords {
    /// The section's title.
    pub title: &'static str,
    /// What the tables are and what to do about them.
    pub intro: &'static str,
    /// Column headers: letters, header, field, how it was read.
    pub cols: [&'static str; 4],
    /// «hoja» / «sheet», before a sheet's name.
    pub sheet: &'static str,
    /// A column without a header.
    pub no_header: &'static str,
}

const LAYOUT_ES: LayoutWords = LayoutWords {
    title: "Cómo se leyeron las planillas con un formato nuevo",
    intro: "Es la primera vez que recibimos estas hojas con estas columnas. Así se leyó cada una; si algún campo no corresponde, corrija el encabezado de la columna o avísenos respondiendo a este mensaje.",
    cols: ["Columna", "Encabezado", "Campo", "Cómo se leyó"],
    sheet: "hoja",
    no_header: "(sin encabezado)",
};

const LAYOUT_EN: LayoutWords = LayoutWords {
    title: "How the sheets with a new layout were read",
    intro: "These sheets are the first we receive with these columns. This is how each column was read; if a field is wrong, correct the column's header or tell us by replying to this message.",
    cols: ["Column", "Header", "Field", "How it was read"],
    sheet: "sheet",
    no_header: "(no header)",
};

impl LayoutWords {
    /// The words of `lang`.
    pub fn of(lang: Lang) -> &'static LayoutWords {
        lang.pick(&LAYOUT_ES, &LAYOUT_EN)
    }
}

/// Why a column was read the way it was, in words.
pub fn reading_reason(reason: &ReadingReason, lang: Lang) -> String {
    use ReadingReason as R;
    match (lang, reason) {
        (Lang::Es, R::Encabezado { palabras }) => {
            format!("por el encabezado (coincide con «{palabras}»)")
        }
        (Lang::En, R::Encabezado { palabras }) => format!("by its header (matches «{palabras}»)"),
        (
            Lang::Es,
            R::Contenido {
                coinciden,
                de,
                lista,
            },
        ) => {
            format!("por el contenido: {coinciden} de {de} valores corresponden a «{lista}»")
        }
        (
            Lang::En,
            R::Contenido {
                coinciden,
                de,
                lista,
            },
        ) => {
            format!("by its content: {coinciden} of {de} values are «{lista}»")
        }
        (Lang::Es, R::Mapeo) => {
            "por la configuración (columnas asignadas en participa.toml)".to_string()
        }
        (Lang::En, R::Mapeo) => {
            "by the configuration (columns mapped in participa.toml)".to_string()
        }
        (Lang::Es, R::Mensual) => "un mes del formato con una columna por mes".to_string(),
        (Lang::En, R::Mensual) => "one month of a layout with a column per month".to_string(),
        (Lang::Es, R::Anio) => "el año del formato con una columna por mes".to_string(),
        (Lang::En, R::Anio) => "the year of a layout with a column per month".to_string(),
        (Lang::Es, R::Personal) => {
            "datos personales: se descarta al leer y no se guarda".to_string()
        }
        (Lang::En, R::Personal) => "personal data: dropped when read, never stored".to_string(),
        (Lang::Es, R::SinUso { parecido: None }) => "no se usa".to_string(),
        (Lang::En, R::SinUso { parecido: None }) => "not used".to_string(),
        (Lang::Es, R::SinUso { parecido: Some(p) }) => {
            format!("no se usa (sus valores se parecen a «{p}»)")
        }
        (Lang::En, R::SinUso { parecido: Some(p) }) => {
            format!("not used (its values look like «{p}»)")
        }
    }
}

/// The reminder to a ministry contact (in Spanish: ministries write in Spanish): its subject
/// and paragraphs. `period` is «marzo de 2019», `deadline` «10 de abril de 2019».
pub fn reminder(organismo: &str, period: &str, deadline: &str) -> (String, [String; 4]) {
    (
        format!("Recordatorio: datos de {period} de {organismo}"),
        [
            "Hola:".to_string(),
            format!("Les recordamos que todavía no recibimos datos de {organismo} correspondientes a {period}. El plazo para enviarlos vence el {deadline}."),
            "Para enviarlos, dejen las planillas en la carpeta compartida de su organismo, como de costumbre. Si ya las dejaron en estos días, pueden ignorar este mensaje; si en el período no hubo actividad, respondan a este mensaje para que quede registrado.".to_string(),
            "Muchas gracias.".to_string(),
        ],
    )
}

/// The paragraphs of the reminder to an organismo that sent its month with data-quality
/// findings (in Spanish, the reminders' language): (organismo, month, deadline, findings).
pub fn findings_reminder(
    organismo: &str,
    period_label: &str,
    due: &str,
    findings: &[String],
) -> Vec<String> {
    let list: Vec<String> = findings.iter().map(|f| format!("• {f}")).collect();
    vec![
        "Hola:".to_string(),
        format!("Recibimos los datos de {organismo} correspondientes a {period_label}, gracias. Al revisarlos encontramos algo para completar:"),
        list.join("\n"),
        format!("Registrar el resultado de cada instancia (los acuerdos, lo que se decidió) permite mostrar a quienes participaron qué se hizo con su aporte. Pueden completar las planillas y volver a dejarlas en la carpeta compartida de su organismo antes del {due}."),
        "Muchas gracias.".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_a_column_was_read_in_words() {
        let unused = |parecido: Option<&str>| ReadingReason::SinUso {
            parecido: parecido.map(str::to_string),
        };
        let cases = [
            (
                ReadingReason::Encabezado {
                    palabras: "programa".into(),
                },
                "por el encabezado (coincide con «programa»)",
                "by its header (matches «programa»)",
            ),
            (
                ReadingReason::Contenido {
                    coinciden: 18,
                    de: 20,
                    lista: "barrios".into(),
                },
                "por el contenido: 18 de 20 valores corresponden a «barrios»",
                "by its content: 18 of 20 values are «barrios»",
            ),
            (
                ReadingReason::Mapeo,
                "por la configuración (columnas asignadas en participa.toml)",
                "by the configuration (columns mapped in participa.toml)",
            ),
            (
                ReadingReason::Mensual,
                "un mes del formato con una columna por mes",
                "one month of a layout with a column per month",
            ),
            (
                ReadingReason::Anio,
                "el año del formato con una columna por mes",
                "the year of a layout with a column per month",
            ),
            (
                ReadingReason::Personal,
                "datos personales: se descarta al leer y no se guarda",
                "personal data: dropped when read, never stored",
            ),
            (unused(None), "no se usa", "not used"),
            (
                unused(Some("resultado")),
                "no se usa (sus valores se parecen a «resultado»)",
                "not used (its values look like «resultado»)",
            ),
        ];
        for (reason, es, en) in cases {
            assert_eq!(reading_reason(&reason, Lang::Es), es);
            assert_eq!(reading_reason(&reason, Lang::En), en);
        }
    }
}
