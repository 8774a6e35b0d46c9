//! Live connections at scale (issue #16, store/live.rs): rooms of at most `LARGE_ROOM`
//! members and 1:1 chats are reached through presence items, so `$connect` writes nothing per
//! small room; a larger room gets its members stamped by a job that delivery starts, after
//! which `$connect`/`$disconnect`/410 keep the connection ids on their member items.

use e2e::*;
use serde_json::json;
use shared::domain::chat::{FanMember, LARGE_ROOM};
use shared::store::{connections, invites, live, users};
use shared::UserId;
use std::time::Duration;

/// `n` users made through the store (a large room needs many members; no HTTP).
async fn fillers(app: &TestApp, n: usize) -> Vec<UserId> {
    let tag = phone();
    let mut out = vec![];
    for i in 0..n {
        let u = users::create(
            &app.ctx.db,
            app.ctx.now_ms(),
            users::NewUser {
                nickname: format!("f{i}"),
                password_hash: "no-login".into(),
                username: Some(format!("filler_{tag}_{i}")),
                ..Default::default()
            },
        )
        .await
        .expect("filler");
        out.push(u.uid);
    }
    out
}

/// `uid`'s member item of `cid` as fan-out reads it.
async fn member(app: &TestApp, cid: &str, uid: i64) -> FanMember {
    let all = live::members(&app.ctx.db, cid).await.unwrap();
    all.into_iter().find(|m| m.uid.0 == uid).expect("a member")
}

/// `uid`'s member item of `cid` once `pred` holds (or as it is after 10 s).
async fn member_when(app: &TestApp, cid: &str, uid: i64, pred: impl Fn(&FanMember) -> bool) -> FanMember {
    let mut m = member(app, cid, uid).await;
    for _ in 0..100 {
        if pred(&m) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        m = member(app, cid, uid).await;
    }
    m
}

/// DynamoDB calls of one `$connect` of `p` (the realtime service, on a made-up connection id).
async fn connect_calls(app: &TestApp, p: &Person, conn: &str) -> u32 {
    let (r, calls) =
        shared::metrics::count_ddb_calls(shared::services::presence::connect(&app.ctx, conn, &p.token)).await;
    r.expect("connect");
    calls
}

/// A group of `owner` + `with` over Minxing, grown past `LARGE_ROOM` with store-made members.
async fn large_room(app: &TestApp, http: &Http, owner: &Person, with: &[&Person]) -> String {
    let cid = group(http, owner, with, "all hands").await;
    let more = fillers(app, LARGE_ROOM).await;
    let n = invites::add_members_within(&app.ctx.db, app.ctx.now_ms(), &cid, &more, "member", 10_000, None)
        .await
        .expect("fillers join");
    assert_eq!(n, LARGE_ROOM);
    cid
}

#[tokio::test]
async fn connect_writes_nothing_for_small_rooms_and_they_still_hear_messages() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b, loner] = <[Person; 3]>::try_from(people(&http, 3).await).ok().unwrap();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let mut rooms = vec![];
    for i in 0..5 {
        rooms.push(group(&http, &a, &[&b], &format!("small {i}")).await);
    }
    // A user in 5 small rooms connects for what a user in none does.
    let in_rooms = connect_calls(&app, &b, "probe-b-0001").await;
    let in_none = connect_calls(&app, &loner, "probe-c-0001").await;
    assert_eq!(in_rooms, in_none, "connect costs the same in 5 small rooms as in none");
    // Token GetItem, the connection's TransactWriteItems (the token checked again inside), its
    // online-counter shard, the GSI2 Query.
    assert_eq!(in_none, 4, "connect: {in_none} calls");
    // Their member items carry no connections, and every room's message still reaches B.
    for cid in &rooms {
        let m = member(&app, cid, b.uid).await;
        assert!(m.conns.is_empty() && m.stamped_at.is_none(), "{m:?}");
        send_http(&http, &a, cid, &format!("to {cid}")).await;
        let f = next_where(&mut wb, |f| f["event"] == "message" && f["conversationId"] == cid.as_str()).await;
        assert_eq!(f["content"], format!("to {cid}"));
    }
    wb.close().await;
}

