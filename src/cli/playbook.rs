//! `warroom playbook list|show`: the response playbooks, built-in and the user's own.

use std::io::Write;

use anyhow::bail;
use clap::Subcommand;

use super::load_catalog;
use crate::config::Paths;

#[derive(Debug, Subcommand)]
pub enum PlaybookVerb {
    /// One playbook a line: id, name, number of steps.
    List,
    /// Every section and step of a playbook.
    Show {
        /// Playbook id (see `warroom playbook list`).
        id: String,
    },
}

pub fn playbook(paths: &Paths, verb: PlaybookVerb, out: &mut impl Write) -> anyhow::Result<()> {
    match verb {
        PlaybookVerb::List => {
            let catalog = load_catalog(paths);
            for (pb, _) in &catalog.playbooks {
                writeln!(out, "{}\t{}\t{} steps", pb.id, pb.name, pb.step_count())?;
            }
            Ok(())
        }
        PlaybookVerb::Show { id } => {
            let catalog = load_catalog(paths);
            let Some((pb, _)) = catalog.get(&id) else {
                bail!("no playbook {id:?}: known ones are {}", catalog.ids());
            };
            writeln!(out, "{} ({})", pb.name, pb.id)?;
            if !pb.description.is_empty() {
                writeln!(out, "\n{}", pb.description)?;
            }
            for sec in &pb.sections {
                writeln!(out, "\n## {}", sec.title)?;
                for st in &sec.steps {
                    let mut facts = Vec::new();
                    if let Some(o) = &st.owner {
                        facts.push(format!("owner {o}"));
                    }
                    if let Some(d) = st.due {
                        facts.push(format!("due T+{}", crate::domain::time::format_duration(d)));
                    }
                    if let Some(c) = st.check_back {
                        facts.push(format!(
                            "check back every {}",
                            crate::domain::time::format_duration(c)
                        ));
                    }
                    if st.required {
                        facts.push("required".into());
                    }
                    writeln!(out, "\n- [{}] {} ({})", st.id, st.title, facts.join(", "))?;
                    for line in st.detail.lines() {
                        writeln!(out, "    {line}")?;
                    }
                }
            }
            Ok(())
        }
    }
}
