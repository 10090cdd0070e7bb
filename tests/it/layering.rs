//! The crate is layered as the README's "Layout of the code" says, and checked here from the
//! source itself (tests and comments left out), at three levels:
//!
//! - layers: the top modules, each importing only layers below it ([`LAYERS`]);
//! - inside a layer: its direct children (`domain::incident`, `tui::ui`, ...), each with
//!   everything below it folded in, import each other as a tree, not a circle;
//! - files: no file imports one that imports it back. A file's own submodules
//!   (`panes/mod.rs` → `panes/trace.rs`) are not edges.

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

/// The layers, lowest first: a module may import its own layer's modules and those of the
/// layers before it, never one after it.
const LAYERS: &[&[&str]] = &[
    &["domain", "diag"],
    &["config", "store", "net"],
    &[
        "health", "trace", "updates", "export", "evidence", "tracker", "team",
    ],
    &["drill"],
    &["tui"],
    &["cli"],
];

/// Every file of `src` (but `lib.rs` and `main.rs`) with its code, and the modules each names.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    modules(&root, &Vec::new(), &mut files);
    files.retain(|m, _| !(m.len() == 1 && (m[0] == "lib" || m[0] == "main")));
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, code) in &files {
        let set = edges.entry(m.clone()).or_default();
        for (is_super, path) in named_paths(code) {
            let full: Module = if is_super {
                // `super` of a/b.rs and of a/b/mod.rs alike is a.
                let mut p = m[..m.len().saturating_sub(1)].to_vec();
                p.extend(path);
                p
            } else {
                path
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
        edges.len() > 100 && edges.values().map(BTreeSet::len).sum::<usize>() > 300,
        "the graph was read: {} files",
        edges.len()
    );
    edges
}

/// The graph with every module cut to its first `depth` names, without self-edges.
fn folded(
    edges: &BTreeMap<Module, BTreeSet<Module>>,
    depth: usize,
) -> BTreeMap<Module, BTreeSet<Module>> {
    let cut = |m: &Module| m[..m.len().min(depth)].to_vec();
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, to) in edges {
        let f = cut(from);
        let set = out.entry(f.clone()).or_default();
        for t in to {
            let t = cut(t);
            // Only edges inside one parent are about this level; a child naming its own
            // parent's items (`super::*` of a folder's files) is not a cycle between siblings.
            if t != f && t[..t.len() - 1] == f[..f.len() - 1] && !f.starts_with(&t) {
                set.insert(t);
            }
        }
    }
    let keys: BTreeSet<Module> = out.keys().cloned().collect();
    for to in out.values_mut() {
        to.retain(|t| keys.contains(t));
    }
    out
}

/// The first cycle found, as `a -> b -> a`.
fn cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<String> {
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        path: &mut Vec<Module>,
    ) -> Option<String> {
        state.insert(m.clone(), 1);
        path.push(m.clone());
        for t in edges.get(m).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == t).unwrap();
                    let mut names: Vec<String> =
                        path[from..].iter().map(|p| p.join("::")).collect();
                    names.push(t.join("::"));
                    return Some(names.join(" -> "));
                }
                0 => {
                    if let Some(c) = visit(t, edges, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if !state.contains_key(m)
            && let Some(c) = visit(m, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let rank = |name: &str| LAYERS.iter().position(|l| l.contains(&name));
    let mut wrong = Vec::new();
    for (from, to) in graph() {
        let Some(f) = rank(&from[0]) else {
            panic!(
                "{} is in no layer: add it to LAYERS and the README",
                from[0]
            );
        };
        for t in to {
            let r = rank(&t[0]).expect("every top module has a layer");
            if r > f {
                wrong.push(format!("{} uses {}", from.join("::"), t.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "layers reached up: {wrong:#?}");
}

#[test]
fn the_modules_of_each_layer_form_a_tree() {
    let edges = graph();
    let layers = folded(&edges, 1);
    assert_eq!(cycle(&layers), None, "a cycle between layers");
    let children = folded(&edges, 2);
    assert!(
        children.values().map(BTreeSet::len).sum::<usize>() > 50,
        "the children's graph was read"
    );
    assert_eq!(cycle(&children), None, "a cycle between a layer's modules");
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    assert_eq!(cycle(&graph()), None);
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Module>();
    let mut edges = BTreeMap::new();
    edges.insert(m("tui::a"), BTreeSet::from([m("tui::b")]));
    edges.insert(m("tui::b"), BTreeSet::from([m("tui::c")]));
    edges.insert(m("tui::c"), BTreeSet::from([m("tui::a")]));
    assert_eq!(
        cycle(&edges).as_deref(),
        Some("tui::a -> tui::b -> tui::c -> tui::a")
    );
    let children = folded(
        &BTreeMap::from([
            (m("tui::ui::x"), BTreeSet::from([m("tui::state")])),
            (m("tui::state"), BTreeSet::from([m("tui::ui::layout")])),
        ]),
        2,
    );
    assert!(cycle(&children).is_some(), "{children:?}");
}
