//! The HTTP client of the network sources (WebDAV and published links): reqwest's blocking
//! client over rustls (ring), with the system's root certificates plus a CA file, the secret
//! from an environment variable or a file (never from the configuration, never logged: the
//! header is marked sensitive), timeouts, retries with a doubling wait for what may pass (no
//! connection, a timeout, a 5xx, a connection cut mid-body), redirects bounded and kept on the
//! source's host, and downloads streamed to a file beside the store with the size limit
//! enforced while they stream, the `Content-Length` and any SHA-256 the server gives checked.
//!
//! Every failure becomes a [`NetError`], which says in plain words what went wrong (DNS, a
//! refused connection, TLS, a timeout, 401…) for the ingest summary, `status` and
//! `fuentes probar`.
//!
//! Blocking, not async: the ingest pass is synchronous — rayon workers read the files, and
//! each downloads the one it reads — so a blocking call in the worker is the natural shape;
//! reqwest runs its own small runtime thread for it. The daemon's tokio runtime only fires the
//! schedule; jobs run on the main thread, outside it.
//!
//! Knows HTTP and the source's configuration; nothing of WebDAV, listings, the pipeline or the
//! store.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{Downloads, TempFile};
use crate::config::SourceConfig;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why a request failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The host name does not resolve.
    #[error("no se encontró el servidor «{0}» (DNS): revise el nombre en la dirección")]
    Dns(String),
    /// Nothing listens there, or the connection could not be made.
    #[error("no se pudo conectar con «{0}»: {1}")]
    Connect(String, String),
    /// The TLS handshake failed (certificate, protocol).
    #[error("falló la conexión segura (TLS) con «{0}»: {1}")]
    Tls(String, String),
    /// The server did not answer (or stopped sending) within the timeout.
    #[error("el servidor «{0}» no respondió en {1} s (timeout_segundos)")]
    Timeout(String, u64),
    /// 401: the user or the secret was refused.
    #[error("el servidor rechazó el usuario o la clave (401 no autorizado): revise usuario y clave_env o clave_archivo")]
    Unauthorized,
    /// 403: the user may not read it.
    #[error("el servidor no da permiso para leer {0} (403 prohibido)")]
    Forbidden(String),
    /// 404: not there.
    #[error("{0} no existe en el servidor (404): revise la dirección")]
    NotFound(String),
    /// Another status.
    #[error("el servidor respondió {0} a {1}")]
    Status(String, String),
    /// A redirect that is not followed (another host, too many, a loop, to http://).
    #[error("redirección no seguida: {0}")]
    Redirect(String),
    /// The connection was cut, or the body ended short of its length.
    #[error("la respuesta llegó incompleta: {0}")]
    Interrupted(String),
    /// The body passed the size limit while it streamed.
    #[error("la respuesta pasa el máximo de {0} bytes")]
    TooLarge(u64),
    /// The body does not match the checksum the server gave.
    #[error("el contenido descargado no coincide con la suma de verificación del servidor ({0})")]
    Checksum(String),
    /// The downloaded file could not be written.
    #[error("no se pudo guardar la descarga: {0}")]
    Disk(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl NetError {
    /// True when trying again later may succeed.
    fn transient(&self) -> bool {
        match self {
            NetError::Connect(..) | NetError::Timeout(..) | NetError::Interrupted(_) => true,
            NetError::Status(code, _) => {
                code.starts_with('5') || code.starts_with("429") || code.starts_with("408")
            }
            _ => false,
        }
    }
}

/// A redirect refused by our policy, found again in reqwest's error chain.
#[derive(Debug)]
struct RedirectRefused(String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

/// A finished download: a local file, complete and checked, deleted when dropped.
#[derive(Debug)]
pub struct Downloaded {
    /// The file.
    pub path: PathBuf,
    pub(super) guard: TempFile,
    /// Bytes written.
    pub size: u64,
    /// SHA-256 of the bytes.
    pub sha256: String,
}

/// The client of one network source.
pub struct Client {
    http: reqwest::blocking::Client,
    /// `Authorization`, marked sensitive (never printed by reqwest's Debug).
    auth: Option<HeaderValue>,
    retries: u32,
    timeout: Duration,
    downloads: Downloads,
}

/// Reads the secret a source names: an environment variable or a file (first line). The
/// error names where it looked, never what it found.
fn read_secret(
    config: &SourceConfig,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Option<String>, String> {
    if let Some(var) = &config.clave_env {
        return match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim_end_matches(['\r', '\n']).to_string())),
            Ok(_) => Err(format!(
                "la variable de entorno {var} (clave_env) está vacía"
            )),
            Err(_) => Err(format!(
                "la variable de entorno {var} (clave_env) no está definida para este proceso"
            )),
        };
    }
    if let Some(file) = &config.clave_archivo {
        let path = resolve(file);
        return match std::fs::read_to_string(&path) {
            Ok(text) => match text.lines().next().map(str::trim_end) {
                Some(line) if !line.is_empty() => Ok(Some(line.to_string())),
                _ => Err(format!(
                    "el archivo de la clave {} (clave_archivo) está vacío",
                    crate::names::printable_path(&path)
                )),
            },
            Err(e) => Err(format!(
                "no se pudo leer el archivo de la clave {} (clave_archivo): {e}",
                crate::names::printable_path(&path)
            )),
        };
    }
    Ok(None)
}

