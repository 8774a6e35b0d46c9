//! Friends, follows, blacklists and friend requests in Shiku, Minxing and SealTalk,
//! through real HTTP and WebSocket traffic.

use e2e::*;
use serde_json::{json, Value};
use shared::store::settings;
use shared::UserId;

/// Privacy flag of a user's settings (owned by the users endpoints; written directly here).
async fn set_flag(app: &TestApp, uid: i64, name: &'static str, v: i64) {
    let change = settings::Change { flags: vec![(name, v)], durations: vec![] };
    settings::update(&app.ctx.db, UserId(uid), app.ctx.now_ms(), &change).await.unwrap();
}

fn ids(v: &Value, field: &str) -> Vec<i64> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|x| x[field].as_i64().unwrap()).collect()
}

async fn shiku(http: &Http, path: &str, token: &str, form: &[(&str, &str)]) -> Resp {
    let mut f = vec![("access_token", token)];
    f.extend_from_slice(form);
    http.shiku(path, &f).await
}

#[tokio::test]
async fn shiku_request_verification_accept_and_relation_details() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Alice").await;
    let b = register(&http, &phone(), "secret1", "Bob").await;
    let c = register(&http, &phone(), "secret1", "Carol").await;
    let (sa, sb, sc) = (a.uid.to_string(), b.uid.to_string(), c.uid.to_string());
    set_flag(&app, b.uid, "friendsVerify", 1).await;
    let mut ws_a = Ws::connect(&app, &a.token).await.unwrap();
    let mut ws_b = Ws::connect(&app, &b.token).await.unwrap();

    // A asks; B verifies requests, so A follows B and a request waits.
    let r = shiku(&http, "/friends/attention/add", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_ok()["type"], 1, "{}", r.text);
    let f = ws_b.next_event("friend", WAIT).await.expect("B hears of the request");
    assert_eq!(
        (f["type"].clone(), f["from"].as_i64(), f["to"].as_i64()),
        (json!("requested"), Some(a.uid), Some(b.uid))
    );
    let r = shiku(&http, "/friends/attention/add", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_ok()["type"], 3, "asking twice changes nothing");
    let r = shiku(&http, "/friends/newFriend/list", &b.token, &[("userId", &sb)]).await;
    let reqs = r.shiku_ok().clone();
    assert_eq!(ids(&reqs, "toUserId"), vec![a.uid]);
    assert_eq!((reqs[0]["toNickname"].clone(), reqs[0]["type"].clone()), (json!("Alice"), json!(500)));
    let r = shiku(&http, "/friends/attention/list", &a.token, &[("userId", &sa)]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![b.uid]);
    assert_eq!(r.shiku_ok()[0]["status"], 1);
    let r = shiku(&http, "/friends/fans/list", &b.token, &[]).await;
    let fans = r.shiku_ok().clone();
    assert_eq!((ids(&fans, "toUserId"), fans[0]["toNickname"].clone()), (vec![a.uid], json!("Alice")));
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]), "not friends yet");

    // B adds A back: friends on both sides, A is told.
    shiku(&http, "/friends/add", &b.token, &[("toUserId", &sa)]).await.shiku_ok();
    let f = ws_a.next_event("friend", WAIT).await.expect("A hears of the acceptance");
    assert_eq!((f["type"].clone(), f["from"].as_i64()), (json!("accepted"), Some(b.uid)));
    let r = shiku(&http, "/friends/list", &a.token, &[("userId", &sa)]).await;
    let list = r.shiku_ok().clone();
    assert_eq!(
        (ids(&list, "toUserId"), list[0]["status"].clone(), list[0]["toNickname"].clone()),
        (vec![b.uid], json!(2), json!("Bob"))
    );
    let r = shiku(&http, "/friends/list", &b.token, &[]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![a.uid]);
    let r = shiku(&http, "/friends/newFriend/list", &b.token, &[]).await;
    assert_eq!(r.shiku_ok()[0]["type"], 501, "request marked passed");
    // Duplicate add: one relation, type 4.
    let r = shiku(&http, "/friends/attention/add", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_ok()["type"], 4);
    shiku(&http, "/friends/add", &a.token, &[("toUserId", &sb)]).await.shiku_ok();
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 1);

    // Remark, chat record time-out, DND / burn / pin flags.
    shiku(&http, "/friends/remark", &a.token, &[("toUserId", &sb), ("remarkName", "Bobby")]).await.shiku_ok();
    shiku(&http, "/friends/update", &a.token, &[("toUserId", &sb), ("chatRecordTimeOut", "7")]).await.shiku_ok();
    shiku(
        &http,
        "/friends/update/OfflineNoPushMsg",
        &a.token,
        &[("toUserId", &sb), ("offlineNoPushMsg", "1"), ("type", "0")],
    )
    .await
    .shiku_ok();
    shiku(
        &http,
        "/friends/update/OfflineNoPushMsg",
        &a.token,
        &[("toUserId", &sb), ("offlineNoPushMsg", "1"), ("type", "2")],
    )
    .await
    .shiku_ok();
    let r = shiku(&http, "/friends/get", &a.token, &[("userId", &sa), ("toUserId", &sb)]).await;
    let d = r.shiku_ok();
    assert_eq!(
        (
            d["remarkName"].clone(),
            d["chatRecordTimeOut"].as_f64(),
            d["offlineNoPushMsg"].clone(),
            d["isOpenSnapchat"].clone()
        ),
        (json!("Bobby"), Some(7.0), json!(1), json!(0))
    );
    assert!(d["openTopChatTime"].as_i64().unwrap() > 0);
    let r = shiku(&http, "/friends/list", &a.token, &[("keyword", "bobb")]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![b.uid], "keyword matches the remark");
    let r = shiku(&http, "/friends/list", &a.token, &[("keyword", "zzz")]).await;
    assert_eq!(r.shiku_ok(), &json!([]));
    let r = shiku(&http, "/friends/update", &a.token, &[("toUserId", &sb), ("chatRecordTimeOut", "-5")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = shiku(&http, "/friends/update/OfflineNoPushMsg", &a.token, &[("toUserId", &sb), ("offlineNoPushMsg", "3")])
        .await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = shiku(&http, "/friends/friendsAndAttention", &a.token, &[("userId", &sa), ("type", "friendList")]).await;
    assert_eq!(r.shiku_ok(), &json!([b.uid]));
    let r = shiku(&http, "/friends/friendsAndAttention", &a.token, &[("type", "other")]).await;
    assert_eq!(r.shiku_code(), 1010101);
    let r = shiku(&http, "/friends/page", &a.token, &[("pageIndex", "0"), ("pageSize", "1")]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![b.uid]);
    let r = shiku(&http, "/friends/page", &a.token, &[("pageIndex", "1"), ("pageSize", "1")]).await;
    assert_eq!(r.shiku_ok(), &json!([]));

    // Other people's relations and ids.
    let r = shiku(&http, "/friends/remark", &c.token, &[("toUserId", &sb), ("remarkName", "x")]).await;
    assert_eq!(r.shiku_code(), 1010104, "C has no relation with B");
    let r = shiku(&http, "/friends/get", &c.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_code(), 1010104);
    let r = shiku(&http, "/friends/get", &c.token, &[("userId", &sa), ("toUserId", &sb)]).await;
    assert_eq!(r.shiku_code(), 1010104, "A's relation details are not C's to read");
    let r = shiku(&http, "/friends/list", &c.token, &[("userId", &sa)]).await;
    assert_eq!(r.shiku_code(), 1030103);
    let r = shiku(&http, "/friends/fans/list", &c.token, &[("userId", &sb)]).await;
    assert_eq!(r.shiku_code(), 1030103);
    let r = shiku(&http, "/friends/delete", &c.token, &[("toUserId", &sa)]).await;
    assert_eq!(r.shiku_code(), 1010104, "not friends");
    let r = shiku(&http, "/friends/attention/delete", &c.token, &[("toUserId", &sa)]).await;
    assert_eq!(r.shiku_code(), 1010104);
    for (bad, code) in [("99999999", 1010104), ("abc", 1010101), ("-3", 1010101), (sc.as_str(), 1010101)] {
        let r = shiku(&http, "/friends/attention/add", &c.token, &[("toUserId", bad)]).await;
        assert_eq!(r.shiku_code(), code, "toUserId={bad}: {}", r.text);
    }
    let r = shiku(&http, "/friends/attention/add", &c.token, &[]).await;
    assert_eq!(r.shiku_code(), 1010102);
    let r = http.shiku("/friends/list", &[]).await;
    assert_eq!(r.shiku_code(), 1030101);

    // Batch follow: unknown ids, yourself and malformed lists.
    let r =
        shiku(&http, "/friends/attention/batchAdd", &c.token, &[("toUserIds", &format!("{sa},99999999,{sc}"))]).await;
    let d = r.shiku_ok().clone();
    assert_eq!((d[0]["toUserId"].as_i64(), d[0]["type"].clone()), (Some(a.uid), json!(2)));
    assert_eq!((d[1]["type"].clone(), d[2]["type"].clone()), (json!(5), json!(5)));
    let r = shiku(&http, "/friends/attention/batchAdd", &c.token, &[("toUserIds", "1,x")]).await;
    assert_eq!(r.shiku_code(), 1010101);

    // A unfollows B: B still follows A one way; B's follow ends with attention/delete.
    shiku(&http, "/friends/attention/delete", &a.token, &[("toUserId", &sb)]).await.shiku_ok();
    let f = ws_b.next_event("friend", WAIT).await.unwrap();
    assert_eq!(f["type"], "deleted");
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![c.uid]);
    let r = shiku(&http, "/friends/attention/list", &b.token, &[("status", "1")]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![a.uid]);
    let r = shiku(&http, "/friends/fans/list", &a.token, &[("pageIndex", "0"), ("pageSize", "10")]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId").len(), 2, "B and C follow A");
    shiku(&http, "/friends/attention/delete", &b.token, &[("toUserId", &sa)]).await.shiku_ok();
    let r = shiku(&http, "/friends/attention/list", &b.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]));

    // C deletes the friendship with A on both sides.
    shiku(&http, "/friends/delete", &c.token, &[("toUserId", &sa)]).await.shiku_ok();
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]));

    // The system account.
    shiku(&http, "/friends/addAllFriendsSys", &a.token, &[]).await.shiku_ok();
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    let list = r.shiku_ok().clone();
    assert_eq!((ids(&list, "toUserId"), list[0]["toNickname"].clone()), (vec![10000], json!("System")));
    let r = shiku(&http, "/friends/addAllFriendsSys", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_code(), 1010101);
    ws_a.close().await;
    ws_b.close().await;
}

