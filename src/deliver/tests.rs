//! The mail layer against a real SMTP server: `tests/smtp_server.py` (aiosmtpd) on a free
//! loopback port, started per test and stopped when the test ends. What the server received is
//! read back from its folder and parsed with Python's own e-mail package (the same script's
//! `inspect`), so the checks do not trust lettre to read what lettre wrote.
//!
//! A test that needs Python with aiosmtpd (or openssl, for the TLS tests) skips with a printed
//! reason when it is missing, unless `PARTICIPA_REQUIRE_TOOLS=1` (CI), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value as Json;

use super::*;
use crate::report::example::example;
use crate::text::Lang;

#[path = "../../tests/smtp.rs"]
mod smtp;
use smtp::{free_port, inspect, python, skip, Server};

mod messages;

const PASSWORD: &str = "Cl4ve-de-prueba-9f3e";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 4, 2, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn part<'a>(m: &'a Json, content_type: &str) -> Option<&'a Json> {
    m["parts"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["content_type"] == content_type))
}

fn text_of(m: &Json, content_type: &str) -> String {
    part(m, content_type)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {m}"))
        .to_string()
}

fn smtp_cfg(port: u16) -> MailConfig {
    MailConfig {
        transporte: Transport::Smtp,
        smtp_host: Some("127.0.0.1".into()),
        smtp_puerto: Some(port),
        smtp_seguridad: Security::Plain,
        remitente: "Participa BA <participa@example.gob.ar>".into(),
        responder_a: Some("Equipo de datos <datos@example.gob.ar>".into()),
        url_publicacion: Some("https://datos.example.gob.ar/informes/".into()),
        dominios_permitidos: vec!["example.gob.ar".into()],
        timeout_segundos: 10,
        ..MailConfig::default()
    }
}

/// Small stand-ins for the report's PDF and XLSX (their content is not looked at).
struct Docs {
    dir: tempfile::TempDir,
}

impl Docs {
    const PDF_BYTES: usize = 2_048;
    const XLSX_BYTES: usize = 3_072;

    fn new() -> Docs {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(Self::PDF_BYTES, b'%');
        let mut xlsx = b"PK\x03\x04".to_vec();
        xlsx.extend((0..Self::XLSX_BYTES - 4).map(|i| (i % 251) as u8));
        std::fs::write(dir.path().join("participa-2019-03-es.pdf"), pdf)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("participa-2019-03-es.xlsx"), xlsx)
            .unwrap_or_else(|e| panic!("{e}"));
        Docs { dir }
    }

    fn pdf(&self) -> PathBuf {
        self.dir.path().join("participa-2019-03-es.pdf")
    }

    fn xlsx(&self) -> PathBuf {
        self.dir.path().join("participa-2019-03-es.xlsx")
    }
}

fn report_to(cfg: &MailConfig, docs: &Docs, to: &str) -> (lettre::Message, String) {
    let report = example(0);
    let id = message_id("2019-03", "es", to, &cfg.message_id_domain());
    let (pdf, xlsx) = (docs.pdf(), docs.xlsx());
    let msg = report_message(
        cfg,
        &report,
        &ReportDocs {
            pdf: &pdf,
            xlsx: &xlsx,
        },
        to,
        &id,
        now(),
    )
    .unwrap_or_else(|e| panic!("report_message: {e}"));
    (msg, id)
}

