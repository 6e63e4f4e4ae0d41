//! What time it is, and what day. Everything that dates something (a report's issue date, a
//! pass's start, a file's modification day) asks here, so that tests and replays can set the
//! time with `PARTICIPA_NOW` (RFC 3339) instead of waiting for it, and so that every date is
//! the day on the configured wall clock (`[programacion] zona_horaria`), never the host's: a
//! date of issue does not depend on who builds the report, or where.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Now, or the time in `PARTICIPA_NOW` when it is set and valid.
pub fn now() -> DateTime<Utc> {
    std::env::var("PARTICIPA_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// Today on the wall clock of `zone` ([`now`]'s day there).
pub fn today(zone: Tz) -> NaiveDate {
    date_in(now(), zone)
}

/// The day `at` falls on on the wall clock of `zone`.
pub fn date_in(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_the_configured_zones_not_utcs() {
        let late = DateTime::parse_from_rfc3339("2019-04-01T01:30:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let buenos_aires: Tz = "America/Argentina/Buenos_Aires".parse().unwrap_or(Tz::UTC);
        assert_eq!(date_in(late, buenos_aires).to_string(), "2019-03-31");
        assert_eq!(date_in(late, Tz::UTC).to_string(), "2019-04-01");
    }
}
