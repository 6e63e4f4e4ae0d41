//! `index.html`: every published period, newest first, rebuilt from the periods'
//! `resumen.json` alone, with the few page words the model's labels do not carry
//! (`text::web`).
//!
//! Must not read the store or the reports' other files; writes the page atomically.

use std::fs;
use std::path::{Path, PathBuf};

use tracing::warn;

use super::datapackage::LICENSE;
use super::files::{io_at, is_safe_name};
use super::resumen::{parse_iso, read_resumen, Edition, PublishedFile, Resumen};
use crate::report::ReportError;
use crate::text::web::IndexWords;
use crate::text::{bytes as format_bytes, html_escape as esc, Lang};

/// Rewrites `root/index.html` from every `root/*/resumen.json`, newest period first.
pub fn write_index(root: &Path) -> Result<(), ReportError> {
    let mut periods: Vec<(Resumen, PathBuf)> = Vec::new();
    for entry in fs::read_dir(root).map_err(io_at(root))? {
        let entry = entry.map_err(io_at(root))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let dir = entry.path();
        if !dir.join("resumen.json").is_file() {
            continue;
        }
        match read_resumen(&dir) {
            Some(r) if r.period == name => periods.push((r, dir)),
            Some(r) => {
                warn!(folder = %dir.display(), period = %r.period, "resumen.json is for another period; not listed")
            }
            None => {}
        }
    }
    periods.sort_by(|(a, _), (b, _)| {
        let key = |r: &Resumen| (parse_iso(&r.period_end), parse_iso(&r.period_start));
        key(b).cmp(&key(a)).then_with(|| b.period.cmp(&a.period))
    });
    let html = index_html(&periods);
    let target = root.join("index.html");
    crate::fsutil::write_atomic(&target, html.as_bytes()).map_err(|source| ReportError::Io {
        path: target,
        source,
    })
}

/// The index's own words in the language of a `resumen.json` edition (`es`, `en`; Spanish
/// for any other).
fn words(lang: &str) -> &'static IndexWords {
    IndexWords::of(Lang::parse(lang).unwrap_or(Lang::Es))
}

/// The language's own name, as people of that language write it.
fn language_name(lang: &str) -> &str {
    // An unknown code is shown as it is.
    match Lang::parse(lang) {
        Some(known) => known.own_name(),
        None => lang,
    }
}

pub(super) const STYLE: &str =
    "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1a1a1a;background:#fff}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
