//! Shiku mass sends of a public account (`/mp/textToAll`, `/mp/pushToAll`, `/mp/manyToAll`,
//! listed by `/mp/push`, `/mp/many`): a job per send, paged by the stream worker; each fan
//! gets exactly one copy (history and socket), replays store nothing twice; bad input and
//! non-accounts are refused with nothing stored; request budgets (`x-ddb-calls`).

use e2e::*;
use serde_json::{json, Value};
use shared::domain::broadcasts::copy_client_id;
use shared::domain::chat::NewMessage;
use shared::UserId;
use std::time::Duration;

const INVALID: i64 = 1010101;
const MISSING: i64 = 1010102;
const FORBIDDEN: i64 = 1030103;
const NO_TOKEN: i64 = 1030101;
const PER_DAY: i64 = 1101101;
const WAIT: Duration = Duration::from_secs(10);

type Form<'a> = Vec<(&'a str, &'a str)>;

/// `n` fans of `acc` (Shiku follow).
async fn fans(http: &Http, acc: &Person, n: usize) -> Vec<Person> {
    let p = people(http, n).await;
    for f in &p {
        let r = http.shiku_as("/friends/attention/add", &f.token, &[("toUserId", &acc.uid.to_string())]).await;
        r.shiku_ok();
    }
    p
}

/// The fan's 1:1 history with the account (Shiku `/tigase/shiku_msgs`).
async fn history(http: &Http, fan: &Person, acc: &Person) -> Vec<Value> {
    let r = http.shiku_as("/tigase/shiku_msgs", &fan.token, &[("receiver", &acc.uid.to_string())]).await;
    r.shiku_ok().as_array().unwrap().clone()
}

/// The account's list (`/mp/push` or `/mp/many`).
async fn listed(http: &Http, acc: &Person, path: &str) -> Vec<Value> {
    let r = http.shiku_as(path, &acc.token, &[]).await;
    assert!(r.ddb_calls() <= 3, "{path}: {} calls", r.ddb_calls());
    r.shiku_ok().as_array().unwrap().clone()
}

