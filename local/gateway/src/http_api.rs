//! The HTTP API: route selection, payload format 2.0 events, Lambda-like
//! failure modes (413, 404, 500), CORS as API Gateway answers it, and the
//! `x-ddb-calls` header.

use crate::apigw::{self, HttpRequestInfo};
use crate::functions::HttpFn;
use crate::routing::RouteTable;
use crate::template::HttpCors;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use shared::Ctx;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// API Gateway's request payload limit.
pub const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;
/// Lambda's synchronous invocation payload limit (request event and response alike).
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Clone)]
pub(crate) struct Target {
    pub binary: String,
    pub handler: HttpFn,
    pub timeout: Duration,
    /// The function's DynamoDB grants, enforced while it runs.
    pub grants: Arc<crate::iam::Grants>,
}

pub(crate) struct HttpState {
    pub routes: RouteTable<Target>,
    pub ctx: Arc<Ctx>,
    pub api_id: String,
    pub port: u16,
    pub cors: Option<HttpCors>,
    pub stats: crate::stats::Source,
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<HttpState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let app = Router::new().fallback(handle).with_state(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "HTTP API server failed");
    }
}

fn json_message(status: StatusCode, message: &str) -> Response {
    let mut r = Response::new(axum::body::Body::from(serde_json::json!({ "message": message }).to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

async fn handle(
    State(st): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> Response {
    let t0 = Instant::now();
    let request_id = apigw::request_id();
    let (parts, body) = req.into_parts();
    let origin = parts.headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_string);

    if let (Some(cors), Some(origin)) = (&st.cors, &origin) {
        if parts.method == Method::OPTIONS && parts.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            let mut r = preflight(cors, origin, &parts.headers);
            finish(&mut r, &request_id, None);
            return r;
        }
    }

    let (mut resp, calls, route) = match openapi_document(&parts) {
        Some(r) => (r, None, Some("openapi".to_string())),
        None if parts.method == Method::GET && parts.uri.path() == crate::stats::PATH => {
            (json_response(&st.stats.snapshot()), None, Some("local stats".to_string()))
        }
        None => invoke(&st, &parts, body, peer, &request_id).await,
    };
    if let (Some(cors), Some(origin)) = (&st.cors, &origin) {
        apply_cors(cors, origin, resp.headers_mut());
    }
    finish(&mut resp, &request_id, calls);
    tracing::info!(
        "{} {} -> {} {} ({} ddb calls, {} ms)",
        parts.method,
        parts.uri.path(),
        route.as_deref().unwrap_or("-"),
        resp.status().as_u16(),
        calls.unwrap_or(0),
        t0.elapsed().as_millis()
    );
    resp
}

/// `GET /openapi/<dialect>.json`: the dialect's OpenAPI document, generated from the code
/// now (crate::openapi). Not a template route: the deployed API does not serve it.
fn openapi_document(parts: &http::request::Parts) -> Option<Response> {
    let name = parts.uri.path().strip_prefix("/openapi/")?.strip_suffix(".json")?;
    if parts.method != Method::GET || !crate::openapi::DIALECTS.contains(&name) {
        return None;
    }
    let mut r = match crate::openapi::generate(&crate::paths::workspace_root()) {
        Ok(mut docs) => Response::new(axum::body::Body::from(crate::openapi::to_text(&docs.remove(name)?))),
        Err(e) => return Some(json_message(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    };
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Some(r)
}

fn json_response(v: &impl serde::Serialize) -> Response {
    let mut r = Response::new(axum::body::Body::from(serde_json::to_string(v).unwrap_or_default()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn finish(r: &mut Response, request_id: &str, ddb_calls: Option<u32>) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("apigw-requestid", v);
    }
    if let Some(n) = ddb_calls {
        r.headers_mut().insert("x-ddb-calls", HeaderValue::from(n));
    }
}

/// Run the route's function. Returns the response, its DynamoDB call count and the route key.
async fn invoke(
    st: &HttpState,
    parts: &http::request::Parts,
    body: axum::body::Body,
    peer: SocketAddr,
    request_id: &str,
) -> (Response, Option<u32>, Option<String>) {
    let too_large = || json_message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_DRAINED as u64) {
        return (too_large(), None, None);
    }
    let body = match read_body(body, MAX_REQUEST_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return (too_large(), None, None),
        Err(BodyError::Io(e)) => {
            tracing::debug!(error = %e, "client body read failed");
            return (json_message(StatusCode::BAD_REQUEST, "Bad Request"), None, None);
        }
    };

    let raw_path = parts.uri.path();
    let Some(m) = st.routes.select(parts.method.as_str(), raw_path) else {
        return (json_message(StatusCode::NOT_FOUND, "Not Found"), None, None);
    };
    let route_key = m.route_key.clone();
    let target = m.target.clone();
    let protocol = match parts.version {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    };
    let source_ip = peer.ip().to_string();
    let info = HttpRequestInfo {
        method: parts.method.as_str(),
        raw_path,
        raw_query: parts.uri.query().unwrap_or(""),
        protocol,
        headers: &parts.headers,
        body: &body,
        source_ip: &source_ip,
        server_port: st.port,
    };
    let event =
        apigw::http_event(&info, &route_key, &m.path_params, &st.api_id, request_id, apigw::now_ms()).to_string();
    if event.len() > LAMBDA_PAYLOAD_LIMIT {
        // Lambda refuses invocation payloads over 6 MB (base64 bodies count 4/3).
        tracing::warn!(route = %route_key, bytes = event.len(), "event over Lambda's 6 MB invocation payload limit");
        return (too_large(), None, Some(route_key));
    }
    let lambda_req = match lambda_http::request::from_str(&event) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "the HTTP event does not deserialize into a lambda_http request");
            return (json_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"), None, Some(route_key));
        }
    };

    let t0 = Instant::now();
    let fut = (target.handler)(st.ctx.clone(), lambda_req);
    let joined = tokio::spawn(crate::iam::scope(target.grants.clone(), shared::metrics::count_ddb_calls(fut))).await;
    let elapsed = t0.elapsed();
    if elapsed > target.timeout {
        tracing::warn!(
            function = %target.binary,
            route = %route_key,
            "took {} ms, over its {} s Lambda timeout: on AWS this request would fail",
            elapsed.as_millis(),
            target.timeout.as_secs()
        );
    }
    match joined {
        Ok((resp, calls)) => {
            let size = response_payload_size(&resp);
            if size > LAMBDA_PAYLOAD_LIMIT {
                tracing::error!(
                    function = %target.binary,
                    route = %route_key,
                    bytes = size,
                    "response over Lambda's 6 MB payload limit: on AWS this request fails"
                );
                return (
                    json_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
                    Some(calls),
                    Some(route_key),
                );
            }
            (lambda_to_http(resp), Some(calls), Some(route_key))
        }
        Err(e) => {
            if e.is_panic() {
                tracing::error!(function = %target.binary, route = %route_key, "handler panicked");
            }
            (json_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"), None, Some(route_key))
        }
    }
}

enum BodyError {
    TooLarge,
    Io(axum::Error),
}

/// Bodies up to this size are read to the end even when refused, so the client
/// gets the 413 instead of a broken pipe; larger ones are cut off.
const MAX_DRAINED: usize = 64 * 1024 * 1024;

async fn read_body(body: axum::body::Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Io)?;
        seen += chunk.len();
        if seen > MAX_DRAINED {
            return Err(BodyError::TooLarge);
        }
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(buf)
}

/// Approximate size of the response payload Lambda would return (binary bodies travel base64-encoded).
fn response_payload_size(resp: &lambda_http::Response<lambda_http::Body>) -> usize {
    let body = match resp.body() {
        // The body travels as a JSON string in the response payload: escapes count.
        lambda_http::Body::Text(t) => shared::budget::escaped_len(t),
        lambda_http::Body::Binary(b) => b.len().div_ceil(3) * 4,
        _ => 0,
    };
    body + resp.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 6).sum::<usize>()
}

/// Status, headers (every `Set-Cookie` kept) and body of a function's response.
fn lambda_to_http(resp: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        #[allow(unreachable_patterns)]
        _ => Vec::new(),
    };
    let mut r = Response::new(axum::body::Body::from(bytes));
    *r.status_mut() = parts.status;
    *r.headers_mut() = parts.headers;
    r
}

