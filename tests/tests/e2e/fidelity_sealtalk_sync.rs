//! Issue #11, DIFF-28: SealTalk `GET /user/sync/:version` (user.coffee:741-882) reports what
//! went away since `version` — unfriends (friend row status 30), unblocks (blacklist row
//! `status:false`), groups left / kicked from / dismissed (`isDeleted:true`) — with timestamps
//! and the `user {id, nickname, portraitUri}` sub-objects, while the other dialects' lists
//! never show these tombstones.

use e2e::rooms::{sealtalk, sealtalk_group, shiku};
use e2e::*;
use serde_json::{json, Value};

async fn sync(http: &Http, p: &Person, version: i64) -> Value {
    let r = http.get(&format!("/sealtalk/user/sync/{version}"), Some(&p.token)).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    r.body["result"].clone()
}

/// The version to sync from next (the server's clock, in ms).
fn version_of(res: &Value) -> i64 {
    res["version"].as_i64().unwrap_or_else(|| panic!("no version: {res}"))
}

fn row<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    let rows = list.as_array().unwrap_or_else(|| panic!("not a list: {list}"));
    let found: Vec<&Value> = rows.iter().filter(|r| r[key] == id).collect();
    assert_eq!(found.len(), 1, "one {key} {id} in {list}");
    found[0]
}

async fn ok(r: Resp) {
    assert_eq!(r.body["code"], 200, "{}", r.text);
}

async fn befriend(http: &Http, a: &Person, b: &Person) {
    let r = sealtalk(http, a, "/friendship/invite", json!({"friendId": b.uid.to_string()})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    if r.body["result"]["action"] != "Added" {
        ok(sealtalk(http, b, "/friendship/agree", json!({"friendId": a.uid.to_string()})).await).await;
    }
}

/// friendship:323-345 (status 30) and user:540-565 (status false): both reported with the
/// friend's `user` object; the live rows carry it too (user:773-806).
#[tokio::test]
async fn sync_reports_unfriend_and_unblock_with_users() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let (sb, sc) = (b.uid.to_string(), c.uid.to_string());
    befriend(&http, a, b).await;
    ok(sealtalk(&http, a, "/user/add_to_blacklist", json!({"friendId": sc})).await).await;
    let all = sync(&http, a, 0).await;
    let f = row(&all["friends"], "friendId", &sb);
    assert_eq!(f["status"], 20, "{all}");
    assert_eq!(f["user"], json!({"id": sb, "nickname": "P1", "portraitUri": ""}), "{all}");
    let x = row(&all["blacklist"], "friendId", &sc);
    assert_eq!(
        (x["status"].clone(), x["user"]["id"].clone(), x["user"]["nickname"].clone()),
        (json!(true), json!(sc), json!("P2"))
    );
    let v = version_of(&all);
    let vb = version_of(&sync(&http, b, 0).await);

    ok(sealtalk(&http, a, "/friendship/delete", json!({"friendId": sb})).await).await;
    ok(sealtalk(&http, a, "/user/remove_from_blacklist", json!({"friendId": sc})).await).await;
    let res = sync(&http, a, v).await;
    let f = row(&res["friends"], "friendId", &sb);
    assert_eq!(f["status"], 30, "{res}");
    assert!(f["timestamp"].as_i64().unwrap() > v, "{res}");
    assert_eq!(f["user"], json!({"id": sb, "nickname": "P1", "portraitUri": ""}), "{res}");
    let x = row(&res["blacklist"], "friendId", &sc);
    assert_eq!(x["status"], false, "{res}");
    assert!(x["timestamp"].as_i64().unwrap() > v, "{res}");
    assert_eq!(x["user"]["nickname"], "P2", "{res}");
    assert!(version_of(&res) >= f["timestamp"].as_i64().unwrap());
    // The friendship ended on both sides here: the other side learns it too.
    let res_b = sync(&http, b, vb).await;
    assert_eq!(row(&res_b["friends"], "friendId", &a.uid.to_string())["status"], 30, "{res_b}");
    // Nothing since → version null (user:876), the tombstones stay behind.
    let again = sync(&http, a, version_of(&res)).await;
    assert_eq!(
        (again["version"].clone(), again["friends"].clone(), again["blacklist"].clone()),
        (Value::Null, json!([]), json!([]))
    );
    // A full sync lists the current state only: no tombstone of a relation that is live again.
    befriend(&http, a, b).await;
    let full = sync(&http, a, 0).await;
    assert_eq!(row(&full["friends"], "friendId", &sb)["status"], 20, "{full}");

    // Other dialects: no tombstone rows anywhere.
    ok(sealtalk(&http, a, "/friendship/delete", json!({"friendId": sb})).await).await;
    let r = shiku(&http, "/friends/list", a, &[]).await;
    assert_eq!(r.body["resultCode"], 1, "{}", r.text);
    assert!(!r.text.contains(&format!("\"toUserId\":{sb}")), "{}", r.text);
    let r = shiku(&http, "/friends/blacklist", a, &[]).await;
    assert_eq!(r.body["data"], json!([]), "{}", r.text);
    let r = http.get("/sealtalk/friendship/all", Some(&a.token)).await;
    assert_eq!(r.body["result"], json!([]), "{}", r.text);
    let r = http.get("/sealtalk/user/blacklist", Some(&a.token)).await;
    assert_eq!(r.body["result"], json!([]), "{}", r.text);
}

