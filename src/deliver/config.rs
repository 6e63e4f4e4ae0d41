//! `[correo]` of `participa.toml`: how mail leaves the program and to whom it may go.
//!
//! Checked by [`MailConfig::check`] before anything is sent, with messages that name the key.
//! A password never lives here: the configuration names an environment variable or a file, and
//! the password itself is read only when an SMTP transport is made (see
//! [`super::transport::Smtp::new`]).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use lettre::Address;
use serde::Deserialize;

/// Where messages go (`correo.transporte`: `archivo` or `smtp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Transport {
    /// Each message is written as an `.eml` file to `dir_salida`: works with no mail server,
    /// and a person (or another program) can look at exactly what would have been sent.
    #[default]
    #[serde(rename = "archivo")]
    File,
    /// Sent through an SMTP server.
    #[serde(rename = "smtp")]
    Smtp,
}

/// How the SMTP connection is protected (`correo.smtp_seguridad`: `starttls`, `tls` or
/// `ninguna`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which must succeed before credentials or mail
    /// are sent (no silent downgrade). Default port 587.
    #[default]
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte (SMTPS). Default port 465.
    #[serde(rename = "tls")]
    Tls,
    /// No encryption. Only allowed towards a loopback host (a local relay on the same
    /// machine), where nothing crosses a network. Default port 25.
    #[serde(rename = "ninguna")]
    Plain,
}

impl Security {
    /// The port used when `smtp_puerto` is not given.
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// A value that must never be configured: it is accepted by the parser only so that
/// [`MailConfig::check`] can refuse it with a clear message instead of the TOML parser quoting
/// the line (and the password on it) in an "unknown field" error.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Refused(#[allow(dead_code)] toml::Value);

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«oculto»")
    }
}

/// `[correo]`: the mail transport, the sender, the links and who may receive mail.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `"archivo"` (default: `.eml` files in `dir_salida`) or `"smtp"`.
    pub transporte: Transport,
    /// The outbox folder for `transporte = "archivo"`, relative to the configuration's folder.
    pub dir_salida: PathBuf,
    /// SMTP server host name (required with `transporte = "smtp"`).
    pub smtp_host: Option<String>,
    /// SMTP server port; default from `smtp_seguridad` (587, 465 or 25).
    pub smtp_puerto: Option<u16>,
    /// `"starttls"` (default), `"tls"` or `"ninguna"` (loopback hosts only).
    pub smtp_seguridad: Security,
    /// SMTP user name; with it, one of `smtp_clave_env` or `smtp_clave_archivo`.
    pub smtp_usuario: Option<String>,
    /// Name of the environment variable holding the SMTP password (e.g. `PARTICIPA_SMTP_CLAVE`).
    pub smtp_clave_env: Option<String>,
    /// File holding the SMTP password (one line; e.g. a systemd credential), relative to the
    /// configuration's folder.
    pub smtp_clave_archivo: Option<PathBuf>,
    /// Extra root certificate (PEM) to trust, for a relay with a certificate from the city's
    /// own authority; relative to the configuration's folder. Public authorities (Mozilla's
    /// list, built in) are always trusted.
    pub smtp_ca_archivo: Option<PathBuf>,
    /// Refused: a password never goes in the configuration (see `smtp_clave_env`).
    #[doc(hidden)]
    pub smtp_clave: Option<Refused>,
    /// Seconds to wait for the server to connect or answer one command before giving up.
    pub timeout_segundos: u64,
    /// The From of every message, `"Nombre <direccion@dominio>"`.
    pub remitente: String,
    /// Reply-To, when replies should go elsewhere than `remitente` (e.g. a team's mailbox).
    pub responder_a: Option<String>,
    /// Above this many bytes (the PDF and the XLSX together, as files on disk), the report is
    /// not attached: the message gives the link alone and says why. Encoded for mail, files
    /// grow by about a third, so the default (7 000 000) keeps a message under a 10 MB limit.
    pub max_adjuntos_bytes: u64,
    /// Base URL of the published folder (`[informe] dir_publicacion` as the web server serves
    /// it), e.g. `"https://participacion.example.gob.ar/informes"`; the message links to
    /// `<url>/<period>/` and to `<url>/`. Required with `transporte = "smtp"`.
    pub url_publicacion: Option<String>,
    /// Domains mail may be sent to (a subdomain of one counts as that domain). Any other
    /// recipient is refused when the configuration is checked and again when a message is
    /// built. Required with `transporte = "smtp"`; with `"archivo"`, empty means any domain.
    pub dominios_permitidos: Vec<String>,
    /// Oversight recipients of the monthly report, one message each.
    pub destinatarios: Vec<String>,
    /// Administrators: they get alerts (a delivery that failed for good, a misconfiguration).
    pub administradores: Vec<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transporte: Transport::File,
            dir_salida: PathBuf::from("correo/salida"),
            smtp_host: None,
            smtp_puerto: None,
            smtp_seguridad: Security::StartTls,
            smtp_usuario: None,
            smtp_clave_env: None,
            smtp_clave_archivo: None,
            smtp_ca_archivo: None,
            smtp_clave: None,
            timeout_segundos: 30,
            remitente: "participa <participa@localhost>".to_string(),
            responder_a: None,
            max_adjuntos_bytes: 7_000_000,
            url_publicacion: None,
            dominios_permitidos: Vec::new(),
            destinatarios: Vec::new(),
            administradores: Vec::new(),
        }
    }
}

