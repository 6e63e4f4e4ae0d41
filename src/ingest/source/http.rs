//! Spreadsheets published at links (`tipo = "http"`): each configured URL is one entry,
//! `organismo/archivo` (the organismo from the configuration, the name from `archivo` or the
//! link's last segment).
//!
//! Listing a link is a conditional `GET`: `If-None-Match` with the ETag this process saw last
//! and `If-Modified-Since` with the `Last-Modified` it saw, or else the time of the version the
//! store holds. A `304 Not Modified` costs no body; a `200` streams the body to a file beside
//! the store (within `max_file_bytes`) and its tokens are the length, `Last-Modified` and
//! `ETag`. A body listed once is kept until it is read, so the second listing of a pass (settled
//! means unchanged), answered `304`, downloads nothing again. A server that gives neither
//! `ETag` nor `Last-Modified` cannot be asked "only if changed": its link is fetched every pass,
//! its content's hash is its token, and a version is dated by the store's time for that content
//! or, new, by when it was first fetched.
//!
//! A link that fails (DNS, a refused connection, 401, 5xx…) is an error of that entry alone —
//! its stored version keeps its rows; every link failing is an error of the source.
//!
//! Talks to the servers through [`client`](super::client) only; knows nothing of the pipeline,
//! the store or what a file holds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use reqwest::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH};
use reqwest::{Method, StatusCode, Url};

use super::client::{without_query, Client, Downloaded, NetError};
use super::webdav::{etag_token, http_date_ns, open_url, segment_identity};
use super::{
    extension_of, FolderProblem, FoundFile, Known, Location, OpenError, Opened, Source,
    SourceError, SourceScan, Unreadable,
};
use crate::config::{SourceConfig, UrlConfig};

/// The identity of a published link: `organismo/archivo`.
pub fn identity(u: &UrlConfig) -> String {
    let organismo = crate::names::printable(u.organismo.trim()).into_owned();
    let name = match &u.archivo {
        Some(a) => crate::names::printable(a.trim()).into_owned(),
        None => Url::parse(u.url.trim())
            .ok()
            .and_then(|url| {
                url.path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_string))
            })
            .filter(|s| !s.is_empty())
            .map(|s| segment_identity(&s))
            .unwrap_or_else(|| "descarga".to_string()),
    };
    format!("{organismo}/{name}")
}

/// What this process last saw of a link.
struct Seen {
    entry: FoundFile,
    /// `Last-Modified` as the server wrote it (sent back as `If-Modified-Since`).
    last_modified: Option<String>,
    /// The server's own ETag (sent back as `If-None-Match`).
    server_etag: Option<String>,
    /// SHA-256 of the body, when it was fetched.
    sha256: Option<String>,
    /// The body, fetched while listing and not read yet.
    body: Option<Downloaded>,
}

/// Published links as a [`Source`].
pub struct HttpSource {
    name: String,
    /// (identity, url), sorted by identity.
    links: Vec<(String, Url)>,
    client: Client,
    max_bytes: u64,
    seen: Mutex<HashMap<String, Seen>>,
}