#[tokio::test]
async fn blacklist_refuses_requests_and_messages_everywhere() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let (sa, sb, sc) = (a.uid.to_string(), b.uid.to_string(), c.uid.to_string());
    let r = shiku(&http, "/friends/attention/add", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_ok()["type"], 2, "no verification: friends at once");
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    let mut ws_a = Ws::connect(&app, &a.token).await.unwrap();

    // B blocks A.
    shiku(&http, "/friends/blacklist/add", &b.token, &[("toUserId", &sa)]).await.shiku_ok();
    shiku(&http, "/friends/blacklist/add", &b.token, &[("toUserId", &sa)]).await.shiku_ok();
    let f = ws_a.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["from"].as_i64()), (json!("blacklisted"), Some(b.uid)));
    let r = shiku(&http, "/friends/blacklist", &b.token, &[]).await;
    let bl = r.shiku_ok().clone();
    assert_eq!((ids(&bl, "toUserId"), bl[0]["blacklist"].clone()), (vec![a.uid], json!(1)));
    let r = shiku(&http, "/friends/list", &b.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]), "blocked users leave the friend list");
    let r = shiku(&http, "/friends/friendsAndAttention", &b.token, &[("type", "blackList")]).await;
    assert_eq!(r.shiku_ok(), &json!([a.uid]));

    // A can no longer reach B: requests in every dialect, messages over HTTP and WebSocket.
    for path in ["/friends/attention/add", "/friends/add"] {
        let r = shiku(&http, path, &a.token, &[("toUserId", &sb)]).await;
        assert_eq!(r.shiku_code(), 1100802, "{path}: {}", r.text);
    }
    let r = http.json("POST", &format!("/api/v1/subscriptions/users/{}", b.uid), Some(&a.token), json!({})).await;
    assert_eq!((r.status, r.body["error"].clone()), (403, json!("forbidden")), "{}", r.text);
    // SealTalk does not reveal the block: 200 `None`, as the original (friendship.coffee:88-91).
    let r = http
        .json("POST", "/sealtalk/friendship/invite", Some(&a.token), json!({"friendId": sb, "message": "hi"}))
        .await;
    assert_eq!(r.body, json!({"code": 200, "result": {"action": "None"}}), "{}", r.text);
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "let me in"}))
        .await;
    assert_eq!((r.status, r.body["error"].clone()), (403, json!("forbidden")), "{}", r.text);
    ws_a.send(json!({"action": "send", "to": b.uid, "content": "ws too"})).await;
    let f = ws_a.next_event("error", WAIT).await.expect("ws send refused");
    assert_eq!(f["code"], 403);
    let r = http
        .json(
            "POST",
            &format!("/api/v1/conversations2/{cid}/messages"),
            Some(&b.token),
            json!({"body": "I can still talk"}),
        )
        .await;
    assert_eq!(r.status, 201, "the blocker is not blocked: {}", r.text);

    // Unblock restores the friendship and messaging.
    shiku(&http, "/friends/blacklist/delete", &b.token, &[("toUserId", &sa)]).await.shiku_ok();
    let r = shiku(&http, "/friends/list", &b.token, &[]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![a.uid]);
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "thanks"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = shiku(&http, "/friends/blacklist/delete", &b.token, &[("toUserId", "99999999")]).await;
    assert_eq!(r.shiku_code(), 1010104);

    // SealTalk blacklist routes (B blocks C, who is a stranger).
    let r = http.json("POST", "/sealtalk/user/add_to_blacklist", Some(&b.token), json!({"friendId": sc})).await;
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(200)), "{}", r.text);
    let r = http.get("/sealtalk/user/blacklist", Some(&b.token)).await;
    assert_eq!(
        (r.body["result"][0]["id"].clone(), r.body["result"][0]["nickname"].clone()),
        (json!(sc), json!("C")),
        "{}",
        r.text
    );
    assert!(r.body["result"][0]["updatedAt"].as_str().unwrap().contains('T'));
    let r = shiku(&http, "/friends/attention/add", &c.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_code(), 1100802);
    let r = http.json("POST", "/sealtalk/user/remove_from_blacklist", Some(&b.token), json!({"friendId": sc})).await;
    assert_eq!(r.body["code"], 200);
    let r = http.get("/sealtalk/user/blacklist", Some(&b.token)).await;
    assert_eq!(r.body["result"], json!([]));
    for body in [json!({}), json!({"friendId": "x1"}), json!({"friendId": {"a": 1}})] {
        let r = http.json("POST", "/sealtalk/user/add_to_blacklist", Some(&b.token), body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
    }
    let r = http.json("POST", "/sealtalk/user/add_to_blacklist", Some(&b.token), json!({"friendId": "99999999"})).await;
    assert_eq!(r.status, 404);

    // allowAtt = 0: C refuses followers (1100801), but A's existing friendship is untouched.
    set_flag(&app, c.uid, "allowAtt", 0).await;
    let r = shiku(&http, "/friends/attention/add", &a.token, &[("toUserId", &sc)]).await;
    assert_eq!(r.shiku_code(), 1100801, "{}", r.text);
    ws_a.close().await;
}

