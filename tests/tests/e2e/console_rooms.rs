//! Shiku operator console, rooms (`/console/{roomList,roomUserManager,roomMsgDetail,addRoom,
//! deleteRoom,deleteMember}`): every live room whichever dialect made it, member and message
//! pages, and changes through the rooms rules — members' sockets hear them, each is audited;
//! bad input and call budgets.

use e2e::console::{audited, login};
use e2e::rooms::{room, sealtalk, sealtalk_group, shiku};
use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

const BAD_PARAM: i64 = 1010101;
const MISSING: i64 = 1010102;
const NOT_FOUND: i64 = 1010104;
const TOKEN_INVALID: i64 = 1030102;
const WAIT: Duration = Duration::from_secs(10);

/// A console call with the operator's token first.
async fn console(http: &Http, tok: &str, path: &str, form: &[(&str, &str)]) -> Resp {
    http.shiku(path, &sh(tok, form)).await
}

fn names(d: &Value) -> Vec<String> {
    d["list"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

/// The dashboard's live-room count.
async fn room_count(http: &Http, tok: &str) -> i64 {
    let r = console(http, tok, "/console/userStatus", &[]).await;
    r.shiku_ok()["roomCount"].as_i64().unwrap_or_else(|| panic!("{}", r.text))
}

fn member_ids(d: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = d["list"].as_array().unwrap().iter().map(|m| m["userId"].as_i64().unwrap()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn console_lists_rooms_members_and_messages() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let text = json!([b.uid, c.uid]).to_string();
    let r = shiku(&http, "/room/add", a, &[("name", "Alpha Team"), ("text", &text)]).await;
    let alpha = r.shiku_ok()["id"].as_str().unwrap().to_string();
    // A SealTalk group, made after it: listed first.
    let seals = sealtalk_group(&http, b, &[c]).await;
    let tok = login(&http).await;

    // User tokens are refused on every rooms route.
    for path in ["/console/roomList", "/console/roomUserManager", "/console/roomMsgDetail", "/console/deleteRoom"] {
        let r = http.shiku_as(path, &a.token, &[("id", &alpha), ("roomId", &alpha)]).await;
        assert_eq!(r.shiku_code(), TOKEN_INVALID, "{path}: {}", r.text);
    }

    // Every live room, newest first, whichever dialect made it: token + 1 Query.
    let r = console(&http, &tok, "/console/roomList", &[]).await;
    let d = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= 2, "roomList: {} calls", r.ddb_calls());
    let listed: Vec<String> = d["list"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().into()).collect();
    let (i_seals, i_alpha) = (
        listed.iter().position(|x| *x == seals).expect("the SealTalk group is listed"),
        listed.iter().position(|x| *x == alpha).expect("the Shiku room is listed"),
    );
    assert!(i_seals < i_alpha, "newest first: {listed:?}");
    let row = &d["list"][i_alpha];
    assert_eq!((row["name"].as_str(), row["userSize"].as_i64()), (Some("Alpha Team"), Some(3)), "{row}");
    assert!(row.get("members").is_none(), "no member list in the room list: {row}");
    let r = console(&http, &tok, "/console/roomList", &[("pageSize", "1")]).await;
    let d = r.shiku_ok().clone();
    assert_eq!((d["list"].as_array().unwrap().len(), d["more"].clone()), (1, json!(true)));
    // Name search (case-insensitive substring).
    let r = console(&http, &tok, "/console/roomList", &[("roomName", "alpha t")]).await;
    assert_eq!(names(r.shiku_ok()), vec!["Alpha Team".to_string()]);
    let r = console(&http, &tok, "/console/roomList", &[("roomName", "no such room")]).await;
    assert_eq!(names(r.shiku_ok()), Vec::<String>::new());
    for (k, v) in [("pageSize", "51"), ("pageSize", "0"), ("pageIndex", "-1"), ("pageSize", "x")] {
        let r = console(&http, &tok, "/console/roomList", &[(k, v)]).await;
        assert_eq!(r.shiku_code(), BAD_PARAM, "{k}={v}: {}", r.text);
    }
    let long = "n".repeat(65);
    assert_eq!(console(&http, &tok, "/console/roomList", &[("roomName", &long)]).await.shiku_code(), BAD_PARAM);

    // Members: pages with names; token + 1 Query + 1 BatchGetItem.
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &alpha), ("pageSize", "2")]).await;
    let first = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= 3, "roomUserManager: {} calls", r.ddb_calls());
    assert_eq!((first["list"].as_array().unwrap().len(), first["more"].clone()), (2, json!(true)), "{first}");
    let form = [("id", alpha.as_str()), ("pageSize", "2"), ("pageIndex", "1")];
    let second = console(&http, &tok, "/console/roomUserManager", &form).await.shiku_ok().clone();
    assert_eq!(second["more"], false);
    let mut all = member_ids(&first);
    all.extend(member_ids(&second));
    all.sort();
    let mut want = vec![a.uid, b.uid, c.uid];
    want.sort();
    assert_eq!(all, want);
    let owner =
        first["list"].as_array().unwrap().iter().chain(second["list"].as_array().unwrap()).find(|m| m["role"] == 1);
    assert_eq!(owner.unwrap()["userId"], a.uid);
    assert!(first["list"][0]["nickname"].as_str().is_some_and(|n| !n.is_empty()), "{first}");
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", "nosuchroom")]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    assert_eq!(console(&http, &tok, "/console/roomUserManager", &[]).await.shiku_code(), MISSING);

    // Messages newest first: token + 1 Query; room_jid_id or roomId.
    for body in ["one", "two", "three"] {
        send_http(&http, b, &alpha, body).await;
    }
    let r = console(&http, &tok, "/console/roomMsgDetail", &[("room_jid_id", &alpha), ("pageSize", "2")]).await;
    let d = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= 2, "roomMsgDetail: {} calls", r.ddb_calls());
    let bodies: Vec<&str> = d["list"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!((bodies, d["more"].clone()), (vec!["three", "two"], json!(true)));
    assert_eq!(d["list"][0]["sender"], b.uid);
    let form = [("roomId", alpha.as_str()), ("pageIndex", "1"), ("pageSize", "2")];
    let d = console(&http, &tok, "/console/roomMsgDetail", &form).await.shiku_ok().clone();
    assert_eq!((d["list"].as_array().unwrap().len(), d["more"].clone()), (1, json!(false)));
    let r = console(&http, &tok, "/console/roomMsgDetail", &[("roomId", &seals)]).await;
    assert_eq!(r.shiku_ok()["list"], json!([]), "a room without messages is an empty page");
    let r = console(&http, &tok, "/console/roomMsgDetail", &[("roomId", "nosuchroom")]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    assert_eq!(console(&http, &tok, "/console/roomMsgDetail", &[]).await.shiku_code(), MISSING);
}

#[tokio::test]
async fn console_room_changes_are_heard_and_audited() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 5).await;
    let (a, b, c, d, e) = (&p[0], &p[1], &p[2], &p[3], &p[4]);
    let cid = room(&http, a, &[b, c, d], &[]).await;
    let tok = login(&http).await;
    let mut ws_b = Ws::connect(&app, &b.token).await.unwrap();
    let mut ws_c = Ws::connect(&app, &c.token).await.unwrap();
    let members = |cid: String| {
        let (http, tok) = (&http, tok.clone());
        async move {
            let r = console(http, &tok, "/console/roomUserManager", &[("id", &cid), ("pageSize", "50")]).await;
            member_ids(r.shiku_ok())
        }
    };

    // deleteMember: the removed member and the others hear `kicked`; audited.
    let (cs, ds) = (c.uid.to_string(), d.uid.to_string());
    let r = console(&http, &tok, "/console/deleteMember", &[("roomId", &cid), ("userId", &cs)]).await;
    assert_eq!(r.shiku_ok(), &Value::Null, "{}", r.text);
    assert!(r.ddb_calls() <= 4, "deleteMember: {} calls", r.ddb_calls());
    let f = ws_c.next_group("kicked", WAIT).await.expect("the removed member is told");
    assert_eq!((f["roomId"].as_str(), f["userId"].as_i64()), (Some(cid.as_str()), Some(c.uid)));
    assert_eq!(ws_b.next_group("kicked", WAIT).await.expect("members are told")["userId"], c.uid);
    assert!(!members(cid.clone()).await.contains(&c.uid));
    assert_eq!(audited(&app, "/console/deleteMember", &format!("user:{}", c.uid)).await, 1);
    assert_eq!(
        shiku(&http, "/room/member/delete", a, &[("roomId", &cid), ("userId", &cs)]).await.shiku_code(),
        NOT_FOUND
    );
    // Not a member (any more), unknown room, bad ids: not found / refused, nothing audited.
    let r = console(&http, &tok, "/console/deleteMember", &[("roomId", &cid), ("userId", &cs)]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    let r = console(&http, &tok, "/console/deleteMember", &[("roomId", "nosuchroom"), ("userId", &ds)]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    let r = console(&http, &tok, "/console/deleteMember", &[("roomId", &cid), ("userId", "abc")]).await;
    assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
    assert_eq!(console(&http, &tok, "/console/deleteMember", &[("roomId", &cid)]).await.shiku_code(), MISSING);
    assert_eq!(audited(&app, "/console/deleteMember", &format!("user:{}", c.uid)).await, 1);

    // Removing the owner hands the room over (the leave rule).
    let a_s = a.uid.to_string();
    console(&http, &tok, "/console/deleteMember", &[("roomId", &cid), ("userId", &a_s)]).await.shiku_ok();
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid)]).await;
    let list = r.shiku_ok()["list"].as_array().unwrap().clone();
    assert!(!list.iter().any(|m| m["userId"] == a.uid), "{list:?}");
    assert_eq!(list.iter().filter(|m| m["role"] == 1).count(), 1, "one new owner: {list:?}");

    // roomUserManager userIds: added through the invite path (members hear `joined`), audited.
    let ids = json!([e.uid, c.uid]).to_string();
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid), ("userIds", &ids)]).await;
    r.shiku_ok();
    assert!(r.ddb_calls() <= 9, "roomUserManager userIds (2): {} calls", r.ddb_calls());
    let f = ws_b.next_group("joined", WAIT).await.expect("members hear the addition");
    assert!(f.to_string().contains(&e.uid.to_string()), "{f}");
    let mut want = vec![b.uid, c.uid, d.uid, e.uid];
    want.sort();
    assert_eq!(members(cid.clone()).await, want);
    assert_eq!(audited(&app, "/console/roomUserManager", &format!("room:{cid}")).await, 1);
    for bad in ["[\"x\"]", "not json", "[]"] {
        let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid), ("userIds", bad)]).await;
        assert!([BAD_PARAM, MISSING].contains(&r.shiku_code()), "{bad}: {}", r.text);
    }
    let many = json!((1..=101).collect::<Vec<i64>>()).to_string();
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid), ("userIds", &many)]).await;
    assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid), ("userIds", "[99999999]")]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    assert_eq!(members(cid.clone()).await, want, "refused additions change nothing");

    // deleteRoom: every member hears `dismissed`; the room is gone in every dialect; audited.
    let other = room(&http, b, &[d], &[]).await;
    assert_eq!(room_count(&http, &tok).await, 2, "the dashboard counts live rooms");
    let r = console(&http, &tok, "/console/deleteRoom", &[("roomId", &cid)]).await;
    assert_eq!(r.shiku_ok(), &Value::Null, "{}", r.text);
    assert!(r.ddb_calls() <= 6, "deleteRoom: {} calls", r.ddb_calls());
    assert!(ws_b.next_group("dismissed", WAIT).await.is_some(), "a member hears the dismissal");
    assert!(ws_c.next_group("dismissed", WAIT).await.is_some(), "a re-added member hears it");
    assert_eq!(shiku(&http, "/room/get", b, &[("roomId", &cid)]).await.shiku_code(), NOT_FOUND);
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid)]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND);
    let r = console(&http, &tok, "/console/roomList", &[]).await;
    assert!(!r.text.contains(&cid), "a dismissed room leaves the list");
    assert_eq!(audited(&app, "/console/deleteRoom", &format!("room:{cid}")).await, 1);
    assert_eq!(room_count(&http, &tok).await, 1, "a dismissed room leaves the count");
    // Dismissed by its owner in another dialect: counted too.
    let r = sealtalk(&http, b, "/group/dismiss", json!({"groupId": other})).await;
    assert_eq!(r.body["code"], 200, "{}", r.text);
    assert_eq!(room_count(&http, &tok).await, 0);
    let r = console(&http, &tok, "/console/deleteRoom", &[("roomId", &cid)]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "{}", r.text);
    assert_eq!(console(&http, &tok, "/console/deleteRoom", &[]).await.shiku_code(), MISSING);
    assert_eq!(audited(&app, "/console/deleteRoom", &format!("room:{cid}")).await, 1);
}

