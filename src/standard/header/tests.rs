//! Tests of header detection and column reading.

use super::Role;
use crate::standard::Standard;

fn standard() -> Standard {
    crate::config::embedded_standard().expect("shipped standard loads")
}

/// Every header word and decoration of STANDARD.md §2, as written in real files.
#[test]
fn header_words_of_the_standard() {
    let std = standard();
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("instancias", "Programa", Some("programa")),
        ("instancias", "PROGRAMA", Some("programa")),
        ("instancias", "Iniciativa", Some("programa")),
        ("instancias", "Evento", Some("programa")),
        ("instancias", "Instancia", Some("programa")),
        ("instancias", "Nombre Actividad", Some("programa")),
        ("instancias", "Fecha", Some("fecha")),
        ("instancias", "FECHA", Some("fecha")),
        ("instancias", "Fecha de evento", Some("fecha")),
        ("instancias", "Fecha de la reunión", Some("fecha")),
        ("instancias", "Modalidad", Some("modalidad")),
        (
            "instancias",
            "Modalidad (presencial/virtual)",
            Some("modalidad"),
        ),
        ("instancias", "Comuna", Some("comuna")),
        ("instancias", "Nº Comuna", Some("comuna")),
        ("instancias", "N° Comuna", Some("comuna")),
        ("instancias", "Nro. Comuna", Some("comuna")),
        ("instancias", "Comuna (CABA)", Some("comuna")),
        ("instancias", "Barrio", Some("barrio")),
        ("instancias", "BARRIO", Some("barrio")),
        ("instancias", "Barrio / Zona", Some("barrio")),
        ("instancias", "Participantes", Some("participantes")),
        ("instancias", "Cant. participantes", Some("participantes")),
        ("instancias", "Asistentes", Some("participantes")),
        (
            "instancias",
            "Cantidad de asistentes",
            Some("participantes"),
        ),
        ("instancias", "Total participantes", Some("participantes")),
        ("instancias", "Inscriptos", Some("inscriptos")),
        ("instancias", "Inscriptos ", Some("inscriptos")),
        ("instancias", "Tema", Some("tema")),
        ("instancias", "Temática", Some("tema")),
        ("instancias", "Resultado", Some("resultado")),
        ("instancias", "Resultados", Some("resultado")),
        ("instancias", "Acuerdos", Some("resultado")),
        ("instancias", "Resultados / acuerdos", Some("resultado")),
        ("instancias", "Menores de 18", Some("participantes_0_17")),
        ("instancias", "0 a 17", Some("participantes_0_17")),
        ("instancias", "18 a 29", Some("participantes_18_29")),
        ("instancias", "30 a 44", Some("participantes_30_44")),
        ("instancias", "45 a 64", Some("participantes_45_64")),
        ("instancias", "65 y más", Some("participantes_65_mas")),
        ("instancias", "Observaciones", None),
        ("iniciativas", "ID", Some("id")),
        ("iniciativas", "Id proyecto", Some("id")),
        ("iniciativas", "Código", Some("id")),
        ("iniciativas", "Edición", Some("edicion")),
        ("iniciativas", "Año", Some("edicion")),
        ("iniciativas", "Título", Some("titulo")),
        ("iniciativas", "Proyecto", Some("titulo")),
        ("iniciativas", "Estado", Some("estado")),
        ("iniciativas", "Estado actual", Some("estado")),
        ("iniciativas", "Votos", Some("votos")),
        ("iniciativas", "Cantidad de votos", Some("votos")),
        ("iniciativas", "Presupuesto", Some("presupuesto")),
        ("iniciativas", "Presupuesto ($)", Some("presupuesto")),
        ("iniciativas", "Monto asignado", Some("presupuesto")),
        ("iniciativas", "Avance", Some("avance")),
        ("iniciativas", "% de avance", Some("avance")),
        ("iniciativas", "Avance (%)", Some("avance")),
        (
            "iniciativas",
            "Última actualización",
            Some("fecha_actualizacion"),
        ),
        (
            "iniciativas",
            "Fecha de actualización",
            Some("fecha_actualizacion"),
        ),
        ("reconocimientos", "Programa", Some("programa")),
        ("reconocimientos", "Período", Some("periodo")),
        ("reconocimientos", "Mes", Some("periodo")),
        ("reconocimientos", "Categoría", Some("categoria")),
        ("reconocimientos", "Comuna", Some("comuna")),
        ("reconocimientos", "Inscriptos", Some("inscriptos")),
        ("reconocimientos", "Total de inscriptos", Some("inscriptos")),
        ("reconocimientos", "Ganadores", Some("ganadores")),
        ("reconocimientos", "Ganadores efectivos", Some("ganadores")),
        ("reconocimientos", "Beneficio", Some("beneficio")),
        ("reconocimientos", "Premio", Some("beneficio")),
    ];
    for (dataset, text, want) in cases {
        let index = std
            .datasets
            .iter()
            .position(|d| d.name == *dataset)
            .expect("dataset exists");
        let role = std.matcher(index).role(text, &std.lexicon);
        let got = match role {
            Role::Field(i) => Some(std.datasets[index].fields[i].name.as_str()),
            _ => None,
        };
        assert_eq!(got, *want, "{dataset}: header {text:?} gave {role:?}");
    }
}

#[test]
fn wide_month_columns_and_personal_columns() {
    let std = standard();
    let rec = std
        .datasets
        .iter()
        .position(|d| d.name == "reconocimientos")
        .expect("reconocimientos");
    let m = std.matcher(rec);
    let inscriptos = std.datasets[rec].field_index("inscriptos").expect("field");
    let ganadores = std.datasets[rec].field_index("ganadores").expect("field");
    assert_eq!(
        m.role("Inscriptos enero", &std.lexicon),
        Role::Wide {
            field: inscriptos,
            month: 1,
            year: None
        }
    );
    assert_eq!(
        m.role("Ganadores marzo", &std.lexicon),
        Role::Wide {
            field: ganadores,
            month: 3,
            year: None
        }
    );
    assert_eq!(
        m.role("Ganadores Marzo 2019", &std.lexicon),
        Role::Wide {
            field: ganadores,
            month: 3,
            year: Some(2019)
        }
    );
    assert_eq!(
        m.role("Ganadores de setiembre", &std.lexicon),
        Role::Wide {
            field: ganadores,
            month: 9,
            year: None
        }
    );
    assert_eq!(m.role("año", &std.lexicon), Role::Year);
    let ins = std
        .datasets
        .iter()
        .position(|d| d.name == "instancias")
        .expect("instancias");
    for personal in [
        "Nombre y apellido del referente",
        "DNI",
        "Correo electrónico",
        "E-mail",
        "Teléfono",
        "Celular",
        "CUIL",
        "Domicilio",
        "Apellido",
    ] {
        assert_eq!(
            std.matcher(ins).role(personal, &std.lexicon),
            Role::Personal,
            "{personal}"
        );
    }
}