// Written by hand so that a refused `smtp_clave` shows as hidden (the derived Debug would print
// it), and so that the fields that only name where a secret is stay visible for diagnosis.
impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConfig")
            .field("transporte", &self.transporte)
            .field("dir_salida", &self.dir_salida)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_puerto", &self.smtp_puerto)
            .field("smtp_seguridad", &self.smtp_seguridad)
            .field("smtp_usuario", &self.smtp_usuario)
            .field("smtp_clave_env", &self.smtp_clave_env)
            .field("smtp_clave_archivo", &self.smtp_clave_archivo)
            .field("smtp_ca_archivo", &self.smtp_ca_archivo)
            .field("smtp_clave", &self.smtp_clave.as_ref().map(|_| "«oculto»"))
            .field("timeout_segundos", &self.timeout_segundos)
            .field("remitente", &self.remitente)
            .field("responder_a", &self.responder_a)
            .field("max_adjuntos_bytes", &self.max_adjuntos_bytes)
            .field("url_publicacion", &self.url_publicacion)
            .field("dominios_permitidos", &self.dominios_permitidos)
            .field("destinatarios", &self.destinatarios)
            .field("administradores", &self.administradores)
            .finish()
    }
}

/// Longest wait allowed for one SMTP step: past ten minutes a server is not slow, it is gone.
const MAX_TIMEOUT_SECONDS: u64 = 600;
/// `max_adjuntos_bytes` at most: 100 MB, more than any mail server takes.
const MAX_ATTACHMENT_BYTES: u64 = 100_000_000;

