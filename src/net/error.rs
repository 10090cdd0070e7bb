//! What can go wrong on the wire ([`NetError`]), with messages that say what to do and never hold a
//! credential.

use std::time::Duration;

/// Everything that can go wrong on the wire. Every message says what to do about it and never
/// contains a credential.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The HTTP client itself could not be built.
    #[error("could not set up the HTTP client ({detail}); check the TLS and proxy environment")]
    Client {
        /// What the HTTP library reported.
        detail: String,
    },
    /// The URL is not an absolute http(s) URL, or a request could not be built from it.
    #[error("`{url}` is not a usable http(s) URL; fix the URL in the config")]
    BadUrl {
        /// The offending URL.
        url: String,
    },
    /// No TCP/TLS connection could be made.
    #[error("could not connect to {url} ({detail}); check the host name, DNS, proxy and firewall")]
    Connect {
        /// The URL that was requested.
        url: String,
        /// What the HTTP library reported.
        detail: String,
    },
    /// The whole request, body included, did not finish in time.
    #[error(
        "no complete answer from {url} within {}; check the network or raise `timeout` for this source",
        fmt_duration(*after)
    )]
    Timeout {
        /// The URL that was requested.
        url: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}{}; {}", excerpt_suffix(excerpt), status_hint(*status))]
    Status {
        /// The URL that was requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body, made safe for display.
        excerpt: String,
    },
    /// The server keeps asking us to slow down (429/503/504) and the retries ran out, or the
    /// delay it asked for does not fit in the request's time (twice its timeout).
    #[error("{}", throttled_message(url, *status, *retry_after))]
    Throttled {
        /// The URL that was requested.
        url: String,
        /// The HTTP status code (429, 503 or 504).
        status: u16,
        /// The delay the server asked for, if it sent a usable `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The server sent us to an address that is not http(s) (`file:///etc/passwd`, `ftp://…`);
    /// such redirects are never followed.
    #[error(
        "{url} redirected to {location}, which is not an http(s) address; warroom follows redirects only to http(s): check the URL in the config"
    )]
    RedirectNotHttp {
        /// The URL that was requested.
        url: String,
        /// Where the server pointed, made safe for display.
        location: String,
    },
    /// The body was larger than the configured cap; reading stopped at the cap.
    #[error(
        "the response from {url} is larger than {limit} bytes and was cut off; raise `max_body` for this source if it is legitimately that large"
    )]
    BodyTooLarge {
        /// The URL that was requested.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The connection broke while the body was being read.
    #[error("the transfer from {url} broke off ({detail}); it will be retried on the next poll")]
    Transfer {
        /// The URL that was requested.
        url: String,
        /// What the HTTP library reported.
        detail: String,
    },
    /// The body is not what we expected (malformed JSON, not a feed, …).
    #[error(
        "the response from {url} is not valid {what} ({detail}); check that the URL points at the right endpoint"
    )]
    Decode {
        /// The URL that was requested.
        url: String,
        /// What we expected, e.g. `JSON`.
        what: &'static str,
        /// Parser diagnostics, made safe for display.
        detail: String,
    },
    /// A server answered 304 Not Modified although we had nothing cached for that URL.
    #[error("{url} answered 304 Not Modified to an unconditional request; it will be retried")]
    UnexpectedNotModified {
        /// The URL that was requested.
        url: String,
    },
}

impl NetError {
    /// The delay a throttling server asked for, if this is a throttling error.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            NetError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status code, if the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            NetError::Status { status, .. } | NetError::Throttled { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub(super) fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

pub(super) fn throttled_message(url: &str, status: u16, retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(
            "throttled: retry after {} ({url} answered HTTP {status}; it is not asked again before then)",
            fmt_duration(d)
        ),
        None => format!(
            "{url} is throttling or unavailable (HTTP {status}) and retrying did not help; it will be asked again later"
        ),
    }
}

pub(super) fn status_hint(status: u16) -> &'static str {
    match status {
        300..=399 => {
            "it redirects somewhere warroom did not follow: put the final URL in the config"
        }
        401 => "the credentials were rejected: check the tenant, client id and secret",
        403 => {
            "access is forbidden: check that the app has the required permission and admin consent"
        }
        404 => "nothing at that address: check the URL",
        400..=499 => "the request was refused: check the source configuration",
        _ => "the service is failing; the poller will try again later",
    }
}

/// Formats a duration for a human: `250 ms`, `1.5 s`, `90 s`.
pub fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
