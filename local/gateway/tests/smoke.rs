//! Smoke tests of the local stack through `spawn_app()`: real HTTP, WebSocket,
//! `@connections` and stream traffic against DynamoDB Local and moto.

use futures_util::{SinkExt, StreamExt};
use local_gateway::testing::{spawn_app, TestApp};
use serde_json::Value;
use shared::store::tokens;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_connect(app: &TestApp, query: &str) -> Result<Ws, u16> {
    match tokio_tungstenite::connect_async(format!("{}/{query}", app.ws_url)).await {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("WebSocket connect failed: {e}"),
    }
}

/// A valid access token (realtime's `$connect` resolves it; the user need not exist).
async fn token(app: &TestApp, uid: i64) -> String {
    tokens::issue(&app.ctx.db, app.ctx.now_secs(), shared::UserId(uid), tokens::SHIKU_TTL, None).await.unwrap().token
}

/// Next data frame (pings/pongs skipped), within 5 s.
async fn next_frame(ws: &mut Ws) -> Message {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(m))) => return m,
            other => panic!("no frame: {other:?}"),
        }
    }
}

async fn wait_until<F: Fn() -> bool>(what: &str, f: F) {
    for _ in 0..250 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn unknown_paths_answer_through_the_system_catch_all() {
    let app = spawn_app().await;
    let backends = local_gateway::testing::backends().unwrap();
    eprintln!("start-up: backends {} ms, gateway {} ms", backends.startup.as_millis(), app.gateway_startup.as_millis());
    let r = reqwest::get(format!("{}/no/such/endpoint?x=1", app.http_url)).await.unwrap();
    // The $default route (SystemFunction) answers with the Shiku not-found envelope.
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-ddb-calls"));
    assert!(r.headers().contains_key("apigw-requestid"));
    let body: Value = r.json().await.unwrap();
    let code = body["resultCode"].as_i64().unwrap_or_else(|| panic!("no resultCode in {body}"));
    assert_ne!(code, 1, "{body}");
}

#[tokio::test]
async fn bodies_over_10_mb_are_refused_by_the_gateway() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/user/login", app.http_url))
        .header("content-type", "application/octet-stream")
        .body(vec![b'x'; 10 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Request Entity Too Large");

    // CORS preflights are answered by the gateway itself (HttpApi CorsConfiguration).
    let r = client
        .request(reqwest::Method::OPTIONS, format!("{}/user/login", app.http_url))
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn websocket_connect_without_a_token_is_refused() {
    let app = spawn_app().await;
    // realtime's $connect answers 401 for a missing token (docs/realtime.md); the
    // gateway passes that status on instead of upgrading. (When realtime accepted
    // everything, this connected.)
    assert_eq!(ws_connect(&app, "").await.err(), Some(401));
    assert_eq!(ws_connect(&app, "?access_token=bogus").await.err(), Some(401));
    assert!(app.ws_connection_ids().is_empty());
}

#[tokio::test]
async fn posting_to_an_unknown_connection_is_a_gone_exception() {
    let app = spawn_app().await;
    let err = app
        .ctx
        .ws
        .post_to_connection()
        .connection_id("NoSuchConnectn00")
        .data(aws_smithy_types::Blob::new(b"{}".to_vec()))
        .send()
        .await
        .expect_err("unknown connection");
    assert!(err.as_service_error().is_some_and(|e| e.is_gone_exception()), "{err:?}");
    // What shared::realtime::post reports for it:
    let outcome = shared::realtime::post(&app.ctx, "NoSuchConnectn00", &serde_json::json!({})).await;
    assert_eq!(outcome, shared::realtime::PostOutcome::Gone);
}

#[tokio::test]
async fn websocket_frames_connections_api_and_disconnect() {
    let app = spawn_app().await;
    let tok = token(&app, 7).await;
    let mut ws = ws_connect(&app, &format!("?access_token={tok}")).await.expect("connect with a valid token");
    let ids = app.ws_connection_ids();
    assert_eq!(ids.len(), 1);
    let id = ids[0].clone();
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));

    // @connections POST: UTF-8 → text frame, anything else → binary frame.
    let mgmt = &app.ctx.ws;
    mgmt.post_to_connection()
        .connection_id(&id)
        .data(aws_smithy_types::Blob::new(b"hello".to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(next_frame(&mut ws).await, Message::text("hello"));
    mgmt.post_to_connection()
        .connection_id(&id)
        .data(aws_smithy_types::Blob::new(vec![0xff, 0x00]))
        .send()
        .await
        .unwrap();
    assert_eq!(next_frame(&mut ws).await, Message::binary(vec![0xff, 0x00]));

    // @connections GET.
    let info = mgmt.get_connection().connection_id(&id).send().await.unwrap();
    assert!(info.connected_at().is_some());
    assert!(info.last_active_at().is_some());
    assert_eq!(info.identity().and_then(|i| i.source_ip()), Some("127.0.0.1"));

    // WebSocket pings are answered by the gateway.
    ws.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
    let pong = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Pong(p)))) => break p,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no pong: {other:?}"),
        }
    };
    assert_eq!(pong.as_ref(), b"p");

    // A frame is routed on `action` to realtime, which answers through @connections.
    ws.send(Message::text(r#"{"action":"ping"}"#)).await.unwrap();
    let frame: Value = serde_json::from_str(next_frame(&mut ws).await.to_text().unwrap()).unwrap();
    assert_eq!(frame["event"], "pong", "{frame}");

    // $connect stored the connection; @connections DELETE closes it and $disconnect forgets it.
    let db = &app.ctx.db;
    assert!(shared::store::connections::user_of(db, app.ctx.now_secs(), &id).await.unwrap().is_some());
    mgmt.delete_connection().connection_id(&id).send().await.unwrap();
    assert!(matches!(next_frame(&mut ws).await, Message::Close(_)));
    assert!(app.ws_connection_ids().is_empty());
    let gone =
        mgmt.post_to_connection().connection_id(&id).data(aws_smithy_types::Blob::new(b"x".to_vec())).send().await;
    assert!(gone.unwrap_err().as_service_error().is_some_and(|e| e.is_gone_exception()));
    for _ in 0..250 {
        if shared::store::connections::user_of(db, app.ctx.now_secs(), &id).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("$disconnect did not remove connection {id}");
}

#[tokio::test]
async fn client_close_runs_disconnect() {
    let app = spawn_app().await;
    let tok = token(&app, 8).await;
    let mut ws = ws_connect(&app, &format!("?access_token={tok}")).await.expect("connect");
    let id = app.ws_connection_ids().pop().unwrap();
    ws.close(None).await.unwrap();
    wait_until("the connection to be unregistered", || app.ws_connection_ids().is_empty()).await;
    let db = &app.ctx.db;
    for _ in 0..250 {
        if shared::store::connections::user_of(db, app.ctx.now_secs(), &id).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("$disconnect did not remove connection {id}");
}

#[tokio::test]
async fn stream_records_with_ev_reach_delivery_and_others_are_filtered_out() {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    let app = spawn_app().await;
    let db = &app.ctx.db;
    let base = app.stream_stats();
    for (sk, ev) in [("A", None), ("B", Some("smoke"))] {
        let mut put =
            db.client.put_item().table_name(&db.table).item("pk", S("SMOKE#1".into())).item("sk", S(sk.into()));
        if let Some(ev) = ev {
            put = put.item("ev", S(ev.into()));
        }
        put.send().await.unwrap();
    }
    assert!(
        app.wait_for_stream(Duration::from_secs(15), |s| s.records > base.records).await,
        "the `ev` record never reached delivery: {:?}",
        app.stream_stats()
    );
    // A was written before B on the same shard, so it has been judged too.
    let s = app.stream_stats();
    assert_eq!(s.records, base.records + 1, "{s:?}");
    assert!(s.filtered_out > base.filtered_out, "{s:?}");
    assert_eq!(s.failed_batches, 0, "{s:?}");
}

#[tokio::test]
async fn frames_over_32_kb_close_the_connection_like_api_gateway() {
    let app = spawn_app().await;
    let tok = token(&app, 9).await;
    let mut ws = ws_connect(&app, &format!("?access_token={tok}")).await.expect("connect");
    ws.send(Message::text("x".repeat(40 * 1024))).await.unwrap();
    match next_frame(&mut ws).await {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1009),
        other => panic!("expected a 1009 close, got {other:?}"),
    }
    wait_until("the connection to be unregistered", || app.ws_connection_ids().is_empty()).await;
}