#[test]
fn a_report_arrives_with_both_attachments_subject_id_and_both_bodies() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let cfg = smtp_cfg(server.port);
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    let (msg, id) = report_to(&cfg, &docs, to);
    let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    let receipt = smtp.send(&msg, to).unwrap_or_else(|e| panic!("send: {e}"));
    assert!(receipt.server_reply.starts_with("250"), "{receipt:?}");
    assert_eq!(receipt.message_id, id);

    let got = server.received();
    assert_eq!(got.len(), 1);
    let (meta, m) = &got[0];
    assert_eq!(meta["rcpt_tos"], serde_json::json!([to]));
    assert_eq!(meta["mail_from"], "participa@example.gob.ar");
    assert_eq!(
        m["subject"],
        "Informe de rendición de cuentas — marzo de 2019 (BUE0008)"
    );
    assert_eq!(m["message_id"], id.as_str());
    assert_eq!(m["date"], "Tue, 02 Apr 2019 12:00:00 +0000");
    assert_eq!(m["auto_submitted"], "auto-generated");
    assert_eq!(m["to"], serde_json::json!([to]));
    assert_eq!(m["reply_to"], "Equipo de datos <datos@example.gob.ar>");
    assert_eq!(
        m["structure"],
        serde_json::json!([
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ])
    );

    let pdf = part(m, "application/pdf").unwrap_or_else(|| panic!("no PDF"));
    assert_eq!(pdf["filename"], "participa-2019-03-es.pdf");
    assert_eq!(pdf["disposition"], "attachment");
    assert_eq!(pdf["size"], Docs::PDF_BYTES);
    let xlsx = part(
        m,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .unwrap_or_else(|| panic!("no XLSX"));
    assert_eq!(xlsx["filename"], "participa-2019-03-es.xlsx");
    assert_eq!(xlsx["size"], Docs::XLSX_BYTES);

    let text = text_of(m, "text/plain");
    for expected in [
        "Compromiso BUE0008: participación ciudadana en la Ciudad de Buenos Aires",
        "Instancias acumuladas: 166 (Meta: 300) — 79 en el período",
        "Participantes en el período: 8.144",
        "Proporción de instancias virtuales: 38,6 %",
        "Se adjuntan el informe en PDF (participa-2019-03-es.pdf, 2 kB)",
        "https://datos.example.gob.ar/informes/2019-03/",
        "https://datos.example.gob.ar/informes/2019-03/participa-2019-03-es.pdf",
        "Todos los informes publicados: https://datos.example.gob.ar/informes/",
        "Fecha de emisión: 02/04/2019",
        "3f9a1c0d5e7b2a64",
    ] {
        assert!(
            text.contains(expected),
            "plain text lacks «{expected}»:\n{text}"
        );
    }
    let html = text_of(m, "text/html");
    for expected in [
        "<html lang=\"es-AR\">",
        "<strong>8.144</strong>",
        "Ganadores cada 100 inscriptos",
        "<a href=\"https://datos.example.gob.ar/informes/2019-03/\">",
        "<a href=\"https://datos.example.gob.ar/informes/\">",
    ] {
        assert!(html.contains(expected), "HTML lacks «{expected}»:\n{html}");
    }
}

#[test]
fn above_the_size_limit_the_report_goes_as_a_link_said_plainly() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let cfg = MailConfig {
        max_adjuntos_bytes: 5_000,
        ..smtp_cfg(server.port)
    };
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    let (msg, _) = report_to(&cfg, &docs, to);
    let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    smtp.send(&msg, to).unwrap_or_else(|e| panic!("{e}"));
    let got = server.received();
    assert_eq!(got.len(), 1);
    let m = &got[0].1;
    assert_eq!(
        m["structure"],
        serde_json::json!(["multipart/alternative", "text/plain", "text/html"]),
        "no attachment"
    );
    let text = text_of(m, "text/plain");
    assert!(
        text.contains("Los archivos del informe (PDF y XLSX, 5 kB en total) no van adjuntos porque superan el máximo de 5 kB por mensaje: están en la carpeta publicada"),
        "{text}"
    );
    assert!(
        text.contains("https://datos.example.gob.ar/informes/2019-03/participa-2019-03-es.xlsx"),
        "{text}"
    );
    assert!(text_of(m, "text/html").contains("no van adjuntos"));
}

#[test]
fn a_refused_recipient_is_permanent_and_the_next_one_still_gets_its_message() {
    let Some(server) = Server::start(&[
        "--refuse",
        "nadie@example.gob.ar",
        "--defer",
        "lleno@example.gob.ar",
    ]) else {
        return;
    };
    let cfg = smtp_cfg(server.port);
    let docs = Docs::new();
    let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    let mut outcomes = Vec::new();
    for to in [
        "primero@example.gob.ar",
        "nadie@example.gob.ar",
        "lleno@example.gob.ar",
        "ultimo@example.gob.ar",
    ] {
        let (msg, _) = report_to(&cfg, &docs, to);
        outcomes.push(smtp.send(&msg, to));
    }
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    match &outcomes[1] {
        Err(SendError::Permanent {
            code: Some(550),
            text,
        }) => assert!(
            text.contains("destinatario desconocido") && text.contains("RCPT TO"),
            "{text}"
        ),
        other => panic!("expected a permanent 550, got {other:?}"),
    }
    match &outcomes[2] {
        Err(
            e @ SendError::Transient {
                code: Some(451), ..
            },
        ) => assert!(e.text().contains("intente más tarde"), "{e}"),
        other => panic!("expected a transient 451, got {other:?}"),
    }
    assert!(outcomes[3].is_ok(), "{:?}", outcomes[3]);
    let got = server.received();
    let rcpts: Vec<&Json> = got.iter().map(|(meta, _)| &meta["rcpt_tos"]).collect();
    assert_eq!(
        rcpts,
        [
            &serde_json::json!(["primero@example.gob.ar"]),
            &serde_json::json!(["ultimo@example.gob.ar"])
        ]
    );
}

