//! Value rules of STANDARD.md §4: numbers written the Argentine way, day-first dates, periods,
//! comunas in every written form, missing tokens. Pure; no I/O.
//!
//! Every parser takes a [`Cell`] and returns the typed value or a [`ValueError`] naming which
//! message to show; the caller adds file, sheet, row and column.

use chrono::{Datelike, NaiveDate};

use super::fold::fold;
use super::lexicon::Lexicon;
use super::sheet::Cell;

/// Why a value did not parse: each maps to a `type-error.*` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// Not a date at all.
    Date,
    /// Looks like a date but does not exist (`31/02/2019`).
    DateImpossible,
    /// Not a year-month.
    YearMonth,
    /// Not a year.
    Year,
    /// Not a whole number.
    Integer,
    /// Not a number.
    Number,
    /// Not a comuna.
    Comuna,
}

impl ValueError {
    /// The message key in `mensajes.*.json`.
    pub fn message_key(self) -> &'static str {
        match self {
            ValueError::Date => "type-error.date",
            ValueError::DateImpossible => "type-error.date_impossible",
            ValueError::YearMonth => "type-error.yearmonth",
            ValueError::Year => "type-error.year",
            ValueError::Integer => "type-error.integer",
            ValueError::Number => "type-error.number",
            ValueError::Comuna => "type-error.comuna",
        }
    }
}

/// True when the cell means "no data": empty, or a missing token of the lexicon.
pub fn is_missing(cell: &Cell, lex: &Lexicon) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(t) => lex.is_missing_text(t),
        _ => false,
    }
}

/// Parses a number written by a person: `12.0`, ` 45 `, `1.234` (thousands), `1.234,56`,
/// `$ 1.234,56`, `74%`, `5752772.26`.
pub fn parse_number_text(text: &str) -> Option<f64> {
    // Most cells are plain digits: no copy needed.
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.len() <= 15 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.parse::<u64>().ok().map(|n| n as f64);
    }
    let mut t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    for currency in ["ARS", "AR$", "$"] {
        if let Some(rest) = t.strip_prefix(currency) {
            t = rest.to_string();
        }
    }
    if let Some(rest) = t.strip_suffix('%') {
        t = rest.to_string();
    }
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !body.starts_with(|c: char| c.is_ascii_digit())
        || !body.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let normalized = match (dots, commas) {
        (0, 0) => body,
        (_, 0) if dots > 1 => thousands(&body, '.')?,
        (1, 0) => {
            let (int, frac) = body.split_once('.')?;
            // `1.234` is Argentine for one thousand two hundred thirty-four; `12.0`, `0.500`
            // and `5752772.26` are decimals.
            if frac.len() == 3 && (1..=3).contains(&int.len()) && !int.starts_with('0') {
                format!("{int}{frac}")
            } else {
                body
            }
        }
        (0, 1) => body.replace(',', "."),
        (0, _) => thousands(&body, ',')?,
        _ => {
            // Both separators: the last one is the decimal separator.
            let last_dot = body.rfind('.')?;
            let last_comma = body.rfind(',')?;
            let (thousand, decimal) = if last_comma > last_dot {
                ('.', ',')
            } else {
                (',', '.')
            };
            let (int, frac) = body.rsplit_once(decimal)?;
            if frac.contains(thousand) || int.contains(decimal) {
                return None;
            }
            format!("{}.{frac}", thousands(int, thousand)?)
        }
    };
    let value: f64 = normalized.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Removes thousands separators when the groups are well formed (`1.234.567`).
fn thousands(text: &str, sep: char) -> Option<String> {
    let groups: Vec<&str> = text.split(sep).collect();
    let first = groups.first()?;
    if first.is_empty() || first.len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    Some(groups.concat())
}

/// A number from a numeric cell or a text cell.
pub fn parse_number(cell: &Cell) -> Result<f64, ValueError> {
    match cell {
        Cell::Number(n) if n.is_finite() => Ok(*n),
        Cell::Text(t) => parse_number_text(t).ok_or(ValueError::Number),
        Cell::Bool(_) | Cell::Date(_) | Cell::Error(_) | Cell::Empty | Cell::Number(_) => {
            Err(ValueError::Number)
        }
    }
}

