//! Report periods: a month (`2019-03`), a quarter (`2019-Q1`, also `2019-T1`) or a year
//! (`2019`). Their names for people are `text::calendar`'s.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
        (y.len() == 4 && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    /// The month holding `d`.
    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// First day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A report period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// A month.
    Month(Month),
    /// A quarter, 1–4.
    Quarter(i32, u32),
    /// A year.
    Year(i32),
}

impl Period {
    /// Parses `2019-03`, `2019-Q1` / `2019-T1` or `2019`.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if s.len() == 4 {
            return s.parse().ok().filter(|y| *y > 0).map(Period::Year);
        }
        if let Some((y, q)) = s.split_once('-') {
            if let Some(q) = q.strip_prefix(['Q', 'q', 'T', 't']) {
                let (year, quarter) = (y.parse::<i32>().ok()?, q.parse::<u32>().ok()?);
                return (y.len() == 4 && (1..=4).contains(&quarter))
                    .then_some(Period::Quarter(year, quarter));
            }
        }
        Month::parse(s).map(Period::Month)
    }

    /// First month.
    pub fn first_month(self) -> Month {
        match self {
            Period::Month(m) => m,
            Period::Quarter(y, q) => Month {
                year: y,
                month: (q - 1) * 3 + 1,
            },
            Period::Year(y) => Month { year: y, month: 1 },
        }
    }

    /// Last month.
    pub fn last_month(self) -> Month {
        match self {
            Period::Month(m) => m,
            Period::Quarter(y, q) => Month {
                year: y,
                month: q * 3,
            },
            Period::Year(y) => Month { year: y, month: 12 },
        }
    }

    /// First day.
    pub fn start(self) -> NaiveDate {
        self.first_month().first_day()
    }

    /// Last day (inclusive).
    pub fn end(self) -> NaiveDate {
        self.last_month().last_day()
    }

    /// Every month of the period, in order.
    pub fn months(self) -> Vec<Month> {
        let mut out = vec![self.first_month()];
        while let Some(last) = out.last().copied().filter(|m| *m < self.last_month()) {
            out.push(last.next());
        }
        out
    }

    /// True once the period's last day is over on `today`.
    pub fn is_closed(self, today: NaiveDate) -> bool {
        today > self.end()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => write!(f, "{m}"),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_span_their_days() {
        let p = Period::parse("2019-03").expect("month");
        assert_eq!(
            (p.start().to_string(), p.end().to_string()),
            ("2019-03-01".into(), "2019-03-31".into())
        );
        let q = Period::parse("2019-Q1").expect("quarter");
        assert_eq!(q, Period::parse("2019-t1").expect("quarter in Spanish"));
        assert_eq!(
            (q.start().to_string(), q.end().to_string()),
            ("2019-01-01".into(), "2019-03-31".into())
        );
        assert_eq!(q.months().len(), 3);
        let y = Period::parse("2020").expect("year");
        assert_eq!(y.end().to_string(), "2020-12-31");
        assert_eq!(
            Period::parse("2019-02").map(|p| p.end().to_string()),
            Some("2019-02-28".into())
        );
        for bad in ["2019-13", "19-03", "2019-Q5", "marzo", "", "2019-00"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert!(!p.is_closed(NaiveDate::from_ymd_opt(2019, 3, 31).unwrap_or_default()));
        assert!(p.is_closed(NaiveDate::from_ymd_opt(2019, 4, 1).unwrap_or_default()));
    }
}
