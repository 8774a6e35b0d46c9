use e2e::*;
use serde_json::json;
use shared::store::connections;
use std::time::Duration;

/// The realtime proof: Minxing A → B's socket (table → stream → delivery →
/// @connections), and B reads the same message through Shiku.
#[tokio::test]
async fn minxing_send_reaches_socket_and_shiku_history() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let mut ws_b = Ws::connect(&app, &b.token).await.expect("B connects with a Shiku token");
    let (a_tok, _) = minxing_login(&http, &a.phone, "secret1").await;

    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a_tok), json!({})).await;
    assert_eq!(r.status, 201, "created: {}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();
    let again = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a_tok), json!({})).await;
    assert_eq!(again.body["id"], cid.as_str(), "one 1:1 conversation per pair");
    assert_eq!(again.status, 200, "existed: {}", again.text);

    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a_tok), json!({"body": "hello B"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.body["seq"].clone(), r.body["sender_id"].as_i64()), (json!(1), Some(a.uid)));

    let f = ws_b.next_event("message", WAIT).await.expect("B receives the message live");
    assert_eq!(f["conversationId"], cid.as_str());
    assert_eq!(
        (f["seq"].clone(), f["sender"].as_i64(), f["content"].clone()),
        (json!(1), Some(a.uid), json!("hello B"))
    );

    let r = http.shiku("/tigase/shiku_msgs", &[("access_token", &b.token), ("receiver", &a.uid.to_string())]).await;
    let list = r.shiku_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["body"].clone(), list[0]["sender"].as_i64(), list[0]["receiver"].as_i64()),
        (json!("hello B"), Some(a.uid), Some(b.uid))
    );
    let mid = list[0]["messageId"].as_str().unwrap().to_string();
    let r = http.shiku("/tigase/getMessage", &[("access_token", &b.token), ("messageId", &mid)]).await;
    assert_eq!(r.shiku_ok()["body"], "hello B");

    // Unread from read pointers: B has one unread until it marks it seen.
    let (b_tok, _) = minxing_login(&http, &b.phone, "secret1").await;
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&b_tok)).await;
    assert_eq!(r.body["items"][0]["unread_count"], 1, "{}", r.text);
    let r = http.json("POST", "/api/v1/conversations2/mark_seen", Some(&b_tok), json!({"conversation_id": cid})).await;
    assert_eq!(r.status, 204);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&b_tok)).await;
    assert_eq!(r.body["items"][0]["unread_count"], 0);
    let r = http.shiku("/tigase/getLastChatList", &[("access_token", &a.token)]).await;
    assert_eq!(r.shiku_ok()[0]["content"], "hello B");
    ws_b.close().await;
}

#[tokio::test]
async fn outsiders_cannot_read_or_write_a_conversation() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "private"}))
        .await;

    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&c.token), json!({"body": "intrude"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&c.token)).await;
    assert_eq!(r.status, 404);
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&a.token)).await;
    assert_eq!((r.status, r.body["messages"][0]["body"].clone()), (200, json!("private")));
    let r =
        http.json("POST", "/api/v1/conversations2/mark_seen", Some(&c.token), json!({"conversation_id": cid})).await;
    assert_eq!(r.status, 404);
    let r = http.shiku("/tigase/shiku_msgs", &[("access_token", &c.token), ("receiver", &a.uid.to_string())]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 0, "C's own (empty) chat with A, not A-B");
    let r = http.shiku("/tigase/getMessage", &[("access_token", &c.token), ("messageId", "nope")]).await;
    assert_eq!(r.shiku_code(), 1010104);

    // Bad input.
    let r = http.json("POST", "/api/v1/conversations2/to_user/abc", Some(&a.token), json!({})).await;
    assert_eq!(r.status, 400);
    let r = http.json("POST", "/api/v1/conversations2/to_user/99999999999", Some(&a.token), json!({})).await;
    assert_eq!(r.status, 404);
    let r = http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({})).await;
    assert_eq!(r.status, 400);
    let r = http
        .json(
            "POST",
            &format!("/api/v1/conversations2/{cid}/messages"),
            Some(&a.token),
            json!({"body": "x".repeat(70_000)}),
        )
        .await;
    assert_eq!(r.status, 400);
    // An id that is not one (URL clients collapse `%2E%2E` to `..` themselves, which lands on
    // `POST /api/v1/messages`, the feed: so an encoded slash instead).
    let r = http.json("POST", "/api/v1/conversations2/a%2Fb/messages", Some(&a.token), json!({"body": "x"})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), None, json!({"body": "x"})).await;
    assert_eq!(r.status, 401);
    let r = http.shiku("/tigase/shiku_msgs", &[("access_token", &a.token), ("receiver", "x")]).await;
    assert_eq!(r.shiku_code(), 1010101);
}

