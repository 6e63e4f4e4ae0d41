//! The daemon's clock work: `[programacion]` (cron expressions and a time zone), which months
//! are due, when reminders are due, and the loop that wakes the jobs (tokio-cron-scheduler)
//! and stops on one shutdown signal.
//!
//! What a wake-up does is decided elsewhere (`pipeline::daemon`) from the store and the time,
//! never from the moment the scheduler happened to fire: a missed or doubled fire (a restart,
//! a daylight-saving change) cannot lose or repeat a report. This module must not depend on
//! the store, the report or the mail.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use tracing::{info, warn};

use crate::indicators::Period;

/// `[programacion]`: when `participa run` does each job. Cron expressions have six fields,
/// seconds first (`sec min hour day-of-month month day-of-week`), read in `zona_horaria`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// IANA time zone of the cron expressions and of "the month closed" (default
    /// `America/Argentina/Buenos_Aires`).
    pub zona_horaria: String,
    /// When to ingest the sources (default every 5 minutes: `0 */5 * * * *`).
    pub ingesta: String,
    /// When to build and send the reports of closed months not yet delivered (default every
    /// day at 06:00: `0 0 6 * * *`). Catch-up needs no special run: every due month not yet
    /// done is done at the next one.
    pub informes: String,
    /// When to look for reminders to send (default every day at 09:00: `0 0 9 * * *`).
    pub recordatorios: String,
    /// First month with a report due, `YYYY-MM` (default: the commitment's start in
    /// indicadores.toml). Like `informes_hasta`, within five years before and ten after the
    /// commitment's start (checked with indicadores.toml, `config::Config::assemble`).
    pub informes_desde: Option<String>,
    /// Last month with a report due, `YYYY-MM` (default: every closed month up to December,
    /// ten years after the commitment's start).
    pub informes_hasta: Option<String>,
    /// Day of the month from which an organismo that sent nothing for the month just closed
    /// gets one reminder (1–28; default 5).
    pub dia_recordatorio: u32,
    /// Day of the month the data of the month just closed is due, written in reminders
    /// (1–28; default 10).
    pub dia_limite: u32,
    /// Attempts per recipient before a delivery is failed for good and the administrators
    /// are alerted (default 6).
    pub reintentos_max: u32,
    /// Wait before the second attempt, in seconds; doubled at each further one (default 60).
    pub reintento_inicial_segundos: u64,
    /// Longest wait between two attempts, in seconds (default 21600: six hours).
    pub reintento_max_segundos: u64,
}

/// `programacion.reintentos_max` at most.
pub const MAX_ATTEMPTS: u32 = 100;
/// `programacion.reintento_*_segundos` at most: a week.
pub const MAX_RETRY_SECONDS: u64 = 7 * 86_400;

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            zona_horaria: "America/Argentina/Buenos_Aires".into(),
            ingesta: "0 */5 * * * *".into(),
            informes: "0 0 6 * * *".into(),
            recordatorios: "0 0 9 * * *".into(),
            informes_desde: None,
            informes_hasta: None,
            dia_recordatorio: 5,
            dia_limite: 10,
            reintentos_max: 6,
            reintento_inicial_segundos: 60,
            reintento_max_segundos: 21_600,
        }
    }
}

