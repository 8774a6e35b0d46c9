//! Shiku operator console, message logs (`/console/{chat_logs_all,groupchat_logs_all}` and
//! their `/del`): a scope is required, lists are the Shiku history records newest first
//! without recalled messages, deletion tombstones through the recall rule (members' sockets
//! hear `recall`), audited before it acts, idempotent; call budgets.

use e2e::console::{audit_targets, login};
use e2e::rooms::room;
use e2e::*;

use serde_json::{json, Value};

/// Today's audit entries for `route` naming every one of `targets`.
async fn audited(app: &TestApp, route: &str, targets: &[&str]) -> Vec<Vec<String>> {
    let all = audit_targets(app, route).await;
    all.into_iter().filter(|e| targets.iter().all(|t| e.iter().any(|x| x == t))).collect()
}

const BAD_PARAM: i64 = 1010101;
const MISSING: i64 = 1010102;
const NOT_FOUND: i64 = 1010104;
const TOKEN_INVALID: i64 = 1030102;

fn bodies(d: &Value) -> Vec<String> {
    d["list"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn group_logs_list_and_delete_through_recall() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let owner = register(&http, &phone(), "secret1", "Owner").await;
    let member = register(&http, &phone(), "secret1", "Member").await;
    let rid = room(&http, &owner, &[&member], &[]).await;
    let other = room(&http, &owner, &[&member], &[]).await;
    for b in ["one", "two", "three"] {
        send_http(&http, &member, &rid, b).await;
    }
    let elsewhere = send_http(&http, &owner, &other, "elsewhere").await["id"].as_str().unwrap().to_string();
    let tok = login(&http).await;
    let list = |form: Vec<(&'static str, String)>| {
        let (http, tok) = (&http, tok.clone());
        async move {
            let mut f: Vec<(&str, &str)> = vec![("access_token", &tok)];
            f.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            http.shiku("/console/groupchat_logs_all", &f).await
        }
    };

    // A user token is refused.
    let r = http.shiku_as("/console/groupchat_logs_all", &owner.token, &[("roomId", &rid)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.shiku_as("/console/groupchat_logs_all/del", &owner.token, &[("roomId", &rid)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);

    // Pages newest first; `more`; room_jid_id or roomId; token + 1 Query.
    let r = list(vec![("roomId", rid.clone()), ("pageSize", "2".into())]).await;
    let d = r.shiku_ok().clone();
    assert_eq!(
        (bodies(&d), d["more"].clone(), d["pageIndex"].clone(), d["pageSize"].clone()),
        (vec!["three".to_string(), "two".into()], json!(true), json!(0), json!(2))
    );
    assert!(r.ddb_calls() <= 2, "groupchat_logs_all: {} calls", r.ddb_calls());
    assert_eq!(d["list"][0]["sender"], member.uid);
    assert!(d["list"][0]["messageId"].is_string() && d["list"][0]["timeSend"].is_i64(), "{d}");
    let r = list(vec![("room_jid_id", rid.clone()), ("pageSize", "2".into()), ("pageIndex", "1".into())]).await;
    let d = r.shiku_ok().clone();
    assert_eq!((bodies(&d), d["more"].clone()), (vec!["one".to_string()], json!(false)));
    let r = list(vec![("roomId", rid.clone())]).await;
    let all = r.shiku_ok().clone();
    assert_eq!(all["pageSize"], 25);
    let ts = |i: usize| all["list"][i]["ts"].as_i64().unwrap();
    let two_id = all["list"][1]["messageId"].as_str().unwrap().to_string();
    // Time window (ms, both ends included).
    let r = list(vec![("roomId", rid.clone()), ("endTime", ts(1).to_string())]).await;
    assert_eq!(bodies(r.shiku_ok()), vec!["two", "one"]);
    let r = list(vec![("roomId", rid.clone()), ("startTime", ts(1).to_string()), ("endTime", ts(0).to_string())]).await;
    assert_eq!(bodies(r.shiku_ok()), vec!["three", "two"]);

    // Bad input: Shiku errors, never 5xx.
    for (form, code) in [
        (vec![], MISSING),
        (vec![("roomId", "nope".to_string())], NOT_FOUND),
        (vec![("roomId", "s_1_2".to_string())], NOT_FOUND),
        (vec![("roomId", "../x".to_string())], NOT_FOUND),
        (vec![("roomId", rid.clone()), ("pageSize", "51".into())], BAD_PARAM),
        (vec![("roomId", rid.clone()), ("pageSize", "x".into())], BAD_PARAM),
        (vec![("roomId", rid.clone()), ("pageIndex", "-1".into())], BAD_PARAM),
        (vec![("roomId", rid.clone()), ("startTime", "abc".into())], BAD_PARAM),
        (vec![("roomId", rid.clone()), ("startTime", "5".into()), ("endTime", "4".into())], BAD_PARAM),
    ] {
        assert_eq!(list(form.clone()).await.shiku_code(), code, "{form:?}");
    }

    // Delete one message by id: the members' sockets hear the recall, the list drops it.
    let mut ws = Ws::connect(&app, &owner.token).await.unwrap();
    let del = |form: Vec<(&'static str, String)>| {
        let (http, tok) = (&http, tok.clone());
        async move {
            let mut f: Vec<(&str, &str)> = vec![("access_token", &tok)];
            f.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            http.shiku("/console/groupchat_logs_all/del", &f).await
        }
    };
    let r = del(vec![("roomId", rid.clone()), ("messageId", elsewhere.clone())]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "another room's message");
    let r = del(vec![("roomId", rid.clone()), ("messageId", two_id.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 1, "more": false}));
    assert_eq!(ws.next_event("recall", WAIT).await.unwrap()["messageId"], two_id.as_str());
    assert_eq!(bodies(list(vec![("roomId", rid.clone())]).await.shiku_ok()), vec!["three", "one"]);
    let room_t = format!("room:{rid}");
    assert_eq!(
        audited(&app, "/console/groupchat_logs_all/del", &[&room_t]).await,
        vec![vec![room_t.clone(), format!("msg:{two_id}"), "count:1".into()]]
    );
    // The member's own history keeps a tombstone (the recall rule).
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &member.token), ("roomId", &rid)]).await;
    let h: Vec<&str> = r.shiku_ok().as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(h, vec!["three", "", "one"]);

    // Delete the rest in the window: both heard, audited once, then nothing left to do.
    let r = del(vec![("roomId", rid.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 2, "more": false}));
    let mut heard = vec![];
    for _ in 0..2 {
        heard.push(ws.next_event("recall", WAIT).await.unwrap()["seq"].as_i64().unwrap());
    }
    heard.sort();
    assert_eq!(heard, vec![1, 3]);
    assert!(list(vec![("roomId", rid.clone())]).await.shiku_ok()["list"].as_array().unwrap().is_empty());
    let r = del(vec![("room_jid_id", rid.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 0, "more": false}));
    assert_eq!(audited(&app, "/console/groupchat_logs_all/del", &[&room_t]).await.len(), 2);
    assert!(audited(&app, "/console/groupchat_logs_all/del", &[&room_t, "count:2"]).await.len() == 1);
    for (form, code) in [(vec![], MISSING), (vec![("roomId", "nope".to_string())], NOT_FOUND)] {
        assert_eq!(del(form.clone()).await.shiku_code(), code, "{form:?}");
    }
    // The other room untouched.
    assert_eq!(bodies(list(vec![("roomId", other.clone())]).await.shiku_ok()), vec!["elsewhere"]);
    ws.close().await;
}

#[tokio::test]
async fn chat_logs_pair_and_person_deleted_across_dialects() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "SealTalk A").await;
    let b = register(&http, &phone(), "secret1", "Shiku B").await;
    let c = register(&http, &phone(), "secret1", "C").await;
    let r = http.shiku("/friends/attention/add", &[("access_token", &a.token), ("toUserId", &b.uid.to_string())]).await;
    r.shiku_ok();
    // A uses the SealTalk app: signs in there and sends through SealTalk to B.
    let st_http = sealtalk_login(&app, &a).await;
    let mut wb = Ws::connect(&app, &b.token).await.unwrap();
    for body in ["hi", "there"] {
        let msg = json!({"conversationType": "PRIVATE", "targetId": b.uid.to_string(), "objectName": "RC:TxtMsg", "content": body});
        let r = st_http.json("POST", "/sealtalk/misc/send_message", None, msg).await;
        assert_eq!(r.body["code"], 200, "{}", r.text);
        assert_eq!(wb.next_event("message", WAIT).await.unwrap()["content"], body);
    }
    // C writes to A (another 1:1 conversation of A), and B to C (not A's).
    let mut wc = Ws::connect(&app, &c.token).await.unwrap();
    wc.send(json!({"action": "send", "to": a.uid, "content": "from c"})).await;
    ack(&mut wc).await;
    wb.send(json!({"action": "send", "to": c.uid, "content": "b to c"})).await;
    ack(&mut wb).await;
    let tok = login(&http).await;
    let call = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (http, tok) = (&http, tok.clone());
        async move {
            let mut f: Vec<(&str, &str)> = vec![("access_token", &tok)];
            f.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            http.shiku(path, &f).await
        }
    };
    let (au, bu, cu) = (a.uid.to_string(), b.uid.to_string(), c.uid.to_string());
    const LIST: &str = "/console/chat_logs_all";
    const DEL: &str = "/console/chat_logs_all/del";

    let r = http.shiku_as(LIST, &a.token, &[("sender", &au)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);
    let r = http.shiku_as(DEL, &b.token, &[("sender", &au)]).await;
    assert_eq!(r.shiku_code(), TOKEN_INVALID, "{}", r.text);

    // A pair: that conversation, both directions, newest first; token + 1 Query.
    let r = call(LIST, vec![("sender", au.clone()), ("receiver", bu.clone())]).await;
    let d = r.shiku_ok().clone();
    assert_eq!(
        (bodies(&d), d["more"].clone(), d["pageSize"].clone()),
        (vec!["there".to_string(), "hi".into()], json!(false), json!(10))
    );
    assert_eq!((d["list"][0]["sender"].as_i64(), d["list"][0]["receiver"].as_i64()), (Some(a.uid), Some(b.uid)));
    assert!(r.ddb_calls() <= 2, "chat_logs_all pair: {} calls", r.ddb_calls());
    let hi_id = d["list"][1]["messageId"].as_str().unwrap().to_string();
    let r = call(LIST, vec![("sender", bu.clone()), ("receiver", au.clone()), ("pageSize", "1".into())]).await;
    let d = r.shiku_ok().clone();
    assert_eq!((bodies(&d), d["more"].clone()), (vec!["there".to_string()], json!(true)));
    // One person: their 1:1 conversations merged, newest first.
    let r = call(LIST, vec![("sender", au.clone())]).await;
    assert_eq!(bodies(r.shiku_ok()), vec!["from c", "there", "hi"]);
    let person_calls = r.ddb_calls();
    assert!(person_calls <= 5, "chat_logs_all one person (2 conversations): {person_calls} calls");
    let r = call(LIST, vec![("receiver", cu.clone()), ("pageSize", "1".into()), ("pageIndex", "1".into())]).await;
    let d = r.shiku_ok().clone();
    assert_eq!((bodies(&d), d["more"].clone()), (vec!["from c".to_string()], json!(false)));

    // Bad input.
    for (form, code) in [
        (vec![], MISSING),
        (vec![("sender", "".to_string())], MISSING),
        (vec![("sender", "x".to_string())], BAD_PARAM),
        (vec![("sender", au.clone()), ("receiver", au.clone())], BAD_PARAM),
        (vec![("sender", au.clone()), ("receiver", "99999999".into())], NOT_FOUND),
        (vec![("receiver", "99999999".to_string())], NOT_FOUND),
        (vec![("sender", au.clone()), ("pageSize", "0".into())], BAD_PARAM),
    ] {
        assert_eq!(call(LIST, form.clone()).await.shiku_code(), code, "list {form:?}");
        if !form.iter().any(|(k, _)| *k == "pageSize") {
            assert_eq!(call(DEL, form.clone()).await.shiku_code(), code, "del {form:?}");
        }
    }

    // The console deletes "hi" (sent from SealTalk): B's socket hears the recall, A's sync
    // shows a tombstone, the console list no longer has it.
    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    let r = call(DEL, vec![("sender", cu.clone()), ("receiver", bu.clone()), ("messageId", hi_id.clone())]).await;
    assert_eq!(r.shiku_code(), NOT_FOUND, "a message of another pair");
    let r = call(DEL, vec![("sender", au.clone()), ("receiver", bu.clone()), ("messageId", hi_id.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 1, "more": false}));
    assert_eq!(wb.next_event("recall", WAIT).await.unwrap()["messageId"], hi_id.as_str());
    let f = wa.next_event("recall", WAIT).await.unwrap();
    let cid = f["conversationId"].as_str().unwrap().to_string();
    wa.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    let s = wa.next_event("sync", WAIT).await.unwrap();
    let m = &s["messages"][0];
    assert_eq!(
        (m["messageId"].as_str(), m["recalled"].clone(), m["content"].clone()),
        (Some(hi_id.as_str()), json!(true), json!("")),
        "{s}"
    );
    assert_eq!(bodies(call(LIST, vec![("sender", au.clone())]).await.shiku_ok()), vec!["from c", "there"]);
    let (at, bt) = (format!("user:{}", a.uid), format!("user:{}", b.uid));
    assert_eq!(
        audited(&app, DEL, &[&at, &bt]).await,
        vec![vec![at.clone(), bt.clone(), format!("msg:{hi_id}"), "count:1".into()]]
    );
    // Again: already a tombstone, nothing to do.
    let r = call(DEL, vec![("sender", au.clone()), ("receiver", bu.clone()), ("messageId", hi_id.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 0, "more": false}));

    // Everything of A: both of A's conversations, not B's with C.
    let r = call(DEL, vec![("receiver", au.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 2, "more": false}));
    assert!(call(LIST, vec![("sender", au.clone())]).await.shiku_ok()["list"].as_array().unwrap().is_empty());
    assert_eq!(bodies(call(LIST, vec![("sender", bu.clone())]).await.shiku_ok()), vec!["b to c"]);
    assert_eq!(audited(&app, DEL, &[&at, "count:2"]).await.len(), 1);
    let r = call(DEL, vec![("sender", au.clone())]).await;
    assert_eq!(r.shiku_ok(), &json!({"deleted": 0, "more": false}));
    assert_eq!(audited(&app, DEL, &[&at]).await.len(), 2, "no entry when nothing changed");
    for ws in [wa, wb, wc] {
        ws.close().await;
    }
}