/// A whole number (`12.0` is 12; `12.5` is an error).
pub fn parse_integer(cell: &Cell) -> Result<i64, ValueError> {
    let n = parse_number(cell).map_err(|_| ValueError::Integer)?;
    if n.fract().abs() > 1e-9 || n.abs() > 9.0e15 {
        return Err(ValueError::Integer);
    }
    Ok(n.round() as i64)
}

/// Excel's serial day numbers, accepted for date columns whose format was lost (1954–2119).
fn from_serial(n: f64) -> Option<NaiveDate> {
    if !(20_000.0..=80_000.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_signed(chrono::Duration::days(n.floor() as i64))
}

/// Splits a date text into its date tokens, dropping a trailing time (`10:30`, `T10:30:00`)
/// and filler words (`de`).
fn date_tokens(text: &str) -> Vec<String> {
    let mut t = text.trim().to_string();
    // ISO date-time: cut at the `T` that follows the date.
    if let Some(pos) = t.find('T') {
        if pos >= 8
            && t[..pos]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '/')
        {
            t.truncate(pos);
        }
    }
    let kept: Vec<&str> = t
        .split_whitespace()
        .filter(|chunk| !chunk.contains(':'))
        .filter(|chunk| {
            !matches!(
                chunk.to_lowercase().as_str(),
                "hs" | "hs." | "h" | "am" | "pm" | "a.m." | "p.m."
            )
        })
        .collect();
    fold(&kept.join(" "))
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "de" && *w != "del")
        .map(str::to_string)
        .collect()
}

fn year_of(token: &str) -> Option<i32> {
    if !token.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match token.len() {
        4 => token.parse().ok(),
        2 => token.parse::<i32>().ok().map(|y| 2000 + y),
        _ => None,
    }
}

fn small(token: &str) -> Option<u32> {
    if (1..=2).contains(&token.len()) && token.chars().all(|c| c.is_ascii_digit()) {
        token.parse().ok()
    } else {
        None
    }
}

/// Builds a date, telling an impossible date from a malformed one.
fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, ValueError> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(ValueError::DateImpossible);
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or(ValueError::DateImpossible)
}

/// A date, day first always: date cells, `15/03/2019`, `15/3/2019`, `2019-03-15`,
/// `15-mar-2019`, `15.03.2019`, `15 de marzo de 2019`, any of them followed by a time.
pub fn parse_date(cell: &Cell, lex: &Lexicon) -> Result<NaiveDate, ValueError> {
    match cell {
        Cell::Date(dt) => Ok(dt.date()),
        Cell::Number(n) => from_serial(*n).ok_or(ValueError::Date),
        Cell::Text(t) => parse_date_text(t, lex),
        _ => Err(ValueError::Date),
    }
}

/// `15/3/2019`, `2019-03-15`, `15.03.2019` without a time: the common case, read without
/// allocating. `None` sends the text to the general path.
fn parse_numeric_date(text: &str) -> Option<Result<NaiveDate, ValueError>> {
    let t = text.trim();
    if t.len() > 10
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'/' | b'-' | b'.'))
    {
        return None;
    }
    let mut parts = t.split(['/', '-', '.']);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    if a.len() == 4 {
        let (y, m, d) = (year_of(a)?, small(b)?, small(c)?);
        return Some(ymd(y, m, d));
    }
    let (d, m, y) = (small(a)?, small(b)?, year_of(c)?);
    Some(ymd(y, m, d))
}