#[test]
fn a_server_that_cannot_be_reached_is_ours_not_the_recipients() {
    // No Python needed: nothing listens on the port, and no such name resolves.
    let port = free_port();
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    for (host, shown) in [
        ("127.0.0.1".to_string(), format!("127.0.0.1:{port}")),
        ("nadie.invalid".to_string(), format!("nadie.invalid:{port}")),
    ] {
        let cfg = MailConfig {
            smtp_host: Some(host),
            smtp_seguridad: Security::Tls,
            ..smtp_cfg(port)
        };
        let (msg, _) = report_to(&cfg, &docs, to);
        let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
        match smtp.send(&msg, to) {
            Err(e @ SendError::Setup { code: None, .. }) => {
                assert!(e.is_setup() && !e.is_transient());
                assert!(
                    e.text().contains(&format!("al conectar con {shown}")),
                    "{e}"
                );
            }
            other => panic!("expected a setup error, got {other:?}"),
        }
    }
}

#[test]
fn a_transport_that_could_not_be_made_fails_every_message_as_ours() {
    let cfg = MailConfig {
        dominios_permitidos: vec!["example.gob.ar".into()],
        ..MailConfig::default()
    };
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    let (msg, _) = report_to(&cfg, &docs, to);
    let mut broken =
        Unavailable::new("contraseña SMTP: la variable de entorno X no está definida".into());
    match broken.send(&msg, to) {
        Err(SendError::Setup { code: None, text }) => {
            assert!(text.contains("la variable de entorno X"), "{text}")
        }
        other => panic!("expected a setup error, got {other:?}"),
    }
}

