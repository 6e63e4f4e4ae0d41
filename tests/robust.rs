//! Nothing a file or a user does stops the service: a full or closed output stream, numbers
//! out of range in the configuration, a period typed wrong, temporary files a crash left.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::util::{fixtures, set_age, Run, Workdir, SETTLED};

/// Runs the binary in `cwd` with stdout and/or stderr going to `/dev/full` (every write fails
/// with "no space left on device"); the other stream is captured.
fn run_full(
    cwd: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdout_full: bool,
    stderr_full: bool,
) -> Run {
    let full = || {
        Stdio::from(
            File::options()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        )
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_participa"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("PARTICIPA_NOW");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(if stdout_full { full() } else { Stdio::piped() });
    cmd.stderr(if stderr_full { full() } else { Stdio::piped() });
    cmd.output().expect("the participa binary runs").into()
}

fn fixture(relative: &str) -> String {
    fixtures()
        .join(relative)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// A failed write to stderr panicked (exit 101): an error message, a warning and every log
/// line are dropped instead, and the command ends as it would have.
#[test]
fn a_full_stderr_never_panics() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixture("samples/inbox/ministerio-justicia-seguridad/comisarias_cercanas_2019.xlsx");
    // Logs at every level go to stderr.
    let run = run_full(
        dir.path(),
        &[("RUST_LOG", "trace")],
        &["validate", &file],
        false,
        true,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("fila 19 [constraint-error]"),
        "{}",
        run.stdout
    );
    // The error message of a failed command.
    let run = run_full(
        dir.path(),
        &[],
        &["--config", "no-existe.toml", "validate", &file],
        false,
        true,
    );
    assert_eq!(run.code, 2);
    // A warning printed by a command: the period has not closed yet.
    let w = Workdir::new();
    let run = run_full(
        &w.dir,
        &[("PARTICIPA_NOW", "2019-03-15T12:00:00-03:00")],
        &["report", "--period", "2019-03"],
        false,
        true,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("PDF:"), "{}", run.stdout);
}

/// Output that cannot be written (a full disk) is a failure said on stderr, status 2, never a
/// panic; every command that prints for people goes the same way.
#[test]
fn a_full_stdout_is_an_error_named_on_stderr() {
    let w = Workdir::new();
    let file = fixture("samples/inbox/ministerio-cultura/experiencia_ba.ods");
    for args in [
        vec!["validate", file.as_str()],
        vec!["validate", file.as_str(), "--format", "json"],
        vec!["status"],
        vec!["export", "instancias"],
        vec!["ingest"],
    ] {
        let run = run_full(&w.dir, &[], &args, true, false);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("participa: "),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Both streams full: still no panic.
    let run = run_full(&w.dir, &[], &["validate", &file], true, true);
    assert_eq!(run.code, 2);
}

/// A reader that goes away before anything is written (`| head -0`) ends the command quietly.
#[test]
fn a_closed_pipe_ends_validate_quietly() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = fixture("samples/inbox/ministerio-cultura/experiencia_ba.ods");
    let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
        .args(["validate", &file])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `participa report --period 0000-01` (or `9999-12`) was built and published: a period
/// outside the commitment's years is refused before anything is written.
#[test]
fn a_period_outside_the_commitments_years_is_refused() {
    let w = Workdir::new();
    for period in ["0000-01", "9999-12", "2013-12", "2030"] {
        let run = w.run(&["report", "--period", period]);
        assert_eq!(run.code, 2, "{period}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!("el período {period}"))
                && run.stderr.contains("entre 2014-01 y 2029-12"),
            "{period}: {}",
            run.stderr
        );
    }
    for folder in ["informes", "publicacion"] {
        let entries = std::fs::read_dir(w.dir.join(folder))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(entries, 0, "{folder} holds nothing");
    }
}

/// `threads = 100000` was accepted, then the run aborted: the configuration is refused with
/// the key and the limit, before anything runs.
#[test]
fn too_many_threads_are_refused_with_the_key_and_the_limit() {
    let w = Workdir::new();
    let config = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("threads = 0", "threads = 100000")).expect("write");
    let run = w.run(&["ingest"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("ingest.threads") && run.stderr.contains("the limit is"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Sets a folder's modification time to `age` ago (after its files: adding one changes it).
fn set_dir_age(path: &Path, age: Duration) {
    File::open(path)
        .expect("open folder")
        .set_modified(SystemTime::now() - age)
        .expect("set mtime");
}

/// A unique part as the publisher writes it (`<nanos>-<pid>-<counter>`), with a pid no
/// process can have.
const GONE: &str = "00000000000000000001-999999999-0";

struct Leftovers {
    stale: Vec<PathBuf>,
    kept: Vec<PathBuf>,
    restored: PathBuf,
}

/// Temporary files as crashed writers leave them in each output folder, stale ones (ten
/// minutes old) and fresh ones, plus look-alikes that are not participa's.
fn leave_leftovers(w: &Workdir) -> Leftovers {
    let informes = w.dir.join("informes");
    let publicacion = w.dir.join("publicacion");
    let outbox = w.dir.join("correo/salida");
    for d in [&informes, &publicacion, &outbox] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let file = |path: PathBuf, old: bool| {
        std::fs::write(&path, b"half").expect("write");
        if old {
            set_age(&path, SETTLED);
        }
        path
    };
    let folder = |path: PathBuf, old: bool| {
        std::fs::create_dir_all(&path).expect("mkdir");
        file(path.join("instancias.csv"), old);
        if old {
            set_dir_age(&path, SETTLED);
        }
        path
    };
    let stale = vec![
        file(informes.join("participa-2019-01-es.pdf.tmp"), true),
        file(informes.join("participa-2019-01-es.xlsx.tmp"), true),
        folder(
            publicacion.join(format!(".participa-new.2019-01.{GONE}")),
            true,
        ),
        file(publicacion.join(format!(".index.html.{GONE}")), true),
        // An old folder set aside whose period is published again: a leftover.
        folder(
            publicacion.join(format!(".participa-old.2018-11.{GONE}")),
            true,
        ),
        file(
            outbox.join(".20190401T090000Z-abc_example.org--x_example.org.eml.tmp"),
            true,
        ),
        // The names of the one atomic writer (`fsutil::write_atomic`): `.<name>.<random>.tmp`.
        file(informes.join(".participa-2019-02-es.pdf.Ab3xYz.tmp"), true),
        file(publicacion.join(".index.html.Qw7eRt.tmp"), true),
        file(
            outbox.join(".20190401T090000Z-ghi_example.org--x_example.org.eml.Zx9cVb.tmp"),
            true,
        ),
    ];
    folder(publicacion.join("2018-11"), true);
    // An old folder set aside whose period is missing: the crash came between the renames.
    folder(
        publicacion.join(format!(".participa-old.2018-12.{GONE}")),
        true,
    );
    let kept = vec![
        // Fresh: maybe being written right now by another participa.
        file(informes.join("participa-2019-06-es.pdf.tmp"), false),
        folder(
            publicacion.join(format!(".participa-new.2019-06.{GONE}")),
            false,
        ),
        file(
            outbox.join(".20190401T090000Z-def_example.org--x_example.org.eml.tmp"),
            false,
        ),
        // Stale, but not participa's names.
        file(informes.join("borrador.pdf.tmp"), true),
        file(publicacion.join("notas.tmp"), true),
        file(outbox.join("mensaje.eml.tmp"), true),
        file(informes.join(".borrador.pdf.Ab3xYz.tmp"), true),
    ];
    Leftovers {
        stale,
        kept,
        restored: publicacion.join("2018-12"),
    }
}

/// Temporary files a crash left are deleted at the start of `ingest`, `report` and `run`: only
/// participa's own names, only in its output folders, only once a minute old.
#[test]
fn stale_temporary_files_are_removed_when_a_command_starts() {
    let commands: [&[&str]; 3] = [
        &["ingest"],
        &["report", "--period", "2019-03"],
        &["run", "--once"],
    ];
    for args in commands {
        let w = Workdir::new();
        let left = leave_leftovers(&w);
        let run = w.run_at("2019-04-02T12:00:00-03:00", args);
        assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
        for path in &left.stale {
            assert!(!path.exists(), "{args:?}: {} was left", path.display());
        }
        for path in &left.kept {
            assert!(path.exists(), "{args:?}: {} was removed", path.display());
        }
        assert!(
            left.restored.join("instancias.csv").exists(),
            "{args:?}: the period set aside is put back"
        );
    }
}
