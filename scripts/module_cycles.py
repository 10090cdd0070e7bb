#!/usr/bin/env python3
"""Prints the import cycles between modules of the crate.

Every path a file names (`use crate::a::b`, `crate::a::b::f(..)`, `use super::x`, `super::x::f`)
is an edge from the file's module to the module it names. Two levels are checked:

- layers: the top modules (`domain`, `store`, `net`, `trace`, `tui`, ...);
- inside a layer: its direct children (`domain::incident`, `domain::closing`, ...), each with
  everything below it folded in (so `domain::health::diff` counts as `domain::health`, and a
  child using its parent's items is not a cycle).

Usage (from the crate folder): scripts/module_cycles.py [LAYER ...]   (default: every layer). Exit status 1 if any
cycle was found.
"""

import os
import re
import sys

# The crate in the current folder, else the one this script is in.
ROOT = (
    os.path.abspath("src")
    if os.path.isfile(os.path.join("src", "lib.rs"))
    else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
)

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*?)\}", re.S)


def module_of(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def targets(mod, text):
    """Every module path (as a list) the text names, resolved against `mod`."""
    out = []

    def resolve(head, rest):
        parts = [p for p in rest.split("::") if p]
        if head == "crate":
            return parts
        base = mod[:-1]
        while parts and parts[0] == "super":
            parts = parts[1:]
            base = base[:-1]
        return base + parts

    for m in GROUP.finditer(text):
        base = resolve(m.group(1), m.group(2))
        for item in re.split(r",", m.group(3)):
            item = item.strip().split(" as ")[0].strip()
            first = re.match(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*", item)
            if first:
                out.append(base + first.group(0).split("::"))
            elif item.startswith("{") or item == "*" or not item:
                out.append(base)
    for m in PATH.finditer(text):
        out.append(resolve(m.group(1), m.group(2)))
    return out


def main():
    files = []
    for dirpath, _, names in os.walk(ROOT):
        for n in names:
            if n.endswith(".rs"):
                files.append(os.path.join(dirpath, n))
    modules = {tuple(module_of(f)) for f in files}
    edges = set()
    for f in files:
        mod = module_of(f)
        with open(f, encoding="utf-8") as fh:
            text = strip_comments(fh.read())
        # Test code may reach anywhere; only what the product builds counts.
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)[0]
        if os.path.basename(f) == "tests.rs":
            continue
        for t in targets(mod, text):
            # The longest known module that prefixes the path.
            while t and tuple(t) not in modules:
                t = t[:-1]
            if t:
                edges.add((tuple(mod), tuple(t)))

    layers = sys.argv[1:] or sorted({m[0] for m in modules if m})
    found = False

    def report(title, nodes, graph):
        nonlocal found
        for comp in sccs(nodes, graph):
            if len(comp) > 1:
                found = True
                print(f"{title}: cycle among {', '.join(sorted(comp))}")
                for a in sorted(comp):
                    for b in sorted(graph.get(a, ())):
                        if b in comp:
                            print(f"    {a} -> {b}")

    # Layers.
    graph = {}
    for a, b in edges:
        if a and b and a[0] != b[0]:
            graph.setdefault(a[0], set()).add(b[0])
    report("layers", sorted({m[0] for m in modules if m}), graph)

    # Inside each layer.
    for layer in layers:
        graph = {}
        nodes = set()
        for a, b in edges:
            if len(a) >= 2 and len(b) >= 2 and a[0] == b[0] == layer and a[1] != b[1]:
                ka, kb = "::".join(a[:2]), "::".join(b[:2])
                graph.setdefault(ka, set()).add(kb)
                nodes.update((ka, kb))
        report(layer, sorted(nodes), graph)

    if not found:
        print("no cycles")
    return 1 if found else 0


def sccs(nodes, graph):
    """Tarjan's strongly connected components."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            out.append(comp)

    for v in nodes:
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
