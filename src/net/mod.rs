//! Talking to the outside: the shared HTTP client (timeouts, size cap, conditional GET,
//! `Retry-After`), the OAuth2 client-credentials token cache, the SMTP client conversation, and
//! the [`Secret`] every credential is held in. Shared by the health pollers, the message trace
//! and the update channels. And [`process`]: the one way a configured local command is run (no
//! shell, capped output, a time limit that kills what it started).

pub mod editor;
mod error;
pub mod host;
pub mod http;
pub mod oauth;
pub mod process;
pub mod secret;
pub mod smtp;

pub use host::host_name;
pub use http::{HttpClient, HttpOptions, HttpResponse, NetError, RequestOptions};
pub use oauth::{AuthError, ClientCredentials, SecretSource, TokenCache};
pub use secret::Secret;
