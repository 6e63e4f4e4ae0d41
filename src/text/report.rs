//! The report's words: the fixed [`Labels`] every renderer prints around the content, the
//! [`Words`] of its tables, charts and notes, and its sentences.

use serde::Serialize;

use super::Lang;

/// Fixed words the renderers print around the content, in the report's language.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Labels {
    /// «Resumen» / «Summary».
    pub summary: &'static str,
    /// «Contenido» / «Contents».
    pub contents: &'static str,
    /// «Calidad y oportunidad de los datos» / «Data quality and timeliness».
    pub quality: &'static str,
    /// «Anexo: archivos de origen» / «Annex: source files».
    pub annex: &'static str,
    /// «Filas rechazadas» / «Rejected rows».
    pub rejected: &'static str,
    /// «Página» / «Page».
    pub page: &'static str,
    /// «de» / «of» (as in «Página 3 de 12»).
    pub of: &'static str,
    /// «Fecha de emisión» / «Date of issue».
    pub issued: &'static str,
    /// «Versión de los datos» / «Data version».
    pub data_version: &'static str,
    /// «Período» / «Period».
    pub period: &'static str,
    /// «(continúa)» / «(continued)», after a table title on the next page.
    pub continued: &'static str,
    /// «Meta» / «Target».
    pub target: &'static str,
    /// «Línea de base» / «Baseline».
    pub baseline: &'static str,
    /// Sentence printed when the period has no data.
    pub no_data: &'static str,
    /// «Organismos que no enviaron datos del período» / «Bodies that sent nothing…».
    pub silent: &'static str,
    /// «Ninguno» / «None».
    pub none: &'static str,
    /// «Fuentes de esta sección» / «Sources of this section».
    pub sources: &'static str,
    /// «Indicador» / «Indicator» (summary table header).
    pub indicator: &'static str,
    /// «Valor» / «Value».
    pub value: &'static str,
    /// «Acumulado» / «Cumulative».
    pub cumulative: &'static str,
}

const LABELS_ES: Labels = Labels {
    summary: "Resumen",
    contents: "Contenido",
    quality: "Calidad y oportunidad de los datos",
    annex: "Anexo: archivos de origen",
    rejected: "Filas rechazadas",
    page: "Página",
    of: "de",
    issued: "Fecha de emisión",
    data_version: "Versión de los datos",
    period: "Período",
    continued: "(continúa)",
    target: "Meta",
    baseline: "Línea de base",
    no_data: "No se recibieron datos de este período: las cifras del período son cero o no están definidas.",
    silent: "Organismos que no enviaron datos del período",
    none: "Ninguno",
    sources: "Fuentes de esta sección",
    indicator: "Indicador",
    value: "Valor",
    cumulative: "Acumulado",
};

const LABELS_EN: Labels = Labels {
    summary: "Summary",
    contents: "Contents",
    quality: "Data quality and timeliness",
    annex: "Annex: source files",
    rejected: "Rejected rows",
    page: "Page",
    of: "of",
    issued: "Date of issue",
    data_version: "Data version",
    period: "Period",
    continued: "(continued)",
    target: "Target",
    baseline: "Baseline",
    no_data: "No data was received for this period: the period's figures are zero or undefined.",
    silent: "Bodies that sent no data for the period",
    none: "None",
    sources: "Sources of this section",
    indicator: "Indicator",
    value: "Value",
    cumulative: "Cumulative",
};

impl Labels {
    /// The labels of `lang`.
    pub fn of(lang: Lang) -> Labels {
        lang.pick(LABELS_ES, LABELS_EN)
    }
}

