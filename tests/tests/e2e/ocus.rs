//! Shiku public accounts: `/mp/*` (the account's own session) and `/public/menu/list`.

use e2e::*;
use serde_json::{json, Value};
use shared::auth::md5_hex;

pub async fn mp(http: &Http, p: &Person, path: &str, form: &[(&str, &str)]) -> Value {
    http.shiku_as(path, &p.token, form).await.shiku_ok().clone()
}

fn names(tree: &Value) -> Vec<String> {
    tree.as_array()
        .unwrap_or_else(|| panic!("not a list: {tree}"))
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn mp_login_menus_and_public_menu_list() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let user = register(&http, &phone(), "secret1", "Reader").await;
    let pw = md5_hex("secret1");

    // /mp/login: only public accounts; an ordinary account gets the bad-credentials code.
    let d = http.shiku("/mp/login", &[("username", &acc.phone), ("areaCode", "86"), ("password", &pw)]).await;
    let d = d.shiku_ok();
    assert_eq!((d["userId"].as_i64(), d["userType"].clone()), (Some(acc.uid), json!(2)));
    let tok = d["access_token"].as_str().unwrap().to_string();
    let r = http.shiku("/mp/login", &[("username", &user.phone), ("areaCode", "86"), ("password", &pw)]).await;
    assert_eq!(r.shiku_code(), 1040102);
    let r =
        http.shiku("/mp/login", &[("username", &acc.phone), ("areaCode", "86"), ("password", &md5_hex("nope"))]).await;
    assert_eq!(r.shiku_code(), 1040102);
    assert_eq!(http.shiku("/mp/login", &[("password", &pw)]).await.shiku_code(), 1010102);

    // Menus: 3 top-level × 5 children, flat params or a JSON entity.
    let acc = Person { token: tok, ..acc };
    assert_eq!(mp(&http, &acc, "/mp/menuList", &[]).await, json!([]));
    let t = mp(&http, &acc, "/mp/menu/save", &[("name", "News"), ("parentId", "0")]).await;
    let top = t[0]["id"].as_i64().unwrap();
    let entity = json!({"name": "Today", "parentId": top, "url": "https://news.example/today"}).to_string();
    let t = mp(&http, &acc, "/mp/menu/save", &[("entity", &entity)]).await;
    let child = &t[0]["menuList"][0];
    assert_eq!(
        (child["name"].clone(), child["parentId"].as_i64(), child["url"].clone(), child["userId"].as_i64()),
        (json!("Today"), Some(top), json!("https://news.example/today"), Some(acc.uid))
    );
    let keys: Vec<&str> = child.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["id", "name", "parentId", "url", "userId"]);
    for i in 1..5 {
        mp(
            &http,
            &acc,
            "/mp/menu/save",
            &[("name", &format!("c{i}")), ("parentId", &top.to_string()), ("url", "http://x.example")],
        )
        .await;
    }
    mp(&http, &acc, "/mp/menu/save", &[("name", "Shop")]).await;
    let t = mp(&http, &acc, "/mp/menu/save", &[("name", "About"), ("url", "https://about.example")]).await;
    assert_eq!(names(&t), vec!["News", "Shop", "About"]);
    assert_eq!(t[0]["menuList"].as_array().unwrap().len(), 5);
    // rename one
    let cid = t[0]["menuList"][0]["id"].to_string();
    let t = mp(
        &http,
        &acc,
        "/mp/menu/save",
        &[("id", &cid), ("name", "Now"), ("parentId", &top.to_string()), ("url", "https://n.example")],
    )
    .await;
    assert_eq!(t[0]["menuList"][0]["name"], "Now");

    // Bad input: the dialect's error, nothing written.
    let tops = top.to_string();
    let long = "n".repeat(17);
    for (form, code) in [
        (vec![("name", "Four")], 1010101), // a 4th top-level
        (vec![("name", "c6"), ("parentId", tops.as_str()), ("url", "https://x.example")], 1010101), // a 6th child
        (vec![("name", "x"), ("parentId", tops.as_str()), ("url", "ftp://x.example")], 1010101),
        (vec![("name", "x"), ("parentId", tops.as_str()), ("url", "javascript:alert(1)")], 1010101),
        (vec![("name", long.as_str())], 1010101),
        (vec![("parentId", "0")], 1010102),
        (vec![("name", "x"), ("parentId", "abc")], 1010101),
        (vec![("name", "x"), ("parentId", "987654"), ("url", "https://x.example")], 1010104),
        (vec![("id", "987654"), ("name", "x")], 1010104),
        (vec![("entity", "{not json")], 1010101),
    ] {
        let r = http.shiku_as("/mp/menu/save", &acc.token, &form).await;
        assert_eq!(r.shiku_code(), code, "{form:?}: {}", r.text);
    }
    assert_eq!(http.shiku_as("/mp/menu/rename", &acc.token, &[("id", "1")]).await.shiku_code(), 1010101);
    assert_eq!(http.shiku_as("/mp/menu/delete", &acc.token, &[]).await.shiku_code(), 1010102);
    assert_eq!(http.shiku_as("/mp/menu/delete", &acc.token, &[("id", "987654")]).await.shiku_code(), 1010104);
    let t = mp(&http, &acc, "/mp/menuList", &[]).await;
    assert_eq!(
        (names(&t), t[0]["menuList"].as_array().unwrap().len()),
        (vec!["News".into(), "Shop".into(), "About".into()], 5)
    );

    // Anyone signed in reads an account's menu; unknown ids and ordinary users are not found.
    let uid = acc.uid.to_string();
    let r = http.shiku_as("/public/menu/list", &user.token, &[("userId", &uid)]).await;
    assert_eq!(r.shiku_ok(), &t);
    let u2 = user.uid.to_string();
    assert_eq!(http.shiku_as("/public/menu/list", &user.token, &[("userId", &u2)]).await.shiku_code(), 1010104);
    assert_eq!(http.shiku_as("/public/menu/list", &user.token, &[("userId", "99999999")]).await.shiku_code(), 1010104);
    assert_eq!(http.shiku_as("/public/menu/list", &user.token, &[("userId", "x")]).await.shiku_code(), 1010101);
    assert_eq!(http.shiku_as("/public/menu/list", &user.token, &[]).await.shiku_code(), 1010102);
    assert_ne!(http.shiku("/public/menu/list", &[("userId", &uid)]).await.shiku_code(), 1);

    // Delete a top-level entry with its children.
    let t = mp(&http, &acc, "/mp/menu/delete", &[("id", &top.to_string())]).await;
    assert_eq!(names(&t), vec!["Shop", "About"]);

    // An ordinary user on /mp: forbidden, on every route.
    for path in [
        "/mp/home",
        "/mp/menuList",
        "/mp/menu/save",
        "/mp/menu/delete",
        "/mp/fans",
        "/mp/fans/delete",
        "/mp/msg",
        "/mp/msg/list",
        "/mp/msg/reply",
        "/mp/msg/send",
    ] {
        let r =
            http.shiku_as(path, &user.token, &[("name", "x"), ("id", "1"), ("toUserId", &uid), ("body", "hi")]).await;
        assert_eq!(r.shiku_code(), 1030103, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn mp_fans_messages_and_home() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "Shop").await;
    let p = people(&http, 3).await;
    let (fan, writer, stranger) = (&p[0], &p[1], &p[2]);
    let accid = acc.uid.to_string();

    // Shiku /friends/attention/add to an account = subscribe: a fan, never a friend.
    let r = http.shiku_as("/friends/attention/add", &fan.token, &[("toUserId", &accid)]).await;
    assert_eq!(r.shiku_ok()["type"], 1);
    let r = http.shiku_as("/friends/attention/add", &fan.token, &[("toUserId", &accid)]).await;
    assert_eq!(r.shiku_ok()["type"], 3);
    let friends = http.shiku_as("/friends/list", &fan.token, &[]).await;
    assert!(!friends.text.contains(&format!("\"toUserId\":{}", acc.uid)), "{}", friends.text);
    // The account cannot follow or befriend users.
    let r = http.shiku_as("/friends/attention/add", &acc.token, &[("toUserId", &fan.uid.to_string())]).await;
    assert_eq!(r.shiku_code(), 1030103);

    let fans = mp(&http, &acc, "/mp/fans", &[]).await;
    assert_eq!(fans.as_array().unwrap().len(), 1);
    assert_eq!((fans[0]["userId"].as_i64(), fans[0]["nickname"].clone()), (Some(fan.uid), json!("P0")));
    assert!(!fans.to_string().contains(&fan.phone[3..]), "no phones: {fans}");
    assert_eq!(mp(&http, &acc, "/mp/fans", &[("pageIndex", "1")]).await, json!([]));
    assert_eq!(http.shiku_as("/mp/fans", &acc.token, &[("pageSize", "0")]).await.shiku_code(), 1010101);

    // The account writes to its fan; not to a stranger.
    let fanid = fan.uid.to_string();
    let m = mp(&http, &acc, "/mp/msg/send", &[("toUserId", &fanid), ("body", "welcome")]).await;
    assert_eq!((m["body"].clone(), m["toUserId"].as_i64()), (json!("welcome"), Some(fan.uid)));
    let sid = stranger.uid.to_string();
    let r = http.shiku_as("/mp/msg/send", &acc.token, &[("toUserId", &sid), ("body", "spam")]).await;
    assert_eq!(r.shiku_code(), 1030103);
    for (form, code) in [
        (vec![("toUserId", fanid.as_str())], 1010102),
        (vec![("body", "x")], 1010102),
        (vec![("toUserId", "abc"), ("body", "x")], 1010101),
        (vec![("toUserId", "99999999"), ("body", "x")], 1010104),
        (vec![("toUserId", accid.as_str()), ("body", "x")], 1010101),
    ] {
        assert_eq!(http.shiku_as("/mp/msg/send", &acc.token, &form).await.shiku_code(), code, "{form:?}");
    }

    // A user who is not a fan writes to the account (an ordinary 1:1 chat): in its inbox,
    // and then the account may answer.
    let r =
        http.json("POST", &format!("/api/v1/conversations2/to_user/{}", acc.uid), Some(&writer.token), json!({})).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();
    send_http(&http, writer, &cid, "is it open on sunday?").await;
    send_http(&http, fan, &format!("s_{}_{}", acc.uid.min(fan.uid), acc.uid.max(fan.uid)), "thanks").await;

    let home = mp(&http, &acc, "/mp/home", &[]).await;
    assert_eq!((home["fansCount"].clone(), home["unreadCount"].clone()), (json!(1), json!(2)));
    assert_eq!(home["account"]["userId"].as_i64(), Some(acc.uid));
    let inbox = mp(&http, &acc, "/mp/msg", &[]).await;
    let bodies: Vec<&str> = inbox.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["thanks", "is it open on sunday?"], "the account's own messages are not in its inbox");
    assert_eq!(inbox[1]["fromUserId"].as_i64(), Some(writer.uid));
    assert_eq!(mp(&http, &acc, "/mp/home", &[]).await["unreadCount"], 0, "reading /mp/msg marks it read");
    assert_eq!(
        mp(&http, &acc, "/mp/msg", &[("pageIndex", "1"), ("pageSize", "1")]).await[0]["body"],
        "is it open on sunday?"
    );

    let wid = writer.uid.to_string();
    mp(&http, &acc, "/mp/msg/send", &[("toUserId", &wid), ("body", "yes, 9 to 5")]).await;
    let list = mp(&http, &acc, "/mp/msg/list", &[("toUserId", &wid)]).await;
    let bodies: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["yes, 9 to 5", "is it open on sunday?"]);
    let reply = mp(&http, &acc, "/mp/msg/reply", &[("toUserId", &wid)]).await;
    assert_eq!((reply["user"]["userId"].as_i64(), reply["messages"].as_array().unwrap().len()), (Some(writer.uid), 2));
    assert!(reply["user"].get("telephone").is_none());
    assert_eq!(mp(&http, &acc, "/mp/msg/reply", &[]).await["messages"].as_array().unwrap().len(), 2);
    assert_eq!(http.shiku_as("/mp/msg/list", &acc.token, &[]).await.shiku_code(), 1010102);
    assert_eq!(http.shiku_as("/mp/msg/list", &acc.token, &[("toUserId", "x")]).await.shiku_code(), 1010101);
    assert_eq!(http.shiku_as("/mp/msg/list", &acc.token, &[("toUserId", "99999999")]).await.shiku_code(), 1010104);

    // Listing itself in Minxing's directory is the account's own setting.
    let home = mp(&http, &acc, "/mp/home", &[("listed", "1"), ("description", "Open 9-5")]).await;
    assert_eq!(
        (home["account"]["listed"].clone(), home["account"]["description"].clone()),
        (json!(1), json!("Open 9-5"))
    );
    assert_eq!(http.shiku_as("/mp/home", &acc.token, &[("listed", "2")]).await.shiku_code(), 1010101);
    let long = "d".repeat(257);
    assert_eq!(http.shiku_as("/mp/home", &acc.token, &[("description", &long)]).await.shiku_code(), 1010101);

    // Opening a chat with the account is not writing to it: the account may answer only after.
    let r = http
        .json("POST", &format!("/api/v1/conversations2/to_user/{}", acc.uid), Some(&stranger.token), json!({}))
        .await;
    let scid = r.body["id"].as_str().unwrap().to_string();
    let r = http.shiku_as("/mp/msg/send", &acc.token, &[("toUserId", &sid), ("body", "hello?")]).await;
    assert_eq!(r.shiku_code(), 1030103);
    send_http(&http, stranger, &scid, "hi there").await;
    mp(&http, &acc, "/mp/msg/send", &[("toUserId", &sid), ("body", "hello!")]).await;

    // Dropping a fan ends the subscription (no block): it may subscribe again.
    assert_eq!(http.shiku_as("/mp/fans/delete", &acc.token, &[("toUserId", &sid)]).await.shiku_code(), 1010104);
    assert_eq!(http.shiku_as("/mp/fans/delete", &acc.token, &[]).await.shiku_code(), 1010102);
    http.shiku_as("/mp/fans/delete", &acc.token, &[("toUserId", &fanid)]).await.shiku_ok();
    assert_eq!(mp(&http, &acc, "/mp/fans", &[]).await, json!([]));
    let r = http.shiku_as("/friends/attention/add", &fan.token, &[("toUserId", &accid)]).await;
    assert_eq!(r.shiku_ok()["type"], 1);
}

