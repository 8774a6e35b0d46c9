//! (c) Our fan-out vs the "Scan every connection per message" design of the AWS
//! sample simple-websockets-chat-app, side by side on the same DynamoDB Local
//! table: `BENCH_CONNECTIONS` connection records (default 10,000), of which a
//! `BENCH_SCAN_GROUP`-member group (default 100) is online on real WebSockets.
//!
//! The Scan design (implemented here only): Scan the table for connection items,
//! keep those of the group's members (the sample has one room of everybody; a
//! group needs its member list, one Query as ours), PostToConnection to each
//! with the same 64-in-flight poster as ours. Read capacity is summed from
//! ReturnConsumedCapacity=TOTAL on every read of both designs.

use super::{bench_group, bench_users, counting_ctx, env_usize, message_image, ms, stream_event, Fleet, OpStats};
use aws_sdk_dynamodb::types::AttributeValue;
use e2e::TestApp;
use shared::ids::UserId;
use shared::realtime::{message_frame, push_to_targets};
use shared::store::connections;
use shared::store::conversations::{self as convs, Message};
use shared::store::ItemExt;
use shared::Ctx;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The sample's design, adapted to a group: returns items scanned.
async fn scan_fanout(ctx: &Ctx, m: &Message) -> usize {
    let members: HashSet<UserId> =
        convs::member_ids(&ctx.db, &m.conversation_id).await.expect("members").into_iter().collect();
    let mut targets = vec![];
    let mut scanned = 0usize;
    let mut start = None;
    loop {
        let out = ctx
            .db
            .client
            .scan()
            .table_name(&ctx.db.table)
            .filter_expression("begins_with(pk, :c)")
            .expression_attribute_values(":c", AttributeValue::S("CONN#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        scanned += out.scanned_count as usize;
        for it in out.items() {
            if let (Some(pk), Some(uid)) = (it.str("pk"), it.i64("uid")) {
                if members.contains(&UserId(uid)) {
                    targets.push((UserId(uid), pk.trim_start_matches("CONN#").to_string()));
                }
            }
        }
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    push_to_targets(ctx, targets, &message_frame(m)).await;
    scanned
}

/// Connection records of users outside the group, as `$connect` writes them (4 BatchWriteItem in flight).
async fn other_connections(ctx: &Ctx, n: usize) {
    use futures_util::StreamExt;
    let now = ctx.now_secs();
    let all: Vec<(String, UserId)> =
        (0..n).map(|i| (format!("bench-other-{i:06}="), UserId(900_000_000 + i as i64))).collect();
    futures_util::stream::iter(all.chunks(500))
        .for_each_concurrent(4, |chunk| async move {
            connections::load_fixture(&ctx.db, now, chunk).await.expect("connection records");
        })
        .await;
}

struct Round {
    last_ms: f64,
    missing: usize,
    ops: OpStats,
    scanned: usize,
}

pub async fn run(app: &TestApp) -> String {
    let total = env_usize("BENCH_CONNECTIONS", 10_000);
    let size = env_usize("BENCH_SCAN_GROUP", 100).clamp(2, total.max(2));
    let rounds = env_usize("BENCH_SCAN_ROUNDS", 3).max(1);
    let t = Instant::now();
    let users = bench_users(&app.ctx, size, 16).await;
    let uids: Vec<UserId> = users.iter().map(|u| u.0).collect();
    let cid = bench_group(&app.ctx, uids[0], &uids).await;
    let tokens: Vec<String> = users.iter().map(|u| u.1.clone()).collect();
    let mut fleet = Fleet::connect(app, &tokens, 32).await;
    other_connections(&app.ctx, total.saturating_sub(size)).await;
    eprintln!("    {total} connection records ({size} online group members) in {:.1} s", t.elapsed().as_secs_f64());
    // A room over LARGE_ROOM keeps its members' connections once stamped: its first delivery
    // starts the stamping job (run by the gateway's stream); measure the stamped room.
    if size > shared::domain::chat::LARGE_ROOM {
        let warm = message_image(&cid, 999_999, "warm", uids[0], "warm up", app.ctx.now_ms());
        local_gateway::functions::delivery(&app.ctx, stream_event(&[warm])).await.expect("warm-up delivery");
        for _ in 0..120 {
            let members = shared::store::live::members(&app.ctx.db, &cid).await.expect("members");
            if members.iter().all(|m| m.stamped_at.is_some()) {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(shared::domain::chat::RECENT_STAMP_MS as u64)).await;
    }

    let (cctx, counter) = counting_ctx(app);
    let mut ours: Vec<Round> = vec![];
    let mut scan: Vec<Round> = vec![];
    for r in 0..rounds * 2 {
        let design_scan = r % 2 == 1;
        let image = message_image(
            &cid,
            1_000_000 + r as i64,
            &format!("cmp{r}"),
            uids[0],
            &format!("compare {r}"),
            cctx.now_ms(),
        );
        let m = convs::message_from(&image).expect("message");
        fleet.drain();
        counter.take();
        let t0 = Instant::now();
        let scanned = if design_scan {
            scan_fanout(&cctx, &m).await
        } else {
            local_gateway::functions::delivery(&cctx, stream_event(&[image])).await.expect("delivery");
            0
        };
        let ops = counter.take();
        let got = fleet.collect(size, Duration::from_secs(60), |f| f["messageId"] == m.id).await;
        let round = Round {
            last_ms: got.last().map(|a| ms(a.at - t0)).unwrap_or(f64::NAN),
            missing: size - got.len(),
            ops,
            scanned,
        };
        if design_scan {
            scan.push(round)
        } else {
            ours.push(round)
        }
    }
    fleet.close().await;

    let med = |v: &[Round], f: &dyn Fn(&Round) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(|a, b| a.total_cmp(b));
        x[x.len() / 2]
    };
    let (o_ms, s_ms) = (med(&ours, &|r| r.last_ms), med(&scan, &|r| r.last_ms));
    let (o_rcu, s_rcu) = (med(&ours, &|r| r.ops.rcu), med(&scan, &|r| r.ops.rcu));
    let missing: usize = ours.iter().chain(&scan).map(|r| r.missing).sum();
    let rcu_x = s_rcu / o_rcu;
    let t_x = s_ms / o_ms;
    let mut out = String::new();
    writeln!(out, "\n## (c) Our fan-out vs \"Scan every connection per message\" (AWS simple-websockets-chat-app)\n")
        .unwrap();
    writeln!(
        out,
        "{total} connection records in the table, a {size}-member group all online on real WebSockets; \
         {rounds} rounds per design, alternating, medians. Both designs invoked directly (no stream polling), \
         same poster (64 PostToConnection in flight); time = invocation start → last of {size} sockets. \
         RCUs from ReturnConsumedCapacity=TOTAL (eventually consistent reads, as both designs do).\n"
    )
    .unwrap();
    writeln!(
        out,
        "| design | DynamoDB calls per message | RCUs per message | start → last delivery |\n|---|---|---|---|"
    )
    .unwrap();
    writeln!(
        out,
        "| ours (one member Query; live connection ids on the member items) | {} | {o_rcu:.1} | {o_ms:.0} ms |",
        ours[0].ops.breakdown()
    )
    .unwrap();
    writeln!(
        out,
        "| Scan design (member Query + Scan, {} items scanned) | {} | {s_rcu:.1} | {s_ms:.0} ms |",
        scan[0].scanned,
        scan[0].ops.breakdown()
    )
    .unwrap();
    writeln!(out, "\nframes missing: {missing}. Scan / ours: RCUs **{rcu_x:.1}×** (goal ≥ 10×: **{}**), time to last delivery **{t_x:.1}×** (goal ≥ 5×: **{}**).",
        if rcu_x >= 10.0 { "met" } else { "missed" },
        if t_x >= 5.0 { "met" } else { "missed" },
    )
    .unwrap();
    writeln!(
        out,
        "\nOurs reads the group's {size} member items (billed on their summed size, connection ids included) \
         whatever the table holds; the Scan reads every item of the table ({} here), so its cost grows with the \
         number of connections (×10 connections → ×10 RCUs and time) while ours does not.",
        scan[0].scanned,
    )
    .unwrap();
    out
}
