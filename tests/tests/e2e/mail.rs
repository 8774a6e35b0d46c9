//! Minxing mail (`POST /api/v1/mails`, `GET /api/v1/mails/{mail_id}`, issue 13): sending with
//! attachments, read flags, the live `mail` event in Shiku and Minxing sockets, idempotent
//! client ids, bad input with nothing written, strangers, DynamoDB call budgets.

use crate::files_shares::{calls, fetch, upload};
use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn send(http: &Http, who: &Person, body: Value) -> Resp {
    let r = http.json("POST", "/api/v1/mails", Some(&who.token), body).await;
    assert!(r.status < 500, "{} {}", r.status, r.text);
    r
}

async fn get(http: &Http, who: &Person, id: &str) -> Resp {
    let r = http.get(&format!("/api/v1/mails/{id}"), Some(&who.token)).await;
    assert!(r.status < 500, "{} {}", r.status, r.text);
    r
}

fn assert_error(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    assert!(r.body["error"].is_string(), "{what}: a JSON error: {}", r.text);
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|p| p["id"].as_i64().unwrap()).collect()
}

/// The copies (`RCPT#` items) in `uid`'s mailbox, straight from the table.
async fn mailbox(app: &TestApp, uid: i64) -> usize {
    let pk = shared::store::keys::mailbox_gsi1pk(shared::UserId(uid));
    shared::store::query_all(&app.ctx.db, Some(shared::store::GSI1), pk, None, None).await.unwrap().len()
}

