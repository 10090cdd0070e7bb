//! `warroom followups`: list the follow-ups decided at close (current incident, or `--all`),
//! mark one `done` or `drop` it with a reason, and `push` the open ones to a tracker.
//!
//! Follow-up events are allowed on a closed incident (`EventBody::allowed_on_closed`): these
//! verbs write to the current incident even when it is closed.

use std::io::Write;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::followup::{FollowUpItem, FollowUpState, resolve};
use crate::domain::incident::Incident;
use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::domain::tracker::TrackerConfig;
use crate::store::DataDir;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FollowupsArgs {
    #[command(subcommand)]
    pub verb: Option<FollowupsVerb>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Incident id (or a unique part of it) [default: the current one, open or closed]
    #[arg(long, value_name = "ID", conflicts_with = "all")]
    pub incident: Option<String>,
    /// The follow-ups of every incident (drills too).
    #[arg(long)]
    pub all: bool,
    /// Only the open ones.
    #[arg(long)]
    pub open: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FollowupsVerb {
    /// Mark a follow-up done (logged).
    Done {
        /// The id `warroom followups` shows (a unique prefix is enough).
        id: String,
        /// Look only in this incident [default: the current one, then every incident]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
    /// Drop a follow-up, saying why (logged).
    Drop {
        /// The id `warroom followups` shows (a unique prefix is enough).
        id: String,
        /// Why it is not going to be done.
        #[arg(long, required = true)]
        reason: String,
        /// Look only in this incident [default: the current one, then every incident]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
    /// Create one tracker issue per open follow-up not yet pushed there; records each issue.
    Push {
        /// Incident id (or a unique part of it) [default: the current one, open or closed]
        #[arg(long, value_name = "ID", conflicts_with = "all")]
        incident: Option<String>,
        /// The follow-ups of every incident (drills left out).
        #[arg(long)]
        all: bool,
        /// The tracker's name in the config [default: the only one configured]
        #[arg(long, value_name = "NAME")]
        tracker: Option<String>,
    },
}

/// Whether the verb prints JSON.
pub fn prints_json(a: &FollowupsArgs) -> bool {
    a.verb.is_none() && a.list.json
}

pub fn followups(
    data: &DataDir,
    config: &Config,
    a: FollowupsArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match a.verb {
        None => list(data, config, &a.list, out),
        Some(FollowupsVerb::Done { id, incident }) => change(
            data,
            config,
            &id,
            incident.as_deref(),
            FollowUpState::Done,
            None,
            out,
        ),
        Some(FollowupsVerb::Drop {
            id,
            reason,
            incident,
        }) => {
            let reason = sanitize_line(&reason, FIELD_CAP);
            if reason.is_empty() {
                bail!(
                    "the reason is empty: say why it is dropped, e.g. --reason \"done by the vendor\""
                );
            }
            change(
                data,
                config,
                &id,
                incident.as_deref(),
                FollowUpState::Dropped,
                Some(reason),
                out,
            )
        }
        Some(FollowupsVerb::Push {
            incident,
            all,
            tracker,
        }) => push(
            data,
            config,
            incident.as_deref(),
            all,
            tracker.as_deref(),
            out,
        ),
    }
}

/// Every incident that can be read, oldest id first, folded on a few threads; one whose
/// journal cannot be read is reported on stderr and left out.
pub(super) fn load_all(data: &DataDir) -> anyhow::Result<Vec<Incident>> {
    let ids = data.ids()?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let per = ids.len().div_ceil(threads).max(1);
    let loaded: Vec<Option<Incident>> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| match data.load(id) {
                            Ok(l) => Some(l.incident),
                            Err(e) => {
                                crate::diagln!("warroom: warning: incident {id} left out: {e}");
                                None
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    Ok(loaded.into_iter().flatten().collect())
}

/// One line of the list (and one object of `--json`).
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    short_id: &'a str,
    incident: &'a str,
    incident_title: &'a str,
    action: &'a str,
    owner: &'a str,
    due: Option<&'a str>,
    due_date: Option<chrono::NaiveDate>,
    state: FollowUpState,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    recorded_at: DateTime<Utc>,
    age_s: i64,
    overdue: bool,
    pushed: Vec<Pushed<'a>>,
}

#[derive(Debug, Serialize)]
struct Pushed<'a> {
    tracker: &'a str,
    key: &'a str,
    url: &'a str,
}

/// `3d`, `5h`, `12m`.
fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

fn list(data: &DataDir, config: &Config, a: &ListArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let incidents = if a.all {
        load_all(data)?
    } else {
        let id = data.pick_any(a.incident.as_deref())?;
        vec![data.load(&id)?.incident]
    };
    let now = Utc::now();
    let today = config.zone().to_wall(now).date_naive();
    let rows: Vec<Row> = incidents
        .iter()
        .flat_map(|inc| inc.followups().iter().map(move |f| (inc, f)))
        .filter(|(_, f)| !a.open || f.state == FollowUpState::Open)
        .map(|(inc, f)| Row {
            id: &f.id,
            short_id: f.short_id(),
            incident: &inc.id,
            incident_title: &inc.title,
            action: &f.action,
            owner: &f.owner,
            due: f.due_text.as_deref(),
            due_date: f.due,
            state: f.state,
            reason: f.reason.as_deref(),
            recorded_at: f.recorded_at,
            age_s: (now - f.recorded_at).num_seconds().max(0),
            overdue: f.overdue(today),
            pushed: f
                .pushed
                .iter()
                .map(|p| Pushed {
                    tracker: &p.tracker,
                    key: &p.key,
                    url: &p.url,
                })
                .collect(),
        })
        .collect();
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        let scope = if a.all {
            "no incident has".to_string()
        } else {
            format!("incident {} has", incidents[0].id)
        };
        let which = if a.open {
            "open follow-ups"
        } else {
            "follow-ups"
        };
        writeln!(
            out,
            "{scope} no {which}: they are decided at close (`warroom close --follow-up \"action|owner|due\"`)"
        )?;
        return Ok(());
    }
    writeln!(out, "ID\tSTATE\tDUE\tAGE\tOWNER\tACTION\tINCIDENT")?;
    for r in &rows {
        let mut state = r.state.to_string();
        if r.overdue {
            state.push_str(" OVERDUE");
        }
        let mut tail = String::new();
        for p in &r.pushed {
            tail.push_str(&format!("\t{}: {} {}", p.tracker, p.key, p.url));
        }
        if let Some(reason) = r.reason {
            tail.push_str(&format!("\t({reason})"));
        }
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
            r.short_id,
            state,
            r.due.unwrap_or("-"),
            age(chrono::Duration::seconds(r.age_s)),
            r.owner,
            r.action,
            r.incident,
            tail
        )?;
    }
    Ok(())
}

/// Finds the follow-up a typed id names: in `--incident`, else in the current incident, else
/// in every incident. Returns the incident's id and the follow-up.
fn find(
    data: &DataDir,
    wanted: &str,
    incident: Option<&str>,
) -> anyhow::Result<(String, FollowUpItem)> {
    let in_one = |id: &str| -> anyhow::Result<Result<FollowUpItem, String>> {
        let inc = data.load(id)?.incident;
        Ok(resolve(wanted, inc.followups(), |f| f.id.as_str()).cloned())
    };
    if let Some(w) = incident {
        let id = data.resolve(w)?;
        return match in_one(&id)? {
            Ok(f) => Ok((id, f)),
            Err(e) => bail!("incident {id}: {e}"),
        };
    }
    if let Some(cur) = data.current()
        && let Ok(Ok(f)) = in_one(&cur)
    {
        return Ok((cur, f));
    }
    let all = load_all(data)?;
    let pairs: Vec<(&Incident, &FollowUpItem)> = all
        .iter()
        .flat_map(|inc| inc.followups().iter().map(move |f| (inc, f)))
        .collect();
    let (inc, f) = resolve(wanted, &pairs, |(_, f)| f.id.as_str()).map_err(anyhow::Error::msg)?;
    Ok((inc.id.clone(), (*f).clone()))
}

fn change(
    data: &DataDir,
    config: &Config,
    wanted: &str,
    incident: Option<&str>,
    state: FollowUpState,
    reason: Option<String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (id, f) = find(data, wanted, incident)?;
    if f.state == state {
        bail!(
            "follow-up {} ({}) is {state} already",
            f.short_id(),
            f.action
        );
    }
    let body = EventBody::FollowupChanged {
        followup: f.id.clone(),
        state,
        reason,
    };
    // Allowed on a closed incident: no closed-incident guard here on purpose.
    debug_assert!(body.allowed_on_closed());
    data.journal(&id)?
        .append(&Event::new(Utc::now(), config.author(), body))?;
    writeln!(
        out,
        "follow-up {} {state}: {} (incident {id})",
        f.short_id(),
        f.action
    )?;
    Ok(())
}

/// The tracker to push to: the one named, else the only one configured.
fn tracker<'a>(config: &'a Config, name: Option<&str>) -> anyhow::Result<&'a TrackerConfig> {
    let fu = &config.followups;
    match name {
        Some(n) => fu.tracker(n).with_context(|| {
            format!(
                "no tracker named {n:?} in the config (configured: {}); add a [[followups.trackers]] table",
                fu.names()
            )
        }),
        None => match fu.trackers.as_slice() {
            [one] => Ok(one),
            [] => bail!(
                "no tracker is configured: add a [[followups.trackers]] table (kind = \"github\" or \"jira\") to the config; assets/config.toml shows both"
            ),
            _ => bail!(
                "several trackers are configured ({}): name one with --tracker",
                fu.names()
            ),
        },
    }
}

