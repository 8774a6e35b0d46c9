//! Route check (issue #10): every HTTP route of infra/template.yaml is either built (a match
//! arm in its function's router, functions/<crate>/src/lib.rs) or listed as planned in
//! infra/planned-routes.txt, and nothing else:
//! - a template route with neither an arm nor a planned line fails;
//! - an arm without a template route fails (a dead arm: API Gateway never sends that route key);
//! - a planned route that HAS an arm fails (it is built: remove its line);
//! - a planned line naming no template route of that function fails (stale line).
//!
//! Arms are read textually: `("GET", "/path") =>` is `GET /path`, `(_, "/path") =>` is `ANY /path`
//! (Shiku routes are declared `Method: ANY` in the template and matched with `_`).
//! Xuanxuan `/api.php` is one template route; the integrations router dispatches on the query's
//! `m`/`f` with three-element arms `("GET", "chat", "getChatGroups") =>`: any such arm counts as
//! the arm of `ANY /api.php` (an unknown m/f answers RouteNotFound at runtime, like a stub).
//! `$default` (the catch-all to SystemFunction) has no arm by design and is not checked.
//! The runtime side (a planned route answers the stub not-found, a built one does not) is
//! tests/tests/e2e/routes.rs.

use local_gateway::template::{Template, HTTP_DEFAULT_ROUTE};
use std::collections::{BTreeMap, BTreeSet};

fn workspace() -> std::path::PathBuf {
    local_gateway::paths::workspace_root()
}

/// `(method, path)` with method `ANY` for `_`.
type Key = (String, String);

/// The route arms of a router source: `("GET", "/a") =>`, `(_, "/a") =>`, and the m/f arms of
/// the Xuanxuan router (as `ANY /api.php`).
fn arms(src: &str) -> Vec<Key> {
    let mut out = vec![];
    for line in src.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('(') else { continue };
        let Some((tuple, _)) = rest.split_once(") =>") else { continue };
        let parts: Vec<&str> = tuple.split(',').map(str::trim).collect();
        let unquote = |s: &str| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).map(str::to_string);
        let method = match parts.first() {
            Some(&"_") => Some("ANY".to_string()),
            Some(m) => unquote(m),
            None => None,
        };
        let Some(method) = method else { continue };
        match parts.as_slice() {
            [_, path] => {
                if let Some(path) = unquote(path).filter(|p| p.starts_with('/')) {
                    out.push((method, path));
                }
            }
            [_, m, f] if unquote(m).is_some() && unquote(f).is_some() => {
                out.push(("ANY".to_string(), "/api.php".to_string()));
            }
            _ => {}
        }
    }
    out
}

/// The handler module of each arm: `shiku::get(&c)` → `shiku` (a local module), anything else
/// (`upload(&c)`, `Ok(...)`) → `lib`.
fn arm_modules(src: &str, dir: &std::path::Path) -> Vec<(Key, String)> {
    let mut out = vec![];
    for line in src.lines() {
        let ks = arms(line);
        let [key] = ks.as_slice() else { continue };
        let call = line.split_once(") =>").map(|(_, c)| c.trim()).unwrap_or_default();
        let module = call.split_once("::").map(|(m, _)| m);
        let file = match module {
            Some(m) if dir.join(format!("{m}.rs")).exists() => format!("{m}.rs"),
            Some(m) if dir.join(m).join("mod.rs").exists() => format!("{m}/mod.rs"),
            _ => "lib.rs".to_string(),
        };
        out.push((key.clone(), file));
    }
    out
}

/// infra/planned-routes.txt: `METHOD /path  Function` lines (sorted), `#` comments, blank lines.
fn planned() -> (Vec<String>, BTreeMap<Key, String>) {
    let text = std::fs::read_to_string(workspace().join("infra/planned-routes.txt")).unwrap();
    let mut lines = vec![];
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "infra/planned-routes.txt:{}: want `METHOD /path  Function`, got {line:?}", i + 1);
        let key = (f[0].to_string(), f[1].to_string());
        assert!(
            out.insert(key, f[2].to_string()).is_none(),
            "infra/planned-routes.txt:{}: {} {} listed twice",
            i + 1,
            f[0],
            f[1]
        );
        lines.push(line.to_string());
    }
    (lines, out)
}

struct Facts {
    /// Template routes (without `$default`) → function logical id.
    template: BTreeMap<Key, String>,
    /// Function logical id → its arms.
    arms: BTreeMap<String, BTreeSet<Key>>,
    planned: BTreeMap<Key, String>,
}

fn facts() -> Facts {
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let mut template = BTreeMap::new();
    for r in &t.http_routes {
        if r.path != HTTP_DEFAULT_ROUTE {
            template.insert((r.method.clone(), r.path.clone()), r.function.clone());
        }
    }
    let http_functions: BTreeSet<&String> = template.values().collect();
    let mut arms_by_fn = BTreeMap::new();
    for id in http_functions {
        let crate_name = &t.function(id).binary;
        let path = workspace().join(format!("functions/{crate_name}/src/lib.rs"));
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        arms_by_fn.insert(id.clone(), arms(&src).into_iter().collect());
    }
    Facts { template, arms: arms_by_fn, planned: planned().1 }
}

