//! `participa run` and `report --send` over the shared samples, delivering to the file outbox
//! and to a real SMTP server (aiosmtpd). The clock is `PARTICIPA_NOW`: a test moves time by
//! setting it, never by sleeping.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::smtp::{free_port, Server};
use crate::util::{fixtures, Workdir};

/// Early April 2019: January, February and March have closed in Buenos Aires.
const APRIL: &str = "2019-04-02T12:00:00Z";

fn samples() -> Workdir {
    let w = Workdir::new();
    w.drop_tree(&fixtures().join("samples/inbox"));
    w
}

fn set_smtp(w: &Workdir, port: u16) {
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace(
        "transporte = \"archivo\"",
        &format!("transporte = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_puerto = {port}\nsmtp_seguridad = \"ninguna\"\ntimeout_segundos = 5"),
    );
    std::fs::write(&path, text).expect("write config");
}

/// SMTP with AUTH as «participa», the password read from the file `clave-smtp` (mode 600).
fn set_smtp_auth(w: &Workdir, port: u16, password: &str) {
    set_smtp(w, port);
    let path = w.dir.join("participa.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace(
        "timeout_segundos = 5",
        "timeout_segundos = 5\nsmtp_usuario = \"participa\"\nsmtp_clave_archivo = \"clave-smtp\"",
    );
    std::fs::write(&path, text).expect("write config");
    set_password(w, password);
}

