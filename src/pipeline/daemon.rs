//! What the daemon does when it wakes: ingest and tell ministries how their files went;
//! build every due month's report once and deliver it through the ledger; remind organismos
//! that sent nothing; retry what failed. Each job decides from the store and the time alone,
//! so running one twice, late, or after a crash does only what is still undone.
//!
//! # Exactly once, and the windows that remain
//!
//! A delivery is a ledger row (report × recipient) written *pending* in the same transaction
//! that marks the month as enqueued, and marked *sent* right after the server accepts the
//! message. A restart sends only rows still pending, so a crash before the enqueue sends the
//! month later, once; a crash between enqueue and send sends it at the restart, once. One
//! window remains: the server has accepted the message (its reply to the end of DATA is on the
//! wire) and the process dies before the ledger row is marked sent — at the restart it is sent
//! again, with the same Message-ID (`deliver::message_id`), so the recipient's mail system
//! or reader can recognise the duplicate. The same holds for a connection lost after the last
//! byte of DATA and before the reply (lettre reports it as a transient error and it is
//! retried). The file outbox has no such window: the same message to the same recipient is
//! written to the same file name.
//!
//! # Whose failure it is
//!
//! A failure is the recipient's (a 4xx or 5xx to RCPT TO or DATA: attempts counted, retried
//! with a growing wait, failed for good after `reintentos_max` and the administrators alerted)
//! or ours (the transport's [`SendError::Setup`]: the password, TLS, the server unreachable,
//! no password at all). Ours is the same for every recipient, so it spends nobody's attempts:
//! the pass stops at the first one, the problem is recorded once in the store with its own
//! growing wait (`reintento_inicial_segundos`, doubled, capped at `reintento_max_segundos`,
//! never given up), every pending delivery waits for it, and it is said where it can be seen
//! without that server — the log (error), `participa status`, and a file in the alerts folder
//! beside the outbox. The transport is made again before each new try, so a fixed password
//! file is read; the first message the server takes closes the problem. A failed delivery goes
//! back to the queue only by hand (`participa entregas reintentar`), once per failure.
//!
//! All of this assumes one sender: two daemons over one store would each find the same rows
//! pending and send them both. The daemon is the store's writer for its whole life (its writer
//! lock, `store::lock`), so a second `participa run` refuses to start, and an `ingest` or a
//! `report --send` by hand waits for it and then says the daemon is running.
//!
//! Here: the jobs and the delivery pass. Beside it: `reports` (the reports' queue and a queued
//! report's message), `feedback` and `reminders` (what those messages say, kept with their
//! rows), `setup` (the mail setup problem and its alert file), `ledger` (`participa entregas`,
//! alerts of failed deliveries), `status`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use tracing::{error, info, info_span, warn};

mod feedback;
mod ledger;
mod reminders;
mod reports;
mod setup;
mod status;

pub use ledger::{deliveries, requeue, DeliveryView, Requeue, Requeued};
pub use setup::{alert_path, failures_in_a_row};
pub use status::{DaemonStatus, JobStatus, MailProblemStatus};

use feedback::{rejected_workbook, FeedbackContent};
use reminders::ReminderContent;
use setup::{problem_status, SETUP_PROBLEM};

