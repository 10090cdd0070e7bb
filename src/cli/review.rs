//! `warroom review`: the post-incident review, rendered from a template and prefilled from the
//! incident, edited in `$VISUAL`/`$EDITOR` and saved as a `review_saved` event (or printed with
//! `--print`). It acts on the current incident even when it is closed: review events are
//! allowed on a closed incident.

use std::io::Write;

use anyhow::bail;
use clap::Args;

use crate::config::{Config, Paths};
use crate::domain::event::{Event, EventBody};
use crate::domain::review;
use crate::export::review::{self as rv, ReviewTemplates, template::DEFAULT};
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Incident id (or a unique part of it) [default: the current one, open or closed]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// The template: built-in `default`, or <config dir>/review-templates/NAME.md
    #[arg(long, value_name = "NAME", default_value = DEFAULT)]
    pub template: String,
    /// Print the review to standard output instead of editing it.
    #[arg(long)]
    pub print: bool,
}

/// The folder of the user's review templates.
pub fn templates_dir(paths: &Paths, config: &Config) -> std::path::PathBuf {
    config
        .review_templates_dir
        .clone()
        .unwrap_or_else(|| paths.config_dir.join("review-templates"))
}

/// `warroom review`.
pub fn review(
    data: &DataDir,
    paths: &Paths,
    config: &Config,
    a: ReviewArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick_any(a.incident.as_deref())?;
    let inc = data.load(&id)?.incident;
    let templates = ReviewTemplates::load(&templates_dir(paths, config));
    let template = templates.get(&a.template)?;
    let zone = config.zone();
    let text = rv::render(&inc, zone, template)?;
    if a.print {
        out.write_all(text.as_bytes())?;
        return Ok(());
    }
    let edited = rv::draft::edit_text(&id, &text).map_err(anyhow::Error::msg)?;
    let Some(sections) = review::changes(&text, &edited) else {
        writeln!(out, "review of {id} unchanged: nothing was written")?;
        return Ok(());
    };
    if sections.is_empty() {
        bail!(
            "the edited review has no `## ` section headings left: nothing was saved (keep one `## ` heading a section)"
        );
    }
    let n = review::written(&sections);
    let total = sections.len();
    let ev = Event::new(
        chrono::Utc::now(),
        config.author(),
        EventBody::ReviewSaved {
            template: template.name.clone(),
            sections,
        },
    );
    data.journal(&id)?.append(&ev)?;
    writeln!(
        out,
        "review of {id} saved ({n} of {total} sections written); `warroom export --format md --review-only` prints it"
    )?;
    Ok(())
}
