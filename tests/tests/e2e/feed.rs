//! Minxing work circle (`/api/v1/messages…`): posting, threads, lists, deletion, likes and
//! bookmarks, private rooms, bad input, DynamoDB call budgets (issue 12 §2–§5).

use e2e::*;
use serde_json::{json, Value};

/// A request; `Value::Null` sends no body.
async fn call(http: &Http, method: &str, path: &str, who: Option<&Person>, body: Value) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = http.client.request(m, format!("{}{path}", http.base));
    if !body.is_null() {
        rb = rb.json(&body);
    }
    if let Some(p) = who {
        rb = rb.bearer_auth(&p.token);
    }
    let r = http.send(rb).await;
    assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text);
    r
}

async fn post(http: &Http, who: &Person, body: Value) -> Value {
    let r = call(http, "POST", "/api/v1/messages", Some(who), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.ddb_calls() <= 4, "post: {} DynamoDB calls", r.ddb_calls());
    r.body
}

fn ids(r: &Resp) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", r.text))
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// The item `mid` of a list.
fn item(r: &Resp, mid: i64) -> Value {
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == mid)
        .cloned()
        .unwrap_or_else(|| panic!("{mid} not in {}", r.text))
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id: {v}"))
}

/// GET a list that must answer 200 within `budget` DynamoDB calls.
async fn list(http: &Http, path: &str, who: &Person, budget: u32) -> Resp {
    let r = call(http, "GET", path, Some(who), Value::Null).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    assert!(r.ddb_calls() <= budget, "{path}: {} DynamoDB calls > {budget}", r.ddb_calls());
    r
}

