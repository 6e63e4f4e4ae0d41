//! The mail setup problem: a failure of ours (the server, TLS, the password) recorded once with
//! its own doubling wait, written to the alerts folder while it lasts, and closed by the first
//! message the server takes.

use super::*;

impl Daemon<'_> {
    /// Records a setup failure: no attempt is counted, every pending delivery waits (the wait
    /// doubles with each failure in a row, capped), and the problem is logged and written to
    /// the alerts folder. Returns the problem and how many deliveries wait.
    pub(super) fn setup_failed(
        &mut self,
        e: &SendError,
        now: DateTime<Utc>,
    ) -> Result<(MailProblem, usize), DaemonError> {
        let failures = self
            .store
            .mail_problem()?
            .map_or(1, |p| p.fallos.saturating_add(1));
        let wait = self
            .config
            .settings
            .programacion
            .setup_delay_seconds(u32::try_from(failures).unwrap_or(u32::MAX));
        let (problem, waiting) =
            self.store
                .mail_problem_failed(&rfc(now), e.text(), &rfc(later(now, wait)))?;
        error!(
            desde = %problem.desde,
            fallos = problem.fallos,
            entregas_en_espera = waiting,
            proximo_intento = %problem.proximo_intento_en,
            "{SETUP_PROBLEM}: {}; ninguna entrega pierde intentos: todas esperan a que se corrija",
            problem.error
        );
        self.write_alert(&problem, waiting, now);
        Ok((problem, waiting))
    }

    /// Writes (or brings up to date) the alert file of the setup problem.
    pub(super) fn write_alert(&self, problem: &MailProblem, waiting: usize, now: DateTime<Utc>) {
        let path = alert_path(self.config);
        if let Err(io) = crate::fsutil::write_atomic(
            &path,
            setup_alert_text(self.config, problem, waiting, now).as_bytes(),
        ) {
            warn!(path = %path.display(), error = %io, "no se pudo escribir el aviso del problema de correo");
        }
    }

    /// The server took a message: the setup problem, if one was open, is over.
    pub(super) fn setup_recovered(&mut self, now: DateTime<Utc>) {
        let problem = match self.store.mail_problem_cleared() {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                warn!(error = %e, "no se pudo cerrar el problema de correo registrado");
                return;
            }
        };
        info!(desde = %problem.desde, fallos = problem.fallos, "el servidor de correo vuelve a aceptar los mensajes; las entregas en espera salen");
        // The alert stays in the folder as a record, renamed and with its end written.
        let path = alert_path(self.config);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let stamp: String = problem
            .desde
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let resolved = path.with_file_name(format!("servidor-de-correo-{stamp}-resuelto.txt"));
        let text = format!(
            "{text}\nResuelto: {} (el servidor aceptó un mensaje).\n",
            rfc(now)
        );
        if crate::fsutil::write_atomic(&resolved, text.as_bytes()).is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// How a setup problem is named wherever it is shown.
pub(super) const SETUP_PROBLEM: &str = "el servidor de correo rechaza la configuración";

pub(super) fn problem_status(config: &Config, p: MailProblem, waiting: usize) -> MailProblemStatus {
    MailProblemStatus {
        mensaje: format!("{SETUP_PROBLEM}: {}", p.error),
        error: p.error,
        desde: p.desde,
        ultimo_fallo: p.ultimo_fallo,
        fallos: p.fallos,
        proximo_intento_en: p.proximo_intento_en,
        entregas_en_espera: waiting,
        aviso: alert_path(config).display().to_string(),
    }
}

/// Where a setup problem is written while it lasts: `alertas/servidor-de-correo.txt` beside
/// the outbox folder (`correo/alertas/` by default), readable without the mail server.
pub fn alert_path(config: &Config) -> PathBuf {
    let outbox = config.resolve(&config.settings.correo.dir_salida);
    let folder = match outbox.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("alertas"),
        _ => config.resolve(std::path::Path::new("alertas")),
    };
    folder.join("servidor-de-correo.txt")
}

/// The alert file's text: what failed, since when, what waits, and what to do. Names where
/// the password comes from, never the password.
fn setup_alert_text(
    config: &Config,
    p: &MailProblem,
    waiting: usize,
    now: DateTime<Utc>,
) -> String {
    let c = &config.settings.correo;
    let server = match c.transporte {
        deliver::Transport::File => format!(
            "bandeja de salida {}",
            config.resolve(&c.dir_salida).display()
        ),
        deliver::Transport::Smtp => {
            let security = match c.smtp_seguridad {
                deliver::Security::StartTls => "starttls",
                deliver::Security::Tls => "tls",
                deliver::Security::Plain => "ninguna",
            };
            let mut s = format!(
                "{}:{} (smtp_seguridad = \"{security}\")",
                c.smtp_host.as_deref().unwrap_or("?"),
                c.port()
            );
            if let Some(user) = &c.smtp_usuario {
                s.push_str(&format!(", usuario «{user}»"));
                if let Some(var) = &c.smtp_clave_env {
                    s.push_str(&format!(", contraseña de la variable de entorno {var}"));
                } else if let Some(file) = &c.smtp_clave_archivo {
                    s.push_str(&format!(
                        ", contraseña del archivo {}",
                        config.resolve(file).display()
                    ));
                }
            }
            s
        }
    };
    format!(
        "participa: {SETUP_PROBLEM}\n\n\
         Error: {error}\n\
         Servidor: {server}\n\
         Desde: {desde}\n\
         Último intento: {ultimo} ({fallos})\n\
         Próximo intento: {proximo}\n\
         Entregas en espera: {waiting} (al {now}; ninguna pierde intentos por este problema)\n\n\
         El problema es de la configuración de participa o del servidor de correo (contraseña, usuario, TLS,\n\
         nombre o puerto del servidor), no de los destinatarios. Corrija [correo] en participa.toml, o la\n\
         contraseña en su archivo (se vuelve a leer en cada intento) o en su variable de entorno (reinicie el\n\
         servicio para que la lea). Las entregas salen solas en el próximo intento; `participa entregas` las\n\
         lista y `participa status` muestra este aviso. Este archivo se renombra como resuelto cuando el\n\
         servidor vuelve a aceptar un mensaje.\n",
        error = p.error,
        desde = p.desde,
        ultimo = p.ultimo_fallo,
        fallos = failures_in_a_row(p.fallos),
        proximo = p.proximo_intento_en,
        now = rfc(now),
    )
}

/// «1 intento fallido», «3 intentos fallidos seguidos».
pub fn failures_in_a_row(n: i64) -> String {
    if n == 1 {
        "1 intento fallido".into()
    } else {
        format!("{n} intentos fallidos seguidos")
    }
}
