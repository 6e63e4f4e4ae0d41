//! A hostile xlsx (issue 10): 72 KB on disk, every cell of a 5,000 × 250 range refers to one
//! 32,767-character shared string, tens of GB if each reference were copied. The reader charges
//! each reference to the file's budget before copying it, so the file is rejected as unreadable
//! and the good file beside it is stored. The ingest runs under an address-space limit, so a
//! regression fails here instead of swapping the machine.

use std::process::Command;

use crate::util::{fixtures, Run, Workdir, SETTLED};

/// The address space the ingest may use: well above what a pass needs (the default budget is
/// 64 MiB of text a file), far below what expanding the file would take.
const ADDRESS_SPACE: u64 = 1536 * 1024 * 1024;

#[test]
fn a_shared_string_referenced_a_million_times_is_rejected_not_expanded() {
    let w = Workdir::new();
    let hostile = w.inbox().join("ministerio-transporte/hostil.xlsx");
    std::fs::create_dir_all(hostile.parent().expect("parent")).expect("mkdir");
    let made = Command::new("python3")
        .arg(fixtures().join("hostile/xlsx_shared_string.py"))
        .arg(&hostile)
        .status()
        .expect("python3 runs");
    assert!(made.success(), "the generator failed");
    let size = std::fs::metadata(&hostile).expect("generated").len();
    assert!(
        size < 100_000,
        "the hostile file should be small: {size} bytes"
    );
    crate::util::set_age(&hostile, SETTLED);
    let good = fixtures().join("samples/inbox/ministerio-transporte/grandes_choferes_2019.xlsx");
    w.drop_file(
        "ministerio-transporte/grandes_choferes_2019.xlsx",
        &std::fs::read(good).expect("sample"),
    );

    let prlimit = Command::new("prlimit").arg("--version").output();
    assert!(
        prlimit.is_ok_and(|o| o.status.success()),
        "this test needs prlimit (util-linux)"
    );
    let run: Run = Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE}"))
        .arg(env!("CARGO_BIN_EXE_participa"))
        .arg("ingest")
        .current_dir(&w.dir)
        .env_remove("RUST_LOG")
        .env_remove("PARTICIPA_NOW")
        .output()
        .expect("participa runs under prlimit")
        .into();
    assert_eq!(
        run.code, 0,
        "ingest under {ADDRESS_SPACE} bytes of address space: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("hostil.xlsx: rechazado entero: el texto de la planilla ocupa más de 67108864 bytes contando cada celda que repite un mismo texto"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("grandes_choferes_2019.xlsx: nuevo:"),
        "{}",
        run.stdout
    );
    let files = w.export("archivos");
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f["ruta"].ends_with(name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        file("hostil.xlsx").get("resultado").map(String::as_str),
        Some("ilegible"),
        "{files:?}"
    );
    let good = file("grandes_choferes_2019.xlsx");
    assert_eq!(
        good.get("resultado").map(String::as_str),
        Some("leido"),
        "{files:?}"
    );
    assert!(
        good.get("filas_aceptadas")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n > 0),
        "{files:?}"
    );
}