impl HttpCors {
    /// The Access-Control-Allow-Origin value for an origin, if it is allowed.
    fn allow_origin(&self, origin: &str) -> Option<String> {
        if self.allow_origins.iter().any(|o| o == "*") {
            return Some(if self.allow_credentials { origin.to_string() } else { "*".to_string() });
        }
        self.allow_origins.iter().find(|o| o.eq_ignore_ascii_case(origin)).map(|_| origin.to_string())
    }
}

fn set(h: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// API Gateway answers preflights itself when the API has a CorsConfiguration.
fn preflight(cors: &HttpCors, origin: &str, req: &HeaderMap) -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let Some(allow) = cors.allow_origin(origin) else { return r };
    let h = r.headers_mut();
    set(h, header::ACCESS_CONTROL_ALLOW_ORIGIN, &allow);
    let methods = if cors.allow_methods.iter().any(|m| m == "*") {
        req.get(header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok()).unwrap_or("*").to_string()
    } else {
        cors.allow_methods.join(",")
    };
    set(h, header::ACCESS_CONTROL_ALLOW_METHODS, &methods);
    let requested = req.get(header::ACCESS_CONTROL_REQUEST_HEADERS).and_then(|v| v.to_str().ok()).unwrap_or("");
    let headers = if cors.allow_headers.iter().any(|x| x == "*") {
        requested.to_string()
    } else {
        cors.allow_headers.iter().map(|x| x.to_ascii_lowercase()).collect::<Vec<_>>().join(",")
    };
    if !headers.is_empty() {
        set(h, header::ACCESS_CONTROL_ALLOW_HEADERS, &headers);
    }
    if let Some(age) = cors.max_age {
        set(h, header::ACCESS_CONTROL_MAX_AGE, &age.to_string());
    }
    if cors.allow_credentials {
        set(h, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    r
}

/// With a CorsConfiguration, API Gateway replaces the integration's CORS headers.
fn apply_cors(cors: &HttpCors, origin: &str, h: &mut HeaderMap) {
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::ACCESS_CONTROL_MAX_AGE,
    ] {
        h.remove(name);
    }
    let Some(allow) = cors.allow_origin(origin) else { return };
    set(h, header::ACCESS_CONTROL_ALLOW_ORIGIN, &allow);
    if cors.allow_credentials {
        set(h, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if !cors.expose_headers.is_empty() {
        set(h, header::ACCESS_CONTROL_EXPOSE_HEADERS, &cors.expose_headers.join(","));
    }
    if allow != "*" {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> HttpCors {
        HttpCors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["Authorization".into(), "Content-Type".into()],
            max_age: Some(600),
            ..Default::default()
        }
    }

    #[test]
    fn preflight_answers_from_the_configuration() {
        let mut req = HeaderMap::new();
        req.insert(header::ACCESS_CONTROL_REQUEST_METHOD, HeaderValue::from_static("POST"));
        let r = preflight(&cors(), "http://x", &req);
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let h = r.headers();
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "GET,POST");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "authorization,content-type");
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "600");

        let only = HttpCors { allow_origins: vec!["http://a".into()], ..cors() };
        assert!(preflight(&only, "http://b", &req).headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }

    #[test]
    fn responses_get_the_gateway_cors_headers() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("http://backend"));
        apply_cors(&cors(), "http://x", &mut h);
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }

    #[test]
    fn lambda_responses_keep_every_set_cookie() {
        let resp = lambda_http::Response::builder()
            .status(201)
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(lambda_http::Body::Text("hi".into()))
            .unwrap();
        let r = lambda_to_http(resp);
        assert_eq!(r.status(), StatusCode::CREATED);
        let cookies: Vec<_> = r.headers().get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(cookies, vec!["a=1", "b=2"]);
    }
}

