//! Every HTTP request leaves one structured JSON log line (shared::http::serve with the
//! subscriber of shared::ctx::init_tracing): route, dialect, user id, status, DynamoDB calls
//! and latency — and never the request's parameters or token.

use lambda_http::{Body, Request};
use shared::http::serve;
use shared::testing::{capture_json_logs, offline_ctx};
use shared::{AppError, Reply, UserId};

fn post(path: &str, form: &str) -> Request {
    let mut req = Request::new(Body::from(form.to_string()));
    *req.method_mut() = http::Method::POST;
    *req.uri_mut() = path.parse().unwrap();
    req.headers_mut().insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
    req
}

#[tokio::test(flavor = "current_thread")]
async fn a_request_logs_one_json_line_with_its_user_and_outcome_but_no_secrets() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let req = post("/user/get", "access_token=SECRET-TOKEN&password=SECRET-PASS&userId=7");
        let resp = serve(&ctx, req, |_c| async {
            shared::metrics::record_user(UserId(10042));
            Ok(Reply::data(serde_json::json!({"ok": 1})))
        })
        .await;
        assert_eq!(resp.status(), 200);
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains("SECRET"), "a secret was logged: {all}");
    let reqs: Vec<_> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(reqs.len(), 1, "{all}");
    let l = reqs[0];
    assert_eq!(l["level"], "INFO", "{all}");
    assert_eq!(l["status"], 200, "{all}");
    assert_eq!(l["ddb_calls"], 0, "{all}");
    assert!(l["ms"].is_u64(), "{all}");
    let span = &l["span"];
    assert_eq!(span["route"], "/user/get", "{all}");
    assert_eq!(span["method"], "POST", "{all}");
    assert_eq!(span["dialect"], "shiku", "{all}");
    assert_eq!(span["uid"], 10042, "{all}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_error_is_logged_at_error_level_with_its_cause() {
    let ctx = offline_ctx();
    let lines = capture_json_logs(async {
        let resp = serve(&ctx, post("/api/v1/users/current", ""), |_c| async {
            Err::<Reply, _>(AppError::internal("store unreachable"))
        })
        .await;
        assert_eq!(resp.status(), 500);
    })
    .await;
    let all = serde_json::to_string(&lines).unwrap();
    let l = lines.iter().find(|l| l["message"] == "request").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(l["level"], "ERROR", "{all}");
    assert_eq!(l["status"], 500, "{all}");
    assert!(!l["error"].as_str().unwrap_or("").is_empty(), "{all}");
    // The cause is on the envelope renderer's line, in the same request span.
    let cause = lines.iter().find(|l| l["detail"] == "store unreachable").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(cause["span"]["route"], "/api/v1/users/current", "{all}");
    assert_eq!(l["span"]["dialect"], "minxing", "{all}");
    assert!(l["span"].get("uid").is_none(), "no user named: {all}");
}
