//! The WebSocket API (`GET /` upgrade, `$connect` / route selection /
//! `$disconnect`) and its `@connections` management endpoint on the same port.

use crate::apigw::{self, WsConnInfo};
use crate::functions;
use crate::template::WsApiDef;
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use serde_json::{json, Value};
use shared::Ctx;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// API Gateway's WebSocket limits: 128 KB messages, 32 KB frames.
const MAX_MESSAGE: usize = 128 * 1024;
const MAX_FRAME: usize = 32 * 1024;

pub(crate) struct WsState {
    pub ctx: Arc<Ctx>,
    pub api: WsApiDef,
    /// Function logical id → its DynamoDB grants, enforced while it runs.
    pub grants: HashMap<String, Arc<crate::iam::Grants>>,
    pub api_id: String,
    pub port: u16,
    pub conns: Mutex<HashMap<String, Arc<Conn>>>,
    /// Connection tasks still running (shutdown waits for their `$disconnect`).
    pub active: AtomicUsize,
    pub shutdown: watch::Receiver<bool>,
}

pub(crate) struct Conn {
    info: WsConnInfo,
    tx: mpsc::UnboundedSender<Outbound>,
    last_active_ms: AtomicI64,
}

impl Conn {
    fn touch(&self) {
        self.last_active_ms.store(apigw::now_ms(), Ordering::Relaxed);
    }
}

enum Outbound {
    Text(String),
    Binary(Vec<u8>),
    /// DeleteConnection.
    Close,
}

enum Inbound {
    Text(String),
    Binary(Vec<u8>),
    Disconnect { code: u16, reason: String },
}

pub(crate) fn router(state: Arc<WsState>) -> Router {
    let mut r = Router::new()
        .route("/", get(connect))
        .route("/@connections/{id}", post(post_to_connection).get(get_connection).delete(delete_connection));
    // Clients of the real API use the stage path (`wss://…/prod`); accept it too.
    let stage = state.api.stage.clone();
    if stage != "$default" && !stage.is_empty() {
        r = r.route(&format!("/{stage}"), get(connect)).route(
            &format!("/{stage}/@connections/{{id}}"),
            post(post_to_connection).get(get_connection).delete(delete_connection),
        );
    }
    r.fallback(|| async { json_error(StatusCode::NOT_FOUND, None, "Not Found") }).with_state(state)
}

pub(crate) async fn serve(listener: tokio::net::TcpListener, state: Arc<WsState>, mut shutdown: watch::Receiver<bool>) {
    let app = router(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "WebSocket API server failed");
    }
}

fn json_error(status: StatusCode, error_type: Option<&str>, message: &str) -> Response {
    let mut r = (status, json!({ "message": message }).to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        r.headers_mut().insert("x-amzn-ErrorType", t);
    }
    r
}

/// Call the realtime function; Err when it panicked (Lambda would report an invocation error).
async fn invoke(st: &WsState, route: &str, event: Value) -> Result<ApiGatewayProxyResponse, String> {
    let ev: ApiGatewayWebsocketProxyRequest =
        serde_json::from_value(event).map_err(|e| format!("WebSocket event does not deserialize: {e}"))?;
    let ctx = st.ctx.clone();
    let grants = st.api.routes.get(route).and_then(|f| st.grants.get(f)).cloned().ok_or("route without function")?;
    match tokio::spawn(crate::iam::scope(grants, async move { functions::realtime(&ctx, ev).await })).await {
        Ok(r) => Ok(r),
        Err(e) if e.is_panic() => Err("realtime panicked".into()),
        Err(e) => Err(e.to_string()),
    }
}

