//! `warroom trace`: a message-trace query without the console, over every configured backend
//! (log files and Exchange Online) or the files named on the command line; rows or a
//! breakdown, as text or JSON.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::config::Config;
use crate::domain::time::WithOffset;
use crate::domain::trace::{TraceQuery, TraceSourceConfig, TraceSourceKind, TraceStatus};
use crate::domain::trace_breakdown::{GroupBy, breakdown};
use crate::domain::trace_query::parse_bound;
use crate::trace::all::query_all;
use crate::trace::{ScanSource, breakdown_json, trace_json};

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A configured trace source (repeatable) [default: every configured source]
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// A folder (or file, or glob) of Exchange message-tracking logs (repeatable)
    #[arg(long = "exchange-logs", value_name = "DIR")]
    pub exchange_logs: Vec<PathBuf>,
    /// A Postfix mail log file or glob such as /var/log/mail.log* (repeatable)
    #[arg(long = "postfix-log", value_name = "FILE")]
    pub postfix_logs: Vec<PathBuf>,
    #[arg(long)]
    pub sender: Option<String>,
    #[arg(long)]
    pub recipient: Option<String>,
    #[arg(long = "message-id")]
    pub message_id: Option<String>,
    /// Subject contains this text
    #[arg(long)]
    pub subject: Option<String>,
    /// delivered, pending, failed, quarantined, filtered_as_spam, expanded or unknown
    #[arg(long)]
    pub status: Option<String>,
    /// From when: 2h (ago), 14:00, "2026-11-30 14:00", RFC 3339
    #[arg(long, allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Until when (same forms as --since)
    #[arg(long, allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Group the rows: domain (the recipient's), reason, sender, status or hour
    #[arg(long, value_name = "GROUP")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn trace(config: &Config, a: TraceArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let zone = config.zone();
    let by =
        a.by.as_deref()
            .map(str::parse::<GroupBy>)
            .transpose()
            .map_err(anyhow::Error::msg)?;
    let mut files: Vec<ScanSource> = Vec::new();
    for (i, dir) in a.exchange_logs.iter().enumerate() {
        files.push(ScanSource::exchange_logs(
            format!("exchange-logs-{}", i + 1),
            dir.clone(),
        ));
    }
    for (i, file) in a.postfix_logs.iter().enumerate() {
        files.push(ScanSource::postfix(
            format!("postfix-{}", i + 1),
            file.clone(),
        ));
    }
    let configured = &config.trace.sources;
    let wanted: Vec<&TraceSourceConfig> = if a.sources.is_empty() {
        if files.is_empty() {
            configured.iter().collect()
        } else {
            Vec::new()
        }
    } else {
        a.sources
            .iter()
            .map(|n| {
                configured.iter().find(|s| s.name == *n).ok_or_else(|| {
                    let known: Vec<&str> = configured.iter().map(|s| s.name.as_str()).collect();
                    anyhow::anyhow!(
                        "no trace source {n:?} in the config (known: {})",
                        if known.is_empty() {
                            "none; add [[trace.sources]]".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let mut online: Vec<TraceSourceConfig> = Vec::new();
    for cfg in wanted {
        match &cfg.kind {
            TraceSourceKind::ExchangeOnline { .. } => online.push(cfg.clone()),
            _ => files.push(ScanSource::from_config(cfg)?),
        }
    }
    if files.is_empty() && online.is_empty() {
        bail!(
            "nothing to search: give --exchange-logs DIR or --postfix-log FILE, or add [[trace.sources]] to the config"
        );
    }
    let status = match &a.status {
        Some(s) => Some(s.parse::<TraceStatus>().map_err(|_| {
            let all: Vec<&str> = TraceStatus::ALL.iter().map(|s| s.as_str()).collect();
            anyhow::anyhow!("unknown status {s:?}: use one of {}", all.join(", "))
        })?),
        None => None,
    };
    let bound = |v: &Option<String>| {
        v.as_deref()
            .map(|s| parse_bound(s, now, zone))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let query = TraceQuery {
        sender: a.sender,
        recipient: a.recipient,
        message_id: a.message_id,
        subject_contains: a.subject,
        status,
        since: bound(&a.since)?,
        until: bound(&a.until)?,
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let result = query_all(
        &files,
        &online,
        &query,
        now,
        by == Some(GroupBy::Reason),
        &cancel,
    )?;
    for w in &result.warnings {
        crate::diagln!("warroom: warning: {w}");
    }
    let (rows, summary) = (&result.rows, &result.summary);
    match (by, a.json) {
        (Some(by), json) => {
            let b = breakdown(rows, by, zone);
            if json {
                serde_json::to_writer_pretty(&mut *out, &breakdown_json(&b, summary))?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "# by {by}: {} groups, {} rows",
                    b.groups.len(),
                    summary.rows
                )?;
                let statuses: Vec<&str> = TraceStatus::ALL.iter().map(|s| s.as_str()).collect();
                writeln!(
                    out,
                    "{by}\tcount\t{}\tdelay_p50_s\tdelay_p95_s\tdelay_max_s",
                    statuses.join("\t")
                )?;
                let secs = |d: Option<f64>| d.map_or("-".to_string(), |d| format!("{d:.1}"));
                for g in &b.groups {
                    let counts: Vec<String> = TraceStatus::ALL
                        .iter()
                        .map(|s| g.by_status.get(s).copied().unwrap_or(0).to_string())
                        .collect();
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        g.key,
                        g.count,
                        counts.join("\t"),
                        secs(g.delay_p50_s),
                        secs(g.delay_p95_s),
                        secs(g.delay_max_s)
                    )?;
                }
            }
        }
        (None, true) => {
            serde_json::to_writer_pretty(&mut *out, &trace_json(rows, summary))?;
            writeln!(out)?;
        }
        (None, false) => {
            let counts: Vec<String> = summary
                .by_status
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            writeln!(out, "# {} rows: {}", summary.rows, counts.join(", "))?;
            for r in rows {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    WithOffset(r.received, zone),
                    r.status,
                    r.sender,
                    r.recipient,
                    r.subject,
                    r.reply,
                    r.message_id
                )?;
            }
        }
    }
    if !result.failures.is_empty() {
        out.flush()?;
        bail!("the result is incomplete: {}", result.failures.join("; "));
    }
    Ok(())
}
