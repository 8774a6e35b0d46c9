//! Shiku operator console, sends and user edit (`/console/sendMessage`, `/console/pushToAll`,
//! `/console/updateUser` POST fields): jobs answered at once and paged by the stream worker,
//! each target served exactly once (history and socket), replays store nothing twice;
//! progress by `jobId`; audit entries; bad input refused; call budgets.

use e2e::console::{audited, login};
use e2e::*;
use serde_json::Value;
use shared::auth::md5_hex;
use shared::domain::jobs::JobStatus;
use std::time::Duration;

const BAD_PARAM: i64 = 1010101;
const MISSING: i64 = 1010102;
const NOT_FOUND: i64 = 1010104;
const TOKEN_INVALID: i64 = 1030102;
const FORBIDDEN: i64 = 1030103;
const WAIT: Duration = Duration::from_secs(10);

/// `who`'s 1:1 history with `peer` (Shiku `/tigase/shiku_msgs`).
async fn history(http: &Http, who: &Person, peer: i64) -> Vec<Value> {
    let r = http.shiku_as("/tigase/shiku_msgs", &who.token, &[("receiver", &peer.to_string())]).await;
    r.shiku_ok().as_array().unwrap().clone()
}

/// Start a console job: its id (≤ 3 DynamoDB calls + the console token's).
async fn start(http: &Http, tok: &str, path: &str, form: &[(&str, &str)]) -> String {
    let r = http.shiku_as(path, tok, form).await;
    let d = r.shiku_ok();
    assert!(r.ddb_calls() <= 4, "{path}: {} calls", r.ddb_calls());
    assert_eq!(d["status"], "running", "{}", r.text);
    d["jobId"].as_str().unwrap().to_string()
}

/// Poll the job's progress (`jobId` on the route) until done.
async fn wait_done(http: &Http, tok: &str, path: &str, job: &str) -> Value {
    for _ in 0..400 {
        let r = http.shiku_as(path, tok, &[("jobId", job)]).await;
        assert!(r.ddb_calls() <= 2, "progress: {} calls", r.ddb_calls());
        let d = r.shiku_ok();
        assert_eq!(d["jobId"], job);
        if d["status"] == "done" {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} not done");
}

async fn count_messages(ws: &mut Ws, wait: Duration) -> usize {
    let mut n = 0;
    while ws.next_event("message", wait).await.is_some() {
        n += 1;
    }
    n
}

#[tokio::test]
async fn console_send_message_sends_count_copies_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let alice = register(&http, &phone(), "secret1", "Alice").await;
    let bob = register(&http, &phone(), "secret1", "Bob").await;
    let mut ws = Ws::connect(&app, &bob.token).await.unwrap();
    let (a, b) = (alice.uid.to_string(), bob.uid.to_string());

    let job =
        start(&http, &tok, "/console/sendMessage", &[("from", &a), ("to", &b), ("body", "hi bob"), ("count", "3")])
            .await;
    let d = wait_done(&http, &tok, "/console/sendMessage", &job).await;
    assert_eq!((d["done"].as_i64(), d["failed"].as_i64()), (Some(3), Some(0)), "{d}");
    let h = history(&http, &bob, alice.uid).await;
    assert_eq!(h.len(), 3, "three copies");
    assert!(h.iter().all(|m| m["body"] == "hi bob" && m["sender"].as_i64() == Some(alice.uid)));
    assert_eq!(count_messages(&mut ws, Duration::from_secs(2)).await, 3, "the socket got three");
    assert_eq!(audited(&app, "/console/sendMessage", &format!("job:{job}")).await, 1);
    assert_eq!(audited(&app, "/console/sendMessage", &format!("user:{}", bob.uid)).await, 1);

    // Replay: the job put back at its start runs again and stores nothing twice.
    let mut j = shared::services::jobs::get(&app.ctx, &job).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Done);
    let updated = j.updated_at;
    (j.page, j.status, j.done, j.failed, j.cursor) = (0, JobStatus::Running, 0, 0, None);
    shared::services::jobs::restore(&app.ctx, &j).await.unwrap();
    let mut again = None;
    for _ in 0..200 {
        let g = shared::services::jobs::get(&app.ctx, &job).await.unwrap().unwrap();
        if g.status == JobStatus::Done && g.updated_at != updated {
            again = Some(g);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = again.expect("the replayed job ran");
    assert_eq!(again.done, 3, "the copies found stored count as done");
    assert_eq!(history(&http, &bob, alice.uid).await.len(), 3, "still three");
    assert_eq!(count_messages(&mut ws, Duration::from_secs(1)).await, 0, "nothing new on the socket");

    // The system account 10000 (provisioned; initSysUser is idempotent) sends too.
    let sys = [("from", "10000"), ("to", b.as_str()), ("body", "notice"), ("count", "1")];
    http.shiku_as("/console/initSysUser", &tok, &[("userId", "10000")]).await.shiku_ok();
    let job = start(&http, &tok, "/console/sendMessage", &sys).await;
    assert_eq!(wait_done(&http, &tok, "/console/sendMessage", &job).await["done"], 1);
    assert_eq!(history(&http, &bob, 10000).await.len(), 1);
    ws.close().await;
}

#[tokio::test]
async fn console_send_message_refuses_bad_input() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let alice = register(&http, &phone(), "secret1", "Alice").await;
    let bob = register(&http, &phone(), "secret1", "Bob").await;
    let (a, b) = (alice.uid.to_string(), bob.uid.to_string());
    let long = "x".repeat(64 * 1024 + 1);
    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (vec![("from", &a), ("to", &b), ("body", "x"), ("count", "0")], BAD_PARAM),
        (vec![("from", &a), ("to", &b), ("body", "x"), ("count", "101")], BAD_PARAM),
        (vec![("from", &a), ("to", &b), ("body", "x"), ("count", "two")], BAD_PARAM),
        (vec![("from", &a), ("to", &b), ("body", "x")], MISSING),
        (vec![("from", &a), ("to", &b), ("count", "1")], MISSING),
        (vec![("from", &a), ("to", &b), ("body", &long), ("count", "1")], BAD_PARAM),
        (vec![("to", &b), ("body", "x"), ("count", "1")], MISSING),
        (vec![("from", "abc"), ("to", &b), ("body", "x"), ("count", "1")], BAD_PARAM),
        (vec![("from", "99999999"), ("to", &b), ("body", "x"), ("count", "1")], NOT_FOUND),
        (vec![("from", &a), ("to", "99999999"), ("body", "x"), ("count", "1")], NOT_FOUND),
        (vec![("from", &a), ("to", &a), ("body", "x"), ("count", "1")], BAD_PARAM),
        (vec![("jobId", "0123456789abcdef0123456789abcdef")], NOT_FOUND),
        (vec![("jobId", "not-a-job")], NOT_FOUND),
    ];
    for (form, code) in cases {
        let r = http.shiku_as("/console/sendMessage", &tok, &form).await;
        assert_eq!(r.shiku_code(), code, "{form:?}: {}", r.text);
        assert!(r.status < 500);
    }
    // A user token is refused; a disabled sender is refused.
    let form = [("from", a.as_str()), ("to", b.as_str()), ("body", "x"), ("count", "1")];
    let r = http.shiku_as("/console/sendMessage", &alice.token, &form).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    http.shiku_as("/console/updateUser", &tok, &[("userId", &a), ("status", "0")]).await.shiku_ok();
    let r = http.shiku_as("/console/sendMessage", &tok, &form).await;
    assert_eq!(r.shiku_code(), FORBIDDEN, "{}", r.text);
    assert!(history(&http, &bob, alice.uid).await.is_empty(), "nothing sent");
}