/// The `Authorization` header: Basic with a user, Bearer without.
fn auth_header(user: Option<&str>, secret: &str) -> Result<HeaderValue, String> {
    let text = match user {
        Some(u) => format!("Basic {}", base64(format!("{u}:{secret}").as_bytes())),
        None => format!("Bearer {secret}"),
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        "la clave tiene caracteres que no pueden ir en una cabecera HTTP".to_string()
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Standard base64 with padding (RFC 4648), for Basic authentication and digests.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The TLS configuration: ring, the system's roots plus the CA file's.
fn tls_config(ca: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    if let Some(path) = ca {
        let shown = crate::names::printable_path(path);
        let bytes = std::fs::read(path)
            .map_err(|e| format!("no se pudo leer el certificado {shown} (ca_archivo): {e}"))?;
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            extra.push(cert.map_err(|e| {
                format!("el certificado {shown} (ca_archivo) no es un PEM válido: {e}")
            })?);
        }
        if extra.is_empty() {
            return Err(format!(
                "el archivo {shown} (ca_archivo) no tiene ningún certificado PEM"
            ));
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider) {
        Ok(verifier) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
        Err(e) => {
            // No roots at all (a machine without ca-certificates): http:// still works, and
            // an https:// source fails as a TLS error that says why.
            warn!(error = %e, "no se cargaron certificados raíz del sistema: las fuentes https:// fallarán");
            builder
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        }
    };
    Ok(config)
}

impl Client {
    /// The client for `config`; an error (in plain words) when its secret or CA file cannot
    /// be read or the client cannot be made.
    pub fn new(
        config: &SourceConfig,
        resolve: &dyn Fn(&Path) -> PathBuf,
        downloads: &Downloads,
    ) -> Result<Client, String> {
        let auth = match read_secret(config, resolve)? {
            Some(secret) => Some(auth_header(config.usuario.as_deref(), &secret)?),
            None => None,
        };
        let ca = config.ca_archivo.as_deref().map(resolve);
        let tls = tls_config(ca.as_deref())?;
        let timeout = Duration::from_secs(config.timeout_segundos);
        let max = config.max_redirecciones;
        let allowed: Vec<String> = config
            .redirigir_a
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let refused = redirect_refusal(attempt.url(), attempt.previous(), max, &allowed);
            match refused {
                Some(why) => attempt.error(RedirectRefused(why)),
                None => attempt.follow(),
            }
        });
        // Ours, so that no default of reqwest (its own provider) is ever reached.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(policy)
            .user_agent(concat!("participa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("no se pudo preparar el cliente HTTP: {e}"))?;
        Ok(Client {
            http,
            auth,
            retries: config.reintentos,
            timeout,
            downloads: downloads.clone(),
        })
    }

    /// A request with the source's authentication.
    pub fn request(&self, method: reqwest::Method, url: &Url) -> RequestBuilder {
        let mut req = self.http.request(method, url.clone());
        if let Some(auth) = &self.auth {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, auth.clone());
            req = req.headers(headers);
        }
        req
    }

    /// Sends a request built by `build` (again for each attempt) and hands the response to
    /// `take`, which may fail too (a body cut short); retried with a doubling wait while the
    /// failure may pass. A status `accept` does not take is an error.
    pub fn send<T>(
        &self,
        url: &Url,
        build: &dyn Fn() -> RequestBuilder,
        accept: &dyn Fn(StatusCode) -> bool,
        take: &mut dyn FnMut(Response) -> Result<T, NetError>,
    ) -> Result<T, NetError> {
        self.send_with(self.retries, url, build, accept, take)
    }

    /// [`Client::send`] tried once: a quick look (`status`) says what it finds now.
    pub fn send_once<T>(
        &self,
        url: &Url,
        build: &dyn Fn() -> RequestBuilder,
        accept: &dyn Fn(StatusCode) -> bool,
        take: &mut dyn FnMut(Response) -> Result<T, NetError>,
    ) -> Result<T, NetError> {
        self.send_with(0, url, build, accept, take)
    }

    fn send_with<T>(
        &self,
        retries: u32,
        url: &Url,
        build: &dyn Fn() -> RequestBuilder,
        accept: &dyn Fn(StatusCode) -> bool,
        take: &mut dyn FnMut(Response) -> Result<T, NetError>,
    ) -> Result<T, NetError> {
        let mut wait = Duration::from_secs(1);
        let mut attempt = 0;
        loop {
            let result = match build().send() {
                Ok(resp) if accept(resp.status()) => take(resp),
                Ok(resp) => Err(status_error(resp.status(), url)),
                Err(e) => Err(self.classify(&e, url)),
            };
            match result {
                Err(e) if e.transient() && attempt < retries => {
                    attempt += 1;
                    info!(direccion = %without_query(url), error = %e, intento = attempt, espera_segundos = wait.as_secs(), "fallo pasajero de la fuente: se reintenta");
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(MAX_BACKOFF);
                }
                other => return other,
            }
        }
    }

    /// A reqwest error in plain words.
    fn classify(&self, e: &reqwest::Error, url: &Url) -> NetError {
        let host = url.host_str().unwrap_or_default().to_string();
        let mut chain: Vec<String> = Vec::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = source {
            if let Some(r) = err.downcast_ref::<RedirectRefused>() {
                return NetError::Redirect(r.0.clone());
            }
            if let Some(tls) = find_tls(err) {
                return NetError::Tls(host, tls_words(tls));
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::TimedOut => {
                        return NetError::Timeout(host, self.timeout.as_secs())
                    }
                    std::io::ErrorKind::ConnectionRefused => {
                        return NetError::Connect(
                            host,
                            "nadie atiende en esa dirección y puerto (¿servidor apagado?)"
                                .to_string(),
                        )
                    }
                    _ => {}
                }
            }
            chain.push(err.to_string());
            source = err.source();
        }
        let text = chain.join(": ");
        if e.is_timeout() {
            return NetError::Timeout(host, self.timeout.as_secs());
        }
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return NetError::Dns(host);
        }
        if e.is_redirect() {
            return NetError::Redirect(text);
        }
        if e.is_connect() {
            return NetError::Connect(host, text);
        }
        if e.is_body()
            || e.is_decode()
            || text.contains("connection closed")
            || text.contains("IncompleteMessage")
        {
            return NetError::Interrupted(text);
        }
        NetError::Other(text)
    }

    /// Streams `resp`'s body to a new file in the downloads folder: refused before it starts
    /// when its `Content-Length` is over `max_bytes`, cut off as soon as it passes it, and
    /// checked against its `Content-Length` and any SHA-256 the server states; a failure
    /// leaves no file.
    pub fn download(&self, mut resp: Response, max_bytes: u64) -> Result<Downloaded, NetError> {
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(NetError::TooLarge(max_bytes));
        }
        let expected_digest = stated_sha256(resp.headers());
        let (mut file, guard) = self
            .downloads
            .create()
            .map_err(|e| NetError::Disk(e.to_string()))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size: u64 = 0;
        let host = resp.url().host_str().unwrap_or_default().to_string();
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Err(NetError::Timeout(host, self.timeout.as_secs()))
                }
                Err(e) => return Err(NetError::Interrupted(e.to_string())),
            };
            size += n as u64;
            if size > max_bytes {
                return Err(NetError::TooLarge(max_bytes));
            }
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            file.write_all(chunk)
                .map_err(|e| NetError::Disk(e.to_string()))?;
        }
        if let Some(n) = declared.filter(|n| *n != size) {
            return Err(NetError::Interrupted(format!(
                "llegaron {size} bytes de los {n} anunciados (Content-Length)"
            )));
        }
        file.flush().map_err(|e| NetError::Disk(e.to_string()))?;
        let digest = hasher.finalize();
        if let Some((expected, how)) = expected_digest {
            if expected != digest.as_slice() {
                return Err(NetError::Checksum(how));
            }
        }
        Ok(Downloaded {
            path: guard.0.clone(),
            guard,
            size,
            sha256: hex::encode(digest),
        })
    }
}