/// The words of the report's tables, charts and notes.
#[derive(Debug)]
pub struct Words {
    /// «Organismo» (a domain noun, the same in English).
    pub organismo: &'static str,
    /// «Total».
    pub total: &'static str,
    /// «Mes» / «Month».
    pub month: &'static str,
    /// «(sin dato)» / «(not given)»: a group of rows without a value.
    pub not_given: &'static str,
    /// «Filas» / «Rows».
    pub rows: &'static str,
    /// «Alcanzado» / «Reached».
    pub reached: &'static str,
    /// «Instancias» / «Instances».
    pub instances: &'static str,
    /// «sí» / «yes».
    pub yes: &'static str,
    /// «no».
    pub no: &'static str,
    /// «Por» / «By», heading a breakdown table.
    pub by: &'static str,
    /// «por» / «by», inside a chart's title.
    pub by_lower: &'static str,
    /// «acumulado» / «cumulative», inside a title.
    pub cumulative_lower: &'static str,
    /// «Instancias por» / «Instances by».
    pub instances_by: &'static str,
    /// «en el período» / «in the period».
    pub in_the_period: &'static str,
    /// «Acumulado desde» / «Cumulative since».
    pub cumulative_since: &'static str,
    /// «de la meta» / «of the target».
    pub of_the_target: &'static str,
    /// «Por mes, desde el inicio del compromiso».
    pub by_month: &'static str,
    /// «Franja» / «Band» (of ages).
    pub band: &'static str,
    /// «Participantes» / «Participants».
    pub participants: &'static str,
    /// «Proporción» / «Share».
    pub share: &'static str,
    /// «sin datos para calcularlo» / «no data to compute it».
    pub no_data_to_compute: &'static str,
    /// «Archivo» / «File».
    pub file: &'static str,
    /// «Archivos» / «Files».
    pub files: &'static str,
    /// «Filas usadas» / «Rows used».
    pub rows_used: &'static str,
    /// Under a section's sources: where each file and row is.
    pub sources_note: &'static str,
    /// «Archivos y filas por organismo» / «Files and rows by body».
    pub files_and_rows: &'static str,
    /// «Filas aceptadas» / «Rows accepted».
    pub rows_accepted: &'static str,
    /// «Filas rechazadas» / «Rows rejected».
    pub rows_rejected: &'static str,
    /// «Proporción rechazada» / «Share rejected».
    pub share_rejected: &'static str,
    /// Under the quality table: what each column counts.
    pub quality_note: &'static str,
    /// «Archivos de origen» / «Source files».
    pub source_files: &'static str,
    /// «Recibido» / «Received».
    pub received: &'static str,
    /// Under the annex: what «rows used» and the SHA-256 mean.
    pub annex_note: &'static str,
    /// «Filas rechazadas de los archivos del período».
    pub rejected_title: &'static str,
    /// «Hoja» / «Sheet».
    pub sheet: &'static str,
    /// «Fila» / «Row».
    pub row: &'static str,
    /// «Celda» / «Cell».
    pub cell: &'static str,
    /// «Código» / «Code».
    pub code: &'static str,
    /// «Motivo» / «Reason».
    pub reason: &'static str,
}

const WORDS_ES: Words = Words {
    organismo: "Organismo",
    total: "Total",
    month: "Mes",
    not_given: "(sin dato)",
    rows: "Filas",
    reached: "Alcanzado",
    instances: "Instancias",
    yes: "sí",
    no: "no",
    by: "Por",
    by_lower: "por",
    cumulative_lower: "acumulado",
    instances_by: "Instancias por",
    in_the_period: "en el período",
    cumulative_since: "Acumulado desde",
    of_the_target: "de la meta",
    by_month: "Por mes, desde el inicio del compromiso",
    band: "Franja",
    participants: "Participantes",
    share: "Proporción",
    no_data_to_compute: "sin datos para calcularlo",
    file: "Archivo",
    files: "Archivos",
    rows_used: "Filas usadas",
    sources_note: "Cada archivo figura con su SHA-256 en el anexo; cada fila, con su hoja y su número, en la hoja del dataset del libro XLSX.",
    files_and_rows: "Archivos y filas por organismo",
    rows_accepted: "Filas aceptadas",
    rows_rejected: "Filas rechazadas",
    share_rejected: "Proporción rechazada",
    quality_note: "Archivos: los que tienen filas fechadas en el período. Filas aceptadas: las del período. Filas rechazadas: todas las de esos archivos, porque una fila rechazada puede no tener una fecha válida; el detalle, con la celda y el motivo, está en la sección de filas rechazadas.",
    source_files: "Archivos de origen",
    received: "Recibido",
    annex_note: "Filas usadas: filas del archivo que entran en alguna cifra del informe (el período, el acumulado o el estado al cierre). Un archivo con 0 filas usadas no pudo leerse o todas sus filas fueron rechazadas. El SHA-256 identifica el contenido exacto recibido: `sha256sum archivo` lo reproduce.",
    rejected_title: "Filas rechazadas de los archivos del período",
    sheet: "Hoja",
    row: "Fila",
    cell: "Celda",
    code: "Código",
    reason: "Motivo",
};

const WORDS_EN: Words = Words {
    organismo: "Organismo",
    total: "Total",
    month: "Month",
    not_given: "(not given)",
    rows: "Rows",
    reached: "Reached",
    instances: "Instances",
    yes: "yes",
    no: "no",
    by: "By",
    by_lower: "by",
    cumulative_lower: "cumulative",
    instances_by: "Instances by",
    in_the_period: "in the period",
    cumulative_since: "Cumulative since",
    of_the_target: "of the target",
    by_month: "By month, since the commitment's start",
    band: "Band",
    participants: "Participants",
    share: "Share",
    no_data_to_compute: "no data to compute it",
    file: "File",
    files: "Files",
    rows_used: "Rows used",
    sources_note: "Each file is listed with its SHA-256 in the annex; each row, with its sheet and number, in the dataset's sheet of the XLSX workbook.",
    files_and_rows: "Files and rows by body",
    rows_accepted: "Rows accepted",
    rows_rejected: "Rows rejected",
    share_rejected: "Share rejected",
    quality_note: "Files: those with rows dated in the period. Rows accepted: those of the period. Rows rejected: all of those files' rejected rows, since a rejected row may lack a valid date; the detail, with the cell and the reason, is in the rejected rows section.",
    source_files: "Source files",
    received: "Received",
    annex_note: "Rows used: rows of the file that enter some figure of the report (the period, the cumulative count or the state at the close). A file with 0 rows used could not be read or had every row rejected. The SHA-256 identifies the exact content received: `sha256sum file` reproduces it.",
    rejected_title: "Rejected rows of the period's files",
    sheet: "Sheet",
    row: "Row",
    cell: "Cell",
    code: "Code",
    reason: "Reason",
};

