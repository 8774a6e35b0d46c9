//! Issue 11 (dialect fidelity), SealTalk `/friendship`: the original server's request flow,
//! statuses and bodies (rongcloud/sealtalk-server `dev`, src/routes/friendship.coffee, cited
//! `friendship:N`), and what the other dialects see of it.

use e2e::*;
use serde_json::{json, Value};
use shared::store::{n, relations::requests};
use shared::UserId;

const DAY_MS: i64 = 86_400_000;

/// Pretend the request from `from` to `to` was last sent `ago_ms` ago (the original measures
/// its re-send windows from that time, friendship:119-123).
async fn age_request(app: &TestApp, to: i64, from: i64, ago_ms: i64) {
    app.ctx
        .db
        .client
        .update_item()
        .table_name(&app.ctx.db.table)
        .set_key(Some(requests::key(UserId(to), UserId(from))))
        .update_expression("SET sentTime = :t")
        .expression_attribute_values(":t", n(app.ctx.now_ms() - ago_ms))
        .send()
        .await
        .unwrap();
}

async fn invite(http: &Http, to: &str, message: Option<&str>) -> Resp {
    let body = match message {
        Some(m) => json!({"friendId": to, "message": m}),
        None => json!({"friendId": to}),
    };
    st(http, "/friendship/invite", body).await
}

fn action(r: &Resp) -> Value {
    assert_eq!((r.status, r.body["code"].clone()), (200, json!(200)), "{}", r.text);
    r.body["result"]["action"].clone()
}

/// `friendship/all` as (user id, status, message) rows.
async fn all(http: &Http) -> Vec<(String, i64, String)> {
    let r = http.get("/sealtalk/friendship/all", None).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    let rows = r.body["result"].as_array().unwrap_or_else(|| panic!("{}", r.text));
    rows.iter()
        .map(|x| {
            let id = x["user"]["id"].as_str().unwrap().to_string();
            (id, x["status"].as_i64().unwrap(), x["message"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Ann and Ben, registered through Shiku, each with a SealTalk session.
async fn ann_and_ben(app: &TestApp, http: &Http) -> (Person, Person, Http, Http) {
    let a = register(http, &phone(), "secret1", "Ann").await;
    let b = register(http, &phone(), "secret1", "Ben").await;
    let (ha, hb) = (sealtalk_login(app, &a).await, sealtalk_login(app, &b).await);
    (a, b, ha, hb)
}

#[tokio::test]
async fn st_invite_is_sent_and_waits_for_agree() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, b, ha, hb) = ann_and_ben(&app, &http).await;
    let c = register(&http, &phone(), "secret1", "Cid").await;
    let (sa, sb, sc) = (a.uid.to_string(), b.uid.to_string(), c.uid.to_string());
    let mut ws_a = Ws::connect(&app, &a.token).await.unwrap();
    let mut ws_b = Ws::connect(&app, &b.token).await.unwrap();

    // friendship:193-236: a first invite is a request (B's friendsVerify is the default 0).
    let r = invite(&ha, &sb, Some("hi <b>")).await;
    assert_eq!(r.body, json!({"code": 200, "result": {"action": "Sent"}}), "{}", r.text);
    let f = ws_b.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["message"].clone()), (json!("requested"), json!("hi &lt;b&gt;")));
    assert_eq!(action(&invite(&ha, &sb, None).await), "None", "friendship:124-127");
    assert_eq!(all(&hb).await, vec![(sa.clone(), 11, "hi &lt;b&gt;".to_string())]);
    assert_eq!(all(&ha).await, vec![(sb.clone(), 10, String::new())]);
    // The Shiku side of B sees a pending request, not a friend.
    let r = http.shiku_as("/friends/newFriend/list", &b.token, &[]).await;
    assert_eq!((r.shiku_ok()[0]["toUserId"].as_i64(), r.shiku_ok()[0]["type"].clone()), (Some(a.uid), json!(500)));
    let r = http.shiku_as("/friends/list", &b.token, &[]).await;
    assert_eq!(r.shiku_ok(), &json!([]));

    // friendship:240-292: agree makes both friends, the requester is told.
    let r = st(&hb, "/friendship/agree", json!({"friendId": sa})).await;
    assert_eq!(st_code(&r), 200);
    let f = ws_a.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["from"].as_i64()), (json!("accepted"), Some(b.uid)));
    // The receiver's row keeps the request's message (friendship:240-292 leaves it).
    assert_eq!(all(&hb).await, vec![(sa.clone(), 20, "hi &lt;b&gt;".to_string())]);
    assert_eq!(all(&ha).await, vec![(sb.clone(), 20, String::new())]);
    // friendship:98-99: already friends → 400; agreeing again is fine (status IN (11, 20)).
    let r = invite(&ha, &sb, None).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = st(&hb, "/friendship/agree", json!({"friendId": sa})).await;
    assert_eq!(st_code(&r), 200);

    // A Shiku user accepts a SealTalk invite the Shiku way (/friends/add).
    assert_eq!(action(&invite(&ha, &sc, Some("yo")).await), "Sent");
    http.shiku_as("/friends/add", &c.token, &[("toUserId", &sa)]).await.shiku_ok();
    let f = ws_a.next_event("friend", WAIT).await.unwrap();
    assert_eq!((f["type"].clone(), f["from"].as_i64()), (json!("accepted"), Some(c.uid)));
    let mut rows = all(&ha).await;
    rows.sort();
    let mut want = vec![(sb.clone(), 20, String::new()), (sc.clone(), 20, String::new())];
    want.sort();
    assert_eq!(rows, want);
    ws_a.close().await;
    ws_b.close().await;
}

