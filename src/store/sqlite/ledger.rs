//! The service's bookkeeping in the store: the delivery ledger (`entregas`), the mail problem
//! that holds it (`problema_correo`), the queue of reports waiting to be sent
//! (`informes_encolados`), the issue date of each report (`informes`) and the jobs' last runs
//! (`trabajos`). Free functions over the connection, called by [`super::SqliteStore`]'s
//! [`Store`](super::Store) methods of the same names.
//!
//! Only these tables: it must not touch the files, versions and rows, nor the copy index.

use rusqlite::{params, Connection, OptionalExtension};

use super::super::{Delivery, JobRun, MailProblem, NewDelivery, QueuedReport, StoreError};

/// A pending ledger row, unless the same message to the same recipient has one; true when
/// added.
pub(super) fn insert_delivery(conn: &Connection, e: &NewDelivery) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO entregas (tipo, clave, destinatario, message_id, estado, creado_en, contenido) VALUES (?1, ?2, ?3, ?4, 'pendiente', ?5, ?6)
         ON CONFLICT (tipo, clave, destinatario) DO NOTHING",
        params![e.tipo, e.clave, e.destinatario, e.message_id, e.creado_en, e.contenido],
    )?;
    Ok(n == 1)
}

pub(super) fn record_report(
    conn: &mut Connection,
    period: &str,
    lang: &str,
    data_version: &str,
    today: &str,
    built_at: &str,
) -> Result<String, StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO informes (periodo, idioma, emitido_en, version_datos, construido_en) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (periodo, idioma) DO UPDATE SET version_datos = excluded.version_datos, construido_en = excluded.construido_en",
        params![period, lang, today, data_version, built_at],
    )?;
    let issued: String = tx.query_row(
        "SELECT emitido_en FROM informes WHERE periodo = ?1 AND idioma = ?2",
        params![period, lang],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(issued)
}

pub(super) fn ledger(
    conn: &Connection,
    only_due_at: Option<&str>,
) -> Result<Vec<Delivery>, StoreError> {
    let sql = "SELECT id, tipo, clave, destinatario, message_id, estado, intentos, proximo_intento_en, ultimo_error, enviado_en, respuesta, creado_en, reencolados, contenido
               FROM entregas WHERE (?1 IS NULL OR (estado = 'pendiente' AND (proximo_intento_en IS NULL OR proximo_intento_en <= ?1)))
               ORDER BY id";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![only_due_at], |r| {
        Ok(Delivery {
            id: r.get(0)?,
            tipo: r.get(1)?,
            clave: r.get(2)?,
            destinatario: r.get(3)?,
            message_id: r.get(4)?,
            estado: r.get(5)?,
            intentos: r.get(6)?,
            proximo_intento_en: r.get(7)?,
            ultimo_error: r.get(8)?,
            enviado_en: r.get(9)?,
            respuesta: r.get(10)?,
            creado_en: r.get(11)?,
            reencolados: r.get(12)?,
            contenido: r.get(13)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn ledger_sent(
    conn: &Connection,
    id: i64,
    at: &str,
    reply: &str,
    message_id: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE entregas SET estado = 'enviado', intentos = intentos + 1, enviado_en = ?2, respuesta = ?3, message_id = ?4, proximo_intento_en = NULL WHERE id = ?1",
        params![id, at, reply, message_id],
    )?;
    Ok(())
}

pub(super) fn ledger_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    next_attempt_at: Option<&str>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE entregas SET intentos = intentos + 1, ultimo_error = ?2, proximo_intento_en = ?3,
                estado = CASE WHEN ?3 IS NULL THEN 'fallido' ELSE 'pendiente' END
         WHERE id = ?1",
        params![id, error, next_attempt_at],
    )?;
    Ok(())
}

pub(super) fn ledger_requeue(conn: &mut Connection, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    let tx = conn.transaction()?;
    let mut requeued = Vec::new();
    {
        // Only a failed row moves: a second request for the same rows finds them pending
        // (or sent) and changes nothing.
        let mut stmt = tx.prepare_cached(
            "UPDATE entregas SET estado = 'pendiente', intentos = 0, proximo_intento_en = NULL, reencolados = reencolados + 1
             WHERE id = ?1 AND estado = 'fallido'",
        )?;
        for &id in ids {
            if stmt.execute([id])? == 1 {
                requeued.push(id);
            }
        }
    }
    tx.commit()?;
    Ok(requeued)
}