async fn mx_group(http: &Http, owner: &Person, members: &[&Person], public: bool) -> String {
    let uids: Vec<i64> = members.iter().map(|p| p.uid).collect();
    let body = json!({"name": "Circle", "public": public, "user_ids": uids});
    let r = call(http, "POST", "/api/v1/groups", Some(owner), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn assert_error(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert!(r.body["error"].is_string(), "a JSON error: {}", r.text);
}

#[tokio::test]
async fn feed_posts_threads_lists_and_deletes() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);

    let s1 = post(&http, a, json!({"body": "hello circle"})).await;
    let keys = [
        "id",
        "thread_id",
        "replied_to_id",
        "sender_id",
        "sender",
        "group_id",
        "network_id",
        "body",
        "attachments",
        "likes_count",
        "liked",
        "bookmarked",
        "replies_count",
        "last_replies",
        "created_at",
    ];
    for k in keys {
        assert!(s1.get(k).is_some(), "{k} missing: {s1}");
    }
    let m1 = id(&s1);
    assert!(m1 < (1_i64 << 53), "safe in JavaScript");
    assert_eq!((s1["thread_id"].as_i64(), s1["sender_id"].as_i64()), (Some(m1), Some(a.uid)));
    assert_eq!((s1["sender"]["name"].clone(), s1["network_id"].clone()), (json!("P0"), json!(1)));
    assert!(s1["created_at"].as_i64().unwrap() > 1_600_000_000_000, "epoch ms");

    // Replies: to the starter and to a reply (the thread is the starter's).
    let r1 = post(&http, b, json!({"body": "first reply", "replied_to_id": m1})).await;
    let r2 = post(&http, c, json!({"body": "second", "replied_to_id": id(&r1).to_string()})).await;
    let r3 = post(&http, a, json!({"body": "third", "replied_to_id": m1})).await;
    assert_eq!((r2["thread_id"].as_i64(), r2["replied_to_id"].as_i64()), (Some(m1), Some(id(&r1))));
    let s2 = post(&http, b, json!({"body": "another thread"})).await;

    // The network feed: starters only, newest first; `threaded=extended` fills last_replies.
    let r = list(&http, "/api/v1/messages", c, 5).await;
    assert_eq!(ids(&r), vec![id(&s2), m1]);
    assert_eq!(r.body["items"][1]["replies_count"], 3);
    assert_eq!(r.body["items"][1]["last_replies"], json!([]), "not extended");
    let r = list(&http, "/api/v1/messages?threaded=extended", c, 5).await;
    let last: Vec<i64> = r.body["items"][1]["last_replies"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(last, vec![id(&r2), id(&r3)], "the newest two, oldest first");
    assert_eq!(r.body["items"][1]["last_replies"][0]["sender"]["name"], "P2");

    // Paging: limit 1 and the cursor; older_than / newer_than.
    let r = list(&http, "/api/v1/messages?limit=1", c, 5).await;
    assert_eq!(ids(&r), vec![id(&s2)]);
    let cur = r.body["next_cursor"].as_str().expect("a next page").to_string();
    let r = list(&http, &format!("/api/v1/messages?limit=1&cursor={cur}"), c, 5).await;
    assert_eq!(ids(&r), vec![m1]);
    let r = list(&http, &format!("/api/v1/messages?older_than={}", id(&s2)), c, 5).await;
    assert_eq!(ids(&r), vec![m1]);
    let r = list(&http, &format!("/api/v1/messages?newer_than={m1}"), c, 5).await;
    assert_eq!(ids(&r), vec![id(&s2)]);
    let r = list(&http, &format!("/api/v1/messages?newer_than={}&older_than={m1}", id(&s2)), c, 5).await;
    assert!(ids(&r).is_empty(), "an empty range is an empty page");
    let r = list(&http, "/api/v1/messages?older_than=1&newer_than=9007199254740991", c, 5).await;
    assert!(ids(&r).is_empty());
    let r = list(&http, &format!("/api/v1/messages/in_thread/{m1}?cursor=9007199254740991"), c, 5).await;
    assert!(ids(&r).is_empty(), "past the last reply");

    // A thread from any of its ids: starter then replies, oldest first.
    let want = vec![m1, id(&r1), id(&r2), id(&r3)];
    for any in [m1, id(&r2)] {
        let r = list(&http, &format!("/api/v1/messages/in_thread/{any}"), c, 5).await;
        assert_eq!(ids(&r), want);
    }
    let r = list(&http, &format!("/api/v1/messages/in_thread/{m1}?limit=2"), c, 5).await;
    assert_eq!(ids(&r), vec![m1, id(&r1), id(&r2)]);
    let cur = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = list(&http, &format!("/api/v1/messages/in_thread/{m1}?limit=2&cursor={cur}"), c, 5).await;
    assert_eq!(ids(&r), vec![id(&r3)]);

    // A user's posts, starters and replies.
    let r = list(&http, "/api/v1/messages/from_user/current", b, 5).await;
    assert_eq!(ids(&r), vec![id(&s2), id(&r1)]);
    let r = list(&http, &format!("/api/v1/messages/from_user/{}", a.uid), c, 5).await;
    assert_eq!(ids(&r), vec![id(&r3), m1]);

    // client_id: a resend answers the first post (200), no second post.
    let first = post(&http, c, json!({"body": "once", "client_id": "c-1"})).await;
    let r = call(&http, "POST", "/api/v1/messages", Some(c), json!({"body": "once", "client_id": "c-1"})).await;
    assert_eq!((r.status, id(&r.body)), (200, id(&first)), "{}", r.text);
    let r = list(&http, "/api/v1/messages/from_user/current", c, 5).await;
    assert_eq!(ids(&r), vec![id(&first), id(&r2)]);

    // Deleting: someone else's post 403; a reply moves the count; a starter takes its thread.
    let path = format!("/api/v1/messages/{m1}");
    assert_error(&call(&http, "DELETE", &path, Some(b), Value::Null).await, 403);
    let r = call(&http, "DELETE", &format!("/api/v1/messages/{}", id(&r3)), Some(a), Value::Null).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = list(&http, "/api/v1/messages?threaded=extended", c, 5).await;
    assert_eq!(item(&r, m1)["replies_count"], 2);
    let last: Vec<i64> = item(&r, m1)["last_replies"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(last, vec![id(&r1), id(&r2)], "the deleted reply left last_replies");
    let r = call(&http, "DELETE", &path, Some(a), Value::Null).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_error(&call(&http, "DELETE", &path, Some(a), Value::Null).await, 404);
    let r = list(&http, "/api/v1/messages", c, 5).await;
    assert_eq!(ids(&r), vec![id(&first), id(&s2)]);
    assert_error(
        &call(&http, "GET", &format!("/api/v1/messages/in_thread/{}", id(&r2)), Some(c), Value::Null).await,
        404,
    );
    let r = list(&http, "/api/v1/messages/from_user/current", b, 5).await;
    assert_eq!(ids(&r), vec![id(&s2)], "the thread's replies went with it");
}

#[tokio::test]
async fn feed_bad_input_is_a_clear_error() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let m = id(&post(&http, a, json!({"body": "x"})).await);
    let posts = [
        (json!({}), 400, "no body, no attachments"),
        (json!({"body": "   "}), 400, "blank body"),
        (json!({"body": "x".repeat(10_001)}), 400, "over 10 000 characters"),
        (json!({"body": ["x"]}), 400, "mistyped body"),
        (json!({"body": "x", "direct_to_user_ids": [b.uid]}), 400, "private messages are conversations"),
        (json!({"body": "x", "replied_to_id": "abc"}), 400, "malformed reply id"),
        (json!({"body": "x", "replied_to_id": 123_456_789}), 404, "unknown reply id"),
        (json!({"body": "x", "group_id": "nosuchgroup"}), 404, "unknown group"),
        (json!({"body": "x", "client_id": "bad id!"}), 400, "malformed client id"),
        (json!({"body": "x", "attachment_ids": "[1,"}), 400, "malformed JSON list"),
        (json!({"attachment_ids": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]}), 400, "ten attachments"),
        (json!({"attachment_ids": ["deadbeef"]}), 404, "unknown file"),
    ];
    for (body, status, why) in posts {
        let r = call(&http, "POST", "/api/v1/messages", Some(a), body).await;
        assert_eq!(r.status, status, "{why}: {}", r.text);
        assert!(r.body["error"].is_string(), "{why}: {}", r.text);
    }
    assert_eq!(call(&http, "POST", "/api/v1/messages", None, json!({"body": "x"})).await.status, 401);
    for q in ["limit=0", "limit=51", "limit=x", "cursor=abc", "older_than=-1", "newer_than=1e9", "threaded=maybe"] {
        assert_error(&call(&http, "GET", &format!("/api/v1/messages?{q}"), Some(a), Value::Null).await, 400);
    }
    for path in
        ["/api/v1/messages/in_thread/abc", "/api/v1/messages/in_thread/99999999", "/api/v1/messages/99999999999999999"]
    {
        let method = if path.contains("in_thread") { "GET" } else { "DELETE" };
        assert_error(&call(&http, method, path, Some(a), Value::Null).await, 404);
    }
    assert_error(&call(&http, "GET", "/api/v1/messages/from_user/abc", Some(a), Value::Null).await, 400);
    assert_error(&call(&http, "GET", "/api/v1/messages/in_group/no$such", Some(a), Value::Null).await, 404);
    for path in ["/api/v1/messages/liked_by/current", "/api/v1/messages/bookmarked_by/current"] {
        for (method, body, status) in [
            ("POST", json!({}), 400),
            ("POST", json!({"message_id": "x"}), 400),
            ("POST", json!({"message_id": 424_242}), 404),
            ("DELETE", json!({"message_id": [m]}), 400),
            ("DELETE", json!({}), 400),
        ] {
            assert_error(&call(&http, method, path, Some(b), body).await, status);
        }
        assert_eq!(call(&http, "POST", path, None, json!({"message_id": m})).await.status, 401);
        assert_error(&call(&http, "GET", &format!("{path}?cursor=zz"), Some(b), Value::Null).await, 400);
    }
    for path in ["/api/v1/messages/following", "/api/v1/networks/notification_counts", "/api/v1/messages"] {
        assert_eq!(call(&http, "GET", path, None, Value::Null).await.status, 401, "{path}");
    }
    let r = call(&http, "GET", &format!("/api/v1/messages/in_thread/{m}?cursor=1x"), Some(b), Value::Null).await;
    assert_error(&r, 400);
    assert_error(&call(&http, "GET", "/api/v1/messages/from_user/current?limit=100", Some(b), Value::Null).await, 400);
    // Someone else's file is as unknown as a missing one.
    let part = reqwest::multipart::Part::bytes(vec![7u8; 64]).file_name("a.bin");
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = http
        .send(http.client.post(format!("{}/api/v1/uploaded_files", http.base)).bearer_auth(&b.token).multipart(form))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let fid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "POST", "/api/v1/messages", Some(a), json!({"attachment_ids": [fid]})).await;
    assert_error(&r, 404);
    let r = post(&http, b, json!({"attachment_ids": [fid]})).await;
    assert_eq!((r["body"].clone(), r["attachments"][0]["id"].clone()), (json!(""), json!(fid)));
    assert_eq!(r["attachments"][0]["size"], 64);
    let url = r["attachments"][0]["download_url"].as_str().expect("a download link");
    assert_eq!(reqwest::get(url).await.unwrap().bytes().await.unwrap().len(), 64);
}

