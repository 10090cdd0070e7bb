//! `warroom stats`: figures across incidents (computed by `domain::stats` over every incident
//! the store can read), as a table, `--json` or `--csv`.

use std::io::Write;

use anyhow::Context as _;
use chrono::Utc;
use clap::Args;

use crate::config::Config;
use crate::domain::closing::Measure;
use crate::domain::incident::Severity;
use crate::domain::stats::{Stats, StatsFilter, compute};
use crate::domain::time::{format_duration, parse_duration, parse_when};
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Incidents opened since: a duration back (90d, 12w, 36h), a time (2026-09-01, "2026-09-01 08:00"), or all.
    #[arg(long, default_value = "90d", value_name = "WHEN")]
    pub since: String,
    /// Incidents opened until: a time (2026-11-30, -7d, RFC 3339) [default: now]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Only incidents of this severity (sev1 … sev4).
    #[arg(long, value_name = "S", value_parser = parse_severity)]
    pub severity: Option<Severity>,
    /// Count drills too (left out by default).
    #[arg(long)]
    pub drills: bool,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// A duration back (`90d`, `36h`, and weeks: `12w`), `all`, else a time.
fn since(
    text: &str,
    now: chrono::DateTime<Utc>,
    config: &Config,
) -> anyhow::Result<Option<chrono::DateTime<Utc>>> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    let back = |n: &str, unit: i64| {
        n.parse::<i64>()
            .ok()
            .map(|n| chrono::Duration::seconds(n * unit))
    };
    let d = match t.char_indices().last() {
        Some((i, 'd')) => back(&t[..i], 86_400),
        Some((i, 'w')) => back(&t[..i], 7 * 86_400),
        _ => parse_duration(t),
    };
    if let Some(d) = d.filter(|d| *d >= chrono::Duration::zero()) {
        return Ok(Some(now - d));
    }
    let at = parse_when(t, now, config.zone()).with_context(|| {
        format!("--since {t:?}: give a duration back (90d, 12w, 36h), a time (2026-09-01) or all")
    })?;
    Ok(Some(at))
}

pub fn stats(
    data: &DataDir,
    config: &Config,
    a: StatsArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let filter = StatsFilter {
        since: since(&a.since, now, config)?,
        until: a
            .until
            .as_deref()
            .map(|u| parse_when(u, now, config.zone()))
            .transpose()
            .context("--until: give a time such as 2026-11-30, \"2026-11-30 18:00\" or -7d")?,
        severity: a.severity,
        drills: a.drills,
    };
    let incidents = super::followups::load_all(data)?;
    let today = config.zone().to_wall(now).date_naive();
    let s = compute(&incidents, &filter, &config.updates.cadence, today);
    if a.json {
        serde_json::to_writer(&mut *out, &s)?;
        writeln!(out)?;
    } else if a.csv {
        csv(&s, out)?;
    } else {
        table(&s, out)?;
    }
    Ok(())
}

fn opt(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// `metric,value`, one figure a line; an unknown figure is an empty value.
fn csv(s: &Stats, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "metric,value")?;
    writeln!(out, "incidents,{}", s.incidents)?;
    for (sev, n) in &s.by_severity {
        writeln!(out, "by_severity.{sev},{n}")?;
    }
    for m in Measure::ALL {
        let f = s.durations.get(m);
        writeln!(out, "{}.median_s,{}", m.as_str(), opt(f.median_s))?;
        writeln!(out, "{}.p90_s,{}", m.as_str(), opt(f.p90_s))?;
        writeln!(out, "{}.n,{}", m.as_str(), f.n)?;
    }
    let u = &s.updates;
    writeln!(out, "updates.sent,{}", u.sent)?;
    writeln!(out, "updates.on_time,{}", u.on_time)?;
    writeln!(out, "updates.on_time_pct,{}", opt(u.on_time_pct))?;
    writeln!(out, "updates.longest_gap_s,{}", opt(u.longest_gap_s))?;
    let f = &s.followups;
    writeln!(out, "followups.open,{}", f.open)?;
    writeln!(out, "followups.overdue,{}", f.overdue)?;
    writeln!(out, "followups.done,{}", f.done)?;
    Ok(())
}

fn secs(v: Option<i64>) -> String {
    v.map(|s| format_duration(chrono::Duration::seconds(s)))
        .unwrap_or_else(|| "-".into())
}

fn table(s: &Stats, out: &mut impl Write) -> anyhow::Result<()> {
    let sev: Vec<String> = s
        .by_severity
        .iter()
        .map(|(k, n)| format!("{} {n}", k.to_uppercase()))
        .collect();
    writeln!(
        out,
        "incidents            {}  ({})",
        s.incidents,
        sev.join(" · ")
    )?;
    writeln!(out)?;
    writeln!(out, "{:<20} {:>10} {:>10} {:>5}", "", "median", "p90", "n")?;
    for m in Measure::ALL {
        let f = s.durations.get(m);
        writeln!(
            out,
            "{:<20} {:>10} {:>10} {:>5}",
            m.label(),
            secs(f.median_s),
            secs(f.p90_s),
            f.n
        )?;
    }
    writeln!(out)?;
    let u = &s.updates;
    writeln!(
        out,
        "updates              {} sent, {} on time{}; longest gap {}",
        u.sent,
        u.on_time,
        u.on_time_pct
            .map(|p| format!(" ({p}%)"))
            .unwrap_or_default(),
        secs(u.longest_gap_s)
    )?;
    let f = &s.followups;
    writeln!(
        out,
        "follow-ups           {} open ({} overdue), {} done",
        f.open, f.overdue, f.done
    )?;
    if s.incidents == 0 {
        writeln!(
            out,
            "(no incident matches: widen --since, or add --drills to count drills)"
        )?;
    }
    Ok(())
}
