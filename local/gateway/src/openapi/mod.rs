//! OpenAPI 3.1 documents, one per dialect, generated from the code (issue #15 §3):
//! the routes of `infra/template.yaml`, the handler each function's router names
//! (`("POST", "/sealtalk/group/add") => sealtalk::add(&c).await`), and the parameters that
//! handler reads, found by a static scan of its body (and of the helper fns of the same file
//! it calls) for the `shared::params::Params` accessors: `req_str`/`req_i64` are required,
//! `str`/`str_max`/`i64`/`i64_in`/`f64`/`list`/`raw`/`file` optional. A body that calls
//! `c.session()` or `token_from_request(…)` (directly or through a helper) needs the
//! dialect's credentials.
//! Nothing is kept per route by hand: a route added to the template and its router appears
//! here. The documents are written to `docs/openapi/<dialect>.json`
//! (local/gateway/tests/openapi.rs keeps them equal to a fresh generation) and served by the
//! local gateway at `GET /openapi/<dialect>.json`.
//!
//! Limits of a static scan: parameters read by code in `shared` (e.g. the Shiku room
//! settings parser) or passed to helpers of another crate are not seen, except the common
//! `helper(c, "name", …)` shape, counted as an optional string.

mod scan;

pub use scan::operations;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub const DIALECTS: [&str; 4] = ["shiku", "minxing", "sealtalk", "xuanxuan"];

/// The dialect of a template route, by its path prefix (as `shared::dialects::Dialect::from_path`).
pub fn dialect_of(path: &str) -> &'static str {
    if path == "/sealtalk" || path.starts_with("/sealtalk/") {
        "sealtalk"
    } else if path == "/api/v1" || path.starts_with("/api/v1/") || path.starts_with("/oauth2/") {
        "minxing"
    } else if path == "/api.php" {
        "xuanxuan"
    } else {
        "shiku"
    }
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Template method (`ANY` for Shiku) and path.
    pub method: String,
    pub path: String,
    /// Xuanxuan `m`/`f` (the router's three-element arms).
    pub mf: Option<(String, String)>,
    pub function: String,
    /// `module::fn` as the arm names it.
    pub handler: String,
    pub doc: String,
    pub params: Vec<Param>,
    pub auth: bool,
    /// The handler answers a raw body (`Reply::raw`/`Reply::text`), not the envelope.
    pub raw: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Param {
    pub name: String,
    pub required: bool,
    /// `string`, `integer`, `number`, `list`, `any`, `file`.
    pub kind: &'static str,
}

const ACCESSORS: [(&str, bool, &str); 11] = [
    ("req_str", true, "string"),
    ("req_i64", true, "integer"),
    ("str_max", false, "string"),
    ("str", false, "string"),
    ("i64_in", false, "integer"),
    ("i64", false, "integer"),
    ("f64", false, "number"),
    ("list", false, "list"),
    ("raw", false, "any"),
    ("file", false, "file"),
    ("get", false, "string"),
];

fn schema(kind: &str, json_body: bool) -> Value {
    match kind {
        "integer" => json!({"type": "integer", "format": "int64"}),
        "number" => json!({"type": "number"}),
        "list" if json_body => json!({"type": "array", "items": {"type": "string"}}),
        "list" => json!({"type": "string", "description": "a JSON array as text, or comma-separated values"}),
        "file" => json!({"type": "string", "format": "binary"}),
        "any" => json!({}),
        _ => json!({"type": "string"}),
    }
}

fn op_id(o: &Operation) -> String {
    let mut s = String::new();
    if let Some((m, f)) = &o.mf {
        return format!("{}_{m}_{f}", o.method.to_ascii_lowercase());
    }
    s.push_str(&o.method.to_ascii_lowercase().replace("any", "post"));
    for seg in o.path.split('/').filter(|s| !s.is_empty()) {
        s.push('_');
        s.extend(seg.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }));
    }
    s.replace("__", "_").trim_end_matches('_').to_string()
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_end_matches('+').to_string())
        .collect()
}

/// The document of one dialect.
pub fn document(dialect: &str, ops: &[Operation]) -> Value {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for o in ops.iter().filter(|o| dialect_of(&o.path) == dialect) {
        let (method, op) = operation(dialect, o);
        let item = paths.entry(o.path.replace('+', "")).or_default();
        match item.get_mut(&method) {
            // Xuanxuan: several m/f on one method of `/api.php` share one operation.
            Some(existing) => merge_mf(existing, &op),
            None => {
                item.insert(method, op);
            }
        }
    }
    let (title, security_schemes, security, responses) = dialect_parts(dialect);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Generated from the code by local/gateway/src/openapi.rs (routes of infra/template.yaml, \
                parameters read by each handler). Do not edit: `UPDATE_OPENAPI=1 cargo test -p local-gateway --test openapi`.",
        },
        "paths": paths,
        "components": {"securitySchemes": security_schemes, "responses": responses},
        "security": security,
    })
}