#[test]
fn the_outbox_writes_one_parseable_eml_per_message_and_recipient() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cfg = MailConfig {
        dominios_permitidos: vec!["example.gob.ar".into()],
        ..MailConfig::default()
    };
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    let (msg, id) = report_to(&cfg, &docs, to);
    let mut outbox = mailer(
        &MailConfig {
            dir_salida: PathBuf::from("salida"),
            ..cfg.clone()
        },
        dir.path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let receipt = outbox.send(&msg, to).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(receipt.message_id, id);
    // The same message again replaces the file instead of adding a copy.
    outbox.send(&msg, to).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("salida"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hex = id
        .trim_start_matches("<participa.2019-03.es.")
        .split('@')
        .next()
        .unwrap_or_default();
    assert_eq!(
        name,
        format!(
            "20190402T120000Z-participa.2019-03.es.{hex}@localhost--control@example.gob.ar.eml"
        )
    );
    assert_eq!(
        receipt.server_reply,
        format!("guardado en {}", files[0].display())
    );

    // A message not addressed to someone is never written for them.
    assert!(matches!(
        outbox.send(&msg, "otro@example.gob.ar"),
        Err(SendError::Setup { .. })
    ));

    let Some(python) = python() else { return };
    let m = inspect(&python, &files[0]);
    assert_eq!(
        m["subject"],
        "Informe de rendición de cuentas — marzo de 2019 (BUE0008)"
    );
    assert_eq!(m["message_id"], id.as_str());
    assert_eq!(
        part(&m, "application/pdf").map(|p| p["size"].clone()),
        Some(Docs::PDF_BYTES.into())
    );
}

#[test]
fn auth_with_a_password_from_the_environment_or_a_file_and_a_wrong_one_is_reported_without_it() {
    let Some(server) = Server::start(&["--user", "participa", "--password", PASSWORD]) else {
        return;
    };
    let docs = Docs::new();
    let to = "control@example.gob.ar";

    // Each test uses its own variable names: tests run in parallel threads.
    std::env::set_var("PARTICIPA_TEST_SMTP_CLAVE_BUENA", PASSWORD);
    std::env::set_var("PARTICIPA_TEST_SMTP_CLAVE_MALA", "otra-clave-equivocada");
    let with_env = |var: &str| MailConfig {
        smtp_usuario: Some("participa".into()),
        smtp_clave_env: Some(var.into()),
        ..smtp_cfg(server.port)
    };

    let cfg = with_env("PARTICIPA_TEST_SMTP_CLAVE_BUENA");
    let (msg, _) = report_to(&cfg, &docs, to);
    let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !format!("{smtp:?}").contains(PASSWORD),
        "Debug shows the password: {smtp:?}"
    );
    smtp.send(&msg, to)
        .unwrap_or_else(|e| panic!("send with the right password: {e}"));

    // From a file, with the newline an editor adds.
    let secrets = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(secrets.path().join("clave"), format!("{PASSWORD}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg_file = MailConfig {
        smtp_usuario: Some("participa".into()),
        smtp_clave_archivo: Some("clave".into()),
        ..smtp_cfg(server.port)
    };
    Smtp::new(&cfg_file, secrets.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .send(&msg, to)
        .unwrap_or_else(|e| panic!("send with the password file: {e}"));

    let got = server.received();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(meta, _)| meta["auth_user"] == "participa"));

    // The wrong password: our side's fault, the same for every recipient, and not shown.
    let cfg = with_env("PARTICIPA_TEST_SMTP_CLAVE_MALA");
    let mut smtp = Smtp::new(&cfg, Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    let err = smtp.send(&msg, to).expect_err("a wrong password must fail");
    match &err {
        SendError::Setup {
            code: Some(535),
            text,
        } => assert!(text.contains("al autenticarse como «participa»"), "{text}"),
        other => panic!("expected Setup 535, got {other:?}"),
    }
    for shown in [err.to_string(), format!("{err:?}"), format!("{smtp:?}")] {
        assert!(
            !shown.contains("otra-clave-equivocada") && !shown.contains(PASSWORD),
            "a password is shown: {shown}"
        );
    }
    // Without credentials the server refuses MAIL FROM: also our side.
    let mut anonymous =
        Smtp::new(&smtp_cfg(server.port), Path::new(".")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        anonymous.send(&msg, to),
        Err(SendError::Setup {
            code: Some(530),
            ..
        })
    ));
    assert_eq!(server.received().len(), 2, "nothing more arrived");

    // A variable that is not set is named, and nothing is tried.
    match Smtp::new(
        &with_env("PARTICIPA_TEST_SMTP_CLAVE_NO_DEFINIDA"),
        Path::new("."),
    ) {
        Err(DeliverError::Password(text)) => assert!(
            text.contains("PARTICIPA_TEST_SMTP_CLAVE_NO_DEFINIDA"),
            "{text}"
        ),
        other => panic!("expected a password error, got {other:?}"),
    }
}

