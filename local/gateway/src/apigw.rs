//! The events API Gateway hands to Lambda: HTTP API payload format 2.0 and the
//! WebSocket API proxy events, plus the ids and timestamps they carry.

use base64::Engine;
use http::HeaderMap;
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;
use serde_json::{json, Map, Value};

pub const ACCOUNT_ID: &str = "000000000000";
pub const REGION: &str = "us-east-1";

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Request ids look like API Gateway's (`JKJaXmPLvHcESHA=`).
pub fn request_id() -> String {
    let bytes: [u8; 11] = rand::rng().random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// WebSocket connection ids: 16 URL-safe alphanumeric characters.
pub fn connection_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 16)
}

/// API ids: 10 lower-case alphanumerics (`a1b2c3d4e5`).
pub fn api_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 10).to_ascii_lowercase()
}

/// X-Ray style trace header value.
fn trace_id(ms: i64) -> String {
    let r: [u8; 12] = rand::rng().random();
    format!("Root=1-{:08x}-{}", ms / 1000, r.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Days since 1970-01-01 → (year, month 1-12, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `12/Mar/2020:19:03:58 +0000`, the `time` / `requestTime` format.
pub fn clf_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000", MONTHS[m as usize - 1], s / 3600, s / 60 % 60, s % 60)
}

/// ISO 8601 (`2020-03-12T19:03:58.123Z`), as the management API returns timestamps.
pub fn iso8601(ms: i64) -> String {
    aws_smithy_types::DateTime::from_millis(ms).fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default()
}

/// Content types whose bodies API Gateway passes as text (when valid UTF-8).
pub fn is_textual(content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    ct.starts_with("text/")
        || ct == "application/json"
        || ct.ends_with("+json")
        || ct == "application/xml"
        || ct.ends_with("+xml")
        || ct == "application/javascript"
        || ct == "application/graphql"
}

/// What the gateway saw of one HTTP request.
#[derive(Debug, Clone)]
pub struct HttpRequestInfo<'a> {
    pub method: &'a str,
    /// Raw (percent-encoded) path.
    pub raw_path: &'a str,
    /// Raw query string without `?`.
    pub raw_query: &'a str,
    /// `HTTP/1.1`.
    pub protocol: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: &'a str,
    pub server_port: u16,
}

/// Host without port, for `domainName`.
fn domain_of(headers: &HeaderMap) -> String {
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    if let Some(end) = host.strip_prefix('[').and_then(|h| h.find(']')) {
        return host[..end + 2].to_string();
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => host.to_string(),
    }
}

/// Lower-case header names, repeated headers joined with `,` (payload 2.0 rules).
fn joined_headers(headers: &HeaderMap, skip: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let vals: Vec<String> =
            headers.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
        out.insert(name.as_str().to_string(), Value::String(vals.join(",")));
    }
    out
}

/// Headers API Gateway adds in front of the integration.
fn add_forwarding_headers(h: &mut Map<String, Value>, source_ip: &str, port: u16, ms: i64) {
    let xff = match h.get("x-forwarded-for").and_then(Value::as_str) {
        Some(prev) if !prev.is_empty() => format!("{prev}, {source_ip}"),
        _ => source_ip.to_string(),
    };
    h.insert("x-forwarded-for".into(), json!(xff));
    h.insert("x-forwarded-port".into(), json!(port.to_string()));
    h.insert("x-forwarded-proto".into(), json!("http"));
    h.insert("x-amzn-trace-id".into(), json!(trace_id(ms)));
}

/// Decoded query parameters, repeated keys joined with `,` (payload 2.0 rules).
fn query_params(raw_query: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        match out.get_mut(k.as_ref()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                out.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
    }
    out
}