/// Why `[programacion]` is not usable, or the scheduler could not run. The message names the
/// key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// `zona_horaria` is not an IANA zone.
    #[error("programacion.zona_horaria: «{0}» is not an IANA time zone such as America/Argentina/Buenos_Aires")]
    Zone(String),
    /// A cron expression the scheduler cannot read.
    #[error(
        "«{expr}» is not a cron expression with seconds (sec min hour day month weekday): {reason}"
    )]
    Cron {
        /// The expression.
        expr: String,
        /// The parser's words.
        reason: String,
    },
    /// A cron expression of `programacion.<key>`.
    #[error("programacion.{key}: {source}")]
    Key {
        /// `ingesta`, `informes` or `recordatorios`.
        key: &'static str,
        /// What is wrong with it.
        source: Box<ScheduleError>,
    },
    /// `informes_desde` or `informes_hasta` is not a month.
    #[error("programacion.{key}: «{value}» is not a month such as 2019-01")]
    Month {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
    },
    /// A day of the month some month does not have.
    #[error("programacion.dia_recordatorio and dia_limite must be between 1 and 28 (every month has them)")]
    Day,
    /// A number out of its range (the message of `config::within`: the key and the range).
    #[error("{0}")]
    Range(String),
    /// The scheduler could not start: what it was doing and why.
    #[error("{what}: {reason}")]
    Start {
        /// What failed.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// The configuration's own checks (`config::Settings::check`) still gather their messages as
/// text; a schedule problem joins them as its message.
impl From<ScheduleError> for String {
    fn from(e: ScheduleError) -> String {
        e.to_string()
    }
}

impl ScheduleConfig {
    /// Checks every key; the error names it.
    pub fn check(&self) -> Result<(), ScheduleError> {
        self.zone()?;
        for (key, expr) in [
            ("ingesta", &self.ingesta),
            ("informes", &self.informes),
            ("recordatorios", &self.recordatorios),
        ] {
            parse_cron(expr).map_err(|e| ScheduleError::Key {
                key,
                source: Box::new(e),
            })?;
        }
        for (key, month) in [
            ("informes_desde", &self.informes_desde),
            ("informes_hasta", &self.informes_hasta),
        ] {
            if let Some(m) = month {
                parse_month(m).ok_or_else(|| ScheduleError::Month {
                    key,
                    value: m.clone(),
                })?;
            }
        }
        if !(1..=28).contains(&self.dia_recordatorio) || !(1..=28).contains(&self.dia_limite) {
            return Err(ScheduleError::Day);
        }
        crate::config::within(
            "programacion.reintentos_max",
            u64::from(self.reintentos_max),
            1,
            u64::from(MAX_ATTEMPTS),
        )
        .map_err(ScheduleError::Range)?;
        crate::config::within(
            "programacion.reintento_inicial_segundos",
            self.reintento_inicial_segundos,
            1,
            MAX_RETRY_SECONDS,
        )
        .map_err(ScheduleError::Range)?;
        crate::config::within(
            "programacion.reintento_max_segundos",
            self.reintento_max_segundos,
            self.reintento_inicial_segundos,
            MAX_RETRY_SECONDS,
        )
        .map_err(|e| ScheduleError::Range(format!("{e} (at least reintento_inicial_segundos)")))?;
        Ok(())
    }

    /// The time zone.
    pub fn zone(&self) -> Result<Tz, ScheduleError> {
        Tz::from_str(&self.zona_horaria).map_err(|_| ScheduleError::Zone(self.zona_horaria.clone()))
    }

    /// The wait before attempt `attempts + 1` after `attempts` failed ones (exponential,
    /// capped); `None` when no attempt is left.
    pub fn retry_delay_seconds(&self, attempts: u32) -> Option<u64> {
        if attempts >= self.reintentos_max {
            return None;
        }
        Some(self.backoff_seconds(attempts))
    }

    /// The wait after `failures` consecutive failures of the mail setup (the password, TLS,
    /// the server unreachable): the same doubling and cap as a recipient's retries, but never
    /// giving up, since no recipient is at fault and every delivery waits for it.
    pub fn setup_delay_seconds(&self, failures: u32) -> u64 {
        self.backoff_seconds(failures.max(1))
    }

    fn backoff_seconds(&self, attempts: u32) -> u64 {
        let factor = 1u64
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u64::MAX);
        self.reintento_inicial_segundos
            .saturating_mul(factor)
            .min(self.reintento_max_segundos)
    }
}

/// A six-field cron expression (seconds first), as the scheduler reads it.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, ScheduleError> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| ScheduleError::Cron {
            expr: expr.to_string(),
            reason: e.to_string(),
        })
}

