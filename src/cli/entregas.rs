//! `participa entregas [--format text|json]`: the delivery ledger, one line per message and
//! recipient; `participa entregas reintentar --id N | --periodo 2019-03 | --fallidas`: failed
//! deliveries back in the queue (the daemon or `participa run --once` sends them).

use anyhow::bail;

use super::out::OutputError;
use super::Format;
use crate::config::Config;
use crate::pipeline::daemon::{self, DeliveryView, MailProblemStatus, Requeue};

/// Lists the ledger.
pub fn list(config: &Config, format: Format) -> anyhow::Result<i32> {
    let (entregas, problem) = daemon::deliveries(config)?;
    match format {
        Format::Json => say!(
            "{}",
            serde_json::json!({ "entregas": entregas, "problema_correo": problem })
        ),
        Format::Text => {
            if let Some(p) = &problem {
                print_problem(p)?;
            }
            if entregas.is_empty() {
                say!("Todavía no hay entregas.");
                return Ok(0);
            }
            print_table(&entregas)?;
        }
        Format::Csv => bail!("--format: entregas se muestra como text o json"),
    }
    Ok(0)
}

/// Puts failed deliveries back in the queue.
pub fn retry(
    config: &Config,
    id: Option<i64>,
    periodo: Option<String>,
    fallidas: bool,
) -> anyhow::Result<i32> {
    let which = match (id, periodo, fallidas) {
        (Some(id), None, false) => Requeue::Id(id),
        (None, Some(p), false) => Requeue::Period(p),
        (None, None, true) => Requeue::Failed,
        _ => {
            bail!("entregas reintentar: indique una sola de --id N, --periodo 2019-03 o --fallidas")
        }
    };
    let done = daemon::requeue(config, &which)?;
    for v in &done.not_failed {
        say!(
            "La entrega {} ({}) está {}: no se reintenta; solo vuelven a la cola las fallidas.",
            v.entrega.id,
            what(v),
            v.entrega.estado
        );
    }
    if done.requeued.is_empty() {
        say!("Ninguna entrega fallida que volver a poner en la cola.");
        return Ok(0);
    }
    say!("{} entregas vuelven a la cola; salen en la próxima ejecución del daemon (o con `participa run --once`):", done.requeued.len());
    for v in &done.requeued {
        say!(
            "  {} {} → {}",
            v.entrega.id,
            what(v),
            v.entrega.destinatario
        );
    }
    Ok(0)
}

/// «informe 2019-03», «recordatorio 2019-03 ministerio-cultura», «devolucion ministerio-cultura».
fn what(v: &DeliveryView) -> String {
    let mut s = v.entrega.tipo.clone();
    for part in [&v.periodo, &v.organismo].into_iter().flatten() {
        s.push(' ');
        s.push_str(part);
    }
    s
}

/// The setup problem every delivery waits for.
pub fn print_problem(p: &MailProblemStatus) -> Result<(), OutputError> {
    say!("¡Atención! {}", p.mensaje);
    say!(
        "  desde {} ({}); {} entregas esperan, sin perder intentos; próximo intento {}; aviso en {}",
        p.desde,
        daemon::failures_in_a_row(p.fallos),
        p.entregas_en_espera,
        p.proximo_intento_en,
        p.aviso
    );
    Ok(())
}

fn print_table(entregas: &[DeliveryView]) -> Result<(), OutputError> {
    let header = [
        "id",
        "tipo",
        "período u organismo",
        "destinatario",
        "estado",
        "intentos",
        "próximo intento",
        "último error",
    ];
    let rows: Vec<[String; 8]> = entregas
        .iter()
        .map(|v| {
            let d = &v.entrega;
            let about = match (&v.periodo, &v.organismo) {
                (Some(p), Some(o)) => format!("{p} {o}"),
                (Some(p), None) => p.clone(),
                (None, Some(o)) => o.clone(),
                (None, None) => "-".into(),
            };
            let next = if d.estado == "pendiente" {
                d.proximo_intento_en
                    .clone()
                    .unwrap_or_else(|| "ahora".into())
            } else {
                "-".into()
            };
            [
                d.id.to_string(),
                d.tipo.clone(),
                about,
                d.destinatario.clone(),
                d.estado.clone(),
                d.intentos.to_string(),
                next,
                d.ultimo_error.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> Result<(), OutputError> {
        let n = cells.len();
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == n {
                    c.to_string()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        say!("{}", text.join("  ").trim_end());
        Ok(())
    };
    line(header.to_vec())?;
    for r in &rows {
        line(r.iter().map(String::as_str).collect())?;
    }
    Ok(())
}
