//! The static scan behind the OpenAPI documents (see the parent module): template routes →
//! the router arm naming each handler → the `Params` accessors and session calls in its body.

use super::{Operation, Param, ACCESSORS};
use crate::template::{Template, HTTP_DEFAULT_ROUTE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every operation of the template (without `$default`), sorted by path and method.
pub fn operations(root: &Path) -> crate::Result<Vec<Operation>> {
    let t = Template::load(&root.join("infra/template.yaml"))?;
    let mut out = vec![];
    let mut routers: BTreeMap<String, (String, Vec<Arm>)> = BTreeMap::new();
    for r in &t.http_routes {
        if r.path == HTTP_DEFAULT_ROUTE {
            continue;
        }
        if !routers.contains_key(&r.function) {
            let bin = &t.function(&r.function).binary;
            let lib = read(&root.join(format!("functions/{bin}/src/lib.rs")))?;
            let arms = arms(&lib);
            routers.insert(r.function.clone(), (bin.clone(), arms));
        }
        let (bin, arms) = &routers[&r.function];
        let src_dir = root.join(format!("functions/{bin}/src"));
        let mine: Vec<&Arm> = arms
            .iter()
            .filter(|a| a.path == r.path && (a.method == r.method || (a.method == "ANY" && a.mf.is_none())))
            .collect();
        let mine: Vec<&Arm> =
            if r.path == "/api.php" { arms.iter().filter(|a| a.mf.is_some()).collect() } else { mine };
        for a in mine {
            let Scan { params, auth, raw, doc } = scan_handler(&src_dir, &Helpers::new(root, &src_dir), &a.call)?;
            out.push(Operation {
                method: if a.mf.is_some() { a.method.clone() } else { r.method.clone() },
                path: r.path.clone(),
                mf: a.mf.clone(),
                function: r.function.clone(),
                handler: a.call.clone(),
                doc,
                params,
                auth,
                raw,
            });
        }
    }
    out.sort_by(|a, b| (&a.path, &a.method, &a.mf).cmp(&(&b.path, &b.method, &b.mf)));
    Ok(out)
}

pub(super) fn read(p: &Path) -> crate::Result<String> {
    std::fs::read_to_string(p).map_err(|e| crate::Error::new(format!("{}: {e}", p.display())))
}

#[derive(Debug)]
pub(super) struct Arm {
    method: String,
    path: String,
    mf: Option<(String, String)>,
    /// `module::fn` or `fn` (a fn of lib.rs), empty when the arm calls nothing.
    call: String,
}

/// The route arms of a router source (the shapes local/gateway/tests/routes.rs reads).
pub(super) fn arms(src: &str) -> Vec<Arm> {
    let unquote = |s: &str| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).map(str::to_string);
    let mut out = vec![];
    for line in src.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('(') else { continue };
        let Some((tuple, call)) = rest.split_once(") =>") else { continue };
        let parts: Vec<&str> = tuple.split(',').map(str::trim).collect();
        let method = match parts.first() {
            Some(&"_") => "ANY".to_string(),
            Some(m) => match unquote(m) {
                Some(m) => m,
                None => continue,
            },
            None => continue,
        };
        let call = call.trim();
        let call = call.split_once('(').map(|(f, _)| f.trim()).unwrap_or_default();
        let call = if call.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == ':') && call != "Ok" {
            call.to_string()
        } else {
            String::new()
        };
        match parts.as_slice() {
            [_, path] => {
                if let Some(path) = unquote(path).filter(|p| p.starts_with('/')) {
                    out.push(Arm { method, path, mf: None, call });
                }
            }
            [_, m, f] => {
                if let (Some(m), Some(f)) = (unquote(m), unquote(f)) {
                    out.push(Arm { method, path: "/api.php".into(), mf: Some((m, f)), call });
                }
            }
            _ => {}
        }
    }
    out
}

