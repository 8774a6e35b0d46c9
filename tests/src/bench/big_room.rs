//! `bigroom` (issue #16; only when asked for): a room of `BENCH_BIGROOM_MEMBERS` (10 000)
//! members with every member online — `BENCH_BIGROOM_SOCKETS` (1000) on real WebSockets, the
//! others on virtual connections of the gateway (`TestApp::attach_virtual`: `@connections`
//! answers their posts as for a socket and hands the frames to the bench; one process cannot
//! hold both ends of 10 000 sockets under this machine's 20 000 open files). The room fans out
//! in parts (services::fanout, 1000 members each). Measured: send latency to the room vs a
//! 1:1 chat (alternating, HTTP, `x-ddb-calls`), time from the send to the last of the members'
//! frames, every connection hearing each message exactly once, the delivery function's calls
//! per message, and the read units of one message's member reads (the coordinator's Query and
//! the parts' range Queries, through a counting client).

use super::{bench_users, counting_ctx, env_usize, ms, p50_p99, raise_fd_limit, wait_stream_idle, Fleet};
use e2e::{Http, TestApp};
use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::ids::UserId;
use shared::store::{connections, conversations as convs, fanout, live};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// One Minxing send: (latency ms, DynamoDB calls).
async fn send(http: &Http, token: &str, cid: &str, body: &str) -> (f64, u32) {
    let t = Instant::now();
    let r =
        http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(token), json!({"body": body})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    (ms(t.elapsed()), r.ddb_calls())
}

/// Members of `cid` whose item is stamped (carries their connections).
async fn stamped(app: &TestApp, cid: &str) -> usize {
    live::members(&app.ctx.db, cid).await.map(|m| m.iter().filter(|m| m.stamped_at.is_some()).count()).unwrap_or(0)
}

/// Frames of every connection (real and virtual) as (connection index, arrival, frame).
type Arrivals = mpsc::UnboundedReceiver<(usize, Instant, Value)>;

/// Wait for `body`'s message frame on `n` distinct connections (or `timeout`): (time of the
/// last arrival, distinct connections, frames received in all).
async fn hear(rx: &mut Arrivals, body: &str, n: usize, timeout: Duration) -> (Option<Instant>, usize, usize) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seen = HashSet::new();
    let (mut frames, mut last) = (0, None);
    while seen.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((i, at, f))) if f["event"] == "message" && f["content"] == body => {
                frames += 1;
                seen.insert(i);
                last = Some(at);
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    // Duplicates arrive right behind: count what comes within a second more.
    let quiet = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some((_, _, f))) = tokio::time::timeout_at(quiet, rx.recv()).await {
        if f["event"] == "message" && f["content"] == body {
            frames += 1;
        }
    }
    (last, seen.len(), frames)
}

