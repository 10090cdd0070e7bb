//! One JetStream stream per incident (`warroom-<id>` on subject `warroom.incident.<id>`):
//! creating it, publishing one journal line (whole or in chunks) and waiting for the server's
//! acknowledgement, and reading the messages from a sequence on.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use uuid::Uuid;

use super::TeamError;
use super::large::{self, CHUNK_HEADER, EVENT_HEADER};
use super::wire::{INCIDENT_HEADER, MAX_EVENT_BYTES, stream_name, subject};

/// How long the server keeps message ids to drop repeats (a console that crashed while
/// publishing publishes again when it comes back; the journal drops repeats at any age).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

/// Waiting for one acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

fn nats<E: std::fmt::Display>(e: E) -> TeamError {
    TeamError::Unreachable(crate::domain::text::sanitize(&e.to_string(), 300))
}

/// The JetStream context over a connection (in the hub's `domain`, through a leaf node).
pub fn context(client: async_nats::Client, domain: Option<&str>) -> jetstream::Context {
    let mut js = match domain {
        Some(d) => jetstream::with_domain(client, d),
        None => jetstream::new(client),
    };
    js.set_timeout(ACK_TIMEOUT);
    js
}

/// Creates the incident's stream if it is not there yet; returns it.
pub async fn ensure(
    js: &jetstream::Context,
    incident: &str,
    replicas: usize,
) -> Result<stream::Stream, TeamError> {
    let config = stream::Config {
        name: stream_name(incident),
        subjects: vec![subject(incident)],
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        duplicate_window: DUPLICATE_WINDOW,
        allow_direct: true,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.map_err(nats)
}

/// The incident's stream if the team has it.
pub async fn find(
    js: &jetstream::Context,
    incident: &str,
) -> Result<Option<stream::Stream>, TeamError> {
    match js.get_stream(stream_name(incident)).await {
        Ok(s) => Ok(Some(s)),
        Err(e)
            if matches!(
                e.kind(),
                jetstream::context::GetStreamErrorKind::JetStream(ref j)
                    if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(nats(e)),
    }
}

/// Publishes one journal line (without its newline) as event `id` and waits until the server
/// has it (its acknowledgement), in chunks when it is larger than the server takes at once.
pub async fn publish_line(
    js: &jetstream::Context,
    max_payload: usize,
    incident: &str,
    id: Uuid,
    line: &[u8],
) -> Result<(), TeamError> {
    if line.len() > MAX_EVENT_BYTES {
        tracing::warn!(
            "team: event {id} is larger than {MAX_EVENT_BYTES} bytes: kept in the journal, not shared"
        );
        return Ok(());
    }
    let parts = large::split(line, max_payload);
    let n = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let mut headers = HeaderMap::new();
        headers.insert(INCIDENT_HEADER, incident);
        if n == 1 {
            headers.insert("Nats-Msg-Id", id.to_string().as_str());
        } else {
            headers.insert("Nats-Msg-Id", format!("{id}.{i}").as_str());
            headers.insert(CHUNK_HEADER, format!("{i}/{n}").as_str());
            headers.insert(EVENT_HEADER, id.to_string().as_str());
        }
        let ack = js
            .publish_with_headers(subject(incident), headers, part.to_vec().into())
            .await
            .map_err(nats)?;
        ack.await.map_err(nats)?;
    }
    Ok(())
}

/// One message read from the stream.
pub struct Received {
    pub seq: u64,
    pub headers: Option<HeaderMap>,
    pub payload: Vec<u8>,
}

/// Reads the stream's messages from `from` on until the last one there now, calling `each`
/// (which may stop the read by returning `false`).
pub async fn read_from(
    stream: &stream::Stream,
    from: u64,
    mut each: impl FnMut(Received) -> bool,
) -> Result<(), TeamError> {
    let last = stream.get_info().await.map_err(nats)?.state.last_sequence;
    if from > last {
        return Ok(());
    }
    let mut messages = ordered(stream, from).await?;
    loop {
        let next = tokio::time::timeout(ACK_TIMEOUT, messages.next())
            .await
            .map_err(|_| TeamError::Unreachable("the stream stopped answering".into()))?;
        let Some(m) = next else { break };
        let m = m.map_err(nats)?;
        let seq = m.info().map_err(nats)?.stream_sequence;
        let go_on = each(Received {
            seq,
            headers: m.headers.clone(),
            payload: m.payload.to_vec(),
        });
        if !go_on || seq >= last {
            break;
        }
    }
    Ok(())
}

/// An ordered consumer's messages from `from` on (and on as new ones arrive).
pub async fn ordered(
    stream: &stream::Stream,
    from: u64,
) -> Result<consumer::pull::Ordered, TeamError> {
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: from.max(1),
            },
            ..Default::default()
        })
        .await
        .map_err(nats)?;
    consumer.messages().await.map_err(nats)
}
