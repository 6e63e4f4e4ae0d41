//! The words of the published folder's `index.html` that the report's labels do not carry.

use super::Lang;

/// The index page's own words.
#[derive(Debug)]
pub struct IndexWords {
    /// The page's heading.
    pub heading: &'static str,
    /// The overview table's caption.
    pub caption: &'static str,
    /// «Idioma» / «Language».
    pub language: &'static str,
    /// «Archivos» / «Files».
    pub files: &'static str,
    /// The PDF's link.
    pub report: &'static str,
    /// The workbook's link.
    pub workbook: &'static str,
    /// Before a dataset's CSV link.
    pub data: &'static str,
    /// The data package's link.
    pub package: &'static str,
    /// «Licencia» / «Licence».
    pub license: &'static str,
    /// The page of a folder with nothing published.
    pub empty: &'static str,
    /// «Nota» / «Note».
    pub note: &'static str,
}

const INDEX_ES: IndexWords = IndexWords {
    heading: "Informes de rendición de cuentas",
    caption: "Informes publicados, del más reciente al más antiguo",
    language: "Idioma",
    files: "Archivos",
    report: "Informe",
    workbook: "Libro de cálculo",
    data: "Datos abiertos",
    package: "Paquete de datos Frictionless",
    license: "Licencia",
    empty: "Todavía no hay informes publicados.",
    note: "Nota",
};

const INDEX_EN: IndexWords = IndexWords {
    heading: "Accountability reports",
    caption: "Published reports, newest first",
    language: "Language",
    files: "Files",
    report: "Report",
    workbook: "Workbook",
    data: "Open data",
    package: "Frictionless data package",
    license: "Licence",
    empty: "No report has been published yet.",
    note: "Note",
};

impl IndexWords {
    /// The words of `lang`.
    pub fn of(lang: Lang) -> &'static IndexWords {
        lang.pick(&INDEX_ES, &INDEX_EN)
    }
}