async fn connect(
    State(st): State<Arc<WsState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let mut ws = match upgrade {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let now = apigw::now_ms();
    let info = WsConnInfo {
        connection_id: apigw::connection_id(),
        connected_at_ms: now,
        source_ip: peer.ip().to_string(),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        stage: st.api.stage.clone(),
        api_id: st.api_id.clone(),
        domain_name: headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost").to_string(),
    };
    if st.api.routes.contains_key("$connect") {
        let request_id = apigw::request_id();
        let ev = apigw::ws_connect_event(&info, &headers, uri.query().unwrap_or(""), st.port, &request_id, now);
        let resp = match invoke(&st, "$connect", ev).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(connection = %info.connection_id, error = %e, "$connect failed");
                return json_error(StatusCode::INTERNAL_SERVER_ERROR, None, "Internal server error");
            }
        };
        if resp.status_code != 200 {
            tracing::info!(connection = %info.connection_id, status = resp.status_code, "$connect rejected");
            let status = u16::try_from(resp.status_code)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = match resp.body {
                Some(aws_lambda_events::encodings::Body::Text(t)) => t,
                _ => String::new(),
            };
            return (status, body).into_response();
        }
        if let Some(p) = resp.headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
            ws.set_selected_protocol(p.clone());
        }
    }

    // Registered before the 101 goes out: a post right after the handshake must find it.
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = Arc::new(Conn { info, tx, last_active_ms: AtomicI64::new(now) });
    let id = conn.info.connection_id.clone();
    st.conns.lock().expect("connections lock").insert(id.clone(), conn.clone());
    st.active.fetch_add(1, Ordering::SeqCst);
    tracing::info!(connection = %id, "WebSocket connected");

    let failed_state = st.clone();
    let failed_conn = conn.clone();
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_FRAME)
        .on_failed_upgrade(move |e| {
            tracing::warn!(error = %e, "WebSocket upgrade failed");
            tokio::spawn(async move {
                unregister(&failed_state, &failed_conn);
                disconnect(&failed_state, &failed_conn, 1006, "upgrade failed").await;
                failed_state.active.fetch_sub(1, Ordering::SeqCst);
            });
        })
        .on_upgrade(move |socket| run_connection(st, conn, rx, socket))
}

/// Remove a connection from the registry (if it is still this one).
fn unregister(st: &WsState, conn: &Arc<Conn>) {
    let mut conns = st.conns.lock().expect("connections lock");
    if conns.get(&conn.info.connection_id).is_some_and(|c| Arc::ptr_eq(c, conn)) {
        conns.remove(&conn.info.connection_id);
    }
}

async fn disconnect(st: &WsState, conn: &Conn, code: u16, reason: &str) {
    if !st.api.routes.contains_key("$disconnect") {
        return;
    }
    let ev = apigw::ws_disconnect_event(&conn.info, code, reason, &apigw::request_id(), apigw::now_ms());
    if let Err(e) = invoke(st, "$disconnect", ev).await {
        tracing::error!(connection = %conn.info.connection_id, error = %e, "$disconnect failed");
    }
}

async fn run_connection(
    st: Arc<WsState>,
    conn: Arc<Conn>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    socket: WebSocket,
) {
    let (mut sink, mut stream) = socket.split();
    let (in_tx, in_rx) = mpsc::unbounded_channel::<Inbound>();
    let processor = tokio::spawn(process_inbound(st.clone(), conn.clone(), in_rx));
    let mut shutdown = st.shutdown.clone();
    let close = |code: u16, reason: &'static str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let (code, reason): (u16, String) = loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    conn.touch();
                    let _ = in_tx.send(Inbound::Text(t.as_str().to_string()));
                }
                Some(Ok(Message::Binary(b))) => {
                    conn.touch();
                    let _ = in_tx.send(Inbound::Binary(b.to_vec()));
                }
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => conn.touch(),
                Some(Ok(Message::Close(frame))) => {
                    break match frame {
                        Some(f) => (f.code, f.reason.as_str().to_string()),
                        None => (1005, String::new()),
                    };
                }
                Some(Err(e)) => {
                    let msg = e.to_string();
                    // Over the frame/message limits API Gateway closes with 1009.
                    if msg.contains("Space limit exceeded") || msg.contains("too long") || msg.contains("too big") {
                        let _ = sink.send(close(1009, "Message too big")).await;
                        break (1009, "Message too big".to_string());
                    }
                    break (1006, msg);
                }
                None => break (1006, "connection lost".to_string()),
            },
            out = rx.recv() => {
                let msg = match out {
                    Some(Outbound::Text(s)) => Message::Text(s.into()),
                    Some(Outbound::Binary(b)) => Message::Binary(b.into()),
                    Some(Outbound::Close) | None => {
                        let _ = sink.send(close(1000, "")).await;
                        break (1000, "Connection deleted".to_string());
                    }
                };
                conn.touch();
                if let Err(e) = sink.send(msg).await {
                    break (1006, e.to_string());
                }
            }
            _ = stopped(&mut shutdown) => {
                let _ = sink.send(close(1001, "Going away")).await;
                break (1001, "Going away".to_string());
            }
        }
    };
    unregister(&st, &conn);
    tracing::info!(connection = %conn.info.connection_id, code, "WebSocket disconnected");
    let _ = in_tx.send(Inbound::Disconnect { code, reason });
    drop(in_tx);
    let _ = processor.await;
    st.active.fetch_sub(1, Ordering::SeqCst);
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Frames of one connection, one at a time, in arrival order; then `$disconnect`.
async fn process_inbound(st: Arc<WsState>, conn: Arc<Conn>, mut rx: mpsc::UnboundedReceiver<Inbound>) {
    let routable = |k: &str| k != "$connect" && k != "$disconnect" && st.api.routes.contains_key(k);
    while let Some(ev) = rx.recv().await {
        let (body, is_b64, route) = match ev {
            Inbound::Disconnect { code, reason } => {
                disconnect(&st, &conn, code, &reason).await;
                return;
            }
            Inbound::Text(t) => {
                let route = apigw::select_ws_route(&t, &st.api.selection_path, routable, "$default");
                (t, false, route)
            }
            Inbound::Binary(b) => {
                let route = routable("$default").then(|| "$default".to_string());
                (base64::engine::general_purpose::STANDARD.encode(b), true, route)
            }
        };
        let request_id = apigw::request_id();
        let error_frame = |message: &str| {
            json!({ "message": message, "connectionId": conn.info.connection_id, "requestId": request_id }).to_string()
        };
        let Some(route) = route else {
            let _ = conn.tx.send(Outbound::Text(error_frame("Forbidden")));
            continue;
        };
        let ev = apigw::ws_message_event(
            &conn.info,
            &route,
            &body,
            is_b64,
            &request_id,
            &apigw::request_id(),
            apigw::now_ms(),
        );
        // No route responses in the template: the function's answer is not sent back.
        if let Err(e) = invoke(&st, &route, ev).await {
            tracing::error!(connection = %conn.info.connection_id, route, error = %e, "WebSocket route failed");
            let _ = conn.tx.send(Outbound::Text(error_frame("Internal server error")));
        }
    }
}

