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

fn run_once(w: &Workdir, now: &str) {
    let run = w.run_at(now, &["run", "--once"]);
    assert_eq!(run.code, 0, "run --once failed: {}\n{}", run.stdout, run.stderr);
}

fn status(w: &Workdir, now: &str) -> Json {
    let run = w.run_at(now, &["status", "--format", "json"]);
    assert_eq!(run.code, 0, "status failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("status JSON")
}

fn outbox(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.dir.join("correo/salida"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".eml")).collect())
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
            let files = m["parts"].as_array().map(|p| p.iter().filter_map(|p| p["filename"].as_str().map(String::from)).collect()).unwrap_or_default();
            (to, m["message_id"].as_str().unwrap_or_default().to_string(), m["subject"].as_str().unwrap_or_default().to_string(), files)
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
            assert_eq!(first.iter().filter(|n| n.contains(&format!("participa.{month}.es.")) && n.ends_with(&format!("--{to}.eml"))).count(), 1, "{month} to {to}");
        }
    }
    let march = first.iter().find(|n| n.contains("2019-03") && n.contains("legislatura")).expect("March");
    let eml = std::fs::read_to_string(w.dir.join("correo/salida").join(march)).expect("eml");
    assert!(eml.contains("participa-2019-03-es.pdf") && eml.contains("participa-2019-03-es.xlsx"), "both attachments");

    let s = status(&w, APRIL);
    let reports = s["daemon"]["trabajos"].as_array().and_then(|t| t.iter().find(|j| j["nombre"] == "informes")).expect("informes job");
    assert!(reports["resultado"].as_str().unwrap_or_default().contains("informes hechos: 2019-01, 2019-02, 2019-03"), "oldest first: {reports}");
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
    assert_eq!(after.iter().filter(|n| n.contains("participa.2019-04.es.")).count(), 2);
}

#[test]
fn over_smtp_each_recipient_gets_each_month_once_with_both_attachments_and_send_by_hand_adds_no_duplicate() {
    let Some(server) = Server::start(&[]) else { return };
    let w = samples();
    set_smtp(&w, server.port);
    run_once(&w, APRIL);
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    let months: Vec<&str> = got.iter().map(|(_, id, _, _)| if id.contains("2019-01") { "01" } else if id.contains("2019-02") { "02" } else { "03" }).collect();
    assert_eq!(months, ["01", "01", "02", "02", "03", "03"], "oldest month first");
    for (to, _, subject, files) in &got {
        assert!(to.ends_with("@example.org"));
        assert!(subject.contains("2019") && subject.contains("BUE0008"), "{subject}");
        assert_eq!(files.len(), 2, "PDF and XLSX: {files:?}");
    }
    assert!(per_message_id(&got).values().all(|&n| n == 1));

    run_once(&w, APRIL);
    let again = w.run_at(APRIL, &["report", "--period", "2019-03", "--send"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(received(&server).len(), 6, "no duplicate after a restart or a send by hand");
}

#[test]
fn with_the_server_down_deliveries_wait_and_go_after_the_retry_nothing_lost() {
    let port = free_port();
    let w = samples();
    set_smtp(&w, port);
    run_once(&w, APRIL);
    let s = status(&w, APRIL);
    let pending = s["daemon"]["entregas_pendientes"].as_array().cloned().unwrap_or_default();
    assert_eq!(pending.len(), 6, "{s}");
    assert!(pending.iter().all(|d| d["intentos"] == 1 && d["proximo_intento_en"] == "2019-04-02T12:01:00Z"), "{pending:?}");

    let Some(server) = Server::start_on_port(port, &[]) else { return };
    // Before the retry time nothing is tried.
    run_once(&w, "2019-04-02T12:00:30Z");
    assert_eq!(received(&server).len(), 0);
    run_once(&w, "2019-04-02T12:01:00Z");
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(per_message_id(&got).values().all(|&n| n == 1));
    assert_eq!(status(&w, "2019-04-02T12:02:00Z")["daemon"]["entregas_enviadas"], 6);
}

#[test]
fn a_refused_recipient_fails_alone_alerts_the_administrators_and_nothing_is_resent() {
    let Some(server) = Server::start(&["--refuse", "defensoria@example.org"]) else { return };
    let w = samples();
    set_smtp(&w, server.port);
    run_once(&w, APRIL);
    let got = received(&server);
    let to = |who: &str| got.iter().filter(|(t, _, _, _)| t == who).count();
    assert_eq!(to("legislatura@example.org"), 3);
    assert_eq!(to("defensoria@example.org"), 0);
    assert_eq!(to("sistemas@example.org"), 3, "one alert per failed delivery");
    let alerts: Vec<_> = server.received().into_iter().filter(|(meta, _)| meta["rcpt_tos"][0] == "sistemas@example.org").collect();
    let body = alerts[0].1["parts"][0]["text"].as_str().unwrap_or_default().to_string();
    assert!(body.contains("550") && body.contains("informe"), "the alert says what failed and why: {body}");
    let s = status(&w, APRIL);
    assert_eq!(s["daemon"]["entregas_fallidas"].as_array().map(Vec::len), Some(3));

    run_once(&w, "2019-04-03T12:00:00Z");
    assert_eq!(received(&server).len(), got.len(), "nobody gets anything twice");
}

#[test]
fn killed_in_the_middle_of_a_send_and_restarted_no_recipient_gets_a_duplicate() {
    // The server waits before answering each RCPT: the daemon is killed while it waits on the
    // second message, before the server has accepted anything of it.
    let Some(server) = Server::start(&["--rcpt-delay-seconds", "0.5"]) else { return };
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
    wait_for(&server.dir.path().join("rcpt-0002"), Duration::from_secs(60));
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(received(&server).len(), 1, "one message was through when it died");

    run_once(&w, APRIL);
    let got = received(&server);
    assert_eq!(got.len(), 6, "{got:?}");
    assert!(per_message_id(&got).values().all(|&n| n == 1), "no duplicate: {:?}", per_message_id(&got));
}

#[test]
fn the_daemon_catches_up_on_start_stops_on_sigterm_and_does_nothing_more_when_restarted() {
    let w = samples();
    for round in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_participa"))
            .arg("run")
            .current_dir(&w.dir)
            .env("PARTICIPA_NOW", APRIL)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The start-up catch-up ends with the reminders job (its log line); then the daemon
        // waits for its schedule.
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
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!("round {round}: the daemon did not finish its start-up catch-up: {:?}", reader.join());
        }
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
        assert!(killed.success());
        let exit = child.wait().expect("wait");
        let log = reader.join().unwrap_or_default();
        assert!(exit.success(), "round {round}: exit {exit:?}: {log:?}");
        assert!(log.iter().any(|l| l.contains("señal de parada")), "round {round}: it stopped on the signal: {log:?}");
        assert_eq!(outbox(&w).len(), 6, "round {round}");
        assert_eq!(status(&w, APRIL)["daemon"]["entregas_enviadas"], 6, "round {round}");
    }
}

