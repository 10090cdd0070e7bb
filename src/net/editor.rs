//! Running the person's text editor on a file: `$VISUAL`, else `$EDITOR`, split into words the
//! way a shell would (quotes and backslashes, no expansion, no shell run), with the file as the
//! last argument. It gets the terminal (standard input, output and error are inherited, whether
//! or not they are a terminal) and as long as it takes: unlike [`super::process`], which runs
//! configured commands with a time limit and captured output, this waits for a person.

use std::path::Path;

/// Why the editor did not give the file back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditorError {
    #[error(
        "no editor: set $EDITOR (or $VISUAL), e.g. `export EDITOR=nano`, or print the review with --print"
    )]
    NotSet,
    #[error("cannot read ${var} ({value:?}): {detail}")]
    Words {
        var: &'static str,
        value: String,
        detail: String,
    },
    #[error("cannot run the editor {program:?} (from ${var}): {detail}")]
    Spawn {
        var: &'static str,
        program: String,
        detail: String,
    },
    #[error("the editor {program:?} exited with {status}")]
    Failed { program: String, status: String },
}

/// Splits a command line into words: whitespace separates, `'…'` keeps everything, `"…"`
/// keeps everything but `\"` and `\\`, a backslash outside quotes keeps the next character.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("a ' quote is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("a \" quote is not closed".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("a \" quote is not closed".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// The editor's argument list (without the file) and the variable it came from: `$VISUAL`,
/// else `$EDITOR` (set and not blank).
pub fn editor_command(
    visual: Option<&str>,
    editor: Option<&str>,
) -> Result<(Vec<String>, &'static str), EditorError> {
    let (var, value) = match (visual, editor) {
        (Some(v), _) if !v.trim().is_empty() => ("VISUAL", v),
        (_, Some(e)) if !e.trim().is_empty() => ("EDITOR", e),
        _ => return Err(EditorError::NotSet),
    };
    let words = split_words(value).map_err(|detail| EditorError::Words {
        var,
        value: value.to_string(),
        detail,
    })?;
    if words.is_empty() {
        return Err(EditorError::NotSet);
    }
    Ok((words, var))
}

/// Runs the editor from the environment on `file` and waits for it.
pub fn edit(file: &Path) -> Result<(), EditorError> {
    let visual = std::env::var("VISUAL").ok();
    let editor = std::env::var("EDITOR").ok();
    let (argv, var) = editor_command(visual.as_deref(), editor.as_deref())?;
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .arg(file)
        .status()
        .map_err(|e| EditorError::Spawn {
            var,
            program: argv[0].clone(),
            detail: e.to_string(),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(EditorError::Failed {
            program: argv[0].clone(),
            status: status.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_one() {
        let w = |s: &str| split_words(s).unwrap();
        assert_eq!(w("code -w"), ["code", "-w"]);
        assert_eq!(w("  vim  "), ["vim"]);
        assert_eq!(
            w(r#"'/opt/My Editor/bin/ed' --wait "a \"b\"" c\ d"#),
            ["/opt/My Editor/bin/ed", "--wait", "a \"b\"", "c d"]
        );
        assert_eq!(w("emacs -nw ''"), ["emacs", "-nw", ""]);
        assert_eq!(w("$HOME/x;rm"), ["$HOME/x;rm"], "no expansion, no shell");
        assert!(split_words("vim 'oops").is_err());
    }

    #[test]
    fn visual_wins_over_editor_and_blank_is_unset() {
        assert_eq!(
            editor_command(Some("code -w"), Some("vi")).unwrap(),
            (vec!["code".to_string(), "-w".to_string()], "VISUAL")
        );
        assert_eq!(editor_command(Some(" "), Some("vi")).unwrap().1, "EDITOR");
        assert_eq!(editor_command(None, None), Err(EditorError::NotSet));
        assert_eq!(editor_command(None, Some("''")).unwrap().0, [""]);
    }
}
