//! `warroom open` (and `warroom` alone): the console on an incident, asking for a title when
//! there is no open one.

use std::io::{IsTerminal, Write};

use anyhow::{Context as _, bail};

use super::{attach_events, init_logging, load_catalog};
use crate::config::{Config, Paths};
use crate::domain::incident::Severity;
use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::store::{DataDir, StoreError};

/// The console draws on standard output and reads keys from standard input: both must be a
/// terminal. Checked before anything is created.
pub fn require_terminal(what: &str) -> anyhow::Result<()> {
    let which = match (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    ) {
        (true, true) => return Ok(()),
        (false, false) => "standard input and standard output are not terminals",
        (false, true) => "standard input is not a terminal",
        (true, false) => "standard output is not a terminal",
    };
    bail!(
        "{what} needs a terminal, but {which}: run it from an interactive shell, not through a pipe, a redirection or a script; nothing was created"
    )
}

pub fn open(
    data: &DataDir,
    paths: &Paths,
    config: &Config,
    wanted: Option<&str>,
) -> anyhow::Result<()> {
    require_terminal("the console")?;
    let id = match data.pick(wanted) {
        Ok(id) => id,
        Err(StoreError::NoneOpen) if wanted.is_none() => {
            let stdin = std::io::stdin();
            if !stdin.is_terminal() {
                bail!("there is no open incident: start one with `warroom new --title TEXT`");
            }
            crate::diag!("No open incident. Title for a new one (empty to cancel): ");
            std::io::stderr().flush()?;
            let mut line = String::new();
            stdin.read_line(&mut line)?;
            let title = sanitize_line(&line, FIELD_CAP);
            if title.is_empty() {
                bail!("no title given: nothing was created");
            }
            let catalog = load_catalog(paths);
            let extra = attach_events(&catalog, crate::domain::playbook::DEFAULT_PLAYBOOK)?;
            let id = data.create_with(
                &title,
                Severity::Sev2,
                &config.author(),
                chrono::Utc::now(),
                false,
                extra,
            )?;
            crate::diagln!("opened incident {id}");
            id
        }
        Err(e) => return Err(e.into()),
    };
    data.set_current(&id).ok();
    init_logging(paths);
    let catalog = load_catalog(paths);
    crate::tui::run_console(data, &id, config, catalog)
        .with_context(|| format!("console on incident {id}"))
}
