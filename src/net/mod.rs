//! Talking to the outside: the shared HTTP client (timeouts, size cap, conditional GET,
//! `Retry-After`), the OAuth2 client-credentials token cache, the SMTP client conversation, and
//! the [`Secret`] every credential is held in. Shared by the health pollers, the message trace
//! and the update channels.

mod error;
pub mod http;
pub mod oauth;
pub mod secret;
pub mod smtp;

pub use http::{HttpClient, HttpOptions, HttpResponse, NetError, RequestOptions};
pub use oauth::{AuthError, ClientCredentials, SecretSource, TokenCache};
pub use secret::Secret;