/// Wait until the job is done in `path`'s list; its entry.
async fn wait_done(http: &Http, acc: &Person, path: &str, job: &str) -> Value {
    for _ in 0..200 {
        if let Some(e) = listed(http, acc, path).await.into_iter().find(|e| e["jobId"] == job) {
            if e["status"] == 1 {
                return e;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} not done");
}

/// Start a mass send: its job id (the request within 3 DynamoDB calls).
async fn send(http: &Http, acc: &Person, path: &str, form: &[(&str, &str)]) -> String {
    let r = http.shiku_as(path, &acc.token, form).await;
    let d = r.shiku_ok();
    assert!(r.ddb_calls() <= 3, "{path}: {} calls", r.ddb_calls());
    assert_eq!(d["status"], 0, "answered at once, sending");
    d["jobId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn broadcasts_reach_every_fan_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let f = fans(&http, &acc, 3).await;
    let stranger = register(&http, &phone(), "secret1", "Stranger").await;
    // A fan who then blacklisted the account: no copy.
    let blocker = &fans(&http, &acc, 1).await[0];
    let r = http.shiku_as("/friends/blacklist/add", &blocker.token, &[("toUserId", &acc.uid.to_string())]).await;
    r.shiku_ok();
    let mut ws = Ws::connect(&app, &f[0].token).await.unwrap();

    let job = send(&http, &acc, "/mp/textToAll", &[("title", "hello, fans")]).await;
    let e = wait_done(&http, &acc, "/mp/push", &job).await;
    assert_eq!((e["type"].clone(), e["title"].clone()), (json!(1), json!("hello, fans")));
    // The blocker is still indexed as a fan: counted as failed.
    assert_eq!((e["sentCount"].clone(), e["failedCount"].clone()), (json!(3), json!(1)));
    let frame = ws.next_event("message", WAIT).await.expect("the fan's socket hears the copy");
    assert_eq!((frame["sender"].as_i64(), frame["content"].clone()), (Some(acc.uid), json!("hello, fans")));
    for fan in &f {
        let h = history(&http, fan, &acc).await;
        assert_eq!(h.len(), 1, "one copy each");
        assert_eq!((h[0]["body"].clone(), h[0]["sender"].as_i64()), (json!("hello, fans"), Some(acc.uid)));
    }
    assert!(history(&http, &stranger, &acc).await.is_empty(), "not a fan: nothing");
    assert!(history(&http, blocker, &acc).await.is_empty(), "blacklisted the account: nothing");

    let job2 = send(
        &http,
        &acc,
        "/mp/pushToAll",
        &[
            ("title", "Launch"),
            ("sub", "all about it"),
            ("img", "https://cdn.example/a.png"),
            ("url", "https://news.example/1"),
        ],
    )
    .await;
    let frame = ws.next_event("message", WAIT).await.expect("the article live");
    assert_eq!((frame["type"].clone(), frame["objectName"].clone()), (json!(10), json!("MP:Article")));
    let content: Value = serde_json::from_str(frame["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content,
        json!({"articles": [{"title": "Launch", "sub": "all about it", "img": "https://cdn.example/a.png", "url": "https://news.example/1"}]})
    );
    wait_done(&http, &acc, "/mp/push", &job2).await;

    // Two articles: repeated fields, sub[] optional.
    let job3 = send(
        &http,
        &acc,
        "/mp/manyToAll",
        &[
            ("title", "One, first"),
            ("title", "Two"),
            ("url", "http://a.example/1"),
            ("url", "https://a.example/2"),
            ("img", "https://a.example/1.png"),
            ("img", "https://a.example/2.png"),
        ],
    )
    .await;
    let e = wait_done(&http, &acc, "/mp/many", &job3).await;
    assert_eq!(e["articles"].as_array().unwrap().len(), 2);
    assert_eq!((e["articles"][0]["title"].clone(), e["sentCount"].clone()), (json!("One, first"), json!(3)));
    for fan in &f {
        let h = history(&http, fan, &acc).await;
        assert_eq!(h.len(), 3, "three sends, three copies");
        let many = h.iter().find(|m| m["body"].as_str().unwrap().contains("One, first")).expect("the articles");
        assert_eq!(many["type"], 10);
    }

    // Lists: newest first, per list; paged.
    let push = listed(&http, &acc, "/mp/push").await;
    let ids: Vec<&str> = push.iter().map(|e| e["jobId"].as_str().unwrap()).collect();
    assert_eq!(ids, [job2.as_str(), job.as_str()]);
    let r = http.shiku_as("/mp/push", &acc.token, &[("pageIndex", "1"), ("pageSize", "1")]).await;
    assert_eq!(r.shiku_ok().as_array().unwrap()[0]["jobId"], job.as_str());
    let many = listed(&http, &acc, "/mp/many").await;
    assert_eq!(many.len(), 1);
    ws.close().await;
}

#[tokio::test]
async fn broadcasts_refuse_bad_input_and_non_accounts() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let user = register(&http, &phone(), "secret1", "Plain").await;
    let code = |r: Resp| r.shiku_code();

    // Not a public account: forbidden, for sends and lists; no token: log in.
    for path in ["/mp/textToAll", "/mp/push", "/mp/many"] {
        assert_eq!(code(http.shiku_as(path, &user.token, &[("title", "hi")]).await), FORBIDDEN, "{path}");
        assert_eq!(code(http.shiku(path, &[("title", "hi")]).await), NO_TOKEN, "{path}");
    }
    let a = [("title", "t"), ("sub", "s"), ("img", "https://i.example/x.png"), ("url", "https://u.example")];
    assert_eq!(code(http.shiku_as("/mp/pushToAll", &user.token, &a).await), FORBIDDEN);

    let bad: Vec<(&str, Form, i64)> = vec![
        ("/mp/textToAll", vec![], MISSING),
        ("/mp/textToAll", vec![("title", "   ")], MISSING),
        ("/mp/pushToAll", vec![("title", "t"), ("sub", "s"), ("img", "https://i.example/x.png")], MISSING),
        (
            "/mp/pushToAll",
            vec![("title", "t"), ("sub", "s"), ("img", "https://i.example/x.png"), ("url", "javascript:alert(1)")],
            INVALID,
        ),
        (
            "/mp/pushToAll",
            vec![("title", "t"), ("sub", "s"), ("img", "ftp://i.example/x.png"), ("url", "https://u.example")],
            INVALID,
        ),
        // unequal lengths
        (
            "/mp/manyToAll",
            vec![
                ("title", "a"),
                ("title", "b"),
                ("url", "https://u.example/1"),
                ("img", "https://i.example/1"),
                ("img", "https://i.example/2"),
            ],
            INVALID,
        ),
        // one article, nine articles
        (
            "/mp/manyToAll",
            vec![("title", "a"), ("url", "https://u.example/1"), ("img", "https://i.example/1")],
            INVALID,
        ),
        (
            "/mp/manyToAll",
            vec![("title", "t"); 9]
                .into_iter()
                .chain(vec![("url", "https://u.example"); 9])
                .chain(vec![("img", "https://i.example"); 9])
                .collect(),
            INVALID,
        ),
        (
            "/mp/manyToAll",
            vec![
                ("title", r#"["a","b"]"#),
                ("url", r#"["https://u.example/1","mailto:x@y"]"#),
                ("img", r#"["https://i.example/1","https://i.example/2"]"#),
            ],
            INVALID,
        ),
        (
            "/mp/manyToAll",
            vec![("title", r#"["a","b""#), ("url", "https://u.example/1"), ("img", "https://i.example/1")],
            INVALID,
        ),
        ("/mp/manyToAll", vec![("url", "https://u.example/1"), ("img", "https://i.example/1")], MISSING),
    ];
    for (path, form, want) in &bad {
        let r = http.shiku_as(path, &acc.token, form).await;
        assert_eq!(r.shiku_code(), *want, "{path} {form:?}: {}", r.text);
    }
    // A JSON-array form is accepted (8 articles is the most).
    let titles = json!((0..8).map(|i| format!("t{i}")).collect::<Vec<_>>()).to_string();
    let urls = json!((0..8).map(|i| format!("https://u.example/{i}")).collect::<Vec<_>>()).to_string();
    send(&http, &acc, "/mp/manyToAll", &[("title", &titles), ("url", &urls), ("img", &urls)]).await;
    assert_eq!(listed(&http, &acc, "/mp/push").await.len(), 0, "nothing stored by the refusals");
    assert_eq!(listed(&http, &acc, "/mp/many").await.len(), 1);
    let r = http.shiku_as("/mp/push", &acc.token, &[("pageSize", "x")]).await;
    assert_eq!(r.shiku_code(), INVALID);
    let r = http.shiku_as("/mp/push", &acc.token, &[("pageIndex", "40"), ("pageSize", "50")]).await;
    assert_eq!(r.shiku_code(), INVALID, "past the newest 1000: {}", r.text);

    // 10 mass sends a day (the one above included), then the refusal; nothing more stored.
    for i in 1..10 {
        send(&http, &acc, "/mp/textToAll", &[("title", &format!("n{i}"))]).await;
    }
    let r = http.shiku_as("/mp/textToAll", &acc.token, &[("title", "one too many")]).await;
    assert_eq!(r.shiku_code(), PER_DAY, "{}", r.text);
    assert!(r.ddb_calls() <= 3);
    assert_eq!(listed(&http, &acc, "/mp/push").await.len(), 9);
}

#[tokio::test]
async fn replayed_and_interrupted_pages_deliver_nothing_twice() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let f = fans(&http, &acc, 4).await;

    // A worker killed mid-page: the copy to one fan stored, then the worker gone. The stream
    // is held so the job's record waits; the "killed worker's" copy is the ordinary send
    // with the job's client id.
    app.pause_stream();
    let job_id = send(&http, &acc, "/mp/textToAll", &[("title", "once")]).await;
    let job = shared::services::jobs::get(&app.ctx, &job_id).await.unwrap().expect("the job");
    let cid = shared::domain::chat::single_id(UserId(acc.uid), UserId(f[0].uid));
    shared::store::conversations::ensure_single(&app.ctx.db, 1, UserId(acc.uid), UserId(f[0].uid)).await.unwrap();
    let m = NewMessage {
        sender: UserId(acc.uid),
        kind: 1,
        content: "once".into(),
        client_id: Some(copy_client_id(&job_id, UserId(f[0].uid))),
        object_name: None,
    };
    shared::services::chat::send(&app.ctx, &cid, m).await.unwrap();
    app.resume_stream();
    let e = wait_done(&http, &acc, "/mp/push", &job_id).await;
    assert_eq!(e["sentCount"], 4, "every fan counted once: {e}");
    for fan in &f {
        assert_eq!(history(&http, fan, &acc).await.len(), 1, "one copy each after the resumed page");
    }

    // The same page again, straight through the worker's step (a replayed stream record):
    // nothing stored, its checkpoint not applied (already past that page).
    let ran = shared::services::broadcasts::step(&app.ctx, &job).await.unwrap().expect("ran");
    assert_eq!((ran.step.done, ran.checkpointed), (4, false));
    // The job put back at its first checkpoint (an old checkpoint replayed by the stream):
    // the worker runs the page again, stores nothing new, and ends with the same counts.
    shared::services::jobs::restore(&app.ctx, &job).await.unwrap();
    let mut again = None;
    for _ in 0..200 {
        let j = shared::services::jobs::get(&app.ctx, &job_id).await.unwrap().unwrap();
        if j.page == 1 {
            again = Some(j);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = again.expect("the replayed checkpoint ran");
    assert_eq!((again.done, again.failed), (4, 0));
    for fan in &f {
        assert_eq!(history(&http, fan, &acc).await.len(), 1, "still one copy each");
    }

    // A delivery failure on the job record (DynamoDB unreachable for the worker): retried by
    // the stream, done once.
    app.fail_delivery(2, |r| r["dynamodb"]["NewImage"]["ev"]["S"] == "job");
    let job2 = send(&http, &acc, "/mp/textToAll", &[("title", "twice?")]).await;
    let e = wait_done(&http, &acc, "/mp/push", &job2).await;
    assert_eq!(e["sentCount"], 4);
    for fan in &f {
        assert_eq!(history(&http, fan, &acc).await.len(), 2);
    }
}

/// Copies written in batches (store/copies.rs) behave as sends: the next seq of an existing
/// conversation with the last-message summary, a live frame to the fan online, one offline
/// push for the others but not for a fan with DND for the account, the dashboard counter,
/// and a recalled copy is delivered as a recall.
#[tokio::test]
async fn batched_copies_keep_seqs_pushes_and_recalls() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let f = fans(&http, &acc, 3).await;
    let (account, chatty) = (UserId(acc.uid), UserId(f[1].uid));
    // f[1] wrote to the account first: the copy is seq 2 of that conversation.
    let cid = shared::domain::chat::single_id(account, chatty);
    shared::store::conversations::ensure_single(&app.ctx.db, 1, chatty, account).await.unwrap();
    let m = NewMessage { sender: chatty, kind: 1, content: "hi?".into(), client_id: None, object_name: None };
    shared::services::chat::send(&app.ctx, &cid, m).await.unwrap();
    // f[2] wants no push from the account.
    let r = http
        .shiku_as(
            "/friends/update/OfflineNoPushMsg",
            &f[2].token,
            &[("toUserId", &acc.uid.to_string()), ("offlineNoPushMsg", "1"), ("type", "0")],
        )
        .await;
    r.shiku_ok();
    let mut ws = Ws::connect(&app, &f[0].token).await.unwrap();
    let mut ws_acc = Ws::connect(&app, &acc.token).await.unwrap();

    let job = send(&http, &acc, "/mp/textToAll", &[("title", "batched")]).await;
    let e = wait_done(&http, &acc, "/mp/push", &job).await;
    assert_eq!((e["sentCount"].clone(), e["failedCount"].clone()), (json!(3), json!(0)));
    let frame = ws.next_event("message", WAIT).await.expect("the online fan hears the copy");
    assert_eq!((frame["content"].clone(), frame["seq"].clone()), (json!("batched"), json!(1)));
    let h = history(&http, &f[1], &acc).await;
    assert_eq!(h.len(), 2, "the fan's own message and the copy: {h:?}");
    let meta = shared::store::conversations::get(&app.ctx.db, &cid).await.unwrap().unwrap();
    assert_eq!((meta.last_seq, meta.last_preview.as_str(), meta.last_sender), (2, "batched", Some(account)));
    assert_eq!(meta.ocu, Some(account), "the account's conversation is marked for its inbox");
    let copy = shared::store::conversations::message(&app.ctx.db, &cid, 2).await.unwrap().expect("seq 2");
    assert_eq!((copy.content.as_str(), copy.id), ("batched", copy_client_id(&job, chatty)));

    // One push job for the offline fan without DND; none for the online one or the DND one.
    let pushed = wait_jobs(&app, f[1].uid, 1).await;
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!((pushed[0].from, pushed[0].body.as_str()), (Some(account), "batched"));
    assert!(pushed[0].to.contains(&chatty) && !pushed[0].to.contains(&UserId(f[2].uid)));
    assert!(jobs(&app, f[0].uid).await.is_empty(), "online: no push");
    assert!(jobs(&app, f[2].uid).await.is_empty(), "DND for the account: no push");

    // The account's own sockets are not sent its 3 copies.
    assert!(ws_acc.next_event("message", Duration::from_millis(500)).await.is_none());

    // A recalled copy (stored without `ev`) reaches the fan as a recall.
    let first = shared::domain::chat::single_id(account, UserId(f[0].uid));
    shared::store::conversations::recall(&app.ctx.db, 2, &first, 1, account, false).await.unwrap();
    let r = ws.next_event("recall", WAIT).await.expect("the recall is delivered");
    assert_eq!(r["messageId"], copy_client_id(&job, UserId(f[0].uid)).as_str());
    ws.close().await;
    ws_acc.close().await;
}

/// A copy whose conversation moved between the page's read and its write is not written by
/// the batch (`Changed`), a copy already stored is `Earlier`; the page then sends the moved
/// one the ordinary way: exactly one copy each.
#[tokio::test]
async fn copies_racing_a_send_or_stored_before_are_written_once() {
    use shared::store::copies::{self, Copy, Written};
    let app = spawn_app().await;
    let http = Http::new(&app);
    let acc = public_account(&http, "News").await;
    let f = fans(&http, &acc, 2).await;
    let account = UserId(acc.uid);
    let tos = [UserId(f[0].uid), UserId(f[1].uid)];
    let copy_of = |c: &copies::CopyContext| Copy {
        m: NewMessage {
            sender: account,
            kind: 1,
            content: "race".into(),
            client_id: Some(format!("race-{}", c.to.0)),
            object_name: None,
        },
        ctx: c.clone(),
        ocu: true,
    };
    let read = copies::contexts(&app.ctx.db, account, &tos).await.unwrap();
    assert!(read.iter().all(|c| c.last_seq.is_none() && !c.blocked));
    // f[0] writes to the account after the read: its conversation exists now.
    let cid0 = shared::domain::chat::single_id(account, tos[0]);
    shared::store::conversations::ensure_single(&app.ctx.db, 1, tos[0], account).await.unwrap();
    let m = NewMessage { sender: tos[0], kind: 1, content: "me first".into(), client_id: None, object_name: None };
    shared::services::chat::send(&app.ctx, &cid0, m).await.unwrap();
    let w = copies::write(&app.ctx.db, 5, read.iter().map(copy_of).collect()).await.unwrap();
    assert!(matches!(w[0], Written::Changed), "{w:?}");
    assert!(matches!(&w[1], Written::Stored(m) if m.seq == 1), "{w:?}");
    // The same copies again from a fresh read: the stored one is Earlier, nothing written.
    let read = copies::contexts(&app.ctx.db, account, &tos).await.unwrap();
    let w = copies::write(&app.ctx.db, 6, read.iter().map(copy_of).collect()).await.unwrap();
    assert!(matches!(&w[0], Written::Stored(m) if m.seq == 2), "{w:?}");
    assert!(matches!(w[1], Written::Earlier), "{w:?}");
    assert_eq!(history(&http, &f[0], &acc).await.len(), 2);
    assert_eq!(history(&http, &f[1], &acc).await.len(), 1);
}
