//! Realtime protocol (recall, typing, read, multi-conversation sync), Shiku /tigase/*,
//! Minxing conversation membership, SealTalk misc messaging, Xuanxuan notifyMSG, offline
//! push jobs.

use e2e::*;
use serde_json::{json, Value};
use shared::store::pushes;
use shared::UserId;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(700);

/// The next ack (live message frames may come first).
async fn ack(ws: &mut Ws) -> Value {
    ws.next_event("ack", WAIT).await.expect("an ack")
}

/// The next frame matching `pred` (others skipped).
async fn next_where(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = ws.next(left).await.expect("the expected frame");
        if pred(&f) {
            return f;
        }
    }
}

async fn group(http: &Http, owner: &Person, members: &[&Person], name: &str) -> String {
    let ids: Vec<i64> = members.iter().map(|p| p.uid).collect();
    let r =
        http.json("POST", "/api/v1/conversations2", Some(&owner.token), json!({"user_ids": ids, "name": name})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn send_http(http: &Http, p: &Person, cid: &str, body: &str) -> Value {
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&p.token), json!({"body": body}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn jobs(app: &TestApp, uid: i64) -> Vec<pushes::PushJob> {
    pushes::list(&app.ctx.db, UserId(uid), shared::clock::Clock::now_secs(&shared::clock::SystemClock), 100)
        .await
        .unwrap()
}

/// Push jobs of `uid` once there are at least `n` (delivery runs behind the stream).
async fn wait_jobs(app: &TestApp, uid: i64, n: usize) -> Vec<pushes::PushJob> {
    for _ in 0..100 {
        let j = jobs(app, uid).await;
        if j.len() >= n {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no push job for {uid}");
}

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

#[tokio::test]
async fn delete_msg_own_copy_and_recall_for_everyone() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    let m1 = send_http(&http, &a, &cid, "one").await["id"].as_str().unwrap().to_string();
    let m2 = send_http(&http, &a, &cid, "two").await["id"].as_str().unwrap().to_string();
    let history = |p: &Person, other: &Person| {
        let (t, o) = (p.token.clone(), other.uid.to_string());
        let http = &http;
        async move {
            let r = http.shiku("/tigase/shiku_msgs", &[("access_token", &t), ("receiver", &o)]).await;
            r.shiku_ok().as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };

    // B deletes its copy of "one": gone for B in every history, still there for A.
    let r = http
        .shiku("/tigase/deleteMsg", &[("access_token", &b.token), ("type", "1"), ("delete", "1"), ("messageId", &m1)])
        .await;
    r.shiku_ok();
    assert_eq!(history(&b, &a).await, vec!["two"]);
    assert_eq!(history(&a, &b).await, vec!["two", "one"]);
    let r = http.get(&format!("/api/v1/conversations2/{cid}"), Some(&b.token)).await;
    assert_eq!(r.body["messages"].as_array().unwrap().len(), 1);
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    wb.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    let s = wb.next_event("sync", WAIT).await.unwrap();
    assert_eq!((s["messages"].as_array().unwrap().len(), s["nextSeq"].clone()), (1, json!(2)));

    // Recall for everyone: only the sender.
    let r = http
        .shiku("/tigase/deleteMsg", &[("access_token", &b.token), ("type", "1"), ("delete", "2"), ("messageId", &m2)])
        .await;
    assert_eq!(r.shiku_code(), 1030103);
    let r = http
        .shiku("/tigase/deleteMsg", &[("access_token", &a.token), ("type", "1"), ("delete", "2"), ("messageId", &m2)])
        .await;
    r.shiku_ok();
    assert_eq!(wb.next_event("recall", WAIT).await.unwrap()["messageId"], m2.as_str());
    assert_eq!(history(&b, &a).await, vec![""]);
    let r = http.shiku("/tigase/getMessage", &[("access_token", &a.token), ("messageId", &m2)]).await;
    assert_eq!(r.shiku_ok()["isRecall"], 1);

    // Bad input.
    let c = register(&http, &phone(), "secret1", "C").await;
    for (tok, form, code) in [
        (&c.token, vec![("type", "1"), ("delete", "1"), ("messageId", m1.as_str())], 1010104),
        (&a.token, vec![("type", "2"), ("delete", "1"), ("messageId", m1.as_str())], 1010101),
        (&a.token, vec![("type", "1"), ("delete", "3"), ("messageId", m1.as_str())], 1010101),
        (&a.token, vec![("type", "1"), ("delete", "1"), ("messageId", "nope")], 1010104),
        (&a.token, vec![("type", "1"), ("delete", "1")], 1010102),
        (&a.token, vec![("delete", "1"), ("messageId", m1.as_str())], 1010102),
    ] {
        let mut f = vec![("access_token", tok.as_str())];
        f.extend(form.iter().copied());
        assert_eq!(http.shiku("/tigase/deleteMsg", &f).await.shiku_code(), code, "{form:?}");
    }
    // Nothing half-done: one good id and one unknown id change nothing.
    let list = format!("{m1},nope");
    let r = http
        .shiku("/tigase/deleteMsg", &[("access_token", &a.token), ("type", "1"), ("delete", "1"), ("messageId", &list)])
        .await;
    assert_eq!(r.shiku_code(), 1010104);
    assert_eq!(history(&a, &b).await, vec!["", "one"]);
    wb.close().await;
}

#[tokio::test]
async fn push_jobs_only_for_offline_members_without_dnd() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let online = register(&http, &phone(), "secret1", "Online").await;
    let offline = register(&http, &phone(), "secret1", "Offline").await;
    let dnd = register(&http, &phone(), "secret1", "GlobalDnd").await;
    let peer_dnd = register(&http, &phone(), "secret1", "PeerDnd").await;
    let room_dnd = register(&http, &phone(), "secret1", "RoomDnd").await;
    let offline2 = register(&http, &phone(), "secret1", "Offline2").await;
    let mut wo = Ws::connect(&app, &online.token).await.unwrap();
    let r = http.shiku("/user/settings/update", &[("access_token", &dnd.token), ("offlineNoPushMsg", "1")]).await;
    r.shiku_ok();

    let gid = group(&http, &a, &[&online, &offline, &dnd, &room_dnd, &offline2], "team").await;
    let r = http
        .shiku(
            "/room/member/setOfflineNoPushMsg",
            &[("access_token", &room_dnd.token), ("roomId", &gid), ("offlineNoPushMsg", "1")],
        )
        .await;
    r.shiku_ok();
    send_http(&http, &a, &gid, "meeting at 3").await;
    assert!(wo.next_event("message", WAIT).await.is_some());
    let j = wait_jobs(&app, offline.uid, 1).await;
    assert_eq!(j.len(), 1);
    assert_eq!(
        (j[0].kind.as_str(), j[0].body.as_str(), j[0].from, j[0].conversation_id.as_deref(), j[0].seq),
        ("message", "meeting at 3", Some(UserId(a.uid)), Some(gid.as_str()), Some(1))
    );
    // One job for the message, every offline member as its audience.
    let mut audience = j[0].to.clone();
    audience.sort();
    let mut want = vec![UserId(offline.uid), UserId(offline2.uid)];
    want.sort();
    assert_eq!(audience, want);
    assert_eq!(jobs(&app, offline2.uid).await.iter().map(|j| j.id.clone()).collect::<Vec<_>>(), vec![j[0].id.clone()]);
    assert!(jobs(&app, online.uid).await.is_empty(), "online members get the socket frame only");
    assert!(jobs(&app, dnd.uid).await.is_empty(), "global DND");
    assert!(jobs(&app, a.uid).await.is_empty(), "not the sender");
    assert!(jobs(&app, room_dnd.uid).await.is_empty(), "room DND (member flag)");

    // 1:1 DND for one contact (relation flag): that contact's messages make no job.
    let r = http
        .shiku("/friends/attention/add", &[("access_token", &peer_dnd.token), ("toUserId", &a.uid.to_string())])
        .await;
    r.shiku_ok();
    let r = http
        .shiku(
            "/friends/update/OfflineNoPushMsg",
            &[
                ("access_token", &peer_dnd.token),
                ("toUserId", &a.uid.to_string()),
                ("offlineNoPushMsg", "1"),
                ("type", "0"),
            ],
        )
        .await;
    r.shiku_ok();
    let r =
        http.json("POST", &format!("/api/v1/conversations2/to_user/{}", peer_dnd.uid), Some(&a.token), json!({})).await;
    send_http(&http, &a, r.body["id"].as_str().unwrap(), "muted").await;
    let r =
        http.json("POST", &format!("/api/v1/conversations2/to_user/{}", offline.uid), Some(&a.token), json!({})).await;
    send_http(&http, &a, r.body["id"].as_str().unwrap(), "direct").await;
    let j = wait_jobs(&app, offline.uid, 2).await;
    assert_eq!(j[0].body, "direct", "newest first");
    assert!(jobs(&app, peer_dnd.uid).await.is_empty(), "per-contact DND");

    // Shiku /tigase/notify, /push, /baiduPush: jobs only for recipients without a socket.
    let (sa, so, soff) = (a.uid.to_string(), online.uid.to_string(), offline.uid.to_string());
    let r =
        http.shiku("/tigase/notify", &[("access_token", &a.token), ("from", &sa), ("to", &so), ("body", "x")]).await;
    r.shiku_ok();
    let r = http
        .shiku("/tigase/notify", &[("access_token", &a.token), ("from", &sa), ("to", &soff), ("body", "ping")])
        .await;
    r.shiku_ok();
    let text = format!("[{so},{soff}]");
    http.shiku("/tigase/push", &[("access_token", &a.token), ("text", &text), ("body", "broadcast")]).await.shiku_ok();
    http.shiku("/tigase/baiduPush", &[("access_token", &a.token), ("from", &sa), ("to", &soff), ("type", "2")])
        .await
        .shiku_ok();
    let j = jobs(&app, offline.uid).await;
    let kinds: Vec<(&str, &str)> = j.iter().take(3).map(|j| (j.kind.as_str(), j.body.as_str())).collect();
    assert_eq!(kinds, vec![("baidu", "[image]"), ("push", "broadcast"), ("notify", "ping")]);
    assert!(jobs(&app, online.uid).await.is_empty());
    let r =
        http.shiku("/tigase/notify", &[("access_token", &a.token), ("to", &soff), ("body", "x"), ("from", &so)]).await;
    assert_eq!(r.shiku_code(), 1030103, "from must be the caller");
    let r = http.shiku("/tigase/push", &[("access_token", &a.token), ("text", "nope"), ("body", "x")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/tigase/push", &[("access_token", &a.token), ("text", "[99999999999]"), ("body", "x")]).await;
    assert_eq!(r.shiku_code(), 1010104);
    let r = http.shiku("/tigase/notify", &[("access_token", &a.token), ("to", &soff)]).await;
    assert_eq!(r.shiku_code(), 1010102);
    wo.close().await;
}

#[tokio::test]
async fn encrypt_decrypt_online_state_and_courses() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let t = a.token.as_str();
    let r = http.shiku("/tigase/encrypt", &[("access_token", t), ("text", "机密 secret"), ("key", "k-1")]).await;
    let enc = r.shiku_ok()["text"].as_str().unwrap().to_string();
    assert!(!enc.contains("secret"));
    let r = http.shiku("/tigase/decrypt", &[("access_token", t), ("text", &enc), ("key", "k-1")]).await;
    assert_eq!(r.shiku_ok()["text"], "机密 secret");
    let r = http.shiku("/tigase/decrypt", &[("access_token", t), ("text", &enc), ("key", "k-2")]).await;
    assert_eq!(r.shiku_code(), 1010101, "wrong key");
    let r = http.shiku("/tigase/decrypt", &[("access_token", t), ("text", "garbage!!"), ("key", "k-1")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = http.shiku("/tigase/encrypt", &[("access_token", t), ("text", "x")]).await;
    assert_eq!(r.shiku_code(), 1010102);
    let r = http.shiku("/tigase/encrypt", &[("text", "x"), ("key", "k")]).await;
    assert_eq!(r.shiku_code(), 1030101);

    // OnlineState 0 hides a connected user; a new connection ends it.
    let wa = Ws::connect(&app, t).await.unwrap();
    let online = |who: i64| {
        let who = who.to_string();
        let http = &http;
        let tok = b.token.clone();
        async move { http.shiku("/user/getOnLine", &[("access_token", &tok), ("userId", &who)]).await.shiku_ok().clone() }
    };
    assert_eq!(online(a.uid).await, 1);
    let sa = a.uid.to_string();
    http.shiku("/tigase/OnlineState", &[("access_token", t), ("userId", &sa), ("OnlineState", "0")]).await.shiku_ok();
    assert_eq!(online(a.uid).await, 0);
    http.shiku("/tigase/OnlineState", &[("access_token", t), ("userId", &sa), ("OnlineState", "1")]).await.shiku_ok();
    assert_eq!(online(a.uid).await, 1);
    let r = http
        .shiku("/tigase/OnlineState", &[("access_token", t), ("userId", &b.uid.to_string()), ("OnlineState", "0")])
        .await;
    assert_eq!(r.shiku_code(), 1030103);
    let r = http.shiku("/tigase/OnlineState", &[("access_token", t), ("OnlineState", "2")]).await;
    assert_eq!(r.shiku_code(), 1010101);

    // Courses: messages of a room the caller is in.
    let gid = group(&http, &a, &[&b], "class").await;
    let m1 = send_http(&http, &a, &gid, "lesson 1").await["id"].as_str().unwrap().to_string();
    let m2 = send_http(&http, &b, &gid, "lesson 2").await["id"].as_str().unwrap().to_string();
    let ids = format!("{m1},{m2}");
    let r = http
        .shiku(
            "/course/add",
            &[
                ("access_token", t),
                ("userId", &sa),
                ("messageIds", &ids),
                ("createTime", "1700000000"),
                ("courseName", "Rust"),
                ("roomJid", &gid),
            ],
        )
        .await;
    let d = r.shiku_ok();
    assert_eq!((d["courseName"].clone(), d["messageIds"].clone()), (json!("Rust"), json!([m1, m2])));
    assert!(d["courseId"].as_str().is_some_and(|s| !s.is_empty()));
    let c = register(&http, &phone(), "secret1", "C").await;
    let other = group(&http, &b, &[&c], "not A's").await;
    let m3 = send_http(&http, &b, &other, "elsewhere").await["id"].as_str().unwrap().to_string();
    let r = http
        .shiku("/course/add", &[("access_token", t), ("messageIds", &m3), ("courseName", "x"), ("roomJid", &gid)])
        .await;
    assert_eq!(r.shiku_code(), 1010104, "message of another room");
    let r = http
        .shiku("/course/add", &[("access_token", t), ("messageIds", &m3), ("courseName", "x"), ("roomJid", &other)])
        .await;
    assert_eq!(r.shiku_code(), 1010104, "not a member");
    let r = http.shiku("/course/add", &[("access_token", t), ("messageIds", &m1), ("roomJid", &gid)]).await;
    assert_eq!(r.shiku_code(), 1010102);
    wa.close().await;
}

#[tokio::test]
async fn minxing_invite_remove_rename_leave() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Owner").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let d = register(&http, &phone(), "secret1", "D").await;
    let gid = group(&http, &a, &[&b], "team").await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    let path = format!("/api/v1/conversations/{gid}");

    // Any member invites; unknown users refuse the whole call.
    let r =
        http.json("POST", &format!("{path}/users"), Some(&b.token), json!({"user_ids": [c.uid, 99999999999i64]})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = http.json("POST", &format!("{path}/users"), Some(&d.token), json!({"user_ids": [c.uid]})).await;
    assert_eq!(r.status, 404, "outsiders cannot invite");
    let r = http.json("POST", &format!("{path}/users"), Some(&b.token), json!({"user_ids": [c.uid, a.uid]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut ids: Vec<i64> = r.body["user_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    ids.sort();
    let mut want = vec![a.uid, b.uid, c.uid];
    want.sort();
    assert_eq!(ids, want);
    let e = wc.next_event("group", WAIT).await.expect("the invited member hears it");
    assert_eq!(
        (e["type"].clone(), e["conversationId"].clone(), e["userIds"].clone()),
        (json!("invited"), json!(gid), json!([c.uid]))
    );
    let r = http.json("POST", &format!("{path}/users"), Some(&b.token), json!({})).await;
    assert_eq!(r.status, 400);

    // Rename: owner or admin.
    let r = http.json("PUT", &path, Some(&b.token), json!({"name": "mine"})).await;
    assert_eq!(r.status, 403);
    let r = http.json("PUT", &path, Some(&a.token), json!({"name": "renamed"})).await;
    assert_eq!((r.status, r.body["title"].clone()), (200, json!("renamed")), "{}", r.text);
    next_where(&mut wb, |f| f["event"] == "group" && f["type"] == "renamed").await;
    let r = http.json("PUT", &path, Some(&a.token), json!({})).await;
    assert_eq!(r.status, 400);

    // Remove: owner/admin removes others; members only themselves; the owner cannot leave.
    let r = http.json("DELETE", &format!("{path}/users/{}", c.uid), Some(&b.token), json!({})).await;
    assert_eq!(r.status, 403);
    let r = http.json("DELETE", &format!("{path}/users/{}", c.uid), Some(&a.token), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let e = next_where(&mut wc, |f| f["event"] == "group" && f["type"] == "removed").await;
    assert_eq!((e["type"].clone(), e["userId"].as_i64()), (json!("removed"), Some(c.uid)));
    let r = http.get(&format!("/api/v1/conversations2/{gid}"), Some(&c.token)).await;
    assert_eq!(r.status, 404);
    let r = http.json("DELETE", &format!("{path}/users/{}", a.uid), Some(&a.token), json!({})).await;
    assert_eq!(r.status, 403, "owner must dismiss");
    let r = http.json("DELETE", &format!("{path}/users/{}", d.uid), Some(&a.token), json!({})).await;
    assert_eq!(r.status, 404, "not a member");
    let r = http.json("DELETE", &format!("{path}/users/{}", b.uid), Some(&b.token), json!({})).await;
    assert_eq!(r.status, 204);
    let r = http.get(&format!("/api/v1/conversations2/{gid}"), Some(&b.token)).await;
    assert_eq!(r.status, 404, "B left");

    // DELETE conversation: leave for members, dismiss for the owner.
    http.json("POST", &format!("{path}/users"), Some(&a.token), json!({"user_ids": [b.uid]})).await;
    let r = http.json("DELETE", &path, Some(&b.token), json!({})).await;
    assert_eq!(r.status, 204);
    let r = http.get(&format!("/api/v1/conversations2/{gid}"), Some(&b.token)).await;
    assert_eq!(r.status, 404);
    http.json("POST", &format!("{path}/users"), Some(&a.token), json!({"user_ids": [b.uid]})).await;
    let r = http.json("DELETE", &path, Some(&a.token), json!({})).await;
    assert_eq!(r.status, 204);
    next_where(&mut wb, |f| f["event"] == "group" && f["type"] == "dismissed").await;
    let r = http.get(&format!("/api/v1/conversations2/{gid}"), Some(&a.token)).await;
    assert_eq!(r.status, 404);

    // A 1:1 chat is deleted for me only, and comes back with the next message.
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", d.uid), Some(&a.token), json!({})).await;
    let single = r.body["id"].as_str().unwrap().to_string();
    send_http(&http, &d, &single, "old").await;
    let r = http
        .json("POST", &format!("/api/v1/conversations/{single}/users"), Some(&a.token), json!({"user_ids": [b.uid]}))
        .await;
    assert_eq!(r.status, 400, "1:1 chats take no members");
    let r = http.json("DELETE", &format!("/api/v1/conversations/{single}"), Some(&a.token), json!({})).await;
    assert_eq!(r.status, 204);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&a.token)).await;
    assert!(!r.text.contains(&single), "{}", r.text);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&d.token)).await;
    assert!(r.text.contains(&single));
    send_http(&http, &d, &single, "new").await;
    let r = http.get(&format!("/api/v1/conversations2/{single}"), Some(&a.token)).await;
    let bodies: Vec<&str> =
        r.body["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["new"]);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&a.token)).await;
    assert!(r.text.contains(&single));
    wb.close().await;
    wc.close().await;
}

#[tokio::test]
async fn sealtalk_send_message_and_screen_capture() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let r = http.shiku("/friends/attention/add", &[("access_token", &a.token), ("toUserId", &b.uid.to_string())]).await;
    assert_eq!(r.shiku_ok()["type"], 2, "friends at once");
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let send = |body: Value| http.json("POST", "/sealtalk/misc/send_message", Some(&a.token), body);

    let msg = |t: &str, id: String| json!({"conversationType": t, "targetId": id, "objectName": "RC:TxtMsg", "content": "你好", "pushContent": "p"});
    let r = send(msg("PRIVATE", c.uid.to_string())).await;
    assert_eq!((r.status, r.body["code"].clone()), (403, json!(403)), "not a friend");
    let r = send(msg("PRIVATE", b.uid.to_string())).await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(200)), "{}", r.text);
    let f = wb.next_event("message", WAIT).await.expect("the friend gets it");
    assert_eq!(
        (f["content"].clone(), f["objectName"].clone(), f["type"].clone(), f["sender"].as_i64()),
        (json!("你好"), json!("RC:TxtMsg"), json!(1), Some(a.uid))
    );
    let gid = group(&http, &b, &[&c], "no A").await;
    let r = send(msg("GROUP", gid.clone())).await;
    assert_eq!(r.status, 403, "not a member");
    let r = send(msg("SYSTEM", b.uid.to_string())).await;
    assert_eq!(r.status, 403, "unknown type");
    let r = send(json!({"conversationType": "PRIVATE", "targetId": b.uid.to_string(), "content": "x"})).await;
    assert_eq!(r.status, 400, "objectName required");
    let mine = group(&http, &a, &[&b], "with A").await;
    let r = send(json!({"conversationType": "GROUP", "targetId": mine, "objectName": "RC:ImgMsg", "content": {"imageUri": "https://x/y.png"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let f = wb.next_event("message", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["objectName"].clone()), (json!(2), json!("RC:ImgMsg")));
    assert_eq!(serde_json::from_str::<Value>(f["content"].as_str().unwrap()).unwrap()["imageUri"], "https://x/y.png");

    // Screen capture: one state per conversation, announced with ST:ConNtf.
    let sb = b.uid.to_string();
    let sa = a.uid.to_string();
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/get_screen_capture",
            Some(&b.token),
            json!({"conversationType": 1, "targetId": sa}),
        )
        .await;
    assert_eq!(r.body["result"]["status"], 0);
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/set_screen_capture",
            Some(&a.token),
            json!({"conversationType": 1, "targetId": sb, "noticeStatus": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let f = wb.next_event("message", WAIT).await.expect("the other side is notified");
    assert_eq!(f["objectName"], "ST:ConNtf");
    let body: Value = serde_json::from_str(f["content"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"operatorUserId": sa, "operation": "openScreenNtf"}));
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/get_screen_capture",
            Some(&b.token),
            json!({"conversationType": 1, "targetId": sa}),
        )
        .await;
    assert_eq!(r.body["result"]["status"], 1, "{}", r.text);
    let r = http
        .json("POST", "/sealtalk/misc/send_sc_msg", Some(&b.token), json!({"conversationType": 1, "targetId": sa}))
        .await;
    assert_eq!(r.status, 200);
    let f = next_where(&mut wa, |f| f["objectName"] == "ST:ConNtf" && f["sender"].as_i64() == Some(b.uid)).await;
    let body: Value = serde_json::from_str(f["content"].as_str().unwrap()).unwrap();
    assert_eq!(body["operation"], "sendScreenNtf");
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/set_screen_capture",
            Some(&a.token),
            json!({"conversationType": 3, "targetId": mine, "noticeStatus": 0}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/set_screen_capture",
            Some(&a.token),
            json!({"conversationType": 2, "targetId": sb, "noticeStatus": 1}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/set_screen_capture",
            Some(&a.token),
            json!({"conversationType": 1, "targetId": sb, "noticeStatus": 7}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = http
        .json(
            "POST",
            "/sealtalk/misc/get_screen_capture",
            Some(&a.token),
            json!({"conversationType": 3, "targetId": gid}),
        )
        .await;
    assert_eq!(r.status, 404, "not a member of that group");
    wa.close().await;
    wb.close().await;
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
        (json!({"receiver": "users", "userList": [99999999999i64], "title": "T", "contentType": "text"}), "not found"),
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