#[tokio::test]
async fn a_large_room_is_stamped_and_member_items_follow_connections() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b, c] = <[Person; 3]>::try_from(people(&http, 3).await).ok().unwrap();
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    let cid = large_room(&app, &http, &a, &[&b]).await;
    assert!(member(&app, &cid, b.uid).await.stamped_at.is_none(), "not stamped before any delivery");

    // The first message reaches B through presence and starts the stamping job.
    send_http(&http, &a, &cid, "one").await;
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "one");
    let m = member_when(&app, &cid, b.uid, |m| m.stamped_at.is_some()).await;
    assert!(m.stamped_at.is_some(), "B's member item is stamped");
    assert_eq!(m.conns.len(), 1, "with B's live connection: {m:?}");
    let offline = member(&app, &cid, a.uid).await;
    assert!(offline.stamped_at.is_some() && offline.conns.is_empty(), "A is stamped, offline: {offline:?}");

    // C, online before being invited, is unstamped: reached through presence, then stamped.
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    let r = http
        .json("POST", &format!("/api/v1/conversations/{cid}/users"), Some(&a.token), json!({"user_ids": [c.uid]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    send_http(&http, &a, &cid, "two").await;
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "two");
    assert_eq!(wc.next_event("message", WAIT).await.unwrap()["content"], "two");
    let m = member_when(&app, &cid, c.uid, |m| m.stamped_at.is_some() && m.conns.len() == 1).await;
    assert_eq!((m.stamped_at.is_some(), m.conns.len()), (true, 1), "C stamped with its connection: {m:?}");

    // A connect in a large room costs one UpdateItem more than in none.
    let loner = &people(&http, 1).await[0];
    let base = connect_calls(&app, loner, "probe-l-0001").await;
    assert_eq!(connect_calls(&app, &b, "probe-b-0002").await, base + 1);
    connections::remove(&app.ctx.db, "probe-b-0002", UserId(b.uid)).await.unwrap();

    // A stale connection of B (gone: 410; made a minute ago) is attached on connect…
    let then = app.ctx.now_secs() - 60;
    connections::connect(&app.ctx.db, then, "GoneGoneGone0001", UserId(b.uid)).await.unwrap();
    assert_eq!(member_when(&app, &cid, b.uid, |m| m.conns.len() == 2).await.conns.len(), 2);
    send_http(&http, &a, &cid, "three").await;
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "three");
    // …and removed by the 410 of the first post.
    let left = member_when(&app, &cid, b.uid, |m| m.conns.len() == 1).await.conns;
    assert!(left.len() == 1 && !left.contains(&"GoneGoneGone0001".to_string()), "{left:?}");

    // A disconnect takes C's connection off the item; a reconnect puts it back.
    wc.close().await;
    assert!(member_when(&app, &cid, c.uid, |m| m.conns.is_empty()).await.conns.is_empty(), "disconnect detaches");
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    assert_eq!(member_when(&app, &cid, c.uid, |m| m.conns.len() == 1).await.conns.len(), 1, "connect attaches");
    send_http(&http, &a, &cid, "four").await;
    assert_eq!(wc.next_event("message", WAIT).await.unwrap()["content"], "four");
    assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], "four");
    wb.close().await;
    wc.close().await;
}

/// Users who connect while they are being added to a stamped large room, or to a small one,
/// hear the room's next message.
#[tokio::test]
async fn a_connect_during_a_group_change_hears_the_next_message() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [a, b] = <[Person; 2]>::try_from(people(&http, 2).await).ok().unwrap();
    let large = large_room(&app, &http, &a, &[&b]).await;
    let small = group(&http, &a, &[&b], "small").await;
    // Stamp the large room first (a delivery starts it).
    send_http(&http, &a, &large, "warm up").await;
    member_when(&app, &large, a.uid, |m| m.stamped_at.is_some()).await;
    let joiners = people(&http, 4).await;
    let mut sockets = vec![];
    for p in &joiners {
        let add = |cid: String| {
            let (http, token, uid) = (&http, a.token.clone(), p.uid);
            async move {
                let path = format!("/api/v1/conversations/{cid}/users");
                let r = http.json("POST", &path, Some(&token), json!({"user_ids": [uid]})).await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
        };
        let (ws, _, _) = tokio::join!(Ws::connect(&app, &p.token), add(large.clone()), add(small.clone()));
        sockets.push(ws.unwrap());
    }
    for cid in [&large, &small] {
        send_http(&http, &a, cid, &format!("after the change in {cid}")).await;
        for ws in sockets.iter_mut() {
            let f = next_where(ws, |f| f["event"] == "message" && f["conversationId"] == cid.as_str()).await;
            assert_eq!(f["content"], format!("after the change in {cid}"));
        }
    }
    for ws in sockets {
        ws.close().await;
    }
}

/// A logout racing `$connect`: the token is checked inside the connection's transaction, so a
/// token revoked after `$connect` resolved it writes no connection (else the logout, having
/// read the user's connections already, would leave this one open).
#[tokio::test]
async fn a_token_revoked_before_the_connection_is_written_opens_nothing() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let [p] = <[Person; 1]>::try_from(people(&http, 1).await).ok().unwrap();
    let (db, now, uid) = (&app.ctx.db, app.ctx.now_secs(), UserId(p.uid));
    let sess = shared::store::tokens::resolve_access(db, now, &p.token).await.unwrap();
    connections::connect_session(db, now, "probe-live-0001", uid, Some(&sess.hash)).await.expect("live token");
    assert_eq!(connections::user_of(db, now, "probe-live-0001").await.unwrap(), Some(uid));

    shared::store::tokens::revoke(db, &sess).await.unwrap();
    let r = connections::connect_session(db, now, "probe-late-0001", uid, Some(&sess.hash)).await;
    assert!(matches!(r, Err(shared::AppError::TokenInvalid)), "{r:?}");
    assert_eq!(connections::user_of(db, now, "probe-late-0001").await.unwrap(), None);
    let ids: Vec<String> =
        connections::of_user_with_tokens(db, now, uid).await.unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, vec!["probe-live-0001".to_string()], "the late connection is not in the presence item");
}
