//! WebDAV shares (`tipo = "webdav"`): Nextcloud, ownCloud, SharePoint-style servers. The share
//! is walked with one `PROPFIND` (`Depth: 1`) per folder, each answer parsed as it streams
//! (never held whole), within a depth (`max_profundidad`) and an entry count (`max_entradas`):
//! past the count the source is an error of its own rather than a part taken for the whole.
//! Each file's change tokens are its `getcontentlength`, `getlastmodified` and `getetag`; a file
//! whose length and time are those stored is not downloaded again. The first-level folder is
//! the organismo, as in a drop folder, and the same names are ignored (locks, hidden,
//! temporary).
//!
//! A file is downloaded only to be read (`open`): streamed to a file beside the store within
//! `max_file_bytes`, its `Content-Length` checked, and its `ETag` and `Last-Modified` compared
//! with the listing's, so a file replaced between the listing and the download is "still being
//! copied", never read under the old tokens.
//!
//! Failures: the root that cannot be listed, or a connection that fails while any folder is
//! listed (the server down, a 401, a 5xx, a timeout), is an error of the source — nothing
//! retracted; a folder the server refuses alone (403, 404) is an error of that folder; a share
//! that lists no file at all is an error of the source too (a server that suddenly shows an
//! empty share is not believed).
//!
//! Talks to the server through [`client`](super::client) only; knows nothing of the pipeline,
//! the store or what a file holds.

use std::collections::HashMap;
use std::io::{BufReader, Read};

use chrono::DateTime;
use quick_xml::events::Event;
use quick_xml::Reader;
use reqwest::{Method, StatusCode, Url};
use tracing::{debug, warn};

use super::client::{without_query, Client, NetError};
use super::{
    extension_of, is_ignored_name, tokens_sha256, FolderProblem, FoundFile, Known, Location,
    OpenError, Opened, Source, SourceError, SourceScan, Unreadable,
};
use crate::config::SourceConfig;

/// What is asked of each entry: nothing more (an `allprop` answer is several times larger).
const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>"#;

/// Bytes one XML token of a listing may span (a name, a date): a longer one is a broken
/// answer, refused before it is held.
const MAX_TOKEN_BYTES: usize = 1 << 20;

/// A WebDAV share as a [`Source`].
pub struct WebdavSource {
    name: String,
    /// The share's folder, ending in `/`.
    root: Url,
    client: Client,
    max_depth: usize,
    max_entries: usize,
}

impl WebdavSource {
    /// The share `config.url` through `client`.
    pub fn new(config: &SourceConfig, client: Client) -> Result<WebdavSource, String> {
        let text = config.url.as_deref().unwrap_or_default().trim();
        let mut root =
            Url::parse(text).map_err(|e| format!("url: «{text}» no es una dirección ({e})"))?;
        if !root.path().ends_with('/') {
            let path = format!("{}/", root.path());
            root.set_path(&path);
        }
        Ok(WebdavSource {
            name: config.name.clone(),
            root,
            client,
            max_depth: config.max_profundidad,
            max_entries: config.max_entradas,
        })
    }

    fn shown(&self) -> String {
        without_query(&self.root)
    }

    /// One `PROPFIND` of `folder`: its members (not itself), counted into `entries`.
    fn propfind(&self, folder: &Url, entries: &mut usize) -> Result<Vec<Member>, ListError> {
        let build = || {
            self.client
                .request(
                    Method::from_bytes(b"PROPFIND").unwrap_or(Method::GET),
                    folder,
                )
                .header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8")
                .body(PROPFIND_BODY)
        };
        // A cap reached is not a network failure: remembered apart, never retried.
        let mut over = false;
        let (start, max) = (*entries, self.max_entries);
        let result = self.client.send(
            folder,
            &build,
            &|s| s == StatusCode::MULTI_STATUS,
            &mut |resp| {
                // Each attempt counts afresh.
                *entries = start;
                match parse_multistatus(resp, folder, entries, max) {
                    Ok(members) => Ok(members),
                    Err(ListError::TooMany) => {
                        over = true;
                        Err(NetError::Other(ListError::TooMany.to_string()))
                    }
                    Err(ListError::Net(e)) => Err(e),
                }
            },
        );
        if over {
            return Err(ListError::TooMany);
        }
        result.map_err(ListError::Net)
    }
}

