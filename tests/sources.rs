//! Network sources against real servers on loopback: wsgidav (PyPI, in the tools venv that
//! `.ci/install-report-tools` makes) serving a copy of the samples with Basic authentication,
//! `python3 -m http.server` for published links, and `tests/net_server.py` for the servers that
//! misbehave (a status, a stall, a redirect loop, a body cut short). Never a mock of the
//! protocol: participa talks HTTP to a process that answers it.
//!
//! What a user cares about: the samples over WebDAV give exactly what the folder gives; a pass
//! over unchanged files downloads nothing; a changed file is a re-submission; an upload in
//! progress waits; every failure is a clear error of the source and no row is lost.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::tools::venv;
use crate::util::{fixtures, parse_csv, participa_bounded, Run, Workdir};

/// The password of the test share (written to a file: `clave_archivo`).
const PASSWORD: &str = "clave-de-prueba";

/// True when wsgidav is installed in the tools venv; without it a test is skipped, unless
/// `PARTICIPA_REQUIRE_TOOLS=1` (CI), where it fails.
fn have_wsgidav() -> bool {
    if venv().join("bin/wsgidav").is_file() {
        return true;
    }
    let why = format!("wsgidav is not installed in {}", venv().display());
    if std::env::var("PARTICIPA_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!(
            "{why}; PARTICIPA_REQUIRE_TOOLS=1 requires it. Install: run .ci/install-report-tools"
        );
    }
    eprintln!("skipped: {why} (run .ci/install-report-tools)");
    false
}

/// A free port on loopback (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something listens on `port`.
fn wait_listening(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server ended before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}");
}

