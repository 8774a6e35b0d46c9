//! The `chat` function beyond plain sends: Shiku `/tigase/*` (deleteMsg, encrypt/decrypt,
//! OnlineState, courses), Minxing conversation membership (`/api/v1/conversations/*`) and
//! SealTalk misc messaging (`/sealtalk/misc/*`).

use e2e::*;
use serde_json::{json, Value};

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