/// The source of a handler's module: `m.rs`, or every file of `m/`.
pub(super) fn module_source(dir: &Path, module: &str) -> crate::Result<String> {
    let file = dir.join(format!("{module}.rs"));
    if file.exists() {
        return read(&file);
    }
    let folder = dir.join(module);
    let mut names: Vec<_> = std::fs::read_dir(&folder)
        .map_err(|e| crate::Error::new(format!("{}: {e}", folder.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    names.sort();
    let mut s = String::new();
    for n in names {
        s.push_str(&read(&n)?);
        s.push('\n');
    }
    Ok(s)
}

/// What the scan of a handler found.
#[derive(Default)]
pub(super) struct Scan {
    params: Vec<Param>,
    auth: bool,
    raw: bool,
    doc: String,
}

/// Parameters, whether a session is needed, raw answers and the doc comment of the handler `call`.
pub(super) fn scan_handler(dir: &Path, helpers: &Helpers, call: &str) -> crate::Result<Scan> {
    if call.is_empty() {
        return Ok(Scan::default());
    }
    let (src, name) = match call.rsplit_once("::") {
        Some((m, f)) => (module_source(dir, m.rsplit("::").next().unwrap_or(m))?, f),
        None => (read(&dir.join("lib.rs"))?, call),
    };
    let doc = fn_doc(&src, name);
    let mut found: BTreeMap<String, Param> = BTreeMap::new();
    let mut flags = Flags::default();
    let mut seen = BTreeSet::new();
    scan_fn(&src, helpers, name, 0, &mut seen, &mut found, &mut flags);
    Ok(Scan { params: found.into_values().collect(), auth: flags.auth, raw: flags.raw, doc })
}

#[derive(Default)]
pub(super) struct Flags {
    auth: bool,
    raw: bool,
}

/// Is `ty` a type `src` defines or implements (`struct ty`, `enum ty`, `impl<…> ty`, `impl … for ty`)?
fn defined_here(src: &str, ty: &str) -> bool {
    let word = |s: &str| s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == ty);
    src.match_indices("impl").any(|(i, _)| src[i..].split('{').next().is_some_and(word))
        || src.contains(&format!("struct {ty}"))
        || src.contains(&format!("enum {ty}"))
}

/// The `{…}` body of `fn name` in `src`.
pub(super) fn fn_body<'a>(src: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = src[from..].find(&format!("fn {name}")) {
        let at = from + i + 3 + name.len();
        from = at;
        let next = src[at..].chars().next()?;
        if next != '(' && next != '<' {
            continue;
        }
        let open = at + src[at..].find('{')?;
        let mut depth = 0usize;
        for (j, ch) in src[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&src[open..=open + j]);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    None
}

/// The `///` lines right above `fn name` (first sentence-ish line kept whole).
pub(super) fn fn_doc(src: &str, name: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let Some(at) = lines.iter().position(|l| {
        let l = l.trim_start();
        let l = l.strip_prefix("pub ").unwrap_or(l).trim_start();
        let l = l.strip_prefix("async ").unwrap_or(l);
        l.strip_prefix("fn ").and_then(|r| r.strip_prefix(name)).is_some_and(|r| r.starts_with(['(', '<']))
    }) else {
        return String::new();
    };
    let mut doc = vec![];
    for l in lines[..at].iter().rev() {
        let l = l.trim();
        if let Some(d) = l.strip_prefix("///") {
            doc.push(d.trim());
        } else if l.starts_with("#[") {
            continue;
        } else {
            break;
        }
    }
    doc.reverse();
    doc.join(" ")
}

/// Where helpers called from another module live: the function's own modules
/// (`functions/<bin>/src`) and the shared crate (`shared/src`, every file), so a handler calling
/// `input::phone(&c.params)` or `check::location(p)` documents the params those helpers read.
#[derive(Default)]
pub(super) struct Helpers {
    files: Vec<PathBuf>,
}

impl Helpers {
    pub(super) fn new(root: &Path, fn_dir: &Path) -> Helpers {
        let mut files = vec![];
        rs_files(fn_dir, &mut files);
        let mut shared = vec![];
        rs_files(&root.join("shared/src"), &mut shared);
        files.extend(shared);
        Helpers { files }
    }

    /// The source of the module `module` (its file `module.rs`, or the files of `module/`)
    /// that defines `fn name` taking the request's `Params` or `Call` (only those read
    /// parameters), the function's own modules first.
    fn source(&self, module: &str, name: &str) -> Option<String> {
        let file = format!("{module}.rs");
        self.files
            .iter()
            .filter(|f| {
                f.file_name().is_some_and(|n| n.to_str() == Some(file.as_str()))
                    || f.parent().and_then(Path::file_name).is_some_and(|n| n.to_str() == Some(module))
            })
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .find(|src| reads_request(src, name))
    }
}

/// Does `fn name` of `src` take `&Params` or `&Call` (its signature, up to the body)?
fn reads_request(src: &str, name: &str) -> bool {
    let Some(body) = fn_body(src, name) else { return false };
    let Some(at) = src.find(body) else { return false };
    let Some(sig) = src[..at].rfind(&format!("fn {name}")).map(|i| &src[i..at]) else { return false };
    sig.contains("Params") || sig.contains("Call<")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a call names: `m::f(` → `m`, or for a bare `f(` the last module segment of a
/// `use a::m::f;` / `use a::m::{…, f, …};` line of `src`.
fn callee_module<'a>(src: &'a str, body: &'a str, start: usize, callee: &str) -> Option<&'a str> {
    if let Some(q) = body[..start].strip_suffix("::") {
        let from = q.rfind(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).map_or(0, |i| i + 1);
        return Some(&q[from..]).filter(|m| !m.is_empty() && *m != "self" && *m != "Self");
    }
    src.lines().map(str::trim).filter(|l| l.starts_with("use ") || l.starts_with("pub use ")).find_map(|l| {
        let l = l.trim_end_matches(';');
        let (path, names) = match l.split_once("::{") {
            Some((p, n)) => (p, n.trim_end_matches('}')),
            None => l.rsplit_once("::")?,
        };
        names.split(',').any(|n| n.trim() == callee).then(|| path.rsplit("::").next()).flatten()
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn scan_fn(
    src: &str,
    helpers: &Helpers,
    name: &str,
    depth: usize,
    seen: &mut BTreeSet<String>,
    found: &mut BTreeMap<String, Param>,
    flags: &mut Flags,
) {
    if depth > 3 || !seen.insert(name.to_string()) {
        return;
    }
    let Some(body) = fn_body(src, name) else { return };
    if body.contains(".session()") || body.contains("token_from_request(") {
        flags.auth = true;
    }
    if body.contains("Reply::raw(") || body.contains("Reply::text(") {
        flags.raw = true;
    }
    for (acc, required, kind) in ACCESSORS {
        let pat = format!(".{acc}(\"");
        let mut from = 0;
        while let Some(i) = body[from..].find(&pat) {
            let s = from + i + pat.len();
            from = s;
            let Some(end) = body[s..].find('"') else { break };
            // A `req_*` read in a match arm (`None => c.params.req_str(…)`) is a fallback of
            // another parameter, not a parameter every call needs.
            let line_start = body[..s].rfind('\n').map_or(0, |n| n + 1);
            let in_arm = body[line_start..s].contains("=>");
            add(found, &body[s..s + end], required && !in_arm, kind);
        }
    }
    // Calls: a fn of this file (scanned too), or `helper(c, "name"` (an optional string).
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'(' {
            let mut j = i;
            while j > 0 && (bytes[j - 1].is_ascii_alphanumeric() || bytes[j - 1] == b'_') {
                j -= 1;
            }
            let callee = &body[j..i];
            let preceded_by_dot = j > 0 && bytes[j - 1] == b'.';
            if !callee.is_empty() && !preceded_by_dot && !callee.starts_with(|c: char| c.is_ascii_digit()) {
                let args = &body[i + 1..];
                for prefix in ["c, \"", "&c.params, \"", "p, \"", "&c, \""] {
                    if let Some(rest) = args.strip_prefix(prefix) {
                        if let Some(end) = rest.find('"') {
                            add(found, &rest[..end], false, "string");
                        }
                    }
                }
                // `Type::f(` is this file's `fn f` only when the type is this file's (`Self`, an
                // `impl Type` here): `UserId::parse` in params.rs is not its request parser.
                let foreign = j >= 2 && &body[j - 2..j] == "::" && {
                    let ty_start =
                        body[..j - 2].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |k| k + 1);
                    let ty = &body[ty_start..j - 2];
                    ty != "Self" && !defined_here(src, ty)
                };
                if callee != name && !foreign && fn_body(src, callee).is_some() {
                    scan_fn(src, helpers, callee, depth + 1, seen, found, flags);
                } else if callee != name {
                    // A helper of another module (a `Params`/`Call` reader in shared/ or a sibling).
                    if let Some(other) = callee_module(src, body, j, callee).and_then(|m| helpers.source(m, callee)) {
                        scan_fn(&other, helpers, callee, depth + 1, seen, found, flags);
                    }
                }
            }
        }
        i += 1;
    }
}

pub(super) fn add(found: &mut BTreeMap<String, Param>, name: &str, required: bool, kind: &'static str) {
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c));
    if !valid || name == "access_token" {
        return;
    }
    let e = found.entry(name.to_string()).or_insert(Param { name: name.to_string(), required, kind });
    e.required |= required;
    if e.kind == "string" && kind != "string" {
        e.kind = kind;
    }
}

#[cfg(test)]
mod tests {
    use super::super::dialect_of;
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn scans_accessors_helpers_and_sessions() {
        let src = r#"
fn room_id(c: &Call<'_>) -> AppResult<String> {
    let cid = c.params.req_str("roomId")?;
    Ok(cid)
}
/// Lists things.
pub async fn list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let id = room_id(c)?;
    let n = c.params.i64_in("pageSize", 1, 100, 20)?;
    let code = match c.params.str("smsCode")? {
        Some(code) => code,
        None => c.params.req_str("randcode")?,
    };
    let t = xss(c, "remark", 10)?;
    let l = c.params.list("ids")?;
    Ok(Reply::empty())
}
"#;
        let mut found = BTreeMap::new();
        let mut flags = Flags::default();
        scan_fn(src, &Helpers::default(), "list", 0, &mut BTreeSet::new(), &mut found, &mut flags);
        assert!(flags.auth && !flags.raw);
        let got: Vec<(&str, bool, &str)> = found.values().map(|p| (p.name.as_str(), p.required, p.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("ids", false, "list"),
                ("pageSize", false, "integer"),
                ("randcode", false, "string"),
                ("remark", false, "string"),
                ("roomId", true, "string"),
                ("smsCode", false, "string")
            ]
        );
        assert_eq!(fn_doc(src, "list"), "Lists things.");
    }

    #[test]
    fn helpers_of_other_modules() {
        let src = "use shared::dialects::shiku::rooms::{settings, Changes};\nuse crate::x::one;\n\
                   fn h(c: &Call<'_>) { input::phone(&c.params); settings(&c.params); one(c); Ok(()) }";
        let body = fn_body(src, "h").unwrap();
        let at = |f: &str| body.find(&format!("{f}(")).unwrap();
        assert_eq!(callee_module(src, body, at("phone"), "phone"), Some("input"));
        assert_eq!(callee_module(src, body, at("settings"), "settings"), Some("rooms"));
        assert_eq!(callee_module(src, body, at("one"), "one"), Some("x"));
        assert_eq!(callee_module(src, body, at("Ok"), "Ok"), None);
        let helper = "pub fn phone(p: &Params) -> R { p.req_str(\"phone\") }\nfn get(db: &Db) -> R { it.get(\"pk\") }";
        assert!(reads_request(helper, "phone"));
        assert!(!reads_request(helper, "get"), "store helpers are not followed");
    }

    #[test]
    fn dialects_by_prefix() {
        assert_eq!(dialect_of("/sealtalk/user/login"), "sealtalk");
        assert_eq!(dialect_of("/api/v1/users/{id}"), "minxing");
        assert_eq!(dialect_of("/oauth2/token"), "minxing");
        assert_eq!(dialect_of("/api.php"), "xuanxuan");
        assert_eq!(dialect_of("/user/login"), "shiku");
    }
}
