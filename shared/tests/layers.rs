//! The shape of the code, checked: no import circles between shared/ modules, the layer
//! order of docs/architecture.md, handlers that reach the store only through services, and
//! no source file over 600 lines.
//!
//! A module is one file (`mod.rs` is its directory). An edge a → b is any `crate::…` or
//! `super::…` path in a's non-test code that names b or something inside b. Edges to a
//! module's own ancestors are ignored (a file may use its parent's helpers; a parent only
//! declares its children).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

/// Files still over MAX_LINES while the structure issue is under way; shrinks to empty.
const LONG_FILES: &[&str] = &[];

/// Modules still caught in an import circle; shrinks to empty (a module leaves this list
/// once it is in no circle, and the test then insists it stays out).
const TANGLED: &[&str] = &[];

/// Handler files that still reach the store (or DynamoDB types) instead of a service while
/// the structure issue is under way; shrinks to empty (functions: parse → service → render).
const STORE_IN_HANDLERS: &[&str] = &[];

/// Layer of a module (higher may use lower, never the reverse). `None`: plumbing.
fn layer(m: &str) -> Option<u8> {
    let top = m.split("::").next().unwrap_or("");
    match top {
        "domain" => Some(0),
        "store" => Some(1),
        "realtime" => Some(2),
        "services" => Some(3),
        "dialects" => Some(4),
        _ => None,
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rs_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

/// `store/users.rs` → `store::users`; `store/mod.rs` → `store`; `lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod") | Some("lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// Non-test code: everything before the first `#[cfg(test)]`.
fn code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// Every module path named after `crate::` or `super::` (brace groups expanded one level).
fn references(text: &str, me: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (anchor, base) in [("crate::", Vec::new()), ("super::", parent(me))] {
        let mut rest = text;
        while let Some(i) = rest.find(anchor) {
            let before = rest[..i].chars().last();
            rest = &rest[i + anchor.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            for path in expand(rest) {
                let mut full = base.clone();
                full.extend(path);
                out.push(full);
            }
        }
    }
    out
}

fn parent(me: &str) -> Vec<String> {
    let mut p: Vec<String> = me.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
    p.pop();
    p
}

/// `a::b::{c, d::e}` → [[a,b,c],[a,b,d,e]]; `{a, b}` → [[a],[b]].
fn expand(s: &str) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut s = s;
    loop {
        if let Some(body) = s.strip_prefix('{') {
            let end = body.find('}').unwrap_or(body.len());
            return body[..end]
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| {
                    let mut p = prefix.clone();
                    p.extend(x.split("::").map(|seg| ident(seg.trim()).to_string()).filter(|seg| !seg.is_empty()));
                    p
                })
                .collect();
        }
        let id = ident(s);
        if id.is_empty() {
            return vec![prefix];
        }
        prefix.push(id.to_string());
        s = &s[id.len()..];
        match s.strip_prefix("::") {
            Some(r) => s = r,
            None => return vec![prefix],
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("shared/src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let modules: BTreeMap<String, PathBuf> = files.iter().map(|f| (module_of(&src, f), f.clone())).collect();
    let mut g = BTreeMap::new();
    for (me, file) in &modules {
        let text = fs::read_to_string(file).unwrap();
        let mut deps = BTreeSet::new();
        for path in references(code(&text), me) {
            // The deepest module the path names.
            let mut target = String::new();
            let mut cur = String::new();
            for seg in &path {
                cur = if cur.is_empty() { seg.clone() } else { format!("{cur}::{seg}") };
                if modules.contains_key(&cur) {
                    target = cur.clone();
                }
            }
            let ancestor = target.is_empty() || me == &target || me.starts_with(&format!("{target}::"));
            if !ancestor {
                deps.insert(target);
            }
        }
        g.insert(me.clone(), deps);
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t =
        T { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

#[test]
fn no_import_circles_in_shared() {
    let g = graph();
    let found: BTreeSet<String> = circles(&g).into_iter().flatten().collect();
    let known: BTreeSet<String> = TANGLED.iter().map(|s| s.to_string()).collect();
    // The edges inside circles, so whoever breaks one sees what to move.
    let edges: Vec<String> = g
        .iter()
        .filter(|(a, _)| found.contains(*a))
        .flat_map(|(a, bs)| bs.iter().filter(|b| found.contains(*b)).map(move |b| format!("  {a} → {b}")))
        .collect();
    assert_eq!(
        found,
        known,
        "modules in import circles (left) vs TANGLED (right); edges inside circles:\n{}",
        edges.join("\n")
    );
}

#[test]
fn layers_only_use_layers_below() {
    let mut wrong = Vec::new();
    for (from, deps) in graph() {
        for to in deps {
            if let (Some(a), Some(b)) = (layer(&from), layer(&to)) {
                if b > a {
                    wrong.push(format!("{from} → {to}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "a lower layer uses a higher one:\n{}", wrong.join("\n"));
}

#[test]
fn no_source_file_over_600_lines() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["shared", "functions", "local", "tests"] {
        rs_files(&root.join(dir), &mut files);
    }
    let mut long: Vec<String> = files
        .iter()
        .filter(|f| fs::read_to_string(f).unwrap().lines().count() > MAX_LINES)
        .map(|f| f.strip_prefix(&root).unwrap().to_string_lossy().to_string())
        .collect();
    long.sort();
    assert_eq!(long, LONG_FILES, "files over {MAX_LINES} lines (split them; LONG_FILES only shrinks)");
}

/// Handlers call services, never the store: no `store::` path, no DynamoDB type, outside
/// comments and tests.
#[test]
fn handlers_do_not_touch_the_store() {
    let root = root();
    let mut files = Vec::new();
    rs_files(&root.join("functions"), &mut files);
    let mut found: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            code(&text)
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains("store::") || l.contains("AttributeValue") || l.contains("aws_sdk_dynamodb"))
        })
        .map(|f| f.strip_prefix(&root).unwrap().to_string_lossy().to_string())
        .collect();
    found.sort();
    assert_eq!(found, STORE_IN_HANDLERS, "handler files using the store (left) vs STORE_IN_HANDLERS (right)");
}

#[test]
fn expand_reads_use_trees() {
    assert_eq!(expand("a::b::{c, d::e};"), vec![vec!["a", "b", "c"], vec!["a", "b", "d", "e"]]);
    assert_eq!(expand("store::users::User)"), vec![vec!["store", "users", "User"]]);
}
