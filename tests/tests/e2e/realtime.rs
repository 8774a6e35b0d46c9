//! The `realtime` function's WebSocket protocol: recall, typing, read and multi-conversation
//! sync frames (helpers `ack`, `next_where`, `group`, `send_http`: tests/src/lib.rs).

use e2e::*;
use serde_json::json;

#[tokio::test]
async fn recall_reaches_sockets_and_leaves_tombstones() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();

    wa.send(json!({"action": "send", "to": b.uid, "content": "oops", "messageId": "r-1"})).await;
    let sent = ack(&mut wa).await;
    let cid = sent["conversationId"].as_str().unwrap().to_string();
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "oops");

    // Not the sender (and a 1:1 chat has no admins): refused, nothing changes.
    wb.send(json!({"action": "recall", "conversationId": cid, "seq": 1})).await;
    assert_eq!(wb.next_event("error", WAIT).await.unwrap()["code"], 403);
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    wc.send(json!({"action": "recall", "conversationId": cid, "seq": 1})).await;
    assert_eq!(wc.next_event("error", WAIT).await.unwrap()["code"], 404, "outsiders see no conversation");
    wa.send(json!({"action": "recall", "conversationId": cid})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 400);
    wa.send(json!({"action": "recall", "conversationId": cid, "seq": 99})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 404);

    wa.send(json!({"action": "recall", "conversationId": cid, "messageId": "r-1"})).await;
    let r = ack(&mut wa).await;
    assert_eq!((r["action"].clone(), r["seq"].clone()), (json!("recall"), json!(1)));
    for ws in [&mut wa, &mut wb] {
        let f = ws.next_event("recall", WAIT).await.expect("recall event on every member's socket");
        assert_eq!(f, json!({"event": "recall", "conversationId": cid, "seq": 1, "messageId": "r-1"}));
    }
    // Recalling again changes nothing (and is not pushed again).
    wa.send(json!({"action": "recall", "conversationId": cid, "seq": 1})).await;
    ack(&mut wa).await;
    assert!(wb.next_event("recall", QUIET).await.is_none());

    // Every history shows the tombstone.
    wb.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    let s = wb.next_event("sync", WAIT).await.unwrap();
    assert_eq!((s["messages"][0]["recalled"].clone(), s["messages"][0]["content"].clone()), (json!(true), json!("")));
    let r = http.shiku("/tigase/shiku_msgs", &[("access_token", &b.token), ("receiver", &a.uid.to_string())]).await;
    let d = r.shiku_ok();
    assert_eq!((d[0]["isRecall"].clone(), d[0]["body"].clone()), (json!(1), json!("")));
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&b.token)).await;
    assert_eq!(
        (r.body["messages"][0]["recalled"].clone(), r.body["messages"][0]["body"].clone()),
        (json!(true), json!(""))
    );
    assert_eq!(r.body["last_message"]["body"], "[recalled]");

    // Rooms: a member cannot recall another's message, the owner can.
    let gid = group(&http, &a, &[&b, &c], "g").await;
    wb.send(json!({"action": "send", "conversationId": gid, "content": "from B"})).await;
    let seq = ack(&mut wb).await["seq"].clone();
    wc.send(json!({"action": "recall", "conversationId": gid, "seq": seq})).await;
    assert_eq!(wc.next_event("error", WAIT).await.unwrap()["code"], 403);
    wa.send(json!({"action": "recall", "conversationId": gid, "seq": seq})).await;
    ack(&mut wa).await;
    let f = wc.next_event("recall", WAIT).await.unwrap();
    assert_eq!((f["conversationId"].clone(), f["seq"].clone()), (json!(gid), seq));
    wa.close().await;
    wb.close().await;
    wc.close().await;
}