/// A server process, ended (by its own pid) when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// wsgidav serving `root` to user `lector` with [`PASSWORD`], Basic authentication only.
    fn webdav(root: &Path) -> Server {
        let dir = tempfile::tempdir().expect("tmp");
        let port = free_port();
        let config = dir.path().join("wsgidav.yaml");
        let yaml = format!(
            "host: 127.0.0.1\nport: {port}\nprovider_mapping:\n  \"/\": \"{}\"\n\
             http_authenticator:\n  accept_basic: true\n  accept_digest: false\n  default_to_digest: false\n\
             simple_dc:\n  user_mapping:\n    \"*\":\n      \"lector\":\n        password: \"{PASSWORD}\"\n\
             verbose: 3\ndir_browser:\n  enable: false\n",
            root.display()
        );
        std::fs::write(&config, yaml).expect("wsgidav config");
        let log = dir.path().join("wsgidav.log");
        let mut child = Command::new(venv().join("bin/wsgidav"))
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::from(std::fs::File::create(&log).expect("log")))
            .stderr(Stdio::from(
                std::fs::File::options()
                    .append(true)
                    .open(&log)
                    .expect("log"),
            ))
            .spawn()
            .expect("wsgidav starts");
        wait_listening(port, &mut child);
        Server {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// `python3 -m http.server` serving `root` (published links: Last-Modified, 304).
    fn http(root: &Path) -> Server {
        let dir = tempfile::tempdir().expect("tmp");
        let port = free_port();
        let log = dir.path().join("http.log");
        let mut child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .arg("--directory")
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("python3 -m http.server starts");
        wait_listening(port, &mut child);
        Server {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// `tests/net_server.py MODE ARG`, which prints its port first.
    fn misbehaving(mode: &str, arg: &str) -> Server {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("net.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/net_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([mode, arg])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("net_server.py starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the port");
        let port = line.trim().parse().expect("a port number");
        wait_listening(port, &mut child);
        Server {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Lines of the server's log holding `what`.
    fn count(&self, what: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(what))
            .count()
    }

    /// Downloads (GETs) the server logged.
    fn gets(&self) -> usize {
        self.count("\"GET ")
    }

    /// Stops it now (a server that goes away).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a tree, every file modified at the same whole second (a WebDAV listing gives times
/// to the second; the same times on both sides give the same writing order).
fn copy_at(from: &Path, to: &Path, when: SystemTime) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_at(&entry.path(), &target, when);
        } else {
            std::fs::create_dir_all(to).expect("mkdir");
            std::fs::copy(entry.path(), &target).expect("copy");
            touch(&target, when);
        }
    }
}

fn touch(path: &Path, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(when)
        .expect("mtime");
}

/// Ten minutes ago, to the second.
fn settled_time() -> SystemTime {
    let secs = (SystemTime::now() - Duration::from_secs(600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// Replaces the configuration's `[[sources]]` with `block`, and its settle time.
fn set_sources(w: &Workdir, block: &str) {
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let start = text.find("\n[[sources]]\n").expect("a [[sources]] block") + 1;
    let end = text.find("\n[ingest]\n").expect("an [ingest] table") + 1;
    let text = format!("{}{block}\n\n{}", &text[..start], &text[end..]);
    std::fs::write(&path, text).expect("write config");
}

/// A WebDAV source named `local` at `url`, its password in a file.
fn webdav_block(w: &Workdir, url: &str, extra: &str) -> String {
    std::fs::write(w.dir.join("clave-nube.txt"), format!("{PASSWORD}\n")).expect("secret");
    format!(
        "[[sources]]\nname = \"local\"\ntipo = \"webdav\"\nurl = \"{url}\"\nusuario = \"lector\"\nclave_archivo = \"clave-nube.txt\"\n{extra}"
    )
}

/// Every exported dataset and the rejections, as rows.
fn everything(w: &Workdir) -> Vec<Vec<HashMap<String, String>>> {
    ["instancias", "iniciativas", "reconocimientos", "rechazos"]
        .iter()
        .map(|d| w.export(d))
        .collect()
}

fn ingest(w: &Workdir) -> Run {
    let run = w.run(&["ingest"]);
    assert_eq!(run.code, 0, "ingest failed: {}\n{}", run.stdout, run.stderr);
    run
}

fn status_json(w: &Workdir) -> serde_json::Value {
    let run = w.run(&["status", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("status JSON")
}

#[test]
fn the_samples_over_webdav_consolidate_exactly_as_from_a_folder_and_a_second_pass_downloads_nothing(
) {
    if !have_wsgidav() {
        return;
    }
    let samples = fixtures().join("samples/inbox");
    let when = settled_time();
    let share = tempfile::tempdir().expect("share");
    copy_at(&samples, share.path(), when);
    let server = Server::webdav(share.path());

    let folder = Workdir::new();
    copy_at(&samples, &folder.inbox(), when);
    ingest(&folder);

    let net = Workdir::new();
    set_sources(&net, &webdav_block(&net, &server.url(), ""));
    let probe = net.run(&["fuentes", "probar"]);
    assert_eq!(probe.code, 0, "{}\n{}", probe.stdout, probe.stderr);
    assert!(
        probe.stdout.contains("bien; 9 archivos de 7 organismos"),
        "{}",
        probe.stdout
    );
    let first = ingest(&net);
    assert!(first.stdout.contains("9 nuevos"), "{}", first.stdout);
    assert_eq!(server.gets(), 9, "each file downloaded once");
    assert_eq!(
        everything(&net),
        everything(&folder),
        "the same rows, rejections and provenance as from the folder"
    );
    // The truth of the samples, as the acceptance check counts it.
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("samples/truth.json")).expect("truth"),
    )
    .expect("truth JSON");
    assert_eq!(
        net.export("instancias").len() as u64,
        truth["events"]["accepted"].as_u64().expect("accepted")
    );
    assert_eq!(
        net.export("iniciativas").len() as u64,
        truth["initiatives"]["count"].as_u64().expect("count")
    );

    // A pass over unchanged files: one PROPFIND per folder (the root and 7 organismos), no GET.
    let propfinds = server.count("\"PROPFIND ");
    let second = ingest(&net);
    assert!(second.stdout.contains("9 sin cambios"), "{}", second.stdout);
    assert_eq!(server.gets(), 9, "nothing downloaded again");
    assert_eq!(server.count("\"PROPFIND ") - propfinds, 8);
    // Nothing is left of the downloads.
    let left = std::fs::read_dir(net.dir.join("participa.db.descargas"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "every download deleted once read");
}

#[test]
fn a_changed_file_on_the_share_is_a_resubmission_and_an_upload_in_progress_waits() {
    if !have_wsgidav() {
        return;
    }
    let share = tempfile::tempdir().expect("share");
    let file = share.path().join("ministerio-a/reuniones.csv");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let one = "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\n";
    std::fs::write(&file, one).expect("write");
    touch(&file, settled_time());
    let server = Server::webdav(share.path());
    let w = Workdir::new();
    set_sources(&w, &webdav_block(&w, &server.url(), ""));
    ingest(&w);
    assert_eq!(w.export("instancias").len(), 1);

    // The clerk saves a second row: a re-submission.
    let two = format!("{one}BA Elige;02/03/2019;Recoleta;20\n");
    std::fs::write(&file, &two).expect("write");
    touch(&file, settled_time() + Duration::from_secs(60));
    let run = ingest(&w);
    assert!(
        run.stdout
            .contains("ministerio-a/reuniones.csv: reemplazado"),
        "{}",
        run.stdout
    );
    assert_eq!(w.export("instancias").len(), 2);

    // An upload in progress: the file grows between the two listings of one pass.
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("settle_seconds = 1", "settle_seconds = 3"),
    )
    .expect("config");
    std::fs::write(&file, format!("{two}BA Elige;03/03/")).expect("write half");
    let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
        .arg("ingest")
        .current_dir(&w.dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("PARTICIPA_NOW")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut waited = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("se vuelve a listar") {
            waited = true;
            // The rest of the upload arrives during the wait.
            std::fs::write(&file, format!("{two}BA Elige;03/03/2019;Flores;30\n"))
                .expect("write the rest");
        }
    }
    let out = child.wait_with_output().expect("ingest ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(waited, "the pass listed twice");
    assert!(
        stdout.contains("reuniones.csv: se está copiando"),
        "{stdout}"
    );
    assert_eq!(
        w.export("instancias").len(),
        2,
        "nothing of the half-uploaded file was read"
    );
}

/// Ingests the one-file share, then points the same source elsewhere and checks the pass says
/// `expected` as an error and keeps every row.
struct Kept {
    w: Workdir,
    rows: Vec<Vec<HashMap<String, String>>>,
    _share: tempfile::TempDir,
    server: Server,
}

impl Kept {
    fn new() -> Kept {
        let share = tempfile::tempdir().expect("share");
        let file = share.path().join("ministerio-a/reuniones.csv");
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(
            &file,
            "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\n",
        )
        .expect("write");
        touch(&file, settled_time());
        let server = Server::webdav(share.path());
        let w = Workdir::new();
        set_sources(&w, &webdav_block(&w, &server.url(), ""));
        ingest(&w);
        let rows = everything(&w);
        assert_eq!(rows[0].len(), 1);
        Kept {
            w,
            rows,
            _share: share,
            server,
        }
    }

    /// A pass with the source at `url` (and `extra` keys): exit 0, `expected` in an error line,
    /// every row kept, the file still present.
    fn fails_keeping_rows(&self, url: &str, extra: &str, expected: &str) -> Run {
        set_sources(&self.w, &webdav_block(&self.w, url, extra));
        let run = ingest(&self.w);
        let errors: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.contains("ERROR de fuente") || l.contains("no se pudo obtener"))
            .collect();
        assert!(
            errors.iter().any(|l| l.contains(expected)),
            "an error saying «{expected}»: {}\n{}",
            run.stdout,
            run.stderr
        );
        assert_eq!(everything(&self.w), self.rows, "no row lost");
        let status = status_json(&self.w);
        assert_eq!(status["almacen"]["archivos_ausentes"], 0, "{status}");
        assert_eq!(status["almacen"]["archivos_presentes"], 1, "{status}");
        let problems = status["ultima_ingesta"]["errores_de_fuente"].to_string();
        if run.stdout.contains("ERROR de fuente") {
            assert!(
                problems.contains(expected),
                "status says it too: {problems}"
            );
        }
        run
    }
}

#[test]
fn a_source_that_fails_is_a_clear_error_and_retracts_nothing() {
    if !have_wsgidav() {
        return;
    }
    let mut kept = Kept::new();
    let url = kept.server.url();

    // A wrong password: 401.
    std::fs::write(kept.w.dir.join("otra-clave.txt"), "equivocada\n").expect("secret");
    let wrong = format!(
        "[[sources]]\nname = \"local\"\ntipo = \"webdav\"\nurl = \"{url}\"\nusuario = \"lector\"\nclave_archivo = \"otra-clave.txt\"\n"
    );
    set_sources(&kept.w, &wrong);
    let run = ingest(&kept.w);
    assert!(
        run.stdout.contains("ERROR de fuente") && run.stdout.contains("401"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("equivocada") && !run.stderr.contains("equivocada"));
    assert_eq!(everything(&kept.w), kept.rows);
    let probe = kept.w.run(&["fuentes", "probar"]);
    assert_eq!(probe.code, 1);
    assert!(
        probe.stdout.contains("rechazó el usuario o la clave"),
        "{}",
        probe.stdout
    );

    // A 500, every time (retried, then given up).
    let failing = Server::misbehaving("status", "500");
    kept.fails_keeping_rows(
        &failing.url(),
        "reintentos = 1\n",
        "500 Internal Server Error",
    );
    // Two for the pass (one retry), one for `status`, which looks once.
    assert_eq!(failing.count("PROPFIND /"), 3);

    // A server too slow for the timeout.
    let slow = Server::misbehaving("slow", "5");
    kept.fails_keeping_rows(
        &slow.url(),
        "timeout_segundos = 1\nreintentos = 0\n",
        "no respondió en 1 s",
    );

    // A redirect loop.
    let looping = Server::misbehaving("loop", "");
    kept.fails_keeping_rows(&looping.url(), "", "bucle");

    // TLS spoken to a server that does not speak it.
    let tls = format!("https://127.0.0.1:{}/", kept.server.port);
    kept.fails_keeping_rows(&tls, "reintentos = 0\n", "TLS");

    // A listing that passes max_entradas.
    kept.fails_keeping_rows(&url, "max_entradas = 1\n", "más de 1 entradas");

    // A share that suddenly lists no file (emptied by mistake, the wrong folder mounted).
    let file = kept._share.path().join("ministerio-a/reuniones.csv");
    let saved = std::fs::read(&file).expect("read");
    std::fs::remove_file(&file).expect("remove");
    kept.fails_keeping_rows(&url, "", "una lista sin ningún archivo");
    std::fs::write(&file, saved).expect("put back");
    touch(&file, settled_time());

    // The server gone.
    kept.server.stop();
    kept.fails_keeping_rows(&url, "reintentos = 0\n", "no se pudo conectar");
}

#[test]
fn a_server_that_stops_in_the_middle_of_a_pass_retracts_nothing() {
    if !have_wsgidav() {
        return;
    }
    let mut kept = Kept::new();
    // A new file on the share: the pass lists it, waits, and lists again — the server stops
    // during the wait.
    let new = kept._share.path().join("ministerio-a/nuevo.csv");
    std::fs::write(
        &new,
        "Programa;Fecha;Barrio;Participantes\nBA Elige;02/03/2019;Recoleta;20\n",
    )
    .expect("write");
    touch(&new, settled_time());
    let path = kept.w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("settle_seconds = 1", "settle_seconds = 2")
            .replace("clave-nube.txt\"\n", "clave-nube.txt\"\nreintentos = 0\n"),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
        .arg("ingest")
        .current_dir(&kept.w.dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("PARTICIPA_NOW")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut stopped = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("se vuelve a listar") {
            kept.server.stop();
            stopped = true;
        }
    }
    let out = child.wait_with_output().expect("ingest ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stopped, "the pass waited to list again");
    assert!(
        stdout.contains("ERROR de fuente") && stdout.contains("no se pudo conectar"),
        "{stdout}"
    );
    assert!(!stdout.contains("se está copiando"), "{stdout}");
    assert_eq!(
        everything(&kept.w),
        kept.rows,
        "no row lost, nothing half read"
    );
    let status = status_json(&kept.w);
    assert_eq!(status["almacen"]["archivos_ausentes"], 0, "{status}");
}

#[test]
fn a_download_cut_mid_body_never_reaches_a_reader() {
    if !have_wsgidav() {
        return;
    }
    let kept = Kept::new();
    // The same file, listed as changed; its download stops at 100 of 1000 bytes.
    let cut = Server::misbehaving("drop", "");
    let run = kept.fails_keeping_rows(&cut.url(), "reintentos = 1\n", "incompleta");
    assert!(
        run.stdout
            .contains("local/ministerio-a/reuniones.csv: no se pudo obtener"),
        "{}",
        run.stdout
    );
    assert_eq!(cut.count("GET /ministerio-a/reuniones.csv"), 2, "one retry");
    let left = std::fs::read_dir(kept.w.dir.join("participa.db.descargas"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no partial download left behind");
}

#[test]
fn ten_thousand_entries_are_listed_in_bounded_memory() {
    if !have_wsgidav() {
        return;
    }
    let share = tempfile::tempdir().expect("share");
    for org in 0..10 {
        let dir = share.path().join(format!("organismo-{org}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for i in 0..1000 {
            std::fs::write(dir.join(format!("planilla-{i:04}.csv")), "a\n").expect("write");
        }
    }
    let server = Server::webdav(share.path());
    let w = Workdir::new();
    set_sources(&w, &webdav_block(&w, &server.url(), ""));
    let bounded = participa_bounded(&w.dir, &["fuentes", "probar"]);
    assert_eq!(
        bounded.run.code, 0,
        "{}\n{}",
        bounded.run.stdout, bounded.run.stderr
    );
    assert!(
        bounded
            .run
            .stdout
            .contains("bien; 10000 archivos de 10 organismos"),
        "{}",
        bounded.run.stdout
    );
    assert_eq!(server.count("\"GET "), 0, "listing downloads nothing");
    // Each answer is parsed as it streams; what is kept is one small record per file.
    assert!(
        bounded.peak_kib < 96 * 1024,
        "peak {} KiB for 10,000 entries",
        bounded.peak_kib
    );
    set_sources(
        &w,
        &webdav_block(&w, &server.url(), "max_entradas = 5000\n"),
    );
    let over = w.run(&["fuentes", "probar"]);
    assert_eq!(over.code, 1);
    assert!(
        over.stdout.contains("más de 5000 entradas"),
        "{}",
        over.stdout
    );
}

#[test]
fn published_links_are_fetched_only_when_they_changed() {
    let site = tempfile::tempdir().expect("site");
    let file = site.path().join("reuniones.csv");
    let one = "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\n";
    std::fs::write(&file, one).expect("write");
    touch(&file, settled_time());
    let server = Server::http(site.path());
    let w = Workdir::new();
    set_sources(
        &w,
        &format!(
            "[[sources]]\nname = \"publicados\"\ntipo = \"http\"\n[[sources.urls]]\nurl = \"{}reuniones.csv\"\norganismo = \"ministerio-a\"\n",
            server.url()
        ),
    );
    let first = ingest(&w);
    assert!(
        first
            .stdout
            .contains("publicados/ministerio-a/reuniones.csv: nuevo"),
        "{}",
        first.stdout
    );
    assert_eq!(w.export("instancias").len(), 1);
    // Two listings (settled means unchanged), the second answered 304: one body.
    assert_eq!(server.count("\" 200 "), 1, "one download");

    let second = ingest(&w);
    assert!(second.stdout.contains("1 sin cambios"), "{}", second.stdout);
    assert_eq!(server.count("\" 200 "), 1, "nothing downloaded again");
    assert!(server.count("\" 304 ") >= 2, "asked with If-Modified-Since");

    std::fs::write(&file, format!("{one}BA Elige;02/03/2019;Recoleta;20\n")).expect("write");
    touch(&file, settled_time() + Duration::from_secs(60));
    let third = ingest(&w);
    assert!(third.stdout.contains("reemplazado"), "{}", third.stdout);
    assert_eq!(w.export("instancias").len(), 2);

    // The link gone (404): its rows stay.
    std::fs::remove_file(&file).expect("remove");
    let gone = ingest(&w);
    assert!(
        gone.stdout.contains("ERROR de fuente") && gone.stdout.contains("404"),
        "{}",
        gone.stdout
    );
    assert_eq!(w.export("instancias").len(), 2);
    let rows = parse_csv(&w.run(&["export", "archivos", "--format", "csv"]).stdout);
    assert_eq!(rows.len(), 1);
}

#[test]
fn the_daemon_alerts_the_operator_while_a_source_cannot_be_listed() {
    let w = Workdir::new();
    // Nothing listens on a port just released.
    let port = free_port();
    set_sources(
        &w,
        &format!(
            "[[sources]]\nname = \"nube\"\ntipo = \"webdav\"\nurl = \"http://127.0.0.1:{port}/\"\nreintentos = 0\n"
        ),
    );
    let now = "2019-02-15T12:00:00Z";
    let run = w.run_at(now, &["run", "--once"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let alert = w.dir.join("correo/alertas/fuentes.txt");
    let text = std::fs::read_to_string(&alert).expect("the alert is written");
    assert!(
        text.contains("nube: no se pudo listar") && text.contains("no se pudo conectar"),
        "{text}"
    );
    assert!(text.contains("No se retiró nada"), "{text}");

    // The source answers again (here: the drop folder): the alert goes.
    set_sources(&w, "[[sources]]\nname = \"local\"\npath = \"inbox\"\n");
    w.drop_file(
        "ministerio-a/reuniones.csv",
        b"Programa;Fecha;Barrio;Participantes\nBA Elige;01/02/2019;Palermo;10\n",
    );
    let run = w.run_at(now, &["run", "--once"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !alert.exists(),
        "the alert is removed once every source answers"
    );
}

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn https_is_trusted_through_the_system_roots_or_the_ca_file_only() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    // A certificate authority of the city's own, and the server's certificate from it.
    let pki = tempfile::tempdir().expect("pki");
    let dir = pki.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=participa prueba CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let site = tempfile::tempdir().expect("site");
    let file = site.path().join("reuniones.csv");
    std::fs::write(
        &file,
        "Programa;Fecha;Barrio;Participantes\nBA Elige;01/03/2019;Palermo;10\n",
    )
    .expect("write");
    touch(&file, settled_time());
    let port = free_port();
    let script = format!(
        "import http.server, ssl, functools\n\
         h = functools.partial(http.server.SimpleHTTPRequestHandler, directory={site:?})\n\
         s = http.server.ThreadingHTTPServer(('127.0.0.1', {port}), h)\n\
         c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
         c.load_cert_chain({cert:?}, {key:?})\n\
         s.socket = c.wrap_socket(s.socket, server_side=True)\n\
         import threading; threading.Timer(120, s.shutdown).start()\n\
         s.serve_forever()\n",
        site = site.path().display().to_string(),
        cert = dir.join("srv.pem").display().to_string(),
        key = dir.join("srv.key").display().to_string(),
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 https server");
    wait_listening(port, &mut child);
    let server = Server {
        child,
        port,
        log: dir.join("none.log"),
        _dir: pki,
    };
    let w = Workdir::new();
    let block = |ca: &str| {
        format!(
            "[[sources]]\nname = \"publicados\"\ntipo = \"http\"\nreintentos = 0\n{ca}[[sources.urls]]\nurl = \"https://127.0.0.1:{}/reuniones.csv\"\norganismo = \"ministerio-a\"\n",
            server.port
        )
    };
    // The city's authority is not among the system's: refused, and said so.
    set_sources(&w, &block(""));
    let probe = w.run(&["fuentes", "probar"]);
    assert_eq!(probe.code, 1, "{}", probe.stdout);
    assert!(
        probe.stdout.contains("TLS") && probe.stdout.contains("ca_archivo"),
        "{}",
        probe.stdout
    );
    // With its certificate in ca_archivo: read.
    let ca = server._dir.path().join("ca.pem");
    set_sources(
        &w,
        &block(&format!("ca_archivo = {:?}\n", ca.display().to_string())),
    );
    let probe = w.run(&["fuentes", "probar"]);
    assert_eq!(probe.code, 0, "{}\n{}", probe.stdout, probe.stderr);
    ingest(&w);
    assert_eq!(w.export("instancias").len(), 1);
}