/// Why a folder's listing failed.
#[derive(Debug, thiserror::Error)]
enum ListError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("demasiadas entradas")]
    TooMany,
}

/// One member of a folder, as its `PROPFIND` answer gives it.
#[derive(Debug, Default)]
struct Member {
    /// Its path on the server (decoded later).
    href: String,
    collection: bool,
    length: Option<u64>,
    modified: Option<String>,
    etag: Option<String>,
}

/// Counts the bytes since the last `<`, so that one token longer than [`MAX_TOKEN_BYTES`] is
/// refused while it streams rather than after the parser holds it.
struct TokenGuard<R> {
    inner: R,
    since_tag: usize,
}

impl<R: Read> Read for TokenGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        match memchr::memrchr(b'<', chunk) {
            Some(at) => self.since_tag = n - at,
            None => self.since_tag += n,
        }
        if self.since_tag > MAX_TOKEN_BYTES {
            return Err(std::io::Error::other(
                "una entrada de la lista del servidor es demasiado larga",
            ));
        }
        Ok(n)
    }
}

/// The text of a predefined entity or character reference.
fn reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Parses a `207 Multi-Status` answer as it streams: the members of `folder`, counting each
/// into `entries` and stopping as soon as it passes `max`.
fn parse_multistatus(
    resp: reqwest::blocking::Response,
    folder: &Url,
    entries: &mut usize,
    max: usize,
) -> Result<Vec<Member>, ListError> {
    let mut xml = Reader::from_reader(BufReader::new(TokenGuard {
        inner: resp,
        since_tag: 0,
    }));
    let mut buf = Vec::new();
    let mut members = Vec::new();
    let mut current: Option<Member> = None;
    // Properties of the propstat being read, applied only when its status is 200.
    let mut props = Member::default();
    let mut status_ok = false;
    let mut text = String::new();
    loop {
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| {
            NetError::Interrupted(format!("la lista del servidor no se pudo leer: {e}"))
        })?;
        match event {
            Event::Start(e) => {
                text.clear();
                match e.local_name().as_ref() {
                    "response" => current = Some(Member::default()),
                    "propstat" => {
                        props = Member::default();
                        status_ok = false;
                    }
                    "collection" => props.collection = true,
                    _ => {}
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == "collection" => {
                props.collection = true;
            }
            Event::Text(t) => {
                text.push_str(&t.xml10_content());
            }
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = reference(&r) {
                    text.push(c);
                }
            }
            Event::End(e) => {
                let value = text.trim().to_string();
                match e.local_name().as_ref() {
                    "href" => {
                        if let Some(m) = current.as_mut() {
                            m.href = value;
                        }
                    }
                    "status" => status_ok = value.split_whitespace().nth(1) == Some("200"),
                    "getcontentlength" => props.length = value.parse().ok(),
                    "getlastmodified" => props.modified = Some(value),
                    "getetag" => props.etag = etag_token(&value),
                    "propstat" => {
                        if let Some(m) = current.as_mut() {
                            if status_ok {
                                m.collection |= props.collection;
                                m.length = m.length.or(props.length);
                                m.modified = m.modified.take().or(props.modified.take());
                                m.etag = m.etag.take().or(props.etag.take());
                            }
                        }
                    }
                    "response" => {
                        if let Some(m) = current.take() {
                            if !is_same_folder(folder, &m.href) {
                                *entries += 1;
                                if *entries > max {
                                    return Err(ListError::TooMany);
                                }
                                members.push(m);
                            }
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(members)
}

/// True when `href` names `folder` itself (the first answer of a `Depth: 1` listing).
fn is_same_folder(folder: &Url, href: &str) -> bool {
    folder
        .join(href)
        .is_ok_and(|u| u.path().trim_end_matches('/') == folder.path().trim_end_matches('/'))
}

/// Decodes `%XX` escapes into bytes.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// A name from a URL path segment, as the identity a folder would give it.
pub(super) fn segment_identity(segment: &str) -> String {
    let bytes = percent_decode(segment);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        crate::names::escape_os(std::ffi::OsStr::from_bytes(&bytes))
    }
    #[cfg(not(unix))]
    {
        crate::names::escape_os(std::ffi::OsStr::new(&String::from_utf8_lossy(&bytes)))
    }
}

/// An ETag as a token: servers quote it in a header and often not in a `PROPFIND` answer, and
/// mark it weak (`W/`) in one place and not the other; the token is what is inside.
pub(super) fn etag_token(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
    (!t.is_empty()).then(|| t.to_string())
}

/// An HTTP date (`getlastmodified`, `Last-Modified`) as nanoseconds since the epoch.
pub(super) fn http_date_ns(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .and_then(|d| d.timestamp().checked_mul(1_000_000_000))
}

impl Source for WebdavSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn describe(&self) -> String {
        format!("webdav {}", self.shown())
    }

    fn list(&self, _: &HashMap<String, Known>) -> SourceScan {
        let mut scan = SourceScan::default();
        let mut entries = 0usize;
        // (folder URL, its relative path, its depth); walked in order, folders sorted.
        let mut queue: std::collections::VecDeque<(Url, String, usize)> =
            std::collections::VecDeque::from([(self.root.clone(), String::new(), 0)]);
        while let Some((folder, prefix, depth)) = queue.pop_front() {
            scan.requests += 1;
            let members = match self.propfind(&folder, &mut entries) {
                Ok(m) => m,
                Err(ListError::TooMany) => {
                    return SourceScan::failed(SourceError::TooManyEntries(
                        self.shown(),
                        self.max_entries,
                    ))
                }
                // A folder the server refuses alone: an error of that folder.
                Err(ListError::Net(e @ (NetError::Forbidden(_) | NetError::NotFound(_))))
                    if !prefix.is_empty() =>
                {
                    scan.unreadable.push(Unreadable {
                        relative: prefix,
                        problem: FolderProblem::Unlistable(e.to_string()),
                    });
                    continue;
                }
                // The root, or the server itself: an error of the source.
                Err(ListError::Net(e)) => {
                    return SourceScan::failed(SourceError::Network(self.shown(), e.to_string()))
                }
            };
            let mut subfolders = Vec::new();
            let mut files = Vec::new();
            for m in members {
                let Ok(url) = folder.join(&m.href) else {
                    warn!(fuente = %self.name, "entrada con una dirección inválida en la lista del servidor: se ignora");
                    continue;
                };
                // Only what lies inside the folder asked for.
                let Some(rest) = url.path().strip_prefix(folder.path()) else {
                    warn!(fuente = %self.name, "entrada fuera de la carpeta pedida en la lista del servidor: se ignora");
                    continue;
                };
                let segment = rest.trim_end_matches('/');
                if segment.is_empty() || segment.contains('/') {
                    continue;
                }
                let name = segment_identity(segment);
                let relative = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}/{name}")
                };
                if is_ignored_name(&name) {
                    scan.ignored.push(relative);
                    continue;
                }
                if m.collection {
                    let mut sub = url.clone();
                    if !sub.path().ends_with('/') {
                        let path = format!("{}/", sub.path());
                        sub.set_path(&path);
                    }
                    subfolders.push((relative, sub));
                } else {
                    let organismo = relative.split_once('/').map(|(o, _)| o.to_string());
                    files.push(FoundFile {
                        organismo,
                        location: Location::Url(url.to_string()),
                        size: m.length.unwrap_or(0),
                        mtime_ns: m.modified.as_deref().and_then(http_date_ns).unwrap_or(0),
                        etag: m.etag,
                        extension: extension_of(&name),
                        relative,
                    });
                }
            }
            files.sort_by(|a, b| a.relative.cmp(&b.relative));
            scan.files.extend(files);
            subfolders.sort();
            for (relative, url) in subfolders {
                if depth + 1 > self.max_depth {
                    scan.unreadable.push(Unreadable {
                        relative,
                        problem: FolderProblem::TooDeep(self.max_depth),
                    });
                } else {
                    queue.push_back((url, relative, depth + 1));
                }
            }
        }
        debug!(fuente = %self.name, propfind = scan.requests, archivos = scan.files.len(), "lista de la fuente webdav");
        if scan.files.is_empty() {
            scan.error = Some(SourceError::EmptyListing(self.shown()));
        }
        scan
    }

    fn open(&self, entry: &FoundFile, max_bytes: u64) -> Result<Opened, OpenError> {
        open_url(&self.client, entry, max_bytes)
    }

    fn still_as_listed(&self, _: &FoundFile) -> bool {
        // The download was checked against the listing before it was handed over, and it is
        // our own file: it cannot change while it is read.
        true
    }

    fn reachable(&self) -> Result<(), String> {
        let build = || {
            self.client
                .request(
                    Method::from_bytes(b"PROPFIND").unwrap_or(Method::GET),
                    &self.root,
                )
                .header("Depth", "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .body(PROPFIND_BODY)
        };
        self.client
            .send_once(
                &self.root,
                &build,
                &|s| s == StatusCode::MULTI_STATUS,
                &mut |_| Ok(()),
            )
            .map_err(|e| e.to_string())
    }
}

/// Downloads a listed entry within `max_bytes` and checks it against its listing: the
/// response's `ETag` and `Last-Modified`, when it gives them, must be the listing's, and the
/// length the listing's when the listing gave one.
pub(super) fn open_url(
    client: &Client,
    entry: &FoundFile,
    max_bytes: u64,
) -> Result<Opened, OpenError> {
    let Location::Url(text) = &entry.location else {
        return Err(OpenError::Failed(
            "esta entrada no es de la red".to_string(),
        ));
    };
    let url = Url::parse(text).map_err(|e| OpenError::Failed(e.to_string()))?;
    if entry.size > max_bytes {
        return Err(OpenError::TooLarge {
            size: entry.size,
            max: max_bytes,
            sha256: tokens_sha256(entry),
        });
    }
    let build = || client.request(Method::GET, &url);
    let mut changed = false;
    let result = client.send(&url, &build, &|s| s == StatusCode::OK, &mut |resp| {
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag").and_then(|e| etag_token(&e));
        let modified = header("last-modified").and_then(|m| http_date_ns(&m));
        changed = matches!((&etag, &entry.etag), (Some(now), Some(then)) if now != then)
            || matches!(modified, Some(m) if entry.mtime_ns != 0 && m != entry.mtime_ns);
        if changed {
            return Ok(None);
        }
        client.download(resp, max_bytes).map(Some)
    });
    match result {
        Ok(Some(d)) if entry.size != 0 && d.size != entry.size => {
            debug!(ruta = %entry.relative, "la descarga no tiene el tamaño listado: cambió desde la lista");
            Err(OpenError::Changed)
        }
        Ok(Some(d)) => Ok(Opened {
            path: d.path,
            _download: Some(d.guard),
        }),
        Ok(None) => Err(OpenError::Changed),
        Err(NetError::TooLarge(max)) => Err(OpenError::TooLarge {
            size: entry.size.max(max + 1),
            max,
            sha256: tokens_sha256(entry),
        }),
        Err(e) => Err(OpenError::Failed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_segments_become_the_identities_a_folder_would_give() {
        assert_eq!(
            segment_identity("Reuni%C3%B3n%202019.xlsx"),
            "Reunión 2019.xlsx"
        );
        assert_eq!(segment_identity("a%E9.csv"), "a\\xE9.csv");
        assert_eq!(
            segment_identity("l%C3%ADnea%0Arota.csv"),
            "línea\\nrota.csv"
        );
        assert_eq!(segment_identity("100%.csv"), "100%.csv");
    }

    #[test]
    fn http_dates_are_read_to_the_second() {
        assert_eq!(
            http_date_ns("Tue, 01 Dec 2026 22:00:35 GMT"),
            Some(1_796_162_435_000_000_000)
        );
        assert_eq!(http_date_ns("ayer"), None);
    }

    #[test]
    fn a_folder_is_told_from_its_members_whatever_the_trailing_slash() {
        let folder = Url::parse("http://h/dav/org-a/").expect("url");
        assert!(is_same_folder(&folder, "/dav/org-a/"));
        assert!(is_same_folder(&folder, "/dav/org-a"));
        assert!(is_same_folder(&folder, "http://h/dav/org-a/"));
        assert!(!is_same_folder(&folder, "/dav/org-a/x.csv"));
    }
}
