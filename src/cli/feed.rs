//! `warroom feed`: the health sources without the console, polled once or on and on.

use std::io::Write;

use anyhow::bail;

use super::output;
use crate::config::Config;

/// `warroom feed`: the health sources without the console.
pub fn feed(config: &Config, once: bool, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    use crate::domain::health::{SourceSnapshot, diff, entries};
    use crate::health::{SourceContext, feed_json, poll_source, spawn_pollers};
    use crate::net::{HttpClient, HttpOptions};

    let sources = config.health.sources.clone();
    if sources.is_empty() {
        bail!(
            "no health sources are configured: add [[health.sources]] to the config file (see assets/config.toml)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if once {
        let http = HttpClient::new(HttpOptions::default())?;
        let snaps: Vec<SourceSnapshot> = runtime.block_on(async {
            let tasks: Vec<_> = sources
                .iter()
                .cloned()
                .map(|cfg| {
                    let http = http.clone();
                    tokio::spawn(async move {
                        let mut ctx = SourceContext::new(http);
                        poll_source(&cfg, &mut ctx).await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for (t, cfg) in tasks.into_iter().zip(&sources) {
                out.push(t.await.unwrap_or_else(|e| {
                    SourceSnapshot::failed(
                        &cfg.name,
                        cfg.kind.name(),
                        None,
                        format!("the poll crashed: {e}"),
                        chrono::Utc::now(),
                    )
                }));
            }
            out
        });
        if json {
            serde_json::to_writer_pretty(&mut *out, &feed_json(&snaps))?;
            writeln!(out)?;
        } else {
            for s in &snaps {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    s.name,
                    s.kind,
                    s.level.as_str(),
                    s.last_error.as_deref().unwrap_or("ok")
                )?;
                for i in &s.items {
                    writeln!(
                        out,
                        "  {}\t{}\t{}\t{}",
                        i.id,
                        i.level.as_str(),
                        i.status,
                        i.title
                    )?;
                }
                if let Some(q) = &s.queue {
                    writeln!(
                        out,
                        "  queue\t{}\t{}",
                        q.crossed.as_deref().unwrap_or("under every threshold"),
                        q.headline()
                    )?;
                }
            }
        }
        let failed: Vec<String> = snaps
            .iter()
            .filter_map(|s| s.last_error.as_ref().map(|e| format!("{}: {e}", s.name)))
            .collect();
        if !failed.is_empty() {
            bail!("{} source(s) failed: {}", failed.len(), failed.join("; "));
        }
        return Ok(());
    }
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let _pollers = spawn_pollers(sources, tx);
        let mut last: std::collections::HashMap<String, SourceSnapshot> = Default::default();
        loop {
            tokio::select! {
                r = rx.recv() => {
                    let Some(r) = r else { break };
                    let snap = r.snapshot;
                    if let Some(e) = &snap.last_error {
                        crate::diagln!("warroom: {}: {e}", snap.name);
                    }
                    let changes = diff(last.get(&snap.name), &snap);
                    if json {
                        // One object a change, as the journal keeps them.
                        for c in &changes {
                            writeln!(out, "{}", serde_json::to_string(c)?)?;
                        }
                    } else {
                        // As the timeline shows them: one entry an item and poll, its further
                        // lines indented under the first.
                        let at = snap.polled_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                        for e in entries(changes, &snap) {
                            for (n, line) in e.text.lines().enumerate() {
                                let lead = if n == 0 { at.as_str() } else { "" };
                                writeln!(out, "{lead:<20}  {line}")?;
                            }
                        }
                    }
                    out.flush()?;
                    if output::reader_gone() {
                        // `warroom feed | head -3`: nobody reads any more.
                        break;
                    }
                    last.insert(snap.name.clone(), snap);
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        Ok(())
    })
}
