//! Where a built message goes: [`Outbox`] (`.eml` files) or [`Smtp`], behind [`Mailer`].
//!
//! One call sends one message to one envelope recipient: the ledger keeps one row per
//! recipient, and a refused address must never make the others fail or be sent again.
//!
//! SMTP is driven step by step over lettre's [`SmtpConnection`] (connect, STARTTLS, AUTH, MAIL,
//! RCPT, DATA) rather than through `SmtpTransport::send`, because what the ledger must do with
//! an error depends on the step that failed: a 5xx to RCPT TO is that recipient's (stop trying
//! it), while anything that goes wrong before RCPT TO — the server cannot be reached (refused,
//! unknown name, timeout), TLS, a 5xx to AUTH or MAIL FROM (wrong password, sender refused) —
//! is ours and the same for every recipient, so it must never be counted against a recipient.
//! `SmtpTransport` reports both as the same "permanent error".

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::message::header;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::{Address, Message};
use tracing::{info, warn};

use super::config::{MailConfig, MailConfigError, Security, Transport};
use super::DeliverError;

/// Sends one message to one envelope recipient.
pub trait Mailer {
    /// Sends `msg` to `envelope_to`, which must be one of the message's `To` addresses (so a
    /// message can never go to someone it does not name).
    fn send(&mut self, msg: &Message, envelope_to: &str) -> Result<SendReceipt, SendError>;
}

/// What the transport said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The server's reply to the end of DATA (`250 2.0.0 OK: queued as …`), or
    /// `guardado en <path>` for the outbox.
    pub server_reply: String,
    /// The message's Message-ID header.
    pub message_id: String,
}

/// Why a message was not sent. In every case nothing was accepted by the server for that
/// recipient, so sending again cannot make a duplicate (except in the one window described on
/// [`SendError::Transient`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later, for this recipient: a 4xx reply to RCPT TO or DATA (mailbox full,
    /// greylisting), the connection lost while the message was being sent. Also a connection
    /// lost after the message's last byte but before the server's answer: then the server may
    /// have taken it, and a retry can make the one duplicate that the stable Message-ID makes
    /// recognisable.
    #[error("error transitorio, se puede reintentar: {text}")]
    Transient {
        /// The SMTP reply code, when the server gave one.
        code: Option<u16>,
        /// What happened, with the server's own text.
        text: String,
    },
    /// This recipient or this message is refused for good (a 5xx to RCPT TO or DATA): do not
    /// retry it; the other recipients are not affected.
    #[error("rechazo definitivo: {text}")]
    Permanent {
        /// The SMTP reply code, when the server gave one.
        code: Option<u16>,
        /// What happened, with the server's own text.
        text: String,
    },
    /// The problem is on participa's side and the same for every recipient: the server cannot
    /// be reached (connection refused, unknown name, timeout), TLS failed (certificate,
    /// STARTTLS missing), authentication refused, the sender refused, the outbox not writable,
    /// the transport could not be made (no password), a recipient the message does not name.
    /// Nothing will go out until it is fixed (or the server is back): do not count it against
    /// the recipient, alert where it can be seen without the server, and wait.
    #[error("configuración de correo: {text}")]
    Setup {
        /// The SMTP reply code, when the server gave one.
        code: Option<u16>,
        /// What happened, with the server's own text. Never contains a password.
        text: String,
    },
}

impl SendError {
    /// True for [`SendError::Transient`]: retry with backoff.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    /// True for [`SendError::Setup`]: ours, the same for every recipient.
    pub fn is_setup(&self) -> bool {
        matches!(self, SendError::Setup { .. })
    }

    /// The reply code, when there was one.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Transient { code, .. }
            | SendError::Permanent { code, .. }
            | SendError::Setup { code, .. } => *code,
        }
    }

    /// The text (what happened, with the server's words).
    pub fn text(&self) -> &str {
        match self {
            SendError::Transient { text, .. }
            | SendError::Permanent { text, .. }
            | SendError::Setup { text, .. } => text,
        }
    }
}

/// The transport `cfg` asks for; relative paths are resolved against `base_dir` (the
/// configuration's folder).
pub fn mailer(cfg: &MailConfig, base_dir: &Path) -> Result<Box<dyn Mailer + Send>, DeliverError> {
    cfg.check()?;
    Ok(match cfg.transporte {
        Transport::File => Box::new(Outbox::new(MailConfig::resolve(base_dir, &cfg.dir_salida))),
        Transport::Smtp => Box::new(Smtp::new(cfg, base_dir)?),
    })
}

