//! Minxing following feed (`/api/v1/messages/following`, fanned out on write by the stream
//! consumer) and `/api/v1/networks/notification_counts` (issue 12 §2, §5).

use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn call(http: &Http, method: &str, path: &str, who: &Person, body: Value) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = http.client.request(m, format!("{}{path}", http.base)).bearer_auth(&who.token);
    if !body.is_null() {
        rb = rb.json(&body);
    }
    let r = http.send(rb).await;
    assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.text);
    r
}

async fn post(http: &Http, who: &Person, body: Value) -> i64 {
    let r = call(http, "POST", "/api/v1/messages", who, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_i64().unwrap()
}

fn ids(r: &Resp) -> Vec<i64> {
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

async fn following(http: &Http, who: &Person, query: &str) -> Resp {
    let r = call(http, "GET", &format!("/api/v1/messages/following{query}"), who, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

/// Polls `who`'s inbox (older pages, so the seen mark stays) until it holds `n` entries.
async fn wait_inbox(app: &TestApp, who: &Person, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = inbox_len(app, who).await;
        if got >= n {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "inbox of {} has {got} of {n} refs", who.uid);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Refs in `who`'s inbox, read from the table (the fan-out's own result, not the API).
async fn inbox_len(app: &TestApp, who: &Person) -> usize {
    let out = app
        .ctx
        .db
        .client
        .query()
        .table_name(&app.ctx.db.table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", aws_sdk_dynamodb::types::AttributeValue::S(format!("FEEDIN#{}", who.uid)))
        .send()
        .await
        .unwrap();
    out.items.unwrap_or_default().len()
}

async fn counts(http: &Http, who: &Person) -> (Value, u32) {
    let r = call(http, "GET", "/api/v1/networks/notification_counts", who, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a = r.body.as_array().unwrap_or_else(|| panic!("a list: {}", r.text));
    assert_eq!((a.len(), a[0]["network_id"].clone()), (1, json!(1)));
    (a[0].clone(), r.ddb_calls())
}

async fn follow(http: &Http, fan: &Person, author: &Person) {
    let r = call(http, "POST", &format!("/api/v1/subscriptions/users/{}", author.uid), fan, json!({})).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
}

#[tokio::test]
async fn feed_following_fans_out_to_every_follower() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (author, b, c, d) = (&p[0], &p[1], &p[2], &p[3]);
    follow(&http, b, author).await;
    follow(&http, c, author).await;
    let r =
        call(&http, "POST", "/api/v1/groups", author, json!({"name": "Inner", "public": false, "user_ids": [d.uid]}))
            .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let gid = r.body["id"].as_str().unwrap().to_string();

    let s1 = post(&http, author, json!({"body": "to my fans"})).await;
    let inner = post(&http, author, json!({"body": "inner circle", "group_id": gid})).await;
    // The author, both fans and the room's member get their refs.
    for who in [author, b, c] {
        wait_inbox(&app, who, if who.uid == author.uid { 2 } else { 1 }).await;
    }
    wait_inbox(&app, d, 1).await;
    let (n, _) = counts(&http, b).await;
    assert_eq!(n["unseen_feed_count"], 1, "{n}");
    let (n, _) = counts(&http, author).await;
    assert_eq!(n["unseen_feed_count"], 0, "my own posts are not news to me: {n}");

    assert_eq!(ids(&following(&http, b, "").await), vec![s1]);
    assert_eq!(ids(&following(&http, c, "").await), vec![s1]);
    assert_eq!(ids(&following(&http, d, "").await), vec![inner], "a member, not a fan: the room's post only");
    assert_eq!(ids(&following(&http, author, "").await), vec![inner, s1]);
    let (n, _) = counts(&http, b).await;
    assert_eq!(n["unseen_feed_count"], 0, "the first page moved the seen mark: {n}");
    assert_eq!(inbox_len(&app, b).await, 1, "no ref of the private room's post for a fan outside it");

    // Unfollowing hides the author's posts at once (the ref stays, the read re-checks).
    let r = http.shiku("/friends/attention/delete", &sh(&b.token, &[("toUserId", &author.uid.to_string())])).await;
    r.shiku_ok();
    assert!(ids(&following(&http, b, "").await).is_empty());
    // A deleted post leaves every inbox.
    let r = call(&http, "DELETE", &format!("/api/v1/messages/{s1}"), author, Value::Null).await;
    assert_eq!(r.status, 204);
    assert!(ids(&following(&http, c, "").await).is_empty());
    // Leaving the room hides its posts.
    let r = call(&http, "DELETE", &format!("/api/v1/groups/{gid}/members"), d, json!({})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(ids(&following(&http, d, "").await).is_empty());
}

#[tokio::test]
async fn feed_following_page_costs_the_same_whatever_the_follow_count() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 7).await;
    let reader = &p[0];
    for author in &p[1..] {
        follow(&http, reader, author).await;
    }
    let mut posted = vec![];
    for round in 0..4 {
        for author in &p[1..] {
            posted.push(post(&http, author, json!({"body": format!("round {round}")})).await);
        }
    }
    wait_inbox(&app, reader, posted.len()).await;
    posted.reverse();
    let r = following(&http, reader, "").await;
    assert_eq!(ids(&r), posted[..20].to_vec(), "newest first");
    assert!(r.ddb_calls() <= 5, "following page of 20: {} calls", r.ddb_calls());
    let cur = r.body["next_cursor"].as_str().expect("more").to_string();
    let r = following(&http, reader, &format!("?cursor={cur}")).await;
    assert_eq!(ids(&r), posted[20..].to_vec());
    assert!(r.ddb_calls() <= 5, "{} calls", r.ddb_calls());
    let r = following(&http, reader, &format!("?limit=5&older_than={}", posted[9])).await;
    assert_eq!(ids(&r), posted[10..15].to_vec());
    for bad in ["?limit=51", "?cursor=x", "?older_than=1.5"] {
        let r = call(&http, "GET", &format!("/api/v1/messages/following{bad}"), reader, Value::Null).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
}

#[tokio::test]
async fn notification_counts_add_up_unread_unseen_and_requests() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let (n, calls) = counts(&http, a).await;
    assert_eq!(
        n,
        json!({"network_id": 1, "unread_messages_count": 0, "unseen_feed_count": 0, "pending_requests_count": 0})
    );
    assert!(calls <= 4, "nothing to count: {calls} calls");

    // Unread: two messages from B in a conversation with A.
    let cid = group(&http, b, &[a], "chat").await;
    send_http(&http, b, &cid, "one").await;
    send_http(&http, b, &cid, "two").await;
    // Pending: C asks to join A's private group.
    let r = call(&http, "POST", "/api/v1/groups", a, json!({"name": "Closed", "public": false})).await;
    let gid = r.body["id"].as_str().unwrap().to_string();
    let r = call(&http, "POST", &format!("/api/v1/groups/{gid}/members"), c, json!({})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    // Unseen: B, whom A follows, posts.
    follow(&http, a, b).await;
    post(&http, b, json!({"body": "news"})).await;
    wait_inbox(&app, a, 1).await;

    let (n, calls) = counts(&http, a).await;
    assert_eq!(
        (n["unread_messages_count"].clone(), n["unseen_feed_count"].clone(), n["pending_requests_count"].clone()),
        (json!(2), json!(1), json!(1)),
        "{n}"
    );
    // 4 + ⌈2 conversations / 100⌉ + 1 room A owns (the chat is B's).
    assert!(calls <= 6, "notification_counts: {calls} calls");
    assert_eq!(counts(&http, c).await.0["pending_requests_count"], 0, "not C's room");
}

#[tokio::test]
async fn feed_fan_out_reaches_thirty_followers_in_two_batches() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 31).await;
    let author = &p[0];
    for fan in &p[1..] {
        follow(&http, fan, author).await;
    }
    let started = tokio::time::Instant::now();
    let mid = post(&http, author, json!({"body": "to all of you"})).await;
    for fan in &p[1..] {
        wait_inbox(&app, fan, 1).await;
    }
    let took = started.elapsed();
    assert!(took < WAIT, "every inbox within {WAIT:?}: {took:?}");
    for fan in [&p[1], &p[15], &p[30]] {
        assert_eq!(ids(&following(&http, fan, "").await), vec![mid]);
    }
}

#[tokio::test]
async fn feed_authors_with_too_many_fans_are_pulled_on_read() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    // This table's fan-out threshold: 1 fan (the default is 10 000).
    let db = &app.ctx.db;
    let mut it = shared::store::Db::key("FEEDBIG", "LIST");
    it.insert("maxFanout".into(), aws_sdk_dynamodb::types::AttributeValue::N("1".into()));
    db.client.put_item().table_name(&db.table).set_item(Some(it)).send().await.unwrap();
    let p = people(&http, 5).await;
    let (star, b, c, d, small) = (&p[0], &p[1], &p[2], &p[3], &p[4]);
    follow(&http, b, star).await;
    follow(&http, c, star).await;
    follow(&http, b, small).await;

    let older = post(&http, small, json!({"body": "one fan only: fanned out"})).await;
    let mid = post(&http, star, json!({"body": "too many fans"})).await;
    // The fan-out puts the author on the pulled list; then B's following shows the post.
    let deadline = tokio::time::Instant::now() + WAIT;
    let r = loop {
        let r = following(&http, b, "?limit=10").await;
        if ids(&r).contains(&mid) {
            break r;
        }
        assert!(tokio::time::Instant::now() < deadline, "the pulled post never showed: {}", r.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(ids(&r), vec![mid, older], "pulled and fanned-out posts merged, newest first");
    let r = following(&http, b, "?limit=10").await;
    assert_eq!(ids(&r), vec![mid, older]);
    // Token, inbox Query, BatchGetItem (posts, relations, seen mark, pulled list), one Query per
    // pulled author, BatchGetItem of their posts' marks, profiles.
    assert!(r.ddb_calls() <= 6, "inbox + one pulled author: {} calls", r.ddb_calls());
    assert_eq!(inbox_len(&app, b).await, 1, "only the small author's ref: the star's post was pulled");
    assert_eq!(ids(&following(&http, c, "").await), vec![mid]);
    let r = following(&http, d, "").await;
    assert!(ids(&r).is_empty(), "not a fan: {}", r.text);
    assert!(r.ddb_calls() <= 5, "a reader who follows no pulled author: {} calls", r.ddb_calls());
    assert_eq!(ids(&following(&http, star, "").await), vec![mid], "the author's own ref is still written");
    // Paging goes through the merge: one per page.
    let r = following(&http, b, "?limit=1").await;
    assert_eq!(ids(&r), vec![mid]);
    let cur = r.body["next_cursor"].as_str().expect("a next page").to_string();
    assert_eq!(ids(&following(&http, b, &format!("?limit=1&cursor={cur}")).await), vec![older]);
}