fn set_password(w: &Workdir, password: &str) {
    use std::os::unix::fs::PermissionsExt;
    let file = w.dir.join("clave-smtp");
    std::fs::write(&file, format!("{password}\n")).expect("password file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

fn entregas(w: &Workdir, now: &str) -> Vec<Json> {
    let run = w.run_at(now, &["entregas", "--format", "json"]);
    assert_eq!(run.code, 0, "entregas failed: {}", run.stderr);
    let parsed: Json = serde_json::from_str(&run.stdout).expect("entregas JSON");
    parsed["entregas"]
        .as_array()
        .cloned()
        .expect("a list of deliveries")
}

fn run_once(w: &Workdir, now: &str) {
    let run = w.run_at(now, &["run", "--once"]);
    assert_eq!(
        run.code, 0,
        "run --once failed: {}\n{}",
        run.stdout, run.stderr
    );
}

fn status(w: &Workdir, now: &str) -> Json {
    let run = w.run_at(now, &["status", "--format", "json"]);
    assert_eq!(run.code, 0, "status failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("status JSON")
}

fn outbox(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.dir.join("correo/salida"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".eml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// (recipient, Message-ID, subject, attachment file names) of what the server received, in order.
fn received(server: &Server) -> Vec<(String, String, String, Vec<String>)> {
    server
        .received()
        .into_iter()
        .map(|(meta, m)| {
            let to = meta["rcpt_tos"][0].as_str().unwrap_or_default().to_string();
            let files = m["parts"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(|p| p["filename"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (
                to,
                m["message_id"].as_str().unwrap_or_default().to_string(),
                m["subject"].as_str().unwrap_or_default().to_string(),
                files,
            )
        })
        .collect()
}

fn per_message_id(got: &[(String, String, String, Vec<String>)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, id, _, _) in got {
        *counts.entry(id.clone()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn three_closed_months_go_to_the_outbox_once_each_in_order_and_a_restart_adds_nothing() {
    let w = samples();
    run_once(&w, APRIL);
    let first = outbox(&w);
    assert_eq!(first.len(), 6, "three months × two recipients: {first:?}");
    for month in ["2019-01", "2019-02", "2019-03"] {
        for to in ["legislatura@example.org", "defensoria@example.org"] {
            assert_eq!(
                first
                    .iter()
                    .filter(|n| n.contains(&format!("participa.{month}.es."))
                        && n.ends_with(&format!("--{to}.eml")))
                    .count(),
                1,
                "{month} to {to}"
            );
        }
    }
    let march = first
        .iter()
        .find(|n| n.contains("2019-03") && n.contains("legislatura"))
        .expect("March");
    let eml = std::fs::read_to_string(w.dir.join("correo/salida").join(march)).expect("eml");
    assert!(
        eml.contains("participa-2019-03-es.pdf") && eml.contains("participa-2019-03-es.xlsx"),
        "both attachments"
    );

    let s = status(&w, APRIL);
    let reports = s["daemon"]["trabajos"]
        .as_array()
        .and_then(|t| t.iter().find(|j| j["nombre"] == "informes"))
        .expect("informes job");
    assert!(
        reports["resultado"]
            .as_str()
            .unwrap_or_default()
            .contains("informes hechos: 2019-01, 2019-02, 2019-03"),
        "oldest first: {reports}"
    );
    assert_eq!(s["daemon"]["entregas_enviadas"], 6);
    assert_eq!(s["daemon"]["meses_pendientes"], serde_json::json!([]));

    // Restarted the same day, and again a week later: nothing more.
    run_once(&w, APRIL);
    run_once(&w, "2019-04-09T12:00:00Z");
    assert_eq!(outbox(&w), first);
    // A month later, April is due: only April goes.
    run_once(&w, "2019-05-02T12:00:00Z");
    let after = outbox(&w);
    assert_eq!(after.len(), 8);
    assert_eq!(
        after
            .iter()
            .filter(|n| n.contains("participa.2019-04.es."))
            .count(),
        2
    );
}

#[test]
fn over_smtp_each_recipient_gets_each_month_once_with_both_attachments_and_send_by_hand_adds_no_duplicate(
) {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let w = samples();
    set_smtp(&w, server.port);
    run_once(&w, APRIL);
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    let months: Vec<&str> = got
        .iter()
        .map(|(_, id, _, _)| {
            if id.contains("2019-01") {
                "01"
            } else if id.contains("2019-02") {
                "02"
            } else {
                "03"
            }
        })
        .collect();
    assert_eq!(
        months,
        ["01", "01", "02", "02", "03", "03"],
        "oldest month first"
    );
    for (to, _, subject, files) in &got {
        assert!(to.ends_with("@example.org"));
        assert!(
            subject.contains("2019") && subject.contains("BUE0008"),
            "{subject}"
        );
        assert_eq!(files.len(), 2, "PDF and XLSX: {files:?}");
    }
    assert!(per_message_id(&got).values().all(|&n| n == 1));

    run_once(&w, APRIL);
    let again = w.run_at(APRIL, &["report", "--period", "2019-03", "--send"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        received(&server).len(),
        6,
        "no duplicate after a restart or a send by hand"
    );
}

#[test]
fn with_the_server_down_deliveries_wait_and_go_after_the_retry_nothing_lost() {
    let port = free_port();
    let w = samples();
    set_smtp(&w, port);
    run_once(&w, APRIL);
    let s = status(&w, APRIL);
    let pending = s["daemon"]["entregas_pendientes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(pending.len(), 6, "{s}");
    // Nobody to blame but us: no recipient spends an attempt while the server cannot be reached.
    assert!(
        pending
            .iter()
            .all(|d| d["intentos"] == 0 && d["proximo_intento_en"] == "2019-04-02T12:01:00Z"),
        "{pending:?}"
    );
    let problem = &s["daemon"]["problema_correo"];
    assert!(
        problem["mensaje"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("al conectar con 127.0.0.1:{port}")),
        "{problem}"
    );

    let Some(server) = Server::start_on_port(port, &[]) else {
        return;
    };
    // Before the retry time nothing is tried.
    run_once(&w, "2019-04-02T12:00:30Z");
    assert_eq!(received(&server).len(), 0);
    run_once(&w, "2019-04-02T12:01:00Z");
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(per_message_id(&got).values().all(|&n| n == 1));
    assert_eq!(
        status(&w, "2019-04-02T12:02:00Z")["daemon"]["entregas_enviadas"],
        6
    );
}

#[test]
fn a_refused_recipient_fails_alone_alerts_the_administrators_and_nothing_is_resent() {
    let Some(server) = Server::start(&["--refuse", "defensoria@example.org"]) else {
        return;
    };
    let w = samples();
    set_smtp(&w, server.port);
    run_once(&w, APRIL);
    let got = received(&server);
    let to = |who: &str| got.iter().filter(|(t, _, _, _)| t == who).count();
    assert_eq!(to("legislatura@example.org"), 3);
    assert_eq!(to("defensoria@example.org"), 0);
    assert_eq!(
        to("sistemas@example.org"),
        3,
        "one alert per failed delivery"
    );
    let alerts: Vec<_> = server
        .received()
        .into_iter()
        .filter(|(meta, _)| meta["rcpt_tos"][0] == "sistemas@example.org")
        .collect();
    let body = alerts[0].1["parts"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        body.contains("550") && body.contains("informe"),
        "the alert says what failed and why: {body}"
    );
    let s = status(&w, APRIL);
    assert_eq!(
        s["daemon"]["entregas_fallidas"].as_array().map(Vec::len),
        Some(3)
    );

    run_once(&w, "2019-04-03T12:00:00Z");
    assert_eq!(
        received(&server).len(),
        got.len(),
        "nobody gets anything twice"
    );
}

#[test]
fn killed_in_the_middle_of_a_send_and_restarted_no_recipient_gets_a_duplicate() {
    // The server waits before answering each RCPT: the daemon is killed while it waits on the
    // second message, before the server has accepted anything of it.
    let Some(server) = Server::start(&["--rcpt-delay-seconds", "0.5"]) else {
        return;
    };
    let w = samples();
    set_smtp(&w, server.port);
    let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
        .args(["run", "--once"])
        .current_dir(&w.dir)
        .env("PARTICIPA_NOW", APRIL)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_for(
        &server.dir.path().join("rcpt-0002"),
        Duration::from_secs(60),
    );
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(
        received(&server).len(),
        1,
        "one message was through when it died"
    );

    run_once(&w, APRIL);
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(
        per_message_id(&got).values().all(|&n| n == 1),
        "no duplicate: {:?}",
        per_message_id(&got)
    );
}

#[test]
fn the_daemon_catches_up_on_start_stops_on_sigterm_and_does_nothing_more_when_restarted() {
    let w = samples();
    for round in 0..2 {
        // The start-up catch-up ends with the reminders job (its log line); then the daemon
        // waits for its schedule.
        let (mut child, rx, reader) = spawn_daemon(&w, APRIL);
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!(
                "round {round}: the daemon did not finish its start-up catch-up: {:?}",
                reader.join()
            );
        }
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let exit = child.wait().expect("wait");
        let log = reader.join().unwrap_or_default();
        assert!(exit.success(), "round {round}: exit {exit:?}: {log:?}");
        assert!(
            log.iter().any(|l| l.contains("señal de parada")),
            "round {round}: it stopped on the signal: {log:?}"
        );
        assert_eq!(outbox(&w).len(), 6, "round {round}");
        assert_eq!(
            status(&w, APRIL)["daemon"]["entregas_enviadas"],
            6,
            "round {round}"
        );
    }
}

fn wait_for(path: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn add_contacts(w: &Workdir) {
    let path = w.dir.join("participa.toml");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str(
        "\n[organismos.ministerio-justicia-seguridad]\nnombre = \"Ministerio de Justicia y Seguridad\"\nemail = \"justicia@example.org\"\n\
         \n[organismos.ministerio-de-prueba]\nnombre = \"Ministerio de Prueba\"\nemail = \"prueba@example.org\"\n",
    );
    std::fs::write(&path, text).expect("write config");
}

#[test]
fn a_ministry_hears_about_its_rejected_rows_after_the_ingest_and_a_silent_one_gets_one_reminder() {
    let w = samples();
    add_contacts(&w);
    run_once(&w, "2019-04-04T12:00:00Z");
    let names = outbox(&w);
    let feedback: Vec<&String> = names
        .iter()
        .filter(|n| n.contains("--justicia@example.org"))
        .collect();
    assert_eq!(feedback.len(), 1, "one feedback message: {names:?}");
    let eml = std::fs::read_to_string(w.dir.join("correo/salida").join(feedback[0])).expect("eml");
    let rejected = w
        .export("rechazos")
        .into_iter()
        .filter(|r| r["fuente_archivo"].starts_with("ministerio-justicia-seguridad/"))
        .count();
    assert!(rejected > 0);
    assert!(
        eml.contains("rechazada") || eml.contains("rechazadas"),
        "it speaks of the rejected rows"
    );
    assert!(
        eml.contains(".xlsx"),
        "the rejected rows come as a workbook too"
    );
    assert!(
        !names.iter().any(|n| n.contains("--prueba@example.org")),
        "no reminder before the configured day (5)"
    );

    // Day 5: the organismo with nothing for March gets a reminder; the one that sent does not.
    run_once(&w, "2019-04-05T12:00:00Z");
    run_once(&w, "2019-04-06T12:00:00Z");
    let names = outbox(&w);
    assert_eq!(
        names
            .iter()
            .filter(|n| n.contains("--prueba@example.org"))
            .count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| n.contains("--justicia@example.org"))
            .count(),
        1,
        "unchanged files: no new feedback, no reminder"
    );
    let s = status(&w, "2019-04-06T12:00:00Z");
    assert_eq!(
        s["daemon"]["organismos_atrasados"],
        serde_json::json!(["ministerio-de-prueba"])
    );
}

#[test]
fn the_feedback_says_which_file_repeats_which() {
    let w = Workdir::new();
    let path = w.dir.join("participa.toml");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str("\n[organismos.ministerio-cultura]\nnombre = \"Ministerio de Cultura\"\nemail = \"cultura@example.org\"\n");
    std::fs::write(&path, text).expect("write config");
    // Saved as xlsx, then "Save as" ods: the same 9 rows twice.
    for (ext, age) in [("xlsx", 7200), ("ods", 3600)] {
        let bytes = std::fs::read(
            fixtures()
                .join("same_sheet/inbox/ministerio-cultura")
                .join(format!("planilla.{ext}")),
        )
        .expect("fixture");
        let file = w.drop_file(&format!("ministerio-cultura/planilla.{ext}"), &bytes);
        crate::util::set_age(&file, Duration::from_secs(age));
    }
    run_once(&w, APRIL);
    let names = outbox(&w);
    let feedback: Vec<&String> = names
        .iter()
        .filter(|n| n.contains("--cultura@example.org"))
        .collect();
    assert_eq!(feedback.len(), 1, "one feedback message: {names:?}");
    let Some(python) = crate::smtp::python() else {
        return;
    };
    let m = crate::smtp::inspect(&python, &w.dir.join("correo/salida").join(feedback[0]));
    let part = |kind: &str| {
        m["parts"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["content_type"] == kind))
            .and_then(|p| p["text"].as_str())
            .unwrap_or_default()
            .replace("\r\n", "\n")
    };
    let text = part("text/plain");
    assert!(text.contains("Archivos que repiten filas de otro archivo:\n  - planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez."), "{text}");
    assert!(
        text.contains("  - planilla.ods: 0\n  - planilla.xlsx: 9\n"),
        "{text}"
    );
    assert!(
        text.contains("  - planilla.ods, hoja instancias, fila 5: Esta fila repite la fila 5 de la hoja «instancias» de planilla.xlsx, ya recibida; se conserva solo la primera."),
        "{text}"
    );
    assert!(part("text/html").contains(
        "<li>planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.</li>"
    ));
}

const WRONG_PASSWORD: &str = "clave-equivocada-7d1c";
const RIGHT_PASSWORD: &str = "Cl4ve-correcta-b25e";

fn shows_no_password(what: &str, text: &str) {
    assert!(
        !text.contains(WRONG_PASSWORD) && !text.contains(RIGHT_PASSWORD),
        "{what} shows a password: {text}"
    );
}

#[test]
fn a_wrong_password_spends_no_attempt_is_said_without_the_server_and_once_fixed_each_message_goes_once(
) {
    let Some(server) = Server::start(&["--user", "participa", "--password", RIGHT_PASSWORD]) else {
        return;
    };
    let w = samples();
    set_smtp_auth(&w, server.port, WRONG_PASSWORD);

    let run = w.run_at(APRIL, &["run", "--once"]);
    assert_eq!(
        run.code, 0,
        "the daemon goes on: {}\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(received(&server).len(), 0);
    // The log, at error level (the default filter shows warnings and errors).
    assert!(run.stderr.contains("ERROR") && run.stderr.contains("el servidor de correo rechaza la configuración: al autenticarse como «participa»: 535"), "{}", run.stderr);
    shows_no_password("the log", &run.stderr);

    // Every delivery waits, its attempts untouched, until the first wait is over.
    let s = status(&w, APRIL);
    let pending = s["daemon"]["entregas_pendientes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(pending.len(), 6, "{s}");
    assert!(
        pending.iter().all(|d| d["intentos"] == 0
            && d["estado"] == "pendiente"
            && d["proximo_intento_en"] == "2019-04-02T12:01:00Z"),
        "{pending:?}"
    );
    assert_eq!(s["daemon"]["entregas_fallidas"], serde_json::json!([]));
    let problem = &s["daemon"]["problema_correo"];
    assert!(
        problem["mensaje"].as_str().unwrap_or_default().starts_with(
            "el servidor de correo rechaza la configuración: al autenticarse como «participa»: 535"
        ),
        "{problem}"
    );
    assert_eq!(problem["desde"], APRIL);
    assert_eq!(problem["fallos"], 1);
    assert_eq!(problem["entregas_en_espera"], 6);
    assert_eq!(problem["proximo_intento_en"], "2019-04-02T12:01:00Z");
    shows_no_password("status --format json", &s.to_string());
    let text = w.run_at(APRIL, &["status"]);
    assert!(
        text.stdout.contains(
            "el servidor de correo rechaza la configuración: al autenticarse como «participa»"
        ) && text.stdout.contains("6 entregas esperan"),
        "{}",
        text.stdout
    );
    shows_no_password("status", &text.stdout);
    // The alert file, readable without the mail server.
    let alert = w.dir.join("correo/alertas/servidor-de-correo.txt");
    let written = std::fs::read_to_string(&alert).expect("the alert file");
    assert!(
        written.contains("el servidor de correo rechaza la configuración")
            && written.contains("535")
            && written.contains("Entregas en espera: 6"),
        "{written}"
    );
    assert!(
        written.contains("Desde: 2019-04-02T12:00:00Z") && written.contains("clave-smtp"),
        "{written}"
    );
    shows_no_password("the alert file", &written);
    let listed = entregas(&w, APRIL);
    assert_eq!(listed.len(), 6);
    assert!(
        listed.iter().all(|d| d["intentos"] == 0
            && d["ultimo_error"]
                .as_str()
                .unwrap_or_default()
                .contains("535")),
        "{listed:?}"
    );

    // Before the wait is over nothing is tried, not even the password.
    run_once(&w, "2019-04-02T12:00:30Z");
    assert_eq!(
        status(&w, "2019-04-02T12:00:30Z")["daemon"]["problema_correo"]["fallos"],
        1
    );
    // By hand it is tried at once; still wrong, the wait doubles (from now), and it says so.
    let by_hand = w.run_at(
        "2019-04-02T12:00:30Z",
        &["report", "--period", "2019-03", "--send"],
    );
    assert_eq!(by_hand.code, 1, "{}\n{}", by_hand.stdout, by_hand.stderr);
    assert!(
        by_hand
            .stdout
            .contains("el servidor de correo rechaza la configuración"),
        "{}",
        by_hand.stdout
    );
    shows_no_password(
        "report --send",
        &format!("{}{}", by_hand.stdout, by_hand.stderr),
    );
    let s = status(&w, "2019-04-02T12:00:30Z");
    assert_eq!(s["daemon"]["problema_correo"]["fallos"], 2);
    assert_eq!(
        s["daemon"]["problema_correo"]["proximo_intento_en"],
        "2019-04-02T12:02:30Z"
    );
    assert!(
        s["daemon"]["entregas_pendientes"]
            .as_array()
            .is_some_and(|p| p.len() == 6 && p.iter().all(|d| d["intentos"] == 0)),
        "{s}"
    );

    // The password is fixed (the file is read again at the next try).
    set_password(&w, RIGHT_PASSWORD);
    run_once(&w, "2019-04-02T12:02:00Z");
    assert_eq!(received(&server).len(), 0, "still waiting");
    run_once(&w, "2019-04-02T12:02:30Z");
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(
        per_message_id(&got).values().all(|&n| n == 1),
        "{:?}",
        per_message_id(&got)
    );
    assert!(server
        .received()
        .iter()
        .all(|(meta, _)| meta["auth_user"] == "participa"));
    let s = status(&w, "2019-04-02T12:03:00Z");
    assert_eq!(s["daemon"]["problema_correo"], Json::Null, "{s}");
    assert_eq!(s["daemon"]["entregas_enviadas"], 6);
    assert!(!alert.exists(), "the alert is closed");
    let kept: Vec<String> = std::fs::read_dir(w.dir.join("correo/alertas"))
        .expect("alerts")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, ["servidor-de-correo-20190402T120000Z-resuelto.txt"]);

    // Nothing more, by the daemon or by hand.
    run_once(&w, "2019-04-03T12:00:00Z");
    let again = w.run_at(
        "2019-04-03T12:00:00Z",
        &["report", "--period", "2019-03", "--send"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(received(&server).len(), 6);
}

#[test]
fn a_refused_recipient_put_back_in_the_queue_by_hand_goes_once_and_asking_again_does_nothing() {
    let port = free_port();
    let Some(refusing) = Server::start_on_port(port, &["--refuse", "defensoria@example.org"])
    else {
        return;
    };
    let w = samples();
    set_smtp(&w, port);
    run_once(&w, APRIL);
    let defensoria = |got: &[(String, String, String, Vec<String>)]| {
        got.iter()
            .filter(|(to, _, _, _)| to == "defensoria@example.org")
            .count()
    };
    assert_eq!(defensoria(&received(&refusing)), 0);
    let listed = entregas(&w, APRIL);
    let failed: Vec<&Json> = listed.iter().filter(|d| d["estado"] == "fallido").collect();
    assert_eq!(failed.len(), 3, "{listed:?}");
    assert!(
        failed.iter().all(|d| d["tipo"] == "informe"
            && d["intentos"] == 1
            && d["ultimo_error"]
                .as_str()
                .unwrap_or_default()
                .contains("550")),
        "{failed:?}"
    );
    let periods: Vec<&str> = failed
        .iter()
        .filter_map(|d| d["periodo"].as_str())
        .collect();
    assert_eq!(periods, ["2019-01", "2019-02", "2019-03"]);
    let march = failed[2]["id"].as_i64().expect("id");
    let text = w.run_at(APRIL, &["entregas"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.starts_with("id") && text.stdout.contains("último error"),
        "{}",
        text.stdout
    );
    let line = text
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{march} ")))
        .unwrap_or_else(|| panic!("{}", text.stdout));
    assert!(
        line.contains("informe")
            && line.contains("2019-03")
            && line.contains("fallido")
            && line.contains("550"),
        "{line}"
    );

    // The address is fixed on the server's side; the failed ones are put back by hand.
    drop(refusing);
    let Some(server) = Server::start_on_port(port, &[]) else {
        return;
    };
    let one = w.run_at(APRIL, &["entregas", "reintentar", "--periodo", "2019-03"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stdout.contains("1 entregas vuelven a la cola"),
        "{}",
        one.stdout
    );
    let rest = w.run_at(APRIL, &["entregas", "reintentar", "--fallidas"]);
    assert!(
        rest.stdout.contains("2 entregas vuelven a la cola"),
        "{}",
        rest.stdout
    );
    // Asking again changes nothing: they are pending, not failed.
    let again = w.run_at(APRIL, &["entregas", "reintentar", "--fallidas"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("Ninguna entrega fallida"),
        "{}",
        again.stdout
    );
    let by_id = w.run_at(
        APRIL,
        &["entregas", "reintentar", "--id", &march.to_string()],
    );
    assert!(
        by_id.stdout.contains("está pendiente: no se reintenta"),
        "{}",
        by_id.stdout
    );
    let requeued: Vec<Json> = entregas(&w, APRIL)
        .into_iter()
        .filter(|d| d["reencolados"] == 1)
        .collect();
    assert_eq!(requeued.len(), 3);
    assert!(
        requeued
            .iter()
            .all(|d| d["estado"] == "pendiente" && d["intentos"] == 0),
        "{requeued:?}"
    );
    let unsaid = w.run_at(APRIL, &["entregas", "reintentar"]);
    assert_eq!(unsaid.code, 2, "which ones must be said: {}", unsaid.stderr);
    let missing = w.run_at(APRIL, &["entregas", "reintentar", "--id", "9999"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("no hay ninguna entrega con id 9999"),
        "{}",
        missing.stderr
    );

    run_once(&w, "2019-04-02T12:05:00Z");
    let got = received(&server);
    assert_eq!(got.len(), 3, "only the three put back: {got:?}");
    assert_eq!(defensoria(&got), 3);
    assert!(per_message_id(&got).values().all(|&n| n == 1));
    let s = status(&w, "2019-04-02T12:05:00Z");
    assert_eq!(s["daemon"]["entregas_fallidas"], serde_json::json!([]));

    // Once sent, asking again does nothing, and neither does the next run.
    let after = w.run_at(
        "2019-04-02T12:06:00Z",
        &["entregas", "reintentar", "--fallidas"],
    );
    assert!(
        after.stdout.contains("Ninguna entrega fallida"),
        "{}",
        after.stdout
    );
    run_once(&w, "2019-04-03T12:00:00Z");
    assert_eq!(received(&server).len(), 3);
}

/// The text of every message the server took for `to`, in order.
fn texts_to(server: &Server, to: &str) -> Vec<String> {
    server
        .received()
        .into_iter()
        .filter(|(meta, _)| meta["rcpt_tos"][0] == to)
        .map(|(_, m)| {
            m["parts"]
                .as_array()
                .and_then(|p| p.iter().find(|p| p["content_type"] == "text/plain"))
                .and_then(|p| p["text"].as_str())
                .unwrap_or_default()
                .replace("\r\n", "\n")
        })
        .collect()
}

#[test]
fn a_feedback_that_waits_for_the_server_says_what_its_own_ingest_saw() {
    let w = Workdir::new();
    let path = w.dir.join("participa.toml");
    let mut text = std::fs::read_to_string(&path).expect("config");
    text.push_str("\n[organismos.ministerio-cultura]\nnombre = \"Ministerio de Cultura\"\nemail = \"cultura@example.org\"\n");
    std::fs::write(&path, text).expect("write config");
    let row = |day: u32| {
        format!("Programa;Fecha;Barrio;Participantes\nBA Elige;{day:02}/03/2019;Palermo;10\n")
    };
    w.drop_file("ministerio-cultura/uno.csv", row(1).as_bytes());
    w.drop_file("ministerio-cultura/dos.csv", row(2).as_bytes());
    // The server is down: the feedback of this pass waits in the ledger.
    let port = free_port();
    set_smtp(&w, port);
    run_once(&w, APRIL);
    assert!(entregas(&w, APRIL)
        .iter()
        .any(|d| d["tipo"] == "devolucion" && d["estado"] == "pendiente"));

    // Meanwhile the clerk deletes one file and adds another.
    std::fs::remove_file(w.inbox().join("ministerio-cultura/dos.csv")).expect("rm");
    w.drop_file("ministerio-cultura/tres.csv", row(3).as_bytes());

    // The server is back; the retry sends the first feedback as its pass saw the files (and
    // the second pass's own feedback, as that pass saw them).
    let Some(server) = Server::start_on_port(port, &[]) else {
        return;
    };
    run_once(&w, "2019-04-02T12:01:00Z");
    let texts = texts_to(&server, "cultura@example.org");
    assert_eq!(texts.len(), 2, "{texts:?}");
    let first = texts
        .iter()
        .find(|t| t.contains("dos.csv"))
        .unwrap_or_else(|| panic!("the first pass's feedback lists dos.csv: {texts:?}"));
    assert!(
        first.contains("uno.csv") && !first.contains("tres.csv"),
        "the first feedback lists what its pass saw, no more: {first}"
    );
    let second = texts
        .iter()
        .find(|t| t.contains("tres.csv"))
        .unwrap_or_else(|| panic!("the second pass's feedback: {texts:?}"));
    assert!(!second.contains("dos.csv"), "{second}");
}

/// The period's data version as its published data package says it.
fn published_version(w: &Workdir, period: &str) -> String {
    let path = w.dir.join(format!("publicacion/{period}/datapackage.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let package: Json = serde_json::from_str(&text).expect("datapackage JSON");
    package["version"].as_str().unwrap_or_default().to_string()
}

fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_report_that_waits_for_the_server_is_sent_as_it_was_queued_even_after_a_rebuild() {
    let w = samples();
    let port = free_port();
    set_smtp(&w, port);
    // The server is down: January to March are built and queued, and wait.
    run_once(&w, APRIL);
    let pdf = w.dir.join("informes/participa-2019-03-es.pdf");
    let queued_pdf = sha256_of(&pdf);
    let queued_version = published_version(&w, "2019-03");

    // Meanwhile a ministry sends more March rows and someone builds March again by hand.
    w.drop_file(
        "ministerio-cultura/tardio.csv",
        b"Programa;Fecha;Barrio;Participantes\nBA Elige;20/03/2019;Palermo;777\n",
    );
    let later = "2019-04-02T12:00:30Z";
    let ingest = w.run_at(later, &["ingest"]);
    assert_eq!(ingest.code, 0, "{}", ingest.stderr);
    let rebuilt = w.run_at(later, &["report", "--period", "2019-03"]);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    let rebuilt_version = published_version(&w, "2019-03");
    assert_ne!(
        queued_version, rebuilt_version,
        "the late rows change March's data"
    );
    assert_ne!(sha256_of(&pdf), queued_pdf, "the rebuild wrote a new PDF");

    // The server is back: the waiting March message is the one that was queued, words and files.
    let Some(server) = Server::start_on_port(port, &[]) else {
        return;
    };
    run_once(&w, "2019-04-02T12:01:00Z");
    let march: Vec<Json> = server
        .received()
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| {
            m["message_id"]
                .as_str()
                .is_some_and(|id| id.contains("2019-03"))
        })
        .collect();
    assert_eq!(march.len(), 2, "one March message per recipient: {march:?}");
    for m in &march {
        let parts = m["parts"].as_array().cloned().unwrap_or_default();
        let text = parts
            .iter()
            .find(|p| p["content_type"] == "text/plain")
            .and_then(|p| p["text"].as_str())
            .unwrap_or_default();
        assert!(
            text.contains(&queued_version) && !text.contains(&rebuilt_version),
            "the text gives the queued data version {queued_version}: {text}"
        );
        let attached = parts
            .iter()
            .find(|p| p["filename"] == "participa-2019-03-es.pdf")
            .unwrap_or_else(|| panic!("the PDF is attached: {parts:?}"));
        assert_eq!(
            attached["sha256"], queued_pdf,
            "the PDF attached is the one built when the report was queued"
        );
    }
}

/// Spawns `participa run` at `now` with its log on a piped stderr; the receiver gets a
/// message when its start-up catch-up is over (the reminders job's line).
fn spawn_daemon(
    w: &Workdir,
    now: &str,
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<()>,
    std::thread::JoinHandle<Vec<String>>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
        .arg("run")
        .current_dir(&w.dir)
        .env("PARTICIPA_NOW", now)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("trabajo terminado") && line.contains("recordatorios") {
                let _ = tx.send(());
            }
            log.push(line);
        }
        log
    });
    (child, rx, reader)
}

fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn two_daemons_on_one_working_folder_deliver_each_message_exactly_once() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let w = samples();
    add_contacts(&w);
    set_smtp(&w, server.port);
    // Day 5 of April: three months of reports are due, the ministry that sent files gets its
    // feedback, the one that sent nothing a reminder.
    const DAY5: &str = "2019-04-05T12:00:00Z";
    let (a, a_done, a_log) = spawn_daemon(&w, DAY5);
    let (b, b_done, b_log) = spawn_daemon(&w, DAY5);
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut a_over, mut b_over) = (false, false);
    while !(a_over || b_over) && Instant::now() < deadline {
        a_over |= a_done.recv_timeout(Duration::from_millis(100)).is_ok();
        b_over |= b_done.recv_timeout(Duration::from_millis(100)).is_ok();
    }
    assert!(
        a_over || b_over,
        "one daemon finished its start-up catch-up"
    );
    // Let the other try again, as a restart under systemd would.
    std::thread::sleep(Duration::from_secs(1));
    stop(a);
    stop(b);
    let logs = [
        a_log.join().unwrap_or_default(),
        b_log.join().unwrap_or_default(),
    ];
    let got = received(&server);
    let (c, c_done, c_log) = spawn_daemon(&w, DAY5);
    let over = c_done.recv_timeout(Duration::from_secs(120)).is_ok();
    stop(c);
    let c_log = c_log.join().unwrap_or_default();
    assert!(over, "{c_log:?}");

    let again = received(&server);
    assert_eq!(
        again.len(),
        got.len(),
        "a third daemon sends nothing more: {c_log:?}"
    );
    // 3 months × 2 recipients, one feedback, one reminder.
    let to = |who: &str| got.iter().filter(|(t, _, _, _)| t == who).count();
    assert_eq!(
        (to("legislatura@example.org"), to("defensoria@example.org")),
        (3, 3),
        "{got:?}\n{logs:?}"
    );
    assert_eq!(
        (to("justicia@example.org"), to("prueba@example.org")),
        (1, 1),
        "{got:?}\n{logs:?}"
    );
    assert_eq!(got.len(), 8, "{got:?}");
    assert!(
        per_message_id(&got).values().all(|&n| n == 1),
        "no message twice: {:?}",
        per_message_id(&got)
    );
}