use super::report::{build_report, report};
use super::{
    ingest_with, open_store, open_store_to_write, FileStatus, NoProgress, PipelineError, Sightings,
    Writer,
};
use crate::config::Config;
use crate::deliver::{self, Mailer, SendError};
use crate::indicators::Period;
use crate::report::model::Report;
use crate::schedule::{self, Wake};
use crate::store::{
    Delivery, MailProblem, NewDelivery, QueuedReport, SqliteStore, Store, StoreError,
};
use crate::text::Lang;

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Rows could not be read out of the store.
    #[error(transparent)]
    Export(#[from] crate::store::ExportError),
    /// The ingest failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A report could not be built.
    #[error(transparent)]
    Report(#[from] super::report::ReportRunError),
    /// Mail is not usable (configuration, password).
    #[error(transparent)]
    Deliver(#[from] deliver::DeliverError),
    /// `[programacion]` is not usable, or the scheduler could not start.
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
    /// The configuration is not usable for the daemon.
    #[error("{0}")]
    Config(String),
    /// What was asked for does not exist (a delivery id).
    #[error("{0}")]
    NotFound(String),
}

/// A report message's words and, when it carries them, its files.
type ReportMailAndFiles = (deliver::ReportMail, Option<deliver::ReportAttachments>);

/// Ledger kinds.
const REPORT: &str = "informe";
const FEEDBACK: &str = "devolucion";
const REMINDER: &str = "recordatorio";
const ALERT: &str = "alerta";

/// Ledger states.
const PENDING: &str = "pendiente";
const FAILED: &str = "fallido";

/// The first 16 hex digits of SHA-256 of the lower-case address: how the ledger names a
/// recipient without holding the address.
pub fn recipient_key(address: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(address.trim().to_lowercase().as_bytes())[..8])
}

/// The daemon's state: the configuration, the store and the mail transport.
pub struct Daemon<'a> {
    config: &'a Config,
    store: SqliteStore,
    mailer: Box<dyn Mailer + Send>,
    lang: Lang,
    /// The transport is made again from the configuration before each try after a setup
    /// failure (false for a transport given by the caller).
    remake: bool,
    /// New and changed files as last listed (settled means unchanged), across passes.
    sightings: Sightings,
}

/// The configured transport, or one that fails every message with why it could not be made
/// (the SMTP password missing, a certificate unreadable): ours to fix, never a reason for the
/// daemon not to ingest and build reports.
fn make_mailer(config: &Config) -> Box<dyn Mailer + Send> {
    match deliver::mailer(&config.settings.correo, &config.base) {
        Ok(m) => m,
        Err(e) => Box::new(deliver::Unavailable::new(e.to_string())),
    }
}

/// `now` plus `seconds`, saturating far in the future instead of overflowing.
fn later(now: DateTime<Utc>, seconds: u64) -> DateTime<Utc> {
    let wait = i64::try_from(seconds)
        .ok()
        .and_then(Duration::try_seconds)
        .unwrap_or_else(|| Duration::days(36_500));
    now.checked_add_signed(wait)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Why one ledger row's message did not go.
enum Failure {
    /// The message could not be made (this message only: a report that cannot be built, a
    /// recipient gone from the configuration): failed for good, alerted.
    Message(String),
    /// What the transport said.
    Send(SendError),
}

/// What a delivery pass did.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Messages the server took.
    pub sent: usize,
    /// Deliveries failed for good.
    pub failed: usize,
    /// Deliveries that failed and are retried later.
    pub later: usize,
    /// The mail setup problem every delivery waits for, and how many wait.
    pub held: Option<(MailProblem, usize)>,
    /// Stopped by the shutdown flag.
    pub interrupted: bool,
}