fn parse_date_text(text: &str, lex: &Lexicon) -> Result<NaiveDate, ValueError> {
    if let Some(result) = parse_numeric_date(text) {
        return result;
    }
    // A numeric date followed by any time: `15/03/2019 10.30`, `15/03/2019, 10 hs`.
    if let Some((first, rest)) = text.trim().split_once(char::is_whitespace) {
        if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            if let Some(result) = parse_numeric_date(first.trim_end_matches(',')) {
                return result;
            }
        }
    }
    let tokens = date_tokens(text);
    if tokens.len() != 3 {
        return Err(ValueError::Date);
    }
    let (a, b, c) = (&tokens[0], &tokens[1], &tokens[2]);
    if a.len() == 4 {
        // ISO order: year, month, day.
        let y = year_of(a).ok_or(ValueError::Date)?;
        let m = small(b).or_else(|| lex.month(b)).ok_or(ValueError::Date)?;
        let d = small(c).ok_or(ValueError::Date)?;
        return ymd(y, m, d);
    }
    let d = small(a).ok_or(ValueError::Date)?;
    let m = small(b).or_else(|| lex.month(b)).ok_or(ValueError::Date)?;
    let y = year_of(c).ok_or(ValueError::Date)?;
    ymd(y, m, d)
}

/// A year-month: `marzo 2019`, `03/2019`, `2019-03`, `mar-19`, a date cell or a full date.
pub fn parse_yearmonth(cell: &Cell, lex: &Lexicon) -> Result<(i32, u32), ValueError> {
    match cell {
        Cell::Date(dt) => Ok((dt.year(), dt.month())),
        Cell::Number(n) => from_serial(*n)
            .map(|d| (d.year(), d.month()))
            .ok_or(ValueError::YearMonth),
        Cell::Text(t) => {
            let tokens = date_tokens(t);
            match tokens.len() {
                2 => {
                    let (a, b) = (&tokens[0], &tokens[1]);
                    let ym = if let Some(m) = lex.month(a).or_else(|| small(a)) {
                        year_of(b).map(|y| (y, m))
                    } else if let Some(y) = year_of(a).filter(|_| a.len() == 4) {
                        lex.month(b).or_else(|| small(b)).map(|m| (y, m))
                    } else {
                        None
                    };
                    match ym {
                        Some((y, m)) if (1..=12).contains(&m) => Ok((y, m)),
                        _ => Err(ValueError::YearMonth),
                    }
                }
                3 => parse_date_text(t, lex)
                    .map(|d| (d.year(), d.month()))
                    .map_err(|_| ValueError::YearMonth),
                _ => Err(ValueError::YearMonth),
            }
        }
        _ => Err(ValueError::YearMonth),
    }
}

/// A four-digit year (`2019`, `2019.0`, a date cell's year).
pub fn parse_year(cell: &Cell) -> Result<i32, ValueError> {
    let y = match cell {
        Cell::Date(dt) => dt.year(),
        Cell::Number(n) if n.fract() == 0.0 => *n as i32,
        Cell::Text(t) => {
            let t = t.trim();
            match parse_number_text(t) {
                Some(n) if n.fract() == 0.0 && !t.contains('.') => n as i32,
                Some(n) if n.fract() == 0.0 && t.ends_with(".0") => n as i32,
                _ => return Err(ValueError::Year),
            }
        }
        _ => return Err(ValueError::Year),
    };
    if (1900..=2200).contains(&y) {
        Ok(y)
    } else {
        Err(ValueError::Year)
    }
}

fn roman(text: &str) -> Option<i64> {
    let value = |c| match c {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        _ => None,
    };
    let digits: Vec<i64> = text.chars().map(value).collect::<Option<Vec<_>>>()?;
    if digits.is_empty() {
        return None;
    }
    let mut total = 0;
    for (i, d) in digits.iter().enumerate() {
        if digits.get(i + 1).is_some_and(|next| next > d) {
            total -= d;
        } else {
            total += d;
        }
    }
    // Reject malformed numerals such as `iiii` by writing the value back.
    (to_roman(total)? == text).then_some(total)
}

