//! Reliability under concurrency, bounded and on loopback: concurrent senders in
//! one group (nothing lost or duplicated, dense seq, identical history for every
//! member, every live socket gets every message) and concurrent identical resends.

use e2e::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

const TASKS: usize = 8;
const PER_TASK: usize = 25;

/// Message frames of `cid` on one socket until `want` distinct seqs arrived (or `wait` passed):
/// seq → every messageId received for it (delivery is at-least-once, so a seq may repeat).
async fn collect_frames(mut ws: Ws, cid: String, want: usize, wait: Duration) -> BTreeMap<i64, Vec<String>> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut got: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    while got.len() < want {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(f) = ws.next_event("message", left).await else { break };
        if f["conversationId"] == cid.as_str() {
            got.entry(f["seq"].as_i64().unwrap()).or_default().push(f["messageId"].as_str().unwrap().to_string());
        }
    }
    // Anything still in flight (a duplicate) within a short grace period.
    while let Some(f) = ws.next_event("message", Duration::from_millis(300)).await {
        if f["conversationId"] == cid.as_str() {
            got.entry(f["seq"].as_i64().unwrap()).or_default().push(f["messageId"].as_str().unwrap().to_string());
        }
    }
    ws.close().await;
    got
}

#[tokio::test]
async fn concurrent_senders_lose_nothing_and_agree_on_order() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let mut people = vec![];
    for i in 0..4 {
        people.push(register(&http, &phone(), "secret1", &format!("s{i}")).await);
    }
    let others: Vec<i64> = people[1..].iter().map(|p| p.uid).collect();
    let r = http
        .json("POST", "/api/v1/conversations2", Some(&people[0].token), json!({"user_ids": others, "name": "stress"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();

    // Every member online; the first one on two devices.
    let total = TASKS * PER_TASK;
    let mut sockets = vec![];
    for p in people.iter().chain(std::iter::once(&people[0])) {
        let ws = Ws::connect(&app, &p.token).await.expect("connect");
        // Returns as soon as all frames are in; the long deadline only matters on a loaded
        // machine (a clean-clone CI run once needed more than 40 s for the last batch).
        sockets.push(tokio::spawn(collect_frames(ws, cid.clone(), total, Duration::from_secs(120))));
    }

    // 8 concurrent senders (two per member), 25 messages each, each with its own client id.
    let mut tasks = vec![];
    for t in 0..TASKS {
        let token = people[t % people.len()].token.clone();
        let base = http.base.clone();
        let cid = cid.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answers = vec![];
            for i in 0..PER_TASK {
                let r = client
                    .post(format!("{base}/api/v1/conversations2/{cid}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("t{t} m{i}"), "client_id": format!("c{t}x{i}")}))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status().as_u16(), 201);
                let v: Value = r.json().await.unwrap();
                answers.push((v["seq"].as_i64().unwrap(), v["id"].as_str().unwrap().to_string(), format!("t{t} m{i}")));
            }
            answers
        }));
    }
    let mut sent: Vec<(i64, String, String)> = vec![];
    for t in tasks {
        sent.extend(t.await.unwrap());
    }
    sent.sort();
    let seqs: Vec<i64> = sent.iter().map(|s| s.0).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>(), "seq must be exactly 1..{total}");
    let ids: HashSet<&String> = sent.iter().map(|s| &s.1).collect();
    assert_eq!(ids.len(), total, "message ids must be unique");

    // Every member's history (Minxing detail, oldest first) holds the same messages in seq order.
    for p in &people {
        let r = http.get(&format!("/api/v1/conversations2/{cid}?since_seq=0&limit=200"), Some(&p.token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let got: Vec<(i64, String, String)> = r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["seq"].as_i64().unwrap(),
                    m["id"].as_str().unwrap().to_string(),
                    m["body"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(got, sent, "history of {}", p.uid);
    }
    // Shiku room history (newest first) agrees too.
    let r = http
        .shiku(
            "/tigase/shiku_muc_msgs",
            &[("access_token", &people[2].token), ("roomId", &cid), ("pageSize", "200"), ("pageIndex", "0")],
        )
        .await;
    let shiku: Vec<i64> = r.shiku_ok().as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(shiku, (1..=total as i64).rev().collect::<Vec<_>>());

    // Every live socket got every message; a repeated seq (at-least-once) must be the same message.
    let by_seq: BTreeMap<i64, &String> = sent.iter().map(|s| (s.0, &s.1)).collect();
    for (i, s) in sockets.into_iter().enumerate() {
        let got = s.await.unwrap();
        let missing: Vec<i64> = by_seq.keys().filter(|q| !got.contains_key(q)).copied().collect();
        assert!(
            missing.is_empty(),
            "socket {i} is missing seqs {missing:?}; stream dead letters: {:?}",
            app.stream_dead_letters()
        );
        assert_eq!(got.len(), total, "socket {i} got seqs that were never sent");
        for (seq, mids) in &got {
            assert!(mids.iter().all(|m| m == by_seq[seq]), "socket {i}: seq {seq} arrived as {mids:?}");
        }
    }
    assert_eq!(app.stream_stats().failed_batches, 0);
}

#[tokio::test]
async fn concurrent_identical_resends_store_one_message() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    let wb = Ws::connect(&app, &b.token).await.expect("connect");
    let frames = tokio::spawn(collect_frames(wb, cid.clone(), 1, Duration::from_secs(20)));

    let mut tasks = vec![];
    for _ in 0..10 {
        let (base, token, cid) = (http.base.clone(), a.token.clone(), cid.clone());
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/api/v1/conversations2/{cid}/messages"))
                .bearer_auth(&token)
                .json(&json!({"body": "once", "client_id": "same-client-id-1"}))
                .send()
                .await
                .expect("send");
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            (status, v["id"].as_str().map(str::to_string), v["seq"].as_i64())
        }));
    }
    let mut answers = vec![];
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let first = answers[0].clone();
    assert_eq!(first.0, 201, "{answers:?}");
    assert!(first.1.is_some() && first.2.is_some(), "{answers:?}");
    assert!(answers.iter().all(|x| *x == first), "all answers must name the same message: {answers:?}");

    let r = http.get(&format!("/api/v1/conversations2/{cid}?since_seq=0&limit=50"), Some(&b.token)).await;
    let msgs = r.body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "one stored message: {}", r.text);
    assert_eq!(msgs[0]["id"].as_str(), first.1.as_deref());
    assert_eq!(msgs[0]["seq"].as_i64(), first.2);
    // A later resend: session, membership, the failed claim (carrying the stored seq), the message.
    let r = http
        .json(
            "POST",
            &format!("/api/v1/conversations2/{cid}/messages"),
            Some(&a.token),
            json!({"body": "once", "client_id": "same-client-id-1"}),
        )
        .await;
    assert_eq!((r.body["id"].as_str(), r.body["seq"].as_i64()), (first.1.as_deref(), first.2), "{}", r.text);
    assert_eq!(r.ddb_calls(), 4, "resend cost");
    // The losers took no seq: the next message follows on, and one message counts as unread.
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": "next"}))
        .await;
    assert_eq!(r.body["seq"].as_i64(), first.2.map(|s| s + 1), "no seq gap: {}", r.text);
    let r = http.get("/api/v1/conversations2/from_last_seen", Some(&b.token)).await;
    let conv = r.body["items"].as_array().and_then(|a| a.iter().find(|c| c["id"] == cid.as_str())).cloned();
    assert_eq!(conv.map(|c| c["unread_count"].clone()), Some(json!(2)), "{}", r.text);

    let got = frames.await.unwrap();
    let seq = first.2.unwrap();
    assert_eq!(
        got.get(&seq).map(|ids| ids.iter().all(|m| Some(m.as_str()) == first.1.as_deref())),
        Some(true),
        "{got:?}"
    );
    assert!(got.keys().all(|s| *s == seq || *s == seq + 1), "the peer's socket sees one resent message: {got:?}");
}