impl HttpSource {
    /// The links of `config` through `client`; bodies over `max_bytes` are not kept.
    pub fn new(
        config: &SourceConfig,
        client: Client,
        max_bytes: u64,
    ) -> Result<HttpSource, String> {
        let mut links = Vec::new();
        for u in &config.urls {
            let url = Url::parse(u.url.trim())
                .map_err(|e| format!("urls: «{}» no es una dirección ({e})", u.url))?;
            links.push((identity(u), url));
        }
        links.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(HttpSource {
            name: config.name.clone(),
            links,
            client,
            max_bytes,
            seen: Mutex::new(HashMap::new()),
        })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One conditional fetch of a link.
    fn fetch(
        &self,
        relative: &str,
        url: &Url,
        known: Option<&Known>,
    ) -> Result<FoundFile, NetError> {
        let (etag, since) = {
            let seen = self.seen();
            match seen.get(relative) {
                Some(s) => (s.server_etag.clone(), s.last_modified.clone()),
                None => (
                    None,
                    known
                        .filter(|k| k.mtime_ns > 0)
                        .and_then(|k| http_date(k.mtime_ns)),
                ),
            }
        };
        let build = || {
            let mut req = self.client.request(Method::GET, url);
            if let Some(e) = &etag {
                req = req.header(IF_NONE_MATCH, e.as_str());
            }
            if let Some(s) = &since {
                req = req.header(IF_MODIFIED_SINCE, s.as_str());
            }
            req
        };
        let organismo = relative.split_once('/').map(|(o, _)| o.to_string());
        let base = FoundFile {
            relative: relative.to_string(),
            organismo,
            location: Location::Url(url.to_string()),
            size: 0,
            mtime_ns: 0,
            etag: None,
            extension: extension_of(relative.rsplit('/').next().unwrap_or_default()),
        };
        let accept = |s: StatusCode| s == StatusCode::OK || s == StatusCode::NOT_MODIFIED;
        self.client.send(url, &build, &accept, &mut |resp| {
            if resp.status() == StatusCode::NOT_MODIFIED {
                let mut seen = self.seen();
                if let Some(s) = seen.get(relative) {
                    return Ok(s.entry.clone());
                }
                // Not modified since the stored version: its tokens.
                let k = known.ok_or_else(|| {
                    NetError::Other("el servidor respondió 304 sin que se le preguntara".into())
                })?;
                let entry = FoundFile {
                    size: k.size,
                    mtime_ns: k.mtime_ns,
                    ..base.clone()
                };
                let header = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                seen.insert(
                    relative.to_string(),
                    Seen {
                        entry: entry.clone(),
                        last_modified: since.clone(),
                        server_etag: header("etag"),
                        sha256: Some(k.sha256.clone()),
                        body: None,
                    },
                );
                return Ok(entry);
            }
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let server_etag = header("etag");
            let last_modified = header("last-modified");
            let modified = last_modified.as_deref().and_then(http_date_ns);
            let declared = resp.content_length();
            let (body, size, sha) = match self.client.download(resp, self.max_bytes) {
                Ok(d) => {
                    let (size, sha) = (d.size, d.sha256.clone());
                    (Some(d), size, Some(sha))
                }
                // Over the limit: listed with its tokens, rejected when opened.
                Err(NetError::TooLarge(max)) => (None, declared.unwrap_or(max + 1), None),
                Err(e) => return Err(e),
            };
            let mut seen = self.seen();
            let previous = seen.get(relative);
            let mtime_ns = modified.unwrap_or_else(|| {
                // No Last-Modified: the time this content was first seen — by this process, or
                // the stored version's when the content is the stored one.
                previous
                    .filter(|p| p.sha256.is_some() && p.sha256 == sha)
                    .map(|p| p.entry.mtime_ns)
                    .or_else(|| {
                        known
                            .filter(|k| sha.as_deref() == Some(k.sha256.as_str()))
                            .map(|k| k.mtime_ns)
                    })
                    .unwrap_or_else(now_ns)
            });
            // Without validators the content is the token.
            let token = server_etag.as_deref().and_then(etag_token).or_else(|| {
                if modified.is_none() {
                    sha.as_ref().map(|s| format!("sha256:{s}"))
                } else {
                    None
                }
            });
            let entry = FoundFile {
                size,
                mtime_ns,
                etag: token,
                ..base.clone()
            };
            seen.insert(
                relative.to_string(),
                Seen {
                    entry: entry.clone(),
                    last_modified,
                    server_etag,
                    sha256: sha,
                    body,
                },
            );
            Ok(entry)
        })
    }
}

/// Now, to the second, as nanoseconds.
fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0) * 1_000_000_000)
        .unwrap_or(0)
}