#[tokio::test]
async fn console_push_to_all_reaches_every_enabled_account_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let sender = register(&http, &phone(), "secret1", "Sender").await;
    let users = people(&http, 3).await;
    let off = register(&http, &phone(), "secret1", "Off").await;
    http.shiku_as("/console/updateUser", &tok, &[("userId", &off.uid.to_string()), ("status", "0")]).await.shiku_ok();
    let mut ws = Ws::connect(&app, &users[0].token).await.unwrap();
    let from = sender.uid.to_string();

    let r = http.shiku_as("/console/pushToAll", &users[0].token, &[("fromUserId", &from), ("body", "x")]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    for (form, code) in [
        (vec![("body", "x")], MISSING),
        (vec![("fromUserId", from.as_str())], MISSING),
        (vec![("fromUserId", "99999999"), ("body", "x")], NOT_FOUND),
        (vec![("fromUserId", "x1"), ("body", "x")], BAD_PARAM),
    ] {
        let r = http.shiku_as("/console/pushToAll", &tok, &form).await;
        assert_eq!(r.shiku_code(), code, "{form:?}: {}", r.text);
    }

    let job = start(&http, &tok, "/console/pushToAll", &[("fromUserId", &from), ("body", "to all")]).await;
    // GET with jobId answers the progress too.
    let r = http.get(&format!("/console/pushToAll?jobId={job}&access_token={tok}"), None).await;
    assert_eq!(r.shiku_ok()["jobId"], job.as_str(), "{}", r.text);
    let d = wait_done(&http, &tok, "/console/pushToAll", &job).await;
    assert_eq!(d["failed"], 0, "{d}");
    assert!(d["done"].as_i64().unwrap() >= 3, "{d}");
    for u in &users {
        let h = history(&http, u, sender.uid).await;
        assert_eq!(h.len(), 1, "one copy each");
        assert_eq!(h[0]["body"], "to all");
    }
    let frame = ws.next_event("message", WAIT).await.expect("the socket hears it");
    assert_eq!(frame["content"], "to all");
    assert_eq!(audited(&app, "/console/pushToAll", &format!("job:{job}")).await, 1);
    // The disabled account got nothing (enabled again to look).
    http.shiku_as("/console/updateUser", &tok, &[("userId", &off.uid.to_string()), ("status", "1")]).await.shiku_ok();
    let r = http.shiku("/user/login", &[("telephone", &off.phone), ("password", &md5_hex("secret1"))]).await;
    let off_tok = r.shiku_ok()["access_token"].as_str().unwrap().to_string();
    let off = Person { token: off_tok, ..off };
    assert!(history(&http, &off, sender.uid).await.is_empty(), "disabled: skipped");
    ws.close().await;
}

