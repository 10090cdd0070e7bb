//! Review templates: Markdown with minijinja placeholders. The built-in `default` is in
//! `assets/review-templates/`; the user's `<config dir>/review-templates/NAME.md` files
//! replace a built-in of the same name or add new ones (`--template NAME`).
//!
//! A template sees `incident` (id, title, severity, status, state, drill, opened_at,
//! opened_by, closed_at), `sections` (the prefill of each built-in section, by key: summary,
//! impact, timeline, response, contributing_factors, went_well, was_hard, lucky,
//! action_items), `marked` (the marked entries: at, marker, text, author, pinned) and
//! `action_items` (one line each).

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::store::user_files::read_user_files;

/// The built-in review templates: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[(
    "default",
    include_str!("../../../assets/review-templates/default.md"),
)];

/// The template used when none is named.
pub const DEFAULT: &str = "default";

/// The most a template file may hold (256 KiB).
const TEMPLATE_MAX: u64 = 262_144;

/// Why a review template could not be used: each names the template file (and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewTemplateError {
    #[error(
        "no review template {name:?}: known ones are {known} (add {dir}/{name}.md for your own)"
    )]
    Unknown {
        name: String,
        known: String,
        dir: String,
    },
    #[error("cannot read the review template {file}: {detail}")]
    Read { file: String, detail: String },
    #[error("review template {file}, line {line}: {detail}; fix the template")]
    Template {
        file: String,
        line: usize,
        detail: String,
    },
}

/// One review template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTemplate {
    pub name: String,
    /// `built-in` or the file it came from.
    pub origin: String,
    pub text: String,
}

/// The review templates: the built-ins, replaced or joined by the user's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTemplates {
    pub templates: Vec<ReviewTemplate>,
    /// The folder the user's files are read from (for messages).
    pub dir: String,
    /// User files that could not be read.
    pub errors: Vec<ReviewTemplateError>,
}

impl Default for ReviewTemplates {
    fn default() -> Self {
        ReviewTemplates {
            templates: BUILTIN
                .iter()
                .map(|(n, t)| ReviewTemplate {
                    name: n.to_string(),
                    origin: "built-in".into(),
                    text: t.to_string(),
                })
                .collect(),
            dir: "<config dir>/review-templates".into(),
            errors: Vec::new(),
        }
    }
}

impl ReviewTemplates {
    /// The built-ins and every `*.md` file in `dir` (a missing folder is fine).
    pub fn load(dir: &Path) -> Self {
        let mut cat = ReviewTemplates {
            dir: dir.display().to_string(),
            ..ReviewTemplates::default()
        };
        for f in read_user_files(dir, "md", TEMPLATE_MAX) {
            let text = match f.text {
                Ok(t) => t,
                Err(detail) => {
                    cat.errors.push(ReviewTemplateError::Read {
                        file: f.file,
                        detail,
                    });
                    continue;
                }
            };
            let t = ReviewTemplate {
                name: f.name.clone(),
                origin: f.file,
                text,
            };
            match cat.templates.iter_mut().find(|x| x.name == f.name) {
                Some(slot) => *slot = t,
                None => cat.templates.push(t),
            }
        }
        cat
    }

    /// The template `name`, or why there is none (a file that could not be read says so).
    pub fn get(&self, name: &str) -> Result<&ReviewTemplate, ReviewTemplateError> {
        if let Some(t) = self.templates.iter().find(|t| t.name == name) {
            return Ok(t);
        }
        let stem = |f: &str| {
            Path::new(f)
                .file_stem()
                .is_some_and(|s| s.to_string_lossy() == name)
        };
        if let Some(e) = self.errors.iter().find(|e| match e {
            ReviewTemplateError::Read { file, .. } => stem(file),
            _ => false,
        }) {
            return Err(e.clone());
        }
        Err(ReviewTemplateError::Unknown {
            name: name.to_string(),
            known: self
                .templates
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            dir: self.dir.clone(),
        })
    }
}

/// Renders a template's text with `ctx`; errors name the template's file and line.
pub fn render<C: Serialize>(t: &ReviewTemplate, ctx: &C) -> Result<String, ReviewTemplateError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    let err = |e: minijinja::Error| ReviewTemplateError::Template {
        file: t.origin.clone(),
        line: e.line().unwrap_or(1),
        detail: match e.detail() {
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        },
    };
    let tmpl = env
        .template_from_named_str(t.name.as_str(), t.text.as_str())
        .map_err(err)?;
    tmpl.render(Value::from(minijinja::value::Serde(ctx)))
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> ReviewTemplate {
        ReviewTemplate {
            name: "mine".into(),
            origin: "/cfg/review-templates/mine.md".into(),
            text: text.into(),
        }
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let ctx = serde_json::json!({"incident": {"title": "x"}});
        let e = render(&template("# ok\n\n{% if %}\n"), &ctx).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("/cfg/review-templates/mine.md, line 3"),
            "{msg}"
        );
        let e = render(&template("a\nb\n{{ incident.titel.x }}\n"), &ctx).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("mine.md, line 3"), "{msg}");
        assert!(msg.contains("undefined"), "{msg}");
    }

    #[test]
    fn user_files_replace_and_add_templates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.md"), "## Only\n").unwrap();
        std::fs::write(dir.path().join("short.md"), "## Short\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let cat = ReviewTemplates::load(dir.path());
        assert_eq!(cat.get("default").unwrap().text, "## Only\n");
        assert!(cat.get("short").unwrap().origin.ends_with("short.md"));
        let e = cat.get("notes").unwrap_err().to_string();
        assert!(e.contains("default, short"), "{e}");
        assert!(e.contains("notes.md"), "{e}");
        // A missing folder: the built-ins.
        let cat = ReviewTemplates::load(&dir.path().join("none"));
        assert_eq!(cat.get("default").unwrap().origin, "built-in");
    }
}