/// group:quit/kick/dismiss mark the member rows `isDeleted` (group.coffee:641-650); sync
/// reports the group with `isDeleted:true` to whoever left, was kicked, or lost it.
#[tokio::test]
async fn sync_reports_groups_left_kicked_and_dismissed() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, d) = (&p[0], &p[1], &p[2], &p[3]);
    let g = sealtalk_group(&http, a, &[b, c, d]).await;
    let mut since = vec![];
    for who in [a, b, c, d] {
        let res = sync(&http, who, 0).await;
        let gr = row(&res["groups"], "groupId", &g);
        assert_eq!((gr["isDeleted"].clone(), gr["group"]["name"].clone()), (json!(false), json!("Seals")), "{res}");
        let m = row(&res["group_members"], "memberId", &b.uid.to_string());
        assert_eq!(m["user"], json!({"id": b.uid.to_string(), "nickname": "P1", "portraitUri": ""}), "{res}");
        since.push(version_of(&res));
    }
    ok(sealtalk(&http, b, "/group/quit", json!({"groupId": g})).await).await;
    let kick = json!({"groupId": g, "memberIds": [c.uid.to_string()]});
    ok(sealtalk(&http, a, "/group/kick", kick).await).await;
    ok(sealtalk(&http, a, "/group/dismiss", json!({"groupId": g})).await).await;
    for (i, who) in [a, b, c, d].into_iter().enumerate() {
        let res = sync(&http, who, since[i]).await;
        let gr = row(&res["groups"], "groupId", &g);
        assert_eq!(gr["isDeleted"], true, "member {i}: {res}");
        assert_eq!(gr["group"]["id"], g.as_str(), "{res}");
        assert!(gr["group"]["timestamp"].as_i64().unwrap() > since[i], "{res}");
        assert!(version_of(&res) > since[i]);
        assert_eq!(gr["role"], if i == 0 { 0 } else { 1 }, "{res}");
        // Those who lost it to the dismissal (a, d) get its last name; b and c left before.
        let name = if i == 0 || i == 3 { "Seals" } else { "" };
        assert_eq!(gr["group"]["name"], name, "member {i}: {res}");
    }
    // Other dialects: the group is gone from every list.
    let r = http.get("/sealtalk/user/groups", Some(&b.token)).await;
    assert_eq!(r.body["result"], json!([]), "{}", r.text);
    let r = shiku(&http, "/room/list/his", d, &[]).await;
    assert!(!r.text.contains(&g), "{}", r.text);
}
