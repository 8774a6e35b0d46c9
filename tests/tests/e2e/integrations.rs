use e2e::*;
use serde_json::json;

#[tokio::test]
async fn xuanxuan_signed_calls_list_groups_and_users() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let b = register(&http, &phone(), "secret1", "Bob").await;
    let r = http
        .json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid], "name": "研发部"}))
        .await;
    let gid = r.body["id"].as_str().unwrap().to_string();

    let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=demo", "demo-key", &[]).await;
    assert_eq!(r.body["result"], "success", "{}", r.text);
    assert_eq!(r.body["data"][&gid], "研发部");

    let r = http.xuanxuan("GET", &format!("m=chat&f=getChatUsers&gid={gid}&code=demo"), "demo-key", &[]).await;
    assert_eq!(r.body["data"], json!({a.uid.to_string(): "Alice", b.uid.to_string(): "Bob"}));
    let r = http.xuanxuan("GET", "m=chat&f=getChatUsers&code=demo", "demo-key", &[]).await;
    let all = r.body["data"].as_object().unwrap();
    assert!(all.contains_key(&a.uid.to_string()) && all.values().any(|v| v == "Administrator"), "{}", r.text);
    let r = http.xuanxuan("GET", "m=chat&f=getChatUsers&gid=nope&code=demo", "demo-key", &[]).await;
    assert_eq!(r.body["result"], "fail");
}

#[tokio::test]
async fn xuanxuan_rejects_bad_signatures() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=demo", "wrong-key", &[]).await;
    assert_eq!((r.status, r.body["result"].clone()), (200, json!("fail")));
    let r = http.xuanxuan("GET", "m=chat&f=getChatGroups&code=other", "demo-key", &[]).await;
    assert_eq!(r.body["result"], "fail");
    let r = http.get("/api.php?m=chat&f=getChatGroups&code=demo", None).await;
    assert_eq!(r.body["result"], "fail");
    let r = http.get("/api.php?m=chat&f=getChatGroups", None).await;
    assert_eq!(r.body, json!({"result": "fail", "message": "missing parameter: code"}));
    // Tampering with the query after signing breaks the signature.
    let token = shared::auth::md5_hex(&(shared::auth::md5_hex("m=chat&f=getChatUsers&code=demo") + "demo-key"));
    let r = http.get(&format!("/api.php?m=chat&f=getChatUsers&code=demo&gid=x&token={token}"), None).await;
    assert_eq!(r.body["result"], "fail");
    let r = http.xuanxuan("GET", "m=chat&f=nothing&code=demo", "demo-key", &[]).await;
    assert_eq!(r.body["result"], "fail");
}
