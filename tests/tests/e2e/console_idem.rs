//! Shiku operator console, idempotent creations (`/console/addRoom`, `/console/sendMessage`,
//! `/console/pushToAll` with header `Idempotency-Key`): a replay answers what the first
//! request made and writes nothing (one room, one job, one audit entry); keys are scoped to
//! the operator; a malformed key is refused; without a key nothing changes; call budgets.

use e2e::console::{audit_targets, audited, login};
use e2e::*;
use serde_json::{json, Value};
use shared::auth::{canonical_password, hash_password, md5_hex};
use shared::dialects::Dialect;
use shared::ids::LoginName;

const BAD_PARAM: i64 = 1010101;
const KEY: &str = "Idempotency-Key";

/// A console POST with the operator's token and, when given, an idempotency key.
async fn post(http: &Http, tok: &str, path: &str, key: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let mut f = vec![("access_token", tok)];
    f.extend_from_slice(form);
    let mut rb = http.client.post(format!("{}{path}", http.base)).form(&f);
    if let Some(k) = key {
        rb = rb.header(KEY, k);
    }
    http.send(rb).await
}

/// A second operator (role operator, made in the store) and its console token.
async fn second_operator(app: &TestApp, http: &Http) -> String {
    let name = format!("ops{}", &phone()[3..]);
    let LoginName::Username(username) = LoginName::username(&name).unwrap() else { unreachable!() };
    let pw = md5_hex("secret2");
    let new = shared::domain::users::NewUser {
        nickname: "Second operator".into(),
        password_hash: hash_password(&canonical_password(Dialect::Shiku, &pw).unwrap()).unwrap(),
        username: Some(username),
        role: shared::domain::users::Role::Operator,
        ..Default::default()
    };
    shared::store::users::create(&app.ctx.db, app.ctx.now_ms(), new).await.unwrap();
    let r = http.shiku("/console/login", &[("telephone", &name), ("password", &pw)]).await;
    r.shiku_ok()["access_token"].as_str().unwrap_or_else(|| panic!("{}", r.text)).to_string()
}

/// Live rooms whose name contains `name` (console roomList search).
async fn rooms_named(http: &Http, tok: &str, name: &str) -> Vec<String> {
    let r = post(http, tok, "/console/roomList", None, &[("roomName", name)]).await;
    r.shiku_ok()["list"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

fn spec(name: &str, owner: i64) -> String {
    json!({"name": name, "desc": "idem", "userId": owner}).to_string()
}

#[tokio::test]
async fn a_replayed_add_room_makes_one_room_audited_once() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 3).await;
    let (a, b, c) = (&p[0], &p[1], &p[2]);
    let tok = login(&http).await;
    let ids = json!([c.uid]).to_string();
    let tag = phone();

    // Without a key: as before, a replay makes a second room (the call count is the baseline).
    let plain = format!("plain {tag}");
    let r = post(&http, &tok, "/console/addRoom", None, &[("room", &spec(&plain, b.uid)), ("ids", &ids)]).await;
    r.shiku_ok();
    let plain_calls = r.ddb_calls();
    post(&http, &tok, "/console/addRoom", None, &[("room", &spec(&plain, b.uid)), ("ids", &ids)]).await.shiku_ok();
    assert_eq!(rooms_named(&http, &tok, &plain).await.len(), 2, "no key: two rooms");

    // With a key: the claim rides in the creating transaction (+0 calls).
    let name = format!("keyed {tag}");
    let form = [("room", spec(&name, a.uid)), ("ids", ids.clone())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&http, &tok, "/console/addRoom", Some("room-key-1"), &form).await;
    let first = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= plain_calls, "keyed addRoom: {} calls, {plain_calls} without a key", r.ddb_calls());
    let cid = first["id"].as_str().unwrap().to_string();

    // The replay answers the same room, writes nothing; its cost: the checks, the failed
    // transaction and two GetItem (key, room).
    let r = post(&http, &tok, "/console/addRoom", Some("room-key-1"), &form).await;
    let again = r.shiku_ok().clone();
    assert!(r.ddb_calls() <= plain_calls + 2, "replay: {} calls", r.ddb_calls());
    for f in ["id", "name", "desc", "userId", "userSize"] {
        assert_eq!(again[f], first[f], "{f}: {again} vs {first}");
    }
    assert_eq!(rooms_named(&http, &tok, &name).await, vec![cid.clone()], "one room");
    assert_eq!(audited(&app, "/console/addRoom", &format!("owner:{}", a.uid)).await, 1, "one audit entry");
    // The members heard one creation: the room has its 2 members once.
    let r = shiku_room_size(&http, a, &cid).await;
    assert_eq!(r, 2);

    // Same key, other parameters: the first room answered, nothing made.
    let other = spec(&format!("other {tag}"), b.uid);
    let r = post(&http, &tok, "/console/addRoom", Some("room-key-1"), &[("room", &other)]).await;
    assert_eq!(r.shiku_ok()["id"], cid.as_str(), "{}", r.text);
    assert!(rooms_named(&http, &tok, &format!("other {tag}")).await.is_empty());

    // Another operator's same key is another key.
    let tok2 = second_operator(&app, &http).await;
    let r = post(&http, &tok2, "/console/addRoom", Some("room-key-1"), &form).await;
    let theirs = r.shiku_ok()["id"].as_str().unwrap().to_string();
    assert_ne!(theirs, cid);
    assert_eq!(rooms_named(&http, &tok, &name).await.len(), 2);
    // A fresh key of the first operator makes another room.
    let r = post(&http, &tok, "/console/addRoom", Some("room-key-2"), &form).await;
    assert_ne!(r.shiku_ok()["id"], cid.as_str());
    assert_eq!(audited(&app, "/console/addRoom", &format!("owner:{}", a.uid)).await, 3);

    // Malformed keys: the console's invalid-parameter error, nothing made.
    let long = "k".repeat(65);
    for bad in ["a b", "a#b", "a/b", "é", long.as_str()] {
        let r = post(&http, &tok, "/console/addRoom", Some(bad), &form).await;
        assert_eq!(r.shiku_code(), BAD_PARAM, "{bad:?}: {}", r.text);
        assert!(r.text.contains(KEY), "names the header: {}", r.text);
    }
    assert!(post(&http, &tok, "/console/addRoom", Some(&"k".repeat(64)), &form).await.shiku_ok()["id"].is_string());
    assert_eq!(rooms_named(&http, &tok, &name).await.len(), 4, "the bad keys made nothing");
}

