//! `participa ingest` over real files: the consolidation a ministry analyst used to do by hand.

use crate::util;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use crate::util::{fixtures, meeting_file, set_age, sum, Workdir, SETTLED};

fn truth(tree: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixtures().join(tree).join("truth.json")).expect("truth.json");
    serde_json::from_str(&text).expect("truth parses")
}

fn group(
    rows: &[HashMap<String, String>],
    key: impl Fn(&HashMap<String, String>) -> String,
) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for r in rows {
        let e = out.entry(key(r)).or_insert((0, 0));
        e.0 += 1;
        e.1 += r["participantes"].parse::<f64>().unwrap_or(0.0) as u64;
    }
    out
}

fn want_groups(t: &serde_json::Value) -> BTreeMap<String, (u64, u64)> {
    t.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (
                    v["instancias"].as_u64().unwrap_or(0),
                    v["participantes"].as_u64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

/// Ingests a fixture tree (after its older version `first/`, when it has one: re-submissions)
/// and compares every figure with the truth computed by its generator.
fn consolidates_like_the_truth(tree: &str) {
    let w = Workdir::new();
    let first = fixtures().join(tree).join("first");
    if first.is_dir() {
        util::copy_tree(&first, &w.inbox(), Duration::from_secs(3600));
        w.ingest();
    }
    w.drop_tree(&fixtures().join(tree).join("inbox"));
    w.ingest();
    let t = truth(tree);

    let ev = w.export("instancias");
    let e = &t["events"];
    assert_eq!(
        ev.len() as u64,
        e["accepted"].as_u64().unwrap_or(0),
        "accepted instancias"
    );
    assert_eq!(
        sum(&ev, "participantes") as u64,
        e["participantes"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        ev.iter().filter(|r| r["participantes"].is_empty()).count() as u64,
        e["participantes_unknown"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        group(&ev, |r| r["comuna"].clone()),
        want_groups(&e["by_comuna"])
    );
    assert_eq!(
        group(&ev, |r| r["fecha"][..7].to_string()),
        want_groups(&e["by_month"])
    );
    assert_eq!(
        group(&ev, |r| r["programa"].clone()),
        want_groups(&e["by_programa"])
    );
    let barrios: std::collections::HashSet<&String> = ev
        .iter()
        .map(|r| &r["barrio"])
        .filter(|b| !b.is_empty())
        .collect();
    assert_eq!(
        barrios.len() as u64,
        e["barrios_alcanzados"].as_u64().unwrap_or(0)
    );
    for r in &ev {
        assert!(
            !r["organismo"].is_empty()
                && w.inbox().join(&r["fuente_archivo"]).is_file()
                && r["fuente_fila"].parse::<u32>().is_ok(),
            "{r:?}"
        );
    }

    let mut rejected: BTreeMap<String, std::collections::BTreeSet<(String, String)>> =
        BTreeMap::new();
    for r in w.export("rechazos") {
        assert!(!r["codigo"].is_empty() && !r["mensaje"].is_empty(), "{r:?}");
        rejected
            .entry(r["fuente_archivo"].clone())
            .or_default()
            .insert((r["fuente_hoja"].clone(), r["fuente_fila"].clone()));
    }
    for (file, n) in t["rejected_rows_by_file"].as_object().expect("object") {
        assert_eq!(
            rejected.get(file).map(|s| s.len()).unwrap_or(0) as u64,
            n.as_u64().unwrap_or(0),
            "rejected rows of {file}"
        );
    }

    let ini = w.export("iniciativas");
    assert_eq!(
        ini.len() as u64,
        t["initiatives"]["count"].as_u64().unwrap_or(0)
    );
    let mut by_estado: BTreeMap<String, u64> = BTreeMap::new();
    for r in &ini {
        *by_estado.entry(r["estado"].clone()).or_default() += 1;
    }
    let want: BTreeMap<String, u64> = t["initiatives"]["by_estado"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(by_estado, want);

    let rec = w.export("reconocimientos");
    for (programa, figures) in t["recognition"].as_object().expect("object") {
        let rows: Vec<_> = rec
            .iter()
            .filter(|r| &r["programa"] == programa)
            .cloned()
            .collect();
        assert_eq!(
            sum(&rows, "inscriptos") as u64,
            figures["inscriptos"].as_u64().unwrap_or(0),
            "{programa} inscriptos"
        );
        assert_eq!(
            sum(&rows, "ganadores") as u64,
            figures["ganadores"].as_u64().unwrap_or(0),
            "{programa} ganadores"
        );
    }
}

#[test]
fn the_shared_samples_consolidate_to_their_truth() {
    consolidates_like_the_truth("samples");
}

#[test]
fn a_second_tree_made_by_other_writers_consolidates_to_its_truth() {
    consolidates_like_the_truth("generated");
}

#[test]
fn generated_trees_with_every_messy_pattern_consolidate_to_their_truth() {
    consolidates_like_the_truth("random/seed-7");
    consolidates_like_the_truth("random/seed-101-stress");
}

#[test]
fn a_second_ingest_of_unchanged_files_reads_nothing_and_changes_nothing() {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    let first = w.ingest();
    assert!(
        first
            .stdout
            .contains("Archivos: 9 nuevos, 0 cambiados, 0 sin cambios"),
        "{}",
        first.stdout
    );
    let before: Vec<_> = [
        "instancias",
        "iniciativas",
        "reconocimientos",
        "rechazos",
        "archivos",
    ]
    .iter()
    .map(|d| w.export(d))
    .collect();
    let second = w.ingest();
    assert!(
        second
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 9 sin cambios"),
        "{}",
        second.stdout
    );
    // A new modification time with the same content is not a re-submission either.
    for f in [
        "ministerio-cultura/experiencia_ba.ods",
        "ministerio-desarrollo-humano/voluntariado_export.csv",
    ] {
        set_age(&w.inbox().join(f), Duration::from_secs(120));
    }
    let third = w.ingest();
    assert!(
        third
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 9 sin cambios"),
        "{}",
        third.stdout
    );
    let after: Vec<_> = [
        "instancias",
        "iniciativas",
        "reconocimientos",
        "rechazos",
        "archivos",
    ]
    .iter()
    .map(|d| w.export(d))
    .collect();
    assert_eq!(before, after);
}

const V1: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\nBA Elige;02/03/2019;Palermo;20\nBA Elige;31/02/2019;Palermo;30\n";
const V2: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;05/03/2019;Recoleta;7\n";

#[test]
fn a_resubmission_replaces_all_rows_of_the_previous_version() {
    let w = Workdir::new();
    w.drop_file("ministerio-a/reuniones.csv", V1.as_bytes());
    w.ingest();
    assert_eq!(w.export("instancias").len(), 2);
    assert_eq!(w.export("rechazos").len(), 1);
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    let run = w.ingest();
    assert!(
        run.stdout
            .contains("reemplazado: 1 filas aceptadas, 0 rechazadas"),
        "{}",
        run.stdout
    );
    let rows = w.export("instancias");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0]["barrio"].as_str(),
            rows[0]["participantes"].as_str(),
            rows[0]["comuna"].as_str()
        ),
        ("RECOLETA", "7", "2")
    );
    assert!(
        w.export("rechazos").is_empty(),
        "the old version's rejections went with it"
    );
    // Both versions stay in the history of who sent what.
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    let versions: i64 = db
        .query_row("SELECT COUNT(*) FROM versiones", [], |r| r.get(0))
        .expect("count");
    let replaced: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM versiones WHERE reemplazada_en IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!((versions, replaced), (2, 1));
}

#[test]
fn initiative_snapshots_keep_their_history_and_the_latest_is_current() {
    let w = Workdir::new();
    let march = "Id proyecto,Proyecto,Comuna,Estado actual,Avance,Fecha de actualización\nP-1,Plaza,3,Ganadora,0,01/03/2019\nP-2,Calle,4,En curso,10,01/03/2019\n";
    let april = "Id proyecto,Proyecto,Comuna,Estado actual,Avance,Fecha de actualización\nP-1,Plaza,3,En ejecución,30,01/04/2019\n";
    w.drop_file("secretaria/seguimiento_marzo.csv", march.as_bytes());
    w.drop_file("secretaria/seguimiento_abril.csv", april.as_bytes());
    w.ingest();
    let current: BTreeMap<String, String> = w
        .export("iniciativas")
        .into_iter()
        .map(|r| (r["id"].clone(), r["estado"].clone()))
        .collect();
    assert_eq!(
        current,
        BTreeMap::from([
            ("P-1".to_string(), "en_ejecucion".to_string()),
            ("P-2".to_string(), "en_ejecucion".to_string())
        ])
    );
    // The same file overwritten next month: its old snapshot goes to history, not away.
    let may = "Id proyecto,Proyecto,Comuna,Estado actual,Avance,Fecha de actualización\nP-1,Plaza,3,Finalizada,100,02/05/2019\n";
    w.drop_file("secretaria/seguimiento_abril.csv", may.as_bytes());
    w.ingest();
    let p1: Vec<_> = w
        .export("iniciativas")
        .into_iter()
        .filter(|r| r["id"] == "P-1")
        .collect();
    assert_eq!(
        (p1.len(), p1[0]["estado"].as_str(), p1[0]["avance"].as_str()),
        (1, "finalizada", "100")
    );
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    let history: Vec<String> = db
        .prepare("SELECT estado FROM ds_iniciativas_historial WHERE id = 'P-1'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("history");
    assert_eq!(history, ["en_ejecucion"]);
}

#[test]
fn a_vanished_file_is_reported_missing_and_keeps_its_rows() {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    let before = w.export("instancias");
    std::fs::remove_file(w.inbox().join("ministerio-cultura/experiencia_ba.ods")).expect("rm");
    let run = w.ingest();
    assert!(
        run.stdout
            .contains("experiencia_ba.ods: ya no está en la carpeta; sus filas se conservan"),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias"), before);
    let files = w.export("archivos");
    let gone = files
        .iter()
        .find(|f| f["ruta"] == "ministerio-cultura/experiencia_ba.ods")
        .expect("still listed");
    assert_eq!(gone["estado"], "ausente");
}

#[test]
fn an_empty_or_unmounted_source_retracts_nothing() {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.ingest();
    let before = w.export("archivos");
    // An unmounted share looks like an empty folder…
    std::fs::remove_dir_all(w.inbox()).expect("rm");
    std::fs::create_dir(w.inbox()).expect("mkdir");
    let run = w.ingest();
    assert!(run.stdout.contains("ERROR de fuente"), "{}", run.stdout);
    assert_eq!(w.export("archivos"), before, "no file marked missing");
    // …or like no folder at all.
    std::fs::remove_dir_all(w.inbox()).expect("rm");
    let run = w.ingest();
    assert!(run.stdout.contains("no existe"), "{}", run.stdout);
    assert_eq!(w.export("archivos"), before);
    assert_eq!(w.export("instancias").len(), 166);
}

#[test]
fn locks_hidden_and_temporary_files_are_ignored() {
    let w = Workdir::new();
    util::copy_tree(
        &fixtures().join("nasty/ignored"),
        &w.inbox().join("ministerio-a"),
        SETTLED,
    );
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    let run = w.ingest();
    assert!(run.stdout.contains("Archivos: 1 nuevos"), "{}", run.stdout);
    let files: Vec<String> = w
        .export("archivos")
        .into_iter()
        .map(|f| f["ruta"].clone())
        .collect();
    assert_eq!(files, ["ministerio-a/reuniones.csv"]);
    assert_eq!(w.export("instancias").len(), 1);
}

#[test]
fn bad_files_are_rejected_whole_with_a_reason_and_the_run_goes_on() {
    let w = Workdir::new();
    for entry in std::fs::read_dir(fixtures().join("nasty"))
        .expect("nasty")
        .flatten()
    {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).expect("read");
            w.drop_file(
                &format!("ministerio-roto/{}", entry.file_name().to_string_lossy()),
                &bytes,
            );
        }
    }
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    let run = w.ingest();
    assert_eq!(
        w.export("instancias")
            .iter()
            .filter(|r| r["organismo"] == "ministerio-a")
            .count(),
        1
    );
    let files: HashMap<String, HashMap<String, String>> = w
        .export("archivos")
        .into_iter()
        .map(|f| (f["ruta"].clone(), f))
        .collect();
    let expect = [
        ("vacio.xlsx", "vacío"),
        ("texto_renombrado.xlsx", "no es una planilla"),
        ("truncado.xlsx", "dañada"),
        ("protegido.xlsx", "contraseña"),
        ("imagen.xls", "imagen PNG"),
        ("informe_participacion.pdf", "no se admite"),
        ("codificacion_desconocida.csv", "binarios"),
    ];
    for (name, reason) in expect {
        let f = &files[&format!("ministerio-roto/{name}")];
        assert_eq!(f["resultado"], "ilegible", "{name}");
        assert!(
            f["problemas"].contains(reason),
            "{name}: {}",
            f["problemas"]
        );
        assert!(
            run.stdout.contains(&format!("{name}: rechazado entero")),
            "{}",
            run.stdout
        );
    }
    // The sheet that claims a million columns is read in bounded memory, its real cells kept.
    assert_eq!(
        files["ministerio-roto/columnas_infinitas.xlsx"]["resultado"],
        "leido"
    );
}

#[test]
fn an_unreadable_resubmission_keeps_the_previous_rows() {
    let w = Workdir::new();
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    w.ingest();
    w.drop_file("ministerio-a/reuniones.csv", b"\x00\x01\x02 basura binaria");
    let run = w.ingest();
    assert!(run.stdout.contains("rechazado entero"), "{}", run.stdout);
    assert_eq!(w.export("instancias").len(), 1);
}

#[test]
fn a_resubmission_with_no_data_sheet_is_rejected_and_keeps_the_previous_rows() {
    let w = Workdir::new();
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    w.ingest();
    w.drop_file(
        "ministerio-a/reuniones.csv",
        "Hola,\nles mando los datos la semana que viene\n".as_bytes(),
    );
    let run = w.ingest();
    assert!(
        run.stdout
            .contains("reuniones.csv: rechazado entero: ninguna hoja tiene los encabezados"),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias").len(), 1);
}

#[test]
fn a_file_outside_any_organismo_folder_is_rejected_with_advice() {
    let w = Workdir::new();
    w.drop_file("suelto.csv", V2.as_bytes());
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    let run = w.ingest();
    assert!(
        run.stdout
            .contains("suelto.csv: rechazado entero: el archivo está suelto"),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias").len(), 1);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn personal_data_never_reaches_the_store_or_any_output() {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w.drop_tree(&fixtures().join("generated/inbox"));
    w.ingest();
    let exports: Vec<u8> = [
        "instancias",
        "iniciativas",
        "reconocimientos",
        "rechazos",
        "archivos",
    ]
    .iter()
    .flat_map(|d| {
        w.run(&["export", d, "--format", "json"])
            .stdout
            .into_bytes()
    })
    .collect();
    let status = w.run(&["status"]).stdout.into_bytes();
    // Attendee data of experiencia_ba.ods: e-mails, a DNI, a phone number and a name.
    for secret in [
        &b"@correo.example"[..],
        b"45325871",
        b"11-59019207",
        b"Carlos Fern",
    ] {
        for (path, bytes) in w.outputs() {
            assert!(
                !contains(&bytes, secret),
                "{} found in {}",
                String::from_utf8_lossy(secret),
                path.display()
            );
        }
        assert!(!contains(&exports, secret) && !contains(&status, secret));
    }
    // The file report says which columns were dropped (headers only).
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    let report: String = db
        .query_row("SELECT v.informe FROM versiones v JOIN archivos a ON a.id = v.archivo_id WHERE a.ruta = 'ministerio-cultura/experiencia_ba.ods'", [], |r| r.get(0))
        .expect("report");
    assert!(
        report.contains("\"DNI\"") && report.contains("Correo electrónico"),
        "{report}"
    );
}

#[test]
fn a_pin_sets_the_dataset_and_default_programme() {
    let w = Workdir::new();
    let config = std::fs::read_to_string(w.dir.join("participa.toml")).expect("toml");
    let config = format!("{config}\n[[pins]]\npattern = \"subsecretaria-obras/*\"\ndataset = \"iniciativas\"\nprograma = \"ba_obras\"\n");
    std::fs::write(w.dir.join("participa.toml"), config).expect("write");
    w.drop_file(
        "subsecretaria-obras/obras.csv",
        "ID,Título,Barrio,Estado\nOB-1,Plaza,Flores,En obra\n".as_bytes(),
    );
    w.ingest();
    let rows = w.export("iniciativas");
    assert_eq!(
        (
            rows[0]["programa"].as_str(),
            rows[0]["comuna"].as_str(),
            rows[0]["estado"].as_str()
        ),
        ("ba_obras", "7", "en_ejecucion")
    );
}

#[test]
fn the_store_is_a_real_sqlite_file_in_the_working_folder() {
    let w = Workdir::new();
    assert!(Path::new(&w.dir.join("participa.db")).is_file());
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[test]
fn a_file_over_the_size_limit_is_rejected_without_being_loaded() {
    let w = Workdir::new();
    let config = std::fs::read_to_string(w.dir.join("participa.toml"))
        .expect("toml")
        .replace("max_file_bytes = 52428800", "max_file_bytes = 2000");
    std::fs::write(w.dir.join("participa.toml"), config).expect("write");
    w.drop_file("organismo-a/grande.csv", meeting_file(1).as_bytes());
    w.drop_file("organismo-a/chico.csv", V2.as_bytes());
    let run = w.ingest();
    assert!(
        run.stdout
            .contains("grande.csv: rechazado entero: el archivo pesa"),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias").len(), 1);
}

/// Sets a file's modification time to exactly `at`.
fn set_mtime(path: &Path, at: std::time::SystemTime) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for mtime");
    file.set_modified(at).expect("set mtime");
}

/// The four formats of one filled template (`fixtures/same_sheet/`), written into `organismo`'s
/// folder with the modification times `ages` (xlsx, ods, xls, csv) ago.
fn drop_same_sheet(w: &Workdir, organismo: &str, ages: [u64; 4]) {
    for (ext, age) in ["xlsx", "ods", "xls", "csv"].iter().zip(ages) {
        let bytes = std::fs::read(
            fixtures()
                .join("same_sheet/inbox/ministerio-cultura")
                .join(format!("planilla.{ext}")),
        )
        .expect("fixture");
        let path = w.drop_file(&format!("{organismo}/planilla.{ext}"), &bytes);
        set_age(&path, Duration::from_secs(age));
    }
}

const EXPORTS: [&str; 5] = [
    "instancias",
    "iniciativas",
    "reconocimientos",
    "rechazos",
    "archivos",
];

#[test]
fn the_same_sheet_saved_in_four_formats_is_counted_once() {
    let w = Workdir::new();
    // Saved as xlsx, then "Save as" ods, xls and csv, in that order; a second organismo sent
    // the same xlsx.
    drop_same_sheet(
        &w,
        "ministerio-cultura",
        [4 * 3600, 3 * 3600, 2 * 3600, 3600],
    );
    let bytes = std::fs::read(fixtures().join("same_sheet/inbox/ministerio-cultura/planilla.xlsx"))
        .expect("fixture");
    w.drop_file("ministerio-justicia-seguridad/planilla.xlsx", &bytes);
    let run = w.ingest();
    for copy in ["ods", "xls", "csv"] {
        assert!(
            run.stdout.contains(&format!(
                "local/ministerio-cultura/planilla.{copy}: nuevo: 0 filas aceptadas, 9 rechazadas"
            )),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(&format!(
                "  planilla.{copy} repite 9 filas de planilla.xlsx; se cuentan una sola vez."
            )),
            "{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains(
            "local/ministerio-cultura/planilla.xlsx: nuevo: 9 filas aceptadas, 0 rechazadas"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Filas: 18 aceptadas, 27 rechazadas (27 repiten filas de otro archivo del mismo organismo)"), "{}", run.stdout);

    // Exactly the 9 rows, stored once, from the file kept; the other organismo keeps its own.
    let rows = w.export("instancias");
    let cultura: Vec<_> = rows
        .iter()
        .filter(|r| r["organismo"] == "ministerio-cultura")
        .collect();
    assert_eq!(cultura.len(), 9);
    assert!(
        cultura
            .iter()
            .all(|r| r["fuente_archivo"] == "ministerio-cultura/planilla.xlsx"),
        "{cultura:?}"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r["organismo"] == "ministerio-justicia-seguridad")
            .count(),
        9
    );

    // Every other copy is a duplicate-row rejection naming the kept file and row.
    let rejected = w.export("rechazos");
    assert_eq!(rejected.len(), 27);
    for r in &rejected {
        assert_eq!(r["codigo"], "duplicate-row", "{r:?}");
        let expected = format!("Esta fila repite la fila {} de la hoja «instancias» de planilla.xlsx, ya recibida; se conserva solo la primera.", r["fuente_fila"]);
        assert_eq!(r["mensaje"], expected, "{r:?}");
    }
    let per_file: BTreeMap<String, usize> = rejected.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r["fuente_archivo"].clone()).or_default() += 1;
        m
    });
    assert_eq!(
        per_file.values().copied().collect::<Vec<_>>(),
        [9, 9, 9],
        "{per_file:?}"
    );

    // The counts agree: files, rejections, status.
    let files: BTreeMap<String, (String, String)> = w
        .export("archivos")
        .into_iter()
        .map(|f| {
            (
                f["ruta"].clone(),
                (f["filas_aceptadas"].clone(), f["filas_rechazadas"].clone()),
            )
        })
        .collect();
    let want = |a: &str, r: &str| (a.to_string(), r.to_string());
    assert_eq!(files["ministerio-cultura/planilla.xlsx"], want("9", "0"));
    for copy in ["ods", "xls", "csv"] {
        assert_eq!(
            files[&format!("ministerio-cultura/planilla.{copy}")],
            want("0", "9")
        );
    }
    assert_eq!(
        files["ministerio-justicia-seguridad/planilla.xlsx"],
        want("9", "0")
    );
    let status = w.run(&["status"]);
    assert!(
        status.stdout.contains("  instancias: 18 filas"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("Filas rechazadas: 27;"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("  ministerio-cultura: 4, 9, 27"),
        "{}",
        status.stdout
    );

    // A second pass over unchanged files changes nothing.
    let before: Vec<_> = EXPORTS.iter().map(|d| w.export(d)).collect();
    let second = w.ingest();
    assert!(
        second
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 5 sin cambios"),
        "{}",
        second.stdout
    );
    assert_eq!(
        before,
        EXPORTS.iter().map(|d| w.export(d)).collect::<Vec<_>>()
    );
}

#[test]
fn which_copy_is_kept_does_not_depend_on_thread_timing() {
    // Four files modified at the same instant: the first by path keeps the rows, with one worker
    // or with every core, every time.
    let at = std::time::SystemTime::now() - SETTLED;
    let mut results = Vec::new();
    for threads in [1, 0, 0] {
        let w = Workdir::new();
        let config = std::fs::read_to_string(w.dir.join("participa.toml"))
            .expect("toml")
            .replace("threads = 0", &format!("threads = {threads}"));
        std::fs::write(w.dir.join("participa.toml"), config).expect("write");
        drop_same_sheet(&w, "ministerio-cultura", [0; 4]);
        for ext in ["xlsx", "ods", "xls", "csv"] {
            set_mtime(
                &w.inbox().join(format!("ministerio-cultura/planilla.{ext}")),
                at,
            );
        }
        w.ingest();
        let rows = w.export("instancias");
        assert_eq!(rows.len(), 9);
        assert!(
            rows.iter()
                .all(|r| r["fuente_archivo"] == "ministerio-cultura/planilla.csv"),
            "{rows:?}"
        );
        results.push((rows, w.export("rechazos")));
    }
    assert!(results.windows(2).all(|p| p[0] == p[1]));
}

#[test]
fn a_copy_counts_again_when_the_kept_file_no_longer_has_its_row() {
    let w = Workdir::new();
    let head = "Programa;Fecha;Barrio;Participantes\n";
    let (a, b, c, d) = (
        "BA Elige;01/03/2019;Palermo;10\n",
        "BA Elige;02/03/2019;Recoleta;20\n",
        "BA Elige;03/03/2019;Flores;30\n",
        "BA Elige;04/03/2019;Almagro;40\n",
    );
    let kept = w.drop_file(
        "ministerio-a/reuniones.csv",
        format!("{head}{a}{b}{c}").as_bytes(),
    );
    set_age(&kept, Duration::from_secs(7200));
    w.drop_file(
        "ministerio-a/reuniones_copia.csv",
        format!("{head}{a}{b}{c}{d}").as_bytes(),
    );
    let run = w.ingest();
    assert!(
        run.stdout.contains(
            "  reuniones_copia.csv repite 3 filas de reuniones.csv; se cuentan una sola vez."
        ),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias").len(), 4);

    // The kept file comes back without «b» and with «a» one row lower: «b» counts again, in
    // the copy; «a» and «c» are still copies, named where they are now.
    let kept = w.drop_file(
        "ministerio-a/reuniones.csv",
        format!("{head}{d}{a}{c}")
            .replace("Almagro;40", "Almagro;41")
            .as_bytes(),
    );
    set_age(&kept, Duration::from_secs(60));
    let run = w.ingest();
    assert!(run.stdout.contains("  reuniones_copia.csv: 1 fila que repetía reuniones.csv vuelve a contarse (ya no está en reuniones.csv)."), "{}", run.stdout);
    let rows = w.export("instancias");
    let from: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r["barrio"].clone() + r["participantes"].as_str(),
                r["fuente_archivo"].clone(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(from["RECOLETA20"], "ministerio-a/reuniones_copia.csv");
    assert_eq!(from["ALMAGRO40"], "ministerio-a/reuniones_copia.csv");
    assert_eq!(from["ALMAGRO41"], "ministerio-a/reuniones.csv");
    let rejected: Vec<(String, String)> = w
        .export("rechazos")
        .into_iter()
        .map(|r| (r["fuente_fila"].clone(), r["mensaje"].clone()))
        .collect();
    assert_eq!(
        rejected,
        [
            ("2".to_string(), "Esta fila repite la fila 3 de reuniones.csv, ya recibida; se conserva solo la primera.".to_string()),
            ("4".to_string(), "Esta fila repite la fila 4 de reuniones.csv, ya recibida; se conserva solo la primera.".to_string()),
        ]
    );
    let files: BTreeMap<String, (String, String)> = w
        .export("archivos")
        .into_iter()
        .map(|f| {
            (
                f["ruta"].clone(),
                (f["filas_aceptadas"].clone(), f["filas_rechazadas"].clone()),
            )
        })
        .collect();
    assert_eq!(
        files["ministerio-a/reuniones_copia.csv"],
        ("2".to_string(), "2".to_string())
    );

    // The kept file disappears: it keeps its rows, so the copies stay copies.
    let before: Vec<_> = ["instancias", "rechazos"]
        .iter()
        .map(|d| w.export(d))
        .collect();
    std::fs::remove_file(w.inbox().join("ministerio-a/reuniones.csv")).expect("rm");
    w.ingest();
    assert_eq!(
        before,
        ["instancias", "rechazos"]
            .iter()
            .map(|d| w.export(d))
            .collect::<Vec<_>>()
    );
}

#[test]
fn initiative_snapshots_in_two_files_are_copies_only_when_every_value_is_equal() {
    let w = Workdir::new();
    let head = "Id proyecto,Proyecto,Comuna,Estado actual,Avance,Fecha de actualización\n";
    // The follow-up of April repeats P-1 as it stood in March (a copy) and P-2 as it stands in
    // April (a new snapshot, kept by design).
    let march = w.drop_file(
        "secretaria/seguimiento_marzo.csv",
        format!("{head}P-1,Plaza,3,Ganadora,0,01/03/2019\nP-2,Calle,4,En curso,10,01/03/2019\n")
            .as_bytes(),
    );
    set_age(&march, Duration::from_secs(7200));
    w.drop_file(
        "secretaria/seguimiento_abril.csv",
        format!("{head}P-1,Plaza,3,Ganadora,0,01/03/2019\nP-2,Calle,4,En curso,40,01/04/2019\n")
            .as_bytes(),
    );
    let run = w.ingest();
    assert!(run.stdout.contains("  seguimiento_abril.csv repite 1 fila de seguimiento_marzo.csv; se cuentan una sola vez."), "{}", run.stdout);
    let rejected = w.export("rechazos");
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (
            rejected[0]["fuente_archivo"].as_str(),
            rejected[0]["fuente_fila"].as_str()
        ),
        ("secretaria/seguimiento_abril.csv", "2")
    );
    let current: BTreeMap<String, String> = w
        .export("iniciativas")
        .into_iter()
        .map(|r| (r["id"].clone(), r["avance"].clone()))
        .collect();
    assert_eq!(
        current,
        BTreeMap::from([
            ("P-1".to_string(), "0".to_string()),
            ("P-2".to_string(), "40".to_string())
        ])
    );
    let db = rusqlite::Connection::open(w.dir.join("participa.db")).expect("db");
    let snapshots: i64 = db
        .query_row("SELECT COUNT(*) FROM ds_iniciativas", [], |r| r.get(0))
        .expect("count");
    assert_eq!(snapshots, 3, "P-1 once, P-2 in March and in April");
}

// ---- Nothing a file or folder can do stops the service (STANDARD.md §1, last point) ----

const V3: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;09/03/2019;Flores;12\n";
const V4: &str = "Programa;Fecha;Barrio;Participantes\nBA Elige;11/03/2019;Almagro;4\nBA Elige;12/03/2019;Almagro;5\n";

/// Writes a settled file at any path (one outside the inbox, a name a `&str` cannot hold).
fn settled(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
    set_age(path, SETTLED);
}

/// Edits the working folder's `participa.toml`.
fn edit_config(w: &Workdir, from: &str, to: &str) {
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("toml");
    assert!(text.contains(from), "participa.toml has no «{from}»");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

fn rutas(files: &[HashMap<String, String>]) -> Vec<String> {
    files.iter().map(|f| f["ruta"].clone()).collect()
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed_unless_asked_and_never_out_of_the_source() {
    use std::os::unix::fs::symlink;
    let w = Workdir::new();
    // Outside the source: someone else's readable data.
    let outside = w.dir.parent().expect("temporary folder").join("fuera");
    settled(&outside.join("ajeno.csv"), V3);
    w.drop_file("ministerio-a/reuniones.csv", V2.as_bytes());
    w.drop_file("ministerio-b/datos.csv", V1.as_bytes());
    symlink(
        outside.join("ajeno.csv"),
        w.inbox().join("ministerio-a/ajeno.csv"),
    )
    .expect("link");
    symlink(&outside, w.inbox().join("ministerio-fuera")).expect("link");
    symlink(
        "../ministerio-b/datos.csv",
        w.inbox().join("ministerio-a/datos-de-b.csv"),
    )
    .expect("link");

    // By default no link is followed, to a file or a folder; each is listed.
    let run = w.ingest();
    for link in [
        "ministerio-a/ajeno.csv",
        "ministerio-fuera",
        "ministerio-a/datos-de-b.csv",
    ] {
        assert!(
            run.stdout
                .contains(&format!("local/{link}: enlace simbólico: no se sigue")),
            "{link}: {}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("Archivos: 2 nuevos")
            && run.stdout.contains("Enlaces simbólicos no seguidos: 3."),
        "{}",
        run.stdout
    );
    assert_eq!(
        rutas(&w.export("archivos")),
        ["ministerio-a/reuniones.csv", "ministerio-b/datos.csv"]
    );
    assert_eq!(w.export("instancias").len(), 3);

    // seguir_enlaces = true: links are followed inside the source only, and no file twice.
    settled(&w.inbox().join(".compartido/calendario.csv"), V4);
    symlink("../.compartido", w.inbox().join("ministerio-a/compartido")).expect("link");
    symlink(
        "reuniones.csv",
        w.inbox().join("ministerio-a/reuniones-otra-vez.csv"),
    )
    .expect("link");
    edit_config(&w, "seguir_enlaces = false", "seguir_enlaces = true");
    let run = w.ingest();
    let line = |path: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("local/{path}: ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("ministerio-a/ajeno.csv").contains("fuera de la carpeta de la fuente"),
        "{}",
        run.stdout
    );
    assert!(
        line("ministerio-fuera").contains("fuera de la carpeta de la fuente"),
        "{}",
        run.stdout
    );
    assert!(
        line("ministerio-a/datos-de-b.csv").contains("otro organismo (ministerio-b)"),
        "{}",
        run.stdout
    );
    assert!(
        line("ministerio-a/reuniones-otra-vez.csv")
            .contains("ya se lee como «ministerio-a/reuniones.csv»"),
        "{}",
        run.stdout
    );
    assert!(
        line("ministerio-a/compartido/calendario.csv").contains("nuevo: 2 filas aceptadas"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Archivos: 1 nuevos, 0 cambiados, 2 sin cambios"),
        "{}",
        run.stdout
    );
    assert_eq!(
        rutas(&w.export("archivos")),
        [
            "ministerio-a/compartido/calendario.csv",
            "ministerio-a/reuniones.csv",
            "ministerio-b/datos.csv"
        ]
    );
    let rows = w.export("instancias");
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|r| r["barrio"] != "FLORES"),
        "nothing from outside the source"
    );

    // A second pass reads nothing and changes nothing.
    let before: Vec<_> = EXPORTS.iter().map(|d| w.export(d)).collect();
    let again = w.ingest();
    assert!(
        again
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 3 sin cambios, 0 rechazados, 0 ausentes"),
        "{}",
        again.stdout
    );
    assert_eq!(
        EXPORTS.iter().map(|d| w.export(d)).collect::<Vec<_>>(),
        before
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_subfolder_is_an_error_of_that_folder_alone() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    w.drop_file("ministerio-a/reuniones.csv", V1.as_bytes());
    w.drop_file("ministerio-a/2019/abril.csv", V2.as_bytes());
    w.drop_file("ministerio-b/datos.csv", V3.as_bytes());
    // chmod 000 stops anyone but root: as root, participa runs as nobody (see `Unprivileged`).
    let user = util::Unprivileged::new(&w);
    let first = user.run(&w, &["ingest"]);
    assert!(
        first.stdout.contains("Archivos: 3 nuevos"),
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    let before = user.export(&w, "instancias");
    assert_eq!(before.len(), 4);

    let locked = w.inbox().join("ministerio-a/2019");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    let added = w.drop_file("ministerio-b/nuevo.csv", V4.as_bytes());
    user.give(&added);
    let second = user.run(&w, &["ingest"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    // The rest of that organismo and every other organismo are read…
    assert!(
        second
            .stdout
            .contains("local/ministerio-b/nuevo.csv: nuevo: 2 filas aceptadas"),
        "{}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .contains("Archivos: 1 nuevos, 0 cambiados, 2 sin cambios, 0 rechazados, 0 ausentes"),
        "{}",
        second.stdout
    );
    // …the folder is reported, and its stored file keeps its rows (not marked missing).
    assert!(
        second.stdout.contains("ERROR de carpeta")
            && second
                .stdout
                .contains("local/ministerio-a/2019: no se pudo leer la carpeta"),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("ya no está en la carpeta"),
        "{}",
        second.stdout
    );
    let files: HashMap<String, String> = user
        .export(&w, "archivos")
        .into_iter()
        .map(|f| (f["ruta"].clone(), f["estado"].clone()))
        .collect();
    assert_eq!(
        files.get("ministerio-a/2019/abril.csv").map(String::as_str),
        Some("presente")
    );
    assert_eq!(files.len(), 4);
    let rows = user.export(&w, "instancias");
    assert_eq!(rows.len(), before.len() + 2);
    assert!(rows
        .iter()
        .any(|r| r["fuente_archivo"] == "ministerio-a/2019/abril.csv"));
    // `status` tells it too.
    let status = user.run(&w, &["status"]);
    assert!(
        status.stdout.contains("ERROR de carpeta")
            && status.stdout.contains("local/ministerio-a/2019"),
        "{}",
        status.stdout
    );
    let json = user.run(&w, &["status", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status json");
    assert_eq!(
        value["ultima_ingesta"]["carpetas_ilegibles"][0]["ruta"],
        "ministerio-a/2019"
    );

    // Readable again: nothing to report, nothing changed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod 755");
    let third = user.run(&w, &["ingest"]);
    assert!(
        third
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 4 sin cambios")
            && !third.stdout.contains("ERROR"),
        "{}",
        third.stdout
    );
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_never_merge_and_a_second_pass_changes_nothing() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let w = Workdir::new();
    let org = w.inbox().join("ministerio-a");
    // «reunión.csv» saved by a Latin-1 system, a name one byte away, and the escape typed out.
    settled(&org.join(OsStr::from_bytes(b"reuni\xF3n.csv")), V1);
    settled(&org.join(OsStr::from_bytes(b"reuni\xF2n.csv")), V2);
    settled(&org.join("reuni\\xF3n.csv"), V3);
    let first = w.ingest();
    assert!(
        first.stdout.contains("Archivos: 3 nuevos"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains("local/ministerio-a/reuni\\xF3n.csv: nuevo: 2 filas aceptadas, 1 rechazadas"),
        "{}",
        first.stdout
    );
    let files: std::collections::BTreeSet<String> =
        rutas(&w.export("archivos")).into_iter().collect();
    let want: std::collections::BTreeSet<String> = [
        "ministerio-a/reuni\\xF3n.csv",
        "ministerio-a/reuni\\xF2n.csv",
        "ministerio-a/reuni\\\\xF3n.csv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(files, want);
    let rows = w.export("instancias");
    assert_eq!(rows.len(), 4);
    let sources: std::collections::BTreeSet<String> =
        rows.iter().map(|r| r["fuente_archivo"].clone()).collect();
    assert_eq!(sources, want);

    let before: Vec<_> = EXPORTS.iter().map(|d| w.export(d)).collect();
    let again = w.ingest();
    assert!(
        again
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 3 sin cambios, 0 rechazados, 0 ausentes"),
        "{}",
        again.stdout
    );
    assert_eq!(
        EXPORTS.iter().map(|d| w.export(d)).collect::<Vec<_>>(),
        before
    );
}

#[test]
fn a_name_with_a_line_break_cannot_forge_lines_in_any_output() {
    let w = Workdir::new();
    w.drop_file(
        "ministerio-a\nFALSO/reuniones.csv\nFALSO: nuevo: 999 filas aceptadas\r\u{1b}[1A.csv",
        V2.as_bytes(),
    );
    w.drop_file("ministerio-b/datos.csv", V1.as_bytes());
    let ingest = util::participa_logging(&w.dir, "info", &["ingest"]);
    assert_eq!(ingest.code, 0, "{}", ingest.stderr);
    let shown =
        "ministerio-a\\nFALSO/reuniones.csv\\nFALSO: nuevo: 999 filas aceptadas\\r\\x1B[1A.csv";
    assert!(
        ingest
            .stdout
            .contains(&format!("local/{shown}: nuevo: 1 filas aceptadas")),
        "{}",
        ingest.stdout
    );
    assert!(
        ingest.stderr.contains(shown),
        "the log names the file escaped: {}",
        ingest.stderr
    );
    let status = w.run(&["status"]);
    assert!(
        status.stdout.contains("ministerio-a\\nFALSO: 1, 1, 0"),
        "{}",
        status.stdout
    );
    let archivos = w.run(&["export", "archivos", "--format", "csv"]);
    assert_eq!(
        util::parse_csv(&archivos.stdout)
            .iter()
            .filter(|f| f["ruta"] == shown)
            .count(),
        1,
        "{}",
        archivos.stdout
    );
    for (what, text) in [
        ("ingest", &ingest.stdout),
        ("log", &ingest.stderr),
        ("status", &status.stdout),
        ("export archivos", &archivos.stdout),
    ] {
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("FALSO")),
            "{what} has a forged line:\n{text}"
        );
        assert!(
            !text.contains('\r'),
            "{what} has a carriage return:\n{text}"
        );
    }
    for (what, text) in [
        ("ingest", &ingest.stdout),
        ("status", &status.stdout),
        ("export archivos", &archivos.stdout),
    ] {
        assert!(
            !text.contains('\u{1b}'),
            "{what} has an escape sequence:\n{text}"
        );
    }
    // The identity is stable: a second pass changes nothing.
    let again = w.ingest();
    assert!(
        again
            .stdout
            .contains("Archivos: 0 nuevos, 0 cambiados, 2 sin cambios"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_source_folder_that_is_empty_or_holds_the_working_folder_is_refused_naming_the_key() {
    let w = Workdir::new();
    let original = std::fs::read_to_string(w.dir.join("participa.toml")).expect("toml");
    for (path, key) in [
        ("", "the folder is empty"),
        (".", "store.sqlite_path"),
        ("publicacion", "informe.dir_publicacion"),
        ("informes", "informe.dir_salida"),
    ] {
        std::fs::write(
            w.dir.join("participa.toml"),
            original.replacen("path = \"inbox\"", &format!("path = {path:?}"), 1),
        )
        .expect("write");
        let run = w.run(&["ingest"]);
        assert_eq!(run.code, 2, "{path:?}: {}", run.stdout);
        assert!(
            run.stderr.contains("sources[0].path") && run.stderr.contains(key),
            "{path:?}: {}",
            run.stderr
        );
    }
}
