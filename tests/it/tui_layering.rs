//! The console's files import each other as a tree, not a circle: a per-file graph of the
//! `crate::tui::…` and `super::…` paths named in `src/tui` (tests and comments left out) has no
//! cycle. A file's own submodules (`panes/mod.rs` → `panes/trace.rs`) are not edges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn modules(dir: &Path, prefix: &Module, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut p = prefix.clone();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.clone();
            if name != "mod" {
                m.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String = code
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(m, code);
        }
    }
}

/// Paths such as `super::state::{AppState, Mode}` or `crate::tui::panes::{trace, timeline}`,
/// each as the module path it names (with each lower-case name of a `{…}` group too).
fn named_paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    let text = code;
    for (head, is_super) in [("crate::", false), ("super::", true)] {
        let mut from = 0;
        while let Some(i) = text[from..].find(head) {
            let start = from + i;
            from = start + head.len();
            if start > 0 {
                let prev = text[..start].chars().last().unwrap();
                if prev.is_alphanumeric() || prev == '_' {
                    continue;
                }
            }
            let rest = &text[start + head.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let path: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            out.push((is_super, path.clone()));
            if rest[end..].starts_with('{')
                && let Some(close) = rest[end..].find('}')
            {
                for item in rest[end + 1..end + close].split(',') {
                    let item = item.split_whitespace().next().unwrap_or("");
                    if item.starts_with(|c: char| c.is_lowercase()) && item != "self" {
                        let mut p = path.clone();
                        p.push(item.to_string());
                        out.push((is_super, p));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_file_in_src_tui_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files = BTreeMap::new();
    modules(&root, &vec!["tui".to_string()], &mut files);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, code) in &files {
        let set = edges.entry(m.clone()).or_default();
        for (is_super, path) in named_paths(code) {
            let full: Module = if is_super {
                // `super` of a/b.rs and of a/b/mod.rs alike is a.
                let mut p = m[..m.len().saturating_sub(1)].to_vec();
                p.extend(path);
                p
            } else if path.first().is_some_and(|s| s == "tui") {
                path
            } else {
                continue;
            };
            // The longest prefix that is a file.
            if let Some(t) = (1..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|p| files.contains_key(p))
                && &t != m
                && !t.starts_with(m)
            {
                set.insert(t);
            }
        }
    }
    assert!(
        edges.len() > 20 && edges.values().map(BTreeSet::len).sum::<usize>() > 60,
        "the graph was read: {edges:?}"
    );
    // Depth-first search for a back edge.
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        path: &mut Vec<Module>,
    ) {
        state.insert(m.clone(), 1);
        path.push(m.clone());
        for t in &edges[m] {
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == t).unwrap();
                    let cycle: Vec<String> = path[from..].iter().map(|p| p.join("/")).collect();
                    panic!("import cycle: {} -> {}", cycle.join(" -> "), t.join("/"));
                }
                0 => visit(t, edges, state, path),
                _ => {}
            }
        }
        path.pop();
        state.insert(m.clone(), 2);
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if !state.contains_key(m) {
            visit(m, &edges, &mut state, &mut Vec::new());
        }
    }
}