/// The HTTP layer alone, with fake functions (no backends needed).
#[cfg(test)]
mod server_tests {
    use super::*;
    use lambda_http::RequestExt;

    fn ctx() -> Arc<Ctx> {
        Arc::new(Ctx::local(&shared::LocalConfig {
            table: "t".into(),
            bucket: "b".into(),
            ddb_endpoint: "http://127.0.0.1:9".into(),
            s3_endpoint: "http://127.0.0.1:9".into(),
            ws_management_endpoint: "http://127.0.0.1:9".into(),
            lambda_timeouts: false,
        }))
    }

    fn target(handler: HttpFn) -> Target {
        Target {
            binary: "fake".into(),
            handler,
            timeout: Duration::from_secs(10),
            grants: Arc::new(crate::iam::Grants::new("FakeFunction", &Default::default())),
        }
    }

    /// Echoes what the function saw: route key, path parameters, cookies, query, body.
    fn echo(
        _ctx: Arc<Ctx>,
        req: lambda_http::Request,
    ) -> futures_util::future::BoxFuture<'static, lambda_http::Response<lambda_http::Body>> {
        Box::pin(async move {
            let route = match req.request_context_ref() {
                Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.route_key.clone().unwrap_or_default(),
                _ => String::new(),
            };
            let params: std::collections::BTreeMap<String, String> = req
                .path_parameters_ref()
                .map(|p| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
                .unwrap_or_default();
            let body = serde_json::json!({
                "route": route,
                "params": params,
                "cookie": req.headers().get("cookie").and_then(|v| v.to_str().ok()),
                "query": req.uri().query(),
                "body": String::from_utf8_lossy(&req.body().as_ref()[..req.body().len().min(64)]),
                "body_len": req.body().len(),
            });
            lambda_http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("set-cookie", "a=1; Path=/")
                .header("set-cookie", "b=2; Path=/")
                .body(lambda_http::Body::Text(body.to_string()))
                .unwrap()
        })
    }