/// Every problem, one line each (empty: all consistent).
fn problems(f: &Facts) -> Vec<String> {
    let mut out = vec![];
    for ((method, path), func) in &f.template {
        let key = (method.clone(), path.clone());
        let built = f.arms.get(func).is_some_and(|a| a.contains(&key));
        match (built, f.planned.get(&key)) {
            (false, None) => out.push(format!(
                "{method} {path} ({func}): template route with no match arm and not in infra/planned-routes.txt"
            )),
            (true, Some(_)) => out.push(format!(
                "{method} {path} ({func}): built (has a match arm) but still in infra/planned-routes.txt: remove the line"
            )),
            (_, Some(pf)) if pf != func => out.push(format!(
                "{method} {path}: infra/planned-routes.txt names {pf}, the template routes it to {func}"
            )),
            _ => {}
        }
    }
    for (func, arms) in &f.arms {
        for (method, path) in arms {
            if f.template.get(&(method.clone(), path.clone())) != Some(func) {
                out.push(format!("{method} {path} ({func}): match arm with no template route of this function"));
            }
        }
    }
    for ((method, path), func) in &f.planned {
        if !f.template.contains_key(&(method.clone(), path.clone())) {
            out.push(format!("{method} {path} ({func}): in infra/planned-routes.txt but not a template route"));
        }
    }
    out
}

#[test]
fn every_template_route_is_built_or_planned() {
    let f = facts();
    let p = problems(&f);
    assert!(p.is_empty(), "{} route problem(s):\n  {}", p.len(), p.join("\n  "));
}

#[test]
fn planned_routes_file_is_sorted() {
    let (lines, _) = planned();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "infra/planned-routes.txt: keep the lines sorted");
}

/// The checks catch what they should (guards against a parser that silently sees nothing).
#[test]
fn the_check_catches_each_kind_of_offender() {
    let base = facts();
    assert!(base.arms.values().map(BTreeSet::len).sum::<usize>() > 100, "arms parser sees too few arms");
    assert!(base.template.len() > 200, "template parser sees too few routes");

    // A template route neither built nor planned (every route is built now: drop one's arm).
    let mut f = facts();
    let (key, func) = f.template.iter().next().map(|(k, v)| (k.clone(), v.clone())).expect("a template route");
    f.planned.remove(&key);
    f.arms.get_mut(&func).unwrap().remove(&key);
    assert!(problems(&f).iter().any(|p| p.contains("no match arm and not in")), "unplanned route not caught");

    // A dead arm.
    let mut f = facts();
    f.arms.get_mut("SystemFunction").unwrap().insert(("GET".into(), "/no/such/route".into()));
    assert!(problems(&f).iter().any(|p| p.contains("/no/such/route") && p.contains("no template route")));

    // A planned route that is built.
    let mut f = facts();
    let (key, func) = f.template.iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
    f.arms.get_mut(&func).unwrap().insert(key.clone());
    f.planned.insert(key, func);
    assert!(problems(&f).iter().any(|p| p.contains("still in infra/planned-routes.txt")), "built+planned not caught");

    // Parser: both arm shapes and the Xuanxuan m/f arms.
    let src = r#"
        (_, "/user/get") => a(&c).await,
        ("POST", "/api/v1/users") => b(&c).await,
        ("GET", "chat", "getChatGroups") => c(&c).await,
        _ => Err(c.not_found()),
    "#;
    let got: BTreeSet<Key> = arms(src).into_iter().collect();
    let want: BTreeSet<Key> = [("ANY", "/user/get"), ("POST", "/api/v1/users"), ("ANY", "/api.php")]
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// `/api/v1/groups/{id}` → `/api/v1/groups`, `/sealtalk/user/x` → `/sealtalk/user`, `/room/x` → `/room`.
fn prefix(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let n = match segs.first() {
        Some(&"api") => 3,
        Some(&"sealtalk") => 2,
        _ => 1,
    };
    segs.iter().take(n).map(|s| format!("/{s}")).collect()
}

/// The README's "URL prefix → function" table, made from the template and the routers.
fn readme_table() -> String {
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let p = planned().1;
    // (prefix, function) → (crate, handler files, built count, planned count)
    type Row = (String, BTreeSet<String>, usize, usize);
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut files_of: BTreeMap<String, BTreeMap<Key, String>> = BTreeMap::new();
    for r in &t.http_routes {
        let crate_name = t.function(&r.function).binary.clone();
        let files = files_of.entry(r.function.clone()).or_insert_with(|| {
            let dir = workspace().join(format!("functions/{crate_name}/src"));
            let src = std::fs::read_to_string(dir.join("lib.rs")).unwrap();
            arm_modules(&src, &dir).into_iter().collect()
        });
        let key = (r.method.clone(), r.path.clone());
        let pre = if r.path == HTTP_DEFAULT_ROUTE { "any other path ($default)".to_string() } else { prefix(&r.path) };
        let row = rows.entry((pre, r.function.clone())).or_insert_with(|| (crate_name.clone(), BTreeSet::new(), 0, 0));
        if p.contains_key(&key) {
            row.3 += 1;
        } else if let Some(f) = files.get(&key) {
            row.1.insert(format!("functions/{crate_name}/src/{f}"));
            row.2 += 1;
        } else {
            row.1.insert(format!("functions/{crate_name}/src/lib.rs"));
            row.2 += 1;
        }
    }
    let mut out = String::from(
        "| URL prefix | function (template) | crate | handlers | routes built / planned |\n|---|---|---|---|---|\n",
    );
    for ((pre, func), (crate_name, files, built, planned)) in rows {
        let files = if files.is_empty() {
            "(none yet: `lib.rs` answers the stub not-found)".to_string()
        } else {
            files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        };
        out.push_str(&format!("| `{pre}` | {func} | `{crate_name}` | {files} | {built} / {planned} |\n"));
    }
    out
}

/// README.md carries the table as generated (the failure prints the table to paste).
#[test]
fn readme_url_table_matches_the_template() {
    let table = readme_table();
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md: the \"URL prefix → function\" table is out of date; replace it with:\n\n{table}"
    );
}