#[tokio::test]
async fn st_invite_is_resent_only_after_the_original_windows() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, b, ha, hb) = ann_and_ben(&app, &http).await;
    let (sa, sb) = (a.uid.to_string(), b.uid.to_string());

    // Pending: re-sent once 3 days have passed since it was sent (friendship:122).
    assert_eq!(action(&invite(&ha, &sb, Some("one")).await), "Sent");
    age_request(&app, b.uid, a.uid, 3 * DAY_MS - 60_000).await;
    assert_eq!(action(&invite(&ha, &sb, Some("two")).await), "None");
    age_request(&app, b.uid, a.uid, 3 * DAY_MS + 1_000).await;
    assert_eq!(action(&invite(&ha, &sb, Some("three")).await), "Sent");
    assert_eq!(all(&hb).await, vec![(sa.clone(), 11, "three".to_string())]);

    // Ignored: agree no longer works (friendship:249-261), a new invite waits 1 day (friendship:121).
    assert_eq!(st_code(&st(&hb, "/friendship/ignore", json!({"friendId": sa})).await), 200);
    assert_eq!(all(&hb).await, vec![(sa.clone(), 21, "three".to_string())]);
    assert_eq!(all(&ha).await, vec![(sb.clone(), 10, String::new())], "the requester still sees 10");
    let r = st(&hb, "/friendship/agree", json!({"friendId": sa})).await;
    assert_eq!(r.status, 404, "an ignored request is not pending: {}", r.text);
    let r = st(&hb, "/friendship/ignore", json!({"friendId": sa})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(action(&invite(&ha, &sb, Some("four")).await), "None");
    age_request(&app, b.uid, a.uid, DAY_MS - 60_000).await;
    assert_eq!(action(&invite(&ha, &sb, Some("five")).await), "None");
    age_request(&app, b.uid, a.uid, DAY_MS + 1_000).await;
    assert_eq!(action(&invite(&ha, &sb, Some("six")).await), "Sent");
    assert_eq!(all(&hb).await, vec![(sa.clone(), 11, "six".to_string())]);

    // The other side inviting back is an agreement (friendship:108-111).
    assert_eq!(action(&invite(&hb, &sa, None).await), "Added");
    assert_eq!(all(&ha).await[0].1, 20);
    assert_eq!(all(&hb).await[0].1, 20);
}