/// A transport that could not be made (the SMTP password missing, an unreadable certificate):
/// every message fails with [`SendError::Setup`] naming why, so the daemon keeps ingesting
/// and building reports while its deliveries wait, instead of not starting at all.
#[derive(Debug, Clone)]
pub struct Unavailable {
    reason: String,
}

impl Unavailable {
    /// Fails every message with `reason` (which must not hold a secret: [`DeliverError`]'s
    /// texts never do).
    pub fn new(reason: String) -> Unavailable {
        Unavailable { reason }
    }
}

impl Mailer for Unavailable {
    fn send(&mut self, _msg: &Message, _envelope_to: &str) -> Result<SendReceipt, SendError> {
        Err(SendError::Setup {
            code: None,
            text: format!("no se pudo preparar el envío: {}", self.reason),
        })
    }
}

/// The envelope for one recipient, who must be one of the message's.
fn envelope_for(msg: &Message, to: &str) -> Result<(Envelope, Address), SendError> {
    let setup = |text: String| SendError::Setup { code: None, text };
    let address: Address = to
        .trim()
        .parse()
        .map_err(|e| setup(format!("«{to}» no es una dirección válida ({e})")))?;
    let named = msg
        .envelope()
        .to()
        .iter()
        .any(|a| AsRef::<str>::as_ref(a).eq_ignore_ascii_case(address.as_ref()));
    if !named {
        return Err(setup(format!(
            "«{to}» no es destinatario de este mensaje: un mensaje solo se envía a quien nombra"
        )));
    }
    let envelope = Envelope::new(msg.envelope().from().cloned(), vec![address.clone()])
        .map_err(|e| setup(format!("sobre: {e}")))?;
    Ok((envelope, address))
}

