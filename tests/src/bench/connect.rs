//! `connect` (issue #16; only when asked for): what `$connect` and `$disconnect` cost for a
//! user in N small groups (BENCH_CONNECT_GROUPS, default 10,100,1000,2000). Before #16 a
//! connection id was written onto the user's member item of every group (4 + N calls); now
//! only onto stamped members of rooms over 100 members (store/live.rs), so N small groups cost
//! nothing per group.
//!
//! Per N: the service call (services::presence) through a counting DynamoDB client — calls
//! per operation, write calls (UpdateItem, PutItem, TransactWriteItems; before #16 one UpdateItem per group, one WCU each), wall time — and,
//! over a real WebSocket, connect start → the first frame the user can receive (a `pong`).

use super::{bench_users, counting_ctx, env_usize, ms};
use e2e::{TestApp, Ws};
use futures_util::StreamExt;
use serde_json::json;
use shared::ids::UserId;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn sizes() -> Vec<usize> {
    std::env::var("BENCH_CONNECT_GROUPS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![10, 100, 1000, 2000])
}

/// `n` two-member groups owned by `owner` with `member` in each.
async fn groups(app: &TestApp, owner: UserId, member: UserId, n: usize) {
    let par = env_usize("BENCH_CONNECT_PAR", 16).max(1);
    futures_util::stream::iter(0..n)
        .map(|_| async move { super::bench_group(&app.ctx, owner, &[member]).await })
        .buffer_unordered(par)
        .collect::<Vec<_>>()
        .await;
}

pub async fn run(app: &TestApp) -> String {
    let mut out = String::new();
    writeln!(out, "\n## connect: `$connect` / `$disconnect` of a user in N two-member groups (issue #16)\n").unwrap();
    writeln!(
        out,
        "| groups | $connect calls | $connect write calls | $connect ms | socket → first frame ms | $disconnect calls | $disconnect ms |"
    )
    .unwrap();
    writeln!(out, "|---|---|---|---|---|---|---|").unwrap();
    for n in sizes() {
        // A fresh owner each time: one user is in at most 2000 groups.
        let mut two = bench_users(&app.ctx, 2, 2).await;
        let (owner, (uid, token)) = (two[0].0, two.remove(1));
        let t = Instant::now();
        groups(app, owner, uid, n).await;
        eprintln!("    {n} groups made in {:.0} s", t.elapsed().as_secs_f64());

        let (ctx, counter) = counting_ctx(app);
        counter.take();
        let conn = format!("bench-conn-{n}");
        let t = Instant::now();
        shared::services::presence::connect(&ctx, &conn, &token).await.expect("connect");
        let connect_ms = ms(t.elapsed());
        let c = counter.take();
        let t = Instant::now();
        shared::services::presence::disconnect(&ctx, &conn).await.expect("disconnect");
        let disconnect_ms = ms(t.elapsed());
        let d = counter.take();

        // A real socket: the handshake waits for `$connect`, then a ping's pong.
        let t = Instant::now();
        let mut ws = Ws::connect(app, &token).await.expect("ws connect");
        ws.send(json!({"action": "ping"})).await;
        let pong = ws.next_event("pong", Duration::from_secs(120)).await;
        let first_frame_ms = ms(t.elapsed());
        assert!(pong.is_some(), "no pong after connecting with {n} groups");
        ws.close().await;

        let total = |s: &super::OpStats| s.calls.values().sum::<u32>();
        writeln!(
            out,
            "| {n} | {} ({}) | {} | {connect_ms:.0} | {first_frame_ms:.0} | {} ({}) | {disconnect_ms:.0} |",
            total(&c),
            c.breakdown(),
            c.get("UpdateItem") + c.get("PutItem") + c.get("TransactWriteItems"),
            total(&d),
            d.breakdown(),
        )
        .unwrap();
    }
    writeln!(
        out,
        "\nThe groups are two-member groups made straight in the table. Reading: `$connect` writes the \
         connection (one TransactWriteItems) and queries the user's stamped large-room memberships (GSI2 \
         `UCONVL#`), then one UpdateItem per large room (none here); `$disconnect` the same in reverse. \
         Before #16 it was one GSI1 Query of every membership plus one UpdateItem per group (4 + N calls: \
         2004 for N = 2000, 7.3 s to the first frame, bench-results/connect-before-2026-11-29.md)."
    )
    .unwrap();
    out
}
