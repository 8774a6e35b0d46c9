//! Minxing work-circle groups (`/api/v1/groups…`) and pending join requests
//! (`/api/v1/pendings/requests/{id}/approve|reject`): the same rooms as Shiku `/room/*`.

use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

/// A person registered through Shiku, with a Minxing OAuth2 access token.
struct Mx {
    p: Person,
    tok: String,
}

async fn people(http: &Http, n: usize) -> Vec<Mx> {
    let mut out = vec![];
    for i in 0..n {
        let p = register(http, &phone(), "secret1", &format!("M{i}")).await;
        let (tok, _) = minxing_login(http, &p.phone, "secret1").await;
        out.push(Mx { p, tok });
    }
    out
}

async fn call(http: &Http, method: &str, path: &str, who: Option<&Mx>, body: Value) -> Resp {
    let r = http.json(method, path, who.map(|m| m.tok.as_str()), body).await;
    assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text);
    r
}

async fn create(http: &Http, who: &Mx, body: Value) -> Value {
    let r = call(http, "POST", "/api/v1/groups", Some(who), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn ids(items: &Value, key: &str) -> Vec<Value> {
    items.as_array().unwrap_or_else(|| panic!("not a list: {items}")).iter().map(|g| g[key].clone()).collect()
}

async fn shiku(http: &Http, path: &str, who: &Mx, form: &[(&str, &str)]) -> Resp {
    let mut f = vec![("access_token", who.p.token.as_str())];
    f.extend_from_slice(form);
    http.shiku(path, &f).await
}

#[tokio::test]
async fn mx_group_create_list_members_rename_delete() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, outsider) = (&p[0], &p[1], &p[2]);

    let g = create(
        &http,
        a,
        json!({"name": "  Work Circle  ", "description": "all of us", "user_ids": [b.p.uid, a.p.uid]}),
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(
        (g["name"].clone(), g["description"].clone(), g["public"].clone(), g["creator_id"].as_i64()),
        (json!("Work Circle"), json!("all of us"), json!(true), Some(a.p.uid)),
        "name trimmed, public by default: {g}"
    );
    assert_eq!(
        (g["member_count"].as_i64(), g["is_member"].clone(), g["is_admin"].clone()),
        (Some(2), json!(true), json!(true))
    );
    assert!(g["created_at"].as_i64().unwrap() > 1_600_000_000_000, "epoch ms: {g}");
    tokio::time::sleep(Duration::from_millis(5)).await; // distinct creation times: a stable order
    let private = create(&http, a, json!({"name": "Secret", "public": false})).await;
    let pid = private["id"].as_str().unwrap().to_string();
    assert_eq!((private["public"].clone(), private["member_count"].as_i64()), (json!(false), Some(1)));

    // Listing: my groups, then the public directory; private groups only for members.
    let r = call(&http, "GET", "/api/v1/groups", Some(a), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(pid), json!(gid)], "mine, newest first");
    assert!(r.body["items"].as_array().unwrap().iter().all(|g| g["is_member"] == true && g["is_admin"] == true));
    assert!(r.body["next_cursor"].is_null());
    let r = call(&http, "GET", "/api/v1/groups", Some(outsider), json!({})).await;
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(gid)], "the private group is not listed: {}", r.text);
    assert_eq!((items[0]["is_member"].clone(), items[0]["role"].clone()), (json!(false), Value::Null));
    let r = call(&http, "GET", "/api/v1/groups?limit=1", Some(a), json!({})).await;
    assert_eq!((ids(&r.body["items"], "id"), r.body["next_cursor"].clone()), (vec![json!(pid)], json!("2")));
    let r = call(&http, "GET", "/api/v1/groups?limit=1&cursor=2", Some(a), json!({})).await;
    assert_eq!((ids(&r.body["items"], "id"), r.body["next_cursor"].clone()), (vec![json!(gid)], Value::Null));
    let r = call(&http, "GET", "/api/v1/groups?limit=1&page=2", Some(a), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(gid)]);
    let r = call(&http, "GET", "/api/v1/groups?q=SECR", Some(a), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(pid)]);

    // Members: owner first, rendered as Minxing users plus role and joined_at.
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members"), Some(b), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(a.p.uid), json!(b.p.uid)]);
    assert_eq!(ids(&r.body["items"], "role"), vec![json!("owner"), json!("member")]);
    assert_eq!((items[0]["name"].clone(), items[0]["network_id"].clone()), (json!("M0"), json!(1)));
    assert!(items[0].get("avatar_url").is_some() && items[0].get("login_name").is_some());
    assert!(items[0]["phone"].is_null(), "someone else's phone stays hidden: {}", items[0]);
    assert!(items[1]["joined_at"].as_i64().unwrap() > 1_600_000_000_000);
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members?limit=1"), Some(b), json!({})).await;
    assert_eq!((ids(&r.body["items"], "id"), r.body["next_cursor"].clone()), (vec![json!(a.p.uid)], json!("1")));
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members?limit=1&cursor=1"), Some(b), json!({})).await;
    assert_eq!((ids(&r.body["items"], "id"), r.body["next_cursor"].clone()), (vec![json!(b.p.uid)], Value::Null));
    // A public group's members are visible to everyone.
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members"), Some(outsider), json!({})).await;
    assert_eq!((r.status, r.body["items"].as_array().map(Vec::len)), (200, Some(2)));
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members/{}", b.p.uid), Some(a), json!({})).await;
    assert_eq!((r.status, r.body["id"].as_i64(), r.body["role"].clone()), (200, Some(b.p.uid), json!("member")));
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members/current"), Some(b), json!({})).await;
    assert_eq!(r.body["id"].as_i64(), Some(b.p.uid));
    assert_eq!(r.body["phone"].as_str(), Some(b.p.phone.as_str()), "my own phone is shown");
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members/{}", outsider.p.uid), Some(a), json!({})).await;
    assert_eq!((r.status, r.body["error"].clone()), (404, json!("not_found")), "not a member");

    // Rename: owner/admins only; the room is the same in Shiku.
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(b), json!({"name": "Hijack"})).await;
    assert_eq!((r.status, r.body["error"].clone()), (403, json!("forbidden")));
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(outsider), json!({"name": "Hijack"})).await;
    assert_eq!(r.status, 404, "non-members do not reach the group: {}", r.text);
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(a), json!({"name": " Renamed "})).await;
    assert_eq!((r.status, r.body["name"].clone(), r.body["id"].clone()), (200, json!("Renamed"), json!(gid)));
    assert!(r.body["updated_at"].as_i64() >= g["updated_at"].as_i64());
    let r = shiku(&http, "/room/get", b, &[("roomId", &gid)]).await;
    assert_eq!(r.shiku_ok()["name"], "Renamed");
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(a), json!({})).await;
    assert_eq!(r.status, 400);
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(a), json!({"name": "x".repeat(65)})).await;
    assert_eq!(r.status, 400);

    // Delete: the owner only.
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}"), Some(b), json!({})).await;
    assert_eq!(r.status, 403);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}"), Some(outsider), json!({})).await;
    assert_eq!(r.status, 404);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}"), Some(a), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members"), Some(a), json!({})).await;
    assert_eq!(r.status, 404);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}"), Some(a), json!({})).await;
    assert_eq!(r.status, 404);
    let r = call(&http, "GET", "/api/v1/groups", Some(b), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), Vec::<Value>::new(), "gone from every list: {}", r.text);
    assert_eq!(shiku(&http, "/room/get", b, &[("roomId", &gid)]).await.shiku_code(), 1010104);
}

