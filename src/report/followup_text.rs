//! Every word of the follow-up of processes (results of the instances, stages and trajectories
//! of the initiatives) in Spanish and English: the labels and sentences `followup` puts in the
//! model, and the few words of the published pages. Kept in one file so that a language is
//! one place.
//!
//! Texts only: no figure is computed here. The number, date and month formats are the
//! model's and `text`'s, named here so the follow-up's files name them once.

pub use super::model::format_cell;
use crate::indicators::period::{Month, Period};
pub use crate::text::{html_escape, Lang};

/// Lang of an `english` switch.
fn lang_of(english: bool) -> Lang {
    if english {
        Lang::En
    } else {
        Lang::Es
    }
}

/// A number with `places` decimals, as the report writes it.
pub fn format_number(n: f64, places: u8, lang: Lang) -> String {
    crate::text::number(n, places, lang)
}

/// «marzo de 2019» / «March 2019».
pub fn month_label(m: Month, english: bool) -> String {
    crate::text::month_label(m, lang_of(english))
}

/// «mar. 2019» / «Mar 2019».
pub fn month_short(m: Month, english: bool) -> String {
    crate::text::month_short(m, lang_of(english))
}

/// A period's name in the report's language.
pub fn period_label(p: Period, english: bool) -> String {
    crate::text::period_label(p, lang_of(english))
}

/// The follow-up's words in one language.
pub struct Words {
    /// Titles of fields the standard titles in Spanish only, for an English report.
    pub english_fields: &'static [(&'static str, &'static str)],
    /// «Organismo».
    pub organismo: &'static str,
    /// «Mes».
    pub month: &'static str,
    /// «Total».
    pub total: &'static str,
    /// A listing's title when the configuration gives none.
    pub listing_title: &'static str,
    /// Under a listing cut at its maximum: (shown, total, dataset).
    pub listing_cut: fn(u64, u64, &str) -> String,
    /// Under a listing: what «—» means.
    pub listing_empty: &'static str,
    /// The sheet of a listing: (section title) → sheet title.
    pub listing_sheet: &'static str,
    /// Title of the table of states at each month's close.
    pub by_month: &'static str,
    /// Note under it.
    pub by_month_note: &'static str,
    /// Title of the changes of state.
    pub transitions: &'static str,
    /// Its columns: from, to, how many.
    pub from: &'static str,
    /// «A».
    pub to: &'static str,
    /// «Cambios».
    pub changes: &'static str,
    /// The «from» of an item first reported.
    pub first_report: &'static str,
    /// Note under the changes.
    pub transitions_note: &'static str,
    /// Figure: changes of state in the period.
    pub changes_figure: &'static str,
    /// Figure: items first reported in the period.
    pub first_reports_figure: &'static str,
    /// The stacked chart's title suffix.
    pub at_each_close: &'static str,
    /// Quality finding table: (indicator title) → title.
    pub below_title: fn(&str) -> String,
    /// Its value column of rows.
    pub rows: &'static str,
    /// Its minimum column.
    pub minimum: &'static str,
    /// Note when no organismo is below: (minimum as written).
    pub none_below: fn(&str) -> String,
    /// Note when some are: (minimum as written).
    pub some_below: fn(&str) -> String,
    /// A finding's sentence: (indicator title, value, minimum).
    pub finding: fn(&str, &str, &str) -> String,
    /// The annex's heading: (indicator title).
    pub annex_title: fn(&str) -> String,
    /// The annex's description: (days).
    pub annex_description: fn(i64) -> String,
    /// Table of changes in the period.
    pub changed_title: &'static str,
    /// Table of stale items: (days).
    pub stale_title: fn(i64) -> String,
    /// Note when a table has no row.
    pub none: &'static str,
    /// Column titles of trajectories.
    pub id: &'static str,
    /// «Título».
    pub title: &'static str,
    /// «Comuna».
    pub comuna: &'static str,
    /// «Estado anterior».
    pub previous: &'static str,
    /// «Estado».
    pub state: &'static str,
    /// «Fecha del cambio».
    pub change_date: &'static str,
    /// «Fecha».
    pub date: &'static str,
    /// «Avance».
    pub progress: &'static str,
    /// «Última actualización».
    pub last_update: &'static str,
    /// «Días sin actualizar».
    pub days_since: &'static str,
    /// «Cambio».
    pub change: &'static str,
    /// The trajectories sheet.
    pub trajectories_sheet: &'static str,
    /// Its table title.
    pub trajectories_title: &'static str,
    /// Its note.
    pub trajectories_note: &'static str,
    /// The published history's description.
    pub history_description: &'static str,
    /// The follow-up page's title: (period label).
    pub page_title: fn(&str) -> String,
    /// Its description.
    pub page_description: &'static str,
    /// How to search it.
    pub search_hint: &'static str,
    /// Heading of the comuna list.
    pub comunas_title: &'static str,
    /// «Volver».
    pub back: &'static str,
    /// The index's link to the page.
    pub link_text: &'static str,
    /// A comuna page's title: (comuna, indicator title).
    pub comuna_title: fn(i64, &str) -> String,
    /// A comuna page's description: (items, period label).
    pub comuna_description: fn(usize, &str) -> String,
}

