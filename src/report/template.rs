//! The blank template a ministry fills (`participa template DATASET -o FILE.xlsx`): the
//! standard headers in the words participa reads, dropdown lists for every coded field
//! (programme, state, modality, comuna, barrio), date and number checks that Excel and
//! LibreOffice enforce while the clerk types, a note on each header, and an instructions sheet.
//!
//! Everything comes from the dataset definition and the code lists: a field or a barrio added
//! to the standard appears in the next template. Must not depend on the store or the report.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties,
    ExcelDateTime, Format, FormatBorder, Formula, Note, Workbook, Worksheet,
};

use super::ReportError;
use crate::standard::schema::{Field, FieldType};
use crate::standard::{Dataset, Standard};

/// Rows that carry the checks and dropdowns (a clerk who needs more copies the last row).
const ROWS: u32 = 2000;
/// Name of the sheet of allowed values.
const LISTS: &str = "Listas";

fn xlsx(e: rust_xlsxwriter::XlsxError) -> ReportError {
    ReportError::Xlsx(e)
}

/// The header a clerk sees: the field's first header word, which participa reads back.
fn header(f: &Field) -> String {
    f.header_words
        .first()
        .cloned()
        .unwrap_or_else(|| f.name.clone())
}

/// Allowed values of a coded field, as people write them (official names).
fn allowed(standard: &Standard, dataset: &Dataset, f: &Field) -> Option<Vec<String>> {
    if f.name == "comuna" {
        return Some((1..=15).map(|c| c.to_string()).collect());
    }
    let list = standard.code_lists.get(f.code_list.as_deref()?)?;
    let names: Vec<String> = list
        .entries
        .iter()
        .filter(|e| {
            e.columns
                .get("dataset")
                .is_none_or(|d| d.is_empty() || d == &dataset.name)
        })
        .map(|e| e.name.clone())
        .collect();
    (!names.is_empty()).then_some(names)
}

/// What to write in a field, for the header note and the instructions.
fn rule(f: &Field, values: Option<&[String]>) -> String {
    let mut parts = Vec::new();
    parts.push(if f.constraints.required {
        "Obligatorio.".to_string()
    } else {
        "Opcional.".to_string()
    });
    if let Some(d) = &f.description {
        parts.push(d.clone());
    }
    match f.field_type {
        FieldType::Date => parts.push("Una fecha (día/mes/año).".into()),
        FieldType::Yearmonth => {
            parts.push("El mes: una fecha cualquiera de ese mes, o 03/2019.".into())
        }
        FieldType::Year => parts.push("Un año, por ejemplo 2019.".into()),
        FieldType::Integer => parts.push(match (f.constraints.minimum, f.constraints.maximum) {
            (Some(a), Some(b)) => format!("Un número entero entre {a} y {b}."),
            (Some(a), None) => format!("Un número entero, {a} o más."),
            _ => "Un número entero.".into(),
        }),
        FieldType::Number => parts.push(match (f.constraints.minimum, f.constraints.maximum) {
            (Some(a), Some(b)) => format!("Un número entre {a} y {b}."),
            (Some(a), None) => format!("Un número, {a} o más."),
            _ => "Un número.".into(),
        }),
        FieldType::String => {}
    }
    if let Some(v) = values {
        if v.len() <= 8 {
            parts.push(format!("Valores: {}.", v.join(", ")));
        } else {
            parts.push(format!("Elija de la lista ({} valores).", v.len()));
        }
    }
    if f.derive.is_some() {
        parts.push("Si lo deja vacío, se deduce del barrio.".into());
    }
    parts.join(" ")
}

fn column_letters(mut c: u16) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, char::from(b'A' + (c % 26) as u8));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s
}