fn dialect_parts(dialect: &str) -> (&'static str, Value, Value, Value) {
    match dialect {
        "shiku" => (
            "Shiku dialect",
            json!({
                "access_token": {"type": "apiKey", "in": "query", "name": "access_token",
                    "description": "query or form parameter `access_token`"},
                "bearer": {"type": "http", "scheme": "bearer"},
            }),
            json!([{"access_token": []}, {"bearer": []}]),
            json!({
            "raw": {"description": "the file, page or asset", "content": {"*/*": {"schema": {}}}},
            "raw_error": {
                "description": "not found: the Shiku error envelope with HTTP 404 (`/files` adds Minxing's error fields; docs/dialects.md Shiku)",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "resultCode": {"type": "integer"},
                        "resultMsg": {"type": "string"},
                        "currentTime": {"type": "integer"},
                        "error": {"type": "string"},
                        "error_description": {"type": "string"},
                    },
                    "required": ["resultCode", "resultMsg", "currentTime"],
                }}},
            },
            "envelope": {
                "description": "`resultCode` 1 with `data` on success; failures: resultCode 0 or > 1000000 (docs/errors.md), HTTP 200",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["resultCode", "currentTime"],
                    "properties": {
                        "resultCode": {"type": "integer"},
                        "resultMsg": {"type": "string"},
                        "data": {},
                        "currentTime": {"type": "integer"},
                    },
                }}},
            }}),
        ),
        "minxing" => (
            "Minxing dialect",
            json!({"bearer": {"type": "http", "scheme": "bearer", "description": "OAuth2 access token from /oauth2/token"}}),
            json!([{"bearer": []}]),
            json!({
                "ok": {"description": "plain JSON (204 without a body)", "content": {"application/json": {"schema": {}}}},
                "error": {"description": "docs/errors.md", "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {
                        "error": {"type": "string"},
                        "error_description": {"type": "string"},
                        "status": {"type": "integer"},
                    },
                }}}},
            }),
        ),
        "sealtalk" => (
            "SealTalk dialect",
            json!({
                "cookie": {"type": "apiKey", "in": "cookie", "name": shared::auth::SEALTALK_COOKIE},
                "bearer": {"type": "http", "scheme": "bearer"},
            }),
            json!([{"cookie": []}, {"bearer": []}]),
            json!({
                "envelope": {"description": "`{code: 200, result}`; business errors `{code, message}` with HTTP 200 (docs/errors.md)",
                    "content": {"application/json": {"schema": sealtalk_envelope()}}},
                "error": {"description": "`{code, message}` (docs/errors.md)",
                    "content": {"application/json": {"schema": sealtalk_envelope()}}},
            }),
        ),
        _ => (
            "Xuanxuan third-party API",
            json!({
                "code": {"type": "apiKey", "in": "query", "name": "code", "description": "the app code"},
                "token": {"type": "apiKey", "in": "query", "name": "token",
                    "description": "md5(md5(query string without `&token=…`) + app key)"},
            }),
            json!([{"code": [], "token": []}]),
            json!({"envelope": {
                "description": "`{result: 'success', data}` or `{result: 'fail', message}`, HTTP 200",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["result"],
                    "properties": {
                        "result": {"enum": ["success", "fail"]},
                        "data": {},
                        "message": {"type": "string"},
                    },
                }}},
            }}),
        ),
    }
}

fn sealtalk_envelope() -> Value {
    json!({
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "integer"}, "result": {}, "message": {"type": "string"}},
    })
}