/// A connection with no socket (benches with more members online than the machine has
/// sockets): registered like a real one, so `@connections` posts to `id` are answered 200 and
/// their text lands on the answered channel. No `$connect` runs: the caller writes the
/// connection's records itself.
pub(crate) fn attach_virtual(st: &WsState, id: &str) -> mpsc::UnboundedReceiver<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Outbound>();
    let (out_tx, out_rx) = mpsc::unbounded_channel::<String>();
    let now = apigw::now_ms();
    let info = WsConnInfo {
        connection_id: id.to_string(),
        connected_at_ms: now,
        source_ip: "127.0.0.1".into(),
        user_agent: Some("virtual".into()),
        stage: st.api.stage.clone(),
        api_id: st.api_id.clone(),
        domain_name: "localhost".into(),
    };
    let conn = Arc::new(Conn { info, tx, last_active_ms: AtomicI64::new(now) });
    st.conns.lock().expect("connections lock").insert(id.to_string(), conn);
    tokio::spawn(async move {
        while let Some(o) = rx.recv().await {
            let text = match o {
                Outbound::Text(t) => t,
                Outbound::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                _ => break,
            };
            if out_tx.send(text).is_err() {
                break;
            }
        }
    });
    out_rx
}

fn gone(id: &str) -> Response {
    json_error(StatusCode::GONE, Some("GoneException"), &format!("connection {id} is gone"))
}

fn find(st: &WsState, id: &str) -> Option<Arc<Conn>> {
    st.conns.lock().expect("connections lock").get(id).cloned()
}

async fn post_to_connection(
    State(st): State<Arc<WsState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if body.len() > MAX_MESSAGE {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, Some("PayloadTooLargeException"), "Message too long");
    }
    let Some(conn) = find(&st, &id) else { return gone(&id) };
    let out = match String::from_utf8(body.to_vec()) {
        Ok(s) => Outbound::Text(s),
        Err(e) => Outbound::Binary(e.into_bytes()),
    };
    if conn.tx.send(out).is_err() {
        return gone(&id);
    }
    StatusCode::OK.into_response()
}

async fn get_connection(State(st): State<Arc<WsState>>, Path(id): Path<String>) -> Response {
    let Some(conn) = find(&st, &id) else { return gone(&id) };
    let mut identity = json!({ "sourceIp": conn.info.source_ip });
    if let Some(ua) = &conn.info.user_agent {
        identity["userAgent"] = json!(ua);
    }
    let body = json!({
        "connectedAt": apigw::iso8601(conn.info.connected_at_ms),
        "identity": identity,
        "lastActiveAt": apigw::iso8601(conn.last_active_ms.load(Ordering::Relaxed)),
    });
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

async fn delete_connection(State(st): State<Arc<WsState>>, Path(id): Path<String>) -> Response {
    let conn = st.conns.lock().expect("connections lock").remove(&id);
    let Some(conn) = conn else { return gone(&id) };
    let _ = conn.tx.send(Outbound::Close);
    StatusCode::NO_CONTENT.into_response()
}

/// Wait until every connection task finished (their `$disconnect` ran), at most `max`.
pub(crate) async fn drain(st: &WsState, max: Duration) {
    let deadline = tokio::time::Instant::now() + max;
    while st.active.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
