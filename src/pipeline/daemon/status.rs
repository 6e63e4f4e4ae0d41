//! `participa status`'s view of the daemon: its jobs, the months due, the deliveries and the
//! mail setup problem.

use super::*;

impl Daemon<'_> {
    /// What the daemon has done and has to do, at `now`.
    pub fn status(&mut self, now: DateTime<Utc>) -> Result<DaemonStatus, DaemonError> {
        let p = self.config.settings.programacion.clone();
        let zone = p.zone()?;
        let runs = self.store.jobs()?;
        let trabajos = [
            ("ingesta", &p.ingesta),
            ("informes", &p.informes),
            ("recordatorios", &p.recordatorios),
        ]
        .into_iter()
        .map(|(name, cron)| {
            let run = runs.iter().find(|r| r.nombre == name);
            JobStatus {
                nombre: name.into(),
                cron: cron.clone(),
                ultima: run.map(|r| r.ultima_ejecucion.clone()),
                resultado: run.map(|r| r.resultado.clone()),
                proxima: schedule::next_run(cron, zone, now).map(rfc),
            }
        })
        .collect();
        let mut meses_pendientes = Vec::new();
        for m in self.due_months(now)? {
            if !self
                .store
                .report_enqueued(&format!("{m}/{}", self.lang.code()))?
            {
                meses_pendientes.push(m.to_string());
            }
        }
        let ledger = self.store.ledger(None)?;
        let entregas_enviadas = ledger.iter().filter(|d| d.estado == "enviado").count();
        let entregas_pendientes = ledger
            .iter()
            .filter(|d| d.estado == "pendiente")
            .cloned()
            .collect();
        let entregas_fallidas = ledger
            .iter()
            .filter(|d| d.estado == "fallido")
            .cloned()
            .collect();
        let closed = schedule::reminder_month(now, zone, 1);
        let organismos_atrasados = match closed {
            Some(m) => self.late_organismos(m)?,
            None => Vec::new(),
        };
        let waiting = ledger.iter().filter(|d| d.estado == PENDING).count();
        let problema_correo = self
            .store
            .mail_problem()?
            .map(|p| problem_status(self.config, p, waiting));
        Ok(DaemonStatus {
            trabajos,
            meses_pendientes,
            entregas_pendientes,
            entregas_fallidas,
            entregas_enviadas,
            organismos_atrasados,
            mes_cerrado: closed.map(|m| m.to_string()),
            problema_correo,
        })
    }
}

/// `participa status`'s view of the daemon.
#[derive(Debug, Serialize)]
pub struct DaemonStatus {
    /// Each job: last run, its outcome, next run.
    pub trabajos: Vec<JobStatus>,
    /// Months whose report is due and not yet built and enqueued.
    pub meses_pendientes: Vec<String>,
    /// Deliveries pending (with their next attempt) or failed.
    pub entregas_pendientes: Vec<Delivery>,
    /// Deliveries failed for good.
    pub entregas_fallidas: Vec<Delivery>,
    /// Deliveries sent.
    pub entregas_enviadas: usize,
    /// Organismos with nothing for the month just closed.
    pub organismos_atrasados: Vec<String>,
    /// The month `organismos_atrasados` is about.
    pub mes_cerrado: Option<String>,
    /// The mail setup problem every delivery waits for, when there is one.
    pub problema_correo: Option<MailProblemStatus>,
}

/// The mail setup problem in [`DaemonStatus`].
#[derive(Debug, Serialize)]
pub struct MailProblemStatus {
    /// «el servidor de correo rechaza la configuración: …», with the server's words.
    pub mensaje: String,
    /// The server's words (or why the transport could not be made).
    pub error: String,
    /// The first failure (RFC 3339, UTC).
    pub desde: String,
    /// The last failure.
    pub ultimo_fallo: String,
    /// Failures in a row.
    pub fallos: i64,
    /// No delivery is tried before this.
    pub proximo_intento_en: String,
    /// Deliveries pending.
    pub entregas_en_espera: usize,
    /// The alert file.
    pub aviso: String,
}

/// One job in [`DaemonStatus`].
#[derive(Debug, Serialize)]
pub struct JobStatus {
    /// ingesta | informes | recordatorios.
    pub nombre: String,
    /// Cron expression.
    pub cron: String,
    /// Last run (RFC 3339, UTC).
    pub ultima: Option<String>,
    /// Its outcome.
    pub resultado: Option<String>,
    /// Next run (RFC 3339, UTC).
    pub proxima: Option<String>,
}
