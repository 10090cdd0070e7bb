//! `warroom timeline`: an incident's timeline in occurred order, as text or JSON.

use std::io::Write;

use crate::config::Config;
use crate::domain::time::WithOffset;
use crate::store::DataDir;

pub fn timeline(
    data: &DataDir,
    config: &Config,
    incident: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick(incident)?;
    let inc = data.load(&id)?.incident;
    if json {
        let entries: Vec<serde_json::Value> = inc
            .visible_entries()
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "occurred_at": e.occurred_at,
                    "logged_at": e.logged_at,
                    "author": e.author,
                    "kind": e.kind,
                    "text": e.text,
                    "pinned": e.pinned,
                })
            })
            .collect();
        let doc = serde_json::json!({"incident": inc.id, "title": inc.title, "entries": entries});
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        let zone = config.zone();
        writeln!(
            out,
            "# {} · {} · {} · {}",
            inc.id,
            inc.severity.label(),
            inc.status,
            inc.title
        )?;
        for e in inc.visible_entries() {
            writeln!(
                out,
                "{}{}  {:<8} {:<12} {}",
                if e.pinned { "* " } else { "  " },
                WithOffset(e.occurred_at, zone),
                e.kind.as_str(),
                e.author,
                e.text.replace('\n', "\n    ")
            )?;
        }
    }
    Ok(())
}
