//! Issue #11, Xuanxuan fidelity (seed 003, chat/notifyMSG): requests the seed allows.

use e2e::*;
use serde_json::{json, Value};

const Q: &str = "m=chat&f=notifyMSG&code=demo";

async fn notify(http: &Http, v: Value) -> Resp {
    http.xuanxuan("POST", Q, "demo-key", &[("data", &v.to_string())]).await
}

#[tokio::test]
async fn content_keeps_its_markdown_whitespace() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let gid = group(&http, &a, &[&b], "G").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    // Markdown: a leading indent is a code block, a trailing double space a line break.
    let content = "    let x = 1;\nline one  \nline two\n";
    let r = notify(
        &http,
        json!({"receiver": "users", "userList": [b.uid], "title": "T", "content": content, "contentType": "text"}),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    let f = wb.next_event("notify", WAIT).await.expect("notify frame");
    assert_eq!(f["content"], content);
    let r = notify(
        &http,
        json!({"receiver": "group", "gid": gid, "title": "T", "content": content, "contentType": "text"}),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    let f = wb.next_event("message", WAIT).await.expect("group message");
    let card: Value = serde_json::from_str(f["content"].as_str().unwrap()).unwrap();
    assert_eq!(card["content"], content);
    // Blank required fields are still missing.
    let r = notify(&http, json!({"receiver": "group", "gid": gid, "title": "  ", "contentType": "text"})).await;
    assert!(r.body["message"].as_str().unwrap_or_default().contains("title"), "{}", r.text);
    wb.close().await;
}

#[tokio::test]
async fn unknown_user_ids_are_skipped_and_the_known_ones_notified() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let b = register(&http, &phone(), "secret1", "B").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let r = notify(&http, json!({"receiver": "users", "userList": [99999999999i64, b.uid, "88888888"], "title": "Hi", "contentType": "plain"})).await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    let f = wb.next_event("notify", WAIT).await.expect("the known id is notified");
    assert_eq!(f["title"], "Hi");
    // Nobody known: nothing to deliver, still a success (the seed's success carries no data).
    let r = notify(
        &http,
        json!({"receiver": "users", "userList": [99999999999i64], "title": "Hi", "contentType": "plain"}),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    // Ids are still numeric account ids.
    let r = notify(&http, json!({"receiver": "users", "userList": ["x"], "title": "Hi", "contentType": "plain"})).await;
    assert_eq!(r.body["result"], "fail", "{}", r.text);
    wb.close().await;
}

#[tokio::test]
async fn sender_id_is_limited_in_characters_like_the_other_fields() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let b = register(&http, &phone(), "secret1", "B").await;
    let card = |id: String| {
        json!({"receiver": "users", "userList": [b.uid], "title": "T", "contentType": "plain",
            "sender": {"id": id, "avatar": "https://a.im/x.png"}})
    };
    // 64 CJK characters = 192 bytes: within the 64-character limit.
    let r = notify(&http, card("测".repeat(64))).await;
    assert_eq!(r.body, json!({"result": "success"}), "{}", r.text);
    let r = notify(&http, card("测".repeat(65))).await;
    assert_eq!(r.body["result"], "fail", "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("sender.id"), "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("64 characters"), "{}", r.text);
}