table{border-collapse:collapse;margin:1rem 0;width:100%}\
caption{text-align:left;font-weight:bold;padding:.25rem 0}\
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
td.num{text-align:right}\
ul{margin:0;padding-left:1.2rem}\
a{color:#0645ad}a:focus{outline:3px solid #f90}\
.note{color:#444;font-size:.9em}";

/// The index page: an overview table of every edition, then each edition's key figures.
fn index_html(periods: &[(Resumen, PathBuf)]) -> String {
    let editions: Vec<(&Resumen, &Path, &Edition)> = periods
        .iter()
        .flat_map(|(r, dir)| r.editions.iter().map(move |e| (r, dir.as_path(), e)))
        .collect();
    let page_lang = editions
        .first()
        .map(|(_, _, e)| e.lang.clone())
        .unwrap_or_else(|| "es".to_string());
    let page_tag = editions
        .first()
        .map(|(_, _, e)| e.lang_tag.clone())
        .unwrap_or_else(|| Lang::Es.tag().to_string());
    let w = words(&page_lang);
    let mut h = String::with_capacity(16 * 1024);
    h.push_str("<!DOCTYPE html>\n");
    h.push_str(&format!(
        "<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
        esc(&page_tag)
    ));
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let commitment = editions
        .first()
        .map(|(_, _, e)| e.commitment.as_str())
        .unwrap_or("");
    let title = if commitment.is_empty() {
        w.heading.to_string()
    } else {
        format!("{} — {commitment}", w.heading)
    };
    h.push_str(&format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    ));
    h.push_str(&format!("<h1>{}</h1>\n", esc(w.heading)));
    if let Some((_, _, first)) = editions.first() {
        h.push_str(&format!(
            "<p>{} · {}</p>\n",
            esc(&first.commitment),
            esc(&first.author)
        ));
    }
    if editions.is_empty() {
        h.push_str(&format!(
            "<p>{}</p>\n</main>\n</body>\n</html>\n",
            esc(w.empty)
        ));
        return h;
    }

    let first_labels = &editions[0].2.labels;
    h.push_str(&format!(
        "<table>\n<caption>{}</caption>\n<thead>\n<tr>",
        esc(w.caption)
    ));
    for head in [
        first_labels.period.as_str(),
        w.language,
        first_labels.issued.as_str(),
        first_labels.data_version.as_str(),
        w.files,
    ] {
        h.push_str(&format!("<th scope=\"col\">{}</th>", esc(head)));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for (r, dir, e) in &editions {
        let lang_attr = if e.lang_tag != page_tag {
            format!(" lang=\"{}\"", esc(&e.lang_tag))
        } else {
            String::new()
        };
        h.push_str(&format!(
            "<tr{lang_attr}><th scope=\"row\"><a href=\"#{id}\">{label}</a> <span class=\"note\">({period})</span></th><td>{lang}</td><td>{issued}</td><td><code>{version}</code></td><td>",
            id = esc(&anchor(r, e)),
            label = esc(&e.period_label),
            period = esc(&r.period),
            lang = esc(language_name(&e.lang)),
            issued = esc(&e.issued_text),
            version = esc(&e.data_version),
        ));
        let ew = words(&e.lang);
        let links: Vec<String> = [(&e.pdf, ew.report, "PDF"), (&e.xlsx, ew.workbook, "XLSX")]
            .into_iter()
            .filter(|(f, _, _)| exists(dir, f))
            .map(|(f, what, format)| {
                link(
                    &r.period,
                    f,
                    &format!("{what} ({format}, {})", size(f.bytes, &e.lang)),
                )
            })
            .collect();
        h.push_str(&links.join(" · "));
        h.push_str("</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");

    for (r, dir, e) in &editions {
        let ew = words(&e.lang);
        let lang_attr = if e.lang_tag != page_tag {
            format!(" lang=\"{}\"", esc(&e.lang_tag))
        } else {
            String::new()
        };
        let id = anchor(r, e);
        h.push_str(&format!(
            "<section{lang_attr} aria-labelledby=\"{id}\">\n",
            id = esc(&id)
        ));
        h.push_str(&format!("<h2 id=\"{}\">{}</h2>\n", esc(&id), esc(&e.title)));
        h.push_str(&format!(
            "<p>{}: {} · {}: <code>{}</code></p>\n",
            esc(&e.labels.issued),
            esc(&e.issued_text),
            esc(&e.labels.data_version),
            esc(&e.data_version)
        ));
        if !e.has_data {
            h.push_str(&format!("<p>{}</p>\n", esc(&e.labels.no_data)));
        }
        if !e.figures.is_empty() {
            h.push_str(&format!(
                "<table>\n<caption>{} — {}</caption>\n<thead>\n<tr>",
                esc(&e.labels.summary),
                esc(&e.period_label)
            ));
            for head in [
                &e.labels.indicator,
                &e.labels.value,
                &e.labels.target,
                &ew.note.to_string(),
            ] {
                h.push_str(&format!("<th scope=\"col\">{}</th>", esc(head)));
            }
            h.push_str("</tr>\n</thead>\n<tbody>\n");
            for f in &e.figures {
                h.push_str(&format!(
                    "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                    esc(&f.label),
                    esc(&f.value_text),
                    esc(f.target_text.as_deref().unwrap_or("")),
                    esc(f.note.as_deref().unwrap_or(""))
                ));
            }
            h.push_str("</tbody>\n</table>\n");
        }
        h.push_str(&format!("<h3>{}</h3>\n<ul>\n", esc(ew.files)));
        for (f, what, format) in [(&e.pdf, ew.report, "PDF"), (&e.xlsx, ew.workbook, "XLSX")] {
            if exists(dir, f) {
                h.push_str(&format!(
                    "<li>{}</li>\n",
                    link(
                        &r.period,
                        f,
                        &format!("{what} ({format}, {})", size(f.bytes, &e.lang))
                    )
                ));
            }
        }
        if let Some(page) = e.pages.first().filter(|p| exists(dir, &p.file)) {
            let text = &page.title;
            h.push_str(&format!("<li>{}</li>\n", link(&r.period, &page.file, text)));
        }
        for d in &r.datasets {
            if exists(dir, &d.csv) {
                h.push_str(&format!(
                    "<li>{}</li>\n",
                    link(
                        &r.period,
                        &d.csv,
                        &format!(
                            "{}: {} (CSV, {})",
                            ew.data,
                            d.title,
                            size(d.csv.bytes, &e.lang)
                        )
                    )
                ));
            }
        }
        if exists(dir, &r.datapackage) {
            h.push_str(&format!(
                "<li>{}</li>\n",
                link(&r.period, &r.datapackage, &format!("{} (JSON)", ew.package))
            ));
        }
        h.push_str("</ul>\n");
        if r.license == LICENSE.name {
            h.push_str(&format!(
                "<p>{}: <a href=\"{}\" rel=\"license\">{}</a></p>\n",
                esc(ew.license),
                esc(LICENSE.path),
                esc(LICENSE.title)
            ));
        }
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// A link relative to the index: `<period>/<file>`, percent-encoded, with its text escaped.
fn link(period: &str, file: &PublishedFile, text: &str) -> String {
    format!(
        "<a href=\"{}/{}\" type=\"{}\">{}</a>",
        esc(&percent_encode(period)),
        esc(&percent_encode(&file.file)),
        esc(&file.mediatype),
        esc(text)
    )
}

fn anchor(r: &Resumen, e: &Edition) -> String {
    let raw = format!("informe-{}-{}", r.period, e.lang);
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn exists(dir: &Path, f: &PublishedFile) -> bool {
    let ok = is_safe_name(&f.file) && dir.join(&f.file).is_file();
    if !ok {
        warn!(folder = %dir.display(), file = %f.file, "a file listed in resumen.json is missing; not linked");
    }
    ok
}

/// A file size for people, in the language's number format.
fn size(bytes: u64, lang: &str) -> String {
    format_bytes(bytes, Lang::parse(lang).unwrap_or(Lang::Es))
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Spanish, the default language, first.
pub(super) fn lang_order(lang: &str) -> u8 {
    match lang {
        "es" => 0,
        "en" => 1,
        _ => 2,
    }
}