/// The member count `/room/get` shows its owner.
async fn shiku_room_size(http: &Http, owner: &Person, cid: &str) -> i64 {
    let r = http.shiku_as("/room/get", &owner.token, &[("roomId", cid)]).await;
    r.shiku_ok()["userSize"].as_i64().unwrap_or_else(|| panic!("{}", r.text))
}

#[tokio::test]
async fn a_replayed_send_message_makes_one_job() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let p = people(&http, 2).await;
    let (from, to) = (p[0].uid.to_string(), p[1].uid.to_string());
    let tok = login(&http).await;
    let form = [("from", from.as_str()), ("to", to.as_str()), ("body", "once"), ("count", "2")];

    let r = post(&http, &tok, "/console/sendMessage", None, &form).await;
    let plain_calls = r.ddb_calls();
    let plain_job = r.shiku_ok()["jobId"].as_str().unwrap().to_string();

    let r = post(&http, &tok, "/console/sendMessage", Some("send-1"), &form).await;
    assert!(r.ddb_calls() <= plain_calls, "keyed: {} calls, {plain_calls} without a key", r.ddb_calls());
    let job = r.shiku_ok()["jobId"].as_str().unwrap().to_string();
    assert_ne!(job, plain_job);
    let r = post(&http, &tok, "/console/sendMessage", Some("send-1"), &form).await;
    assert!(r.ddb_calls() <= plain_calls + 2, "replay: {} calls", r.ddb_calls());
    let d: Value = r.shiku_ok().clone();
    assert_eq!(d["jobId"], job.as_str(), "{d}");
    // Other parameters, same key: still the first job.
    let r = post(
        &http,
        &tok,
        "/console/sendMessage",
        Some("send-1"),
        &[("from", &from), ("to", &to), ("body", "x"), ("count", "9")],
    )
    .await;
    assert_eq!(r.shiku_ok()["jobId"], job.as_str(), "{}", r.text);
    assert_eq!(audited(&app, "/console/sendMessage", &format!("job:{job}")).await, 1);
    let jobs: Vec<_> = audit_targets(&app, "/console/sendMessage")
        .await
        .into_iter()
        .filter(|t| t.iter().any(|x| *x == format!("user:{to}")))
        .collect();
    assert_eq!(jobs.len(), 2, "one plain job, one keyed job: {jobs:?}");

    let r = post(&http, &tok, "/console/sendMessage", Some("bad key"), &form).await;
    assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
}

#[tokio::test]
async fn a_replayed_push_to_all_makes_one_job() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let sender = register(&http, &phone(), "secret1", "Pusher").await;
    let from = sender.uid.to_string();
    let tok = login(&http).await;
    let tok2 = second_operator(&app, &http).await;
    let form = [("fromUserId", from.as_str()), ("body", "to all, once")];

    let r = post(&http, &tok, "/console/pushToAll", Some("push-1"), &form).await;
    assert!(r.ddb_calls() <= 4, "keyed pushToAll: {} calls", r.ddb_calls());
    let job = r.shiku_ok()["jobId"].as_str().unwrap().to_string();
    let r = post(&http, &tok, "/console/pushToAll", Some("push-1"), &form).await;
    assert!(r.ddb_calls() <= 6, "replay: {} calls", r.ddb_calls());
    assert_eq!(r.shiku_ok()["jobId"], job.as_str(), "{}", r.text);
    assert_eq!(audited(&app, "/console/pushToAll", &format!("user:{from}")).await, 1, "one job, one audit");
    // The other operator's same key: its own job.
    let r = post(&http, &tok2, "/console/pushToAll", Some("push-1"), &form).await;
    assert_ne!(r.shiku_ok()["jobId"], job.as_str(), "{}", r.text);
    assert_eq!(audited(&app, "/console/pushToAll", &format!("user:{from}")).await, 2);
    let r = post(&http, &tok, "/console/pushToAll", Some(&"k".repeat(65)), &form).await;
    assert_eq!(r.shiku_code(), BAD_PARAM, "{}", r.text);
    assert_eq!(audited(&app, "/console/pushToAll", &format!("user:{from}")).await, 2, "refused: nothing made");
}
