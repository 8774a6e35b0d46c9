//! Authorization matrix (issue #15 §3): every row of tests/authz/matrix.tsv (one per HTTP route
//! of infra/template.yaml; Xuanxuan `/api.php` one per m/f pair) called as owner, member,
//! stranger, operator and without a token; each answer's category (ok / denied / auth / …)
//! compared with the table. All mismatches are collected and printed as one table; rows marked
//! `leak` are reported and counted apart (known, for the lead to decide) without failing. A
//! template route without a row fails too, so a new route must be classified.

use e2e::*;
use local_gateway::template::{Template, HTTP_DEFAULT_ROUTE};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const ROLES: [&str; 5] = ["owner", "member", "stranger", "operator", "none"];

struct Row {
    method: String,
    path: String,
    params: String,
    expect: [String; 5],
    comment: String,
}

fn matrix() -> Vec<Row> {
    let path = local_gateway::paths::workspace_root().join("tests/authz/matrix.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("method\t") {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 8, "matrix.tsv line {}: {} columns: {line}", i + 1, f.len());
        let expect = [f[3], f[4], f[5], f[6], f[7]].map(|s| s.trim().to_string());
        for e in &expect {
            assert!(
                ["ok", "denied", "auth", "bad", "open", "any", "?"].contains(&e.as_str()),
                "matrix.tsv line {}: unknown outcome {e:?}",
                i + 1
            );
        }
        rows.push(Row {
            method: f[0].to_string(),
            path: f[1].to_string(),
            params: f[2].to_string(),
            expect,
            comment: f.get(8).copied().unwrap_or("").to_string(),
        });
    }
    rows
}

