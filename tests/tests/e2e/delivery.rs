//! The `delivery` function (stream consumer): offline push jobs.

use e2e::*;
use serde_json::json;
use shared::UserId;

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
