//! A shared HTTP client for everything that talks to the outside: per-request timeouts, a
//! streaming body-size cap, conditional GET (ETag / Last-Modified remembered per URL), bounded
//! retries that honour `Retry-After` on 429/503/504, and redirects followed only to http(s).
//!
//! One request, retries included, takes at most twice its timeout: the first attempt gets the
//! timeout, and a retry is made only if its wait plus another full timeout still fits in the
//! rest. A `Retry-After` that does not fit ends the request at once as [`NetError::Throttled`]
//! (`throttled: retry after N s`), so the caller's scheduler waits instead of the request.
//!
//! The client is cheap to clone (everything lives behind an `Arc`), so one instance is shared by
//! every poller and query task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};

use crate::domain::text::sanitize_line;

pub use super::error::{NetError, fmt_duration};
use super::secret::Secret;

/// Default cap on a response body: 8 MiB.
pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;
/// Default per-request timeout: 15 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest `Retry-After` we take at face value (a day); anything longer is clamped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// How many redirects one request follows.
const MAX_REDIRECTS: usize = 10;
/// How many URLs the conditional-GET cache remembers before it starts over.
const MAX_CACHED_URLS: usize = 256;
/// Length of the body excerpt quoted in an error message.
const EXCERPT_LEN: usize = 200;

/// Parses a `Retry-After` value: integer seconds (`10`), decimal seconds (`2.128`, as some Graph
/// workloads send) or an HTTP-date (RFC 9110). A date in the past means "now". Negative, non-finite
/// or unparsable values give `None`. Results are clamped to one day.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = v.parse().ok()?;
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        return Some(Duration::from_secs_f64(
            secs.min(MAX_RETRY_AFTER.as_secs_f64()),
        ));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// Client-wide settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Sent as `User-Agent`.
    pub user_agent: String,
    /// Timeout for establishing a connection (the per-request timeout still bounds the total).
    pub connect_timeout: Duration,
    /// How many times one request is retried after 429/503/504.
    pub max_retries: u32,
    /// The longest delay we sleep inside one request before a retry. A longer `Retry-After` ends
    /// the request with [`NetError::Throttled`] so the caller's scheduler can wait instead.
    pub max_retry_delay: Duration,
    /// The first retry delay when the server sends no `Retry-After`; doubled on each retry.
    pub fallback_retry_delay: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            user_agent: concat!("warroom/", env!("CARGO_PKG_VERSION")).to_string(),
            connect_timeout: Duration::from_secs(10),
            max_retries: 2,
            max_retry_delay: Duration::from_secs(30),
            fallback_retry_delay: Duration::from_secs(1),
        }
    }
}

/// Per-request settings.
#[derive(Debug, Clone)]
pub struct RequestOptions {
    /// Bound on the whole request, body included.
    pub timeout: Duration,
    /// Bound on the body size in bytes.
    pub max_body: usize,
    /// Send `If-None-Match` / `If-Modified-Since` from the last answer for this URL and, on 304,
    /// hand back the remembered body with [`HttpResponse::not_modified`] set.
    pub conditional: bool,
    /// Retry on 503 and 504 as on 429. False for a request that must not be sent twice (one
    /// that creates something, such as a tracker issue): a 503 or 504 may come after the server
    /// acted, so only 429, which says it did not, is retried.
    pub retry_unavailable: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            conditional: false,
            retry_unavailable: true,
        }
    }
}

/// A response whose body has been read (within the cap).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The URL that was requested.
    pub url: String,
    /// The status code of the final answer (200 even when the body came from the cache after a
    /// 304; see `not_modified`).
    pub status: u16,
    /// Response headers (of the 304 when the body came from the cache).
    pub headers: HeaderMap,
    /// The body bytes, at most `max_body` long.
    pub body: Vec<u8>,
    /// True when the server answered 304 and `body` is the remembered copy.
    pub not_modified: bool,
}

