//! Months, periods and dates in words: «marzo de 2019», «primer trimestre de 2019»,
//! «10 de abril de 2019» (and in English).

use chrono::{Datelike, NaiveDate};

use super::Lang;
use crate::indicators::period::{Month, Period};

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The month's name: «marzo» / «March».
pub fn month_name(month: u32, lang: Lang) -> &'static str {
    let i = (month as usize).saturating_sub(1).min(11);
    lang.pick(MONTHS_ES[i], MONTHS_EN[i])
}

/// «marzo de 2019» / «March 2019».
pub fn month_label(m: Month, lang: Lang) -> String {
    let name = month_name(m.month, lang);
    match lang {
        Lang::Es => format!("{name} de {}", m.year),
        Lang::En => format!("{name} {}", m.year),
    }
}

/// «mar 2019» / «Mar 2019», for chart axes.
pub fn month_short(m: Month, lang: Lang) -> String {
    let name: String = month_name(m.month, lang).chars().take(3).collect();
    format!("{name} {}", m.year)
}

/// A period for people: «marzo de 2019», «primer trimestre de 2019», «2019» (and in English).
pub fn period_label(p: Period, lang: Lang) -> String {
    match p {
        Period::Month(m) => month_label(m, lang),
        Period::Quarter(y, q) => {
            let i = (q as usize).saturating_sub(1).min(3);
            match lang {
                Lang::Es => {
                    let nth = ["primer", "segundo", "tercer", "cuarto"][i];
                    format!("{nth} trimestre de {y}")
                }
                Lang::En => {
                    let nth = ["First", "Second", "Third", "Fourth"][i];
                    format!("{nth} quarter of {y}")
                }
            }
        }
        Period::Year(y) => y.to_string(),
    }
}

/// A date in words, as a letter writes it: «10 de abril de 2019» / «10 April 2019».
pub fn long_date(d: NaiveDate, lang: Lang) -> String {
    let name = month_name(d.month(), lang);
    match lang {
        Lang::Es => format!("{} de {name} de {}", d.day(), d.year()),
        Lang::En => format!("{} {name} {}", d.day(), d.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_periods_and_dates_in_words() {
        let march = Month {
            year: 2019,
            month: 3,
        };
        assert_eq!(month_label(march, Lang::Es), "marzo de 2019");
        assert_eq!(month_label(march, Lang::En), "March 2019");
        assert_eq!(month_short(march, Lang::Es), "mar 2019");
        let q = Period::parse("2019-Q1").map(|p| period_label(p, Lang::En));
        assert_eq!(q.as_deref(), Some("First quarter of 2019"));
        let q = Period::parse("2019-Q3").map(|p| period_label(p, Lang::Es));
        assert_eq!(q.as_deref(), Some("tercer trimestre de 2019"));
        let d = NaiveDate::from_ymd_opt(2019, 4, 10).unwrap_or_default();
        assert_eq!(long_date(d, Lang::Es), "10 de abril de 2019");
        assert_eq!(long_date(d, Lang::En), "10 April 2019");
    }
}
