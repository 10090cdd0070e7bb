//! Update templates: text files with named placeholders, rendered with minijinja.
//!
//! The built-ins are in `assets/templates/` (embedded); the user's `<name>.txt` files in the
//! templates folder replace a built-in of the same name or add new ones.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use super::context::UpdateContext;
use crate::store::user_files::read_user_files;

/// The largest user template read (256 KiB): an update is a few paragraphs.
const TEMPLATE_MAX: u64 = 262_144;

/// The built-in templates: (name, text).
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    (
        "internal",
        include_str!("../../assets/templates/internal.txt"),
    ),
    ("can", include_str!("../../assets/templates/can.txt")),
    (
        "executive",
        include_str!("../../assets/templates/executive.txt"),
    ),
    (
        "external",
        include_str!("../../assets/templates/external.txt"),
    ),
];

/// Why a template could not be used. Messages name the template (and file and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("no update template {name:?}: known ones are {known}")]
    Unknown { name: String, known: String },
    #[error("cannot read the template file {file}: {detail}")]
    Read { file: String, detail: String },
    #[error(
        "template {file}: {detail}; fix the file (until then it is skipped, and a built-in of the same name is used)"
    )]
    Syntax { file: String, detail: String },
    #[error(
        "template {name:?} failed: {detail}; fix the template (placeholders are listed in the README)"
    )]
    Render { name: String, detail: String },
}

/// One usable template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    pub name: String,
    /// `built-in` or the file it came from.
    pub origin: String,
    pub text: String,
}

/// The templates that can be used, built-ins first then the user's, sorted by name within each.
#[derive(Debug, Clone, Default)]
pub struct TemplateCatalog {
    pub templates: Vec<TemplateSource>,
    /// User files that could not be used.
    pub errors: Vec<TemplateError>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Misspelt placeholders fail loudly instead of printing nothing; `{% if x %}` still works.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

fn check_syntax(name: &str, text: &str) -> Result<(), String> {
    let mut env = environment();
    env.add_template_owned(name.to_string(), text.to_string())
        .map_err(|e| e.to_string())
}

impl TemplateCatalog {
    /// Only the built-ins.
    pub fn builtin() -> Self {
        TemplateCatalog {
            templates: BUILTIN_TEMPLATES
                .iter()
                .map(|(n, t)| TemplateSource {
                    name: n.to_string(),
                    origin: "built-in".into(),
                    text: t.to_string(),
                })
                .collect(),
            errors: Vec::new(),
        }
    }

    /// The built-ins and the `*.txt` files in `dir` (a missing folder is fine). A file with a
    /// syntax error is reported and skipped.
    pub fn load(dir: Option<&Path>) -> Self {
        let mut cat = TemplateCatalog::builtin();
        let Some(dir) = dir else { return cat };
        for f in read_user_files(dir, "txt", TEMPLATE_MAX) {
            let text = match f.text {
                Ok(t) => t,
                Err(detail) => {
                    cat.errors.push(TemplateError::Read {
                        file: f.file,
                        detail,
                    });
                    continue;
                }
            };
            if let Err(detail) = check_syntax(&f.name, &text) {
                cat.errors.push(TemplateError::Syntax {
                    file: f.file,
                    detail,
                });
                continue;
            }
            let src = TemplateSource {
                name: f.name.clone(),
                origin: f.file,
                text,
            };
            match cat.templates.iter_mut().find(|t| t.name == f.name) {
                Some(slot) => *slot = src,
                None => cat.templates.push(src),
            }
        }
        cat
    }

    /// Template names in catalog order.
    pub fn names(&self) -> Vec<&str> {
        self.templates.iter().map(|t| t.name.as_str()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&TemplateSource> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The name after `name`, wrapping around (for cycling in the composer).
    pub fn next_name(&self, name: &str) -> Option<&str> {
        let names = self.names();
        let i = names.iter().position(|n| *n == name).map_or(0, |i| i + 1);
        names.get(i % names.len().max(1)).copied()
    }

    /// Renders template `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: &UpdateContext) -> Result<String, TemplateError> {
        let Some(src) = self.get(name) else {
            return Err(TemplateError::Unknown {
                name: name.to_string(),
                known: self.names().join(", "),
            });
        };
        render_text(name, &src.text, ctx)
    }
}

/// Renders one template text. Trailing spaces are trimmed from every line, runs of blank lines
/// become one, and the result ends without a newline.
pub fn render_text(name: &str, text: &str, ctx: &UpdateContext) -> Result<String, TemplateError> {
    let env = environment();
    let err = |e: minijinja::Error| TemplateError::Render {
        name: name.to_string(),
        detail: e.to_string(),
    };
    let tmpl = env.template_from_named_str(name, text).map_err(err)?;
    let raw = tmpl
        .render(Value::from(minijinja::value::Serde(ctx)))
        .map_err(err)?;
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        for (name, text) in BUILTIN_TEMPLATES {
            check_syntax(name, text).unwrap();
        }
    }

    #[test]
    fn user_files_override_add_and_report_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("internal.txt"),
            "mine: {{ incident.title }}",
        )
        .unwrap();
        std::fs::write(dir.path().join("bridge.txt"), "bridge {{ now }}").unwrap();
        std::fs::write(dir.path().join("broken.txt"), "{% if %}").unwrap();
        std::fs::write(dir.path().join("notes.md"), "ignored").unwrap();
        let cat = TemplateCatalog::load(Some(dir.path()));
        assert_eq!(
            cat.names(),
            ["internal", "can", "executive", "external", "bridge"]
        );
        assert!(cat.get("internal").unwrap().text.starts_with("mine"));
        assert_eq!(cat.errors.len(), 1);
        let msg = cat.errors[0].to_string();
        assert!(
            msg.contains("broken.txt") && msg.contains("broken:1"),
            "{msg}"
        );
        assert_eq!(cat.next_name("external"), Some("bridge"));
        assert_eq!(cat.next_name("bridge"), Some("internal"));
        let e = cat.render("nope", &UpdateContext::default()).unwrap_err();
        assert!(
            e.to_string()
                .contains("internal, can, executive, external, bridge"),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_placeholder_is_an_error_naming_the_line() {
        let e = render_text("t", "ok\n{{ incident.titel }}", &UpdateContext::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") || e.contains("t:2"), "{e}");
        assert!(e.contains("undefined"), "{e}");
    }
}
