//! What time it is. Everything that dates something (a report's issue date, a pass's start)
//! asks here, so that tests and replays can set the time with `PARTICIPA_NOW` (RFC 3339)
//! instead of waiting for it.

use chrono::{DateTime, Utc};

/// Now, or the time in `PARTICIPA_NOW` when it is set and valid.
pub fn now() -> DateTime<Utc> {
    std::env::var("PARTICIPA_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}