fn to_roman(mut n: i64) -> Option<String> {
    if !(1..=89).contains(&n) {
        return None;
    }
    let mut out = String::new();
    for (v, s) in [
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ] {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    Some(out)
}

/// A comuna in any written form: `4`, `04`, `4.0`, `Comuna 4`, `COMUNA 4`, `C4`, `C.4`,
/// `Comuna IV`, `IV`. The range (1–15) is a constraint checked by the caller.
pub fn parse_comuna(cell: &Cell, lex: &Lexicon) -> Result<i64, ValueError> {
    match cell {
        Cell::Number(_) => parse_integer(cell).map_err(|_| ValueError::Comuna),
        Cell::Text(t) => {
            if let Some(n) = parse_number_text(t) {
                return if n.fract() == 0.0 {
                    Ok(n as i64)
                } else {
                    Err(ValueError::Comuna)
                };
            }
            let folded = fold(t);
            let mut rest = folded.as_str();
            for prefix in lex.comuna_prefixes() {
                if let Some(r) = rest.strip_prefix(prefix.as_str()) {
                    // `C4` and `C 4` both lose the prefix; `cuatro` is not `c` + `uatro`.
                    let r = r.trim_start();
                    if r.starts_with(|c: char| c.is_ascii_digit())
                        || rest.as_bytes().get(prefix.len()) == Some(&b' ')
                    {
                        rest = r;
                        break;
                    }
                }
            }
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                return rest.parse().map_err(|_| ValueError::Comuna);
            }
            roman(rest).ok_or(ValueError::Comuna)
        }
        _ => Err(ValueError::Comuna),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::lexicon::LexiconFile;

    fn lex() -> Lexicon {
        let file: LexiconFile =
            serde_json::from_str(crate::config::embedded::LEXICON).expect("shipped lexicon parses");
        Lexicon::new(&file)
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn numbers_as_written_in_argentina() {
        let cases: &[(&str, Option<f64>)] = &[
            ("12.0", Some(12.0)),
            (" 45 ", Some(45.0)),
            ("1.234", Some(1234.0)),
            ("1.234,56", Some(1234.56)),
            ("$ 1.234,56", Some(1234.56)),
            ("$ 5.752.772,26", Some(5752772.26)),
            ("5752772.26", Some(5752772.26)),
            ("74%", Some(74.0)),
            ("74 %", Some(74.0)),
            ("0%", Some(0.0)),
            ("11657123,2", Some(11657123.2)),
            ("1.234.567", Some(1234567.0)),
            ("0.500", Some(0.5)),
            ("-5", Some(-5.0)),
            ("1,234,567.5", Some(1234567.5)),
            ("abc", None),
            ("12abc", None),
            ("1.23.4", None),
            ("", None),
            ("$", None),
            ("1e5", None),
            ("NaN", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_number_text(input),
                *want,
                "parse_number_text({input:?})"
            );
        }
    }

    #[test]
    fn integers_accept_whole_numbers_only() {
        assert_eq!(parse_integer(&Cell::Number(150.0)), Ok(150));
        assert_eq!(parse_integer(&text("12.0")), Ok(12));
        assert_eq!(parse_integer(&text(" 150 ")), Ok(150));
        assert_eq!(parse_integer(&text("12,5")), Err(ValueError::Integer));
        assert_eq!(parse_integer(&text("doce")), Err(ValueError::Integer));
        assert_eq!(parse_integer(&Cell::Bool(true)), Err(ValueError::Integer));
    }

    #[test]
    fn dates_are_day_first() {
        let lex = lex();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or(ValueError::Date);
        let cases: &[(&str, Result<NaiveDate, ValueError>)] = &[
            ("15/03/2019", d(2019, 3, 15)),
            ("15/3/2019", d(2019, 3, 15)),
            ("03/04/2019", d(2019, 4, 3)),
            ("2019-03-15", d(2019, 3, 15)),
            ("15-mar-2019", d(2019, 3, 15)),
            ("15-MAR-2019", d(2019, 3, 15)),
            ("15.03.2019", d(2019, 3, 15)),
            ("15-03-2019", d(2019, 3, 15)),
            ("15 de marzo de 2019", d(2019, 3, 15)),
            ("15/03/2019 10:30", d(2019, 3, 15)),
            ("15/03/2019 10:30:00", d(2019, 3, 15)),
            ("15/03/2019 10.30", d(2019, 3, 15)),
            ("15/03/2019 10 hs", d(2019, 3, 15)),
            ("15/03/2019, 10:30 a 12:00", d(2019, 3, 15)),
            ("2019-03-15T10:30:00", d(2019, 3, 15)),
            ("2019-03-15 00:00:00", d(2019, 3, 15)),
            ("15/03/19", d(2019, 3, 15)),
            ("31/02/2019", Err(ValueError::DateImpossible)),
            ("29/02/2019", Err(ValueError::DateImpossible)),
            ("29/02/2020", d(2020, 2, 29)),
            ("15/13/2019", Err(ValueError::DateImpossible)),
            ("marzo", Err(ValueError::Date)),
            ("ayer", Err(ValueError::Date)),
            ("15/03", Err(ValueError::Date)),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_date(&text(input), &lex),
                *want,
                "parse_date({input:?})"
            );
        }
        let cell = NaiveDate::from_ymd_opt(2019, 1, 14)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(Cell::Date);
        assert_eq!(cell.map(|c| parse_date(&c, &lex)), Some(d(2019, 1, 14)));
        assert_eq!(parse_date(&Cell::Number(43539.0), &lex), d(2019, 3, 15));
        assert_eq!(parse_date(&Cell::Number(12.0), &lex), Err(ValueError::Date));
    }

    #[test]
    fn periods_become_year_month() {
        let lex = lex();
        type Case = (&'static str, Result<(i32, u32), ValueError>);
        let cases: &[Case] = &[
            ("marzo 2019", Ok((2019, 3))),
            ("Marzo de 2019", Ok((2019, 3))),
            ("03/2019", Ok((2019, 3))),
            ("3/2019", Ok((2019, 3))),
            ("2019-03", Ok((2019, 3))),
            ("mar-2019", Ok((2019, 3))),
            ("enero 2019", Ok((2019, 1))),
            ("setiembre 2019", Ok((2019, 9))),
            ("15/03/2019", Ok((2019, 3))),
            ("13/2019", Err(ValueError::YearMonth)),
            ("2019", Err(ValueError::YearMonth)),
            ("primavera", Err(ValueError::YearMonth)),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_yearmonth(&text(input), &lex),
                *want,
                "parse_yearmonth({input:?})"
            );
        }
        let cell = NaiveDate::from_ymd_opt(2019, 3, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(Cell::Date);
        assert_eq!(cell.map(|c| parse_yearmonth(&c, &lex)), Some(Ok((2019, 3))));
    }

    #[test]
    fn comunas_in_every_written_form() {
        let lex = lex();
        let cases: &[(&str, Result<i64, ValueError>)] = &[
            ("4", Ok(4)),
            ("04", Ok(4)),
            ("4.0", Ok(4)),
            ("Comuna 4", Ok(4)),
            ("COMUNA 4", Ok(4)),
            ("comuna 15", Ok(15)),
            ("C4", Ok(4)),
            ("C.4", Ok(4)),
            ("C 12", Ok(12)),
            ("Comuna IV", Ok(4)),
            ("IV", Ok(4)),
            ("XV", Ok(15)),
            ("Comuna IX", Ok(9)),
            ("16", Ok(16)),
            ("Comuna", Err(ValueError::Comuna)),
            ("Palermo", Err(ValueError::Comuna)),
            ("IIII", Err(ValueError::Comuna)),
            ("4.5", Err(ValueError::Comuna)),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_comuna(&text(input), &lex),
                *want,
                "parse_comuna({input:?})"
            );
        }
        assert_eq!(parse_comuna(&Cell::Number(4.0), &lex), Ok(4));
    }

    #[test]
    fn missing_tokens_are_null() {
        let lex = lex();
        for token in [
            "",
            "  ",
            "-",
            "s/d",
            "S/D",
            "sin datos",
            "Sin Datos",
            "N/A",
            "n/d",
            "—",
        ] {
            assert!(
                is_missing(&text(token), &lex),
                "{token:?} should be missing"
            );
        }
        for token in ["0", "Palermo", "sd123"] {
            assert!(!is_missing(&text(token), &lex), "{token:?} is a value");
        }
        assert!(is_missing(&Cell::Empty, &lex));
    }

    #[test]
    fn years() {
        assert_eq!(parse_year(&Cell::Number(2018.0)), Ok(2018));
        assert_eq!(parse_year(&text("2019")), Ok(2019));
        assert_eq!(parse_year(&text("19")), Err(ValueError::Year));
        assert_eq!(parse_year(&text("dos mil")), Err(ValueError::Year));
    }
}