#[tokio::test]
async fn console_update_user_edits_profile_and_password() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let alice = register(&http, &phone(), "secret1", "Alice").await;
    let bob = register(&http, &phone(), "secret1", "Bob").await;
    let a = alice.uid.to_string();

    let r = http
        .shiku_as(
            "/console/updateUser",
            &tok,
            &[
                ("userId", &a),
                ("nickname", "Alice Renamed"),
                ("description", "edited"),
                ("sex", "0"),
                ("birthday", "631152000"),
            ],
        )
        .await;
    let d = r.shiku_ok();
    assert_eq!(d["nickname"], "Alice Renamed", "{}", r.text);
    println!("updateUser profile: {} calls", r.ddb_calls());
    let r = http.shiku_as("/user/get", &bob.token, &[("userId", &a)]).await;
    let d = r.shiku_ok();
    assert_eq!(
        (d["nickname"].clone(), d["description"].clone(), d["sex"].clone()),
        ("Alice Renamed".into(), "edited".into(), 0.into())
    );
    assert_eq!(audited(&app, "/console/updateUser", &format!("user:{a}")).await, 1);

    // Password (md5 as Shiku clients send it): the old token is refused, the new password logs in.
    let r = http.shiku_as("/console/updateUser", &tok, &[("userId", &a), ("password", &md5_hex("newpass9"))]).await;
    r.shiku_ok();
    println!("updateUser password: {} calls", r.ddb_calls());
    assert_eq!(audited(&app, "/console/updateUser", &format!("user:{a}")).await, 2);
    let r = http.shiku_as("/user/get", &alice.token, &[("userId", &a)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "old token refused: {}", r.text);
    let r = http.shiku("/user/login", &[("telephone", &alice.phone), ("password", &md5_hex("secret1"))]).await;
    assert_ne!(r.shiku_code(), 1, "old password refused: {}", r.text);
    let r = http.shiku("/user/login", &[("telephone", &alice.phone), ("password", &md5_hex("newpass9"))]).await;
    r.shiku_ok();

    // Bad input: nothing given, mistyped fields, unknown user, a user token, protected accounts.
    for (form, code) in [
        (vec![("userId", a.as_str())], MISSING),
        (vec![("nickname", "x")], MISSING),
        (vec![("userId", a.as_str()), ("sex", "5")], BAD_PARAM),
        (vec![("userId", a.as_str()), ("birthday", "soon")], BAD_PARAM),
        (vec![("userId", a.as_str()), ("userType", "2")], BAD_PARAM),
        (vec![("userId", a.as_str()), ("status", "7")], BAD_PARAM),
        (vec![("userId", "99999999"), ("nickname", "Ghost")], NOT_FOUND),
    ] {
        let r = http.shiku_as("/console/updateUser", &tok, &form).await;
        assert_eq!(r.shiku_code(), code, "{form:?}: {}", r.text);
    }
    let r = http.shiku_as("/console/updateUser", &bob.token, &[("userId", &a), ("nickname", "Hacked")]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.shiku("/console/login", &[("telephone", "admin"), ("password", &md5_hex("admin123"))]).await;
    let admin = r.shiku_ok()["userId"].as_i64().unwrap();
    let r = http
        .shiku_as("/console/updateUser", &tok, &[("userId", &admin.to_string()), ("password", &md5_hex("x12345"))])
        .await;
    assert_eq!(r.shiku_code(), FORBIDDEN, "{}", r.text);
    // The status path still works.
    let r = http.shiku_as("/console/updateUser", &tok, &[("userId", &bob.uid.to_string()), ("status", "0")]).await;
    r.shiku_ok();
    let r = http.shiku_as("/user/get", &bob.token, &[("userId", &a)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "disabled: {}", r.text);
}

/// `/console/pushToAll` is limited per UTC day for the whole console: the refused one writes
/// no job and no audit entry.
#[tokio::test]
async fn console_push_to_all_is_limited_per_day() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let tok = login(&http).await;
    let sender = register(&http, &phone(), "secret1", "Sender").await;
    let from = sender.uid.to_string();
    let max = shared::services::console_sends::MAX_PUSHES_PER_DAY;
    for i in 0..max {
        let r = http.shiku_as("/console/pushToAll", &tok, &[("fromUserId", &from), ("body", &format!("n{i}"))]).await;
        r.shiku_ok();
    }
    let r = http.shiku_as("/console/pushToAll", &tok, &[("fromUserId", &from), ("body", "one too many")]).await;
    assert_eq!(r.shiku_code(), 1101102, "{}", r.text);
    let audits = e2e::console::audit_targets(&app, "/console/pushToAll").await;
    assert_eq!(audits.len() as i64, max, "the refused broadcast is not audited");
}