/// The check Excel applies to a field's cells, if any.
fn validation(
    f: &Field,
    list_range: Option<String>,
) -> Result<Option<DataValidation>, ReportError> {
    let title: String = header(f).chars().take(32).collect();
    let v = match (list_range, f.field_type) {
        (Some(range), _) => DataValidation::new()
            .allow_list_formula(Formula::new(range))
            .set_error_message("Elija un valor de la lista.")
            .map_err(xlsx)?,
        (None, FieldType::Date | FieldType::Yearmonth) => {
            let from = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx)?;
            let to = ExcelDateTime::from_ymd(2100, 12, 31).map_err(xlsx)?;
            DataValidation::new()
                .allow_date(DataValidationRule::Between(from, to))
                .set_error_message("Escriba una fecha, por ejemplo 14/03/2019.")
                .map_err(xlsx)?
        }
        (None, FieldType::Year) => DataValidation::new()
            .allow_whole_number(DataValidationRule::Between(2000, 2100))
            .set_error_message("Escriba un año, por ejemplo 2019.")
            .map_err(xlsx)?,
        (None, FieldType::Integer) => {
            let min = f.constraints.minimum.unwrap_or(0.0) as i32;
            let rule = match f.constraints.maximum {
                Some(max) => DataValidationRule::Between(min, max as i32),
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            };
            DataValidation::new()
                .allow_whole_number(rule)
                .set_error_message("Escriba un número entero, sin puntos ni texto.")
                .map_err(xlsx)?
        }
        (None, FieldType::Number) => {
            let min = f.constraints.minimum.unwrap_or(0.0);
            let rule = match f.constraints.maximum {
                Some(max) => DataValidationRule::Between(min, max),
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            };
            DataValidation::new()
                .allow_decimal_number(rule)
                .set_error_message("Escriba un número.")
                .map_err(xlsx)?
        }
        (None, FieldType::String) => return Ok(None),
    };
    // A warning, not a stop: the clerk may paste a value participa also understands (a
    // misspelled barrio is still matched, and rejected with a reason if it cannot be).
    let v = v
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title(title.clone())
        .map_err(xlsx)?;
    let v = v.set_input_title(title).map_err(xlsx)?;
    let message: String = rule(f, None).chars().take(250).collect();
    Ok(Some(v.set_input_message(message).map_err(xlsx)?))
}

