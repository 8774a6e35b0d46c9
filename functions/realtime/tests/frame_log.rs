//! Every WebSocket invocation of `realtime` leaves one structured JSON log line
//! (`"message":"frame"`): route key, connection id, user id when known, status, DynamoDB calls
//! and latency — never the token, the frame's body or a message's content.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use serde_json::{json, Value};
use shared::testing::{capture_json_logs, offline_ctx};

fn event(route: &str, query: Value, body: Option<&str>) -> ApiGatewayWebsocketProxyRequest {
    serde_json::from_value(json!({
        "requestContext": {"routeKey": route, "connectionId": "conn-42", "requestId": "req-7", "eventType": "MESSAGE", "connectedAt": 0, "requestTimeEpoch": 0, "apiId": "api", "stage": "prod"},
        "queryStringParameters": query,
        "body": body,
        "isBase64Encoded": false
    }))
    .unwrap()
}

fn frames(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["message"] == "frame").collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_ping_frame_logs_its_route_connection_and_outcome() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let r = realtime::handle(&ctx, event("ping", json!({}), Some(r#"{"action":"ping"}"#))).await;
        assert_eq!(r.status_code, 200);
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    let f = frames(&lines);
    assert_eq!(f.len(), 1, "{all}");
    let l = f[0];
    assert_eq!(l["level"], "INFO", "{all}");
    assert_eq!(l["status"], 200, "{all}");
    assert_eq!(l["ddb_calls"], 0, "{all}");
    assert!(l["ms"].is_u64(), "{all}");
    assert_eq!(l["span"]["route"], "ping", "{all}");
    assert_eq!(l["span"]["connection_id"], "conn-42", "{all}");
    assert_eq!(l["span"]["request_id"], "req-7", "{all}");
    assert!(l["span"].get("uid").is_none(), "no user looked up for a ping: {all}");
}

#[tokio::test(flavor = "current_thread")]
async fn connect_without_a_token_is_401_and_a_token_is_never_logged() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let r = realtime::handle(&ctx, event("$connect", json!({}), None)).await;
        assert_eq!(r.status_code, 401);
        // The store is unreachable: a 500, logged at ERROR with its cause, without the token.
        let r = realtime::handle(&ctx, event("$connect", json!({"access_token": "SECRET-TOKEN-1"}), None)).await;
        assert_eq!(r.status_code, 500);
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("SECRET"), "a secret was logged: {all}");
    let f = frames(&lines);
    assert_eq!(f.len(), 2, "{all}");
    assert_eq!((f[0]["status"].as_u64(), f[0]["level"].as_str()), (Some(401), Some("INFO")), "{all}");
    assert_eq!((f[1]["status"].as_u64(), f[1]["level"].as_str()), (Some(500), Some("ERROR")), "{all}");
    assert!(f[1]["ddb_calls"].as_u64().unwrap() >= 1, "the token lookup is counted: {all}");
    assert!(!f[1]["error"].as_str().unwrap_or("").is_empty(), "{all}");
    for l in f {
        assert_eq!(l["span"]["route"], "$connect", "{all}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_send_frame_never_logs_its_content_and_bad_frames_log_their_code() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let body = r#"{"action":"send","conversationId":"c1","content":"SECRET-BODY","messageId":"m1"}"#;
        realtime::handle(&ctx, event("send", json!({}), Some(body))).await;
        realtime::handle(&ctx, event("$default", json!({}), Some("not json SECRET-BODY"))).await;
        realtime::handle(&ctx, event("$disconnect", json!({}), None)).await;
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("SECRET"), "a frame's body was logged: {all}");
    let f = frames(&lines);
    assert_eq!(f.len(), 3, "{all}");
    // The connection lookup failed (store unreachable): the error frame's 500.
    assert_eq!(f[0]["span"]["route"], "send", "{all}");
    assert_eq!(f[0]["status"], 500, "{all}");
    assert_eq!(f[0]["level"], "ERROR", "{all}");
    // Not JSON: a 400 error frame, nothing read.
    assert_eq!(f[1]["span"]["route"], "$default", "{all}");
    assert_eq!(f[1]["status"], 400, "{all}");
    assert_eq!(f[1]["ddb_calls"], 0, "{all}");
    assert!(f[1].get("error").is_none(), "only 5xx carry their cause: {all}");
    assert_eq!(f[2]["span"]["route"], "$disconnect", "{all}");
    assert_eq!(f[2]["span"]["connection_id"], "conn-42", "{all}");
}
