//! The OpenAPI documents (issue #15 §3, local/gateway/src/openapi.rs):
//! - every template HTTP route (but `$default`) is in exactly one dialect's document, each
//!   Xuanxuan m/f arm in `/api.php`'s `f` enum;
//! - docs/openapi/<dialect>.json equal a fresh generation (`UPDATE_OPENAPI=1` rewrites them);
//! - 3.1 structure: top-level keys, unique operationIds, each path parameter declared.

use local_gateway::openapi::{self, DIALECTS};
use local_gateway::template::{Template, HTTP_DEFAULT_ROUTE};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn root() -> std::path::PathBuf {
    local_gateway::paths::workspace_root()
}

fn docs() -> BTreeMap<&'static str, Value> {
    openapi::generate(&root()).unwrap()
}

/// `(METHOD, path)` of every operation of a document (`ANY` template routes are documented as POST).
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn every_template_route_is_in_exactly_one_document() {
    let t = Template::load(&local_gateway::paths::template_path()).unwrap();
    let docs = docs();
    let per_doc: BTreeMap<&str, BTreeSet<(String, String)>> = docs.iter().map(|(d, v)| (*d, documented(v))).collect();
    let mut missing = vec![];
    let mut n = 0;
    for r in t.http_routes.iter().filter(|r| r.path != HTTP_DEFAULT_ROUTE) {
        n += 1;
        let path = r.path.replace('+', "");
        let hits: Vec<&str> = per_doc
            .iter()
            .filter(|(_, ops)| {
                if r.method == "ANY" {
                    ops.iter().any(|(_, p)| *p == path)
                } else {
                    ops.contains(&(r.method.clone(), path.clone()))
                }
            })
            .map(|(d, _)| *d)
            .collect();
        if hits.len() != 1 {
            missing.push(format!("{} {} ({}): in {:?}", r.method, r.path, r.function, hits));
        }
    }
    assert!(n > 200, "too few template routes seen: {n}");
    assert!(missing.is_empty(), "{} route(s) not in exactly one document:\n  {}", missing.len(), missing.join("\n  "));

    // Every Xuanxuan m/f arm of the integrations router is in the `f` enum of /api.php.
    let lib = std::fs::read_to_string(root().join("functions/integrations/src/lib.rs")).unwrap();
    let xx = &docs["xuanxuan"]["paths"]["/api.php"];
    let fs: BTreeSet<String> = xx
        .as_object()
        .unwrap()
        .values()
        .flat_map(|op| op["parameters"].as_array().unwrap().iter())
        .filter(|p| p["name"] == "f")
        .flat_map(|p| p["schema"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()))
        .collect();
    let arms: Vec<&str> =
        lib.lines().filter(|l| l.trim().starts_with("(\"") && l.contains("\", \"chat\", \"")).collect();
    assert!(!arms.is_empty());
    for a in arms {
        let f = a.split('"').nth(5).unwrap();
        assert!(fs.contains(f), "Xuanxuan f={f} not documented");
    }
}

#[test]
fn committed_documents_are_up_to_date() {
    let update = std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1");
    let dir = root().join("docs/openapi");
    let mut stale = vec![];
    for (d, doc) in docs() {
        let path = dir.join(format!("{d}.json"));
        let fresh = openapi::to_text(&doc);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &fresh).unwrap();
            }
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {}\n{}",
        stale.join(", "),
        if update {
            "rewritten (UPDATE_OPENAPI=1): review and commit them"
        } else {
            "regenerate: UPDATE_OPENAPI=1 cargo test -p local-gateway --test openapi"
        }
    );
}

#[test]
fn documents_are_openapi_3_1_with_unique_operation_ids() {
    let mut ids = BTreeSet::new();
    let mut ops = 0;
    let mut params = 0;
    for (d, doc) in docs() {
        assert_no_null(&doc, d);
        let keys: BTreeSet<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["openapi", "info", "paths", "components", "security"]), "{d}");
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string(), "{d}");
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for req in doc["security"].as_array().unwrap() {
            for name in req.as_object().unwrap().keys() {
                assert!(schemes.contains_key(name), "{d}: security names unknown scheme {name}");
            }
        }
        let paths = doc["paths"].as_object().unwrap();
        assert!(!paths.is_empty(), "{d}: no paths");
        for (path, item) in paths {
            assert!(path.starts_with('/'), "{d}: {path}");
            for (method, op) in item.as_object().unwrap() {
                assert!(["get", "post", "put", "delete", "patch"].contains(&method.as_str()), "{d} {method} {path}");
                let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{d} {method} {path}: no operationId"));
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
                assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{d} {method} {path}");
                let declared: Vec<&Value> = op["parameters"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
                for seg in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
                    assert!(
                        declared.iter().any(|p| p["in"] == "path" && p["name"] == seg && p["required"] == true),
                        "{d} {method} {path}: path parameter {seg} not declared"
                    );
                }
                ops += 1;
                params += declared.len();
                params += op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .and_then(|m| m["schema"]["properties"].as_object())
                    .map_or(0, |p| p.len());
            }
        }
    }
    // The scan finds parameters (a scan that sees none would pass the other checks).
    assert!(ops > 200 && params > ops, "{ops} operations, {params} parameters");
}

/// The local gateway serves each document at `GET /openapi/<dialect>.json` (its own arm, not a
/// template route); other names and methods go on to the routes as before.
#[tokio::test]
async fn the_local_gateway_serves_the_documents() {
    let app = local_gateway::testing::spawn_app().await;
    let docs = docs();
    let http = reqwest::Client::new();
    for d in DIALECTS {
        let r = http.get(format!("{}/openapi/{d}.json", app.http_url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{d}");
        assert_eq!(r.headers()["content-type"], "application/json");
        let got: Value = r.json().await.unwrap();
        assert_eq!(got, docs[d], "{d}");
    }
    // Unknown dialect: the `$default` route's Shiku not-found, not a document.
    let body: Value =
        http.get(format!("{}/openapi/nope.json", app.http_url)).send().await.unwrap().json().await.unwrap();
    assert!(body["resultCode"].as_i64().is_some_and(|c| c != 1), "{body}");
    let r = http.post(format!("{}/openapi/shiku.json", app.http_url)).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(body.get("openapi").is_none(), "{body}");
}

/// JSON Schema and OpenAPI have no place for a bare `null` (e.g. `"enum": null` from an
/// indexing slip is an invalid document).
fn assert_no_null(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("null at {at}"),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| assert_no_null(x, &format!("{at}/{i}"))),
        Value::Object(o) => o.iter().for_each(|(k, x)| assert_no_null(x, &format!("{at}/{k}"))),
        _ => {}
    }
}
