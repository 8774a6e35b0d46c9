//! Issue 9 hardening of the realtime path: stream delivery that survives a bad record
//! (partial batch response, bisect, retry cap, dead letters), WebSocket `sync` pages under
//! API Gateway's 128 KB message limit, and per-connection throttling of `typing`/`read`.

use e2e::*;
use serde_json::{json, Value};
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(1500);

/// Two people with sockets and a 1:1 chat whose first message reached B (so the stream runs).
async fn chat(app: &TestApp) -> (Person, Person, Ws, Ws, String) {
    let http = Http::new(app);
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let mut wa = Ws::connect(app, &a.token).await.unwrap();
    let mut wb = Ws::connect(app, &b.token).await.unwrap();
    wa.send(json!({"action": "send", "to": b.uid, "content": "m0", "messageId": "m-0"})).await;
    let cid = ack(&mut wa).await["conversationId"].as_str().unwrap().to_string();
    assert_eq!(wb.next_event("message", WAIT).await.expect("m0 delivered")["content"], "m0");
    (a, b, wa, wb, cid)
}

/// Message contents `ws` receives until nothing comes for QUIET, in arrival order.
async fn received(ws: &mut Ws) -> Vec<String> {
    let mut got = vec![];
    while let Some(f) = ws.next(QUIET).await {
        if f["event"] == "message" {
            got.push(f["content"].as_str().unwrap_or_default().to_string());
        }
    }
    got
}

fn content_is(r: &Value, text: &str) -> bool {
    r["dynamodb"]["NewImage"]["content"]["S"] == text
}

/// m1..m5 written while the stream is paused, so they reach `delivery` as one batch.
async fn send_batch(app: &TestApp, wa: &mut Ws, cid: &str) {
    app.pause_stream();
    for i in 1..=5 {
        wa.send(
            json!({"action": "send", "conversationId": cid, "content": format!("m{i}"), "messageId": format!("m-{i}")}),
        )
        .await;
        assert_eq!(ack(wa).await["action"], "send");
    }
    app.resume_stream();
}

#[tokio::test]
async fn a_failing_record_is_retried_alone_and_later_records_are_delivered_once() {
    let app = spawn_app().await;
    let (_a, _b, mut wa, mut wb, cid) = chat(&app).await;
    // m3's delivery fails twice: the first answer names m3 (m1, m2 done), the retry from m3
    // fails on its first record again, so the batch is split and m3 retried on its own.
    app.fail_delivery(2, |r| content_is(r, "m3"));
    send_batch(&app, &mut wa, &cid).await;
    let got = received(&mut wb).await;
    assert_eq!(got, ["m1", "m2", "m3", "m4", "m5"], "each message once, in order");
    let stats = app.stream_stats();
    assert_eq!(stats.failed_batches, 0, "{stats:?}");
    // Resumed from m3 after the partial answer, then split when m3 (now first) failed again.
    assert!(stats.item_failures >= 1 && stats.bisections >= 1, "{stats:?}");
    assert!(app.stream_dead_letters().is_empty());
}

#[tokio::test]
async fn a_record_that_keeps_failing_is_given_up_and_recorded_and_later_records_still_arrive() {
    let app = spawn_app().await;
    let (_a, b, mut wa, mut wb, cid) = chat(&app).await;
    app.fail_delivery(u32::MAX, |r| content_is(r, "m3"));
    send_batch(&app, &mut wa, &cid).await;
    assert!(
        app.wait_for_stream(Duration::from_secs(30), |s| s.failed_batches > 0).await,
        "the bad record is given up after the retry cap"
    );
    let got = received(&mut wb).await;
    assert_eq!(got, ["m1", "m2", "m4", "m5"], "nothing twice, nothing after m3 lost");
    let dead = app.stream_dead_letters();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].condition, "RetryAttemptsExhausted");
    assert_eq!(dead[0].records.len(), 1, "only m3 is given up: {dead:?}");
    assert!(content_is(&dead[0].records[0], "m3"));
    assert_eq!(dead[0].start_sequence_number, dead[0].end_sequence_number);
    // Not pushed, but stored: sync still has it.
    wb.send(json!({"action": "sync", "conversationId": cid, "seq": 0})).await;
    let page = wb.next_event("sync", WAIT).await.unwrap();
    let texts: Vec<&str> = page["messages"].as_array().unwrap().iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(texts, ["m0", "m1", "m2", "m3", "m4", "m5"], "uid {}", b.uid);
}

/// API Gateway's limit for one WebSocket message (the gateway's PostToConnection answers 413).
const WS_MESSAGE_CAP: usize = 128 * 1024;

/// Every page of `cid` from seq 0 following `nextSeq` (single or multi form), with each frame's size.
async fn sync_all(ws: &mut Ws, cid: &str, many: bool) -> (Vec<i64>, Vec<usize>, usize) {
    let (mut seqs, mut sizes, mut pages, mut after) = (vec![], vec![], 0, 0);
    loop {
        let req = if many {
            json!({"action": "sync", "conversations": {cid: after}})
        } else {
            json!({"action": "sync", "conversationId": cid, "seq": after})
        };
        ws.send(req).await;
        let page = ws.next_event("sync", WAIT).await.expect("a sync frame (none: it was too large to post)");
        pages += 1;
        sizes.push(page.to_string().len());
        for m in page["messages"].as_array().unwrap() {
            seqs.push(m["seq"].as_i64().unwrap());
        }
        if page["hasMore"] != true {
            return (seqs, sizes, pages);
        }
        let next = page["nextSeq"].as_i64().unwrap();
        assert!(next > after, "the cursor moves: {page}");
        after = next;
        assert!(pages < 50, "sync does not end");
    }
}