/// Nanoseconds since the epoch as an HTTP date.
fn http_date(ns: i64) -> Option<String> {
    let t = chrono::DateTime::<chrono::Utc>::from_timestamp(ns.div_euclid(1_000_000_000), 0)?;
    Some(t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

impl Source for HttpSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn describe(&self) -> String {
        match self.links.as_slice() {
            [(_, one)] => format!("http {}", without_query(one)),
            links => format!("http ({} direcciones)", links.len()),
        }
    }

    fn list(&self, known: &HashMap<String, Known>) -> SourceScan {
        let mut scan = SourceScan::default();
        let mut first_error = None;
        for (relative, url) in &self.links {
            scan.requests += 1;
            match self.fetch(relative, url, known.get(relative)) {
                Ok(entry) => scan.files.push(entry),
                Err(e) => {
                    first_error.get_or_insert_with(|| e.to_string());
                    scan.unreadable.push(Unreadable {
                        relative: relative.clone(),
                        problem: FolderProblem::Unlistable(format!("{}: {e}", without_query(url))),
                    });
                }
            }
        }
        if scan.files.is_empty() {
            let why = first_error.unwrap_or_else(|| "ninguna dirección configurada".to_string());
            return SourceScan::failed(SourceError::Network(self.describe(), why));
        }
        scan
    }

    fn open(&self, entry: &FoundFile, max_bytes: u64) -> Result<Opened, OpenError> {
        let kept = {
            let mut seen = self.seen();
            seen.get_mut(&entry.relative)
                .filter(|s| {
                    s.entry.size == entry.size
                        && s.entry.mtime_ns == entry.mtime_ns
                        && s.entry.etag == entry.etag
                })
                .and_then(|s| s.body.take())
        };
        match kept {
            Some(d) if d.size <= max_bytes => Ok(Opened {
                path: d.path,
                _download: Some(d.guard),
            }),
            // Listed without its body (a 304, or another process's listing): fetched now, and
            // checked against the listing as a WebDAV file is. A content token (no validators)
            // cannot be checked before the body is read; the pipeline's hash tells.
            _ => {
                let mut checked = entry.clone();
                if checked
                    .etag
                    .as_deref()
                    .is_some_and(|t| t.starts_with("sha256:"))
                {
                    checked.etag = None;
                    checked.mtime_ns = 0;
                }
                open_url(&self.client, &checked, max_bytes)
            }
        }
    }

    fn still_as_listed(&self, _: &FoundFile) -> bool {
        true
    }

    fn reachable(&self) -> Result<(), String> {
        let mut failures = Vec::new();
        for (relative, url) in &self.links {
            let build = || self.client.request(Method::HEAD, url);
            // Some servers refuse HEAD on a download link; any answer but a failure to connect
            // shows the server is there, and 401/403 that the secret is wrong.
            let r =
                self.client.send(
                    url,
                    &build,
                    &|_| true,
                    &mut |resp| match resp.status().as_u16() {
                        401 | 403 | 404 => Err(super::client::status_error(resp.status(), url)),
                        _ => Ok(()),
                    },
                );
            if let Err(e) = r {
                failures.push(format!("{relative}: {e}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_named_by_its_organismo_and_its_last_segment_unless_named() {
        let link = |url: &str, archivo: Option<&str>| UrlConfig {
            url: url.into(),
            organismo: "ministerio-a".into(),
            archivo: archivo.map(str::to_string),
        };
        assert_eq!(
            identity(&link("https://datos.example/x/Reuni%C3%B3n.xlsx?v=2", None)),
            "ministerio-a/Reunión.xlsx"
        );
        assert_eq!(
            identity(&link("https://datos.example/export", Some("reuniones.csv"))),
            "ministerio-a/reuniones.csv"
        );
        assert_eq!(
            identity(&link("https://datos.example/", None)),
            "ministerio-a/descarga"
        );
    }

    #[test]
    fn stored_times_go_back_to_the_server_as_http_dates() {
        assert_eq!(
            http_date(1_796_162_435_000_000_000).as_deref(),
            Some("Tue, 01 Dec 2026 22:00:35 GMT")
        );
        assert_eq!(
            http_date(1_796_162_435_000_000_000).and_then(|d| http_date_ns(&d)),
            Some(1_796_162_435_000_000_000)
        );
    }
}
