//! The delivery ledger by hand and for alerts: whom a row is for, `participa entregas` and its
//! re-queueing, and the alert queued when a delivery fails for good.

use super::*;

impl Daemon<'_> {
    /// Enqueues an alert to every administrator about `d`, failed for good (the message quotes
    /// the ledger row, with its last error). A delivery put back in the queue by hand that
    /// fails again is alerted again.
    pub(super) fn alert(&mut self, d: &Delivery, now: DateTime<Utc>) -> Result<(), DaemonError> {
        for admin in &self.config.settings.correo.administradores {
            let mut clave = format!("{}/{}/{}", d.tipo, d.clave, d.destinatario);
            if d.reencolados > 0 {
                clave.push_str(&format!("+{}", d.reencolados));
            }
            self.store.ledger_add(&NewDelivery {
                tipo: ALERT.into(),
                clave,
                destinatario: recipient_key(admin),
                message_id: String::new(),
                creado_en: rfc(now),
                contenido: None,
            })?;
        }
        Ok(())
    }

    /// The configured address behind a ledger recipient key.
    pub(super) fn address(&self, d: &Delivery) -> Option<String> {
        let s = &self.config.settings;
        let candidates: Vec<&String> = match d.tipo.as_str() {
            REPORT => s.correo.destinatarios.iter().collect(),
            ALERT => s.correo.administradores.iter().collect(),
            _ => s
                .organismos
                .values()
                .filter_map(|o| o.email.as_ref())
                .collect(),
        };
        candidates
            .into_iter()
            .find(|a| recipient_key(a) == d.destinatario)
            .cloned()
    }
}

/// One ledger row as `participa entregas` shows it: the row, and what it is about.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    /// The ledger row.
    #[serde(flatten)]
    pub entrega: Delivery,
    /// The month (or period) it is about: a report's, a reminder's.
    pub periodo: Option<String>,
    /// The organismo it is for: feedback, reminders.
    pub organismo: Option<String>,
}

/// What a ledger key says: (period, organismo).
fn about(tipo: &str, clave: &str) -> (Option<String>, Option<String>) {
    match tipo {
        REPORT => (clave.split_once('/').map(|(p, _)| p.to_string()), None),
        REMINDER => clave.rsplit_once('/').map_or((None, None), |(o, m)| {
            (Some(m.to_string()), Some(o.to_string()))
        }),
        FEEDBACK => (
            None,
            Some(clave.split_once('/').map_or(clave, |(o, _)| o).to_string()),
        ),
        // `tipo/clave/destinatario`: what the alert is about.
        ALERT => match clave
            .rsplit_once('/')
            .and_then(|(head, _)| head.split_once('/'))
        {
            Some((t, c)) if t != ALERT => about(t, c),
            _ => (None, None),
        },
        _ => (None, None),
    }
}

fn view(d: Delivery) -> DeliveryView {
    let (periodo, organismo) = about(&d.tipo, &d.clave);
    DeliveryView {
        entrega: d,
        periodo,
        organismo,
    }
}

/// `participa entregas`: every ledger row, oldest first, and the mail setup problem, if any.
pub fn deliveries(
    config: &Config,
) -> Result<(Vec<DeliveryView>, Option<MailProblemStatus>), DaemonError> {
    let mut store = open_store(config)?;
    let ledger = store.ledger(None)?;
    let waiting = ledger.iter().filter(|d| d.estado == PENDING).count();
    let problem = store
        .mail_problem()?
        .map(|p| problem_status(config, p, waiting));
    Ok((ledger.into_iter().map(view).collect(), problem))
}

/// Which failed deliveries to put back in the queue.
#[derive(Debug, Clone)]
pub enum Requeue {
    /// One, by id.
    Id(i64),
    /// Those about a month (reports and reminders), `2019-03`.
    Period(String),
    /// Every failed one.
    Failed,
}

/// What `participa entregas reintentar` did.
#[derive(Debug)]
pub struct Requeued {
    /// Put back in the queue.
    pub requeued: Vec<DeliveryView>,
    /// Named (by id or period) but not failed, so left as they are.
    pub not_failed: Vec<DeliveryView>,
}

/// `participa entregas reintentar`: puts the chosen failed deliveries back in the queue
/// (pending, due now, their attempts counted from zero), through the ledger: only a failed
/// row moves, so asking twice re-queues once. The daemon or `run --once` sends them.
pub fn requeue(config: &Config, which: &Requeue) -> Result<Requeued, DaemonError> {
    let mut store = open_store(config)?;
    let ledger: Vec<DeliveryView> = store.ledger(None)?.into_iter().map(view).collect();
    let chosen: Vec<DeliveryView> = match which {
        Requeue::Id(id) => {
            let found: Vec<DeliveryView> =
                ledger.into_iter().filter(|v| v.entrega.id == *id).collect();
            if found.is_empty() {
                return Err(DaemonError::NotFound(format!(
                    "no hay ninguna entrega con id {id} (`participa entregas` las lista)"
                )));
            }
            found
        }
        Requeue::Period(p) => {
            let month = schedule::parse_month(p)
                .map(|m| m.to_string())
                .ok_or_else(|| {
                    DaemonError::NotFound(format!("--periodo «{p}»: se escribe como 2019-03"))
                })?;
            ledger
                .into_iter()
                .filter(|v| v.periodo.as_deref() == Some(month.as_str()))
                .collect()
        }
        Requeue::Failed => ledger
            .into_iter()
            .filter(|v| v.entrega.estado == FAILED)
            .collect(),
    };
    let ids: Vec<i64> = chosen
        .iter()
        .filter(|v| v.entrega.estado == FAILED)
        .map(|v| v.entrega.id)
        .collect();
    let moved = store.ledger_requeue(&ids)?;
    let (mut requeued, mut not_failed) = (Vec::new(), Vec::new());
    for mut v in chosen {
        if moved.contains(&v.entrega.id) {
            v.entrega.estado = PENDING.into();
            v.entrega.intentos = 0;
            v.entrega.proximo_intento_en = None;
            v.entrega.reencolados += 1;
            info!(id = v.entrega.id, tipo = %v.entrega.tipo, clave = %v.entrega.clave, "entrega fallida puesta de nuevo en la cola");
            requeued.push(v);
        } else {
            not_failed.push(v);
        }
    }
    Ok(Requeued {
        requeued,
        not_failed,
    })
}
