//! What a Postfix record means for its message: the aggregator's event, with the content filter
//! hops, rejects and bounces counted as the module docs say.

use super::*;

/// What a `status=sent` to a loopback relay means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FilterOutcome {
    /// A content filter took it and re-queued it (`queued as NEWID`).
    Requeued,
    /// The filter kept it (amavis `Ok, discarded, id=… - spam`).
    Discarded { spam: bool },
    /// The filter bounced it (amavis `Ok, id=…, BOUNCE`).
    Bounced,
    /// Not a filter: a delivery agent listening on this host (LMTP on port 24).
    Delivered,
}

pub(super) fn filter_outcome(reply: &str, requeued: bool) -> FilterOutcome {
    if requeued {
        return FilterOutcome::Requeued;
    }
    let r = reply.to_ascii_lowercase();
    if r.contains("discarded") {
        FilterOutcome::Discarded {
            spam: r.contains("spam"),
        }
    } else if r.contains(", bounce") {
        FilterOutcome::Bounced
    } else {
        FilterOutcome::Delivered
    }
}

/// A 64-bit FNV-1a hash: stable ids for records that have no id of their own.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The status class of a reply (`550 5.1.1 …`, `5.7.1 …`, `451 …`): 2, 4 or 5.
pub(crate) fn reply_class(reply: &str) -> Option<u8> {
    let first = reply.trim_start().as_bytes().first()?;
    match first {
        b'2' | b'4' | b'5' => Some(first - b'0'),
        _ => None,
    }
}

pub(super) fn null_sender(from: String) -> String {
    if from.is_empty() {
        "<>".to_string()
    } else {
        from
    }
}

/// Turns a record into the aggregator's event. `line` and `raw` identify a `NOQUEUE` record,
/// which has no queue id of its own.
pub(crate) fn to_event(
    rec: PostfixRecord,
    source: usize,
    file: &Arc<PathBuf>,
    line: u64,
    raw: &[u8],
) -> RawEvent {
    let key = if rec.qid == "NOQUEUE" {
        AggKey::Single {
            source,
            id: format!(
                "NOQUEUE-{:016x}",
                fnv(raw) ^ line.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ),
        }
    } else {
        AggKey::Postfix {
            source,
            qid: rec.qid.clone(),
        }
    };
    let qid_key = |q: String| AggKey::Postfix { source, qid: q };
    let mut ev = RawEvent::new(rec.time, key, source, file, line);
    ev.event = rec.program;
    ev.server = rec.host;
    ev.detail = rec.text;
    match rec.kind {
        PfKind::Client { .. } => ev.effect = Effect::Progress,
        PfKind::Pickup { from } | PfKind::Queued { from } => {
            ev.effect = Effect::Progress;
            ev.sender = Some(null_sender(from));
        }
        PfKind::MessageId(m) => {
            ev.effect = Effect::Progress;
            ev.message_id = m;
        }
        PfKind::Header { subject, from } => {
            ev.subject = subject;
            ev.sender = from.map(null_sender);
        }
        PfKind::Expired { from } => {
            ev.effect = Effect::Expired;
            ev.sender = Some(null_sender(from));
            ev.reply = "message expired, returned to sender".to_string();
        }
        PfKind::Deleted => {
            ev.effect = Effect::Expired;
            ev.reply = "deleted from the queue by the administrator (postsuper -d)".to_string();
        }
        PfKind::Delivery {
            to,
            orig_to,
            dsn,
            status,
            reply,
            delay_ms,
            queued_as,
            loopback,
            ..
        } => {
            ev.effect = match status.as_str() {
                "sent" if loopback => match filter_outcome(&reply, queued_as.is_some()) {
                    FilterOutcome::Requeued => {
                        // Handed to a content filter, back under a new queue id: on its way.
                        ev.weak = true;
                        ev.hop = true;
                        ev.link = queued_as.map(qid_key);
                        Effect::Progress
                    }
                    FilterOutcome::Discarded { spam: true } => Effect::Spam,
                    FilterOutcome::Discarded { spam: false } => Effect::Quarantined,
                    FilterOutcome::Bounced => Effect::Failed,
                    // A local delivery agent on a loopback port (Dovecot LMTP on :24).
                    FilterOutcome::Delivered => Effect::Delivered,
                },
                "sent" => Effect::Delivered,
                "deferred" | "SOFTBOUNCE" => Effect::Deferred,
                "bounced" | "expired" => Effect::Failed,
                "deliverable" | "undeliverable" => {
                    ev.probe = true;
                    Effect::Info
                }
                _ => Effect::Info,
            };
            ev.recipients.push(RcptEvent {
                addr: to,
                reply,
                dsn,
                orig_to,
                delay_ms,
            });
        }
        PfKind::Reject {
            action,
            reply,
            from,
            to,
        } => {
            ev.effect = match action {
                RejectAction::Hold => Effect::Quarantined,
                RejectAction::Discard => Effect::Failed,
                RejectAction::Reject => match reply_class(&reply) {
                    Some(4) => Effect::Deferred,
                    _ => Effect::Failed,
                },
            };
            ev.sender = from.map(null_sender);
            match to {
                Some(to) if !to.is_empty() => ev.recipients.push(RcptEvent {
                    addr: to,
                    reply,
                    ..RcptEvent::default()
                }),
                _ => ev.reply = reply,
            }
        }
        PfKind::Amavis(a) => {
            ev.sender = a.from.map(null_sender);
            ev.message_id = a.message_id.unwrap_or_default();
            let cat = a.category.to_ascii_uppercase();
            ev.effect = if a.passed {
                ev.weak = true;
                ev.hop = true;
                if let Some(q) = a.queued_as
                    && (AggKey::Postfix {
                        source,
                        qid: q.clone(),
                    }) != ev.key
                {
                    ev.link = Some(qid_key(q));
                }
                Effect::Progress
            } else if cat.starts_with("SPAM") {
                Effect::Spam
            } else {
                Effect::Quarantined
            };
            let reply = format!(
                "amavis: {} {}",
                if a.passed { "Passed" } else { "Blocked" },
                a.category
            );
            for to in a.to {
                ev.recipients.push(RcptEvent {
                    addr: to,
                    reply: reply.clone(),
                    ..RcptEvent::default()
                });
            }
        }
        PfKind::Notification(q) => {
            ev.notification = Some(qid_key(q));
        }
        PfKind::Removed | PfKind::Other => {}
    }
    ev
}