fn operation(dialect: &str, o: &Operation) -> (String, Value) {
    // Shiku routes are `ANY`: clients POST forms (GET with a query works the same).
    let method = if o.method == "ANY" { "post".to_string() } else { o.method.to_ascii_lowercase() };
    let in_body = matches!(method.as_str(), "post" | "put" | "patch");
    let json_body = matches!(dialect, "minxing" | "sealtalk");
    let path_names = path_params(&o.path);
    let mut parameters: Vec<Value> = path_names
        .iter()
        .map(|n| json!({"name": n, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let body_params: Vec<&Param> = o.params.iter().filter(|p| !path_names.contains(&p.name)).collect();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(op_id(o)));
    op.insert("summary".into(), json!(format!("{} ({})", o.handler, o.function)));
    if !o.doc.is_empty() {
        op.insert("description".into(), json!(o.doc));
    }
    if dialect == "xuanxuan" {
        let (m, f) = o.mf.clone().unwrap_or_default();
        parameters.push(json!({"name": "m", "in": "query", "required": true, "schema": {"enum": [m]}}));
        parameters.push(json!({"name": "f", "in": "query", "required": true, "schema": {"enum": [f]}}));
        parameters.push(json!({"name": "time", "in": "query", "required": false, "schema": {"type": "integer"}}));
        for p in &body_params {
            parameters
                .push(json!({"name": p.name, "in": "query", "required": p.required, "schema": schema(p.kind, false)}));
        }
        if method == "post" {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "required": ["data"],
                    "properties": {"data": {"type": "string", "description": "the notification, JSON text"}},
                }}}}),
            );
        }
    } else if in_body && !body_params.is_empty() {
        let has_file = body_params.iter().any(|p| p.kind == "file");
        let media = if has_file {
            "multipart/form-data"
        } else if json_body {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let props: Map<String, Value> =
            body_params.iter().map(|p| (p.name.clone(), schema(p.kind, json_body && !has_file))).collect();
        let required: Vec<&str> = body_params.iter().filter(|p| p.required).map(|p| p.name.as_str()).collect();
        let mut s = json!({"type": "object", "properties": props});
        if !required.is_empty() {
            s["required"] = json!(required);
        }
        op.insert("requestBody".into(), json!({"required": !required.is_empty(), "content": {media: {"schema": s}}}));
    } else {
        for p in &body_params {
            parameters
                .push(json!({"name": p.name, "in": "query", "required": p.required, "schema": schema(p.kind, false)}));
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    // Xuanxuan: every call is signed (the router checks it before dispatching).
    if !o.auth && dialect != "xuanxuan" {
        op.insert("security".into(), json!([]));
    }
    let responses = match dialect {
        "minxing" => json!({
            "204": {"description": "done, no body"},
            "2XX": {"$ref": "#/components/responses/ok"},
            "4XX": {"$ref": "#/components/responses/error"},
        }),
        "sealtalk" if o.raw => json!({
            "200": {"description": "plain JSON (the original server's shape)", "content": {"application/json": {"schema": {}}}},
            "4XX": {"$ref": "#/components/responses/error"},
        }),
        "sealtalk" => json!({
            "200": {"$ref": "#/components/responses/envelope"},
            "4XX": {"$ref": "#/components/responses/error"},
        }),
        // Shiku routes not declared `ANY` (files, avatars, the console page and assets) answer
        // raw bodies; the file and avatar URLs' misses a 404 with the Shiku error envelope.
        "shiku" if o.method != "ANY" || o.raw => json!({
            "200": {"$ref": "#/components/responses/raw"},
            "4XX": {"$ref": "#/components/responses/raw_error"},
        }),
        _ => json!({"200": {"$ref": "#/components/responses/envelope"}}),
    };
    op.insert("responses".into(), responses);
    (method, Value::Object(op))
}

/// Two Xuanxuan m/f pairs on one method: one operation whose `f` enum lists both.
fn merge_mf(existing: &mut Value, new: &Value) {
    let merge = |name: &str, existing: &mut Value| {
        let add = new["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == name)).cloned();
        let Some(ps) = existing["parameters"].as_array_mut() else { return };
        match (ps.iter_mut().find(|p| p["name"] == name), add) {
            (Some(p), Some(a)) => {
                let new_enum = a.get("schema").and_then(|s| s.get("enum")).and_then(Value::as_array);
                let old_enum = p.get_mut("schema").and_then(|s| s.get_mut("enum")).and_then(Value::as_array_mut);
                if let (Some(e), Some(n)) = (old_enum, new_enum) {
                    for v in n {
                        if !e.contains(v) {
                            e.push(v.clone());
                        }
                    }
                } else {
                    // An optional parameter of one pair only.
                    p["required"] = json!(false);
                }
            }
            (None, Some(mut a)) => {
                a["required"] = json!(false);
                ps.push(a);
            }
            _ => {}
        }
    };
    let names: Vec<String> = new["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    for n in names {
        merge(&n, existing);
    }
    let sum = format!("{}; {}", existing["summary"].as_str().unwrap_or(""), new["summary"].as_str().unwrap_or(""));
    existing["summary"] = json!(sum);
    if let Some(d) = new["description"].as_str() {
        let d = format!("{} {d}", existing["description"].as_str().unwrap_or("")).trim().to_string();
        existing["description"] = json!(d);
    }
    if new.get("security").is_none() {
        if let Some(o) = existing.as_object_mut() {
            o.remove("security");
        }
    }
}

/// Every dialect's document.
pub fn generate(root: &Path) -> crate::Result<BTreeMap<&'static str, Value>> {
    let ops = operations(root)?;
    Ok(DIALECTS.iter().map(|d| (*d, document(d, &ops))).collect())
}

/// The pretty JSON text written to `docs/openapi/<dialect>.json`.
pub fn to_text(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}