/// A stream batch holding many messages of one conversation (out of order): the members and
/// their connections are read once for the batch (one Query, one presence BatchGetItem), and
/// every socket gets every message once, in seq order.
#[tokio::test]
async fn delivery_reads_members_once_per_batch_and_posts_in_seq_order() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let mut people = vec![];
    for i in 0..3 {
        people.push(register(&http, &phone(), "secret1", &format!("d{i}")).await);
    }
    let r = http
        .json(
            "POST",
            "/api/v1/conversations2",
            Some(&people[0].token),
            json!({"user_ids": [people[1].uid, people[2].uid], "name": "batch"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let cid = r.body["id"].as_str().unwrap().to_string();
    let mut sockets = vec![];
    for p in &people {
        sockets.push(Ws::connect(&app, &p.token).await.expect("connect"));
    }
    // Let the group's own stream records (creation) pass before the measured batch.
    app.wait_for_stream(Duration::from_secs(5), |s| s.batches > 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    const N: i64 = 30;
    let records: Vec<Value> = (1..=N)
        .rev()
        .map(|seq| {
            json!({
                "eventID": format!("e{seq}"), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/s",
                "dynamodb": {"Keys": {}, "SequenceNumber": format!("{seq}"), "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES",
                    "NewImage": {
                        "cid": {"S": cid}, "seq": {"N": format!("{}", 1000 + seq)}, "mid": {"S": format!("batch-{seq}")},
                        "sender": {"N": people[0].uid.to_string()}, "type": {"N": "1"}, "content": {"S": format!("b{seq}")},
                        "ts": {"N": "1"}, "ev": {"S": "message"}
                    }}
            })
        })
        .collect();
    let ev = serde_json::from_value(json!({ "Records": records })).unwrap();
    let (res, calls) = shared::metrics::count_ddb_calls(local_gateway::functions::delivery(&app.ctx, ev)).await;
    res.expect("delivery");
    assert_eq!(
        calls, 3,
        "one member Query, one presence BatchGetItem (a room of ≤ 100 members, store/live.rs) and one \
         day-counter UpdateItem (store/stats.rs) for {N} messages of one conversation"
    );

    for (i, mut ws) in sockets.into_iter().enumerate() {
        let mut seqs = vec![];
        while seqs.len() < N as usize {
            let Some(f) = ws.next_event("message", Duration::from_secs(10)).await else { break };
            if f["messageId"].as_str().is_some_and(|m| m.starts_with("batch-")) {
                seqs.push(f["seq"].as_i64().unwrap());
            }
        }
        assert_eq!(seqs, (1001..=1000 + N).collect::<Vec<_>>(), "socket {i}");
        ws.close().await;
    }
}