/// The HTTP API payload format 2.0 event of one request.
pub fn http_event(
    req: &HttpRequestInfo<'_>,
    route_key: &str,
    path_params: &[(String, String)],
    api_id: &str,
    request_id: &str,
    time_ms: i64,
) -> Value {
    let cookies: Vec<String> = req
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let mut headers = joined_headers(req.headers, &["cookie"]);
    add_forwarding_headers(&mut headers, req.source_ip, req.server_port, time_ms);
    let domain = domain_of(req.headers);
    let user_agent = req.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");

    let mut ev = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": req.raw_path,
        "rawQueryString": req.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split('.').next().unwrap_or(""),
            "http": {
                "method": req.method,
                "path": req.raw_path,
                "protocol": req.protocol,
                "sourceIp": req.source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": clf_time(time_ms),
            "timeEpoch": time_ms,
        },
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        ev["cookies"] = json!(cookies);
    }
    if !req.raw_query.is_empty() {
        ev["queryStringParameters"] = Value::Object(query_params(req.raw_query));
    }
    if !path_params.is_empty() {
        let pp: Map<String, Value> = path_params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        ev["pathParameters"] = Value::Object(pp);
    }
    if !req.body.is_empty() {
        let ct = req.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        match std::str::from_utf8(req.body) {
            Ok(text) if is_textual(ct) => ev["body"] = json!(text),
            _ => {
                ev["body"] = json!(base64::engine::general_purpose::STANDARD.encode(req.body));
                ev["isBase64Encoded"] = json!(true);
            }
        }
    }
    ev
}

/// One WebSocket connection as its events describe it.
#[derive(Debug, Clone)]
pub struct WsConnInfo {
    pub connection_id: String,
    pub connected_at_ms: i64,
    pub source_ip: String,
    pub user_agent: Option<String>,
    pub stage: String,
    pub api_id: String,
    pub domain_name: String,
}

fn ws_request_context(c: &WsConnInfo, route_key: &str, event_type: &str, request_id: &str, ms: i64) -> Value {
    let mut identity = json!({ "sourceIp": c.source_ip });
    if let Some(ua) = &c.user_agent {
        identity["userAgent"] = json!(ua);
    }
    json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": clf_time(ms),
        "messageDirection": "IN",
        "stage": c.stage,
        "connectedAt": c.connected_at_ms,
        "requestTimeEpoch": ms,
        "identity": identity,
        "requestId": request_id,
        "domainName": c.domain_name,
        "connectionId": c.connection_id,
        "apiId": c.api_id,
    })
}

/// `$connect`: the handshake's headers and query string.
pub fn ws_connect_event(
    c: &WsConnInfo,
    headers: &HeaderMap,
    raw_query: &str,
    server_port: u16,
    request_id: &str,
    ms: i64,
) -> Value {
    let mut single = joined_headers(headers, &[]);
    add_forwarding_headers(&mut single, &c.source_ip, server_port, ms);
    let mut multi = Map::new();
    for (k, v) in &single {
        let vals: Vec<Value> = if headers.contains_key(k.as_str()) {
            headers.get_all(k.as_str()).iter().map(|v| json!(String::from_utf8_lossy(v.as_bytes()))).collect()
        } else {
            vec![v.clone()]
        };
        multi.insert(k.clone(), Value::Array(vals));
    }
    // REST-style (payload 1.0) query maps: last value wins / all values.
    let mut qs = Map::new();
    let mut mqs: Map<String, Value> = Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        qs.insert(k.to_string(), json!(v));
        match mqs.get_mut(k.as_ref()).and_then(Value::as_array_mut) {
            Some(a) => a.push(json!(v)),
            None => {
                mqs.insert(k.into_owned(), json!([v]));
            }
        }
    }
    let mut ev = json!({
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": ws_request_context(c, "$connect", "CONNECT", request_id, ms),
        "isBase64Encoded": false,
    });
    if !qs.is_empty() {
        ev["queryStringParameters"] = Value::Object(qs);
        ev["multiValueQueryStringParameters"] = Value::Object(mqs);
    }
    ev
}

/// A client frame routed to `route_key`.
pub fn ws_message_event(
    c: &WsConnInfo,
    route_key: &str,
    body: &str,
    is_base64: bool,
    request_id: &str,
    message_id: &str,
    ms: i64,
) -> Value {
    let mut rc = ws_request_context(c, route_key, "MESSAGE", request_id, ms);
    rc["messageId"] = json!(message_id);
    json!({ "requestContext": rc, "body": body, "isBase64Encoded": is_base64 })
}

