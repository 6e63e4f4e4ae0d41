//! The sources table (`[[sources]]`): what kind of place each source is, its keys, and the
//! checks of one source's keys alone and together (a secret never written in the file, keys of
//! one kind refused on another, numbers within their ranges, links that may carry a secret).
//!
//! Only the table and its checks: it must not open a source, touch the network or read the
//! secret; checks across sources and against the working folder stay in [`super::Settings`].

use std::path::PathBuf;

use serde::Deserialize;

use super::within;

/// What kind of place a source is (`tipo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A local folder or a mounted share (the default: the form without `tipo`).
    #[default]
    Carpeta,
    /// A WebDAV share (Nextcloud, ownCloud, SharePoint-style servers), listed with PROPFIND.
    Webdav,
    /// Spreadsheets published at links, each fetched only when it changed.
    Http,
}

/// One spreadsheet published at a link (`[[sources.urls]]` of a `tipo = "http"` source).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlConfig {
    /// The link (https://, or http:// when no secret is sent).
    pub url: String,
    /// The organismo whose file it is (its folder name, as a drop folder's first level).
    pub organismo: String,
    /// The file's name inside the organismo (its identity is `organismo/archivo`); default:
    /// the link's last path segment.
    pub archivo: Option<String>,
}

/// One source: a drop folder (the default), a WebDAV share or published links. Keys of one
/// kind are refused on another, so a source never half-means something.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique short name.
    pub name: String,
    /// `carpeta` (default), `webdav` or `http`.
    #[serde(default)]
    pub tipo: SourceKind,
    /// `carpeta`: the folder whose first-level subfolders are organismos. Not empty, and
    /// holding none of the working folder's outputs (checked when the configuration loads).
    pub path: Option<PathBuf>,
    /// `carpeta`: follow symbolic links whose target stays inside `path` (never one that
    /// leads out of it, never to a file read already). Default: no link is followed; each is
    /// listed in the ingest summary.
    #[serde(default)]
    pub seguir_enlaces: bool,
    /// `webdav`: the share's folder whose first-level subfolders are organismos.
    pub url: Option<String>,
    /// `http`: the published spreadsheets.
    #[serde(default)]
    pub urls: Vec<UrlConfig>,
    /// User name for Basic authentication; with it, `clave_env` or `clave_archivo` holds the
    /// password. A `clave_*` without `usuario` is a Bearer token.
    pub usuario: Option<String>,
    /// Name of the environment variable holding the password or token.
    pub clave_env: Option<String>,
    /// File holding the password or token (one line), relative to the configuration's folder.
    pub clave_archivo: Option<PathBuf>,
    /// Refused: a secret never goes in the configuration (see `clave_env`).
    #[doc(hidden)]
    pub clave: Option<crate::deliver::config::Refused>,
    /// Extra root certificate (PEM) to trust besides the system's, relative to the
    /// configuration's folder.
    pub ca_archivo: Option<PathBuf>,
    /// Seconds to wait for the server to connect or to send the next bytes.
    #[serde(default = "default_source_timeout")]
    pub timeout_segundos: u64,
    /// Further attempts after a request failed for a reason that may pass (no connection, a
    /// timeout, a 5xx), each after a doubled wait from one second.
    #[serde(default = "default_source_retries")]
    pub reintentos: u32,
    /// Redirects followed at most for one request.
    #[serde(default = "default_source_redirects")]
    pub max_redirecciones: usize,
    /// Other hosts a redirect may lead to (by default a redirect stays on the source's host).
    #[serde(default)]
    pub redirigir_a: Vec<String>,
    /// `webdav`: folders below the share walked at most.
    #[serde(default = "default_source_depth")]
    pub max_profundidad: usize,
    /// `webdav`: entries (files and folders) one listing may hold; past it the source is an
    /// error of its own, nothing read, nothing retracted.
    #[serde(default = "default_source_entries")]
    pub max_entradas: usize,
}

fn default_source_timeout() -> u64 {
    30
}
fn default_source_retries() -> u32 {
    2
}
fn default_source_redirects() -> usize {
    5
}
fn default_source_depth() -> usize {
    8
}
fn default_source_entries() -> usize {
    100_000
}

/// `sources[].timeout_segundos` at most.
const MAX_SOURCE_TIMEOUT_SECONDS: u64 = 600;
/// `sources[].reintentos` at most.
const MAX_SOURCE_RETRIES: u64 = 10;
/// `sources[].max_redirecciones` at most.
const MAX_SOURCE_REDIRECTS: u64 = 20;
/// `sources[].max_entradas` at most.
const MAX_SOURCE_ENTRIES: u64 = 10_000_000;