/// Why `[correo]`, or an address given elsewhere, cannot be used. The message names the key
/// (`correo.<key>`); an address's own problem ([`Address`](Self::Address),
/// [`NotAllowed`](Self::NotAllowed)) is placed under the key that gave it with
/// [`Key`](Self::Key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailConfigError {
    /// A key's value is not usable: the key, and why.
    #[error("{key}: {problem}")]
    Invalid {
        /// The key, `correo.<key>`.
        key: &'static str,
        /// Why, and what to write instead.
        problem: String,
    },
    /// An address that does not parse.
    #[error("«{address}» no es una dirección de correo válida ({reason})")]
    Address {
        /// The address as written.
        address: String,
        /// The parser's words.
        reason: String,
    },
    /// An address outside `correo.dominios_permitidos`.
    #[error("«{address}» no está en un dominio permitido (correo.dominios_permitidos = [{allowed}]); agregue su dominio allí si corresponde")]
    NotAllowed {
        /// The address as written.
        address: String,
        /// The allowed domains, as listed.
        allowed: String,
    },
    /// The sender (`correo.remitente`) does not parse.
    #[error(
        "«{sender}» no es una dirección válida, escriba \"Nombre <direccion@dominio>\" ({reason})"
    )]
    Sender {
        /// The sender as written.
        sender: String,
        /// The parser's words.
        reason: String,
    },
    /// A problem of the value of `key` (an address in a list, the sender).
    #[error("{key}: {source}")]
    Key {
        /// The key, e.g. `organismos.cultura.email`.
        key: String,
        /// The problem.
        source: Box<MailConfigError>,
    },
}

/// The configuration's own checks (`config::Settings::check`) still gather their messages as
/// text; a mail problem joins them as its message.
impl From<MailConfigError> for String {
    fn from(e: MailConfigError) -> String {
        e.to_string()
    }
}

impl MailConfigError {
    /// This problem placed under `key` (the key whose value it is about).
    pub fn under(self, key: &str) -> MailConfigError {
        MailConfigError::Key {
            key: key.to_string(),
            source: Box::new(self),
        }
    }
}