fn push(
    data: &DataDir,
    config: &Config,
    incident: Option<&str>,
    all: bool,
    tracker_name: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let t = tracker(config, tracker_name)?;
    // Team mode: what another console pushed is pulled first, so that two machines do not
    // create the same issue (the lock below only keeps two pushes on one machine apart).
    if all {
        for inc in load_all(data)?.iter().filter(|i| !i.drill) {
            pull_first(data, config, &inc.id);
        }
    } else {
        pull_first(data, config, &data.pick_any(incident)?);
    }
    let incidents: Vec<Incident> = if all {
        load_all(data)?.into_iter().filter(|i| !i.drill).collect()
    } else {
        let id = data.pick_any(incident)?;
        vec![data.load(&id)?.incident]
    };
    let todo: Vec<(&Incident, &FollowUpItem)> = incidents
        .iter()
        .flat_map(|inc| inc.followups().iter().map(move |f| (inc, f)))
        .filter(|(_, f)| f.state == FollowUpState::Open && f.pushed_to(&t.name).is_none())
        .collect();
    if todo.is_empty() {
        let any_open = incidents
            .iter()
            .any(|i| i.followups().iter().any(|f| f.state == FollowUpState::Open));
        let list = format!(
            "`warroom followups{}` lists them",
            if all { " --all" } else { "" }
        );
        if any_open {
            writeln!(
                out,
                "nothing to push: every open follow-up is on {} already ({list})",
                t.name
            )?;
        } else {
            writeln!(out, "nothing to push: no follow-up is open ({list})")?;
        }
        return Ok(());
    }
    // Checked before anything is sent: without a token no request would succeed.
    crate::tracker::token(t).map_err(|e| anyhow::anyhow!("tracker {}: {e}", t.name))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = crate::net::HttpClient::new(crate::net::HttpOptions::default())?;
    let (mut failed, mut tried) = (0, 0);
    let mut ids: Vec<&str> = todo.iter().map(|(inc, _)| inc.id.as_str()).collect();
    ids.dedup();
    for id in ids {
        // One push at a time per incident (another `push` waits here), and the journal read
        // again once it is ours: a follow-up the other one pushed meanwhile is not pushed twice.
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data.incident_dir(id).join(PUSH_LOCK))
            .with_context(|| format!("cannot open the push lock of incident {id}"))?;
        let mut lock = fd_lock::RwLock::new(lock_file);
        let _held = lock
            .write()
            .with_context(|| format!("cannot lock incident {id} for the push"))?;
        let inc = data.load(id)?.incident;
        let fresh: Vec<&FollowUpItem> = inc
            .followups()
            .iter()
            .filter(|f| f.state == FollowUpState::Open && f.pushed_to(&t.name).is_none())
            .collect();
        for f in fresh {
            tried += 1;
            if !push_one(data, config, &runtime, &http, t, &inc, f, out)? {
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {tried} follow-ups were not pushed to {} (said above); the others are recorded: fix the cause and push again, nothing is created twice",
            t.name
        );
    }
    Ok(())
}

