//! Reminders: organismos that sent nothing for the month just closed, or sent it with a
//! data-quality finding, get one, from the configured day on; what a reminder says is made
//! when it is queued and kept with its row.

use super::*;

impl Daemon<'_> {
    /// Organismos (with a contact) that have no rows for the month just closed, or a
    /// data-quality finding in it, get one reminder, from the configured day on.
    pub fn reminders(&mut self, now: DateTime<Utc>) -> Result<String, DaemonError> {
        let p = &self.config.settings.programacion;
        let zone = p.zone()?;
        let Some(month) = schedule::reminder_month(now, zone, p.dia_recordatorio) else {
            return Ok("no es día de recordatorios".into());
        };
        let mut queued = 0;
        // Organismos that sent the month with a data-quality finding are reminded too.
        let findings = super::super::report::findings(self.config, &mut self.store, month)?;
        let mut due = self.late_organismos(month)?;
        due.extend(
            findings
                .keys()
                .filter(|o| !due.contains(o))
                .cloned()
                .collect::<Vec<_>>(),
        );
        for org in due {
            let Some(email) = self
                .config
                .settings
                .organismos
                .get(&org)
                .and_then(|o| o.email.clone())
            else {
                continue;
            };
            let mut content = self.reminder_content(&org, month);
            content.hallazgos = findings.get(&org).cloned().unwrap_or_default();
            let contenido = serde_json::to_string(&content).ok();
            if self.queue(REMINDER, format!("{org}/{month}"), &email, now, contenido)? {
                queued += 1;
            }
        }
        Ok(format!("{queued} recordatorios en cola para {month}"))
    }

    /// Configured organismos with no dated rows in `month` in any dataset.
    pub fn late_organismos(&mut self, month: Period) -> Result<Vec<String>, DaemonError> {
        let mut late = Vec::new();
        for org in self.config.settings.organismos.keys() {
            let mut sent = false;
            for ds in &self.config.standard.datasets {
                let Some(dating) = self.config.indicators.datasets.get(&ds.name) else {
                    continue;
                };
                if self.store.has_rows_between(
                    ds,
                    &dating.fecha,
                    org,
                    month.start(),
                    month.end(),
                )? {
                    sent = true;
                    break;
                }
            }
            if !sent {
                late.push(org.clone());
            }
        }
        Ok(late)
    }

    /// The reminder to `org` about `period`, from the configuration as it is now.
    pub(super) fn reminder_content(&self, org: &str, period: Period) -> ReminderContent {
        let name = self.organismo_name(org);
        let next = period.end().succ_opt().unwrap_or(period.end());
        let deadline = NaiveDate::from_ymd_opt(
            next.year(),
            next.month(),
            self.config.settings.programacion.dia_limite,
        )
        .unwrap_or(next);
        ReminderContent {
            organismo: name,
            mes: crate::text::period_label(period, Lang::Es),
            plazo: deadline.format("%Y-%m-%d").to_string(),
            hallazgos: Vec::new(),
        }
    }
}

/// What a reminder says, made when it is enqueued and kept with the ledger row.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct ReminderContent {
    /// The organismo's name.
    pub(super) organismo: String,
    /// «marzo de 2019».
    pub(super) mes: String,
    /// The deadline, `AAAA-MM-DD`.
    pub(super) plazo: String,
    /// Data-quality findings of the month it sent (none: it sent nothing).
    #[serde(default)]
    pub(super) hallazgos: Vec<String>,
}