/// A private certificate authority and a server certificate for `localhost` and 127.0.0.1,
/// made with the openssl command; None (skipped) when openssl is missing.
fn certificates(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
    };
    match run(&["version"]) {
        Ok(o) if o.status.success() => {}
        _ => return skip("openssl not found"),
    }
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let steps: [&[&str]; 3] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=participa prueba CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    ];
    for args in steps {
        let out = run(args).unwrap_or_else(|e| panic!("openssl: {e}"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some((
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}

#[test]
fn starttls_and_implicit_tls_with_the_citys_own_authority_and_auth() {
    let certs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some((ca, cert, key)) = certificates(certs.path()) else {
        return;
    };
    let (cert, key) = (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    std::env::set_var("PARTICIPA_TEST_SMTP_CLAVE_TLS", PASSWORD);
    let docs = Docs::new();
    let to = "control@example.gob.ar";

    for (security, extra) in [
        (Security::StartTls, None),
        (Security::Tls, Some("--implicit-tls")),
    ] {
        let mut args = vec![
            "--user",
            "participa",
            "--password",
            PASSWORD,
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ];
        args.extend(extra);
        let Some(server) = Server::start(&args) else {
            return;
        };
        let cfg = MailConfig {
            smtp_host: Some("localhost".into()),
            smtp_seguridad: security,
            smtp_usuario: Some("participa".into()),
            smtp_clave_env: Some("PARTICIPA_TEST_SMTP_CLAVE_TLS".into()),
            smtp_ca_archivo: Some(ca.clone()),
            ..smtp_cfg(server.port)
        };
        let (msg, _) = report_to(&cfg, &docs, to);
        Smtp::new(&cfg, Path::new("."))
            .unwrap_or_else(|e| panic!("{e}"))
            .send(&msg, to)
            .unwrap_or_else(|e| panic!("{security:?}: {e}"));
        let got = server.received();
        assert_eq!(got.len(), 1, "{security:?}");
        assert_eq!(got[0].0["tls"], true, "{security:?}");
        assert_eq!(got[0].0["auth_user"], "participa", "{security:?}");

        // Without the city's authority the certificate is unknown: our side, nothing sent.
        let untrusted = MailConfig {
            smtp_ca_archivo: None,
            ..cfg
        };
        match Smtp::new(&untrusted, Path::new("."))
            .unwrap_or_else(|e| panic!("{e}"))
            .send(&msg, to)
        {
            Err(SendError::Setup { text, .. }) => assert!(!text.contains(PASSWORD), "{text}"),
            other => panic!("{security:?}: expected a TLS setup error, got {other:?}"),
        }
        assert_eq!(server.received().len(), 1);
    }
}

#[test]
fn an_english_report_has_an_english_subject_and_figures() {
    let mut report = crate::report::example::english(example(0));
    report.meta.commitment =
        "Commitment BUE0008: citizen participation in the City of Buenos Aires".into();
    report.meta.file_stem = "participa-2019-03-en".into();
    let cfg = MailConfig {
        url_publicacion: Some("https://datos.example.gob.ar/informes".into()),
        ..MailConfig::default()
    };
    let docs = Docs::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let to = "control@example.gob.ar";
    let id = message_id("2019-03", "en", to, &cfg.message_id_domain());
    let (pdf, xlsx) = (docs.pdf(), docs.xlsx());
    let msg = report_message(
        &cfg,
        &report,
        &ReportDocs {
            pdf: &pdf,
            xlsx: &xlsx,
        },
        to,
        &id,
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let receipt = Outbox::new(dir.path().to_path_buf())
        .send(&msg, to)
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(python) = python() else { return };
    let path = receipt
        .server_reply
        .trim_start_matches("guardado en ")
        .to_string();
    let m = inspect(&python, Path::new(&path));
    assert_eq!(m["subject"], "Accountability report — March 2019 (BUE0008)");
    let text = text_of(&m, "text/plain");
    assert!(
        text.contains("Participantes en el período: 8,144"),
        "{text}"
    );
    assert!(text.contains("The report is attached as a PDF"), "{text}");
    assert!(
        text.contains("All published reports: https://datos.example.gob.ar/informes/"),
        "{text}"
    );
    assert!(text_of(&m, "text/html").contains("<html lang=\"en\">"));
}

#[test]
fn starttls_is_never_silently_skipped() {
    // A server that does not offer STARTTLS: with "starttls" nothing is sent, not even the
    // credentials, and the error is ours to fix (wrong server or port), not the recipient's.
    let Some(server) = Server::start(&[]) else {
        return;
    };
    std::env::set_var("PARTICIPA_TEST_SMTP_CLAVE_SIN_TLS", PASSWORD);
    let cfg = MailConfig {
        smtp_host: Some("localhost".into()),
        smtp_seguridad: Security::StartTls,
        smtp_usuario: Some("participa".into()),
        smtp_clave_env: Some("PARTICIPA_TEST_SMTP_CLAVE_SIN_TLS".into()),
        ..smtp_cfg(server.port)
    };
    let docs = Docs::new();
    let to = "control@example.gob.ar";
    let (msg, _) = report_to(&cfg, &docs, to);
    match Smtp::new(&cfg, Path::new("."))
        .unwrap_or_else(|e| panic!("{e}"))
        .send(&msg, to)
    {
        Err(SendError::Setup { text, .. }) => assert!(text.contains("STARTTLS"), "{text}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
    assert!(server.received().is_empty());
}
