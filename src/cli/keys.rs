//! `warroom keys`: the console's key bindings, after the config's overrides.

use std::io::Write;

use crate::config::Config;

pub fn keys(config: &Config, out: &mut impl Write) -> anyhow::Result<()> {
    let map =
        crate::tui::keymap::Keymap::with_overrides(&config.keys).map_err(anyhow::Error::msg)?;
    write!(out, "{}", map.listing())?;
    Ok(())
}