impl SourceConfig {
    /// Checks one source's keys alone and together; messages name the key
    /// (`sources[i].key`).
    pub(super) fn check(&self, i: usize) -> Result<(), String> {
        let key = |k: &str| {
            format!(
                "sources[{i}].{k} (source «{}»)",
                crate::names::printable(&self.name)
            )
        };
        if self.clave.is_some() {
            return Err(format!("{}: a secret never goes in participa.toml; name an environment variable in clave_env or a file in clave_archivo", key("clave")));
        }
        let network = self.tipo != SourceKind::Carpeta;
        // Keys that mean something for one kind only.
        let mut wrong: Vec<&str> = Vec::new();
        if self.tipo != SourceKind::Carpeta {
            if self.path.is_some() {
                wrong.push("path");
            }
            if self.seguir_enlaces {
                wrong.push("seguir_enlaces");
            }
        }
        if self.tipo != SourceKind::Webdav && self.url.is_some() {
            wrong.push("url");
        }
        if self.tipo != SourceKind::Http && !self.urls.is_empty() {
            wrong.push("urls");
        }
        if !network {
            for (given, name) in [
                (self.usuario.is_some(), "usuario"),
                (self.clave_env.is_some(), "clave_env"),
                (self.clave_archivo.is_some(), "clave_archivo"),
                (self.ca_archivo.is_some(), "ca_archivo"),
                (!self.redirigir_a.is_empty(), "redirigir_a"),
            ] {
                if given {
                    wrong.push(name);
                }
            }
        }
        if let Some(k) = wrong.first() {
            let kind = match self.tipo {
                SourceKind::Carpeta => "carpeta",
                SourceKind::Webdav => "webdav",
                SourceKind::Http => "http",
            };
            return Err(format!(
                "{}: not a key of a source of tipo = \"{kind}\"",
                key(k)
            ));
        }
        match self.tipo {
            SourceKind::Carpeta => {
                if self.path.is_none() {
                    return Err(format!("{}: the drop folder is missing, e.g. path = \"inbox\" (or give tipo = \"webdav\" or \"http\")", key("path")));
                }
            }
            SourceKind::Webdav => {
                let url = self.url.as_deref().ok_or_else(|| format!("{}: the share's address is missing, e.g. url = \"https://nube.example.gob.ar/remote.php/dav/files/participa/\"", key("url")))?;
                self.check_url(&key("url"), url)?;
            }
            SourceKind::Http => {
                if self.urls.is_empty() {
                    return Err(format!(
                        "{}: no link given; add [[sources.urls]] blocks with url and organismo",
                        key("urls")
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                for (j, u) in self.urls.iter().enumerate() {
                    let k = key(&format!("urls[{j}].url"));
                    self.check_url(&k, &u.url)?;
                    let org = u.organismo.trim();
                    if org.is_empty() || org.contains(['/', '\\']) || org.starts_with('.') {
                        return Err(format!(
                            "{}: «{}» is not an organismo folder name",
                            key(&format!("urls[{j}].organismo")),
                            crate::names::printable(&u.organismo)
                        ));
                    }
                    if let Some(a) = &u.archivo {
                        if a.trim().is_empty() || a.contains(['/', '\\']) || a.starts_with('.') {
                            return Err(format!(
                                "{}: «{}» is not a file name (no folders, not hidden)",
                                key(&format!("urls[{j}].archivo")),
                                crate::names::printable(a)
                            ));
                        }
                    }
                    let identity = crate::ingest::source::http::identity(u);
                    if !seen.insert(identity.clone()) {
                        return Err(format!(
                            "{k}: two links give the same file «{}»; name one with archivo = \"…\"",
                            crate::names::printable(&identity)
                        ));
                    }
                }
            }
        }
        if network {
            match (&self.usuario, &self.clave_env, &self.clave_archivo) {
                (_, Some(_), Some(_)) => return Err(format!("{}: give clave_env or clave_archivo, not both", key("clave_archivo"))),
                (Some(u), None, None) => return Err(format!("{}: «{}» needs a password: name an environment variable in clave_env or a file in clave_archivo", key("usuario"), crate::names::printable(u))),
                (Some(u), _, _) if u.trim().is_empty() || u.contains(':') => return Err(format!("{}: not a user name (empty, or holding «:»)", key("usuario"))),
                (_, Some(var), None) if !valid_env_name(var) => return Err(format!("{}: «{}» is not an environment variable's name (letters, digits and _, not starting with a digit)", key("clave_env"), crate::names::printable(var))),
                (_, None, Some(p)) if p.as_os_str().is_empty() => return Err(format!("{}: cannot be empty", key("clave_archivo"))),
                _ => {}
            }
            within(
                &key("timeout_segundos"),
                self.timeout_segundos,
                1,
                MAX_SOURCE_TIMEOUT_SECONDS,
            )?;
            within(
                &key("reintentos"),
                u64::from(self.reintentos),
                0,
                MAX_SOURCE_RETRIES,
            )?;
            within(
                &key("max_redirecciones"),
                self.max_redirecciones as u64,
                0,
                MAX_SOURCE_REDIRECTS,
            )?;
            within(
                &key("max_profundidad"),
                self.max_profundidad as u64,
                1,
                crate::ingest::source::MAX_DEPTH as u64,
            )?;
            within(
                &key("max_entradas"),
                self.max_entradas as u64,
                1,
                MAX_SOURCE_ENTRIES,
            )?;
            for host in &self.redirigir_a {
                if host.trim().is_empty()
                    || host
                        .contains(|c: char| c.is_whitespace() || c == '/' || c == '@' || c == ':')
                {
                    return Err(format!(
                        "{}: «{}» is not a host name (no scheme, port or path)",
                        key("redirigir_a"),
                        crate::names::printable(host)
                    ));
                }
            }
        }
        Ok(())
    }

    /// True when a secret is sent (Basic or Bearer).
    pub fn has_secret(&self) -> bool {
        self.clave_env.is_some() || self.clave_archivo.is_some()
    }

    fn check_url(&self, key: &str, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
            format!(
                "{key}: «{}» is not a web address ({e})",
                crate::names::printable(url)
            )
        })?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(format!(
                "{key}: «{}» must start with https:// (or http://)",
                crate::names::printable(url)
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!("{key}: the address holds a user or a password; give usuario, and clave_env or clave_archivo, instead"));
        }
        if parsed.fragment().is_some() {
            return Err(format!("{key}: an address with #… cannot be fetched"));
        }
        let host = parsed.host_str().unwrap_or_default();
        if parsed.scheme() == "http"
            && self.has_secret()
            && !crate::deliver::config::is_loopback(host)
        {
            return Err(format!("{key}: a password or token is never sent over http:// except to this machine (localhost, 127.0.0.1, ::1); use https://"));
        }
        Ok(())
    }
}

fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
