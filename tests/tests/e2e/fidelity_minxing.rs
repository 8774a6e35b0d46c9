//! Issue #11, Minxing (seed 000 has paths only, so our conventions and the OAuth RFCs are the
//! reference) and Xuanxuan details found by the audit (/work/briefs/mx-xx-audit.md §3).

use e2e::*;
use serde_json::json;

#[tokio::test]
async fn oauth_answers_as_the_rfcs_say() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "P").await;
    let r = http
        .json(
            "POST",
            "/oauth2/token",
            None,
            json!({"grant_type": "password", "login_name": p.phone, "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // RFC 6749 §5.1: both no-store and no-cache on a token answer.
    assert_eq!(r.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(r.headers.get("pragma").and_then(|v| v.to_str().ok()), Some("no-cache"));
    let r = http.json("POST", "/oauth2/token", None, json!({"grant_type": "implicit"})).await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("unsupported_grant_type")), "{}", r.text);
    // RFC 6750 §3.1: no credentials → a bare challenge; a bad token → error="invalid_token".
    let r = http.get("/api/v1/users/current", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    let r = http.get("/api/v1/users/current", Some("not-a-token")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer error=\"invalid_token\""));
}

#[tokio::test]
async fn small_shape_details() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    // from_last_seen carries `next_cursor` like every Minxing list.
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&a.token)).await;
    assert_eq!((r.status, r.body.get("next_cursor").cloned()), (200, Some(json!(null))), "{}", r.text);
    // to_user: 201 when made, 200 when it existed.
    let path = format!("/api/v1/conversations2/to_user/{}", b.uid);
    assert_eq!(http.json("POST", &path, Some(&a.token), json!({})).await.status, 201);
    assert_eq!(http.json("POST", &path, Some(&a.token), json!({})).await.status, 200);
    let other = format!("/api/v1/conversations2/to_user/{}", a.uid);
    assert_eq!(http.json("POST", &other, Some(&b.token), json!({})).await.status, 200, "the same pair from b");
    // An edit with nothing to change names every field it takes.
    let r = http.json("POST", "/api/v1/users", Some(&a.token), json!({})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let d = r.body["error_description"].as_str().unwrap_or_default();
    assert!(d.contains("signature") && d.contains("gender") && d.contains("birthday"), "{d}");
}

/// Xuanxuan: the notification object posted as the body itself says how to send it.
#[tokio::test]
async fn xuanxuan_body_without_data_says_how_to_send_it() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http
        .xuanxuan("POST", "m=chat&f=notifyMSG&code=demo", "demo-key", &[("receiver", "users"), ("title", "T")])
        .await;
    assert_eq!(r.body["result"], "fail", "{}", r.text);
    assert!(r.body["message"].as_str().unwrap_or_default().contains("form field `data`"), "{}", r.text);
}
