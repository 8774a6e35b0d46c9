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

/// A group conversation's views list its members in `user_ids` (created, detail, renamed); the
/// recent list leaves `user_ids` out for groups instead of an empty list that says "nobody".
#[tokio::test]
async fn group_conversations_list_their_members() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<i64> = v["user_ids"].as_array().expect("user_ids").iter().filter_map(|x| x.as_i64()).collect();
        ids.sort();
        ids
    };
    let mut want = vec![a.uid, b.uid, c.uid];
    want.sort();
    let r = http
        .json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid, c.uid], "name": "Trio"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(ids(&r.body), want, "created: {}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&b.token)).await;
    assert_eq!(ids(&r.body), want, "detail: {}", r.text);
    let r = http.json("PUT", &format!("/api/v1/conversations/{cid}"), Some(&a.token), json!({"name": "Three"})).await;
    assert_eq!((r.status, ids(&r.body)), (200, want.clone()), "renamed: {}", r.text);
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let mut pair = vec![a.uid, b.uid];
    pair.sort();
    assert_eq!(ids(&r.body), pair, "1:1: {}", r.text);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&a.token)).await;
    let group = r.body["items"].as_array().unwrap().iter().find(|x| x["id"] == cid.as_str()).expect("listed").clone();
    assert!(group.get("user_ids").is_none(), "{group}");
}
