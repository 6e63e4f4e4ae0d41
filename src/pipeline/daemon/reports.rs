//! The reports' queue: which months are due, each due month's report built once and queued
//! for every recipient in one transaction, and a queued report's message as it was when
//! queued (`report_mail_of`), which the delivery pass sends.
//!
//! It queues and rebuilds; it must not send (the delivery pass in [`super`] does) nor decide
//! whose a failure is.

use super::*;

impl Daemon<'_> {
    /// The months whose report is due at `now`, oldest first.
    pub fn due_months(&self, now: DateTime<Utc>) -> Result<Vec<Period>, DaemonError> {
        let p = &self.config.settings.programacion;
        let zone = p.zone()?;
        let first = match &p.informes_desde {
            Some(m) => schedule::parse_month(m),
            None => self.config.indicators.start().ok().and_then(|m| schedule::parse_month(&m.to_string())),
        }
        .ok_or_else(|| DaemonError::Config("programacion.informes_desde: falta el primer mes (ni indicadores.toml tiene compromiso.inicio)".into()))?;
        // Without informes_hasta, every closed month up to the last a report may cover
        // (`IndicatorsConfig::months_window`).
        let window_end = self
            .config
            .indicators
            .months_window()
            .ok()
            .map(|(_, last)| Period::Month(last));
        let last = p
            .informes_hasta
            .as_deref()
            .and_then(schedule::parse_month)
            .or(window_end);
        Ok(schedule::due_months(first, last, now, zone))
    }

    /// Builds and enqueues every due month not yet enqueued, oldest first, one at a time,
    /// delivering each before the next.
    pub fn reports(
        &mut self,
        now: DateTime<Utc>,
        shutdown: &AtomicBool,
    ) -> Result<String, DaemonError> {
        let mut done = Vec::new();
        for period in self.due_months(now)? {
            if shutdown.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            if self.enqueue_report(period, now)? {
                done.push(period.to_string());
                self.deliver_due(now, shutdown)?;
            }
        }
        Ok(if done.is_empty() {
            "ningún informe pendiente".into()
        } else {
            format!("informes hechos: {}", done.join(", "))
        })
    }

    /// Builds the period's report and enqueues it for every recipient, unless that was done;
    /// true when it did.
    pub fn enqueue_report(
        &mut self,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<bool, DaemonError> {
        let clave = format!("{period}/{}", self.lang.code());
        if self.store.report_enqueued(&clave)? {
            return Ok(false);
        }
        let span = info_span!("informe_mensual", periodo = %period);
        let _guard = span.enter();
        let zone = self.config.settings.programacion.zone()?;
        let today = crate::clock::date_in(now, zone);
        let files = report(
            self.config,
            &mut self.store,
            period,
            self.lang,
            today,
            &rfc(now),
        )?;
        let cfg = &self.config.settings.correo;
        // What the message says and the files it carries are kept with the queue now, so a
        // retry after an outage sends this report, not one built from what the store holds by
        // then. A failure to make them is not fatal: the message is then made when sent.
        let content = match deliver::report_mail(
            cfg,
            &files.report,
            &deliver::ReportDocs {
                pdf: &files.pdf,
                xlsx: &files.xlsx,
            },
        ) {
            Ok((mail, attachments)) => QueuedReport {
                contenido: serde_json::to_string(&mail).ok(),
                pdf: attachments.as_ref().map(|a| a.pdf.clone()),
                xlsx: attachments.map(|a| a.xlsx),
            },
            Err(e) => {
                warn!(error = %e, "no se pudo guardar el mensaje del informe; se armará al enviarlo");
                QueuedReport::default()
            }
        };
        let entries: Vec<NewDelivery> = cfg
            .destinatarios
            .iter()
            .map(|to| NewDelivery {
                tipo: REPORT.into(),
                clave: clave.clone(),
                destinatario: recipient_key(to),
                message_id: deliver::message_id(
                    &period.to_string(),
                    self.lang.code(),
                    to,
                    &cfg.message_id_domain(),
                ),
                creado_en: rfc(now),
                contenido: None,
            })
            .collect();
        self.store
            .enqueue_report(&clave, &entries, &rfc(now), &content)?;
        info!(
            destinatarios = entries.len(),
            "informe construido y en cola"
        );
        Ok(true)
    }

    /// A report ledger row's message as it was when queued; for a report queued by an older
    /// release, made now from the report's files (built again when one was deleted: the same
    /// data gives the same report).
    pub(super) fn report_mail_of(
        &mut self,
        d: &Delivery,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ReportMailAndFiles, Failure> {
        let unmade = Failure::Message;
        if let Some(q) = self
            .store
            .queued_report(&d.clave)
            .map_err(|e| unmade(e.to_string()))?
        {
            if let Some(mail) = q
                .contenido
                .as_deref()
                .and_then(|c| serde_json::from_str::<deliver::ReportMail>(c).ok())
            {
                let files = match (q.pdf, q.xlsx) {
                    (Some(pdf), Some(xlsx)) => Some(deliver::ReportAttachments { pdf, xlsx }),
                    _ => None,
                };
                return Ok((mail, files));
            }
        }
        let (period, lang) = d
            .clave
            .split_once('/')
            .ok_or_else(|| unmade(format!("clave de informe inválida: {}", d.clave)))?;
        let period =
            Period::parse(period).ok_or_else(|| unmade(format!("período inválido: {period}")))?;
        let lang = Lang::parse(lang).unwrap_or(self.lang);
        let zone = self
            .config
            .settings
            .programacion
            .zone()
            .map_err(|e| unmade(e.to_string()))?;
        let today = crate::clock::date_in(created, zone);
        let out = self
            .config
            .resolve(&self.config.settings.informe.dir_salida);
        let stem = format!("participa-{period}-{}", lang.code());
        let (pdf, xlsx) = (
            out.join(format!("{stem}.pdf")),
            out.join(format!("{stem}.xlsx")),
        );
        let model: Report = if pdf.exists() && xlsx.exists() {
            build_report(self.config, &mut self.store, period, lang, today, &rfc(now))
                .map(|(r, _)| r)
        } else {
            report(self.config, &mut self.store, period, lang, today, &rfc(now)).map(|f| f.report)
        }
        .map_err(|e| unmade(format!("no se pudo armar el informe {period}: {e}")))?;
        deliver::report_mail(
            &self.config.settings.correo,
            &model,
            &deliver::ReportDocs {
                pdf: &pdf,
                xlsx: &xlsx,
            },
        )
        .map_err(|e| unmade(e.to_string()))
    }
}
