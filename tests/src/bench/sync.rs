//! (d) A user offline while `BENCH_SYNC_MISSED` messages (default 1000) arrive
//! connects and syncs with `{"action":"sync","limit":BENCH_SYNC_PAGE}` (default
//! 100) until `hasMore` is false. Each page is one `realtime` invocation wrapped
//! in `count_ddb_calls`, its answer read from the real WebSocket.

use super::{bench_users, counting_ctx, env_usize, ms, Fleet};
use e2e::TestApp;
use serde_json::json;
use shared::store::connections;
use shared::store::conversations::{self as convs, NewMessage};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub async fn run(app: &TestApp) -> String {
    use futures_util::StreamExt;
    let n = env_usize("BENCH_SYNC_MISSED", 1000).max(1);
    let page = env_usize("BENCH_SYNC_PAGE", 100).clamp(1, 200);
    let users = bench_users(&app.ctx, 2, 2).await;
    let (a, b) = (users[0].0, users[1].0);
    let cid = convs::ensure_single(&app.ctx.db, app.ctx.now_ms(), a, b).await.expect("1:1").0.id;
    let t = Instant::now();
    futures_util::stream::iter(0..n)
        .for_each_concurrent(8, |i| {
            let ctx = &app.ctx;
            let cid = &cid;
            async move {
                let m = NewMessage {
                    sender: a,
                    kind: 1,
                    content: format!("missed {i}"),
                    client_id: None,
                    object_name: None,
                };
                shared::services::chat::send_at(&ctx.db, ctx.now_ms(), cid, m, true).await.expect("send");
            }
        })
        .await;
    eprintln!("    {n} missed messages in {:.1} s", t.elapsed().as_secs_f64());

    let mut fleet = Fleet::connect(app, &[users[1].1.clone()], 1).await;
    let conn =
        connections::of_users(&app.ctx.db, &[b]).await.expect("presence").remove(&b).expect("b online")[0].clone();
    let (cctx, counter) = counting_ctx(app);
    counter.take();
    let (mut after, mut pages, mut total_calls, mut received) = (0i64, 0usize, 0u32, 0usize);
    let mut seqs_ok = true;
    let t = Instant::now();
    loop {
        let body = json!({"action": "sync", "conversationId": cid, "seq": after, "limit": page}).to_string();
        let info = local_gateway::apigw::WsConnInfo {
            connection_id: conn.clone(),
            connected_at_ms: cctx.now_ms(),
            source_ip: "127.0.0.1".into(),
            user_agent: None,
            stage: "$default".into(),
            api_id: "bench".into(),
            domain_name: "127.0.0.1".into(),
        };
        let ev = local_gateway::apigw::ws_message_event(&info, "sync", &body, false, "r", "m", cctx.now_ms());
        let ev = serde_json::from_value(ev).expect("websocket event");
        let (_, calls) = shared::metrics::count_ddb_calls(local_gateway::functions::realtime(&cctx, ev)).await;
        total_calls += calls;
        pages += 1;
        let got = fleet.collect(1, Duration::from_secs(10), |f| f["event"] == "sync").await;
        let Some(f) = got.first().map(|a| &a.frame) else { panic!("no sync answer") };
        let msgs = f["messages"].as_array().cloned().unwrap_or_default();
        for m in &msgs {
            let s = m["seq"].as_i64().unwrap_or(0);
            seqs_ok &= s == after + 1;
            after = s;
        }
        received += msgs.len();
        if f["hasMore"] != true || pages > n + 1 {
            break;
        }
    }
    let elapsed = ms(t.elapsed());
    let ops = counter.take();
    fleet.close().await;
    let queries = ops.get("Query") as usize;
    let expected = n.div_ceil(page);
    let mut out = String::new();
    writeln!(out, "\n## (d) Sync after {n} missed messages (WebSocket `sync`, limit {page})\n").unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(out, "| sync round trips | {pages} |").unwrap();
    writeln!(out, "| messages received, in seq order 1..{n} | {received}, {} |", if seqs_ok { "yes" } else { "NO" })
        .unwrap();
    writeln!(out, "| DynamoDB Queries | {queries} (⌈{n}/{page}⌉ = {expected}) |").unwrap();
    writeln!(out, "| all DynamoDB calls (`count_ddb_calls` around `realtime`) | {total_calls} ({}) |", ops.breakdown())
        .unwrap();
    writeln!(out, "| total time (handler + answer on the socket) | {elapsed:.0} ms |").unwrap();
    writeln!(
        out,
        "\nGoal ⌈N/page⌉ Queries: **{}**. Each page also reads the connection's user and the membership (2 GetItem).",
        if queries == expected && received == n { "met" } else { "missed" }
    )
    .unwrap();
    out
}