/// `more` of a deletion past its per-call limit (the routes use 1000): the service with a
/// small limit, then again until done.
#[tokio::test]
async fn deletion_resumes_past_its_limit() {
    use shared::services::console_logs::{delete, Scope, Window};
    let app = spawn_app().await;
    let http = Http::new(&app);
    let owner = register(&http, &phone(), "secret1", "Owner").await;
    let rid = room(&http, &owner, &[], &[]).await;
    for b in ["1", "2", "3", "4", "5"] {
        send_http(&http, &owner, &rid, b).await;
    }
    let tok = login(&http).await;
    let op = shared::services::operators::session(&app.ctx, Some(tok)).await.unwrap();
    let scope = Scope::Room(rid.clone());
    let route = "/console/groupchat_logs_all/del";
    let mut calls = vec![];
    loop {
        let (n, more) = delete(&app.ctx, &op, route, &scope, Window::default(), None, 2).await.unwrap();
        calls.push((n, more));
        if !more {
            break;
        }
    }
    assert_eq!(calls, vec![(2, true), (2, true), (1, false)]);
    assert_eq!(delete(&app.ctx, &op, route, &scope, Window::default(), None, 2).await.unwrap(), (0, false));
    let r = http.shiku("/tigase/shiku_muc_msgs", &[("access_token", &owner.token), ("roomId", &rid)]).await;
    assert!(r.shiku_ok().as_array().unwrap().iter().all(|m| m["body"] == ""), "{}", r.text);
}