pub(super) fn mail_problem(conn: &Connection) -> Result<Option<MailProblem>, StoreError> {
    Ok(conn
        .query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row)
        .optional()?)
}

pub(super) fn mail_problem_failed(
    conn: &mut Connection,
    at: &str,
    error: &str,
    next_attempt_at: &str,
) -> Result<(MailProblem, usize), StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO problema_correo (id, error, desde, ultimo_fallo, fallos, proximo_intento_en) VALUES (1, ?1, ?2, ?2, 1, ?3)
         ON CONFLICT (id) DO UPDATE SET error = excluded.error, ultimo_fallo = excluded.ultimo_fallo, fallos = problema_correo.fallos + 1,
                                        proximo_intento_en = excluded.proximo_intento_en",
        params![error, at, next_attempt_at],
    )?;
    let waiting = hold_pending(&tx, next_attempt_at, error)?;
    let problem = tx.query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row)?;
    tx.commit()?;
    Ok((problem, waiting))
}

pub(super) fn ledger_hold(
    conn: &Connection,
    until: &str,
    error: &str,
) -> Result<usize, StoreError> {
    hold_pending(conn, until, error)
}

pub(super) fn mail_problem_cleared(
    conn: &mut Connection,
) -> Result<Option<MailProblem>, StoreError> {
    let tx = conn.transaction()?;
    let problem = tx.query_row("SELECT error, desde, ultimo_fallo, fallos, proximo_intento_en FROM problema_correo WHERE id = 1", [], mail_problem_row).optional()?;
    tx.execute("DELETE FROM problema_correo", [])?;
    tx.commit()?;
    Ok(problem)
}

pub(super) fn report_enqueued(conn: &Connection, clave: &str) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM informes_encolados WHERE clave = ?1",
        params![clave],
        |r| r.get::<_, i64>(0),
    )? > 0)
}

pub(super) fn enqueue_report(
    conn: &mut Connection,
    clave: &str,
    entries: &[NewDelivery],
    at: &str,
    content: &QueuedReport,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for e in entries {
        insert_delivery(&tx, e)?;
    }
    tx.execute(
        "INSERT INTO informes_encolados (clave, encolado_en, contenido, pdf, xlsx) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (clave) DO NOTHING",
        params![clave, at, content.contenido, content.pdf, content.xlsx],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn queued_report(
    conn: &Connection,
    clave: &str,
) -> Result<Option<QueuedReport>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT contenido, pdf, xlsx FROM informes_encolados WHERE clave = ?1 AND contenido IS NOT NULL",
            params![clave],
            |r| {
                Ok(QueuedReport {
                    contenido: r.get(0)?,
                    pdf: r.get(1)?,
                    xlsx: r.get(2)?,
                })
            },
        )
        .optional()?)
}

pub(super) fn job_ran(
    conn: &Connection,
    name: &str,
    at: &str,
    outcome: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO trabajos (nombre, ultima_ejecucion, resultado) VALUES (?1, ?2, ?3)
         ON CONFLICT (nombre) DO UPDATE SET ultima_ejecucion = excluded.ultima_ejecucion, resultado = excluded.resultado",
        params![name, at, outcome],
    )?;
    Ok(())
}

pub(super) fn jobs(conn: &Connection) -> Result<Vec<JobRun>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT nombre, ultima_ejecucion, resultado FROM trabajos ORDER BY nombre")?;
    let rows = stmt.query_map([], |r| {
        Ok(JobRun {
            nombre: r.get(0)?,
            ultima_ejecucion: r.get(1)?,
            resultado: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Makes every pending delivery that would go before `until` wait until then, with `error` as
/// its last error and its attempts untouched; returns how many deliveries are pending.
fn hold_pending(conn: &Connection, until: &str, error: &str) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE entregas SET proximo_intento_en = ?1, ultimo_error = ?2
         WHERE estado = 'pendiente' AND (proximo_intento_en IS NULL OR proximo_intento_en < ?1)",
        params![until, error],
    )?;
    let waiting: i64 = conn.query_row(
        "SELECT COUNT(*) FROM entregas WHERE estado = 'pendiente'",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(waiting).unwrap_or(0))
}

fn mail_problem_row(r: &rusqlite::Row) -> rusqlite::Result<MailProblem> {
    Ok(MailProblem {
        error: r.get(0)?,
        desde: r.get(1)?,
        ultimo_fallo: r.get(2)?,
        fallos: r.get(3)?,
        proximo_intento_en: r.get(4)?,
    })
}
