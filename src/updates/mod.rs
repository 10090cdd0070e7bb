//! Stakeholder updates: templates rendered from live state, and sending them on the configured
//! channels (Teams, Slack, a JSON webhook, an SMTP relay, a Statuspage page, a file, the
//! terminal clipboard).
//! The cadence, the clock and the config types are pure and live in `crate::domain::updates`.

pub mod context;
pub mod headless;
pub mod outgoing;
pub mod send;
pub mod smtp;
pub mod statuspage;
pub mod teams;
pub mod template;

pub use context::UpdateContext;
pub use outgoing::{ChannelError, Outgoing};
pub use send::{SendReport, preview, send_all};
pub use template::{TemplateCatalog, TemplateError};