pub async fn run(app: &TestApp) -> String {
    let n = env_usize("BENCH_BIGROOM_MEMBERS", 10_000).max(10);
    let real = env_usize("BENCH_BIGROOM_SOCKETS", 1000).clamp(1, n);
    let samples = env_usize("BENCH_BIGROOM_SENDS", 10).max(1);
    let nofile = raise_fd_limit();
    let http = Http::new(app);
    let mut out = String::new();
    let build = if cfg!(debug_assertions) { "debug (unoptimized)" } else { "optimized (profile perf)" };
    writeln!(out, "\n## bigroom: a {n}-member room, every member online (issue #16)\n").unwrap();
    writeln!(
        out,
        "Build: {build}. Open-file limit {nofile}. {real} members on real WebSockets, {} on virtual connections \
         of the local gateway (its `@connections` answers their posts as for a socket and hands the frames to the \
         bench: a socket's both ends for all {n} would exceed the open-file limit). Parts of {} members \
         (services::fanout).\n",
        n - real,
        app.ctx.settings.fanout_chunk
    )
    .unwrap();

    // ---- set-up: users, the room, a 1:1 chat of its owner, connections
    let t = Instant::now();
    let users = bench_users(&app.ctx, n, 32).await;
    let uids: Vec<UserId> = users.iter().map(|u| u.0).collect();
    let owner = uids[0];
    let first: Vec<UserId> = uids[1..].iter().copied().take(shared::store::groups::MAX_IN_CREATION).collect();
    let db = &app.ctx.db;
    let room = shared::store::groups::create_group(db, app.ctx.now_ms(), owner, "all hands", &first).await.unwrap().id;
    let rest: Vec<UserId> = uids[1 + first.len()..].to_vec();
    for chunk in rest.chunks(1000) {
        shared::store::invites::add_members_within(db, app.ctx.now_ms(), &room, chunk, "member", n as i64 + 10, None)
            .await
            .expect("add members");
    }
    let single = convs::ensure_single(db, app.ctx.now_ms(), owner, uids[1]).await.expect("1:1").0.id;
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Instant, Value)>();
    let tokens: Vec<String> = users[..real].iter().map(|u| u.1.clone()).collect();
    let mut fleet = Fleet::connect(app, &tokens, 32).await;
    let fwd = tx.clone();
    let mut fleet_frames = std::mem::replace(&mut fleet.rx, mpsc::unbounded_channel().1);
    tokio::spawn(async move {
        while let Some(a) = fleet_frames.recv().await {
            if fwd.send((a.socket, a.at, a.frame)).is_err() {
                break;
            }
        }
    });
    let virtuals: Vec<(usize, UserId)> = (real..n).map(|i| (i, uids[i])).collect();
    futures_util::stream::iter(virtuals)
        .for_each_concurrent(32, |(i, uid)| {
            let tx = tx.clone();
            async move {
                let id = format!("virtual{i:07}AAAA=");
                let mut frames = app.attach_virtual(&id);
                connections::connect(&app.ctx.db, app.ctx.now_secs(), &id, uid).await.expect("virtual connect");
                tokio::spawn(async move {
                    while let Some(text) = frames.recv().await {
                        let f = serde_json::from_str(&text).unwrap_or(json!({ "raw": text }));
                        if tx.send((i, Instant::now(), f)).is_err() {
                            break;
                        }
                    }
                });
            }
        })
        .await;
    drop(tx);
    let setup_s = t.elapsed().as_secs_f64();
    eprintln!("    {n} members ({real} sockets) in {setup_s:.0} s");

    // ---- warm-up: the first message starts the room's stamping job; wait for every stamp
    let t = Instant::now();
    let token = users[0].1.clone();
    send(&http, &token, &single, "warm up").await;
    send(&http, &token, &room, "warm up").await;
    let (_, warm_heard, _) = hear(&mut rx, "warm up", n, Duration::from_secs(120)).await;
    let mut stamps = 0;
    while t.elapsed() < Duration::from_secs(300) {
        stamps = stamped(app, &room).await;
        if stamps >= n {
            break;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    // Past RECENT_STAMP_MS, so fan-out reads no presence for just-stamped members.
    tokio::time::sleep(Duration::from_millis(shared::domain::chat::RECENT_STAMP_MS as u64)).await;
    wait_stream_idle(app).await;
    while rx.try_recv().is_ok() {}
    let warm_s = t.elapsed().as_secs_f64();
    eprintln!("    warm-up heard by {warm_heard}, {stamps} stamped in {warm_s:.0} s");

    // ---- sends: 1:1 and room alternating; each room message heard by every connection
    let (mut l_room, mut l_single, mut last_ms) = (vec![], vec![], vec![]);
    let (mut c_room, mut c_single) = (0, 0);
    let (mut heard_all, mut dupes) = (0, 0);
    let before = app.stream_stats();
    for i in 0..samples {
        let (t1, c1) = send(&http, &token, &single, &format!("one to one {i}")).await;
        l_single.push(t1);
        c_single = c_single.max(c1);
        let body = format!("to everyone {i}");
        let t0 = Instant::now();
        let (t2, c2) = send(&http, &token, &room, &body).await;
        l_room.push(t2);
        c_room = c_room.max(c2);
        let (last, heard, frames) = hear(&mut rx, &body, n, Duration::from_secs(60)).await;
        last_ms.push(last.map_or(f64::NAN, |l| ms(l.duration_since(t0))));
        heard_all += usize::from(heard == n);
        dupes += frames.saturating_sub(heard);
        eprintln!("    message {i}: {heard} of {n} after {:.0} ms", last_ms[i]);
        wait_stream_idle(app).await;
    }
    let after = app.stream_stats();
    let delivery_calls = (after.ddb_calls - before.ddb_calls) as f64 / samples as f64;

    // ---- read units of one message's member reads, through a counting client
    let (cctx, counter) = counting_ctx(app);
    let members = live::members(&cctx.db, &room).await.expect("members");
    let coordinator = counter.take();
    let ranges = fanout::bounds(&members, app.ctx.settings.fanout_chunk.max(1));
    for (k, (from, to)) in ranges.iter().enumerate() {
        let part = shared::domain::chat::FanChunk {
            cid: room.clone(),
            seq: 1,
            part: k as u32,
            from: from.clone(),
            to: to.clone(),
        };
        fanout::members(&cctx.db, &part).await.expect("range");
    }
    let parts = counter.take();

    let (r50, r99) = p50_p99(l_room);
    let (s50, s99) = p50_p99(l_single);
    let (d50, dmax) = (p50_p99(last_ms.clone()).0, last_ms.iter().cloned().fold(0.0, f64::max));
    writeln!(out, "Set-up {setup_s:.0} s; warm-up (stamping {stamps} member items) {warm_s:.0} s.\n").unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(out, "| 1:1 send p50 / p99 ({samples} sends) | {s50:.1} / {s99:.1} ms, {c_single} calls |").unwrap();
    writeln!(out, "| room send p50 / p99 | {r50:.1} / {r99:.1} ms, {c_room} calls |").unwrap();
    writeln!(
        out,
        "| room / 1:1 p50 (goal ≤ 1.2×) | {:.2}× ({}) |",
        r50 / s50,
        if r50 / s50 <= 1.2 { "met" } else { "missed" }
    )
    .unwrap();
    writeln!(
        out,
        "| send → last of {n} frames, p50 / max (goal ≤ 3 s on the local stack) | {d50:.0} / {dmax:.0} ms ({}) |",
        if dmax <= 3000.0 { "met" } else { "missed" }
    )
    .unwrap();
    writeln!(out, "| messages heard by every connection | {heard_all} of {samples} |").unwrap();
    writeln!(out, "| duplicate frames | {dupes} |").unwrap();
    writeln!(out, "| delivery calls per message (coordinator + {} parts) | {delivery_calls:.1} |", ranges.len())
        .unwrap();
    writeln!(
        out,
        "| member reads per message: coordinator Query | {} calls, {:.1} RCU |",
        coordinator.breakdown(),
        coordinator.rcu
    )
    .unwrap();
    writeln!(
        out,
        "| member reads per message: the parts' range Queries | {}, {:.1} RCU |",
        parts.breakdown(),
        parts.rcu
    )
    .unwrap();
    fleet.close().await;
    out
}