fn invalid(key: &'static str, problem: impl Into<String>) -> MailConfigError {
    MailConfigError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl MailConfig {
    /// Checks every key alone and together; the error names the key (`correo.<key>`).
    pub fn check(&self) -> Result<(), MailConfigError> {
        if self.smtp_clave.is_some() {
            return Err(invalid("correo.smtp_clave", "la contraseña no va en participa.toml; ponga el nombre de una variable de entorno en smtp_clave_env o la ruta de un archivo en smtp_clave_archivo"));
        }
        if self.dir_salida.as_os_str().is_empty() {
            return Err(invalid("correo.dir_salida", "no puede estar vacío"));
        }
        if self.timeout_segundos == 0 || self.timeout_segundos > MAX_TIMEOUT_SECONDS {
            return Err(invalid(
                "correo.timeout_segundos",
                format!(
                    "debe estar entre 1 y {MAX_TIMEOUT_SECONDS} (es {})",
                    self.timeout_segundos
                ),
            ));
        }
        if self.max_adjuntos_bytes > MAX_ATTACHMENT_BYTES {
            return Err(invalid("correo.max_adjuntos_bytes", format!("debe estar entre 0 y {MAX_ATTACHMENT_BYTES} (es {}); 0 envía siempre el enlace solo", self.max_adjuntos_bytes)));
        }
        self.sender()?;
        self.reply_to()?;
        if let Some(url) = &self.url_publicacion {
            check_url(url)?;
        }
        for d in &self.dominios_permitidos {
            check_domain(d)?;
        }
        self.check_recipients(
            "correo.destinatarios",
            self.destinatarios.iter().map(String::as_str),
        )?;
        self.check_recipients(
            "correo.administradores",
            self.administradores.iter().map(String::as_str),
        )?;
        self.check_password_source()?;
        if self.transporte == Transport::Smtp {
            self.check_smtp()?;
        }
        Ok(())
    }

    fn check_password_source(&self) -> Result<(), MailConfigError> {
        let (key, problem) = match (&self.smtp_usuario, &self.smtp_clave_env, &self.smtp_clave_archivo) {
            (_, Some(_), Some(_)) => ("correo.smtp_clave_env", "y correo.smtp_clave_archivo: indique solo uno de los dos".to_string()),
            (None, Some(_), None) => ("correo.smtp_clave_env", "hay contraseña pero falta correo.smtp_usuario".to_string()),
            (None, None, Some(_)) => ("correo.smtp_clave_archivo", "hay contraseña pero falta correo.smtp_usuario".to_string()),
            (Some(u), None, None) => ("correo.smtp_usuario", format!("«{u}» necesita una contraseña: indique correo.smtp_clave_env (una variable de entorno) o correo.smtp_clave_archivo (un archivo)")),
            (Some(u), _, _) if u.trim().is_empty() => ("correo.smtp_usuario", "no puede estar vacío".to_string()),
            (_, Some(var), None) if !valid_env_name(var) => ("correo.smtp_clave_env", format!("«{var}» no es un nombre de variable de entorno (letras, dígitos y _, sin empezar por dígito)")),
            (_, None, Some(path)) if path.as_os_str().is_empty() => ("correo.smtp_clave_archivo", "no puede estar vacío".to_string()),
            _ => return Ok(()),
        };
        Err(invalid(key, problem))
    }

    fn check_smtp(&self) -> Result<(), MailConfigError> {
        let host = match self.smtp_host.as_deref().map(str::trim) {
            Some(h) if !h.is_empty() => h,
            _ => {
                return Err(invalid(
                    "correo.smtp_host",
                    "falta el servidor SMTP (transporte = \"smtp\")",
                ))
            }
        };
        if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(invalid("correo.smtp_host", format!("«{host}» no es un nombre de servidor (sin esquema, usuario ni ruta: p. ej. smtp.example.gob.ar)")));
        }
        if self.smtp_puerto == Some(0) {
            return Err(invalid("correo.smtp_puerto", "0 no es un puerto"));
        }
        if self.smtp_seguridad == Security::Plain && !is_loopback(host) {
            return Err(invalid("correo.smtp_seguridad", format!(
                "\"ninguna\" solo se permite con un servidor en esta misma máquina (localhost, 127.0.0.1, ::1), no con «{host}»: use \"starttls\" o \"tls\""
            )));
        }
        if self.url_publicacion.is_none() {
            return Err(invalid(
                "correo.url_publicacion",
                "falta la dirección web de la carpeta publicada; los mensajes enlazan el informe",
            ));
        }
        if self.dominios_permitidos.is_empty() {
            return Err(invalid("correo.dominios_permitidos", "con transporte = \"smtp\" indique a qué dominios se puede enviar (p. ej. [\"buenosaires.gob.ar\"])"));
        }
        Ok(())
    }

    /// Checks addresses from another key (e.g. `organismos.X.email`): each must parse and be in
    /// an allowed domain. `key` names them in the error.
    pub fn check_recipients<'a>(
        &self,
        key: &str,
        addresses: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), MailConfigError> {
        for a in addresses {
            self.allowed_recipient(a).map_err(|e| e.under(key))?;
        }
        Ok(())
    }

    /// The address, if it parses and its domain is allowed; otherwise why not (without a key).
    pub fn allowed_recipient(&self, address: &str) -> Result<Address, MailConfigError> {
        let parsed: Address =
            address
                .trim()
                .parse()
                .map_err(
                    |e: lettre::address::AddressError| MailConfigError::Address {
                        address: address.to_string(),
                        reason: e.to_string(),
                    },
                )?;
        if self.dominios_permitidos.is_empty() {
            return Ok(parsed);
        }
        let domain = parsed.domain().to_ascii_lowercase();
        let allowed = self.dominios_permitidos.iter().any(|d| {
            let d = d.trim().to_ascii_lowercase();
            domain == d || domain.ends_with(&format!(".{d}"))
        });
        if allowed {
            Ok(parsed)
        } else {
            Err(MailConfigError::NotAllowed {
                address: address.to_string(),
                allowed: self.dominios_permitidos.join(", "),
            })
        }
    }

    /// The From mailbox (the error is under `correo.remitente`).
    pub fn sender(&self) -> Result<Mailbox, MailConfigError> {
        self.remitente.parse::<Mailbox>().map_err(|e| {
            MailConfigError::Sender {
                sender: self.remitente.clone(),
                reason: e.to_string(),
            }
            .under("correo.remitente")
        })
    }

    /// The Reply-To mailbox, when one is configured.
    pub fn reply_to(&self) -> Result<Option<Mailbox>, MailConfigError> {
        self.responder_a
            .as_deref()
            .map(|r| {
                r.parse::<Mailbox>().map_err(|e| {
                    invalid(
                        "correo.responder_a",
                        format!("«{r}» no es una dirección válida ({e})"),
                    )
                })
            })
            .transpose()
    }

    /// The domain for Message-IDs: the sender's, so ids are unique to this installation.
    pub fn message_id_domain(&self) -> String {
        self.sender()
            .map(|m| m.email.domain().to_string())
            .unwrap_or_else(|_| "participa.invalid".to_string())
    }

    /// The published folder's base URL without a trailing slash.
    pub fn publication_url(&self) -> Option<&str> {
        self.url_publicacion
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| !u.is_empty())
    }

    /// The SMTP port in use.
    pub fn port(&self) -> u16 {
        self.smtp_puerto
            .unwrap_or_else(|| self.smtp_seguridad.default_port())
    }

    /// Resolves a configured path against the configuration's folder.
    pub fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            base_dir.join(path)
        }
    }
}

