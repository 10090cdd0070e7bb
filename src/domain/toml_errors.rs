//! Reading a TOML document into typed settings and saying where it went wrong: the 1-based
//! line and the key's full path (`health.sources[0].interval`), for the config file and drill
//! scenarios alike.

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

/// What is wrong in a TOML document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlProblem {
    /// 1-based line of the offending key or value (the table's, for a problem with the whole
    /// table; 1 when the parser gave no place).
    pub line: usize,
    /// The key's path as a user writes it: `timezone`, `health.sources[0].interval`,
    /// `(syntax)` when the text is not TOML at all.
    pub key: String,
    /// What the parser or the type said, first line only.
    pub message: String,
}

/// Deserializes `text` into `T`.
pub fn from_toml<T: DeserializeOwned>(text: &str) -> Result<T, TomlProblem> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| TomlProblem {
        line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
        key: "(syntax)".into(),
        message: first_line(e.message()),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = key_path(e.path());
        let inner = e.inner();
        TomlProblem {
            line: inner.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            key,
            message: first_line(inner.message()),
        }
    })
}

/// The path as written in TOML: `a.b[0].c`, without the private keys that `toml::Spanned` and
/// other wrappers deserialize through (`$__serde_spanned_private_value`).
pub fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if key.starts_with("$__") {
                    continue;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        out.push_str("(top level)");
    }
    out
}

/// The offsets of a text's line breaks, found in one pass, so that the line of any offset is a
/// binary search: for parsers that name the line of many things (every playbook step; counting
/// from the start each time made a large file take quadratic time).
pub struct LineIndex {
    breaks: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            breaks: text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// The 1-based line holding byte `offset` (past the end: the last line).
    pub fn line(&self, offset: usize) -> usize {
        self.breaks.partition_point(|&b| b < offset) + 1
    }
}

/// The 1-based line holding byte `offset` (for one lookup; see [`LineIndex`] for many).
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: Option<toml::Spanned<u32>>,
        list: Option<Vec<Item>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: toml::Spanned<u32>,
    }

    #[test]
    fn names_the_key_and_line_without_private_wrappers() {
        let p = from_toml::<Doc>("a = 1\n\n[[list]]\nn = 1\n[[list]]\nn = \"x\"\n").unwrap_err();
        assert_eq!((p.line, p.key.as_str()), (6, "list[1].n"), "{p:?}");
        let p = from_toml::<Doc>("a = \"x\"\n").unwrap_err();
        assert_eq!((p.line, p.key.as_str()), (1, "a"), "{p:?}");
        assert!(!p.message.contains("$__"), "{p:?}");
        let p = from_toml::<Doc>("a = = 1\n").unwrap_err();
        assert_eq!(p.key, "(syntax)");
    }
}