/// Why a redirect to `to` after `previous` is not followed, if it is not.
fn redirect_refusal(to: &Url, previous: &[Url], max: usize, allowed: &[String]) -> Option<String> {
    if previous.iter().any(|u| u == to) {
        return Some(format!(
            "la dirección redirige en bucle (vuelve a {})",
            without_query(to)
        ));
    }
    if previous.len() > max {
        return Some(format!(
            "más de {max} redirecciones seguidas (max_redirecciones)"
        ));
    }
    let from = previous.first()?;
    if from.scheme() == "https" && to.scheme() != "https" {
        return Some(format!(
            "de https:// a {}: no se baja la seguridad",
            without_query(to)
        ));
    }
    let host = to.host_str().unwrap_or_default().to_ascii_lowercase();
    let same = from
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(&host))
        && from.port_or_known_default() == to.port_or_known_default();
    if !same && !allowed.contains(&host) {
        return Some(format!(
            "a otro servidor, «{host}», que no está en redirigir_a"
        ));
    }
    None
}

/// The TLS error inside `err`, however deep: an `io::Error` hides what it wraps from
/// `source()` (it hands over the wrapped error's own source), so each is opened with
/// `get_ref()`.
fn find_tls<'e>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        let inner: &(dyn std::error::Error + 'static) = inner;
        if let Some(tls) = find_tls(inner) {
            return Some(tls);
        }
    }
    err.source().and_then(find_tls)
}