impl HttpResponse {
    /// Decodes the body as JSON into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, NetError> {
        serde_json::from_slice(&self.body).map_err(|e| NetError::Decode {
            url: self.url.clone(),
            what: "JSON",
            detail: sanitize_line(&e.to_string(), EXCERPT_LEN),
        })
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A short, display-safe excerpt of the body for error messages.
    pub fn excerpt(&self) -> String {
        excerpt_of(&self.body)
    }
}

fn excerpt_of(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_LEN * 4)];
    sanitize_line(&String::from_utf8_lossy(head), EXCERPT_LEN)
}

#[derive(Debug, Clone)]
struct CacheEntry {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    options: HttpOptions,
    cache: Mutex<HashMap<String, CacheEntry>>,
}

/// The shared client. Clone it freely.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

enum Attempt {
    Done(HttpResponse),
    Retry {
        status: u16,
        retry_after: Option<Duration>,
    },
}

impl HttpClient {
    /// Builds a client. Fails only if the TLS backend cannot be initialised.
    pub fn new(options: HttpOptions) -> Result<Self, NetError> {
        // A redirect to anything but http(s) is not followed; the 3xx answer comes back and is
        // reported as what it is (see `attempt_inner`).
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if !matches!(attempt.url().scheme(), "http" | "https") {
                attempt.stop()
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .redirect(redirects)
            .build()
            .map_err(|e| NetError::Client {
                detail: error_chain(&e),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                options,
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The client-wide options.
    pub fn options(&self) -> &HttpOptions {
        &self.inner.options
    }

    /// A client on the same connections that never retries by itself: a throttling answer comes
    /// straight back as [`NetError::Throttled`] (with the `Retry-After` it carried). For callers
    /// that must count every request they send, such as a rate budget. The conditional-GET cache
    /// is not shared.
    pub fn without_retries(&self) -> HttpClient {
        HttpClient {
            inner: Arc::new(Inner {
                client: self.inner.client.clone(),
                options: HttpOptions {
                    max_retries: 0,
                    ..self.inner.options.clone()
                },
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Starts a request on the underlying client (for POSTs, custom headers, …); finish it with
    /// [`HttpClient::send`] or [`HttpClient::send_any_status`].
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.inner.client.request(method, url)
    }

    /// `GET url`, error on any non-2xx answer.
    pub async fn get(&self, url: &str, opts: &RequestOptions) -> Result<HttpResponse, NetError> {
        check_url(url)?;
        self.send(self.request(reqwest::Method::GET, url), url, opts)
            .await
    }

    /// `GET url` with `Authorization: Bearer <token>`, error on any non-2xx answer.
    pub async fn get_bearer(
        &self,
        url: &str,
        token: &Secret,
        opts: &RequestOptions,
    ) -> Result<HttpResponse, NetError> {
        check_url(url)?;
        let req = self
            .request(reqwest::Method::GET, url)
            .bearer_auth(token.expose());
        self.send(req, url, opts).await
    }

    /// Sends a prepared request with the retry, timeout and size rules; any non-2xx answer becomes
    /// an error. `url` is only used for messages and the conditional cache.
    pub async fn send(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        opts: &RequestOptions,
    ) -> Result<HttpResponse, NetError> {
        let resp = self.send_any_status(req, url, opts).await?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(NetError::Status {
                url: url.to_string(),
                status: resp.status,
                excerpt: resp.excerpt(),
            })
        }
    }

    /// Like [`HttpClient::send`] but hands back 4xx/5xx answers (body read within the cap) so the
    /// caller can parse an error document. Throttling statuses are still retried and turned into
    /// [`NetError::Throttled`] when retries run out.
    pub async fn send_any_status(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        opts: &RequestOptions,
    ) -> Result<HttpResponse, NetError> {
        let o = &self.inner.options;
        let started = tokio::time::Instant::now();
        let budget = opts.timeout.saturating_mul(2);
        let mut attempt: u32 = 0;
        loop {
            let Some(this_try) = req.try_clone() else {
                return Err(NetError::BadUrl {
                    url: url.to_string(),
                });
            };
            match self.attempt(this_try, url, opts).await? {
                Attempt::Done(resp) => return Ok(resp),
                Attempt::Retry {
                    status,
                    retry_after,
                } => {
                    let delay = retry_after.unwrap_or_else(|| {
                        o.fallback_retry_delay
                            .saturating_mul(2u32.saturating_pow(attempt))
                    });
                    // The retry must fit, wait and a whole attempt, in what is left of the budget.
                    let fits = started.elapsed() + delay + opts.timeout <= budget;
                    let may_retry = opts.retry_unavailable || status == 429;
                    if !may_retry || attempt >= o.max_retries || delay > o.max_retry_delay || !fits
                    {
                        return Err(NetError::Throttled {
                            url: url.to_string(),
                            status,
                            retry_after,
                        });
                    }
                    tracing::debug!(
                        url,
                        status,
                        delay_ms = delay.as_millis() as u64,
                        "throttled, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
        opts: &RequestOptions,
    ) -> Result<Attempt, NetError> {
        let timeout_err = || NetError::Timeout {
            url: url.to_string(),
            after: opts.timeout,
        };
        match tokio::time::timeout(opts.timeout, self.attempt_inner(req, url, opts)).await {
            Ok(r) => r,
            Err(_) => Err(timeout_err()),
        }
    }

    async fn attempt_inner(
        &self,
        mut req: reqwest::RequestBuilder,
        url: &str,
        opts: &RequestOptions,
    ) -> Result<Attempt, NetError> {
        let cached = if opts.conditional {
            self.cached(url)
        } else {
            None
        };
        if let Some(entry) = &cached {
            if let Some(etag) = &entry.etag {
                req = req.header(IF_NONE_MATCH, etag.clone());
            }
            if let Some(lm) = &entry.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.clone());
            }
        }
        let mut resp = req
            .timeout(opts.timeout)
            .send()
            .await
            .map_err(|e| map_send_error(e, url, opts.timeout))?;
        let status = resp.status();
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
        ) {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            return Ok(Attempt::Retry {
                status: status.as_u16(),
                retry_after,
            });
        }
        let headers = resp.headers().clone();
        if status.is_redirection()
            && status != StatusCode::NOT_MODIFIED
            && let Some(location) = headers.get(reqwest::header::LOCATION)
        {
            let location = String::from_utf8_lossy(location.as_bytes());
            // A relative Location (no scheme) stays on this server.
            if url_scheme(&location).is_some_and(|s| s != "http" && s != "https") {
                return Err(NetError::RedirectNotHttp {
                    url: url.to_string(),
                    location: sanitize_line(&location, EXCERPT_LEN),
                });
            }
        }
        if status == StatusCode::NOT_MODIFIED {
            return match cached {
                Some(entry) => Ok(Attempt::Done(HttpResponse {
                    url: url.to_string(),
                    status: 200,
                    headers,
                    body: entry.body,
                    not_modified: true,
                })),
                None => Err(NetError::UnexpectedNotModified {
                    url: url.to_string(),
                }),
            };
        }
        if let Some(len) = resp.content_length()
            && len > opts.max_body as u64
        {
            return Err(NetError::BodyTooLarge {
                url: url.to_string(),
                limit: opts.max_body,
            });
        }
        let mut body = Vec::new();
        loop {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| map_body_error(e, url, opts.timeout))?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > opts.max_body {
                return Err(NetError::BodyTooLarge {
                    url: url.to_string(),
                    limit: opts.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        if opts.conditional && status.is_success() {
            self.remember(url, &headers, &body);
        }
        Ok(Attempt::Done(HttpResponse {
            url: url.to_string(),
            status: status.as_u16(),
            headers,
            body,
            not_modified: false,
        }))
    }

    fn cached(&self, url: &str) -> Option<CacheEntry> {
        let cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(url).cloned()
    }

    fn remember(&self, url: &str, headers: &HeaderMap, body: &[u8]) {
        let etag = headers.get(ETAG).cloned();
        let last_modified = headers.get(LAST_MODIFIED).cloned();
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        if etag.is_none() && last_modified.is_none() {
            cache.remove(url);
            return;
        }
        if cache.len() >= MAX_CACHED_URLS && !cache.contains_key(url) {
            cache.clear();
        }
        cache.insert(
            url.to_string(),
            CacheEntry {
                etag,
                last_modified,
                body: body.to_vec(),
            },
        );
    }

    /// Forgets the conditional-GET validators for `url` (the next GET is unconditional).
    pub fn forget(&self, url: &str) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(url);
    }
}

/// The scheme of an absolute URL, lower-cased (`file` for `FILE:///etc/passwd`); `None` for a
/// relative reference.
fn url_scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.trim_start().split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Rejects anything that is not an absolute http(s) URL before it reaches the HTTP library.
pub fn check_url(url: &str) -> Result<(), NetError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if (lower.starts_with("http://") || lower.starts_with("https://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(())
    } else {
        Err(NetError::BadUrl {
            url: sanitize_line(url, EXCERPT_LEN),
        })
    }
}

/// The scheme, host and port of an absolute URL, lower-cased (`https://graph.microsoft.com:443`
/// and `https://graph.microsoft.com` compare equal).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let authority = authority
        .strip_suffix(default_port)
        .map(str::to_string)
        .unwrap_or(authority);
    Some(format!("{scheme}://{authority}"))
}

fn map_send_error(e: reqwest::Error, url: &str, timeout: Duration) -> NetError {
    if e.is_timeout() {
        NetError::Timeout {
            url: url.to_string(),
            after: timeout,
        }
    } else if e.is_builder() {
        NetError::BadUrl {
            url: sanitize_line(url, EXCERPT_LEN),
        }
    } else {
        NetError::Connect {
            url: url.to_string(),
            detail: error_chain(&e),
        }
    }
}

fn map_body_error(e: reqwest::Error, url: &str, timeout: Duration) -> NetError {
    if e.is_timeout() {
        NetError::Timeout {
            url: url.to_string(),
            after: timeout,
        }
    } else {
        NetError::Transfer {
            url: url.to_string(),
            detail: error_chain(&e),
        }
    }
}

/// Renders an error and its sources on one line, without the URL (which the caller adds).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    if cur.is_none() {
        out.push_str(&e.to_string());
    }
    while let Some(err) = cur {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&err.to_string());
        cur = err.source();
    }
    sanitize_line(&out, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_integer_decimal_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_millis(2128))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(120))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("1.2.3", now), None);
        assert_eq!(parse_retry_after("99999999999", now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn origins_compare_without_default_port() {
        assert_eq!(
            origin_of("https://Graph.Microsoft.com:443/v1.0/x?$skip=1"),
            origin_of("https://graph.microsoft.com")
        );
        assert_ne!(
            origin_of("http://127.0.0.1:8080/a"),
            origin_of("http://127.0.0.1:8081/a")
        );
        assert_eq!(origin_of("https://user@evil.example/"), None);
        assert_eq!(origin_of("ftp://x/"), None);
    }

    #[test]
    fn url_check() {
        assert!(check_url("https://example.com/x").is_ok());
        assert!(check_url("HTTP://example.com").is_ok());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("https://exa mple.com").is_err());
    }

    #[test]
    fn schemes_of_absolute_and_relative_references() {
        assert_eq!(url_scheme("FILE:///etc/passwd").as_deref(), Some("file"));
        assert_eq!(url_scheme("https://x/").as_deref(), Some("https"));
        assert_eq!(url_scheme("svn+ssh://x").as_deref(), Some("svn+ssh"));
        assert_eq!(url_scheme("/next?at=10:00"), None);
        assert_eq!(url_scheme("?page=2&t=1:2"), None);
        assert_eq!(url_scheme("page:2"), Some("page".into()));
        assert_eq!(url_scheme("2page:x"), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(fmt_duration(Duration::from_secs(90)), "90 s");
    }
}