#[tokio::test]
async fn mx_public_join_add_remove_and_leave() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, d) = (&p[0], &p[1], &p[2], &p[3]);
    let g = create(&http, a, json!({"name": "Open"})).await;
    let gid = g["id"].as_str().unwrap().to_string();
    let members = format!("/api/v1/groups/{gid}/members");

    // Joining a public group is immediate; twice changes nothing.
    let r = call(&http, "POST", &members, Some(c), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["is_member"].clone(), r.body["role"].clone(), r.body["member_count"].as_i64()),
        (json!(true), json!("member"), Some(2))
    );
    let r = call(&http, "POST", &members, Some(c), json!({})).await;
    assert_eq!((r.status, r.body["member_count"].as_i64()), (200, Some(2)));
    // The same room through Shiku, with C's Shiku token.
    let r = shiku(&http, "/room/get", c, &[("roomId", &gid)]).await;
    assert_eq!((r.shiku_ok()["member"]["role"].clone(), r.shiku_ok()["userSize"].clone()), (json!(3), json!(2)));
    let r = call(&http, "GET", "/api/v1/groups", Some(c), json!({})).await;
    assert_eq!(r.body["items"][0]["is_member"], true, "{}", r.text);

    // Leave, then leaving again is not found.
    let r = call(&http, "DELETE", &members, Some(c), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(&http, "GET", &members, Some(a), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(a.p.uid)]);
    let r = call(&http, "DELETE", &members, Some(c), json!({})).await;
    assert_eq!(r.status, 404);

    // Owner/admins add people (groups made here take invitations from admins only).
    let r = call(&http, "POST", &members, Some(a), json!({"user_ids": [b.p.uid, c.p.uid]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut added: Vec<i64> =
        r.body["added_user_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    added.sort();
    assert_eq!((added, r.body["member_count"].as_i64()), (vec![b.p.uid, c.p.uid], Some(3)));
    let r = call(&http, "POST", &members, Some(b), json!({"user_ids": [d.p.uid]})).await;
    assert_eq!(r.status, 403, "a plain member adds nobody: {}", r.text);
    let r = shiku(&http, "/room/member/update", b, &[("roomId", &gid), ("text", &json!([d.p.uid]).to_string())]).await;
    assert_eq!(r.shiku_code(), 1030103, "not through Shiku either");
    let r = call(&http, "POST", &members, Some(a), json!({"user_ids": [99999999]})).await;
    assert_eq!(r.status, 404, "unknown user: {}", r.text);

    // Removal: owner/admins remove members; members remove nobody; the owner cannot be removed.
    let r = call(&http, "DELETE", &format!("{members}?user_ids={}", a.p.uid), Some(b), json!({})).await;
    assert_eq!(r.status, 403);
    let r = call(&http, "DELETE", &members, Some(a), json!({"user_ids": [c.p.uid]})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(&http, "GET", &format!("{members}/{}", c.p.uid), Some(a), json!({})).await;
    assert_eq!(r.status, 404);
    let r = call(&http, "DELETE", &format!("{members}?user_id={}", d.p.uid), Some(a), json!({})).await;
    assert_eq!(r.status, 404, "not a member");

    // The owner leaving hands the group over.
    let r = call(&http, "DELETE", &members, Some(a), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(&http, "GET", &format!("{members}/{}", b.p.uid), Some(b), json!({})).await;
    assert_eq!(r.body["role"], "owner", "{}", r.text);
    let r = call(&http, "GET", "/api/v1/groups", Some(b), json!({})).await;
    assert_eq!(
        (r.body["items"][0]["is_admin"].clone(), r.body["items"][0]["member_count"].clone()),
        (json!(true), json!(1))
    );
}

#[tokio::test]
async fn mx_private_join_requests_approve_reject() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 5).await;
    let (a, b, m, c, d) = (&p[0], &p[1], &p[2], &p[3], &p[4]);
    let g = create(&http, a, json!({"name": "Board", "public": "false", "user_ids": [b.p.uid, m.p.uid]})).await;
    let gid = g["id"].as_str().unwrap().to_string();
    let members = format!("/api/v1/groups/{gid}/members");
    let bs = b.p.uid.to_string();
    shiku(&http, "/room/set/admin", a, &[("roomId", &gid), ("touserId", &bs), ("type", "2")]).await.shiku_ok();

    // Outsiders do not see a private group.
    for path in [members.clone(), format!("{members}/{}", a.p.uid)] {
        let r = call(&http, "GET", &path, Some(c), json!({})).await;
        assert_eq!((r.status, r.body["error"].clone()), (404, json!("not_found")), "{path}");
    }
    let r = call(&http, "GET", "/api/v1/groups", Some(c), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), Vec::<Value>::new());

    // Joining makes a pending request; the owner and admins hear of it.
    let mut ws_a = Ws::connect(&app, &a.tok).await.unwrap();
    let r = call(&http, "POST", &members, Some(c), json!({"message": "let me in"})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let req = r.body.clone();
    let rid = req["id"].as_str().unwrap().to_string();
    assert_eq!(
        (req["status"].clone(), req["group_id"].clone(), req["user_id"].as_i64(), req["message"].clone()),
        (json!("pending"), json!(gid), Some(c.p.uid), json!("let me in"))
    );
    let f = ws_a.next_group("joinRequested", WAIT).await.expect("the owner hears of the request");
    assert_eq!(
        (f["requestId"].clone(), f["userId"].as_i64(), f["groupId"].clone()),
        (json!(rid), Some(c.p.uid), json!(gid))
    );
    let r = call(&http, "POST", &members, Some(c), json!({})).await;
    assert_eq!((r.status, r.body["id"].clone()), (202, json!(rid)), "asking again answers the same request");
    assert_eq!(call(&http, "GET", &members, Some(c), json!({})).await.status, 404, "still outside");

    // Pending list: owner/admins only.
    let r = call(&http, "GET", &format!("{members}?status=pending"), Some(b), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(rid)]);
    assert_eq!(r.body["items"][0]["user"]["id"].as_i64(), Some(c.p.uid));
    assert_eq!(call(&http, "GET", &format!("{members}?status=pending"), Some(m), json!({})).await.status, 403);
    assert_eq!(call(&http, "GET", &format!("{members}?status=pending"), Some(c), json!({})).await.status, 404);

    // Who may decide: owner/admins of that group.
    let approve = format!("/api/v1/pendings/requests/{rid}/approve");
    let reject = format!("/api/v1/pendings/requests/{rid}/reject");
    for who in [m, c, d] {
        let r = call(&http, "POST", &approve, Some(who), json!({})).await;
        assert_eq!((r.status, r.body["error"].clone()), (403, json!("forbidden")), "{}", r.text);
    }
    let at: i64 = rid.rsplit('.').next().unwrap().parse().unwrap();
    for bad in ["nope".to_string(), format!("{gid}.{}.{}", c.p.uid, at + 1), format!("{gid}.{}.{at}", d.p.uid)] {
        let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{bad}/approve"), Some(a), json!({})).await;
        assert_eq!(r.status, 404, "{bad}: {}", r.text);
    }

    // An admin approves: C is a member, in every dialect.
    let r = call(&http, "POST", &approve, Some(b), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["status"].clone(), r.body["decided_by"].as_i64()), (json!("approved"), Some(b.p.uid)));
    let f = ws_a.next_group("joined", WAIT).await.expect("members hear of the new member");
    assert_eq!((f["userIds"].clone(), f["requestId"].clone()), (json!([c.p.uid]), json!(rid)));
    let r = call(&http, "GET", &members, Some(c), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(ids(&r.body["items"], "id").contains(&json!(c.p.uid)));
    let r = call(&http, "GET", "/api/v1/groups", Some(c), json!({})).await;
    assert_eq!((ids(&r.body["items"], "id"), r.body["items"][0]["member_count"].clone()), (vec![json!(gid)], json!(4)));
    let r = shiku(&http, "/room/get", c, &[("roomId", &gid)]).await;
    assert_eq!(r.shiku_ok()["member"]["role"], 3, "a Shiku room member too");
    let r = shiku(&http, "/room/member/list", c, &[("roomId", &gid)]).await;
    assert!(r.shiku_ok().as_array().unwrap().iter().any(|x| x["userId"].as_i64() == Some(c.p.uid)));
    // Decided: both answers conflict; the pending list is empty.
    assert_eq!(call(&http, "POST", &approve, Some(a), json!({})).await.status, 409);
    assert_eq!(call(&http, "POST", &reject, Some(a), json!({})).await.status, 409);
    let r = call(&http, "GET", &format!("{members}?status=pending"), Some(a), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), Vec::<Value>::new());

    // Rejection: D stays out and hears of it; asking again is a new request.
    let mut ws_d = Ws::connect(&app, &d.tok).await.unwrap();
    let r = call(&http, "POST", &members, Some(d), json!({})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let did = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{did}/reject"), Some(a), json!({})).await;
    assert_eq!((r.status, r.body["status"].clone()), (200, json!("rejected")), "{}", r.text);
    let f = ws_d.next_group("joinRejected", WAIT).await.expect("the requester hears of the rejection");
    assert_eq!(f["requestId"], json!(did));
    assert_eq!(call(&http, "GET", &members, Some(d), json!({})).await.status, 404);
    for verb in ["approve", "reject"] {
        let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{did}/{verb}"), Some(a), json!({})).await;
        assert_eq!((r.status, r.body["error"].clone()), (409, json!("conflict")), "{verb}");
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = call(&http, "POST", &members, Some(d), json!({})).await;
    let again = r.body["id"].as_str().unwrap().to_string();
    assert_ne!(again, did, "a new request after a rejection");
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{did}/approve"), Some(a), json!({})).await;
    assert_eq!(r.status, 409, "the old request stays decided");

    // A full group: approval fails, the request stays pending; with room it goes through.
    shiku(&http, "/room/update", a, &[("roomId", &gid), ("maxUserSize", "4")]).await.shiku_ok();
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{again}/approve"), Some(a), json!({})).await;
    assert_eq!(r.status, 403, "room full: {}", r.text);
    let r = call(&http, "GET", &format!("{members}?status=pending"), Some(a), json!({})).await;
    assert_eq!(ids(&r.body["items"], "id"), vec![json!(again)], "back to pending");
    shiku(&http, "/room/update", a, &[("roomId", &gid), ("maxUserSize", "5")]).await.shiku_ok();
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{again}/approve"), Some(a), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(&http, "GET", &format!("{members}/{}", d.p.uid), Some(d), json!({})).await;
    assert_eq!(r.body["role"], "member", "{}", r.text);

    // Two deciders at once: exactly one wins, the other gets 409.
    let r = call(&http, "POST", &members, Some(m), json!({})).await;
    assert_eq!(r.status, 200, "already a member: {}", r.text);
    let e = people(&http, 1).await.pop().unwrap();
    let r = call(&http, "POST", &members, Some(&e), json!({})).await;
    let eid = r.body["id"].as_str().unwrap().to_string();
    shiku(&http, "/room/update", a, &[("roomId", &gid), ("maxUserSize", "10")]).await.shiku_ok();
    let (approve_e, reject_e) =
        (format!("/api/v1/pendings/requests/{eid}/approve"), format!("/api/v1/pendings/requests/{eid}/reject"));
    let (x, y) = tokio::join!(
        call(&http, "POST", &approve_e, Some(a), json!({})),
        call(&http, "POST", &reject_e, Some(b), json!({})),
    );
    let mut statuses = vec![x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409], "{} / {}", x.text, y.text);
    let in_group = call(&http, "GET", &format!("{members}/{}", e.p.uid), Some(a), json!({})).await.status == 200;
    assert_eq!(in_group, x.status == 200, "a member exactly when the approval won");

    // A member joining again is a no-op, not a request.
    let r = call(&http, "POST", &members, Some(c), json!({})).await;
    assert_eq!((r.status, r.body["is_member"].clone()), (200, json!(true)));
    ws_a.close().await;
    ws_d.close().await;
}

#[tokio::test]
async fn mx_groups_bad_input_and_no_token() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let gid = create(&http, a, json!({"name": "G"})).await["id"].as_str().unwrap().to_string();
    let req = "x.10000000.1700000000000";

    // No token: 401 everywhere.
    for (m, path) in [
        ("GET", "/api/v1/groups".to_string()),
        ("POST", "/api/v1/groups".to_string()),
        ("PUT", format!("/api/v1/groups/{gid}")),
        ("DELETE", format!("/api/v1/groups/{gid}")),
        ("GET", format!("/api/v1/groups/{gid}/members")),
        ("GET", format!("/api/v1/groups/{gid}/members/{}", a.p.uid)),
        ("POST", format!("/api/v1/groups/{gid}/members")),
        ("DELETE", format!("/api/v1/groups/{gid}/members")),
        ("POST", format!("/api/v1/pendings/requests/{req}/approve")),
        ("POST", format!("/api/v1/pendings/requests/{req}/reject")),
    ] {
        let r = call(&http, m, &path, None, json!({"name": "x"})).await;
        assert_eq!((r.status, r.body["error"].clone()), (401, json!("invalid_token")), "{m} {path}");
    }

    // Bad parameters: 400.
    for body in [
        json!({}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(65)}),
        json!({"name": "ok", "public": "maybe"}),
        json!({"name": "ok", "user_ids": ["abc"]}),
        json!({"name": "ok", "user_ids": [{"id": 1}]}),
        json!({"name": "ok", "description": "d".repeat(501)}),
    ] {
        let r = call(&http, "POST", "/api/v1/groups", Some(a), body.clone()).await;
        assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_request")), "{body}: {}", r.text);
    }
    let r = call(&http, "POST", "/api/v1/groups", Some(a), json!({"name": "ok", "user_ids": [99999999]})).await;
    assert_eq!(r.status, 404, "unknown member");
    for q in ["limit=0", "limit=abc", "page=0", "cursor=xyz", "cursor=0", "page=5000&limit=100"] {
        let r = call(&http, "GET", &format!("/api/v1/groups?{q}"), Some(a), json!({})).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    for q in ["limit=0", "cursor=-1", "status=banned"] {
        let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members?{q}"), Some(a), json!({})).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members/abc"), Some(a), json!({})).await;
    assert_eq!(r.status, 400);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}/members?user_id=x"), Some(a), json!({})).await;
    assert_eq!(r.status, 400);
    let r = call(&http, "POST", &format!("/api/v1/groups/{gid}/members"), Some(b), json!({"message": "m".repeat(201)}))
        .await;
    assert_eq!(r.status, 400);
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(a), json!({"public": "sometimes"})).await;
    assert_eq!(r.status, 400);
    let r = call(
        &http,
        "DELETE",
        &format!("/api/v1/groups/{gid}/members"),
        Some(a),
        json!({"user_ids": [a.p.uid, b.p.uid]}),
    )
    .await;
    assert_eq!(r.status, 400, "removing yourself with others: leave instead");

    // Unknown or malformed ids: 404 (a 1:1 conversation is not a group).
    let r = call(&http, "POST", &format!("/api/v1/conversations2/to_user/{}", b.p.uid), Some(a), json!({})).await;
    let single = r.body["id"].as_str().unwrap().to_string();
    for id in ["nope", "bad%20id", "a.b", &single, &"z".repeat(81)] {
        for (m, path) in [
            ("GET", format!("/api/v1/groups/{id}/members")),
            ("GET", format!("/api/v1/groups/{id}/members/{}", a.p.uid)),
            ("POST", format!("/api/v1/groups/{id}/members")),
            ("DELETE", format!("/api/v1/groups/{id}/members")),
            ("PUT", format!("/api/v1/groups/{id}")),
            ("DELETE", format!("/api/v1/groups/{id}")),
        ] {
            let r = call(&http, m, &path, Some(a), json!({"name": "x"})).await;
            assert_eq!(r.status, 404, "{m} {path}: {}", r.text);
        }
    }
    for id in ["nope", "a.b.c", "%2E%2E", "x.1.1", &format!("{gid}.{}.1", b.p.uid), &format!("{gid}.-5.1")] {
        for verb in ["approve", "reject"] {
            let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{id}/{verb}"), Some(a), json!({})).await;
            assert_eq!(r.status, 404, "{id} {verb}: {}", r.text);
        }
    }
    let r =
        call(&http, "POST", "/api/v1/groups", Some(a), json!({"name": "ok", "public": true, "user_ids": "" })).await;
    assert_eq!(r.status, 201, "booleans and empty lists are fine: {}", r.text);
}