    fn boom(
        _ctx: Arc<Ctx>,
        _req: lambda_http::Request,
    ) -> futures_util::future::BoxFuture<'static, lambda_http::Response<lambda_http::Body>> {
        Box::pin(async move { panic!("handler bug") })
    }

    fn big(
        _ctx: Arc<Ctx>,
        _req: lambda_http::Request,
    ) -> futures_util::future::BoxFuture<'static, lambda_http::Response<lambda_http::Body>> {
        Box::pin(
            async move { lambda_http::Response::new(lambda_http::Body::Text("x".repeat(LAMBDA_PAYLOAD_LIMIT + 1))) },
        )
    }

    async fn start(routes: RouteTable<Target>) -> (String, watch::Sender<bool>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = crate::stats::Source { counters: Default::default(), ws: None };
        let state = Arc::new(HttpState { routes, ctx: ctx(), api_id: "test".into(), port, cors: None, stats });
        let (tx, rx) = watch::channel(false);
        tokio::spawn(serve(listener, state, rx));
        (format!("http://127.0.0.1:{port}"), tx)
    }

    #[tokio::test]
    async fn routes_params_cookies_and_panics() {
        let mut routes = RouteTable::new();
        routes.add("GET", "/users/{id}", target(echo)).unwrap();
        routes.add("ANY", "/files/{proxy+}", target(echo)).unwrap();
        routes.add("POST", "/boom", target(boom)).unwrap();
        routes.add("GET", "/big", target(big)).unwrap();
        let (base, stop) = start(routes).await;
        let client = reqwest::Client::new();

        let r = client.get(format!("{base}/users/42?x=1&x=2")).header("cookie", "s=abc; t=def").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ddb-calls"], "0");
        let cookies: Vec<_> =
            r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        assert_eq!(cookies, vec!["a=1; Path=/", "b=2; Path=/"]);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["route"], "GET /users/{id}");
        assert_eq!(v["params"]["id"], "42");
        assert_eq!(v["cookie"], "s=abc; t=def");
        assert_eq!(v["query"], "x=1&x=2");

        let v: serde_json::Value =
            client.put(format!("{base}/files/a/b%20c.txt")).body("data").send().await.unwrap().json().await.unwrap();
        assert_eq!(v["route"], "ANY /files/{proxy+}");
        assert_eq!(v["params"]["proxy"], "a/b c.txt");
        assert_eq!(v["body"], "data");

        // No $default route: API Gateway's own 404.
        let r = client.get(format!("{base}/nope")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["message"], "Not Found");
        let r = client.post(format!("{base}/users/42")).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // A panicking function is a 500, and the server keeps serving.
        let r = client.post(format!("{base}/boom")).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["message"], "Internal Server Error");
        assert_eq!(client.get(format!("{base}/users/1")).send().await.unwrap().status(), 200);

        // Lambda's 6 MB payload limit: a 5 MB binary body is ~6.7 MB of base64 in the event.
        let r = client
            .put(format!("{base}/files/x"))
            .header("content-type", "application/octet-stream")
            .body(vec![0u8; 5 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        let r = client
            .put(format!("{base}/files/x"))
            .header("content-type", "application/octet-stream")
            .body(vec![0u8; 4 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(client.get(format!("{base}/big")).send().await.unwrap().status(), 500);
        let _ = stop.send(true);
    }
}
