//! How file and folder names become text: one lossless identity, one way to print it.
//!
//! A file system name is bytes (on Unix), not always UTF-8, and may hold a newline or any
//! other control character. [`escape_os`] turns a name into the text participa keeps as its
//! identity (the relative path of STANDARD.md §1): valid UTF-8 stays as written, except
//! that a backslash is doubled, a control character (and a line separator or bidirectional
//! override, which can disguise a line) is written as an escape, and a byte that is not
//! UTF-8 is written `\xE9`. The escapes can be read back unambiguously, so two different
//! names never give the same text. Names without `\` or control characters — every name a
//! Windows share can hold — are unchanged.
//!
//! [`printable`] is for anything else printed for people (a source's name or folder from the
//! configuration, a message, a name stored by an older release): it escapes control
//! characters the same way and leaves the rest, so an identity made by [`escape_os`] prints
//! as itself, and nothing printed can start a line of its own.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

/// True for characters that must not reach a terminal, a log line or a CSV cell as they are:
/// control characters, the Unicode line and paragraph separators and the bidirectional
/// overrides and isolates (which can make a name read as something else).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Writes `c` escaped: `\n`, `\r`, `\t`, `\x1B` for other ASCII controls, `\u{85}` beyond.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii() => {
            let _ = write!(out, "\\x{:02X}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:X}}}", c as u32);
        }
    }
}

/// Appends valid text to `out`, with `\` doubled and control characters escaped.
fn push_identity(out: &mut String, text: &str) {
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if needs_escape(c) {
            push_escaped(out, c);
        } else {
            out.push(c);
        }
    }
}

/// The lossless text of a file or folder name: the identity participa stores and prints.
///
/// Bytes that are not UTF-8 are written `\xHH` (always 80–FF: ASCII bytes are valid UTF-8,
/// and an ASCII control is `\xHH` below 80), a backslash `\\`, control characters as in
/// [`printable`]. Two different names always give two different texts.
#[cfg(unix)]
pub fn escape_os(name: &OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_identity(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// The lossless text of a file or folder name (see the Unix version). Elsewhere names are
/// Unicode already; an unpaired surrogate, which cannot be written as text, is replaced.
#[cfg(not(unix))]
pub fn escape_os(name: &OsStr) -> String {
    let mut out = String::new();
    push_identity(&mut out, &name.to_string_lossy());
    out
}

/// A path from the configuration or the command line, as text to print: each component
/// through [`escape_os`], joined by `/` (or as the platform writes a root).
pub fn printable_path(path: &Path) -> String {
    use std::path::Component;
    let mut out = String::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push('/'),
            Component::Prefix(p) => out.push_str(&escape_os(p.as_os_str())),
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&escape_os(other.as_os_str()));
            }
        }
    }
    out
}

/// Text to print for people with its control characters escaped (see the module's docs);
/// text without any is returned as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn os(bytes: &[u8]) -> &OsStr {
        use std::os::unix::ffi::OsStrExt;
        OsStr::from_bytes(bytes)
    }

    #[cfg(unix)]
    #[test]
    fn names_that_differ_in_any_byte_stay_different() {
        let names: [&[u8]; 8] = [
            b"a\xE9.csv",
            b"a\xE8.csv",
            b"a\\xE9.csv",
            "aé.csv".as_bytes(),
            b"a\\\\xE9.csv",
            b"a\n.csv",
            b"a\\n.csv",
            b"a\x1b.csv",
        ];
        let texts: Vec<String> = names.iter().map(|n| escape_os(os(n))).collect();
        let distinct: std::collections::HashSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{texts:?}");
        assert_eq!(texts[0], "a\\xE9.csv");
        assert_eq!(texts[2], "a\\\\xE9.csv");
        assert_eq!(texts[3], "aé.csv");
        assert_eq!(texts[5], "a\\n.csv");
        assert_eq!(texts[7], "a\\x1B.csv");
    }

    #[test]
    fn ordinary_names_are_kept_as_written_and_print_as_themselves() {
        for name in [
            "Reunión de vecinos (2019) #3.xlsx",
            "obras comunales.xls",
            "ministerio-justicia-seguridad",
        ] {
            assert_eq!(escape_os(OsStr::new(name)), name);
            assert_eq!(printable(name), name);
        }
    }

    #[test]
    fn printed_text_never_starts_a_line_and_identities_print_unchanged() {
        let forged = "a.csv\nlocal/otro.csv: nuevo\r\u{1b}[2K\u{2028}\u{202E}";
        let shown = printable(forged);
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{202E}'),
            "{shown}"
        );
        assert_eq!(
            shown,
            "a.csv\\nlocal/otro.csv: nuevo\\r\\x1B[2K\\u{2028}\\u{202E}"
        );
        let identity = escape_os(OsStr::new(forged));
        assert_eq!(
            printable(&identity),
            identity,
            "an identity is already printable"
        );
    }

    #[test]
    fn configured_paths_print_escaped() {
        assert_eq!(printable_path(Path::new("/srv/in\nbox")), "/srv/in\\nbox");
        assert_eq!(
            printable_path(Path::new("inbox/ministerio-a")),
            "inbox/ministerio-a"
        );
    }
}