/// The words of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Es => &ES,
        Lang::En => &EN,
    }
}

static ES: Words = Words {
    english_fields: &[],
    organismo: "Organismo",
    month: "Mes",
    total: "Total",
    listing_title: "Filas del período",
    listing_cut: |shown, total, dataset| {
        format!("Se listan las primeras {shown} de {total} filas del período, por fecha; la hoja «{dataset}» del libro XLSX y el archivo {dataset}.csv las tienen todas.")
    },
    listing_empty: "«—»: el organismo no registró el dato.",
    listing_sheet: "Listado",
    by_month: "Al cierre de cada mes, desde el inicio del compromiso",
    by_month_note: "Cada iniciativa cuenta con su última actualización fechada hasta el último día del mes.",
    transitions: "Cambios de estado en el período",
    from: "De",
    to: "A",
    changes: "Cambios",
    first_report: "(primer reporte)",
    transitions_note: "Cada cambio cuenta una vez, con la fecha de la actualización que lo informó por primera vez; «(primer reporte)»: iniciativas informadas por primera vez en el período.",
    changes_figure: "Cambios de estado en el período",
    first_reports_figure: "Iniciativas informadas por primera vez en el período",
    at_each_close: "al cierre de cada mes",
    below_title: |t| format!("{t}: organismos por debajo del mínimo"),
    rows: "Filas del período",
    minimum: "Mínimo",
    none_below: |m| format!("Ningún organismo está por debajo del mínimo ({m})."),
    some_below: |m| format!("Mínimo: {m}. Es un hallazgo de calidad: el recordatorio del organismo lo menciona."),
    finding: |t, v, m| format!("{t}: {v} (mínimo: {m})."),
    annex_title: |t| format!("Anexo: {t}"),
    annex_description: |d| format!("Las iniciativas que cambiaron de estado en el período y las que no tienen una actualización hace {d} días o más. El libro XLSX tiene la trayectoria completa de cada una, y el archivo iniciativas_historial.csv cada actualización."),
    changed_title: "Cambios de estado en el período",
    stale_title: |d| format!("Sin actualización hace {d} días o más"),
    none: "Ninguna.",
    id: "ID",
    title: "Título",
    comuna: "Comuna",
    previous: "Estado anterior",
    state: "Estado",
    change_date: "Fecha del cambio",
    date: "Fecha",
    progress: "Avance",
    last_update: "Última actualización",
    days_since: "Días sin actualizar",
    change: "Cambio",
    trajectories_sheet: "Trayectorias",
    trajectories_title: "Trayectoria de cada iniciativa",
    trajectories_note: "Una fila por actualización informada, de la más antigua a la más reciente. Días sin actualizar: al cierre del período, en la última.",
    history_description: "Cada actualización informada de cada iniciativa hasta el cierre del período: su estado, el estado anterior, el avance y la fecha en que se informó. La fila vigente es el estado al cierre.",
    page_title: |p| format!("Resultados y seguimiento de procesos — {p}"),
    page_description: "Las instancias de participación del período con el resultado que registró cada organismo, las etapas de las iniciativas mes a mes y sus cambios de estado. Cada comuna tiene una página con sus iniciativas y su trayectoria.",
    search_hint: "Para encontrar una instancia o un tema, use la búsqueda del navegador (Ctrl+F); los datos completos están en los archivos CSV del período.",
    comunas_title: "Iniciativas por comuna",
    back: "Volver a los informes",
    link_text: "Resultados y seguimiento de procesos (página web)",
    comuna_title: |c, t| format!("Comuna {c} — {t}"),
    comuna_description: |n, p| format!("{n} iniciativas de la comuna, con cada actualización informada hasta el cierre de {p}."),
};