impl Words {
    /// The words of `lang`.
    pub fn of(lang: Lang) -> &'static Words {
        lang.pick(&WORDS_ES, &WORDS_EN)
    }
}

/// The report's title: «Informe de rendición de cuentas — marzo de 2019».
pub fn title(period_label: &str, lang: Lang) -> String {
    match lang {
        Lang::Es => format!("Informe de rendición de cuentas — {period_label}"),
        Lang::En => format!("Accountability report — {period_label}"),
    }
}

/// The one-line subject of the document's metadata.
pub fn subject(commitment_code: &str, period_label: &str, lang: Lang) -> String {
    match lang {
        Lang::Es => format!(
            "Indicadores del compromiso {commitment_code} de participación ciudadana, {period_label}"
        ),
        Lang::En => format!(
            "Indicators of the citizen participation commitment {commitment_code}, {period_label}"
        ),
    }
}

/// A comuna by its number: «Comuna 4» (a domain noun, the same in English).
pub fn comuna(number: &str) -> String {
    format!("Comuna {number}")
}

/// The English title of a field the standard titles in Spanish only (table headers of an
/// English report); `None` for a field whose Spanish title is kept.
pub fn field_title_en(field: &str) -> Option<&'static str> {
    Some(match field {
        "programa" => "Programme",
        "comuna" => "Comuna",
        "barrio" => "Barrio",
        "estado" => "State",
        "modalidad" => "Modality",
        "categoria" => "Category",
        "participantes_0_17" => "Aged 0 to 17",
        "participantes_18_29" => "Aged 18 to 29",
        "participantes_30_44" => "Aged 30 to 44",
        "participantes_45_64" => "Aged 45 to 64",
        "participantes_65_mas" => "Aged 65 and over",
        _ => return None,
    })
}

/// Under a reach table: the `n` instances that name no member of the universe, which the
/// table leaves out; `label` is the configured name of such rows («Toda la ciudad»), `field`
/// the field's title in lower case.
pub fn unreached_note(label: Option<&str>, field: &str, n: u64, lang: Lang) -> String {
    match (label, lang) {
        (Some(label), Lang::Es) => {
            format!("Instancias de «{label}» (sin {field}), fuera del alcance por {field}: {n}.")
        }
        (Some(label), Lang::En) => {
            format!("Instances of “{label}” (no {field}), outside the reach by {field}: {n}.")
        }
        (None, Lang::Es) => format!("Instancias sin {field}, fuera del alcance por {field}: {n}."),
        (None, Lang::En) => {
            format!("Instances without a {field}, outside the reach by {field}: {n}.")
        }
    }
}

/// Beside a reach figure: the `n` instances of `label` it does not count («sin contar 3
/// instancias de «Toda la ciudad»»); `None` for none.
pub fn not_counting(n: u64, label: &str, lang: Lang) -> Option<String> {
    match (n, lang) {
        (0, _) => None,
        (1, Lang::Es) => Some(format!("sin contar 1 instancia de «{label}»")),
        (_, Lang::Es) => Some(format!("sin contar {n} instancias de «{label}»")),
        (1, Lang::En) => Some(format!("not counting 1 instance of “{label}”")),
        (_, Lang::En) => Some(format!("not counting {n} instances of “{label}”")),
    }
}

/// Beside a figure: `n` rows do not state it and are not counted as zero.
pub fn rows_without_figure(n: u64, lang: Lang) -> String {
    match lang {
        Lang::Es => format!("{n} filas sin el dato (no se cuentan como cero)"),
        Lang::En => format!("{n} rows without the figure (not counted as zero)"),
    }
}

/// Under the PDF's rejected rows, cut to the first `shown` of `total`.
pub fn rejected_rows_cut(shown: usize, total: usize, lang: Lang) -> String {
    match lang {
        Lang::Es => format!(
            "Se muestran las primeras {shown} de {total} filas rechazadas; el libro XLSX las tiene todas."
        ),
        Lang::En => format!(
            "The first {shown} of {total} rejected rows are shown; the XLSX workbook has them all."
        ),
    }
}
