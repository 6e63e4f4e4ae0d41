use super::*;

#[test]
fn the_example_config_parses_and_checks() {
    let settings = Settings::parse(embedded::EXAMPLE_CONFIG).expect("example parses");
    settings.check().expect("example is valid");
    assert_eq!(settings.sources.len(), 1);
    assert_eq!(settings.standard.dir, PathBuf::from("standard"));
    let standard = embedded_standard().expect("shipped standard loads");
    Config::assemble(
        PathBuf::from("participa.toml"),
        PathBuf::from("."),
        settings,
        standard,
        IndicatorsConfig::parse(embedded::INDICATORS).expect("indicators"),
    )
    .expect("assembles");
}

#[test]
fn unknown_keys_are_refused() {
    let text = embedded::EXAMPLE_CONFIG.replace("settle_seconds = 5", "settle_secs = 5");
    let err = Settings::parse(&text).expect_err("typo must fail");
    assert!(err.contains("settle_secs"), "{err}");
}

/// The commented examples of the shipped config, uncommented, are valid: `columnas` for
/// an organismo and for a pin.
#[test]
fn the_commented_column_mappings_are_valid_and_unknown_fields_are_refused() {
    let uncommented: String = embedded::EXAMPLE_CONFIG
        .lines()
        .map(|l| {
            let key = [
                "# [organismos",
                "# [[pins]]",
                "# nombre =",
                "# email =",
                "# programa =",
                "# columnas =",
                "# pattern =",
                "# dataset =",
            ]
            .iter()
            .any(|p| l.starts_with(p));
            if key {
                &l[2..]
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        // The example's allowed domains are example.org's.
        .replace("@organismo.example", "@example.org");
    let assemble = |text: &str| {
        let settings = Settings::parse(text).map_err(|e| e.to_string())?;
        let standard = embedded_standard().expect("standard");
        Config::assemble(
            PathBuf::from("p.toml"),
            PathBuf::from("."),
            settings,
            standard,
            IndicatorsConfig::parse(embedded::INDICATORS).expect("indicators"),
        )
        .map_err(|e| e.to_string())
    };
    let config = assemble(&uncommented).expect("uncommented example is valid");
    let map = config.column_map(
        Some("secretaria-atencion-ciudadana"),
        "secretaria-atencion-ciudadana/ba_elige_seguimiento_2019-03.xlsx",
    );
    assert_eq!(
        map.first().map(|(k, v)| (k.as_str(), v.as_str())),
        Some(("Nº de propuesta", "id")),
        "the pin's mapping comes first"
    );
    assert!(map
        .iter()
        .any(|(k, v)| k == "Dispositivo" && v == "programa"));
    let bad = uncommented.replace(
        "\"Dispositivo\" = \"programa\"",
        "\"Dispositivo\" = \"programma\"",
    );
    let err = assemble(&bad).expect_err("unknown field");
    assert!(
        err.contains("organismos.secretaria-atencion-ciudadana.columnas.\"Dispositivo\"")
            && err.contains("programma"),
        "{err}"
    );
}

fn check_with(replacements: &[(&str, &str)], extra: &str) -> Result<Config, String> {
    let mut text = embedded::EXAMPLE_CONFIG.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text.push_str(extra);
    let settings = Settings::parse(&text)?;
    let standard = embedded_standard().expect("standard");
    let indicators = IndicatorsConfig::parse(embedded::INDICATORS).expect("indicators");
    Config::assemble(
        PathBuf::from("p.toml"),
        PathBuf::from("."),
        settings,
        standard,
        indicators,
    )
    .map_err(|e| e.to_string())
}

/// `threads = 100000` was accepted, then the pool aborted the run: the limit is four per
/// core, named with the key.
#[test]
fn threads_are_at_most_four_per_core() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let err = check_with(&[("threads = 0", "threads = 100000")], "").expect_err("refused");
    assert!(
        err.contains("ingest.threads") && err.contains(&format!("the limit is {}", 4 * cores)),
        "{err}"
    );
    let limit = format!("threads = {}", 4 * cores);
    assert!(check_with(&[("threads = 0", &limit)], "").is_ok());
}

/// Seconds, sizes and retries have ranges, and the message names the key and the range.
#[test]
fn numeric_keys_have_ranges_named_in_the_message() {
    for (from, to, key) in [
        (
            "settle_seconds = 5",
            "settle_seconds = 99999999999",
            "ingest.settle_seconds",
        ),
        (
            "max_file_bytes = 52428800",
            "max_file_bytes = 0",
            "ingest.max_file_bytes",
        ),
        (
            "max_file_bytes = 52428800",
            "max_file_bytes = 9000000000000",
            "ingest.max_file_bytes",
        ),
        (
            "max_unpacked_bytes = 268435456",
            "max_unpacked_bytes = 9000000000000000000",
            "ingest.max_unpacked_bytes",
        ),
        (
            "max_rows_per_sheet = 1048576",
            "max_rows_per_sheet = 4000000000",
            "ingest.max_rows_per_sheet",
        ),
        (
            "max_columns = 256",
            "max_columns = 100000",
            "ingest.max_columns",
        ),
        (
            "reintentos_max = 6",
            "reintentos_max = 1000000",
            "programacion.reintentos_max",
        ),
        (
            "reintento_inicial_segundos = 60",
            "reintento_inicial_segundos = 0",
            "programacion.reintento_inicial_segundos",
        ),
        (
            "reintento_max_segundos = 21600",
            "reintento_max_segundos = 9223372036854775807",
            "programacion.reintento_max_segundos",
        ),
        (
            "reintento_max_segundos = 21600",
            "reintento_max_segundos = 30",
            "programacion.reintento_max_segundos",
        ),
        (
            "max_adjuntos_bytes = 7000000",
            "max_adjuntos_bytes = 1000000000000",
            "correo.max_adjuntos_bytes",
        ),
    ] {
        let err = check_with(&[(from, to)], "")
            .err()
            .unwrap_or_else(|| panic!("{to} accepted"));
        assert!(
            err.contains(key) && err.contains("entre")
                || err.contains(key) && err.contains("between"),
            "{to}: {err}"
        );
    }
}

/// Months and dates configured fall within five years before and ten after the
/// commitment's start (2019-01 in the shipped indicators): 2014-01 to 2029-12.
#[test]
fn configured_months_fall_within_the_commitments_years() {
    for (from, to, key) in [
        (
            "informes_desde = \"2019-01\"",
            "informes_desde = \"0000-01\"",
            "programacion.informes_desde",
        ),
        (
            "informes_desde = \"2019-01\"",
            "informes_desde = \"2013-12\"",
            "programacion.informes_desde",
        ),
        (
            "# informes_hasta = \"2020-12\"",
            "informes_hasta = \"9999-12\"",
            "programacion.informes_hasta",
        ),
        (
            "reporting_period_start = \"2016-01-01\"",
            "reporting_period_start = \"1900-01-01\"",
            "ingest.reporting_period_start",
        ),
        (
            "reporting_period_end = \"2020-12-31\"",
            "reporting_period_end = \"2030-01-01\"",
            "ingest.reporting_period_end",
        ),
    ] {
        let err = check_with(&[(from, to)], "")
            .err()
            .unwrap_or_else(|| panic!("{to} accepted"));
        assert!(
            err.contains(key) && err.contains("between 2014-01 and 2029-12"),
            "{to}: {err}"
        );
    }
    let err = check_with(
        &[(
            "# informes_hasta = \"2020-12\"",
            "informes_hasta = \"2018-12\"",
        )],
        "",
    )
    .expect_err("hasta before desde");
    assert!(
        err.contains("informes_desde (2019-01) is after programacion.informes_hasta (2018-12)"),
        "{err}"
    );
    let edges = [
        (
            "informes_desde = \"2019-01\"",
            "informes_desde = \"2014-01\"",
        ),
        (
            "# informes_hasta = \"2020-12\"",
            "informes_hasta = \"2029-12\"",
        ),
    ];
    assert!(check_with(&edges, "").is_ok());
}

#[test]
fn a_source_folder_must_be_given_and_hold_no_output_of_participa() {
    let base = tempfile::tempdir().expect("tmp");
    let with_path = |path: &str| {
        embedded::EXAMPLE_CONFIG.replace("path = \"inbox\"", &format!("path = {path:?}"))
    };
    let check = |path: &str| -> Result<(), String> {
        let settings = Settings::parse(&with_path(path))?;
        let standard = embedded_standard().expect("standard");
        Config::assemble(
            base.path().join("participa.toml"),
            base.path().to_path_buf(),
            settings,
            standard,
            IndicatorsConfig::parse(embedded::INDICATORS).expect("indicators"),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    check("inbox").expect("the shipped folder is fine");
    check("/srv/compartido/ministerios").expect("a share elsewhere is fine");
    for (path, names) in [
        ("", "empty"),
        ("  ", "empty"),
        (".", "store.sqlite_path"),
        ("./inbox/..", "store.sqlite_path"),
        (base.path().to_str().expect("utf-8"), "store.sqlite_path"),
        ("informes", "informe.dir_salida"),
        ("publicacion", "informe.dir_publicacion"),
        ("publicacion/2019-03", "informe.dir_publicacion"),
        ("correo", "correo.dir_salida"),
    ] {
        let err = check(path).expect_err(path);
        assert!(
            err.contains("sources[0].path") && err.contains(names),
            "{path:?}: {err}"
        );
    }
    // A link to the working folder is the working folder.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(base.path(), base.path().join("enlace")).expect("link");
        let err = check("enlace").expect_err("a link to the working folder");
        assert!(err.contains("store.sqlite_path"), "{err}");
    }
}

/// The example configuration with its commented WebDAV and HTTP sources switched on.
fn with_network_examples() -> String {
    let text = embedded::EXAMPLE_CONFIG;
    let start = text
        .find("# [[sources]]\n# name = \"nube-ministerios\"")
        .expect("the webdav example");
    let end = text.find("\n[ingest]\n").expect("[ingest]");
    let examples: String = text[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        // Keys and tables only; the prose around them stays out.
        .filter(|l| {
            l.starts_with('[')
                || l.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                })
        })
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{}{examples}{}", &text[..start], &text[end..])
}

#[test]
fn the_documented_network_sources_parse_and_check() {
    let settings = Settings::parse(&with_network_examples()).expect("parses");
    settings.check().expect("checks");
    let kinds: Vec<SourceKind> = settings.sources.iter().map(|s| s.tipo).collect();
    assert_eq!(
        kinds,
        [SourceKind::Carpeta, SourceKind::Webdav, SourceKind::Http]
    );
    assert_eq!(settings.sources[2].urls.len(), 2);
    assert_eq!(settings.sources[1].usuario.as_deref(), Some("participa"));
    // The old form, without tipo, is a folder.
    let old = embedded::EXAMPLE_CONFIG.replace("# tipo = \"carpeta\"\n", "");
    let settings = Settings::parse(&old).expect("parses");
    assert_eq!(settings.sources[0].tipo, SourceKind::Carpeta);
    settings.check().expect("checks");
}

#[test]
fn a_network_source_keeps_its_secret_out_and_its_keys_to_its_kind() {
    let base = with_network_examples();
    let refused = |from: &str, to: &str, key: &str| {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let err = Settings::parse(&text)
            .and_then(|s| s.check())
            .expect_err(to);
        assert!(err.contains(key), "{to}: {err}");
    };
    refused(
        "usuario = \"participa\"",
        "usuario = \"participa\"\nclave = \"secreta\"",
        "sources[1].clave",
    );
    refused(
        "usuario = \"participa\"",
        "usuario = \"participa\"\npath = \"inbox\"",
        "sources[1].path",
    );
    refused(
        "seguir_enlaces = false",
        "seguir_enlaces = false\nurl = \"https://x.example/\"",
        "sources[0].url",
    );
    refused(
        "clave_env = \"PARTICIPA_NUBE_CLAVE\"",
        "clave_env = \"PARTICIPA_NUBE_CLAVE\"\nclave_archivo = \"c\"",
        "clave_archivo",
    );
    refused(
        "clave_env = \"PARTICIPA_NUBE_CLAVE\"",
        "",
        "sources[1].usuario",
    );
    refused(
        "url = \"https://nube.example.gob.ar",
        "url = \"http://nube.example.gob.ar",
        "sources[1].url",
    );
    refused(
        "url = \"https://nube.example.gob.ar/",
        "url = \"https://u:p@nube.example.gob.ar/",
        "sources[1].url",
    );
    refused(
        "timeout_segundos = 30",
        "timeout_segundos = 0",
        "sources[1].timeout_segundos",
    );
    refused(
        "max_entradas = 100000",
        "max_entradas = 0",
        "sources[1].max_entradas",
    );
    refused(
        "archivo = \"obras_comunales.csv\"",
        "archivo = \"../obras.csv\"",
        "urls[1].archivo",
    );
    refused(
        "archivo = \"obras_comunales.csv\"",
        "archivo = \"reuniones.xlsx\"\norganismo2 = 1",
        "organismo2",
    );
    // Without a secret, plain http:// is allowed (a spreadsheet published for anyone), and
    // with one, only to this machine.
    let open = base.replacen(
        "url = \"https://datos.example.gob.ar/participacion",
        "url = \"http://datos.example.gob.ar/participacion",
        1,
    );
    Settings::parse(&open)
        .and_then(|s| s.check())
        .expect("http without a secret");
    let local = base.replacen(
        "url = \"https://nube.example.gob.ar/remote.php/dav/files/participa/entregas/\"",
        "url = \"http://127.0.0.1:8080/\"",
        1,
    );
    Settings::parse(&local)
        .and_then(|s| s.check())
        .expect("http with a secret to loopback");
}

#[test]
fn seguir_enlaces_is_a_source_key_and_defaults_to_no() {
    let settings = Settings::parse(embedded::EXAMPLE_CONFIG).expect("parses");
    assert!(settings.sources.iter().all(|s| !s.seguir_enlaces));
    let without = embedded::EXAMPLE_CONFIG.replace("seguir_enlaces = false", "");
    assert!(
        Settings::parse(&without)
            .expect("parses")
            .sources
            .iter()
            .all(|s| !s.seguir_enlaces),
        "default"
    );
    let text = embedded::EXAMPLE_CONFIG.replace("seguir_enlaces = false", "seguir_enlaces = true");
    assert!(Settings::parse(&text).expect("parses").sources[0].seguir_enlaces);
    let typo = embedded::EXAMPLE_CONFIG.replace("seguir_enlaces = false", "seguir_enlace = true");
    assert!(Settings::parse(&typo)
        .expect_err("unknown key")
        .contains("seguir_enlace"));
}

#[test]
fn pins_must_name_a_dataset() {
    let text = format!(
        "{}\n[[pins]]\npattern = \"x/*\"\ndataset = \"nada\"\n",
        embedded::EXAMPLE_CONFIG
    );
    let settings = Settings::parse(&text).expect("parses");
    let standard = embedded_standard().expect("standard");
    let err = Config::assemble(
        PathBuf::from("p.toml"),
        PathBuf::from("."),
        settings,
        standard,
        IndicatorsConfig::parse(embedded::INDICATORS).expect("indicators"),
    )
    .expect_err("bad pin");
    assert!(err.to_string().contains("nada"));
}
