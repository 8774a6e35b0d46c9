use e2e::*;
use serde_json::{json, Value};

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

fn xx_data(v: Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn xuanxuan_notify_msg_to_groups_and_users() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let off = register(&http, &phone(), "secret1", "Off").await;
    let gid = group(&http, &a, &[&b], "研发部").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let q = "m=chat&f=notifyMSG&code=demo";
    let post = |v: Value| {
        let data = xx_data(v);
        let http = &http;
        async move { http.xuanxuan("POST", q, "demo-key", &[("data", &data)]).await }
    };

    let card = json!({"receiver": "group", "gid": gid, "title": "测试通知消息", "subTitle": "副标题", "content": "**测试消息**内容",
        "contentType": "text", "url": "http://xuan.im",
        "actions": [{"type": "danger", "label": "更新日志", "url": "https://xuan.im/page/changelogs.html"}],
        "sender": {"avatar": "https://avatars2.githubusercontent.com/u/472425", "name": "Catouse", "id": "catouse"}});
    let r = post(card).await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    let f = wb.next_event("message", WAIT).await.expect("group members get the notification as a message");
    assert_eq!(
        (f["type"].clone(), f["objectName"].clone(), f["sender"].as_i64()),
        (json!(10), json!("XX:Notify"), Some(10000))
    );
    let content: Value = serde_json::from_str(f["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        (content["title"].clone(), content["subtitle"].clone(), content["actions"][0]["label"].clone()),
        (json!("测试通知消息"), json!("副标题"), json!("更新日志"))
    );
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &a.token), ("roomId", &gid)]).await;
    assert_eq!(r.shiku_ok()[0]["type"], 10);

    // To users: a notify frame on live sockets, a push job for the offline one.
    let r = post(json!({"receiver": "users", "userList": [b.uid, off.uid.to_string()], "title": "Build done", "content": "all green", "contentType": "plain"})).await;
    assert_eq!(r.body["result"], "success", "{}", r.text);
    let f = wb.next_event("notify", WAIT).await.expect("notify frame");
    assert_eq!(
        (f["title"].clone(), f["content"].clone(), f["contentType"].clone()),
        (json!("Build done"), json!("all green"), json!("plain"))
    );
    let j = wait_jobs(&app, off.uid, 1).await;
    assert_eq!((j[0].kind.as_str(), j[0].title.as_str(), j[0].body.as_str()), ("notify", "Build done", "all green"));
    assert!(jobs(&app, b.uid).await.is_empty());

    // Every validation error, with a message naming the field.
    let base = || json!({"receiver": "group", "gid": gid, "title": "T", "contentType": "text"});
    let with = |k: &str, v: Value| {
        let mut o = base();
        o[k] = v;
        o
    };
    let without = |k: &str| {
        let mut o = base();
        o.as_object_mut().unwrap().remove(k);
        o
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("receiver"), "receiver"),
        (with("receiver", json!("everyone")), "receiver"),
        (without("gid"), "gid"),
        (with("gid", json!("nope")), "group nope not found"),
        (json!({"receiver": "users", "title": "T", "contentType": "text"}), "userList"),
        (json!({"receiver": "users", "userList": [], "title": "T", "contentType": "text"}), "userList"),
        (json!({"receiver": "users", "userList": ["x"], "title": "T", "contentType": "text"}), "userList"),
        (without("title"), "title"),
        (with("title", json!(7)), "title"),
        (without("contentType"), "contentType"),
        (with("contentType", json!("html")), "contentType"),
        (with("url", json!("javascript:alert(1)")), "url"),
        (with("subtitle", json!(["x"])), "subtitle"),
        (with("content", json!({"x": 1})), "content"),
        (with("actions", json!({"label": "x"})), "actions"),
        (with("actions", json!([{"url": "https://x.im"}])), "actions[0].label"),
        (with("actions", json!([{"label": "L"}])), "actions[0].url"),
        (with("actions", json!([{"label": "L", "url": "https://x.im", "type": "huge"}])), "actions[0].type"),
        (with("sender", json!("me")), "sender"),
        (with("sender", json!({"avatar": "https://x.im/a.png"})), "sender.id"),
        (with("sender", json!({"id": "bot"})), "sender.avatar"),
    ];
    for (body, needle) in cases {
        let r = post(body.clone()).await;
        assert_eq!(r.body["result"], "fail", "{body}: {}", r.text);
        assert!(r.body["message"].as_str().unwrap_or_default().contains(needle), "{body}: {}", r.text);
    }
    let r = http.xuanxuan("POST", q, "demo-key", &[]).await;
    assert!(r.body["message"].as_str().unwrap().contains("data"), "{}", r.text);
    let r = http.xuanxuan("POST", q, "demo-key", &[("data", "{not json")]).await;
    assert_eq!(r.body["result"], "fail");
    let r = http.xuanxuan("POST", q, "wrong-key", &[("data", &xx_data(base()))]).await;
    assert_eq!(r.body["result"], "fail", "signature still checked");
    assert!(wb.next_event("message", QUIET).await.is_none(), "no failed call delivered anything");
    wb.close().await;
}