/// A TLS failure in words.
fn tls_words(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => {
            format!("el certificado del servidor no es válido o no es de una autoridad de confianza ({c:?}); si es de una autoridad propia, indique su certificado en ca_archivo")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "el servidor no habla TLS en ese puerto (¿es http:// en vez de https://?)".to_string()
        }
        other => other.to_string(),
    }
}

/// A status that is not the one wanted, in words.
pub fn status_error(status: StatusCode, url: &Url) -> NetError {
    let shown = without_query(url);
    match status.as_u16() {
        401 => NetError::Unauthorized,
        403 => NetError::Forbidden(shown),
        404 => NetError::NotFound(shown),
        _ => NetError::Status(status.to_string(), shown),
    }
}

/// A URL to print: without its query (which may carry a token) and never with credentials
/// (refused in the configuration anyway).
pub fn without_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    crate::names::printable(u.as_str()).into_owned()
}

/// The SHA-256 a response states for its body, when it gives one: `Repr-Digest` (RFC 9530),
/// `Digest` (RFC 3230) or ownCloud/Nextcloud's `OC-Checksum`. Other algorithms are not
/// checked (the `Content-Length` still is).
fn stated_sha256(headers: &HeaderMap) -> Option<(Vec<u8>, String)> {
    for name in ["repr-digest", "digest"] {
        for value in headers.get_all(name) {
            let Ok(text) = value.to_str() else { continue };
            for part in text.split(',') {
                let Some((algo, b64)) = part.trim().split_once('=') else {
                    continue;
                };
                if algo.trim().eq_ignore_ascii_case("sha-256") {
                    let b64 = b64.trim().trim_matches(':');
                    if let Some(bytes) = unbase64(b64) {
                        return Some((bytes, format!("{name}: sha-256")));
                    }
                }
            }
        }
    }
    for value in headers.get_all("oc-checksum") {
        let Ok(text) = value.to_str() else { continue };
        for part in text.split_whitespace() {
            if let Some((algo, hex_digest)) = part.split_once(':') {
                if algo.eq_ignore_ascii_case("sha256") {
                    if let Ok(bytes) = hex::decode(hex_digest) {
                        return Some((bytes, "OC-Checksum: SHA256".to_string()));
                    }
                }
            }
        }
    }
    None
}