fn wait_for(path: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
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
    let feedback: Vec<&String> = names.iter().filter(|n| n.contains("--justicia@example.org")).collect();
    assert_eq!(feedback.len(), 1, "one feedback message: {names:?}");
    let eml = std::fs::read_to_string(w.dir.join("correo/salida").join(feedback[0])).expect("eml");
    let rejected = w.export("rechazos").into_iter().filter(|r| r["fuente_archivo"].starts_with("ministerio-justicia-seguridad/")).count();
    assert!(rejected > 0);
    assert!(eml.contains("rechazada") || eml.contains("rechazadas"), "it speaks of the rejected rows");
    assert!(eml.contains(".xlsx"), "the rejected rows come as a workbook too");
    assert!(!names.iter().any(|n| n.contains("--prueba@example.org")), "no reminder before the configured day (5)");

    // Day 5: the organismo with nothing for March gets a reminder; the one that sent does not.
    run_once(&w, "2019-04-05T12:00:00Z");
    run_once(&w, "2019-04-06T12:00:00Z");
    let names = outbox(&w);
    assert_eq!(names.iter().filter(|n| n.contains("--prueba@example.org")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.contains("--justicia@example.org")).count(), 1, "unchanged files: no new feedback, no reminder");
    let s = status(&w, "2019-04-06T12:00:00Z");
    assert_eq!(s["daemon"]["organismos_atrasados"], serde_json::json!(["ministerio-de-prueba"]));
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
        let bytes = std::fs::read(fixtures().join("same_sheet/inbox/ministerio-cultura").join(format!("planilla.{ext}"))).expect("fixture");
        let file = w.drop_file(&format!("ministerio-cultura/planilla.{ext}"), &bytes);
        crate::util::set_age(&file, Duration::from_secs(age));
    }
    run_once(&w, APRIL);
    let names = outbox(&w);
    let feedback: Vec<&String> = names.iter().filter(|n| n.contains("--cultura@example.org")).collect();
    assert_eq!(feedback.len(), 1, "one feedback message: {names:?}");
    let Some(python) = crate::smtp::python() else { return };
    let m = crate::smtp::inspect(&python, &w.dir.join("correo/salida").join(feedback[0]));
    let part = |kind: &str| {
        m["parts"].as_array().and_then(|p| p.iter().find(|p| p["content_type"] == kind)).and_then(|p| p["text"].as_str()).unwrap_or_default().replace("\r\n", "\n")
    };
    let text = part("text/plain");
    assert!(text.contains("Archivos que repiten filas de otro archivo:\n  - planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez."), "{text}");
    assert!(text.contains("  - planilla.ods: 0\n  - planilla.xlsx: 9\n"), "{text}");
    assert!(
        text.contains("  - planilla.ods, hoja instancias, fila 5: Esta fila repite la fila 5 de la hoja «instancias» de planilla.xlsx, ya recibida; se conserva solo la primera."),
        "{text}"
    );
    assert!(part("text/html").contains("<li>planilla.ods repite 9 filas de planilla.xlsx; se cuentan una sola vez.</li>"));
}
