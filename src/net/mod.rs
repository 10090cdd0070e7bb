//! Talking to the outside over HTTP: the shared client (timeouts, size cap, conditional GET,
//! `Retry-After`) and the OAuth2 client-credentials token cache. Shared by the health pollers,
//! the message trace and webhooks.

pub mod http;
pub mod oauth;

pub use http::{HttpClient, HttpOptions, HttpResponse, NetError, RequestOptions};
pub use oauth::{AuthError, ClientCredentials, Secret, SecretSource, TokenCache};