#[tokio::test]
async fn console_add_room_makes_a_room_owned_by_a_user() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let tok = login(&http).await;
    let r = http.shiku_as("/console/addRoom", &a.token, &[("room", "{}")]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    // GET: the seed's page.
    let r = http.get(&format!("/console/addRoom?access_token={tok}"), None).await;
    assert_eq!(r.shiku_ok(), &json!({}), "{}", r.text);

    let spec = json!({"name": "Made by ops", "desc": "ops room", "userId": a.uid}).to_string();
    let ids = json!([b.uid, c.uid]).to_string();
    let r = console(&http, &tok, "/console/addRoom", &[("room", &spec), ("ids", &ids)]).await;
    let d = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= 8, "addRoom (3 members): {} calls", r.ddb_calls());
    let cid = d["id"].as_str().expect("the room's id").to_string();
    assert_eq!((d["name"].as_str(), d["userId"].as_i64()), (Some("Made by ops"), Some(a.uid)), "{d}");
    assert_eq!(d["desc"], "ops room", "{d}");
    // Its owner and members see it as any room.
    let r = shiku(&http, "/room/get", b, &[("roomId", &cid)]).await;
    assert_eq!(r.shiku_ok()["userId"], a.uid);
    let r = console(&http, &tok, "/console/roomUserManager", &[("id", &cid)]).await;
    let mut want = vec![a.uid, b.uid, c.uid];
    want.sort();
    assert_eq!(member_ids(r.shiku_ok()), want);
    assert_eq!(audited(&app, "/console/addRoom", &format!("owner:{}", a.uid)).await, 1);

    // Bad input: nothing made, nothing audited.
    let before = console(&http, &tok, "/console/roomList", &[]).await.shiku_ok()["list"].as_array().unwrap().len();
    let bad: Vec<(Vec<(&str, String)>, i64)> = vec![
        (vec![], MISSING),
        (vec![("room", "not json".into())], BAD_PARAM),
        (vec![("room", "[1]".into())], BAD_PARAM),
        (vec![("room", json!({"userId": a.uid}).to_string())], MISSING),
        (vec![("room", json!({"name": "x"}).to_string())], MISSING),
        (vec![("room", json!({"name": "n".repeat(65), "userId": a.uid}).to_string())], BAD_PARAM),
        (vec![("room", json!({"name": "x", "userId": 99999999}).to_string())], NOT_FOUND),
        (vec![("room", json!({"name": "x", "userId": 10000}).to_string())], BAD_PARAM),
        (vec![("room", json!({"name": "x", "userId": a.uid}).to_string()), ("ids", "[99999999]".into())], NOT_FOUND),
        (vec![("room", json!({"name": "x", "userId": a.uid}).to_string()), ("ids", "[\"b\"]".into())], BAD_PARAM),
    ];
    for (form, code) in bad {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = console(&http, &tok, "/console/addRoom", &f).await;
        assert_eq!(r.shiku_code(), code, "{form:?}: {}", r.text);
    }
    let after = console(&http, &tok, "/console/roomList", &[]).await.shiku_ok()["list"].as_array().unwrap().len();
    assert_eq!(after, before, "refused rooms are not made");
    assert_eq!(audited(&app, "/console/addRoom", &format!("owner:{}", a.uid)).await, 1);
}