#[tokio::test]
async fn feed_private_group_posts_exist_only_for_members() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (owner, member, outsider) = (&p[0], &p[1], &p[2]);
    let private = mx_group(&http, owner, &[member], false).await;
    let public = mx_group(&http, owner, &[member], true).await;

    let secret = post(&http, member, json!({"body": "secret", "group_id": private})).await;
    let sid = id(&secret);
    assert_eq!(secret["group_id"], json!(private));
    let open = post(&http, member, json!({"body": "open", "group_id": public})).await;
    let plain = post(&http, owner, json!({"body": "plain"})).await;

    // Members see the room's posts; outsiders get not-found everywhere.
    let r = list(&http, &format!("/api/v1/messages/in_group/{private}"), owner, 5).await;
    assert_eq!(ids(&r), vec![sid]);
    let r = list(&http, &format!("/api/v1/messages/in_group/{public}"), outsider, 5).await;
    assert_eq!(ids(&r), vec![id(&open)], "a public room's posts are readable");
    assert_error(
        &call(&http, "GET", &format!("/api/v1/messages/in_group/{private}"), Some(outsider), Value::Null).await,
        404,
    );
    let r = list(&http, "/api/v1/messages", outsider, 5).await;
    assert_eq!(ids(&r), vec![id(&plain), id(&open)], "the network feed holds no private post");
    let r = list(&http, &format!("/api/v1/messages/from_user/{}", member.uid), outsider, 5).await;
    assert_eq!(ids(&r), vec![id(&open)]);
    let r = list(&http, &format!("/api/v1/messages/from_user/{}", member.uid), owner, 5).await;
    assert_eq!(ids(&r), vec![id(&open), sid]);
    let thread = format!("/api/v1/messages/in_thread/{sid}");
    assert_error(&call(&http, "GET", &thread, Some(outsider), Value::Null).await, 404);
    let reply = json!({"body": "me too", "replied_to_id": sid});
    assert_error(&call(&http, "POST", "/api/v1/messages", Some(outsider), reply.clone()).await, 404);
    let like = json!({"message_id": sid});
    for path in ["/api/v1/messages/liked_by/current", "/api/v1/messages/bookmarked_by/current"] {
        assert_error(&call(&http, "POST", path, Some(outsider), like.clone()).await, 404);
    }
    assert_error(&call(&http, "DELETE", &format!("/api/v1/messages/{sid}"), Some(outsider), Value::Null).await, 404);
    let into = json!({"body": "let me in", "group_id": private});
    assert_error(&call(&http, "POST", "/api/v1/messages", Some(outsider), into).await, 404);
    // A public room: readable, but only members post starters (403); replies are fine.
    let into = json!({"body": "hi", "group_id": public});
    assert_error(&call(&http, "POST", "/api/v1/messages", Some(outsider), into).await, 403);
    let r = post(&http, outsider, json!({"body": "nice", "replied_to_id": id(&open)})).await;
    assert_eq!(r["group_id"], json!(public), "a reply is in its thread's group");

    // Members reply and like; the owner removes a member's post; a plain member may not.
    let r = post(&http, owner, reply).await;
    assert_eq!(r["group_id"], json!(private));
    let r = call(&http, "POST", "/api/v1/messages/liked_by/current", Some(owner), like.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let theirs = format!("/api/v1/messages/{}", id(&plain));
    assert_error(&call(&http, "DELETE", &theirs, Some(member), Value::Null).await, 403);
    let r = call(&http, "DELETE", &format!("/api/v1/messages/{sid}"), Some(owner), Value::Null).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = list(&http, &format!("/api/v1/messages/in_group/{private}"), member, 5).await;
    assert!(ids(&r).is_empty());

    // The room turns private: its posts leave the network feed.
    let r = call(&http, "PUT", &format!("/api/v1/groups/{public}"), Some(owner), json!({"public": false})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = list(&http, "/api/v1/messages", outsider, 5).await;
    assert_eq!(ids(&r), vec![id(&plain)]);
    let like = json!({"message_id": id(&open)});
    let r = call(&http, "POST", "/api/v1/messages/liked_by/current", Some(outsider), like.clone()).await;
    assert_error(&r, 404);
    let r = call(&http, "POST", "/api/v1/messages/liked_by/current", Some(member), like).await;
    assert_eq!(r.status, 201, "a member still likes it: {}", r.text);

    // The operator removes any post, a private room's included.
    let sid = id(&post(&http, member, json!({"body": "again", "group_id": private})).await);
    let r =
        http.shiku("/user/login", &[("telephone", "admin"), ("password", &shared::auth::md5_hex("admin123"))]).await;
    let token = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let op = Person {
        uid: r.body["data"]["userId"].as_i64().unwrap(),
        token,
        phone: String::new(),
        password: String::new(),
    };
    let r = call(&http, "DELETE", &format!("/api/v1/messages/{sid}"), Some(&op), Value::Null).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = list(&http, &format!("/api/v1/messages/in_group/{private}"), member, 5).await;
    assert!(ids(&r).is_empty());
}

#[tokio::test]
async fn feed_likes_and_bookmarks_never_drift() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let m1 = id(&post(&http, a, json!({"body": "one"})).await);
    let m2 = id(&post(&http, a, json!({"body": "two"})).await);
    let mut ws = Ws::connect(&app, &a.token).await.expect("a socket");

    let likes = "/api/v1/messages/liked_by/current";
    let marks = "/api/v1/messages/bookmarked_by/current";
    for (expect, _) in [(201, "new"), (200, "again")] {
        let r = call(&http, "POST", likes, Some(b), json!({"message_id": m1})).await;
        assert_eq!(r.status, expect, "{}", r.text);
        assert!(r.ddb_calls() <= 3, "like: {} calls", r.ddb_calls());
    }
    // message_id in the query works as well.
    let r = call(&http, "POST", &format!("{likes}?message_id={m2}"), Some(b), Value::Null).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let f = ws.next_event("feed", WAIT).await.expect("the author hears of the like");
    assert_eq!(
        (f["type"].clone(), f["message_id"].as_i64(), f["user_id"].as_i64()),
        (json!("like"), Some(m1), Some(b.uid))
    );

    let r = list(&http, "/api/v1/messages", b, 5).await;
    let counts: Vec<(i64, Value)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["likes_count"].as_i64().unwrap(), m["liked"].clone()))
        .collect();
    assert_eq!(counts, vec![(1, json!(true)), (1, json!(true))], "liked twice counts once");
    let r = list(&http, likes, b, 5).await;
    assert_eq!(ids(&r), vec![m2, m1]);
    let r = list(&http, "/api/v1/messages", a, 5).await;
    assert_eq!(r.body["items"][0]["liked"], false, "my view of my marks only");

    for _ in 0..2 {
        let r = call(&http, "DELETE", likes, Some(b), json!({"message_id": m1})).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(r.ddb_calls() <= 3, "unlike: {} calls", r.ddb_calls());
    }
    let r = list(&http, "/api/v1/messages", b, 5).await;
    assert_eq!(r.body["items"][1]["likes_count"], 0, "unliked twice counts once");
    let r = list(&http, likes, b, 5).await;
    assert_eq!(ids(&r), vec![m2]);

    // Bookmarks: the same, without a counter.
    for expect in [201, 200] {
        let r = call(&http, "POST", marks, Some(b), json!({"message_id": m1})).await;
        assert_eq!(r.status, expect, "{}", r.text);
        assert!(r.ddb_calls() <= 3, "bookmark: {} calls", r.ddb_calls());
    }
    let r = list(&http, marks, b, 5).await;
    assert_eq!(ids(&r), vec![m1]);
    assert_eq!(r.body["items"][0]["bookmarked"], true);
    // A deleted post leaves the lists.
    let r = call(&http, "DELETE", &format!("/api/v1/messages/{m1}"), Some(a), Value::Null).await;
    assert_eq!(r.status, 204);
    assert!(ids(&list(&http, marks, b, 5).await).is_empty());
    assert_error(&call(&http, "POST", likes, Some(b), json!({"message_id": m1})).await, 404);
    let r = call(&http, "DELETE", marks, Some(b), json!({"message_id": m2})).await;
    assert_eq!(r.status, 204, "never bookmarked: still 204");

    // A reply tells the author too.
    post(&http, b, json!({"body": "re", "replied_to_id": m2})).await;
    let f = next_where(&mut ws, |f| f["event"] == "feed" && f["type"] == "reply").await;
    assert_eq!((f["type"].clone(), f["replied_to_id"].as_i64()), (json!("reply"), Some(m2)));
    ws.close().await;
}

#[tokio::test]
async fn feed_concurrent_replies_all_count() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 6).await;
    let m = id(&post(&http, &p[0], json!({"body": "busy thread"})).await);
    let replies = futures_util::future::join_all(p.iter().map(|who| {
        let http = &http;
        async move {
            let r = call(http, "POST", "/api/v1/messages", Some(who), json!({"body": "me", "replied_to_id": m})).await;
            assert_eq!(r.status, 201, "{}", r.text);
            id(&r.body)
        }
    }))
    .await;
    let r = list(&http, "/api/v1/messages?threaded=extended", &p[1], 5).await;
    assert_eq!(item(&r, m)["replies_count"], 6, "no reply lost its count");
    let mut newest = replies.clone();
    newest.sort();
    let last: Vec<i64> = item(&r, m)["last_replies"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(last, newest[4..].to_vec(), "the newest two");
    let r = list(&http, &format!("/api/v1/messages/in_thread/{m}"), &p[1], 5).await;
    assert_eq!(ids(&r).len(), 7);
}