#[tokio::test]
async fn sync_pages_stay_under_the_websocket_message_limit() {
    let app = spawn_app().await;
    let (_a, _b, mut wa, mut wb, cid) = chat(&app).await;
    // 40 messages of 8 KB: one page of 100 would be ~330 KB.
    let body = "x".repeat(8 * 1024);
    for i in 1..=40 {
        wa.send(json!({"action": "send", "conversationId": cid, "content": format!("{i}:{body}"), "messageId": format!("big-{i}")}))
            .await;
        assert_eq!(ack(&mut wa).await["action"], "send");
    }
    let want: Vec<i64> = (1..=41).collect();
    for many in [false, true] {
        let (seqs, sizes, pages) = sync_all(&mut wb, &cid, many).await;
        assert_eq!(seqs, want, "every message exactly once, in order (multi form: {many})");
        assert!(pages >= 3, "split into pages: {sizes:?}");
        assert!(sizes.iter().all(|s| *s < WS_MESSAGE_CAP), "{sizes:?}");
    }
}

#[tokio::test]
async fn a_message_too_large_for_one_websocket_message_is_marked_not_dropped() {
    let app = spawn_app().await;
    let http = Http::new(&app);
    let (a, _b, _wa, mut wb, cid) = chat(&app).await;
    // 30 000 control characters are 30 KB stored but 180 KB once JSON-escaped in a frame.
    let body: String = "\u{1}".repeat(30_000);
    let r = http
        .json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&a.token), json!({"body": body}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let live = wb.next_event("message", WAIT).await.expect("the live frame comes, marked");
    assert_eq!(live["tooLarge"], true, "{live}");
    assert_eq!(live["seq"], 2);
    let (seqs, sizes, _) = sync_all(&mut wb, &cid, false).await;
    assert_eq!(seqs, [1, 2]);
    assert!(sizes.iter().all(|s| *s < WS_MESSAGE_CAP), "{sizes:?}");
}

/// Limits are per fixed 10 s window: start a burst early in one so it cannot straddle two.
async fn early_in_a_window() {
    let into = now_ms() % 10_000;
    if into > 1_000 {
        tokio::time::sleep(Duration::from_millis((10_000 - into + 100) as u64)).await;
    }
}

fn now_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
}

/// The 10 s throttle window (presence::FRAME_WINDOW_SECS) of a moment.
fn window_of(ms: u128) -> u128 {
    ms / 10_000
}

#[tokio::test]
async fn typing_and_read_frames_are_throttled_per_connection() {
    let app = spawn_app().await;
    let (_a, _b, mut wa, mut wb, cid) = chat(&app).await;
    early_in_a_window().await;
    let w0 = window_of(now_ms());
    for _ in 0..12 {
        wa.send(json!({"action": "typing", "conversationId": cid})).await;
    }
    // Wait for the expected frames (a loaded machine answers late), then for any extra.
    let (mut refused, mut last) = (0, w0);
    while let Some(f) = wa.next(if refused < 7 { WAIT } else { QUIET }).await {
        if f["event"] == "error" {
            assert_eq!(f["code"], 429, "{f}");
            assert_eq!(f["action"], "typing", "{f}");
            refused += 1;
            last = window_of(now_ms());
        }
    }
    let mut typing = 0;
    while let Some(f) = wb.next(if typing < 12 - refused { WAIT } else { QUIET }).await {
        typing += usize::from(f["event"] == "typing");
    }
    assert_eq!(typing, 12 - refused, "the peer hears exactly the allowed ones");
    if last == w0 {
        assert_eq!(refused, 7, "5 typing frames per 10 s, the excess refused");
    } else {
        // A loaded machine spread the 12 frames over two windows: 5 allowed in each at most.
        assert!(refused >= 2, "at most 5 a window: {refused} refused");
    }

    // Another connection of the same user has its own budget; `read` has a larger one.
    let mut wb2 = Ws::connect(&app, &_b.token).await.unwrap();
    early_in_a_window().await;
    let w0 = window_of(now_ms());
    for _ in 0..25 {
        wb2.send(json!({"action": "read", "conversationId": cid, "seq": 1})).await;
    }
    let (mut acks, mut limited, mut last) = (0, 0, w0);
    while let Some(f) = wb2.next(if acks + limited < 25 { WAIT } else { QUIET }).await {
        match f["event"].as_str() {
            Some("ack") => acks += 1,
            Some("error") if f["code"] == 429 => limited += 1,
            _ => continue,
        }
        last = window_of(now_ms());
    }
    assert_eq!(acks + limited, 25, "every read frame is answered");
    // Spread over two windows by a loaded machine, the split cannot be told; within one it is exact.
    if last == w0 {
        assert_eq!((acks, limited), (20, 5));
    }
}
