//! How numbers, shares, dates and file sizes are written in each language: `15.349`,
//! `38,6 %`, `31/03/2019` in Spanish; `15,349`, `38.6%`, `2019-03-31` in English.

use chrono::NaiveDate;

use super::Lang;

/// What stands for a value that is not there (null, not finite).
pub const NONE: &str = "—";

/// A number with `places` decimals and thousands grouped in the language's way.
pub fn number(n: f64, places: u8, lang: Lang) -> String {
    if !n.is_finite() {
        return NONE.to_string();
    }
    let (thousands, decimal) = lang.pick(('.', ','), (',', '.'));
    let text = format!("{:.*}", usize::from(places), n.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let negative = n < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    let digits = int_part.len();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (digits - i).is_multiple_of(3) {
            out.push(thousands);
        }
        out.push(c);
    }
    if let Some(f) = frac_part {
        out.push(decimal);
        out.push_str(f);
    }
    out
}

/// A whole count, thousands grouped: `1.234` / `1,234`.
pub fn count(n: u64, lang: Lang) -> String {
    number(n as f64, 0, lang)
}

/// A share in 0..=1 as a percentage with one decimal: `38,6 %` / `38.6%`.
pub fn percent(share: f64, lang: Lang) -> String {
    if !share.is_finite() {
        return NONE.to_string();
    }
    number(share * 100.0, 1, lang) + lang.pick(" %", "%")
}

/// A calendar date: `31/03/2019` / `2019-03-31`.
pub fn date(d: NaiveDate, lang: Lang) -> String {
    d.format(lang.pick("%d/%m/%Y", "%Y-%m-%d")).to_string()
}

/// The spreadsheet number format that shows a date as [`date`] writes it.
pub fn spreadsheet_date(lang: Lang) -> &'static str {
    lang.pick("dd/mm/yyyy", "yyyy-mm-dd")
}

/// A file size as people read it: `950 B`, `93 kB`, `41,8 MB` (decimal units, as file
/// browsers show them).
pub fn bytes(bytes: u64, lang: Lang) -> String {
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{} kB", number(b / 1000.0, 0, lang))
    } else {
        format!("{} MB", number(b / 1_000_000.0, 1, lang))
    }
}

/// HTML-escapes text for element content and quoted attribute values (the web index and the
/// e-mails' HTML bodies).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_way_each_language_writes_them() {
        assert_eq!(number(15349.0, 0, Lang::Es), "15.349");
        assert_eq!(number(15349.0, 0, Lang::En), "15,349");
        assert_eq!(number(1234567.891, 2, Lang::Es), "1.234.567,89");
        assert_eq!(number(-0.0001, 1, Lang::En), "0.0");
        assert_eq!(number(-1500.0, 0, Lang::En), "-1,500");
        assert_eq!(number(f64::NAN, 0, Lang::En), "—");
        assert_eq!(percent(0.3855, Lang::Es), "38,6 %");
        assert_eq!(percent(0.3855, Lang::En), "38.6%");
        assert_eq!(count(1234, Lang::Es), "1.234");
    }

    #[test]
    fn dates_and_sizes() {
        let d = NaiveDate::from_ymd_opt(2019, 3, 31).unwrap_or_default();
        assert_eq!(date(d, Lang::Es), "31/03/2019");
        assert_eq!(date(d, Lang::En), "2019-03-31");
        assert_eq!(bytes(950, Lang::Es), "950 B");
        assert_eq!(bytes(312_400, Lang::Es), "312 kB");
        assert_eq!(bytes(7_000_000, Lang::Es), "7,0 MB");
        assert_eq!(bytes(7_000_000, Lang::En), "7.0 MB");
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
