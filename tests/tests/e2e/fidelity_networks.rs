//! Issue #11, Minxing fidelity: `POST /api/v1/networks/{id}/members` "加入/退出指定网络"
//! (seed 000:52-54, join OR leave). A leave is asked with `action=leave`; the one network of
//! a deployment cannot be left, so it is refused explicitly (403), never answered as a join.

use e2e::*;
use serde_json::json;

#[tokio::test]
async fn leaving_the_network_is_refused_explicitly() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = register(&http, &phone(), "secret1", "P").await;
    let (mx, _) = minxing_login(&http, &p.phone, "secret1").await;
    for body in [json!({}), json!({"action": "join"})] {
        let r = http.json("POST", "/api/v1/networks/1/members", Some(&mx), body.clone()).await;
        assert_eq!((r.status, r.body["member"].clone()), (200, json!(true)), "{body}: {}", r.text);
    }
    let r = http.json("POST", "/api/v1/networks/1/members", Some(&mx), json!({"action": "leave"})).await;
    assert_eq!((r.status, r.body["error"].clone()), (403, json!("forbidden")), "{}", r.text);
    assert!(r.body["error_description"].as_str().unwrap().contains("default network"), "{}", r.text);
    let r = http.get("/api/v1/users/current/networks", Some(&mx)).await;
    assert_eq!(r.body[0]["member"], true, "still a member");
    let r = http.json("POST", "/api/v1/networks/default/members", Some(&mx), json!({"action": "quit"})).await;
    assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_request")), "{}", r.text);
    let r = http.json("POST", "/api/v1/networks/7/members", Some(&mx), json!({"action": "leave"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
}