static EN: Words = Words {
    english_fields: &[
        ("fecha", "Date"),
        ("programa", "Programme"),
        ("comuna", "Comuna"),
        ("barrio", "Barrio"),
        ("tema", "Theme"),
        ("resultado", "Result"),
        ("modalidad", "Modality"),
        ("participantes", "Participants"),
        ("inscriptos", "Registered"),
        ("titulo", "Title"),
        ("estado", "State"),
        ("avance", "Progress (%)"),
        ("edicion", "Edition"),
        ("categoria", "Category"),
    ],
    organismo: "Body",
    month: "Month",
    total: "Total",
    listing_title: "The period's rows",
    listing_cut: |shown, total, dataset| {
        format!("The first {shown} of the period's {total} rows are listed, by date; the workbook's «{dataset}» sheet and the file {dataset}.csv have them all.")
    },
    listing_empty: "“—”: the body recorded nothing.",
    listing_sheet: "Listing",
    by_month: "At each month's close, since the commitment's start",
    by_month_note: "Each initiative counts with its latest update dated up to the month's last day.",
    transitions: "Changes of state in the period",
    from: "From",
    to: "To",
    changes: "Changes",
    first_report: "(first report)",
    transitions_note: "Each change counts once, dated by the update that first reported it; “(first report)”: initiatives first reported in the period.",
    changes_figure: "Changes of state in the period",
    first_reports_figure: "Initiatives first reported in the period",
    at_each_close: "at each month's close",
    below_title: |t| format!("{t}: bodies below the minimum"),
    rows: "Rows of the period",
    minimum: "Minimum",
    none_below: |m| format!("No body is below the minimum ({m})."),
    some_below: |m| format!("Minimum: {m}. It is a finding of data quality: the body's reminder mentions it."),
    finding: |t, v, m| format!("{t}: {v} (minimum: {m})."),
    annex_title: |t| format!("Annex: {t}"),
    annex_description: |d| format!("The initiatives that changed state in the period and those without an update for {d} days or more. The XLSX workbook has each one's whole trajectory, and the file iniciativas_historial.csv every update."),
    changed_title: "Changes of state in the period",
    stale_title: |d| format!("Not updated for {d} days or more"),
    none: "None.",
    id: "ID",
    title: "Title",
    comuna: "Comuna",
    previous: "Previous state",
    state: "State",
    change_date: "Date of the change",
    date: "Date",
    progress: "Progress",
    last_update: "Last update",
    days_since: "Days without update",
    change: "Change",
    trajectories_sheet: "Trajectories",
    trajectories_title: "Each initiative's trajectory",
    trajectories_note: "One row per reported update, oldest first. Days without update: at the period's close, on the latest.",
    history_description: "Every reported update of every initiative up to the period's close: its state, the previous state, the progress and the date it was reported. The row in force is the state at the close.",
    page_title: |p| format!("Results and follow-up of processes — {p}"),
    page_description: "The period's participation instances with the result each body recorded, the stages of the initiatives month by month and their changes of state. Each comuna has a page with its initiatives and their trajectories.",
    search_hint: "To find an instance or a theme, use the browser's search (Ctrl+F); the complete data are in the period's CSV files.",
    comunas_title: "Initiatives by comuna",
    back: "Back to the reports",
    link_text: "Results and follow-up of processes (web page)",
    comuna_title: |c, t| format!("Comuna {c} — {t}"),
    comuna_description: |n, p| format!("{n} initiatives of the comuna, with every update reported up to the close of {p}."),
};

/// The words of the published history's own columns: (name, Spanish title, description).
pub const HISTORY_COLUMNS: [(&str, &str, &str); 4] = [
    (
        "estado_anterior",
        "Estado anterior",
        "El estado de la actualización anterior de la misma iniciativa; vacío en la primera.",
    ),
    (
        "vigente",
        "Vigente al cierre",
        "true en la actualización que rige al cierre del período (el estado actual).",
    ),
    (
        "dias_sin_actualizar",
        "Días sin actualizar",
        "En la fila vigente: días desde esa actualización hasta el cierre del período.",
    ),
    (
        "organismo",
        "Organismo",
        "Código del organismo que informa la iniciativa (su carpeta en la fuente).",
    ),
];