/// `$disconnect`, with the close code and reason when known.
pub fn ws_disconnect_event(c: &WsConnInfo, status: u16, reason: &str, request_id: &str, ms: i64) -> Value {
    let mut rc = ws_request_context(c, "$disconnect", "DISCONNECT", request_id, ms);
    rc["disconnectStatusCode"] = json!(status);
    rc["disconnectReason"] = json!(reason);
    json!({
        "headers": { "Host": c.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" },
        "multiValueHeaders": { "Host": [c.domain_name], "x-api-key": [""], "X-Forwarded-For": [""], "x-restapi": [""] },
        "requestContext": rc,
        "isBase64Encoded": false,
    })
}

/// The WebSocket route of a text frame: the string at `selection_path` of a
/// JSON object body if it names a defined route, else `$default`.
pub fn select_ws_route(
    body: &str,
    selection_path: &[String],
    has_route: impl Fn(&str) -> bool,
    default: &str,
) -> Option<String> {
    let selected = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let mut cur = &v;
        for p in selection_path {
            cur = cur.as_object()?.get(p)?;
        }
        cur.as_str().map(str::to_string)
    });
    match selected {
        Some(key) if has_route(&key) => Some(key),
        _ if has_route(default) => Some(default.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use lambda_http::RequestExt;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn time_formats() {
        assert_eq!(clf_time(1_584_039_838_123), "12/Mar/2020:19:03:58 +0000");
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(iso8601(1_584_039_838_123), "2020-03-12T19:03:58.123Z");
    }

    #[test]
    fn ids() {
        let c = connection_id();
        assert_eq!(c.len(), 16);
        assert!(c.chars().all(|ch| ch.is_ascii_alphanumeric()));
        assert_ne!(c, connection_id());
        assert_eq!(request_id().len(), 16);
    }

    #[test]
    fn textual_content_types() {
        assert!(is_textual("application/json; charset=utf-8"));
        assert!(is_textual("text/plain"));
        assert!(is_textual("application/vnd.api+json"));
        assert!(!is_textual("application/x-www-form-urlencoded"));
        assert!(!is_textual("multipart/form-data; boundary=x"));
        assert!(!is_textual(""));
    }

    #[test]
    fn http_event_round_trips_through_lambda_http() {
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("user-agent", "test/1.0"),
            ("cookie", "a=1; b=2"),
            ("cookie", "c=3"),
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("content-type", "application/json"),
        ]);
        let info = HttpRequestInfo {
            method: "GET",
            raw_path: "/api/v1/users/42",
            raw_query: "a=1&a=2&b=x%20y",
            protocol: "HTTP/1.1",
            headers: &h,
            body: br#"{"k":"v"}"#,
            source_ip: "127.0.0.1",
            server_port: 3000,
        };
        let params = vec![("user_id".to_string(), "42".to_string())];
        let ev = http_event(&info, "GET /api/v1/users/{user_id}", &params, "abc", "rid=", 1_584_039_838_123);
        assert_eq!(ev["cookies"], json!(["a=1", "b=2", "c=3"]));
        assert!(ev["headers"].get("cookie").is_none());
        assert_eq!(ev["headers"]["x-multi"], "one,two");
        assert_eq!(ev["queryStringParameters"], json!({"a": "1,2", "b": "x y"}));
        assert_eq!(ev["requestContext"]["time"], "12/Mar/2020:19:03:58 +0000");
        assert_eq!(ev["requestContext"]["domainName"], "127.0.0.1");
        assert_eq!(ev["isBase64Encoded"], false);

        let req = lambda_http::request::from_str(&ev.to_string()).unwrap();
        assert_eq!(req.method(), "GET");
        assert_eq!(req.uri().path(), "/api/v1/users/42");
        assert_eq!(req.uri().query(), Some("a=1&a=2&b=x%20y"));
        assert_eq!(req.path_parameters_ref().and_then(|p| p.first("user_id")), Some("42"));
        assert_eq!(req.headers()["cookie"], "a=1; b=2; c=3");
        assert_eq!(req.headers()["user-agent"], "test/1.0");
        assert_eq!(req.query_string_parameters_ref().and_then(|q| q.first("b")), Some("x y"));
        match req.body() {
            lambda_http::Body::Text(t) => assert_eq!(t, r#"{"k":"v"}"#),
            other => panic!("unexpected body {other:?}"),
        }
        match req.request_context_ref() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => {
                assert_eq!(c.route_key.as_deref(), Some("GET /api/v1/users/{user_id}"));
                assert_eq!(c.stage.as_deref(), Some("$default"));
                assert_eq!(c.http.source_ip.as_deref(), Some("127.0.0.1"));
            }
            other => panic!("unexpected context {other:?}"),
        }
    }

    #[test]
    fn binary_and_form_bodies_are_base64() {
        let h = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        let info = HttpRequestInfo {
            method: "POST",
            raw_path: "/user/login",
            raw_query: "",
            protocol: "HTTP/1.1",
            headers: &h,
            body: b"a=1&b=2",
            source_ip: "10.0.0.1",
            server_port: 3000,
        };
        let ev = http_event(&info, "ANY /user/login", &[], "abc", "rid=", 0);
        assert_eq!(ev["isBase64Encoded"], true);
        assert!(ev.get("queryStringParameters").is_none());
        assert!(ev.get("pathParameters").is_none());
        let req = lambda_http::request::from_str(&ev.to_string()).unwrap();
        assert_eq!(req.method(), "POST");
        assert_eq!(req.body().as_ref(), b"a=1&b=2");

        let h = headers(&[("content-type", "application/json")]);
        let bad_utf8 = [0xff, 0xfe];
        let ev = http_event(&HttpRequestInfo { headers: &h, body: &bad_utf8, ..info }, "$default", &[], "a", "r", 0);
        assert_eq!(ev["isBase64Encoded"], true);
        assert_eq!(ev["routeKey"], "$default");
    }

    #[test]
    fn ws_events_deserialize() {
        let c = WsConnInfo {
            connection_id: "abcdEFGH12345678".into(),
            connected_at_ms: 1000,
            source_ip: "127.0.0.1".into(),
            user_agent: Some("ua".into()),
            stage: "prod".into(),
            api_id: "wsapi".into(),
            domain_name: "127.0.0.1".into(),
        };
        let h = headers(&[("host", "127.0.0.1:3001"), ("sec-websocket-key", "k")]);
        let ev = ws_connect_event(&c, &h, "access_token=t1&x=1&x=2", 3001, "r1", 2000);
        let ev: aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest = serde_json::from_value(ev).unwrap();
        assert_eq!(ev.request_context.route_key.as_deref(), Some("$connect"));
        assert_eq!(ev.request_context.event_type.as_deref(), Some("CONNECT"));
        assert_eq!(ev.request_context.connection_id.as_deref(), Some("abcdEFGH12345678"));
        assert_eq!(ev.request_context.identity.source_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ev.query_string_parameters.first("access_token"), Some("t1"));
        assert_eq!(ev.headers["sec-websocket-key"], "k");

        let ev = ws_message_event(&c, "send", r#"{"action":"send"}"#, false, "r2", "m2", 3000);
        let ev: aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest = serde_json::from_value(ev).unwrap();
        assert_eq!(ev.request_context.event_type.as_deref(), Some("MESSAGE"));
        assert_eq!(ev.body.as_deref(), Some(r#"{"action":"send"}"#));

        let ev = ws_disconnect_event(&c, 1000, "bye", "r3", 4000);
        let ev: aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest = serde_json::from_value(ev).unwrap();
        assert_eq!(ev.request_context.event_type.as_deref(), Some("DISCONNECT"));
        assert_eq!(ev.request_context.disconnect_status_code, Some(1000));
    }

    #[test]
    fn ws_route_selection() {
        let path = vec!["action".to_string()];
        let has = |k: &str| ["send", "$default"].contains(&k);
        assert_eq!(select_ws_route(r#"{"action":"send"}"#, &path, has, "$default").unwrap(), "send");
        assert_eq!(select_ws_route(r#"{"action":"nope"}"#, &path, has, "$default").unwrap(), "$default");
        assert_eq!(select_ws_route(r#"{"action":1}"#, &path, has, "$default").unwrap(), "$default");
        assert_eq!(select_ws_route("not json", &path, has, "$default").unwrap(), "$default");
        assert_eq!(select_ws_route(r#"["send"]"#, &path, has, "$default").unwrap(), "$default");
        assert!(select_ws_route("x", &path, |k| k == "send", "$default").is_none());
    }
}