/// The template for `dataset`, for organismo `organismo` when given.
pub fn render(
    standard: &Standard,
    dataset: &str,
    organismo: Option<&str>,
) -> Result<Vec<u8>, ReportError> {
    let Some(ds) = standard.dataset(dataset) else {
        let names: Vec<&str> = standard.datasets.iter().map(|d| d.name.as_str()).collect();
        return Err(ReportError::UnknownDataset(format!(
            "«{dataset}»: los datasets son {}",
            names.join(", ")
        )));
    };
    let mut wb = Workbook::new();
    let title = format!(
        "Plantilla de {}",
        ds.title
            .clone()
            .unwrap_or_else(|| ds.name.clone())
            .to_lowercase()
    );
    let mut props = DocProperties::new()
        .set_title(&title)
        .set_subject("Plantilla del estándar de datos de participación ciudadana")
        .set_author("participa");
    if let Some(o) = organismo {
        props = props.set_company(o);
    }
    wb.set_properties(&props);

    let head = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0x1F4E79))
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    let head_required = head.clone().set_background_color(Color::RGB(0x9C2A00));
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let month = Format::new().set_num_format("mm/yyyy");
    let integer = Format::new().set_num_format("0");
    let number = Format::new().set_num_format("#,##0.00");
    let wrap = Format::new().set_text_wrap();
    let bold = Format::new().set_bold();

    // The lists first in memory, so the data sheet's dropdowns can point at them.
    let mut lists = Worksheet::new();
    lists.set_name(LISTS).map_err(xlsx)?;
    let mut ranges: Vec<Option<String>> = Vec::new();
    let mut list_col: u16 = 0;
    for f in &ds.fields {
        match allowed(standard, ds, f) {
            Some(values) => {
                // The heading is a hint in parentheses, which participa's header reading
                // ignores, so this sheet is never taken for data.
                lists
                    .write_with_format(
                        0,
                        list_col,
                        format!("Valores permitidos ({})", header(f)),
                        &bold,
                    )
                    .map_err(xlsx)?;
                for (i, v) in values.iter().enumerate() {
                    lists
                        .write(i as u32 + 1, list_col, v.as_str())
                        .map_err(xlsx)?;
                }
                lists.set_column_width(list_col, 28).map_err(xlsx)?;
                let letters = column_letters(list_col);
                ranges.push(Some(format!(
                    "='{LISTS}'!${letters}$2:${letters}${}",
                    values.len() + 1
                )));
                list_col += 1;
            }
            None => ranges.push(None),
        }
    }

    let mut data = Worksheet::new();
    data.set_name(&ds.name).map_err(xlsx)?;
    for (c, (f, range)) in ds.fields.iter().zip(&ranges).enumerate() {
        let c = c as u16;
        let text = header(f);
        data.write_with_format(
            0,
            c,
            text.as_str(),
            if f.constraints.required {
                &head_required
            } else {
                &head
            },
        )
        .map_err(xlsx)?;
        let values = allowed(standard, ds, f);
        data.insert_note(
            0,
            c,
            &Note::new(rule(f, values.as_deref()))
                .set_author("participa")
                .add_author_prefix(false),
        )
        .map_err(xlsx)?;
        if let Some(v) = validation(f, range.clone())? {
            data.add_data_validation(1, c, ROWS, c, &v).map_err(xlsx)?;
        }
        let (width, format): (f64, Option<&Format>) = match f.field_type {
            FieldType::Date => (12.0, Some(&date)),
            FieldType::Yearmonth => (10.0, Some(&month)),
            FieldType::Integer | FieldType::Year => (11.0, Some(&integer)),
            FieldType::Number => (14.0, Some(&number)),
            FieldType::String if values.is_some() => (26.0, None),
            FieldType::String => (30.0, Some(&wrap)),
        };
        data.set_column_width(c, width.max(text.chars().count() as f64 + 2.0))
            .map_err(xlsx)?;
        if let Some(format) = format {
            data.set_column_format(c, format).map_err(xlsx)?;
        }
    }
    data.set_row_height(0, 32).map_err(xlsx)?;
    data.set_freeze_panes(1, 0).map_err(xlsx)?;
    data.set_active(true);

    let mut help = Worksheet::new();
    help.set_name("Instrucciones").map_err(xlsx)?;
    let h1 = Format::new().set_bold().set_font_size(14);
    help.write_with_format(0, 0, title.as_str(), &h1)
        .map_err(xlsx)?;
    let mut r = 2;
    let mut line =
        |ws: &mut Worksheet, text: &str, format: Option<&Format>| -> Result<(), ReportError> {
            match format {
                Some(f) => ws.write_with_format(r, 0, text, f).map_err(xlsx)?,
                // Unwrapped, a line runs over the empty cells to its right.
                None => ws.write(r, 0, text).map_err(xlsx)?,
            };
            r += 1;
            Ok(())
        };
    if let Some(o) = organismo {
        line(&mut help, &format!("Organismo: {o}"), Some(&bold))?;
    }
    for text in [
        format!("1. Complete una fila por cada registro en la hoja «{}», desde la fila 2. No cambie los encabezados de la fila 1.", ds.name),
        "2. Las columnas con encabezado rojo son obligatorias. Pase el cursor por un encabezado para ver qué escribir.".to_string(),
        "3. En las columnas con lista, elija el valor de la lista desplegable; las fechas se escriben día/mes/año.".to_string(),
        "4. No escriba nombres, DNI, correos ni teléfonos de personas: no se publican y se descartan al leer.".to_string(),
        "5. Guarde el archivo como .xlsx y déjelo en la carpeta de su organismo. Cada fila con un error se informa con la celda y el motivo; el resto del archivo se acepta.".to_string(),
    ] {
        line(&mut help, &text, None)?;
    }
    r += 1;
    for (c, text) in ["Columna", "Campo", "Qué escribir"].iter().enumerate() {
        help.write_with_format(r, c as u16, *text, &head)
            .map_err(xlsx)?;
    }
    r += 1;
    for f in &ds.fields {
        let values = allowed(standard, ds, f);
        help.write(r, 0, header(f)).map_err(xlsx)?;
        help.write(r, 1, f.title.clone().unwrap_or_else(|| f.name.clone()))
            .map_err(xlsx)?;
        help.write_with_format(r, 2, rule(f, values.as_deref()), &wrap)
            .map_err(xlsx)?;
        r += 1;
    }
    help.set_column_width(0, 24).map_err(xlsx)?;
    help.set_column_width(1, 30).map_err(xlsx)?;
    help.set_column_width(2, 80).map_err(xlsx)?;

    wb.push_worksheet(data);
    wb.push_worksheet(help);
    wb.push_worksheet(lists);
    wb.save_to_buffer().map_err(xlsx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_a_template_and_an_unknown_one_is_named() {
        let standard = crate::config::embedded_standard().expect("standard");
        for ds in &standard.datasets {
            let bytes = render(&standard, &ds.name, Some("ministerio-cultura")).expect("renders");
            assert!(bytes.starts_with(b"PK"), "{} is a zip (xlsx)", ds.name);
        }
        let err = render(&standard, "eventos", None).expect_err("unknown");
        assert!(err.to_string().contains("instancias"), "{err}");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(27), "AB");
    }
}
