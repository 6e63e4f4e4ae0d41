//! `participa run [--once]`: the daemon (see `pipeline::daemon` and `schedule`).

use crate::config::Config;
use crate::pipeline;

/// Runs the daemon until SIGTERM or Ctrl-C, or every job once with `once`.
pub fn run(config: &Config, once: bool) -> anyhow::Result<i32> {
    pipeline::daemon::run(config, once)?;
    Ok(0)
}