#[tokio::test]
async fn mail_with_attachment_reaches_shiku_and_minxing_sockets_and_marks_read() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 4).await;
    let (a, b, c, stranger) = (&p[0], &p[1], &p[2], &p[3]);
    // b listens with its Shiku token, c with a Minxing OAuth2 token.
    let mut ws_b = Ws::connect(&app, &b.token).await.expect("b's Shiku socket");
    let (c_minxing, _) = minxing_login(&http, &c.phone, &c.password).await;
    let mut ws_c = Ws::connect(&app, &c_minxing).await.expect("c's Minxing socket");
    let mut ws_a = Ws::connect(&app, &a.token).await.expect("a's socket");

    let f = upload(&http, a, "plan.txt", b"the plan", &[]).await;
    assert_eq!(f.status, 201, "{}", f.text);
    let fid = f.body["id"].as_str().unwrap().to_string();

    let body = "Dear B,\n\n  see the plan.\n";
    let r = send(
        &http,
        a,
        json!({"to_user_ids": [b.uid], "cc_user_ids": [c.uid, b.uid], "subject": "Plan", "body": body,
               "attachment_ids": [fid]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    calls(&r, 4, "POST /api/v1/mails (2 recipients)");
    let m = r.body.clone();
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!((m["subject"].clone(), m["body"].clone(), m["read"].clone()), (json!("Plan"), json!(body), json!(true)));
    assert_eq!((m["sender"]["id"].as_i64(), m["sender"]["name"].clone()), (Some(a.uid), json!("P0")));
    assert_eq!((ids(&m["to"]), ids(&m["cc"])), (vec![b.uid], vec![c.uid]), "b once, in to");
    assert!(m["created_at"].as_i64().unwrap() > 0);
    let att = &m["attachments"][0];
    assert_eq!(
        (att["id"].clone(), att["name"].clone(), att["size"].clone()),
        (json!(fid), json!("plan.txt"), json!(8))
    );

    // Both recipients hear of it, whichever dialect's token opened their socket.
    for ws in [&mut ws_b, &mut ws_c] {
        let e = ws.next_event("mail", WAIT).await.expect("a mail event");
        assert_eq!(
            (e["type"].clone(), e["id"].clone(), e["subject"].clone()),
            (json!("new"), json!(id), json!("Plan"))
        );
        assert_eq!((e["from"].as_i64(), e["fromNickname"].clone()), (Some(a.uid), json!("P0")));
        assert!(e.get("body").is_none(), "no body in the frame: {e}");
    }
    assert!(ws_a.next_event("mail", Duration::from_millis(800)).await.is_none(), "the sender hears nothing");

    // A recipient reads it: marked read (3 calls), then 2 calls.
    let r = get(&http, b, &id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    calls(&r, 3, "GET /api/v1/mails/{id} (first read)");
    assert_eq!(
        (r.body["id"].clone(), r.body["read"].clone(), r.body["body"].clone()),
        (json!(id), json!(true), json!(body))
    );
    let r = get(&http, b, &id).await;
    calls(&r, 2, "GET /api/v1/mails/{id} (read before)");
    let copy = app.ctx.db.get(format!("MAIL#{id}"), format!("RCPT#{}", b.uid)).await.unwrap().expect("b's copy");
    assert_eq!(copy.get("read").and_then(|v| v.as_bool().ok()).copied(), Some(true));
    let copy = app.ctx.db.get(format!("MAIL#{id}"), format!("RCPT#{}", c.uid)).await.unwrap().expect("c's copy");
    assert_eq!(copy.get("read").and_then(|v| v.as_bool().ok()).copied(), Some(false), "c has not read it");

    // The attachment downloads for the recipient through its stable URL.
    let url = r.body["attachments"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(fetch(&url).await, b"the plan");
    assert!(r.body["attachments"][0]["download_url"].is_string());

    // The sender and the cc read it; a stranger, an unknown id and a malformed one: 404.
    assert_eq!(get(&http, a, &id).await.status, 200);
    let r = get(&http, c, &id).await;
    assert_eq!((r.status, r.body["read"].clone()), (200, json!(true)));
    let r = get(&http, stranger, &id).await;
    assert_error(&r, 404, "a stranger");
    calls(&r, 2, "GET by a stranger");
    assert_error(&get(&http, b, &"0".repeat(32)).await, 404, "unknown id");
    assert_error(&get(&http, b, "nope").await, 404, "malformed id");
    let r = http.get(&format!("/api/v1/mails/{id}"), None).await;
    assert_eq!(r.status, 401, "{}", r.text);
}

#[tokio::test]
async fn mail_to_ten_recipients_within_budget() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 11).await;
    let to: Vec<i64> = p[1..].iter().map(|x| x.uid).collect();
    let r = send(&http, &p[0], json!({"to_user_ids": to, "subject": "All hands", "body": "at 10"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    calls(&r, 4, "POST /api/v1/mails (10 recipients)");
    assert_eq!(ids(&r.body["to"]), to);
    let id = r.body["id"].as_str().unwrap();
    for x in &p[1..] {
        assert_eq!(mailbox(&app, x.uid).await, 1, "a copy for {}", x.uid);
    }
    assert_eq!(mailbox(&app, p[0].uid).await, 1, "the sender's sent copy");
    let r = get(&http, &p[10], id).await;
    calls(&r, 3, "GET /api/v1/mails/{id}");
    // A comma-separated list and `to` with ids work the same.
    let r = send(&http, &p[0], json!({"to": format!("{},{}", p[1].uid, p[2].uid), "subject": "x"})).await;
    assert_eq!((r.status, ids(&r.body["to"])), (201, vec![p[1].uid, p[2].uid]), "{}", r.text);
    // Login names: one BatchGetItem more.
    let db = &app.ctx.db;
    shared::store::users::create_fixed(db, 1, shared::UserId(777_777), "Named", "mail.bob").await.unwrap();
    let r = send(&http, &p[0], json!({"to": ["Mail.Bob"], "cc": [p[3].uid.to_string()], "subject": "by name"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    calls(&r, 5, "POST /api/v1/mails (a login name)");
    assert_eq!((ids(&r.body["to"]), ids(&r.body["cc"])), (vec![777_777], vec![p[3].uid]));
    assert_eq!(r.body["to"][0]["name"], json!("Named"));
    assert_eq!(mailbox(&app, 777_777).await, 1);
}

#[tokio::test]
async fn mail_client_id_answers_the_first_mail() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (a, b) = (&p[0], &p[1]);
    let mut ws = Ws::connect(&app, &b.token).await.expect("b's socket");
    let body = json!({"to_user_ids": [b.uid], "subject": "once", "client_id": "c-1"});
    let first = send(&http, a, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.body["id"].as_str().unwrap().to_string();
    assert_eq!(ws.next_event("mail", WAIT).await.expect("the event")["id"], json!(id));
    // b reads it; the resend must not make it unread again, nor notify twice.
    assert_eq!(get(&http, b, &id).await.status, 200);
    let again = send(&http, a, json!({"to_user_ids": [b.uid], "subject": "changed", "client_id": "c-1"})).await;
    assert_eq!(again.status, 200, "a resend: {}", again.text);
    assert_eq!((again.body["id"].clone(), again.body["subject"].clone()), (json!(id), json!("once")));
    calls(&again, 2, "resend");
    assert!(ws.next_event("mail", Duration::from_millis(1500)).await.is_none(), "no second event");
    assert_eq!(mailbox(&app, b.uid).await, 1);
    let copy = app.ctx.db.get(format!("MAIL#{id}"), format!("RCPT#{}", b.uid)).await.unwrap().unwrap();
    assert_eq!(copy.get("read").and_then(|v| v.as_bool().ok()).copied(), Some(true));
    // Another client id (or another sender with the same one) is another mail.
    let other = send(&http, a, json!({"to_user_ids": [b.uid], "subject": "twice", "client_id": "c-2"})).await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["id"], json!(id));
    let theirs = send(&http, b, json!({"to_user_ids": [a.uid], "subject": "mine", "client_id": "c-1"})).await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(theirs.body["id"], json!(id));
    assert_eq!(theirs.body["sender"]["id"].as_i64(), Some(b.uid));
}

#[tokio::test]
async fn mail_bad_input_writes_nothing() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let mine = upload(&http, a, "a.txt", b"a", &[]).await.body["id"].as_str().unwrap().to_string();
    let theirs = upload(&http, c, "c.txt", b"c", &[]).await.body["id"].as_str().unwrap().to_string();
    let to = json!([b.uid]);
    let cases: Vec<(&str, Value, u16)> = vec![
        ("missing to", json!({"subject": "s"}), 400),
        ("only cc", json!({"cc_user_ids": [b.uid], "subject": "s"}), 400),
        ("bad id", json!({"to_user_ids": ["abc"], "subject": "s"}), 400),
        ("zero id", json!({"to_user_ids": [0], "subject": "s"}), 400),
        ("bad id list", json!({"to_user_ids": "[1,", "subject": "s"}), 400),
        ("bad name", json!({"to": ["not a name"], "subject": "s"}), 400),
        ("telephone", json!({"to": ["+8613800000000"], "subject": "s"}), 400),
        ("nothing to say", json!({"to_user_ids": to, "subject": "  "}), 400),
        ("subject type", json!({"to_user_ids": to, "subject": {"x": 1}}), 400),
        ("long subject", json!({"to_user_ids": to, "subject": "x".repeat(201)}), 400),
        ("big body", json!({"to_user_ids": to, "subject": "s", "body": "x".repeat(100 * 1024 + 1)}), 400),
        ("11 files", json!({"to_user_ids": to, "subject": "s", "attachment_ids": vec![mine.clone(); 11]}), 400),
        ("bad client id", json!({"to_user_ids": to, "subject": "s", "client_id": "a b"}), 400),
        ("201 recipients", json!({"to_user_ids": (1..=201).collect::<Vec<i64>>(), "subject": "s"}), 400),
        ("someone else's file", json!({"to_user_ids": to, "subject": "s", "attachment_ids": [theirs]}), 404),
        ("unknown file", json!({"to_user_ids": to, "subject": "s", "attachment_ids": ["nope"]}), 404),
        ("unknown recipient", json!({"to_user_ids": [b.uid, 999_999], "subject": "s", "client_id": "k"}), 404),
        ("unknown cc", json!({"to_user_ids": to, "cc_user_ids": [999_998], "subject": "s", "client_id": "k"}), 404),
        ("unknown login name", json!({"to": ["nobody_here"], "subject": "s"}), 404),
    ];
    for (what, body, status) in cases {
        assert_error(&send(&http, a, body).await, status, what);
    }
    for x in [a, b, c] {
        assert_eq!(mailbox(&app, x.uid).await, 0, "nothing written for {}", x.uid);
    }
    // The client id of a refused send is still free: the same id now makes a new mail.
    let r =
        send(&http, a, json!({"to_user_ids": to, "subject": "s", "client_id": "k", "attachment_ids": [mine]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Exactly 100 KB and 200 characters are fine; no token is 401.
    let r =
        send(&http, a, json!({"to_user_ids": to, "subject": "é".repeat(200), "body": "x".repeat(100 * 1024)})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = http.json("POST", "/api/v1/mails", None, json!({"to_user_ids": to, "subject": "s"})).await;
    assert_eq!(r.status, 401, "{}", r.text);
}
