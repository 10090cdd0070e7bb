//! `warroom list`: every incident, one a line (or JSON), broken ones included with why.

use std::io::Write;

use crate::config::Config;
use crate::domain::time::WithOffset;
use crate::store::DataDir;

pub fn list(
    data: &DataDir,
    config: &Config,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let list = data.list()?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
    } else if list.is_empty() {
        writeln!(
            out,
            "no incidents yet: start one with `warroom new --title TEXT`"
        )?;
    } else {
        let zone = config.zone();
        for item in list {
            let s = match item {
                crate::store::Listed::Ok(s) => s,
                crate::store::Listed::Broken(b) => {
                    // Never left out: say why it cannot be shown.
                    writeln!(
                        out,
                        "{}\t-\t-\t-\t-\t{} ({})",
                        b.id,
                        b.problem,
                        b.journal.display()
                    )?;
                    continue;
                }
            };
            let closed = s
                .closed
                .map(|c| WithOffset(c, zone).to_string())
                .unwrap_or_else(|| "open".into());
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}{}",
                s.id,
                s.severity.label(),
                s.status,
                WithOffset(s.opened, zone),
                closed,
                s.title,
                if s.drill { "\t[DRILL]" } else { "" }
            )?;
        }
    }
    Ok(())
}
