//! `participa run [--once]`: the daemon (see `pipeline::daemon` and `schedule`).

use std::time::Duration;

use crate::config::Config;
use crate::pipeline::{self, Writer};
use crate::store::lock::DAEMON;

/// Runs the daemon until SIGTERM or Ctrl-C, or every job once with `once`. It never waits for
/// the store: while another process writes it (another daemon, an ingest, a report), it refuses
/// to start, naming that process.
pub fn run(config: &Config, once: bool) -> anyhow::Result<i32> {
    let command = if once {
        format!("{DAEMON} --once")
    } else {
        DAEMON.to_string()
    };
    pipeline::daemon::run(
        config,
        once,
        Writer {
            command,
            wait: Duration::ZERO,
            waiting: &mut |_| {},
        },
    )?;
    Ok(0)
}
