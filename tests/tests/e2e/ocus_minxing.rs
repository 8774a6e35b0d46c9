//! Minxing ocus (public accounts) and the cross-dialect rules: a Minxing subscription is a
//! Shiku fan; a public account chats with a Minxing user.

use crate::ocus::mp;
use e2e::*;
use serde_json::{json, Value};

fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn mx_subscriptions_directory_and_budgets() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a1 = public_account(&http, "Alpha").await;
    let a2 = public_account(&http, "Beta").await;
    let hidden = public_account(&http, "Hidden").await;
    let u = register(&http, &phone(), "secret1", "Reader").await;
    let other = register(&http, &phone(), "secret1", "Other").await;
    let (tok, _) = minxing_login(&http, &u.phone, "secret1").await;
    mp(&http, &a1, "/mp/home", &[("listed", "1"), ("description", "first")]).await;
    mp(&http, &a2, "/mp/home", &[("listed", "1")]).await;

    // The directory: listed accounts minus mine (unlisted ones never show).
    let r = http.get("/api/v1/ocus/unsubscribed", Some(&tok)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body["items"]), vec![a1.uid, a2.uid]);
    assert_eq!(
        (r.body["items"][0]["name"].clone(), r.body["items"][0]["description"].clone()),
        (json!("Alpha"), json!("first"))
    );
    let n = r.ddb_calls();
    eprintln!("calls unsubscribed: {n}");
    assert!((1..=4).contains(&n), "unsubscribed: {n} calls");
    let r = http.get("/api/v1/ocus/unsubscribed?limit=1", Some(&tok)).await;
    assert_eq!(ids(&r.body["items"]), vec![a1.uid]);
    let next = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/ocus/unsubscribed?limit=1&cursor={next}"), Some(&tok)).await;
    assert_eq!(ids(&r.body["items"]), vec![a2.uid]);

    // Subscribe: 201, again 200; ≤ 3 calls.
    let path = format!("/api/v1/subscriptions/ocus/{}", a1.uid);
    let r = http.json("POST", &path, Some(&tok), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let n = r.ddb_calls();
    eprintln!("calls subscribe: {n}");
    assert!((1..=3).contains(&n), "subscribe: {n} calls");
    let r = http.json("POST", &path, Some(&tok), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = http.json("POST", &format!("/api/v1/subscriptions/ocus/{}", hidden.uid), Some(&tok), json!({})).await;
    assert_eq!(r.status, 201, "an unlisted account can be subscribed by id: {}", r.text);

    let r = http.get("/api/v1/subscriptions/ocus", Some(&tok)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body["items"]), vec![a1.uid, hidden.uid]);
    assert_eq!(
        (r.body["items"][0]["subscribed"].clone(), r.body["items"][0]["description"].clone()),
        (json!(true), json!("first"))
    );
    let n = r.ddb_calls();
    eprintln!("calls subscribed list: {n}");
    assert!((1..=3).contains(&n), "subscribed list: {n} calls");
    let r = http.get("/api/v1/subscriptions/ocus?limit=1", Some(&tok)).await;
    let next = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = http.get(&format!("/api/v1/subscriptions/ocus?limit=1&cursor={next}"), Some(&tok)).await;
    assert_eq!(ids(&r.body["items"]), vec![hidden.uid]);
    let r = http.get("/api/v1/ocus/unsubscribed", Some(&tok)).await;
    assert_eq!(ids(&r.body["items"]), vec![a2.uid]);

    // Subscriptions stay out of the user subscriptions and friend lists.
    let r = http.get("/api/v1/subscriptions/users", Some(&tok)).await;
    assert_eq!(r.body["items"], json!([]), "{}", r.text);

    // A Minxing subscription is a Shiku fan.
    let fans = mp(&http, &a1, "/mp/fans", &[]).await;
    assert_eq!(fans.as_array().unwrap().iter().map(|f| f["userId"].as_i64().unwrap()).collect::<Vec<_>>(), vec![u.uid]);

    // One ocu.
    let r = http.get(&format!("/api/v1/ocus/{}", a1.uid), Some(&tok)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["subscribed"].clone(), r.body["subscriber_count"].clone(), r.body["menus"].clone()),
        (json!(true), json!(1), json!([]))
    );
    assert!(r.body["conversation_id"].as_str().unwrap().starts_with("s_"));
    let ot = other.token.clone();
    let r = http.get(&format!("/api/v1/ocus/{}", a1.uid), Some(&ot)).await;
    assert_eq!(r.body["subscribed"], false);

    // Unsubscribe: 204, then 404.
    let r = http.json("DELETE", &path, Some(&tok), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let n = r.ddb_calls();
    eprintln!("calls unsubscribe: {n}");
    assert!((1..=3).contains(&n), "unsubscribe: {n} calls");
    assert_eq!(http.json("DELETE", &path, Some(&tok), json!({})).await.status, 404);
    assert_eq!(mp(&http, &a1, "/mp/fans", &[]).await, json!([]));

    // Bad input: an ordinary user is not an ocu (404), bad ids (400/404), bad cursors (400).
    for p in [
        format!("/api/v1/subscriptions/ocus/{}", other.uid),
        "/api/v1/subscriptions/ocus/99999999".into(),
        format!("/api/v1/subscriptions/ocus/{}", u.uid),
    ] {
        assert_eq!(http.json("POST", &p, Some(&tok), json!({})).await.status, 404, "{p}");
        assert_eq!(http.json("DELETE", &p, Some(&tok), json!({})).await.status, 404, "{p}");
    }
    assert_eq!(http.json("POST", "/api/v1/subscriptions/ocus/abc", Some(&tok), json!({})).await.status, 400);
    assert_eq!(http.get(&format!("/api/v1/ocus/{}", other.uid), Some(&tok)).await.status, 404);
    assert_eq!(http.get("/api/v1/ocus/abc", Some(&tok)).await.status, 400);
    assert_eq!(http.get("/api/v1/ocus/unsubscribed?cursor=a%23b", Some(&tok)).await.status, 400);
    assert_eq!(http.get("/api/v1/subscriptions/ocus?cursor=%25%25", Some(&tok)).await.status, 400);
    assert_eq!(http.get("/api/v1/subscriptions/ocus?limit=0", Some(&tok)).await.status, 400);
    assert_eq!(http.get("/api/v1/subscriptions/ocus?limit=x", Some(&tok)).await.status, 400);
    assert_eq!(http.get("/api/v1/subscriptions/ocus", None).await.status, 401);
    // A public account does not subscribe.
    let r = http.json("POST", &format!("/api/v1/subscriptions/ocus/{}", a2.uid), Some(&a1.token), json!({})).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

#[tokio::test]
async fn mx_user_chats_with_a_public_account_and_taps_its_menu() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "Desk").await;
    let u = register(&http, &phone(), "secret1", "Mx").await;
    let stranger = register(&http, &phone(), "secret1", "St").await;
    let (tok, _) = minxing_login(&http, &u.phone, "secret1").await;
    let mut ws = Ws::connect(&app, &tok).await.unwrap();

    let t = mp(&http, &acc, "/mp/menu/save", &[("name", "Help")]).await;
    let top = t[0]["id"].as_i64().unwrap().to_string();
    let t = mp(&http, &acc, "/mp/menu/save", &[("name", "Site"), ("parentId", &top), ("url", "https://desk.example")])
        .await;
    let view = t[0]["menuList"][0]["id"].as_i64().unwrap();
    let t = mp(&http, &acc, "/mp/menu/save", &[("name", "Call me"), ("parentId", &top), ("key", "CALL_ME")]).await;
    let click = t[0]["menuList"][1]["id"].as_i64().unwrap();

    let r = http.json("POST", &format!("/api/v1/subscriptions/ocus/{}", acc.uid), Some(&tok), json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let page = http.get(&format!("/api/v1/ocus/{}", acc.uid), Some(&tok)).await;
    let n = page.ddb_calls();
    eprintln!("calls ocu page: {n}");
    assert!((1..=3).contains(&n), "ocu page: {n} calls");
    let menus = &page.body["menus"];
    assert_eq!(
        (menus[0]["type"].clone(), menus[0]["sub_menus"][0]["type"].clone(), menus[0]["sub_menus"][1]["type"].clone()),
        (json!("menu"), json!("view"), json!("click"))
    );
    let cid = page.body["conversation_id"].as_str().unwrap().to_string();

    // The account writes: it arrives in the Minxing user's conversation and over its socket.
    let uid = u.uid.to_string();
    mp(&http, &acc, "/mp/msg/send", &[("toUserId", &uid), ("body", "hello from the desk")]).await;
    let f = ws.next_event("message", WAIT).await.expect("the user receives the account's message live");
    assert_eq!(
        (f["conversationId"].clone(), f["sender"].as_i64(), f["content"].clone()),
        (json!(cid), Some(acc.uid), json!("hello from the desk"))
    );
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&tok)).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The user's answer shows in /mp/msg.
    send_http(&http, &Person { token: tok.clone(), ..u }, &cid, "I need help").await;
    let inbox = mp(&http, &acc, "/mp/msg", &[]).await;
    assert_eq!(inbox[0]["body"], "I need help");

    // Menu actions: view → url; click → an MP:Click message to the account (idempotent per id).
    let r = http.get(&format!("/api/v1/conversations/{cid}/ocu_menus/{view}"), Some(&tok)).await;
    assert_eq!(
        (r.status, r.body["type"].clone(), r.body["url"].clone()),
        (200, json!("view"), json!("https://desk.example"))
    );
    let n = r.ddb_calls();
    eprintln!("calls menu view: {n}");
    assert!((1..=2).contains(&n), "menu view: {n} calls");
    let click_path = format!("/api/v1/conversations/{cid}/ocu_menus/{click}?client_request_id=tap-1");
    let r = http.get(&click_path, Some(&tok)).await;
    assert_eq!(
        (r.status, r.body["type"].clone(), r.body["key"].clone()),
        (200, json!("click"), json!("CALL_ME")),
        "{}",
        r.text
    );
    http.get(&click_path, Some(&tok)).await;
    let inbox = mp(&http, &acc, "/mp/msg", &[]).await;
    assert_eq!(inbox.as_array().unwrap().len(), 2, "one click recorded: {inbox}");
    assert!(inbox[0]["body"].as_str().unwrap().contains("CALL_ME"));

    // Not mine, not a menu, not a 1:1 with an account → 404.
    let st = stranger.token.clone();
    assert_eq!(http.get(&format!("/api/v1/conversations/{cid}/ocu_menus/{view}"), Some(&st)).await.status, 404);
    assert_eq!(http.get(&format!("/api/v1/conversations/{cid}/ocu_menus/999"), Some(&tok)).await.status, 404);
    assert_eq!(http.get(&format!("/api/v1/conversations/{cid}/ocu_menus/abc"), Some(&tok)).await.status, 404);
    let plain = format!("s_{}_{}", u.uid.min(stranger.uid), u.uid.max(stranger.uid));
    assert_eq!(http.get(&format!("/api/v1/conversations/{plain}/ocu_menus/{view}"), Some(&tok)).await.status, 404);
    assert_eq!(http.get(&format!("/api/v1/conversations/{cid}/ocu_menus/{top}"), Some(&tok)).await.status, 400);
    ws.close().await;
}