/// DynamoDB calls of the `/mp` routes (token lookup included), measured and bounded.
#[tokio::test]
async fn mp_call_counts() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "Count").await;
    let fan = register(&http, &phone(), "secret1", "F").await;
    let accid = acc.uid.to_string();
    let fanid = fan.uid.to_string();
    http.shiku_as("/friends/attention/add", &fan.token, &[("toUserId", &accid)]).await.shiku_ok();
    let mut seen = vec![];
    for (path, who, form, max) in [
        ("/mp/menu/save", &acc, vec![("name", "A"), ("url", "https://a.example")], 4),
        ("/mp/menuList", &acc, vec![], 3),
        ("/public/menu/list", &fan, vec![("userId", accid.as_str())], 3),
        ("/mp/home", &acc, vec![], 5),
        ("/mp/fans", &acc, vec![], 4),
        ("/mp/msg/send", &acc, vec![("toUserId", fanid.as_str()), ("body", "hi")], 8),
        ("/mp/msg", &acc, vec![], 4),
        ("/mp/msg/list", &acc, vec![("toUserId", fanid.as_str())], 4),
    ] {
        let r = http.shiku_as(path, &who.token, &form).await;
        r.shiku_ok();
        let n = r.ddb_calls();
        seen.push(format!("{path}={n}"));
        assert!((1..=max).contains(&n), "{path}: {n} calls");
    }
    eprintln!("calls {}", seen.join(" "));
    // A dropped fan who never wrote cannot be written to any more (their chat still exists).
    http.shiku_as("/mp/fans/delete", &acc.token, &[("toUserId", &fanid)]).await.shiku_ok();
    let r = http.shiku_as("/mp/msg/send", &acc.token, &[("toUserId", &fanid), ("body", "still there?")]).await;
    assert_eq!(r.shiku_code(), 1030103);
}
