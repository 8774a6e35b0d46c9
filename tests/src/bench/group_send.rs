//! (a) Send latency to a big group vs a 1:1 conversation, measured side by side
//! (alternating requests, so both see the same background load), with the
//! DynamoDB calls of each send from the gateway's `x-ddb-calls` header.

use super::{bench_group, bench_users, counting_ctx, env_usize, message_image, ms, p50_p99, stream_event};
use e2e::{Http, TestApp};
use futures_util::StreamExt;
use serde_json::json;
use shared::ids::UserId;
use shared::store::{conversations as convs, settings};
use std::fmt::Write as _;
use std::time::Instant;

/// A big group and a 1:1 conversation of its owner, shared by (a) and (b).
pub struct BigGroup {
    /// (uid, access token); the first one owns the group.
    pub users: Vec<(UserId, String)>,
    pub group: String,
    pub single: String,
    /// One `delivery` run with every member offline and push enabled:
    /// (DynamoDB calls per operation, handler ms).
    pub offline_delivery: (String, f64),
}

impl BigGroup {
    /// `BENCH_GROUP_SIZE` members (default 1000), written straight into the table.
    pub async fn create(app: &TestApp) -> BigGroup {
        let n = env_usize("BENCH_GROUP_SIZE", 1000).max(2);
        let t = Instant::now();
        let users = bench_users(&app.ctx, n, 16).await;
        let uids: Vec<UserId> = users.iter().map(|u| u.0).collect();
        let group = bench_group(&app.ctx, uids[0], &uids).await;
        let single = convs::ensure_single(&app.ctx.db, app.ctx.now_ms(), uids[0], uids[1]).await.expect("1:1").0.id;
        eprintln!("    {n} users + group in {:.1} s", t.elapsed().as_secs_f64());

        // Delivery with everybody offline: members' presence, then offline push jobs.
        let (cctx, counter) = counting_ctx(app);
        let image = message_image(&group, 999_999, "offline-probe", uids[0], "offline", cctx.now_ms());
        counter.take();
        let t = Instant::now();
        local_gateway::functions::delivery(&cctx, stream_event(&[image])).await.expect("delivery");
        let offline_delivery = (counter.take().breakdown(), ms(t.elapsed()));

        // From here on members have push off (`offlineNoPushMsg`), so the latency runs do not
        // make the local DynamoDB write one push job per member for every group send.
        let change = settings::Change { flags: vec![("offlineNoPushMsg", 1)], durations: vec![] };
        futures_util::stream::iter(uids.iter().copied())
            .for_each_concurrent(16, |u| {
                let (ctx, change) = (&app.ctx, &change);
                async move { settings::update(&ctx.db, u, ctx.now_ms(), change).await.expect("settings") }
            })
            .await;
        BigGroup { users, group, single, offline_delivery }
    }

    pub fn owner_token(&self) -> &str {
        &self.users[0].1
    }
}

pub async fn run(app: &TestApp, g: &BigGroup) -> String {
    let http = Http::new(app);
    let samples = env_usize("BENCH_SEND_SAMPLES", 100);
    let send = |cid: String, i: usize| {
        let http = &http;
        let tok = g.owner_token().to_string();
        async move {
            let t = Instant::now();
            let r = http
                .json(
                    "POST",
                    &format!("/api/v1/conversations2/{cid}/messages"),
                    Some(&tok),
                    json!({"body": format!("a{i}")}),
                )
                .await;
            let el = ms(t.elapsed());
            assert_eq!(r.status, 201, "{}", r.text);
            (el, r.ddb_calls())
        }
    };
    for i in 0..5 {
        send(g.group.clone(), i).await;
        send(g.single.clone(), i).await;
    }
    let (mut lg, mut ls) = (vec![], vec![]);
    let (mut cg, mut cs) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for i in 0..samples {
        // Alternate which goes first so neither always follows the other's delivery work.
        let order = if i % 2 == 0 { [true, false] } else { [false, true] };
        for group in order {
            if group {
                let (t, c) = send(g.group.clone(), i).await;
                lg.push(t);
                cg.insert(c);
            } else {
                let (t, c) = send(g.single.clone(), i).await;
                ls.push(t);
                cs.insert(c);
            }
        }
    }
    let (g50, g99) = p50_p99(lg);
    let (s50, s99) = p50_p99(ls);
    let calls = |s: &std::collections::BTreeSet<u32>| s.iter().map(u32::to_string).collect::<Vec<_>>().join("/");
    let members = g.users.len();
    let ratio50 = g50 / s50;
    let ratio99 = g99 / s99;
    let mut out = String::new();
    writeln!(
        out,
        "\n## (a) Send to a {members}-member group vs 1:1 (Minxing `POST /api/v1/conversations2/{{id}}/messages`)\n"
    )
    .unwrap();
    writeln!(
        out,
        "{samples} sends each, alternating, sequential; members offline (delivery runs for every group send: one member Query, which carries the live connection ids).\n"
    )
    .unwrap();
    writeln!(
        out,
        "Members have offline push off for these runs. With push on and all {members} members offline, one delivery \
         made {} in {:.0} ms (DND lookups, then one push job item whose audience is every offline member).\n",
        g.offline_delivery.0, g.offline_delivery.1
    )
    .unwrap();
    writeln!(out, "| conversation | p50 | p99 | DynamoDB calls per send |\n|---|---|---|---|").unwrap();
    writeln!(out, "| 1:1 | {s50:.1} ms | {s99:.1} ms | {} |", calls(&cs)).unwrap();
    writeln!(out, "| group of {members} | {g50:.1} ms | {g99:.1} ms | {} |", calls(&cg)).unwrap();
    let met = ratio50 <= 1.2 && ratio99 <= 1.2;
    writeln!(
        out,
        "\ngroup / 1:1: p50 {ratio50:.2}×, p99 {ratio99:.2}× — goal ≤ 1.2×: **{}**. The send path's calls do not depend on group size \
         (1:1 also reads the peer's blacklist item).",
        if met { "met" } else if ratio50 <= 1.2 { "p50 met, p99 missed" } else { "missed" }
    )
    .unwrap();
    out
}