/// DynamoDB calls per request (the gateway's `x-ddb-calls`), printed for the docs and
/// bounded so a regression shows.
#[tokio::test]
async fn mx_groups_ddb_calls_per_request() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let mut seen: Vec<(&str, u32, u32)> = vec![];
    let mut check = |what: &'static str, r: &Resp, max: u32| {
        assert!(r.status < 300, "{what}: {} {}", r.status, r.text);
        seen.push((what, r.ddb_calls(), max));
    };
    let r = call(&http, "POST", "/api/v1/groups", Some(a), json!({"name": "Pub", "user_ids": [b.p.uid]})).await;
    // Creation and dismissal include the dashboard's live-rooms counter (COUNTER/rooms, +1 each).
    check("POST /groups (1 initial member)", &r, 8);
    let gid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "POST", "/api/v1/groups", Some(a), json!({"name": "Priv", "public": false})).await;
    let pid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "GET", "/api/v1/groups", Some(a), json!({})).await;
    check("GET /groups", &r, 4);
    let r = call(&http, "PUT", &format!("/api/v1/groups/{gid}"), Some(a), json!({"name": "Pub2"})).await;
    check("PUT /groups/{id} (rename)", &r, 3);
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members"), Some(a), json!({})).await;
    check("GET /groups/{id}/members", &r, 3);
    let r = call(&http, "GET", &format!("/api/v1/groups/{gid}/members/{}", b.p.uid), Some(a), json!({})).await;
    check("GET /groups/{id}/members/{uid}", &r, 4);
    let r = call(&http, "POST", &format!("/api/v1/groups/{gid}/members"), Some(c), json!({})).await;
    check("POST /groups/{id}/members (public join)", &r, 6);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}/members"), Some(c), json!({})).await;
    check("DELETE /groups/{id}/members (leave)", &r, 3);
    let r =
        call(&http, "POST", &format!("/api/v1/groups/{gid}/members"), Some(a), json!({"user_ids": [c.p.uid]})).await;
    check("POST /groups/{id}/members (admin adds 1)", &r, 8);
    let r =
        call(&http, "DELETE", &format!("/api/v1/groups/{gid}/members"), Some(a), json!({"user_ids": [c.p.uid]})).await;
    check("DELETE /groups/{id}/members (admin removes 1)", &r, 4);
    let r = call(&http, "POST", &format!("/api/v1/groups/{pid}/members"), Some(c), json!({})).await;
    check("POST /groups/{id}/members (private: request)", &r, 7);
    let rid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "GET", &format!("/api/v1/groups/{pid}/members?status=pending"), Some(a), json!({})).await;
    check("GET /groups/{id}/members?status=pending", &r, 4);
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{rid}/approve"), Some(a), json!({})).await;
    check("POST /pendings/requests/{id}/approve", &r, 8);
    let r = call(&http, "POST", &format!("/api/v1/groups/{pid}/members"), Some(b), json!({})).await;
    let rid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "POST", &format!("/api/v1/pendings/requests/{rid}/reject"), Some(a), json!({})).await;
    check("POST /pendings/requests/{id}/reject", &r, 6);
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}"), Some(a), json!({})).await;
    check("DELETE /groups/{id} (3 members)", &r, 6);
    for (what, calls, max) in &seen {
        eprintln!("{what}: {calls} DynamoDB calls (bound {max})");
    }
    let over: Vec<_> = seen.iter().filter(|(_, calls, max)| calls > max).collect();
    assert!(over.is_empty(), "more DynamoDB calls than expected: {over:?}");
}