/// True for names and addresses that never leave this machine.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    h.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `correo.url_publicacion`: an http(s) address of a folder, without query or fragment.
fn check_url(url: &str) -> Result<(), MailConfigError> {
    let bad = |problem: String| invalid("correo.url_publicacion", problem);
    let u = url.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| bad(format!("«{url}» debe empezar con https:// (o http://)")))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || u.contains(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
    {
        return Err(bad(format!("«{url}» no es una dirección web válida")));
    }
    if u.contains(['?', '#']) {
        return Err(bad(format!(
            "«{url}»: sin ? ni #: es la carpeta base, a la que se agrega el período"
        )));
    }
    Ok(())
}

/// One of `correo.dominios_permitidos`: a domain name, without `@`.
fn check_domain(d: &str) -> Result<(), MailConfigError> {
    let bad = |problem: String| invalid("correo.dominios_permitidos", problem);
    let t = d.trim();
    if t.starts_with('@') {
        return Err(bad(format!(
            "«{d}»: escriba el dominio sin @ ({})",
            t.trim_start_matches('@')
        )));
    }
    let ok = !t.is_empty()
        && t.contains('.')
        && !t.starts_with('.')
        && !t.ends_with('.')
        && t.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "«{d}» no es un dominio (p. ej. buenosaires.gob.ar)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp() -> MailConfig {
        MailConfig {
            transporte: Transport::Smtp,
            smtp_host: Some("smtp.example.gob.ar".into()),
            remitente: "Participa <participa@example.gob.ar>".into(),
            url_publicacion: Some("https://datos.example.gob.ar/informes/".into()),
            dominios_permitidos: vec!["example.gob.ar".into()],
            destinatarios: vec![
                "control@example.gob.ar".into(),
                "auditoria@sub.example.gob.ar".into(),
            ],
            ..MailConfig::default()
        }
    }

    #[test]
    fn defaults_work_with_no_server() {
        let cfg: MailConfig = toml::from_str("").expect("empty [correo]");
        assert_eq!(cfg.transporte, Transport::File);
        assert_eq!(cfg.dir_salida, PathBuf::from("correo/salida"));
        assert_eq!(cfg.check(), Ok(()));
        assert_eq!(smtp().check(), Ok(()));
        assert_eq!(smtp().port(), 587);
        assert_eq!(
            smtp().publication_url(),
            Some("https://datos.example.gob.ar/informes")
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_naming_the_key() {
        assert!(toml::from_str::<MailConfig>("smtp_servidor = \"x\"").is_err());
        assert!(toml::from_str::<MailConfig>("transporte = \"sendmail\"").is_err());

        let err = |cfg: MailConfig| cfg.check().expect_err("must be refused").to_string();
        let e = err(MailConfig {
            smtp_seguridad: Security::Plain,
            ..smtp()
        });
        assert!(e.starts_with("correo.smtp_seguridad:"), "{e}");
        let local = MailConfig {
            smtp_seguridad: Security::Plain,
            smtp_host: Some("127.0.0.1".into()),
            ..smtp()
        };
        assert_eq!(local.check(), Ok(()));
        assert_eq!(local.port(), 25);

        let e = err(MailConfig {
            destinatarios: vec!["alguien@gmail.com".into()],
            ..smtp()
        });
        assert!(
            e.starts_with("correo.destinatarios:")
                && e.contains("alguien@gmail.com")
                && e.contains("dominios_permitidos"),
            "{e}"
        );
        // A look-alike domain is not a subdomain.
        let e = err(MailConfig {
            administradores: vec!["x@notexample.gob.ar".into()],
            ..smtp()
        });
        assert!(e.starts_with("correo.administradores:"), "{e}");
        let e = err(MailConfig {
            smtp_host: None,
            ..smtp()
        });
        assert!(e.starts_with("correo.smtp_host:"), "{e}");
        let e = err(MailConfig {
            url_publicacion: None,
            ..smtp()
        });
        assert!(e.starts_with("correo.url_publicacion:"), "{e}");
        let e = err(MailConfig {
            url_publicacion: Some("datos.example.gob.ar".into()),
            ..smtp()
        });
        assert!(e.starts_with("correo.url_publicacion:"), "{e}");
        let e = err(MailConfig {
            dominios_permitidos: vec![],
            ..smtp()
        });
        assert!(e.starts_with("correo.dominios_permitidos:"), "{e}");
        let e = err(MailConfig {
            dominios_permitidos: vec!["@example.gob.ar".into()],
            ..smtp()
        });
        assert!(e.starts_with("correo.dominios_permitidos:"), "{e}");
        let e = err(MailConfig {
            remitente: "participa".into(),
            ..smtp()
        });
        assert!(e.starts_with("correo.remitente:"), "{e}");
        let e = err(MailConfig {
            timeout_segundos: 0,
            ..smtp()
        });
        assert!(e.starts_with("correo.timeout_segundos:"), "{e}");
        let e = err(MailConfig {
            smtp_usuario: Some("u".into()),
            ..smtp()
        });
        assert!(e.starts_with("correo.smtp_usuario:"), "{e}");
        let e = err(MailConfig {
            smtp_usuario: Some("u".into()),
            smtp_clave_env: Some("1X".into()),
            ..smtp()
        });
        assert!(e.starts_with("correo.smtp_clave_env:"), "{e}");
        let e = err(MailConfig {
            smtp_usuario: Some("u".into()),
            smtp_clave_env: Some("A".into()),
            smtp_clave_archivo: Some("a".into()),
            ..smtp()
        });
        assert!(e.contains("solo uno"), "{e}");
        let ok = MailConfig {
            smtp_usuario: Some("u".into()),
            smtp_clave_env: Some("PARTICIPA_SMTP_CLAVE".into()),
            ..smtp()
        };
        assert_eq!(ok.check(), Ok(()));
    }

    #[test]
    fn a_password_in_the_config_is_refused_and_never_shown() {
        let cfg: MailConfig =
            toml::from_str("smtp_usuario = \"u\"\nsmtp_clave = \"hunter2-secreto\"")
                .expect("parses so it can be refused");
        let e = cfg
            .check()
            .expect_err("a password in the file is refused")
            .to_string();
        assert!(
            e.starts_with("correo.smtp_clave:") && !e.contains("hunter2"),
            "{e}"
        );
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("«oculto»"),
            "{debug}"
        );
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.3.2.1",
            "::1",
            "[::1]",
            "mail.localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "smtp.example.org",
            "10.0.0.1",
            "localhost.example.org",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
