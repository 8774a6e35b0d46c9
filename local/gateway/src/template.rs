//! Reads the SAM template into what the gateway needs: functions (by their
//! cargo binary), HTTP routes, WebSocket routes, the stream consumer, and the
//! table and bucket definitions.
//!
//! YAML short-form intrinsics are converted to their long JSON form first
//! (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`,
//! `!Sub s` → `{"Fn::Sub": s}`, …), so everything below works on serde_json values.

use crate::{Error, Result};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const HTTP_DEFAULT_ROUTE: &str = "$default";

#[derive(Debug, Clone)]
pub struct Template {
    /// Serverless functions by logical id.
    pub functions: BTreeMap<String, FunctionDef>,
    pub http_routes: Vec<HttpRouteDef>,
    /// CorsConfiguration of the HTTP API (API Gateway answers preflights itself).
    pub http_cors: Option<HttpCors>,
    pub ws: Option<WsApiDef>,
    pub stream_consumers: Vec<StreamConsumerDef>,
    /// `Properties` of the DynamoDB table resource.
    pub table: Value,
    /// `Properties.CorsConfiguration` of the S3 bucket resource.
    pub bucket_cors: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the cargo binary (= crate) name.
    pub binary: String,
    pub timeout_secs: u64,
    /// IAM `Policies` as `<action> <resource>` grants (see [`crate::iam::function_grants`]).
    pub grants: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRouteDef {
    /// Upper-case method or `ANY`; empty for `$default`.
    pub method: String,
    /// `/a/{b}` or `$default`.
    pub path: String,
    pub function: String,
    /// Event name in the template (`R014`), for messages.
    pub event: String,
}

impl HttpRouteDef {
    /// API Gateway's route key: `GET /a/{b}`, `ANY /x` or `$default`.
    pub fn route_key(&self) -> String {
        if self.path == HTTP_DEFAULT_ROUTE {
            HTTP_DEFAULT_ROUTE.to_string()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HttpCors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<i64>,
    pub allow_credentials: bool,
}

#[derive(Debug, Clone)]
pub struct WsApiDef {
    /// `$request.body.action` → `["action"]`.
    pub selection_path: Vec<String>,
    pub stage: String,
    /// Route key (`$connect`, `send`, …) → function logical id.
    pub routes: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct StreamConsumerDef {
    pub function: String,
    pub batch_size: usize,
    /// `FilterCriteria.Filters[].Pattern` (JSON text each).
    pub filter_patterns: Vec<String>,
    pub starting_position: String,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`: a partial batch response
    /// (`batchItemFailures`) is honoured; without it the answer is ignored (batch done).
    pub report_item_failures: bool,
    /// `BisectBatchOnFunctionError`: a function error splits the batch in two.
    pub bisect_on_error: bool,
    /// `MaximumRetryAttempts` (None: unset or -1, retry until the record expires).
    pub max_retries: Option<u32>,
    /// `MaximumRecordAgeInSeconds` (None: unset or -1).
    pub max_record_age_secs: Option<u64>,
    /// `DestinationConfig.OnFailure.Destination`: the resource given-up batches go to
    /// (SQS is not emulated: the gateway keeps them as dead letters in its stream stats).
    pub on_failure: Option<String>,
}

/// Default `Timeout` of AWS::Serverless::Function when neither the function nor Globals set one.
const SAM_DEFAULT_TIMEOUT: u64 = 3;

impl Template {
    pub fn load(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error(format!("cannot read template {}: {e}", path.display())))?;
        Template::parse(&text).map_err(|e| Error(format!("template {}: {e}", path.display())))
    }

    /// [`Template::load`], parsed once per process while the file is unchanged
    /// (every test's gateway reads the same template).
    pub fn load_cached(path: &Path) -> Result<Template> {
        use std::collections::HashMap;
        use std::sync::Mutex;
        use std::time::SystemTime;
        static CACHE: Mutex<Option<HashMap<std::path::PathBuf, (SystemTime, Template)>>> = Mutex::new(None);
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if let Some(mtime) = mtime {
            let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((t, tpl)) = cache.as_ref().and_then(|c| c.get(path)) {
                if *t == mtime {
                    return Ok(tpl.clone());
                }
            }
        }
        let tpl = Template::load(path)?;
        if let Some(mtime) = mtime {
            let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            cache.get_or_insert_with(HashMap::new).insert(path.to_path_buf(), (mtime, tpl.clone()));
        }
        Ok(tpl)
    }

    pub fn parse(yaml: &str) -> Result<Template> {
        let doc: serde_norway::Value = serde_norway::from_str(yaml).map_err(crate::ctx("invalid YAML"))?;
        Template::from_json(&yaml_to_json(doc)?)
    }

    fn from_json(doc: &Value) -> Result<Template> {
        let resources =
            doc.get("Resources").and_then(Value::as_object).ok_or_else(|| Error::new("no Resources section"))?;
        let parameters = doc.get("Parameters").and_then(Value::as_object).cloned().unwrap_or_default();
        let default_timeout =
            doc.pointer("/Globals/Function/Timeout").and_then(Value::as_u64).unwrap_or(SAM_DEFAULT_TIMEOUT);
        let of_type = |t: &str| -> Vec<(&String, &Value)> {
            resources.iter().filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(t)).collect()
        };

        let table_id = single(&of_type("AWS::DynamoDB::Table"), "Table", "AWS::DynamoDB::Table")?;
        let table = resources[&table_id].get("Properties").cloned().unwrap_or_else(|| Value::Object(Map::new()));
        let bucket_cors = match single(&of_type("AWS::S3::Bucket"), "FilesBucket", "AWS::S3::Bucket") {
            Ok(id) => resources[&id].pointer("/Properties/CorsConfiguration").cloned(),
            Err(_) => None,
        };

        let mut t = Template {
            functions: BTreeMap::new(),
            http_routes: vec![],
            http_cors: None,
            ws: None,
            stream_consumers: vec![],
            table,
            bucket_cors,
        };

        let http_apis = of_type("AWS::Serverless::HttpApi");
        if let Some((_, api)) = http_apis.first() {
            if let Some(c) = api.pointer("/Properties/CorsConfiguration") {
                t.http_cors = Some(parse_http_cors(c, &parameters)?);
            }
        }

        for (id, res) in of_type("AWS::Serverless::Function") {
            let binary = res
                .pointer("/Metadata/BuildProperties/Binary")
                .and_then(Value::as_str)
                .ok_or_else(|| Error(format!("function {id} has no Metadata.BuildProperties.Binary")))?;
            let timeout_secs = res.pointer("/Properties/Timeout").and_then(Value::as_u64).unwrap_or(default_timeout);
            let grants = crate::iam::function_grants(id, res).map_err(Error)?;
            let def = FunctionDef { logical_id: id.clone(), binary: binary.to_string(), timeout_secs, grants };
            t.functions.insert(id.clone(), def);
            let events = res.pointer("/Properties/Events").and_then(Value::as_object);
            for (ev_name, ev) in events.into_iter().flatten() {
                let props = ev.get("Properties").cloned().unwrap_or(Value::Null);
                match ev.get("Type").and_then(Value::as_str) {
                    Some("HttpApi") => t.http_routes.push(parse_http_event(id, ev_name, &props)?),
                    Some("DynamoDB") => {
                        let stream_of = props.get("Stream").and_then(referenced_resource);
                        if stream_of.as_deref() != Some(table_id.as_str()) {
                            return Err(Error(format!(
                                "{id}.{ev_name}: only the stream of table {table_id} is supported, got {stream_of:?}"
                            )));
                        }
                        t.stream_consumers.push(parse_stream_event(id, ev_name, &props, &parameters)?);
                    }
                    Some(other) => {
                        return Err(Error(format!("{id}.{ev_name}: event type {other} is not emulated locally")))
                    }
                    None => return Err(Error(format!("{id}.{ev_name}: event without Type"))),
                }
            }
        }

        let mut seen = BTreeMap::new();
        for r in &t.http_routes {
            if let Some(prev) = seen.insert(r.route_key(), r.event.clone()) {
                return Err(Error(format!("route {} is defined twice ({prev} and {})", r.route_key(), r.event)));
            }
        }

        t.ws = parse_ws_api(resources, &parameters, &t.functions)?;
        Ok(t)
    }

    /// The function of a logical id (every reference is validated at parse time).
    pub fn function(&self, logical_id: &str) -> &FunctionDef {
        &self.functions[logical_id]
    }
}

/// The one resource of a type (preferring `preferred` when there are several).
fn single(found: &[(&String, &Value)], preferred: &str, ty: &str) -> Result<String> {
    match found {
        [] => Err(Error(format!("no {ty} resource"))),
        [(id, _)] => Ok((*id).clone()),
        many => many
            .iter()
            .find(|(id, _)| id.as_str() == preferred)
            .map(|(id, _)| (*id).clone())
            .ok_or_else(|| Error(format!("several {ty} resources and none is named {preferred}"))),
    }
}

fn parse_http_event(function: &str, event: &str, props: &Value) -> Result<HttpRouteDef> {
    let path = props
        .get("Path")
        .and_then(Value::as_str)
        .ok_or_else(|| Error(format!("{function}.{event}: HttpApi event needs a literal Path")))?;
    let method = props.get("Method").and_then(Value::as_str).unwrap_or("ANY").to_ascii_uppercase();
    const METHODS: [&str; 8] = ["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    if !METHODS.contains(&method.as_str()) {
        return Err(Error(format!("{function}.{event}: unsupported method {method}")));
    }
    if path != HTTP_DEFAULT_ROUTE {
        crate::routing::parse_path(path).map_err(|e| Error(format!("{function}.{event}: {e}")))?;
    }
    Ok(HttpRouteDef {
        method: if path == HTTP_DEFAULT_ROUTE { String::new() } else { method },
        path: path.to_string(),
        function: function.to_string(),
        event: event.to_string(),
    })
}

fn parse_stream_event(
    function: &str,
    event: &str,
    props: &Value,
    parameters: &Map<String, Value>,
) -> Result<StreamConsumerDef> {
    let mut filter_patterns = vec![];
    let filters = props.pointer("/FilterCriteria/Filters").and_then(Value::as_array);
    for f in filters.into_iter().flatten() {
        let pattern = f
            .get("Pattern")
            .and_then(Value::as_str)
            .ok_or_else(|| Error(format!("{function}.{event}: filter without a literal Pattern")))?;
        filter_patterns.push(pattern.to_string());
    }
    Ok(StreamConsumerDef {
        function: function.to_string(),
        batch_size: props.get("BatchSize").and_then(Value::as_u64).unwrap_or(100).clamp(1, 10_000) as usize,
        filter_patterns,
        starting_position: props.get("StartingPosition").and_then(Value::as_str).unwrap_or("LATEST").to_string(),
        report_item_failures: str_list(props.get("FunctionResponseTypes"))
            .iter()
            .any(|t| t == "ReportBatchItemFailures"),
        bisect_on_error: props.get("BisectBatchOnFunctionError").and_then(|v| resolve_bool(v, parameters))
            == Some(true),
        // -1 (the default) means "until the record expires".
        max_retries: props
            .get("MaximumRetryAttempts")
            .and_then(|v| resolve_i64(v, parameters))
            .and_then(|n| u32::try_from(n).ok()),
        max_record_age_secs: props
            .get("MaximumRecordAgeInSeconds")
            .and_then(|v| resolve_i64(v, parameters))
            .and_then(|n| u64::try_from(n).ok()),
        on_failure: props.pointer("/DestinationConfig/OnFailure/Destination").and_then(referenced_resource),
    })
}

/// A number, literal or a `!Ref` to a parameter with a Default.
fn resolve_i64(v: &Value, parameters: &Map<String, Value>) -> Option<i64> {
    v.as_i64().or_else(|| resolve_string(v, parameters)?.parse().ok())
}

fn resolve_bool(v: &Value, parameters: &Map<String, Value>) -> Option<bool> {
    v.as_bool().or_else(|| resolve_string(v, parameters)?.parse().ok())
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A literal list, or `Fn::Split` of a literal or parameter (its default; e.g. the
/// `CorsAllowOrigins` parameter, comma-separated).
fn resolved_list(v: Option<&Value>, parameters: &Map<String, Value>) -> Vec<String> {
    let split = v.and_then(|v| v.get("Fn::Split")).and_then(Value::as_array);
    match split.map(Vec::as_slice) {
        Some([sep, src]) => match (sep.as_str(), resolve_string(src, parameters)) {
            (Some(sep), Some(text)) => {
                text.split(sep).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
            }
            _ => vec![],
        },
        _ => str_list(v),
    }
}

fn parse_http_cors(c: &Value, parameters: &Map<String, Value>) -> Result<HttpCors> {
    // `CorsConfiguration: true` means "allow everything" in SAM.
    if c.as_bool() == Some(true) {
        return Ok(HttpCors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["*".into()],
            allow_headers: vec!["*".into()],
            ..Default::default()
        });
    }
    Ok(HttpCors {
        allow_origins: resolved_list(c.get("AllowOrigins"), parameters),
        allow_methods: str_list(c.get("AllowMethods")),
        allow_headers: str_list(c.get("AllowHeaders")),
        expose_headers: str_list(c.get("ExposeHeaders")),
        max_age: c.get("MaxAge").and_then(Value::as_i64),
        allow_credentials: c.get("AllowCredentials").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn parse_ws_api(
    resources: &Map<String, Value>,
    parameters: &Map<String, Value>,
    functions: &BTreeMap<String, FunctionDef>,
) -> Result<Option<WsApiDef>> {
    let Some((api_id, api)) = resources.iter().find(|(_, r)| {
        r.get("Type").and_then(Value::as_str) == Some("AWS::ApiGatewayV2::Api")
            && r.pointer("/Properties/ProtocolType").and_then(Value::as_str) == Some("WEBSOCKET")
    }) else {
        return Ok(None);
    };
    let expr = api
        .pointer("/Properties/RouteSelectionExpression")
        .and_then(Value::as_str)
        .ok_or_else(|| Error(format!("{api_id}: RouteSelectionExpression must be a literal")))?;
    let selection_path: Vec<String> = match expr.strip_prefix("$request.body.") {
        Some(p) if !p.is_empty() => p.split('.').map(str::to_string).collect(),
        _ => {
            return Err(Error(format!(
                "{api_id}: only `$request.body.<field>` route selection is emulated, got {expr}"
            )))
        }
    };
    let belongs = |r: &Value| r.pointer("/Properties/ApiId").and_then(referenced_resource).as_deref() == Some(api_id);

    let mut stage = "$default".to_string();
    for (_, r) in
        resources.iter().filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::ApiGatewayV2::Stage"))
    {
        if belongs(r) {
            if let Some(s) = r.pointer("/Properties/StageName").and_then(|v| resolve_string(v, parameters)) {
                stage = s;
            }
        }
    }

    let mut routes = BTreeMap::new();
    for (id, r) in
        resources.iter().filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::ApiGatewayV2::Route"))
    {
        if !belongs(r) {
            continue;
        }
        let key = r
            .pointer("/Properties/RouteKey")
            .and_then(Value::as_str)
            .ok_or_else(|| Error(format!("{id}: RouteKey must be a literal")))?;
        let target = r.pointer("/Properties/Target").ok_or_else(|| Error(format!("{id}: route without Target")))?;
        let integration = sub_references(target)
            .into_iter()
            .find(|name| resources.contains_key(name))
            .ok_or_else(|| Error(format!("{id}: Target must be !Sub \"integrations/${{Integration}}\"")))?;
        let uri = resources[&integration]
            .pointer("/Properties/IntegrationUri")
            .ok_or_else(|| Error(format!("{integration}: integration without IntegrationUri")))?;
        let function = sub_references(uri)
            .into_iter()
            .filter_map(|r| r.strip_suffix(".Arn").map(str::to_string))
            .find(|f| functions.contains_key(f))
            .ok_or_else(|| Error(format!("{integration}: IntegrationUri must reference a function's Arn")))?;
        if routes.insert(key.to_string(), function).is_some() {
            return Err(Error(format!("WebSocket route {key} is defined twice")));
        }
    }
    if !routes.contains_key("$connect") {
        tracing::debug!("WebSocket API has no $connect route: connections are accepted unconditionally");
    }
    Ok(Some(WsApiDef { selection_path, stage, routes }))
}

/// `{"Ref": "X"}` / `{"Fn::GetAtt": ["X", …]}` → `X`.
fn referenced_resource(v: &Value) -> Option<String> {
    if let Some(r) = v.get("Ref").and_then(Value::as_str) {
        return Some(r.to_string());
    }
    v.get("Fn::GetAtt").and_then(|g| g.get(0)).and_then(Value::as_str).map(str::to_string)
}

/// A literal, or a `!Ref` to a parameter with a Default.
fn resolve_string(v: &Value, parameters: &Map<String, Value>) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    let name = v.get("Ref")?.as_str()?;
    parameters.get(name)?.get("Default").map(|d| match d {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Names referenced by an intrinsic: `${X}` / `${X.Attr}` of `Fn::Sub`
/// (`${!Literal}` and `${AWS::…}` skipped), `Ref`, `Fn::GetAtt` (as `X.Attr`).
pub fn sub_references(v: &Value) -> Vec<String> {
    if let Some(r) = referenced_resource(v) {
        if let Some(attr) = v.get("Fn::GetAtt").and_then(|g| g.get(1)).and_then(Value::as_str) {
            return vec![format!("{r}.{attr}")];
        }
        return vec![r];
    }
    let text = match v.get("Fn::Sub") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).unwrap_or(""),
        _ => return vec![],
    };
    let mut out = vec![];
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        if !name.starts_with('!') && !name.starts_with("AWS::") {
            out.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    out
}

/// YAML (with CloudFormation short-form tags) → JSON with long-form intrinsics.
pub fn yaml_to_json(v: serde_norway::Value) -> Result<Value> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0)).map(Value::Number).unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect::<Result<_>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(Error(format!("unsupported mapping key {other:?}"))),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = yaml_to_json(t.value)?;
            let (key, value) = match name {
                "Ref" => ("Ref".to_string(), inner),
                "Condition" => ("Condition".to_string(), inner),
                "GetAtt" => {
                    let parts = match inner {
                        Value::String(s) => match s.split_once('.') {
                            Some((a, b)) => Value::from(vec![a.to_string(), b.to_string()]),
                            None => Value::from(vec![s]),
                        },
                        other => other,
                    };
                    ("Fn::GetAtt".to_string(), parts)
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut m = Map::new();
            m.insert(key, value);
            Value::Object(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_workspace_template() {
        let t = Template::load(&crate::paths::template_path()).unwrap();
        assert!(t.functions.values().any(|f| f.binary == "system"));
        let def = t.http_routes.iter().find(|r| r.path == "$default").unwrap();
        assert_eq!(t.function(&def.function).binary, "system");
        assert_eq!(def.route_key(), "$default");
        let login = t.http_routes.iter().find(|r| r.path == "/user/login").unwrap();
        assert_eq!(login.route_key(), "ANY /user/login");
        assert_eq!(t.function(&login.function).binary, "auth");
        assert_eq!(t.function(&login.function).timeout_secs, 10);
        let ws = t.ws.as_ref().unwrap();
        assert_eq!(ws.selection_path, vec!["action"]);
        assert_eq!(ws.stage, "prod");
        for key in ["$connect", "$disconnect", "$default", "send"] {
            assert_eq!(t.function(&ws.routes[key]).binary, "realtime", "{key}");
        }
        let sc = &t.stream_consumers[0];
        assert_eq!(t.function(&sc.function).binary, "delivery");
        assert_eq!(sc.batch_size, 100);
        assert_eq!(sc.filter_patterns.len(), 2, "events with `ev`; removed file records");
        assert!(sc.report_item_failures && sc.bisect_on_error);
        assert_eq!(sc.max_retries, Some(5));
        assert_eq!(sc.max_record_age_secs, Some(3600));
        assert_eq!(sc.on_failure.as_deref(), Some("DeliveryFailureQueue"));
        assert_eq!(t.function(&sc.function).timeout_secs, 60);
        assert_eq!(t.table["BillingMode"], "PAY_PER_REQUEST");
        assert!(t.bucket_cors.is_some());
        assert_eq!(t.http_cors.as_ref().unwrap().allow_origins, vec!["*"]);
    }

    #[test]
    fn converts_short_form_intrinsics() {
        let y = r#"
A: !Ref Table
B: !GetAtt Table.StreamArn
C: !Sub "integrations/${RealtimeIntegration}"
D: !Sub "arn:${AWS::Region}:${Fn.Arn}/x${!Literal}"
"#;
        let v = yaml_to_json(serde_norway::from_str(y).unwrap()).unwrap();
        assert_eq!(v["A"], serde_json::json!({"Ref": "Table"}));
        assert_eq!(v["B"], serde_json::json!({"Fn::GetAtt": ["Table", "StreamArn"]}));
        assert_eq!(sub_references(&v["C"]), vec!["RealtimeIntegration"]);
        assert_eq!(sub_references(&v["D"]), vec!["Fn.Arn"]);
        assert_eq!(sub_references(&v["B"]), vec!["Table.StreamArn"]);
    }

    #[test]
    fn rejects_duplicate_routes() {
        let y = r#"
Resources:
  Table: {Type: AWS::DynamoDB::Table, Properties: {}}
  F:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: system}}
    Properties:
      Events:
        A: {Type: HttpApi, Properties: {Method: GET, Path: /x}}
        B: {Type: HttpApi, Properties: {Method: get, Path: /x}}
"#;
        let e = Template::parse(y).unwrap_err().to_string();
        assert!(e.contains("defined twice"), "{e}");
    }
}