#[tokio::test]
async fn sealtalk_friendship_is_the_same_in_shiku_and_minxing() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Ann").await;
    let b = register(&http, &phone(), "secret1", "Ben").await;
    let c = register(&http, &phone(), "secret1", "Cid").await;
    let (sa, sb) = (a.uid.to_string(), b.uid.to_string());
    set_flag(&app, b.uid, "friendsVerify", 1).await;
    // B uses the SealTalk session cookie, A a bearer token.
    let hb = Http::new(&app);
    let r = hb
        .json("POST", "/sealtalk/user/login", None, json!({"region": "86", "phone": b.phone, "password": "secret1"}))
        .await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let mut ws_b = Ws::connect(&app, &b.token).await.unwrap();

    let r = http
        .json("POST", "/sealtalk/friendship/invite", Some(&a.token), json!({"friendId": sb, "message": "hi <b>"}))
        .await;
    assert_eq!(r.body, json!({"code": 200, "result": {"action": "Sent"}}), "{}", r.text);
    let f = ws_b.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["message"].clone()), (json!("requested"), json!("hi &lt;b&gt;")));
    let r = http.json("POST", "/sealtalk/friendship/invite", Some(&a.token), json!({"friendId": sb})).await;
    assert_eq!(r.body["result"]["action"], "None");
    let r = hb.get("/sealtalk/friendship/all", None).await;
    let all = r.body["result"].clone();
    assert_eq!(
        (all[0]["user"]["id"].clone(), all[0]["status"].clone(), all[0]["message"].clone()),
        (json!(sa), json!(11), json!("hi &lt;b&gt;")),
        "{}",
        r.text
    );
    let r = http.get("/sealtalk/friendship/all", Some(&a.token)).await;
    assert_eq!(
        (r.body["result"][0]["user"]["id"].clone(), r.body["result"][0]["status"].clone()),
        (json!(sb), json!(10))
    );

    // Ignore; an ignored request cannot be agreed to (friendship.coffee:249-261), but inviting
    // back is agreeing (friendship.coffee:108-111).
    let r = hb.json("POST", "/sealtalk/friendship/ignore", None, json!({"friendId": sa})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let r = hb.get("/sealtalk/friendship/all", None).await;
    assert_eq!(r.body["result"][0]["status"], 21);
    let r = hb.json("POST", "/sealtalk/friendship/ignore", None, json!({"friendId": sa})).await;
    assert_eq!(r.status, 404, "nothing pending");
    let r = hb.json("POST", "/sealtalk/friendship/agree", None, json!({"friendId": sa})).await;
    assert_eq!(r.status, 404, "not pending: {}", r.text);
    let r = hb.json("POST", "/sealtalk/friendship/invite", None, json!({"friendId": sa})).await;
    assert_eq!(r.body["result"]["action"], "Added", "{}", r.text);
    let r = hb.get("/sealtalk/friendship/all", None).await;
    let all = r.body["result"].clone();
    assert_eq!((all.as_array().unwrap().len(), all[0]["status"].clone()), (1, json!(20)));
    assert_eq!(all[0]["user"]["phone"], a.phone.as_str(), "friends see the phone");

    // The same friendship in Shiku and Minxing, one Query per list.
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![b.uid]);
    assert!((1..=3).contains(&r.ddb_calls()), "friends list: {} DynamoDB calls", r.ddb_calls());
    let (a_mx, _) = minxing_login(&http, &a.phone, "secret1").await;
    let r = http.get("/api/v1/subscriptions/users", Some(&a_mx)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["items"][0]["user_id"].as_i64(), r.body["items"][0]["relation"].clone()),
        (Some(b.uid), json!("friend"))
    );
    assert!((1..=3).contains(&r.ddb_calls()), "subscriptions: {} DynamoDB calls", r.ddb_calls());

    // A rename reaches the denormalised nickname in friends' lists.
    let n = shared::store::relations::refresh_profile(&app.ctx.db, UserId(b.uid), "Benjamin", None).await.unwrap();
    assert_eq!(n, 1);
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok()[0]["toNickname"], "Benjamin");

    // Display name ↔ Shiku remark; profiles only of friends.
    let r = http
        .json(
            "POST",
            "/sealtalk/friendship/set_display_name",
            Some(&a.token),
            json!({"friendId": sb, "displayName": "B<3"}),
        )
        .await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let r = shiku(&http, "/friends/get", &a.token, &[("toUserId", &sb)]).await;
    assert_eq!(r.shiku_ok()["remarkName"], "B&lt;3");
    let r = http.get(&format!("/sealtalk/friendship/{sb}/profile"), Some(&a.token)).await;
    assert_eq!(
        (r.body["result"]["displayName"].clone(), r.body["result"]["user"]["nickname"].clone()),
        (json!("B&lt;3"), json!("Ben")),
        "{}",
        r.text
    );
    let r = http.get(&format!("/sealtalk/friendship/{sb}/profile"), Some(&c.token)).await;
    assert_eq!(r.status, 403);
    let r = http.get("/sealtalk/friendship/abc/profile", Some(&c.token)).await;
    assert_eq!(r.status, 403, "any non-friend, as the original (friendship.coffee:461-462)");
    let long = "x".repeat(33);
    let r = http
        .json(
            "POST",
            "/sealtalk/friendship/set_display_name",
            Some(&a.token),
            json!({"friendId": sb, "displayName": long}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = http
        .json(
            "POST",
            "/sealtalk/friendship/set_display_name",
            Some(&c.token),
            json!({"friendId": sb, "displayName": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "not C's friend");
    let r = http
        .json("POST", "/sealtalk/friendship/invite", Some(&a.token), json!({"friendId": sb, "message": "y".repeat(65)}))
        .await;
    assert_eq!(r.status, 400);
    for path in ["/sealtalk/friendship/agree", "/sealtalk/friendship/delete"] {
        let r = http.json("POST", path, Some(&c.token), json!({"friendId": sa})).await;
        assert_eq!(r.status, 404, "{path}");
        let r = http.json("POST", path, Some(&c.token), json!({})).await;
        assert_eq!(r.status, 400, "{path}");
    }
    let r =
        http.json("POST", "/sealtalk/friendship/invite", Some(&c.token), json!({"friendId": c.uid.to_string()})).await;
    assert_eq!(r.body["result"]["action"], "Added", "yourself, as the original (friendship.coffee:174-192)");
    let r = http.get("/sealtalk/friendship/all", None).await;
    assert_eq!(r.status, 403, "no session");

    // Delete through SealTalk: gone everywhere, A told.
    let mut ws_a = Ws::connect(&app, &a.token).await.unwrap();
    let r = hb.json("POST", "/sealtalk/friendship/delete", None, json!({"friendId": sa})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let f = ws_a.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["from"].as_i64()), (json!("deleted"), Some(b.uid)));
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]));
    let r = http.get("/api/v1/subscriptions/users", Some(&a_mx)).await;
    assert_eq!(r.body["items"], json!([]));
    ws_a.close().await;
    ws_b.close().await;
}

