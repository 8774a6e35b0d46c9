//! (b) Fan-out to a big group with every member connected over a real
//! WebSocket: HTTP send → table stream → `delivery` → PostToConnection → last
//! socket, and the DynamoDB calls delivery made (gateway `StreamStats`), plus
//! one direct `delivery` invocation with a per-operation breakdown.

use super::group_send::BigGroup;
use super::{
    counting_ctx, env_usize, message_image, ms, p50_p99, raise_fd_limit, stream_event, wait_stream_idle, Fleet,
};
use e2e::{Http, TestApp};
use serde_json::{json, Value};
use shared::ids::UserId;
use shared::store::Item;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The stream image of a message from its Minxing JSON.
fn image_of(v: &Value) -> Item {
    message_image(
        v["conversation_id"].as_str().unwrap_or_default(),
        v["seq"].as_i64().unwrap_or(0),
        v["id"].as_str().unwrap_or_default(),
        UserId(v["sender_id"].as_i64().unwrap_or(0)),
        v["body"].as_str().unwrap_or_default(),
        v["created_at"].as_i64().unwrap_or(0),
    )
}

pub async fn run(app: &TestApp, g: &BigGroup) -> String {
    let nofile = raise_fd_limit();
    let n = g.users.len();
    let rounds = env_usize("BENCH_FANOUT_ROUNDS", 5).max(1);
    let par = env_usize("BENCH_CONNECT_PAR", 32).max(1);
    let http = Http::new(app);
    let t = Instant::now();
    let tokens: Vec<String> = g.users.iter().map(|u| u.1.clone()).collect();
    let mut fleet = Fleet::connect(app, &tokens, par).await;
    let connect_s = t.elapsed().as_secs_f64();
    eprintln!("    {n} sockets connected in {connect_s:.1} s");

    // Warm-up: the room's first delivery reaches everyone through presence and starts the job
    // that stamps its members (store/live.rs); the rounds measure the steady state after it.
    let r = http
        .json(
            "POST",
            &format!("/api/v1/conversations2/{}/messages", g.group),
            Some(g.owner_token()),
            json!({"body": "warm-up"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let warm_t = Instant::now();
    while !(wait_stream_idle(app).await && wait_stream_idle(app).await) && warm_t.elapsed() < Duration::from_secs(300) {
    }
    fleet.drain();

    let mut last = vec![];
    let mut first = vec![];
    let mut calls = std::collections::BTreeSet::new();
    let (mut missing, mut duplicates) = (0, 0);
    let mut last_msg = None;
    for i in 0..rounds {
        wait_stream_idle(app).await;
        let before = app.stream_stats();
        let t0 = Instant::now();
        let r = http
            .json(
                "POST",
                &format!("/api/v1/conversations2/{}/messages", g.group),
                Some(g.owner_token()),
                json!({"body": format!("fanout {i}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let mid = r.body["id"].as_str().expect("message id").to_string();
        let got = fleet.collect(n, Duration::from_secs(60), |f| f["event"] == "message" && f["messageId"] == mid).await;
        let distinct: std::collections::HashSet<usize> = got.iter().map(|a| a.socket).collect();
        missing += n - distinct.len();
        duplicates += got.len() - distinct.len();
        if let (Some(a), Some(z)) = (got.first(), got.last()) {
            first.push(ms(a.at - t0));
            last.push(ms(z.at - t0));
        }
        app.wait_for_stream(Duration::from_secs(10), |s| s.batches > before.batches).await;
        let after = app.stream_stats();
        if after.batches == before.batches + 1 {
            calls.insert(after.last_batch_ddb_calls);
        } else {
            // Several batches (or none yet) for one message: report the total.
            calls.insert(after.ddb_calls - before.ddb_calls);
        }
        last_msg = Some((mid.clone(), image_of(&r.body)));
    }

    // The same message once more, through `delivery` directly, with the calls per operation.
    let (cctx, counter) = counting_ctx(app);
    let (mid, image) = last_msg.expect("a message");
    fleet.drain();
    let ev = stream_event(&[image]);
    counter.take();
    let t0 = Instant::now();
    let (res, direct_calls) = shared::metrics::count_ddb_calls(local_gateway::functions::delivery(&cctx, ev)).await;
    let handler_ms = ms(t0.elapsed());
    res.expect("delivery");
    let ops = counter.take();
    let got = fleet.collect(n, Duration::from_secs(60), |f| f["event"] == "message" && f["messageId"] == mid).await;
    let direct_last = got.last().map(|a| ms(a.at - t0)).unwrap_or(f64::NAN);
    let direct_missing = n - got.len();
    fleet.close().await;

    let (l50, l99) = p50_p99(last.clone());
    let (f50, _) = p50_p99(first);
    let lmax = last.iter().cloned().fold(0.0, f64::max);
    let calls_s = calls.iter().map(u64::to_string).collect::<Vec<_>>().join("/");
    let max_calls = calls.iter().max().copied().unwrap_or(0);
    let mut out = String::new();
    writeln!(out, "\n## (b) Fan-out to a {n}-member group, every member on a real WebSocket\n").unwrap();
    writeln!(
        out,
        "{n} sockets on loopback (open-files limit {nofile}), connected {par} at a time in {connect_s:.1} s. \
         {rounds} sequential sends through the HTTP API; each is delivered by the gateway's stream poller \
         (GetRecords every 50 ms) → `delivery` → PostToConnection.\n"
    )
    .unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(out, "| send → first socket (p50) | {f50:.0} ms |").unwrap();
    writeln!(out, "| send → last of {n} sockets (p50 / p99 / max of {rounds}) | {l50:.0} / {l99:.0} / {lmax:.0} ms |")
        .unwrap();
    writeln!(out, "| sockets missing a frame / duplicate frames | {missing} / {duplicates} |").unwrap();
    writeln!(out, "| DynamoDB calls per delivery batch (gateway `StreamStats`) | {calls_s} |").unwrap();
    writeln!(out, "| direct `delivery` run (one record): DynamoDB calls | {direct_calls} ({}) |", ops.breakdown())
        .unwrap();
    writeln!(
        out,
        "| direct `delivery` run: handler time / start → last socket | {handler_ms:.0} / {direct_last:.0} ms ({direct_missing} missing) |"
    )
    .unwrap();
    writeln!(
        out,
        "\nGoal ≤ 20 DynamoDB calls besides PostToConnection: **{}** ({max_calls}).",
        if max_calls <= 20 { "met" } else { "missed" }
    )
    .unwrap();
    out
}