/// The Xuanxuan m/f arms of the integrations router: `("GET", "chat", "getChatGroups") =>`.
fn xuanxuan_arms() -> BTreeSet<String> {
    let path = local_gateway::paths::workspace_root().join("functions/integrations/src/lib.rs");
    let src = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    for line in src.lines() {
        let Some(rest) = line.trim().strip_prefix('(') else { continue };
        let Some((tuple, _)) = rest.split_once(") =>") else { continue };
        let parts: Vec<&str> = tuple.split(',').map(|s| s.trim().trim_matches('"')).collect();
        if let [method, m, f] = parts.as_slice() {
            out.insert(format!("{method} m={m}&f={f}"));
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Shiku,
    Minxing,
    SealTalk,
    Xuanxuan,
}

fn dialect(path: &str) -> Dialect {
    if path.starts_with("/api/v1") || path.starts_with("/oauth2") {
        Dialect::Minxing
    } else if path.starts_with("/sealtalk") {
        Dialect::SealTalk
    } else if path.starts_with("/api.php") {
        Dialect::Xuanxuan
    } else {
        Dialect::Shiku
    }
}

/// The category of an answer: ok, denied, auth, bad (invalid/missing input), 5xx, or other:<code>.
fn category(d: Dialect, r: &Resp) -> String {
    if r.status >= 500 {
        return "5xx".into();
    }
    let msg = r.body["message"].as_str().or(r.body["resultMsg"].as_str()).unwrap_or("");
    let token_msg = msg.starts_with("access token");
    match d {
        Dialect::Shiku if r.body.get("resultCode").is_some() => match r.body["resultCode"].as_i64() {
            Some(1) => "ok".into(),
            Some(1030101 | 1030102) => "auth".into(),
            Some(1010104 | 1030103 | 1040101) => "denied".into(),
            Some(c) if c >= 1100000 => "denied".into(),
            Some(1010101 | 1010102) => "bad".into(),
            Some(c) => format!("other:{c}"),
            None => format!("other:{}", r.status),
        },
        Dialect::Xuanxuan if r.body.is_object() => match r.body["result"].as_str() {
            Some("fail") if token_msg => "auth".into(),
            Some("fail") if msg.contains("not found") => "denied".into(),
            Some("fail") => format!("other:{msg}"),
            _ => "ok".into(),
        },
        Dialect::SealTalk if r.body.is_object() => match (r.status, r.body["code"].as_i64()) {
            (200, Some(200)) => "ok".into(),
            (403, _) if token_msg => "auth".into(),
            (403 | 404, _) | (200, Some(3000)) => "denied".into(),
            (400, _) => "bad".into(),
            (s, c) => format!("other:{s}/{}", c.unwrap_or(0)),
        },
        // Minxing, and non-JSON answers of any dialect (pages, redirects, files).
        _ => match r.status {
            200..=399 => "ok".into(),
            401 => "auth".into(),
            403 | 404 => "denied".into(),
            400 => "bad".into(),
            s => format!("other:{s}"),
        },
    }
}

fn matches(expect: &str, got: &str) -> bool {
    match expect {
        "open" => got != "auth" && got != "5xx",
        "any" => got != "5xx",
        e => e == got,
    }
}

/// `{name}` → fixture value (unknown names stay as they are).
fn fill(s: &str, fx: &BTreeMap<String, String>) -> String {
    let mut out = s.to_string();
    for (k, v) in fx {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

struct Call {
    path: String,
    fields: Vec<(String, String)>,
    body: Option<Value>,
    /// Multipart file parts (`k=@name`): field and file name; Minxing rows only.
    files: Vec<(String, String)>,
}

/// A row's request: path placeholders filled (`@name=value`, else `1`), fields, JSON body and
/// file parts (`k=@a.png`: a multipart upload of a small file of that name).
fn call_of(row: &Row, fx: &BTreeMap<String, String>) -> Call {
    let mut binds = BTreeMap::new();
    let mut fields = vec![];
    let mut body = None;
    let mut files = vec![];
    if row.params != "-" {
        for item in row.params.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let item = fill(item, fx);
            if item.starts_with('{') {
                body = Some(serde_json::from_str(&item).unwrap_or_else(|e| panic!("{} params: {e}: {item}", row.path)));
            } else if let Some(b) = item.strip_prefix('@') {
                let (k, v) = b.split_once('=').unwrap();
                binds.insert(k.to_string(), v.to_string());
            } else {
                let (k, v) = item.split_once('=').unwrap_or((item.as_str(), ""));
                match v.strip_prefix('@') {
                    Some(name) => files.push((k.to_string(), name.to_string())),
                    None => fields.push((k.to_string(), v.to_string())),
                }
            }
        }
    }
    let path = row
        .path
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => binds.get(name).cloned().unwrap_or_else(|| "1".into()),
            None => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/");
    Call { path, fields, body, files }
}

async fn send(http: &Http, row: &Row, call: &Call, token: Option<&str>) -> Resp {
    let url = format!("{}{}", http.base, call.path);
    let d = dialect(&row.path);
    let method = match row.method.as_str() {
        "ANY" => "POST",
        m => m,
    };
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut fields = call.fields.clone();
    let rb = match d {
        Dialect::Shiku => {
            if let Some(t) = token {
                fields.insert(0, ("access_token".into(), t.into()));
            }
            if method == "GET" {
                http.client.get(url).query(&fields)
            } else {
                http.client.request(m, url).form(&fields)
            }
        }
        Dialect::Xuanxuan => {
            let url = match token {
                Some(t) => format!("{url}&token={t}"),
                None => url,
            };
            if method == "GET" {
                http.client.get(url)
            } else {
                http.client.post(url).form(&fields)
            }
        }
        Dialect::Minxing | Dialect::SealTalk => {
            let mut rb = if !call.files.is_empty() {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k, v);
                }
                for (k, name) in &call.files {
                    let mime = if name.ends_with(".png") { "image/png" } else { "application/octet-stream" };
                    let part = reqwest::multipart::Part::bytes(vec![7u8; 100]).file_name(name.clone());
                    form = form.part(k.clone(), part.mime_str(mime).unwrap());
                }
                http.client.request(m, url).multipart(form)
            } else if method == "GET" {
                http.client.get(url).query(&fields)
            } else {
                let body = call.body.clone().unwrap_or_else(|| {
                    Value::Object(fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>())
                });
                http.client.request(m, url).json(&body)
            };
            if let Some(t) = token {
                rb = rb.bearer_auth(t);
            }
            rb
        }
    };
    http.send(rb).await
}

/// Fresh tokens for owner, member, stranger (Shiku login) and operator, so each `last` row
/// (logout, password change, console logout) starts from live sessions whatever the `last`
/// rows before it ended. A failed login (the stranger deleted by `/console/deleteUser`) keeps
/// the old token.
async fn relogin(http: &Http, people: &[Person], tokens: &mut [Option<String>; 5]) {
    for (i, p) in people.iter().take(3).enumerate() {
        let pw = shared::auth::md5_hex(&p.password);
        let r = http.shiku("/user/login", &[("telephone", &p.phone), ("password", &pw)]).await;
        if let Some(t) = r.body["data"]["access_token"].as_str() {
            tokens[i] = Some(t.to_string());
        }
    }
    let r = console::login_resp(http).await;
    if let Some(t) = r.body["data"]["access_token"].as_str() {
        tokens[3] = Some(t.to_string());
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let rows = matrix();

    // Every template route has a row (and every Xuanxuan m/f arm), and no row names a route
    // the template lacks.
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let have: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.method.clone(), r.path.split('?').next().unwrap().to_string())).collect();
    let mut missing = vec![];
    let mut template = BTreeSet::new();
    for r in t.http_routes.iter().filter(|r| r.path != HTTP_DEFAULT_ROUTE) {
        template.insert(r.path.clone());
        let method_ok = |m: &str| m == r.method || (r.path == "/api.php" && r.method == "ANY");
        if !have.iter().any(|(m, p)| *p == r.path && method_ok(m)) {
            missing.push(format!("{} {}", r.method, r.path));
        }
    }
    for arm in xuanxuan_arms() {
        let (method, q) = arm.split_once(' ').unwrap();
        if !rows.iter().any(|r| r.method == method && r.path.starts_with(&format!("/api.php?{q}"))) {
            missing.push(arm.clone());
        }
    }
    assert!(missing.is_empty(), "template routes without a row in tests/authz/matrix.tsv:\n  {}", missing.join("\n  "));
    let stale: Vec<_> = rows.iter().filter(|r| !template.contains(r.path.split('?').next().unwrap())).collect();
    assert!(
        stale.is_empty(),
        "matrix rows naming no template route: {:?}",
        stale.iter().map(|r| &r.path).collect::<Vec<_>>()
    );

    // Plain client (no cookie store: a SealTalk session cookie must not carry over between calls).
    let plain = Http { base: http.base.clone(), client: reqwest::Client::new() };
    let crate::authz_fixtures::Fixtures { fx, mut tokens, people } = crate::authz_fixtures::make(&http).await;
    // `{me}`: the caller's own user id (operator and none: the owner's, nothing to authorize).
    let fx_of: Vec<BTreeMap<String, String>> = (0..ROLES.len())
        .map(|role| {
            let mut f = fx.clone();
            f.insert("me".into(), people[if role < 3 { role } else { 0 }].uid.to_string());
            f
        })
        .collect();

    // Order: refused roles first (none, operator, stranger) on every row, then member and owner
    // on the rows that do not change their object, then member and owner on the `mut` rows, and
    // last every role of the `last` rows (they end sessions: logout, password change).
    let has =
        |r: &Row, w: &str| r.comment.split_whitespace().any(|x| x.trim_matches(|c: char| !c.is_alphanumeric()) == w);
    let last: Vec<usize> = (0..rows.len()).filter(|&i| has(&rows[i], "last")).collect();
    let early: Vec<usize> = (0..rows.len()).filter(|i| !last.contains(i)).collect();
    let mut order: Vec<(usize, usize)> = vec![];
    for role in [4, 3, 2] {
        order.extend(early.iter().map(|&i| (i, role)));
    }
    for role in [1, 0] {
        order.extend(early.iter().filter(|&&i| !has(&rows[i], "mut")).map(|&i| (i, role)));
    }
    for &i in early.iter().filter(|&&i| has(&rows[i], "mut")) {
        order.push((i, 1));
        order.push((i, 0));
    }
    for &i in &last {
        order.extend([4, 3, 2, 1, 0].map(|role| (i, role)));
    }
    // AUTHZ_PROBE=1 also calls the unclassified cells and prints what they answer.
    let probe = std::env::var("AUTHZ_PROBE").is_ok();

    let (mut checked, mut unclassified) = (0, 0);
    let mut wrong = vec![];
    let mut leaks = vec![];
    let mut fresh_for = None;
    for (i, role) in order {
        let row = &rows[i];
        if last.contains(&i) && fresh_for != Some(i) {
            relogin(&plain, &people, &mut tokens).await;
            fresh_for = Some(i);
        }
        let expect = &row.expect[role];
        if expect == "?" {
            unclassified += 1;
            if !probe {
                continue;
            }
        }
        let call = call_of(row, &fx_of[role]);
        let r = send(&plain, row, &call, tokens[role].as_deref()).await;
        let got = category(dialect(&row.path), &r);
        if expect == "?" {
            let excerpt: String = r.text.chars().take(160).collect();
            println!("PROBE\t{}\t{}\t{}\t{got}\t{excerpt}", row.method, row.path, ROLES[role]);
            continue;
        }
        checked += 1;
        if matches(expect, &got) {
            continue;
        }
        let excerpt: String = r.text.chars().take(140).collect();
        let line = format!(
            "{:6} {:55} {:8} expected {:6} got {:10} {}",
            row.method, call.path, ROLES[role], expect, got, excerpt
        );
        if row.comment.contains("leak") {
            leaks.push(line);
        } else {
            wrong.push(line);
        }
    }
    println!(
        "authz matrix: {} rows, {checked} cells checked, {unclassified} not classified, {} mismatches, {} known leaks",
        rows.len(),
        wrong.len(),
        leaks.len()
    );
    if !leaks.is_empty() {
        println!("known leaks (marked `leak` in matrix.tsv):\n  {}", leaks.join("\n  "));
    }
    assert!(
        wrong.is_empty(),
        "{} cell(s) disagree with tests/authz/matrix.tsv:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}