impl std::fmt::Display for Delivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} enviados, {} fallidos, {} para reintentar",
            self.sent, self.failed, self.later
        )?;
        if let Some((p, waiting)) = &self.held {
            write!(
                f,
                "; {SETUP_PROBLEM}: {} (desde {}); {waiting} entregas esperan hasta {}",
                p.error, p.desde, p.proximo_intento_en
            )?;
        }
        if self.interrupted {
            f.write_str(" (interrumpido)")?;
        }
        Ok(())
    }
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_rfc(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

impl<'a> Daemon<'a> {
    /// Opens the store as its only writer (see [`Writer`]) and the mail transport. A transport
    /// that cannot be made (no password) does not stop it: every delivery waits, as for any setup
    /// failure.
    pub fn new(config: &'a Config, writer: Writer<'_>) -> Result<Daemon<'a>, DaemonError> {
        let store = open_store_to_write(config, writer)?;
        let mut daemon = Daemon::with_mailer(config, store, make_mailer(config));
        daemon.remake = true;
        Ok(daemon)
    }

    /// For looking only (`participa status`): no mail transport is set up, so a missing SMTP
    /// password does not stop it.
    pub fn inspect(config: &'a Config) -> Result<Daemon<'a>, DaemonError> {
        let outbox = deliver::Outbox::new(config.resolve(&config.settings.correo.dir_salida));
        Ok(Daemon::with_mailer(
            config,
            open_store(config)?,
            Box::new(outbox),
        ))
    }

    /// With a given transport.
    pub fn with_mailer(
        config: &'a Config,
        store: SqliteStore,
        mailer: Box<dyn Mailer + Send>,
    ) -> Daemon<'a> {
        let lang = Lang::parse(&config.settings.informe.idioma).unwrap_or(Lang::Es);
        Daemon {
            config,
            store,
            mailer,
            lang,
            remake: false,
            sightings: Sightings::default(),
        }
    }

    /// Runs one job at `now`, records its outcome, and never fails: a job's error is logged and
    /// recorded, and the next wake-up tries again.
    pub fn wake(&mut self, wake: Wake, now: DateTime<Utc>, shutdown: &AtomicBool) {
        let (name, result) = match wake {
            Wake::Ingest => ("ingesta", self.ingest(now, shutdown)),
            Wake::Reports => ("informes", self.reports(now, shutdown)),
            Wake::Reminders => ("recordatorios", self.reminders(now)),
        };
        let delivered = self.deliver_due(now, shutdown);
        let outcome = match (&result, &delivered) {
            (Ok(what), Ok(d)) => format!("{what}; {d}"),
            (Err(e), _) => format!("error: {e}"),
            (Ok(what), Err(e)) => format!("{what}; error al entregar: {e}"),
        };
        if result.is_err() || delivered.is_err() {
            warn!(trabajo = name, resultado = %outcome, "el trabajo terminó con un error; se reintenta en la próxima ejecución");
        } else {
            info!(trabajo = name, resultado = %outcome, "trabajo terminado");
        }
        if let Err(e) = self.store.job_ran(name, &rfc(now), &outcome) {
            warn!(error = %e, "no se pudo registrar la ejecución del trabajo");
        }
    }

    /// Every job once, oldest work first (what `participa run --once` does).
    pub fn all(&mut self, now: DateTime<Utc>, shutdown: &AtomicBool) {
        for w in [Wake::Ingest, Wake::Reports, Wake::Reminders] {
            self.wake(w, now, shutdown);
        }
    }

    /// One ingest pass; organismos whose files changed get feedback, which says what this
    /// pass saw (made now and kept with the ledger row, whenever it is sent).
    pub fn ingest(
        &mut self,
        now: DateTime<Utc>,
        shutdown: &AtomicBool,
    ) -> Result<String, DaemonError> {
        let summary = ingest_with(
            self.config,
            &mut self.store,
            &NoProgress,
            now.into(),
            shutdown,
            &mut self.sightings,
        )?;
        super::fuentes::update_alert(self.config, &summary.errores_de_fuente, now);
        let mut changed = std::collections::BTreeSet::new();
        for f in &summary.archivos {
            if matches!(
                f.estado,
                FileStatus::New | FileStatus::Changed | FileStatus::Rejected(_)
            ) {
                if let Some(org) = f.ruta.split('/').next().filter(|_| f.ruta.contains('/')) {
                    changed.insert(org.to_string());
                }
            }
        }
        let mut queued = 0;
        for org in &changed {
            let Some(email) = self
                .config
                .settings
                .organismos
                .get(org)
                .and_then(|o| o.email.clone())
            else {
                continue;
            };
            let clave = format!("{org}/{}", rfc(now));
            // Made once, now: a retry after an outage says what this pass saw. Content that
            // cannot be made now is made when sent, as before.
            let contenido = match self
                .feedback_content(org, &rfc(now))
                .map(|c| serde_json::to_string(&c))
            {
                Ok(Ok(json)) => Some(json),
                Ok(Err(e)) => {
                    warn!(organismo = %org, error = %e, "no se pudo guardar el contenido de la devolución; se armará al enviarla");
                    None
                }
                Err(e) => {
                    warn!(organismo = %org, error = %e, "no se pudo armar la devolución ahora; se armará al enviarla");
                    None
                }
            };
            if self.queue(FEEDBACK, clave, &email, now, contenido)? {
                queued += 1;
            }
        }
        Ok(format!(
            "{} archivos nuevos o cambiados, {} devoluciones en cola",
            summary.archivos_nuevos + summary.archivos_cambiados,
            queued
        ))
    }

    /// Sends every pending delivery that is due, each on its own: a failure of the recipient's
    /// is recorded for that recipient only and retried later with a growing wait, and after
    /// the last attempt the administrators are alerted; a failure of ours (the setup) stops
    /// the pass, spends no attempt, and holds every delivery until its own growing wait is
    /// over.
    pub fn deliver_due(
        &mut self,
        now: DateTime<Utc>,
        shutdown: &AtomicBool,
    ) -> Result<Delivered, DaemonError> {
        self.deliver(now, shutdown, false)
    }

    /// [`Daemon::deliver_due`]; `by_hand` (a person asked: `report --send`) tries at once even
    /// while a setup problem's wait is running.
    fn deliver(
        &mut self,
        now: DateTime<Utc>,
        shutdown: &AtomicBool,
        by_hand: bool,
    ) -> Result<Delivered, DaemonError> {
        let mut done = Delivered::default();
        let mut due_at = now;
        let mut problem_open = false;
        if let Some(problem) = self.store.mail_problem()? {
            let next = parse_rfc(&problem.proximo_intento_en).unwrap_or(now);
            if next > now && !by_hand {
                // What was enqueued since waits too, and says so in the ledger and the alert.
                let waiting = self
                    .store
                    .ledger_hold(&problem.proximo_intento_en, &problem.error)?;
                self.write_alert(&problem, waiting, now);
                done.held = Some((problem, waiting));
                return Ok(done);
            }
            // Time to try again: what the problem held is due, and the transport is made again
            // (a password file that was fixed is read).
            due_at = due_at.max(next);
            problem_open = true;
            if self.remake {
                self.mailer = make_mailer(self.config);
            }
        }
        let mut mails = BTreeMap::new();
        // Alerts enqueued by this pass are sent by it too.
        for _ in 0..2 {
            let due = self.store.ledger(Some(&rfc(due_at)))?;
            if due.is_empty() {
                break;
            }
            for d in due {
                if shutdown.load(std::sync::atomic::Ordering::SeqCst) {
                    done.interrupted = true;
                    return Ok(done);
                }
                // What the ledger keeps (the server's words), what the log says, and when to retry.
                let (stored, shown, retry) = match self.send_one(&d, now, &mut mails) {
                    Ok(receipt) => {
                        self.store.ledger_sent(
                            d.id,
                            &rfc(now),
                            &receipt.server_reply,
                            &receipt.message_id,
                        )?;
                        done.sent += 1;
                        if problem_open {
                            problem_open = false;
                            self.setup_recovered(now);
                        }
                        continue;
                    }
                    Err(Failure::Send(e)) if e.is_setup() => {
                        done.held = Some(self.setup_failed(&e, now)?);
                        return Ok(done);
                    }
                    Err(Failure::Send(e)) => {
                        // The server got as far as this recipient: our side works again.
                        if problem_open {
                            problem_open = false;
                            self.setup_recovered(now);
                        }
                        let attempts = u32::try_from(d.intentos + 1).unwrap_or(u32::MAX);
                        let retry = if e.is_transient() {
                            self.config
                                .settings
                                .programacion
                                .retry_delay_seconds(attempts)
                        } else {
                            None
                        };
                        (e.text().to_string(), e.to_string(), retry)
                    }
                    Err(Failure::Message(text)) => (
                        text.clone(),
                        format!("no se pudo armar el mensaje: {text}"),
                        None,
                    ),
                };
                let next = retry.map(|s| rfc(later(now, s)));
                self.store.ledger_failed(d.id, &stored, next.as_deref())?;
                let attempt = d.intentos + 1;
                if next.is_some() {
                    done.later += 1;
                    warn!(tipo = %d.tipo, clave = %d.clave, intento = attempt, error = %shown, "envío fallido; se reintenta más tarde");
                } else {
                    done.failed += 1;
                    warn!(tipo = %d.tipo, clave = %d.clave, intento = attempt, error = %shown, "envío fallido definitivamente; se avisa a los administradores");
                    if d.tipo != ALERT {
                        self.alert(&d, now)?;
                    }
                }
            }
        }
        Ok(done)
    }

    /// Builds and sends one ledger row's message. `mails` keeps the report messages made in
    /// this pass, by ledger key.
    fn send_one(
        &mut self,
        d: &Delivery,
        now: DateTime<Utc>,
        mails: &mut BTreeMap<String, ReportMailAndFiles>,
    ) -> Result<deliver::SendReceipt, Failure> {
        let unmade = Failure::Message;
        let to = self.address(d).ok_or_else(|| {
            Failure::Message("el destinatario ya no está en participa.toml".into())
        })?;
        let created = parse_rfc(&d.creado_en).unwrap_or(now);
        let cfg = &self.config.settings.correo;
        let message = match d.tipo.as_str() {
            REPORT => {
                // What the message said when the report was queued, made once per pass.
                if !mails.contains_key(&d.clave) {
                    let mail = self.report_mail_of(d, created, now)?;
                    mails.insert(d.clave.clone(), mail);
                }
                let (mail, files) = mails
                    .get(&d.clave)
                    .ok_or_else(|| unmade(format!("informe {} sin armar", d.clave)))?;
                deliver::frozen_report_message(
                    cfg,
                    mail,
                    files.as_ref(),
                    &to,
                    &d.message_id,
                    created,
                )
                .map_err(|e| unmade(e.to_string()))?
            }
            REMINDER => {
                let content = match d
                    .contenido
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<ReminderContent>(c).ok())
                {
                    Some(c) => c,
                    None => {
                        // A row of an older release: made now.
                        let (org, month) = d
                            .clave
                            .rsplit_once('/')
                            .ok_or_else(|| unmade(format!("clave inválida: {}", d.clave)))?;
                        let period = Period::parse(month)
                            .ok_or_else(|| unmade(format!("mes inválido: {month}")))?;
                        self.reminder_content(org, period)
                    }
                };
                let deadline = NaiveDate::parse_from_str(&content.plazo, "%Y-%m-%d")
                    .map_err(|e| unmade(format!("plazo inválido {}: {e}", content.plazo)))?;
                deliver::reminder_message(
                    cfg,
                    &content.organismo,
                    &to,
                    &content.mes,
                    deadline,
                    &content.hallazgos,
                    created,
                )
                .map_err(|e| unmade(e.to_string()))?
            }
            FEEDBACK => {
                // The key is `organismo/<the pass's time>`: the pass whose new layouts are shown.
                let (org, pass) = d.clave.split_once('/').unwrap_or((d.clave.as_str(), ""));
                // What the pass saw, kept with the row; a row of an older release is made now.
                let content = match d
                    .contenido
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<FeedbackContent>(c).ok())
                {
                    Some(c) => c,
                    None => self
                        .feedback_content(org, pass)
                        .map_err(|e| unmade(e.to_string()))?,
                };
                let name = self.organismo_name(org);
                let xlsx = rejected_workbook(&content.rejected, self.lang);
                let feedback = deliver::Feedback {
                    organismo: &name,
                    accepted: &content.accepted,
                    rejected: &content.rejected,
                    repeated: &content.repeated,
                    layouts: &content.layouts,
                    rejected_xlsx: xlsx,
                };
                deliver::feedback_message(cfg, &to, feedback, self.lang, created)
                    .map_err(|e| unmade(e.to_string()))?
            }
            _ => {
                let failed = self.store.ledger(None).map_err(|e| unmade(e.to_string()))?;
                let (head, dest) = d.clave.rsplit_once('/').unwrap_or((d.clave.as_str(), ""));
                // `+N`: the alert of the N-th failure after being put back in the queue by hand.
                let dest = dest.split('+').next().unwrap_or(dest);
                let what = failed
                    .iter()
                    .find(|f| f.destinatario == dest && format!("{}/{}", f.tipo, f.clave) == head);
                let body = match what {
                    Some(f) => format!(
                        "Un envío falló definitivamente después de {} intentos.\n\nEntrega: {}\nTipo: {}\nClave: {}\nDestinatario (clave): {}\nMessage-ID: {}\nÚltimo error: {}\n\nRevise la dirección y el servidor; `participa entregas` muestra el registro de entregas y `participa entregas reintentar --id {}` vuelve a poner esta en la cola.",
                        f.intentos,
                        f.id,
                        f.tipo,
                        f.clave,
                        f.destinatario,
                        f.message_id,
                        f.ultimo_error.clone().unwrap_or_default(),
                        f.id
                    ),
                    None => format!("Un envío falló definitivamente: {}", d.clave),
                };
                deliver::alert_message(
                    cfg,
                    std::slice::from_ref(&to),
                    "un envío falló definitivamente",
                    &body,
                    created,
                )
                .map_err(|e| unmade(e.to_string()))?
            }
        };
        self.mailer.send(&message, &to).map_err(Failure::Send)
    }
}