#[tokio::test]
async fn minxing_subscriptions_page_with_a_cursor() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Hub").await;
    let (a_mx, _) = minxing_login(&http, &a.phone, "secret1").await;
    let mut others = vec![];
    for i in 0..5 {
        others.push(register(&http, &phone(), "secret1", &format!("F{i}")).await);
    }
    set_flag(&app, others[4].uid, "friendsVerify", 1).await;
    for (i, o) in others.iter().enumerate() {
        let r = http.json("POST", &format!("/api/v1/subscriptions/users/{}", o.uid), Some(&a_mx), json!({})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let (rel, pending) = if i == 4 { ("following", true) } else { ("friend", false) };
        assert_eq!(
            (r.body["relation"].clone(), r.body["request_pending"].clone()),
            (json!(rel), json!(pending)),
            "{}",
            r.text
        );
    }
    let r = http.json("POST", &format!("/api/v1/subscriptions/users/{}", others[0].uid), Some(&a_mx), json!({})).await;
    assert_eq!(r.status, 200, "already subscribed");
    for (id, status) in [("99999999", 404), ("abc", 400), (&a.uid.to_string()[..], 400)] {
        let r = http.json("POST", &format!("/api/v1/subscriptions/users/{id}"), Some(&a_mx), json!({})).await;
        assert_eq!(r.status, status, "{id}: {}", r.text);
    }
    let r = http.get("/api/v1/subscriptions/users", None).await;
    assert_eq!(r.status, 401);

    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/subscriptions/users?limit=2&cursor={c}"),
            None => "/api/v1/subscriptions/users?limit=2".into(),
        };
        let r = http.get(&path, Some(&a_mx)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!((1..=3).contains(&r.ddb_calls()), "{} calls", r.ddb_calls());
        eprintln!("subscriptions page: {} DynamoDB calls", r.ddb_calls());
        seen.extend(ids(&r.body["items"], "user_id"));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(seen.len() <= 5, "cursor loops");
    }
    seen.sort();
    let mut want: Vec<i64> = others.iter().map(|o| o.uid).collect();
    want.sort();
    assert_eq!(seen, want);
    let r = http.get("/api/v1/subscriptions/users?cursor=%25%25", Some(&a_mx)).await;
    assert_eq!(r.status, 400);
    let r = http.get("/api/v1/subscriptions/users?limit=0", Some(&a_mx)).await;
    assert_eq!(r.status, 400);
    // Shiku sees the four friends and the one-way follow.
    let r = shiku(&http, "/friends/list", &a.token, &[]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap().len(), 4);
    eprintln!("/friends/list: {} DynamoDB calls", r.ddb_calls());
    assert!((1..=3).contains(&r.ddb_calls()), "{} calls", r.ddb_calls());
    let r = shiku(&http, "/friends/attention/list", &a.token, &[("status", "1")]).await;
    assert_eq!(ids(r.shiku_ok(), "toUserId"), vec![others[4].uid]);
}