#[tokio::test]
async fn typing_and_read_events() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    wa.send(json!({"action": "send", "to": b.uid, "content": "hi"})).await;
    let cid = ack(&mut wa).await["conversationId"].as_str().unwrap().to_string();

    wa.send(json!({"action": "typing", "conversationId": cid})).await;
    let t = wb.next_event("typing", WAIT).await.expect("peer sees typing");
    assert_eq!(
        (t["conversationId"].clone(), t["uid"].as_i64(), t["typing"].clone()),
        (json!(cid), Some(a.uid), json!(true))
    );
    wa.send(json!({"action": "typing", "conversationId": cid, "typing": false})).await;
    assert_eq!(wb.next_event("typing", WAIT).await.unwrap()["typing"], false);
    assert!(wa.next_event("typing", QUIET).await.is_none(), "not echoed to the typist");
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    wc.send(json!({"action": "typing", "conversationId": cid})).await;
    assert_eq!(wc.next_event("error", WAIT).await.unwrap()["code"], 404);

    // 1:1 read receipts go to the other side, only when the pointer moves.
    wb.send(json!({"action": "read", "conversationId": cid, "seq": 1})).await;
    assert_eq!(ack(&mut wb).await["action"], "read");
    let r = wa.next_event("read", WAIT).await.expect("sender learns it was read");
    assert_eq!(r, json!({"event": "read", "conversationId": cid, "uid": b.uid, "seq": 1}));
    wb.send(json!({"action": "read", "conversationId": cid, "seq": 1})).await;
    ack(&mut wb).await;
    assert!(wa.next_event("read", QUIET).await.is_none(), "no move, no event");

    // Rooms only with showRead (off by default).
    let gid = group(&http, &a, &[&b, &c], "g").await;
    send_http(&http, &a, &gid, "x").await;
    wb.send(json!({"action": "read", "conversationId": gid, "seq": 1})).await;
    ack(&mut wb).await;
    assert!(wa.next_event("read", QUIET).await.is_none(), "room without showRead");
    let r = http.shiku("/room/update", &[("access_token", &a.token), ("roomId", &gid), ("showRead", "1")]).await;
    r.shiku_ok();
    wc.send(json!({"action": "read", "conversationId": gid, "seq": 1})).await;
    ack(&mut wc).await;
    let r = wa.next_event("read", WAIT).await.expect("showRead room pushes receipts");
    assert_eq!((r["uid"].as_i64(), r["conversationId"].clone()), (Some(c.uid), json!(gid)));
    wa.close().await;
    wb.close().await;
    wc.close().await;
}

#[tokio::test]
async fn sync_many_conversations_in_one_frame() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let single = r.body["id"].as_str().unwrap().to_string();
    let gid = group(&http, &b, &[&a], "g").await;
    for i in 1..=3 {
        send_http(&http, &b, &single, &format!("s{i}")).await;
    }
    send_http(&http, &b, &gid, "g1").await;
    let foreign = group(&http, &b, &[&c], "not A's").await;

    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let conversations = json!({single.clone(): 1, gid.clone(): 0, foreign.clone(): 0});
    wa.send(json!({"action": "sync", "conversations": conversations, "limit": 1})).await;
    let mut frames = vec![];
    loop {
        let f = next_where(&mut wa, |f| f["event"] != "message").await;
        if f["event"] == "ack" {
            assert_eq!((f["action"].clone(), f["conversations"].clone()), (json!("sync"), json!(3)));
            break;
        }
        frames.push(f);
    }
    assert_eq!(frames.len(), 3, "one frame per conversation: {frames:?}");
    let by = |cid: &str| frames.iter().find(|f| f["conversationId"] == cid).unwrap().clone();
    let s = by(&single);
    assert_eq!(
        (s["event"].clone(), s["messages"][0]["content"].clone(), s["hasMore"].clone()),
        (json!("sync"), json!("s2"), json!(true))
    );
    let g = by(&gid);
    assert_eq!((g["messages"][0]["content"].clone(), g["hasMore"].clone()), (json!("g1"), json!(false)));
    assert_eq!((by(&foreign)["event"].clone(), by(&foreign)["code"].clone()), (json!("error"), json!(404)));
    // Paging on: continue the one with more.
    wa.send(json!({"action": "sync", "conversations": {single.clone(): s["nextSeq"].clone()}, "limit": 5})).await;
    let s = wa.next_event("sync", WAIT).await.unwrap();
    assert_eq!((s["messages"][0]["content"].clone(), s["hasMore"].clone()), (json!("s3"), json!(false)));
    ack(&mut wa).await;
    wa.send(json!({"action": "sync", "conversations": [single]})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 400);
    wa.send(json!({"action": "sync", "conversations": {gid: -1}})).await;
    assert_eq!(wa.next_event("error", WAIT).await.unwrap()["code"], 400);
    wa.close().await;
}