impl Daemon<'_> {
    /// The organismo's configured name, or its code.
    fn organismo_name(&self, org: &str) -> String {
        self.config
            .settings
            .organismos
            .get(org)
            .and_then(|o| o.nombre.clone())
            .unwrap_or_else(|| org.to_string())
    }

    /// Writes a ledger row for a message to `address` (feedback, a reminder), its content made
    /// now; false when the row was there already.
    fn queue(
        &mut self,
        tipo: &str,
        clave: String,
        address: &str,
        now: DateTime<Utc>,
        contenido: Option<String>,
    ) -> Result<bool, DaemonError> {
        Ok(self.store.ledger_add(&NewDelivery {
            tipo: tipo.into(),
            clave,
            destinatario: recipient_key(address),
            message_id: String::new(),
            creado_en: rfc(now),
            contenido,
        })?)
    }
}

/// `participa report --period P --send`: builds the report, enqueues it for every recipient
/// (unless it already was: then only what is still pending goes) and delivers now, through the
/// same ledger as the daemon, holding the store as `writer` says (so never while the daemon
/// runs). Asked by a person, it tries at once even while a setup problem's wait is running.
pub fn send_report(
    config: &Config,
    period: Period,
    lang: Lang,
    now: DateTime<Utc>,
    writer: Writer<'_>,
) -> Result<Delivered, DaemonError> {
    let mut daemon = Daemon::new(config, writer)?;
    daemon.lang = lang;
    daemon.enqueue_report(period, now)?;
    let never = AtomicBool::new(false);
    daemon.deliver(now, &never, true)
}

/// `participa run`: the daemon, until SIGTERM or Ctrl-C. With `once`, every job once and exit.
/// It is the store's writer for its whole life: another daemon, an `ingest` or a `report` is
/// kept out until it ends (`writer` says how long it waits for one already there).
pub fn run(config: &Config, once: bool, writer: Writer<'_>) -> Result<(), DaemonError> {
    let shutdown = std::sync::Arc::new(AtomicBool::new(false));
    super::sweep_leftovers(config);
    let mut daemon = Daemon::new(config, writer)?;
    if once {
        daemon.all(crate::clock::now(), &shutdown);
        return Ok(());
    }
    let flag = shutdown.clone();
    schedule::run(&config.settings.programacion, shutdown, &mut |wake| {
        daemon.wake(wake, crate::clock::now(), &flag)
    })
    .map_err(DaemonError::Schedule)
}