fn message_id_of(msg: &Message) -> String {
    msg.headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A folder of `.eml` files, one per message and recipient: what would have been sent, exactly.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// Messages go to `dir` (created when needed).
    pub fn new(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }

    /// Deletes the temporary files of messages whose writing a crash interrupted
    /// ([`crate::fsutil::write_atomic`]'s, and `.<name>.eml.tmp` of earlier releases), once
    /// stale ([`crate::leftovers`]); returns how many.
    pub fn sweep_leftovers(&self, now: SystemTime) -> usize {
        crate::leftovers::sweep_files(&self.dir, now, |name| {
            crate::fsutil::temp_target(name).is_some_and(|t| t.ends_with(".eml"))
                || (name.starts_with('.') && name.ends_with(".eml.tmp"))
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for Outbox {
    /// Writes `<dir>/<date>-<message-id>--<recipient>.eml` (date from the message's `Date`,
    /// both names sanitised) atomically ([`crate::fsutil::write_atomic`]), so a reader never
    /// sees half a message. The same message to the same recipient lands on the
    /// same name, so writing it again replaces it instead of adding a copy.
    fn send(&mut self, msg: &Message, envelope_to: &str) -> Result<SendReceipt, SendError> {
        let (_, address) = envelope_for(msg, envelope_to)?;
        let message_id = message_id_of(msg);
        let stamp = msg
            .headers()
            .get::<header::Date>()
            .map(|d| {
                DateTime::<Utc>::from(SystemTime::from(d))
                    .format("%Y%m%dT%H%M%SZ")
                    .to_string()
            })
            .unwrap_or_else(|| "sin-fecha".to_string());
        let name = format!(
            "{stamp}-{}--{}.eml",
            file_part(&message_id),
            file_part(address.as_ref())
        );
        let path = self.dir.join(&name);
        let io = |what: &str, e: std::io::Error| SendError::Setup {
            code: None,
            text: format!("bandeja de salida {}: {what}: {e}", self.dir.display()),
        };
        fs::create_dir_all(&self.dir).map_err(|e| io("no se pudo crear", e))?;
        crate::fsutil::write_atomic(&path, &msg.formatted())
            .map_err(|e| io("no se pudo escribir", e))?;
        info!(to = %address, message_id = %message_id, path = %path.display(), "mensaje guardado en la bandeja de salida");
        Ok(SendReceipt {
            server_reply: format!("guardado en {}", path.display()),
            message_id,
        })
    }
}

/// Keeps a name part safe for any file system: letters, digits, `.`, `-`, `_`, `@`, at most
/// 100 characters.
fn file_part(s: &str) -> String {
    let kept: String = s
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let kept = kept.trim_start_matches('.').to_string();
    if kept.is_empty() {
        "x".to_string()
    } else {
        kept
    }
}

/// An SMTP server, one connection per message (connect, STARTTLS or TLS, AUTH, one envelope,
/// QUIT). Holds the password read at construction; its `Debug` never shows it.
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    tls: Option<TlsParameters>,
    user: Option<String>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.credentials.as_ref().map(|_| "«oculta»"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Smtp {
    /// The SMTP transport of `cfg` (whatever its `transporte`), reading the password from the
    /// environment variable or the file it names and the extra root certificate, if any;
    /// relative paths are resolved against `base_dir`.
    pub fn new(cfg: &MailConfig, base_dir: &Path) -> Result<Smtp, DeliverError> {
        cfg.check()?;
        let host = cfg
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| MailConfigError::Invalid {
                key: "correo.smtp_host",
                problem: "falta el servidor SMTP".to_string(),
            })?;
        if cfg.smtp_seguridad == Security::Plain && !super::config::is_loopback(host) {
            return Err(MailConfigError::Invalid {
                key: "correo.smtp_seguridad",
                problem: format!("\"ninguna\" solo se permite con un servidor en esta misma máquina, no con «{host}»"),
            }
            .into());
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = match cfg.smtp_seguridad {
            Security::Plain => None,
            Security::StartTls | Security::Tls => {
                let mut builder = TlsParameters::builder(host.clone());
                if let Some(ca) = &cfg.smtp_ca_archivo {
                    let path = MailConfig::resolve(base_dir, ca);
                    let pem = fs::read(&path).map_err(|source| DeliverError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        DeliverError::Tls(format!("correo.smtp_ca_archivo {}: {e}", path.display()))
                    })?;
                    builder = builder.add_root_certificate(cert);
                }
                Some(
                    builder
                        .build_rustls()
                        .map_err(|e| DeliverError::Tls(e.to_string()))?,
                )
            }
        };
        let credentials = match &cfg.smtp_usuario {
            Some(user) => Some(Credentials::new(
                user.clone(),
                read_password(cfg, base_dir)?,
            )),
            None => None,
        };
        Ok(Smtp {
            host,
            port: cfg.port(),
            security: cfg.smtp_seguridad,
            tls,
            user: cfg.smtp_usuario.clone(),
            credentials,
            timeout: Duration::from_secs(cfg.timeout_segundos),
            hello: ClientId::default(),
        })
    }

    /// Everything after the connection is open: TLS upgrade, AUTH, one envelope, the data.
    fn session(
        &self,
        conn: &mut SmtpConnection,
        envelope: &Envelope,
        to: &Address,
        data: &[u8],
    ) -> Result<Response, SendError> {
        if self.security == Security::StartTls {
            let params = self.tls.as_ref().ok_or_else(|| SendError::Setup {
                code: None,
                text: "STARTTLS sin parámetros TLS".to_string(),
            })?;
            // lettre's starttls refuses when the server does not offer it, so credentials and
            // mail never travel unencrypted (no silent downgrade).
            conn.starttls(params, &self.hello)
                .map_err(|e| classify(Step::Tls, &e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .map_err(|e| classify(Step::Auth(self.user.as_deref().unwrap_or_default()), &e))?;
        }
        let mut options = Vec::new();
        if !AsRef::<str>::as_ref(to).is_ascii()
            || envelope
                .from()
                .is_some_and(|f| !AsRef::<str>::as_ref(f).is_ascii())
        {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::Permanent { code: None, text: format!("el servidor no acepta direcciones con caracteres no ASCII (SMTPUTF8): «{to}»") });
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !data.is_ascii() {
            // lettre encodes bodies and headers as 7-bit; kept for safety, as lettre does.
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(SendError::Permanent {
                    code: None,
                    text: "el mensaje tiene bytes de 8 bits y el servidor no acepta 8BITMIME"
                        .to_string(),
                });
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        conn.command(Mail::new(envelope.from().cloned(), options))
            .map_err(|e| classify(Step::Mail, &e))?;
        conn.command(Rcpt::new(to.clone(), Vec::new()))
            .map_err(|e| classify(Step::Rcpt(to), &e))?;
        conn.command(Data).map_err(|e| classify(Step::Data, &e))?;
        conn.message(data).map_err(|e| classify(Step::Data, &e))
    }
}

impl Mailer for Smtp {
    fn send(&mut self, msg: &Message, envelope_to: &str) -> Result<SendReceipt, SendError> {
        let (envelope, to) = envelope_for(msg, envelope_to)?;
        let message_id = message_id_of(msg);
        let data = msg.formatted();
        let wrapper = if self.security == Security::Tls {
            self.tls.as_ref()
        } else {
            None
        };
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| classify(Step::Connect(&self.host, self.port), &e))?;
        match self.session(&mut conn, &envelope, &to, &data) {
            Ok(response) => {
                // The message is accepted once DATA is answered; a failed QUIT changes nothing.
                let _ = conn.quit();
                let reply = reply_text(&response);
                info!(to = %to, message_id = %message_id, reply = %reply, "mensaje enviado");
                Ok(SendReceipt {
                    server_reply: reply,
                    message_id,
                })
            }
            Err(e) => {
                conn.abort();
                warn!(to = %to, message_id = %message_id, error = %e, "mensaje no enviado");
                Err(e)
            }
        }
    }
}

/// The SMTP step an error happened in (it decides who is at fault).
enum Step<'a> {
    Connect(&'a str, u16),
    Tls,
    Auth(&'a str),
    Mail,
    Rcpt(&'a Address),
    Data,
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Connect(host, port) => write!(f, "al conectar con {host}:{port}"),
            Step::Tls => f.write_str("al iniciar TLS (STARTTLS)"),
            Step::Auth(user) => write!(f, "al autenticarse como «{user}»"),
            Step::Mail => f.write_str("remitente (MAIL FROM)"),
            Step::Rcpt(to) => write!(f, "destinatario <{to}> (RCPT TO)"),
            Step::Data => f.write_str("contenido (DATA)"),
        }
    }
}

/// Sorts a lettre error into what the ledger should do with it.
fn classify(step: Step<'_>, e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    let text = match (code, std::error::Error::source(e)) {
        // The server's own words after its code: «550 5.1.1 <x>: unknown user».
        (Some(c), Some(server)) => format!("{step}: {c} {server}"),
        _ => format!("{step}: {e}"),
    };
    if !matches!(step, Step::Rcpt(_) | Step::Data) {
        // Before RCPT TO nothing depends on the recipient: a server that cannot be reached
        // (refused, unknown name, timeout), a greeting that turns us away, TLS (an unknown or
        // expired certificate, a wrong name, STARTTLS not offered), AUTH, MAIL FROM, a refusal
        // by the client library itself (no common AUTH mechanism). The same for every
        // recipient, whether it is lasting or not: it must not spend their attempts.
        return SendError::Setup { code, text };
    }
    if e.is_transient() || e.is_timeout() {
        SendError::Transient { code, text }
    } else if e.is_permanent() || e.is_client() {
        SendError::Permanent { code, text }
    } else {
        // The connection reset or a reply that cannot be read while sending this message.
        SendError::Transient { code, text }
    }
}

fn reply_text(r: &Response) -> String {
    let lines: Vec<&str> = r.message().collect();
    format!("{} {}", r.code(), lines.join(" "))
        .trim()
        .to_string()
}

/// The SMTP password from the environment variable or the file the configuration names. Errors
/// name the variable or the file, never the value.
fn read_password(cfg: &MailConfig, base_dir: &Path) -> Result<String, DeliverError> {
    if let Some(var) = &cfg.smtp_clave_env {
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(p),
            Ok(_) => Err(DeliverError::Password(format!(
                "la variable de entorno {var} (correo.smtp_clave_env) está vacía"
            ))),
            Err(std::env::VarError::NotPresent) => Err(DeliverError::Password(format!(
                "la variable de entorno {var} (correo.smtp_clave_env) no está definida"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(DeliverError::Password(format!(
                "la variable de entorno {var} (correo.smtp_clave_env) no es texto UTF-8"
            ))),
        };
    }
    if let Some(file) = &cfg.smtp_clave_archivo {
        let path = MailConfig::resolve(base_dir, file);
        let text = fs::read_to_string(&path).map_err(|e| {
            DeliverError::Password(format!(
                "no se pudo leer {} (correo.smtp_clave_archivo): {e}",
                path.display()
            ))
        })?;
        warn_if_readable_by_others(&path);
        // One line: the newline an editor or `echo` adds is not part of the password.
        let password = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        if password.is_empty() {
            return Err(DeliverError::Password(format!(
                "{} (correo.smtp_clave_archivo) está vacío",
                path.display()
            )));
        }
        return Ok(password.to_string());
    }
    Err(DeliverError::Password(
        "correo.smtp_usuario sin correo.smtp_clave_env ni correo.smtp_clave_archivo".to_string(),
    ))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = fs::metadata(path) {
        if m.permissions().mode() & 0o077 != 0 {
            warn!(path = %path.display(), "otros usuarios pueden leer el archivo de la contraseña SMTP: chmod 600");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