/// Decodes standard base64 (padding optional); `None` when it is not.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
            assert_eq!(unbase64(encoded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(unbase64("no válido"), None);
    }

    #[test]
    fn redirects_stay_on_the_host_unless_allowed_never_loop_and_never_drop_tls() {
        let u = |s: &str| Url::parse(s).expect("url");
        let start = [u("https://nube.example/dav/")];
        let allowed = ["archivos.example".to_string()];
        assert_eq!(
            redirect_refusal(&u("https://nube.example/otra/"), &start, 5, &allowed),
            None
        );
        assert_eq!(
            redirect_refusal(&u("https://archivos.example/x"), &start, 5, &allowed),
            None
        );
        let refused = |to: &str, previous: &[Url], max: usize| {
            redirect_refusal(&u(to), previous, max, &allowed).unwrap_or_default()
        };
        assert!(refused("https://otro.example/x", &start, 5).contains("otro.example"));
        assert!(refused("http://nube.example/dav/", &start, 5).contains("no se baja la seguridad"));
        assert!(refused("https://nube.example:8443/dav/", &start, 5).contains("redirigir_a"));
        assert!(refused("https://nube.example/dav/", &start, 5).contains("bucle"));
        let chain = [u("https://nube.example/1"), u("https://nube.example/2")];
        assert!(refused("https://nube.example/3", &chain, 1).contains("más de 1"));
    }

    #[test]
    fn a_stated_sha256_is_found_in_any_of_the_headers_servers_use() {
        let digest = Sha256::digest(b"hola");
        let mut headers = HeaderMap::new();
        let value = format!("sha-256=:{}:", base64(&digest));
        headers.insert(
            "repr-digest",
            HeaderValue::from_str(&value).expect("header"),
        );
        assert_eq!(stated_sha256(&headers).map(|d| d.0), Some(digest.to_vec()));
        let mut headers = HeaderMap::new();
        let value = format!("SHA1:abc SHA256:{}", hex::encode(digest));
        headers.insert(
            "oc-checksum",
            HeaderValue::from_str(&value).expect("header"),
        );
        assert_eq!(stated_sha256(&headers).map(|d| d.0), Some(digest.to_vec()));
        let mut headers = HeaderMap::new();
        headers.insert("digest", HeaderValue::from_static("md5=abc"));
        assert_eq!(stated_sha256(&headers), None);
    }
}