/// The next time `expr` fires after `after`, read on the wall clock of `zone` (a time a
/// daylight-saving change skips runs at the first instant after the gap; a repeated hour runs
/// once).
pub fn next_run(expr: &str, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(expr).ok()?;
    cron.find_next_occurrence(&after.with_timezone(&zone), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `YYYY-MM` as a month period.
pub fn parse_month(s: &str) -> Option<Period> {
    match Period::parse(s.trim()) {
        Some(p @ Period::Month(..)) => Some(p),
        _ => None,
    }
}

/// The month containing `date`.
fn month_of(date: NaiveDate) -> Option<Period> {
    parse_month(&format!("{:04}-{:02}", date.year(), date.month()))
}

/// Every month whose report is due at `now`: from `first` to the last month that has closed
/// on the wall clock of `zone` (a month closes at midnight of its last day), capped at
/// `last`; oldest first.
pub fn due_months(
    first: Period,
    last: Option<Period>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Vec<Period> {
    let today = now.with_timezone(&zone).date_naive();
    let Some(current) = month_of(today) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut m = first;
    while m.end() < current.start() {
        if last.is_some_and(|l| m.start() > l.start()) {
            break;
        }
        out.push(m);
        match m.end().succ_opt().and_then(month_of) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// The month a reminder at `now` is about: the one just closed, from `day` of the next month
/// on (wall clock of `zone`); `None` before that day.
pub fn reminder_month(now: DateTime<Utc>, zone: Tz, day: u32) -> Option<Period> {
    let today = now.with_timezone(&zone).date_naive();
    if today.day() < day {
        return None;
    }
    month_of(today.with_day(1)?.pred_opt()?)
}

/// The UTC offset of `zone` at `at`, in seconds.
pub fn offset_seconds(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// What woke the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Time to ingest the sources.
    Ingest,
    /// Time to build and send due reports.
    Reports,
    /// Time to look for reminders.
    Reminders,
}

/// Runs the jobs on their schedule until `shutdown` is set (by SIGTERM or Ctrl-C, or by the
/// caller): `work` is called once at start for every job (catch-up) and then at each wake-up,
/// on this thread, one job at a time. A shutdown lets the current job finish.
///
/// tokio-cron-scheduler reads a job's time zone as the fixed offset it had when the job was
/// made, so across a daylight-saving change its jobs would fire an hour off; the jobs are made
/// again whenever the zone's offset changes (checked every minute).
pub fn run(
    cfg: &ScheduleConfig,
    shutdown: Arc<AtomicBool>,
    work: &mut dyn FnMut(Wake),
) -> Result<(), ScheduleError> {
    let zone = cfg.zone()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| start_failed("no se pudo crear el planificador", e))?;
    let (tx, rx) = std::sync::mpsc::channel::<Option<Wake>>();
    // The handlers are installed here, before any work starts, so a stop asked for at any
    // moment after start-up is a clean one.
    #[cfg(unix)]
    let stop_signals = {
        use tokio::signal::unix::{signal, SignalKind};
        let _entered = runtime.enter();
        let interrupt = signal(SignalKind::interrupt())
            .map_err(|e| start_failed("no se puede escuchar Ctrl-C", e))?;
        let terminate = signal(SignalKind::terminate())
            .map_err(|e| start_failed("no se puede escuchar SIGTERM", e))?;
        (interrupt, terminate)
    };
    {
        let shutdown = shutdown.clone();
        let tx = tx.clone();
        runtime.spawn(async move {
            #[cfg(unix)]
            {
                let (mut interrupt, mut terminate) = stop_signals;
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            info!("señal de parada recibida: se termina el trabajo en curso");
            shutdown.store(true, Ordering::SeqCst);
            let _ = tx.send(None);
        });
    }
    let jobs = [
        (Wake::Ingest, cfg.ingesta.clone()),
        (Wake::Reports, cfg.informes.clone()),
        (Wake::Reminders, cfg.recordatorios.clone()),
    ];
    let scheduler = runtime.block_on(async {
        let sched = tokio_cron_scheduler::JobScheduler::new()
            .await
            .map_err(|e| start_failed("no se pudo crear el planificador", e))?;
        let mut ids = add_jobs(&sched, &jobs, zone, &tx).await?;
        sched
            .start()
            .await
            .map_err(|e| start_failed("no se pudo arrancar el planificador", e))?;
        // Remake the jobs when the zone's offset changes (see above).
        let watcher_sched = sched.clone();
        let watcher_tx = tx.clone();
        let watcher_jobs = jobs.clone();
        let watcher_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut offset = offset_seconds(zone, Utc::now());
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                if watcher_shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let now_offset = offset_seconds(zone, Utc::now());
                if now_offset != offset {
                    info!(
                        antes = offset,
                        ahora = now_offset,
                        "cambio de horario: se reprograman los trabajos"
                    );
                    for id in ids.drain(..) {
                        let _ = watcher_sched.remove(&id).await;
                    }
                    match add_jobs(&watcher_sched, &watcher_jobs, zone, &watcher_tx).await {
                        Ok(new) => ids = new,
                        Err(e) => warn!(error = %e, "no se pudieron reprogramar los trabajos"),
                    }
                    offset = now_offset;
                }
            }
        });
        Ok::<_, ScheduleError>(sched)
    })?;

    // Catch-up at start: everything that is due is done now, not at the next fire.
    for wake in [Wake::Ingest, Wake::Reports, Wake::Reminders] {
        if shutdown.load(Ordering::SeqCst) {
            break;
        }
        work(wake);
    }
    while !shutdown.load(Ordering::SeqCst) {
        match rx.recv() {
            Ok(Some(wake)) => {
                if !shutdown.load(Ordering::SeqCst) {
                    work(wake);
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    runtime.block_on(async {
        let mut sched = scheduler;
        let _ = sched.shutdown().await;
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    Ok(())
}

/// The scheduler could not start while doing `what`.
fn start_failed(what: &'static str, e: impl std::fmt::Display) -> ScheduleError {
    ScheduleError::Start {
        what,
        reason: e.to_string(),
    }
}

async fn add_jobs(
    sched: &tokio_cron_scheduler::JobScheduler,
    jobs: &[(Wake, String)],
    zone: Tz,
    tx: &std::sync::mpsc::Sender<Option<Wake>>,
) -> Result<Vec<uuid::Uuid>, ScheduleError> {
    let mut ids = Vec::new();
    for (wake, expr) in jobs {
        let wake = *wake;
        let tx = tx.clone();
        let job =
            tokio_cron_scheduler::Job::new_async_tz(expr.as_str(), zone, move |_id, _sched| {
                let tx = tx.clone();
                Box::pin(async move {
                    // A wake-up while a job runs waits in the channel; the worker takes them in order.
                    let _ = tx.send(Some(wake));
                })
            })
            .map_err(|e| ScheduleError::Cron {
                expr: expr.clone(),
                reason: e.to_string(),
            })?;
        ids.push(
            sched
                .add(job)
                .await
                .map_err(|e| start_failed("no se pudo programar un trabajo", e))?,
        );
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_months_due_are_the_closed_ones_on_the_zones_clock() {
        let ba = Tz::America__Argentina__Buenos_Aires;
        let jan = parse_month("2019-01").unwrap_or(Period::Year(0));
        // 1 April 02:00 UTC is still 31 March in Buenos Aires (UTC-3): March is not closed.
        let names = |v: Vec<Period>| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            names(due_months(jan, None, utc("2019-04-01T02:00:00Z"), ba)),
            ["2019-01", "2019-02"]
        );
        assert_eq!(
            names(due_months(jan, None, utc("2019-04-01T03:00:00Z"), ba)),
            ["2019-01", "2019-02", "2019-03"]
        );
        assert_eq!(
            names(due_months(
                jan,
                parse_month("2019-02"),
                utc("2019-09-01T03:00:00Z"),
                ba
            )),
            ["2019-01", "2019-02"]
        );
        assert!(due_months(jan, None, utc("2019-01-31T12:00:00Z"), ba).is_empty());
    }

    #[test]
    fn reminders_are_about_the_month_just_closed_from_the_chosen_day() {
        let ba = Tz::America__Argentina__Buenos_Aires;
        assert_eq!(reminder_month(utc("2019-04-04T12:00:00Z"), ba, 5), None);
        assert_eq!(
            reminder_month(utc("2019-04-05T12:00:00Z"), ba, 5)
                .map(|p| p.to_string())
                .as_deref(),
            Some("2019-03")
        );
        assert_eq!(
            reminder_month(utc("2019-01-20T12:00:00Z"), ba, 5)
                .map(|p| p.to_string())
                .as_deref(),
            Some("2018-12")
        );
    }

    #[test]
    fn across_daylight_saving_changes_a_daily_job_runs_once_a_day_at_its_wall_clock_time() {
        // Madrid: 31 March 2019 02:00 → 03:00 (spring), 27 October 2019 03:00 → 02:00 (autumn).
        let madrid = Tz::Europe__Madrid;
        for (expr, from, days, hour) in [
            ("0 30 6 * * *", "2019-03-29T00:00:00Z", 4, 6),
            ("0 30 6 * * *", "2019-10-25T00:00:00Z", 4, 6),
            ("0 30 2 * * *", "2019-10-25T00:00:00Z", 4, 2),
        ] {
            let mut at = utc(from);
            let mut seen = Vec::new();
            for _ in 0..days {
                let Some(next) = next_run(expr, madrid, at) else {
                    panic!("{expr} never runs")
                };
                seen.push(next.with_timezone(&madrid));
                at = next;
            }
            let dates: Vec<_> = seen.iter().map(|t| t.date_naive()).collect();
            for pair in dates.windows(2) {
                assert_eq!(
                    (pair[1] - pair[0]).num_days(),
                    1,
                    "{expr}: one run per day, got {seen:?}"
                );
            }
            assert!(
                seen.iter()
                    .all(|t| t.format("%H").to_string() == format!("{hour:02}")),
                "{expr}: at {hour} h on the wall clock: {seen:?}"
            );
        }
        // 02:30 does not exist on 31 March 2019 in Madrid: the job still runs that day.
        let mut at = utc("2019-03-30T12:00:00Z");
        let mut days = Vec::new();
        for _ in 0..3 {
            let Some(next) = next_run("0 30 2 * * *", madrid, at) else {
                panic!("never runs")
            };
            days.push(next.with_timezone(&madrid).date_naive().to_string());
            at = next;
        }
        assert_eq!(days, ["2019-03-31", "2019-04-01", "2019-04-02"]);
        // The offset changes, so the daemon remakes its jobs.
        assert_ne!(
            offset_seconds(madrid, utc("2019-03-31T00:30:00Z")),
            offset_seconds(madrid, utc("2019-03-31T01:30:00Z"))
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap_and_stop() {
        let cfg = ScheduleConfig {
            reintentos_max: 5,
            reintento_inicial_segundos: 60,
            reintento_max_segundos: 300,
            ..ScheduleConfig::default()
        };
        let delays: Vec<Option<u64>> = (1..=5).map(|a| cfg.retry_delay_seconds(a)).collect();
        assert_eq!(delays, [Some(60), Some(120), Some(240), Some(300), None]);
        let setup: Vec<u64> = (1..=7).map(|f| cfg.setup_delay_seconds(f)).collect();
        assert_eq!(
            setup,
            [60, 120, 240, 300, 300, 300, 300],
            "a setup problem is waited out, never given up"
        );
        assert_eq!(cfg.setup_delay_seconds(u32::MAX), 300);
    }

    #[test]
    fn a_bad_zone_or_cron_names_its_key() {
        let bad = ScheduleConfig {
            zona_horaria: "Buenos Aires".into(),
            ..ScheduleConfig::default()
        };
        assert!(bad
            .check()
            .unwrap_err()
            .to_string()
            .contains("programacion.zona_horaria"));
        let bad = ScheduleConfig {
            informes: "0 6 * * *".into(),
            ..ScheduleConfig::default()
        };
        assert!(bad
            .check()
            .unwrap_err()
            .to_string()
            .contains("programacion.informes"));
        assert!(ScheduleConfig::default().check().is_ok());
    }
}