#[tokio::test]
async fn websocket_protocol_send_ack_dedupe_sync() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    assert_eq!(Ws::connect(&app, "").await.err().as_deref(), Some("http 401"));
    assert_eq!(Ws::connect(&app, &"f".repeat(32)).await.err().as_deref(), Some("http 401"));

    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    wa.send(json!({"action": "ping"})).await;
    assert!(wa.next_event("pong", WAIT).await.is_some());
    wa.send(json!({"action": "nope"})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 400);
    wa.send(json!({"no": "action"})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 400);

    let frame = json!({"action": "send", "to": b.uid, "content": "hi", "messageId": "c-1"});
    wa.send(frame.clone()).await;
    let ack = wa.next_event("ack", WAIT).await.unwrap();
    assert_eq!(
        (ack["seq"].clone(), ack["messageId"].clone(), ack["duplicate"].clone()),
        (json!(1), json!("c-1"), json!(false))
    );
    let cid = ack["conversationId"].as_str().unwrap().to_string();
    wa.send(frame).await;
    let ack2 = wa.next_event("ack", WAIT).await.unwrap();
    assert_eq!((ack2["seq"].clone(), ack2["duplicate"].clone()), (json!(1), json!(true)), "resend stores nothing new");
    wa.send(json!({"action": "send", "conversationId": cid, "content": "second"})).await;
    assert_eq!(wa.next_event("ack", WAIT).await.unwrap()["seq"], 2);

    let m1 = wb.next_event("message", WAIT).await.unwrap();
    let m2 = wb.next_event("message", WAIT).await.unwrap();
    assert_eq!((m1["seq"].clone(), m2["seq"].clone()), (json!(1), json!(2)));
    assert!(wb.next_event("message", Duration::from_millis(600)).await.is_none(), "duplicate was not delivered");

    // A reconnecting client syncs exactly what it missed, paged.
    wb.send(json!({"action": "sync", "conversationId": cid, "seq": 0, "limit": 1})).await;
    let s = wb.next_event("sync", WAIT).await.unwrap();
    assert_eq!((s["messages"].as_array().unwrap().len(), s["hasMore"].clone()), (1, json!(true)));
    wb.send(json!({"action": "sync", "conversationId": cid, "seq": 1, "limit": 10})).await;
    let s = wb.next_event("sync", WAIT).await.unwrap();
    assert_eq!((s["messages"][0]["content"].clone(), s["hasMore"].clone()), (json!("second"), json!(false)));
    let c = register(&http, &phone(), "secret1", "C").await;
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    wc.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    assert_eq!(wc.next_event("error", WAIT).await.unwrap()["code"], 404, "non-members cannot sync");
    wc.send(json!({"action": "send", "conversationId": cid, "content": "x"})).await;
    assert_eq!(wc.next_event("error", WAIT).await.unwrap()["code"], 404);
    wa.close().await;
    wb.close().await;
    wc.close().await;
}

#[tokio::test]
async fn stale_connections_are_removed_on_410() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    // A connection record whose socket is long gone (the gateway answers 410), made a minute
    // ago (younger ones may still be inside `$connect` and are kept).
    let now = shared::clock::Clock::now_secs(&shared::clock::SystemClock) - 60;
    connections::connect(&app.ctx.db, now, "GoneGoneGone0000", shared::UserId(b.uid)).await.unwrap();
    assert_eq!(
        connections::of_users(&app.ctx.db, &[shared::UserId(b.uid)]).await.unwrap()[&shared::UserId(b.uid)].len(),
        2
    );

    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "x"})).await;
    assert!(wb.next_event("message", WAIT).await.is_some(), "live socket still gets it");
    let mut left = 2;
    for _ in 0..50 {
        left =
            connections::of_users(&app.ctx.db, &[shared::UserId(b.uid)]).await.unwrap()[&shared::UserId(b.uid)].len();
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 1, "the stale connection was deleted");
    wb.close().await;
    // Disconnect removes the last one.
    for _ in 0..50 {
        if !connections::is_online(&app.ctx.db, shared::UserId(b.uid)).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("B still online after closing its socket");
}

#[tokio::test]
async fn group_conversation_reaches_every_member() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    let r = http
        .json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid, c.uid], "name": "team"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();
    let r =
        http.json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": [b.uid, 99999999999i64]})).await;
    assert_eq!(r.status, 404);
    let r = http.json("POST", "/api/v1/conversations2", Some(&a.token), json!({"user_ids": []})).await;
    assert_eq!(r.status, 400);
    http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "all hands"}))
        .await;
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "all hands");
    assert_eq!(wc.next_event("message", WAIT).await.unwrap()["content"], "all hands");
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &c.token), ("roomId", &cid)]).await;
    assert_eq!(r.shiku_ok()[0]["body"], "all hands");
    let outsider = register(&http, &phone(), "secret1", "D").await;
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &outsider.token), ("roomId", &cid)]).await;
    assert_eq!(r.shiku_code(), 1010104);
    wb.close().await;
    wc.close().await;
}