#[tokio::test]
async fn st_invite_blocked_self_and_after_delete_answer_as_the_original() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, b, ha, hb) = ann_and_ben(&app, &http).await;
    let (sa, sb) = (a.uid.to_string(), b.uid.to_string());

    // friendship:88-91: blacklisted by the friend → 200 None, nothing stored, nothing told.
    assert_eq!(st_code(&st(&hb, "/user/add_to_blacklist", json!({"friendId": sa})).await), 200);
    let r = invite(&ha, &sb, Some("hi")).await;
    assert_eq!(r.body, json!({"code": 200, "result": {"action": "None"}}), "{}", r.text);
    assert_eq!(all(&hb).await, vec![]);
    assert_eq!(all(&ha).await, vec![]);
    assert_eq!(st_code(&st(&hb, "/user/remove_from_blacklist", json!({"friendId": sa})).await), 200);

    // friendship:174-192: inviting yourself answers Added.
    assert_eq!(action(&invite(&ha, &sa, None).await), "Added");

    // friendship:119-123: after a delete, a new invite is a new request.
    assert_eq!(action(&invite(&ha, &sb, None).await), "Sent");
    assert_eq!(st_code(&st(&hb, "/friendship/agree", json!({"friendId": sa})).await), 200);
    assert_eq!(st_code(&st(&hb, "/friendship/delete", json!({"friendId": sa})).await), 200);
    assert_eq!(action(&invite(&ha, &sb, Some("again")).await), "Sent");
    assert_eq!(all(&hb).await, vec![(sa.clone(), 11, "again".to_string())]);

    // agree has no blacklist check (friendship:240-292): the requester's block is not revealed
    // and stays.
    assert_eq!(st_code(&st(&ha, "/user/add_to_blacklist", json!({"friendId": sb})).await), 200);
    assert_eq!(st_code(&st(&hb, "/friendship/agree", json!({"friendId": sa})).await), 200);
    assert_eq!(all(&hb).await, vec![(sa.clone(), 20, "again".to_string())]);
    let r = ha.get("/sealtalk/user/blacklist", None).await;
    assert_eq!(r.body["result"][0]["id"], json!(sb), "{}", r.text);
}

#[tokio::test]
async fn st_not_friends_is_404_and_a_strangers_profile_403() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "Ann").await;
    let c = register(&http, &phone(), "secret1", "Cid").await;
    let (sa, sc) = (a.uid.to_string(), c.uid.to_string());
    let ha = sealtalk_login(&app, &a).await;

    // friendship:301-311, 329-341, 365-375, 249-261: "Unknown friend user or invalid status."
    for path in ["/friendship/ignore", "/friendship/agree", "/friendship/delete", "/friendship/set_display_name"] {
        for id in [&sc, &sa] {
            let r = st(&ha, path, json!({"friendId": id, "displayName": "x"})).await;
            assert_eq!((r.status, r.body["code"].clone()), (404, json!(404)), "{path} {id}: {}", r.text);
        }
        let r = st(&ha, path, json!({"displayName": "x"})).await;
        assert_eq!(r.status, 400, "{path} without friendId: {}", r.text);
    }
    // friendship:461-462: anything but a friend, even an id that does not decode → 403.
    for id in [sc.as_str(), "abc", "99999999", sa.as_str()] {
        let r = ha.get(&format!("/sealtalk/friendship/{id}/profile"), None).await;
        assert_eq!((r.status, r.body["code"].clone()), (403, json!(403)), "{id}: {}", r.text);
    }
}

#[tokio::test]
async fn st_texts_are_escaped_and_cut_as_the_original() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, b, ha, hb) = ann_and_ben(&app, &http).await;
    let (sa, sb) = (a.uid.to_string(), b.uid.to_string());

    // Utility.xss(message, 64) (util:114-121, friendship:60-63): escaped, then cut to 64.
    let r = invite(&ha, &sb, Some(&"y".repeat(65))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let msg = format!("{}<b>", "x".repeat(60));
    assert_eq!(action(&invite(&ha, &sb, Some(&msg)).await), "Sent");
    assert_eq!(all(&hb).await, vec![(sa.clone(), 11, format!("{}&lt;", "x".repeat(60)))]);
    assert_eq!(st_code(&st(&hb, "/friendship/agree", json!({"friendId": sa})).await), 200);

    // displayName: xss(…, 64), then 1–32 characters of the escaped text (friendship:357-360).
    let long = format!("{}<b>", "y".repeat(28));
    let r = st(&ha, "/friendship/set_display_name", json!({"friendId": sb, "displayName": long})).await;
    assert_eq!(r.status, 400, "37 characters once escaped: {}", r.text);
    let r = st(&ha, "/friendship/set_display_name", json!({"friendId": sb, "displayName": "<b>"})).await;
    assert_eq!(st_code(&r), 200);
    let r = ha.get(&format!("/sealtalk/friendship/{sb}/profile"), None).await;
    assert_eq!(r.body["result"]["displayName"], "&lt;b&gt;", "{}", r.text);
    let r = st(&ha, "/friendship/set_display_name", json!({"friendId": sb, "displayName": ""})).await;
    assert_eq!(st_code(&r), 200);
    let r = ha.get(&format!("/sealtalk/friendship/{sb}/profile"), None).await;
    assert_eq!(r.body["result"]["displayName"], "", "{}", r.text);
}
