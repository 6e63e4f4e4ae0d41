//! `participa report --period 2019-03 [--lang es|en]`: the period's PDF and XLSX, and its
//! published folder.

use anyhow::bail;

use crate::config::Config;
use crate::indicators::Period;
use crate::pipeline::{self, Writer};
use crate::text::Lang;

/// Builds, writes and publishes the report; prints where the files are and the key figures.
/// The store is held (for the date of issue, the ledger) from before the figures are read to
/// after the files are in place, so two reports, or a report and an ingest, never interleave:
/// it waits for another writer up to `[ingest] espera_bloqueo_segundos`.
pub fn run(config: &Config, period: &str, lang: Option<&str>, send: bool) -> anyhow::Result<i32> {
    let Some(period) = Period::parse(period) else {
        bail!("--period «{period}»: se escribe 2019-03 (un mes), 2019-Q1 (un trimestre) o 2019 (un año)");
    };
    if let Err(e) = config.indicators.check_period(period) {
        bail!("--period: {e}");
    }
    let code = lang.unwrap_or(&config.settings.informe.idioma);
    let Some(lang) = Lang::parse(code) else {
        bail!("--lang «{code}»: los informes se escriben en «es» o «en»");
    };
    pipeline::sweep_leftovers(config);
    let zone = config.settings.programacion.zone()?;
    // The day on the configured wall clock, whatever the host's zone: the date of issue.
    let today = crate::clock::today(zone);
    let now = crate::clock::now();
    if !period.is_closed(today) {
        note!("aviso: el período {period} todavía no cerró; sus cifras pueden cambiar con los archivos que lleguen.");
    }
    let command = format!(
        "participa report --period {period} --lang {}{}",
        lang.code(),
        if send { " --send" } else { "" }
    );
    let wait = config.settings.ingest.lock_wait();
    let mut say_waiting = super::say_waiting(wait);
    let writer = Writer {
        command,
        wait,
        waiting: &mut say_waiting,
    };
    if send {
        // Through the daemon's ledger: a recipient who already has this report does not get
        // it again, whoever sent it.
        let outcome = pipeline::daemon::send_report(config, period, lang, now, writer)?;
        say!("Informe {period} ({}): {outcome}.", lang.code());
        // The report is built and enqueued; its deliveries wait for the mail setup.
        return Ok(if outcome.held.is_some() { 1 } else { 0 });
    }
    let mut store = pipeline::open_store_to_write(config, writer)?;
    let files =
        pipeline::report::report(config, &mut store, period, lang, today, &now.to_rfc3339())?;
    let r = &files.report;
    say!(
        "{} ({} {}, {} {})",
        r.meta.title,
        r.labels.issued.to_lowercase(),
        r.meta.issued_on,
        r.labels.data_version.to_lowercase(),
        r.meta.data_version
    );
    if !r.meta.has_data {
        say!("  {}", r.labels.no_data);
    }
    for f in &r.summary {
        say!("  {}: {}", f.label, f.value_text);
    }
    say!("PDF:        {}", files.pdf.display());
    say!("XLSX:       {}", files.xlsx.display());
    say!("Publicado:  {}", files.published.display());
    Ok(0)
}
