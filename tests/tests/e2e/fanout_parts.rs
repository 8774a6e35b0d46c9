//! Chunked fan-out (issue #16, services::fanout, store/fanout.rs): a room with more members
//! than the chunk size fans each message out in parts, one stream record per member range,
//! delivered in parallel. The gateway here runs with parts of 4 members, so a 13-member room
//! is 4 parts and every rule is exercised with a handful of sockets.

use e2e::*;
use shared::store::keys::{fanout_pk, msg_sk};
use std::collections::HashMap;

const CHUNK: usize = 4;

async fn app() -> TestApp {
    spawn_app_with(AppOptions { fanout_chunk: Some(CHUNK), ..Default::default() }).await
}

/// Message frames of `cid` a socket receives until it stays quiet: their contents in order.
async fn contents(ws: &mut Ws, cid: &str, expect: usize) -> Vec<String> {
    let mut got = vec![];
    while got.len() < expect {
        match ws.next_event("message", WAIT).await {
            Some(f) if f["conversationId"] == cid => got.push(f["content"].as_str().unwrap_or("").to_string()),
            Some(_) => {}
            None => break,
        }
    }
    // None twice: nothing more comes after the expected ones.
    while let Some(f) = ws.next_event("message", QUIET).await {
        if f["conversationId"] == cid {
            got.push(f["content"].as_str().unwrap_or("").to_string());
        }
    }
    got
}

#[tokio::test]
async fn every_member_hears_each_message_once_in_order_through_parts() {
    let app = app().await;
    let http = Http::new(&app);
    let people = people(&http, 13).await;
    let (a, rest) = people.split_first().unwrap();
    let others: Vec<&Person> = rest.iter().collect();
    let cid = group(&http, a, &others, "parts").await;
    // Everyone online but the last member (their offline push comes from their part).
    let (offline, online) = others.split_last().unwrap();
    let mut sockets = vec![];
    for p in online {
        sockets.push(Ws::connect(&app, &p.token).await.unwrap());
    }
    let sent: Vec<String> = (0..3).map(|i| format!("part message {i}")).collect();
    let mut seqs = vec![];
    for body in &sent {
        seqs.push(send_http(&http, a, &cid, body).await["seq"].as_i64().expect("seq"));
    }
    for ws in sockets.iter_mut() {
        assert_eq!(contents(ws, &cid, sent.len()).await, sent, "each once, in order");
    }
    // It went through parts: ⌈13 / 4⌉ part items per message.
    let parts = 13_usize.div_ceil(CHUNK) as u32;
    for seq in &seqs {
        for k in 0..parts {
            let it = app.ctx.db.get(fanout_pk(&cid, k), msg_sk(*seq)).await.unwrap();
            assert!(it.is_some(), "part {k} of seq {seq}");
        }
        assert!(app.ctx.db.get(fanout_pk(&cid, parts), msg_sk(*seq)).await.unwrap().is_none(), "no extra part");
    }
    // The offline member's push jobs: one per message, from its own part.
    let jobs = wait_jobs(&app, offline.uid, sent.len()).await;
    let mut per_seq: HashMap<i64, usize> = HashMap::new();
    for j in jobs.iter().filter(|j| j.conversation_id.as_deref() == Some(cid.as_str())) {
        *per_seq.entry(j.seq.unwrap_or(0)).or_default() += 1;
    }
    assert_eq!(per_seq.len(), sent.len(), "{jobs:?}");
    assert!(per_seq.values().all(|n| *n == 1), "one push job per message: {per_seq:?}");
    // Online members got no push.
    for p in online {
        assert!(jobs_of(&app, p.uid, &cid).await == 0, "no push for online {}", p.uid);
    }
    for ws in sockets {
        ws.close().await;
    }
}

async fn jobs_of(app: &TestApp, uid: i64, cid: &str) -> usize {
    jobs(app, uid).await.iter().filter(|j| j.conversation_id.as_deref() == Some(cid)).count()
}

/// Members who join a chunked room (their member items sort anywhere among the others) hear
/// its next message; a recall reaches every member.
#[tokio::test]
async fn joiners_and_recalls_in_a_chunked_room() {
    let app = app().await;
    let http = Http::new(&app);
    let people = people(&http, 12).await;
    let (a, rest) = people.split_first().unwrap();
    let (first, later) = rest.split_at(6);
    let firsts: Vec<&Person> = first.iter().collect();
    let cid = group(&http, a, &firsts, "growing").await;
    let ids: Vec<i64> = later.iter().map(|p| p.uid).collect();
    let r = http
        .json(
            "POST",
            &format!("/api/v1/conversations/{cid}/users"),
            Some(&a.token),
            serde_json::json!({"user_ids": ids}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut sockets = vec![];
    for p in rest {
        sockets.push((p.uid, Ws::connect(&app, &p.token).await.unwrap()));
    }
    let m = send_http(&http, a, &cid, "after the joins").await;
    for (uid, ws) in sockets.iter_mut() {
        assert_eq!(contents(ws, &cid, 1).await, ["after the joins"], "member {uid}");
    }
    // A recall of it (no part: posted by the delivery that reads it) reaches every member.
    let mut wa = Ws::connect(&app, &a.token).await.unwrap();
    wa.send(serde_json::json!({"action": "recall", "conversationId": cid, "seq": m["seq"]})).await;
    for (uid, ws) in sockets.iter_mut() {
        let f = ws.next_event("recall", WAIT).await.unwrap_or_else(|| panic!("recall to {uid}"));
        assert_eq!(f["seq"], m["seq"]);
    }
    wa.close().await;
    for (_, ws) in sockets {
        ws.close().await;
    }
}