/// The file in an incident's folder that `push` holds locked while it pushes.
const PUSH_LOCK: &str = "followups-push.lock";

/// Pushes one follow-up and records the issue; false (said on stderr) when the tracker did not
/// create it. An error only when the issue was created but could not be recorded.
#[allow(clippy::too_many_arguments)]
fn push_one(
    data: &DataDir,
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    http: &crate::net::HttpClient,
    t: &TrackerConfig,
    inc: &Incident,
    f: &FollowUpItem,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let issue = crate::tracker::draft(inc, f, t);
    match runtime.block_on(crate::tracker::create(http, t, &issue)) {
        Ok(created) => {
            // Recorded at once, so a failure further on loses nothing.
            let body = EventBody::FollowupPushed {
                followup: f.id.clone(),
                tracker: t.name.clone(),
                key: created.key.clone(),
                url: sanitize_line(&created.url, 2048),
            };
            data.journal(&inc.id)?
                .append(&Event::new(Utc::now(), config.author(), body))
                .with_context(|| {
                    format!(
                        "issue {} was created for follow-up {} but could not be recorded: note it before pushing again",
                        created.url,
                        f.short_id()
                    )
                })?;
            writeln!(
                out,
                "pushed {} \"{}\" → {} {}",
                f.short_id(),
                f.action,
                created.key,
                created.url
            )?;
            Ok(true)
        }
        Err(e) => {
            crate::diagln!(
                "warroom: follow-up {} \"{}\" (incident {}) was not pushed to {}: {e}",
                f.short_id(),
                f.action,
                inc.id,
                t.name
            );
            Ok(false)
        }
    }
}

/// When the incident is shared with the team, pulls what the other consoles recorded (their
/// tracker issues among it). Unreachable: said on stderr, and the push goes on.
fn pull_first(data: &DataDir, config: &Config, id: &str) {
    use crate::team::{connect::Patience, outbox::Outbox, sync};
    if !config.team.enabled() {
        return;
    }
    let folder = sync::Folder::new(id, &data.incident_dir(id));
    if !Outbox::is_shared(&folder.dir) {
        return;
    }
    let pulled = crate::team::verbs::block_on(async {
        let link = sync::Link::open(&config.team, Patience::Once).await?;
        sync::sync_once(&link, &folder).await
    });
    if let Err(e) = pulled {
        crate::diagln!(
            "warroom: could not check with the team what was pushed already ({e}); a follow-up another console pushed meanwhile may be pushed again"
        );
    }
}
