//! The shipped configuration (`config/` of the repository), compiled into the binary so that
//! `participa init` can lay it out and `participa validate` works anywhere.

/// `config/participa.example.toml`: the documented working-folder configuration.
pub const EXAMPLE_CONFIG: &str = include_str!("../../config/participa.example.toml");
/// `config/indicadores.toml`: the report's indicators.
pub const INDICATORS: &str = include_str!("../../config/indicadores.toml");
/// `config/standard/lexicon.json`.
pub const LEXICON: &str = include_str!("../../config/standard/lexicon.json");
/// `config/standard/mensajes.es.json`.
pub const MESSAGES_ES: &str = include_str!("../../config/standard/mensajes.es.json");

/// Dataset definitions: (file name, contents).
pub const DATASETS: &[(&str, &str)] = &[
    (
        "iniciativas.json",
        include_str!("../../config/standard/datasets/iniciativas.json"),
    ),
    (
        "instancias.json",
        include_str!("../../config/standard/datasets/instancias.json"),
    ),
    (
        "reconocimientos.json",
        include_str!("../../config/standard/datasets/reconocimientos.json"),
    ),
];

/// Code lists: (list name, CSV contents).
pub const CODE_LISTS: &[(&str, &str)] = &[
    (
        "barrios",
        include_str!("../../config/standard/codes/barrios.csv"),
    ),
    (
        "estados",
        include_str!("../../config/standard/codes/estados.csv"),
    ),
    (
        "modalidades",
        include_str!("../../config/standard/codes/modalidades.csv"),
    ),
    (
        "programas",
        include_str!("../../config/standard/codes/programas.csv"),
    ),
];

/// The shipped code list called `name`.
pub fn code_list(name: &str) -> Option<&'static str> {
    CODE_LISTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every file of the shipped standard folder: (path relative to the folder, contents).
pub fn standard_files() -> Vec<(String, &'static str)> {
    let mut files = vec![
        ("lexicon.json".to_string(), LEXICON),
        ("mensajes.es.json".to_string(), MESSAGES_ES),
    ];
    files.extend(DATASETS.iter().map(|(n, t)| (format!("datasets/{n}"), *t)));
    files.extend(
        CODE_LISTS
            .iter()
            .map(|(n, t)| (format!("codes/{n}.csv"), *t)),
    );
    files
}
