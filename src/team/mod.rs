//! Team mode: several responders' consoles on one incident, through NATS JetStream.
//!
//! Design (local first):
//! - Each console keeps its own journal, appended and synced before anything is acknowledged,
//!   exactly as without team mode. Nothing waits on the network.
//! - One JetStream stream per incident ([`wire::stream_name`]) on subject
//!   `warroom.incident.<id>`. A message is one journal line, byte for byte, published with
//!   `Nats-Msg-Id` = the event id (the server drops a repeat within an hour) and acknowledged by
//!   the server before the outbox moves past it ([`stream`]). Larger events go in chunks
//!   ([`large`]).
//! - The outbox ([`outbox`], `team.json` beside the journal) marks which local lines the stream
//!   holds and how far the stream has been read; its presence means "shared". Events that came
//!   from the stream are never published again. A `team.lock` keeps two processes from syncing
//!   one folder at once.
//! - What comes from the stream is checked ([`wire`], [`intake`]: JSON, shape, incident, size,
//!   escapes removed), and appended to the journal with its original id, time and author unless
//!   the journal has that id already ([`sync`]). Bad messages are dropped with a log warning.
//!   The console's journal reader picks the new lines up like any other writer's.
//! - Presence ([`presence`]): a key-value bucket whose entries expire; each console refreshes
//!   its own key every few seconds.
//! - The console runs one background task ([`live`]) that does all of this and reports its
//!   state; command-line verbs share what they appended once, after the verb ([`verbs`]).

pub mod connect;
pub mod intake;
pub mod large;
pub mod live;
pub mod outbox;
pub mod presence;
pub mod shared;
pub mod stream;
pub mod sync;
pub mod verbs;
pub mod wire;

/// A team-mode problem, worded for the person who has to act on it. Never carries a secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TeamError {
    #[error(
        "team mode is not set up: add a [team] table with url = \"nats://host:4222\" to the config (see the README's \"Team mode\")"
    )]
    NotSetUp,
    #[error("{0}")]
    Config(String),
    #[error(
        "the team server cannot be reached ({0}); check [team] url and credentials, or try again later"
    )]
    Unreachable(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    NotFound(String),
}
