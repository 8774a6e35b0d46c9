//! Mass send (issue 13, Performance): a public account with `BENCH_BROADCAST_FANS` (10 000)
//! fans sends `/mp/textToAll` through the gateway. Measured: the request (latency,
//! `x-ddb-calls`), the time until the job is done (every copy stored), until a sample of
//! `BENCH_BROADCAST_SOCKETS` (200) fans' WebSockets heard their copy, until the stream is
//! idle (every copy's delivery record handled), the worker's DynamoDB calls (gateway
//! `StreamStats`). Then a second send whose worker is interrupted: two job records fail
//! (DynamoDB unreachable for the worker, retried by the stream), and the job is put back at
//! an old checkpoint while it runs (a replayed worker): every fan must still hold exactly
//! one copy of each send (the conversations' `lastSeq`, read back with BatchGetItem).
//! Set-up (accounts, follows) goes through the store and the follow service on `app.ctx`.

use super::{bench_users, env_usize, ms, wait_stream_idle, Fleet};
use e2e::{Http, TestApp};
use futures_util::StreamExt;
use shared::domain::chat::single_id;
use shared::domain::jobs::{Job, JobStatus};
use shared::domain::relations::Op;
use shared::ids::UserId;
use shared::store::keys::conv_pk;
use shared::store::{Db, ItemExt};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The public account: registered through Shiku (`userType` 2): (uid, token).
async fn account(http: &Http) -> (UserId, String) {
    let pw = shared::auth::md5_hex("secret1");
    let phone = e2e::phone();
    let r = http
        .shiku(
            "/user/register",
            &[
                ("telephone", &phone),
                ("areaCode", "86"),
                ("password", &pw),
                ("nickname", "BenchNews"),
                ("userType", "2"),
            ],
        )
        .await;
    let d = r.shiku_ok();
    (UserId(d["userId"].as_i64().unwrap()), d["access_token"].as_str().unwrap().to_string())
}

async fn job(app: &TestApp, id: &str) -> Job {
    shared::services::jobs::get(&app.ctx, id).await.expect("read job").expect("job exists")
}

/// Poll the job until `pred` holds (every 100 ms, at most `limit`).
async fn wait_job(app: &TestApp, id: &str, limit: Duration, pred: impl Fn(&Job) -> bool) -> (Job, bool) {
    let deadline = Instant::now() + limit;
    loop {
        let j = job(app, id).await;
        if pred(&j) {
            return (j, true);
        }
        if Instant::now() > deadline {
            return (j, false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `lastSeq` of the account's 1:1 conversation with each fan (BatchGetItem of 100 keys).
async fn copies(app: &TestApp, acc: UserId, fans: &[UserId]) -> Vec<i64> {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let db = &app.ctx.db;
    let chunks: Vec<Vec<UserId>> = fans.chunks(100).map(<[UserId]>::to_vec).collect();
    let got: Vec<Vec<(UserId, i64)>> = futures_util::stream::iter(chunks)
        .map(|chunk| async move {
            let keys = chunk.iter().map(|f| Db::key(conv_pk(&single_id(acc, *f)), "META")).collect();
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression("pair, lastSeq")
                .build()
                .expect("keys");
            let out = db.client.batch_get_item().request_items(&db.table, ka).send().await.expect("read metas");
            let items = out.responses.and_then(|mut r| r.remove(&db.table)).unwrap_or_default();
            assert!(out.unprocessed_keys.is_none_or(|u| u.is_empty()), "unprocessed keys: rerun");
            chunk
                .iter()
                .map(|f| {
                    let fs = f.to_string();
                    let it = items.iter().find(|it| it.strings("pair").contains(&fs));
                    (*f, it.and_then(|it| it.i64("lastSeq")).unwrap_or(0))
                })
                .collect()
        })
        .buffered(8)
        .collect()
        .await;
    got.into_iter().flatten().map(|(_, n)| n).collect()
}

fn tally(v: &[i64], want: i64) -> (usize, usize, usize) {
    let exact = v.iter().filter(|n| **n == want).count();
    let less = v.iter().filter(|n| **n < want).count();
    (exact, less, v.len() - exact - less)
}

/// Send a text to all fans: (job id, request ms, request calls).
async fn send(http: &Http, token: &str, text: &str) -> (String, f64, u32) {
    let t = Instant::now();
    let r = http.shiku_as("/mp/textToAll", token, &[("title", text)]).await;
    let el = ms(t.elapsed());
    let d = r.shiku_ok();
    (d["jobId"].as_str().unwrap().to_string(), el, r.ddb_calls())
}

pub async fn run(app: &TestApp) -> String {
    let n = env_usize("BENCH_BROADCAST_FANS", 10_000).max(1);
    let sockets = env_usize("BENCH_BROADCAST_SOCKETS", 200).min(n);
    let http = Http::new(app);
    let mut out = String::new();
    let page = shared::services::broadcasts::PAGE;
    let inflight = shared::services::broadcasts::COPIES_IN_FLIGHT;
    writeln!(out, "## Mass send to {n} fans (issue 13, Performance)\n").unwrap();
    let build = if cfg!(debug_assertions) { "debug (unoptimized)" } else { "optimized (profile perf)" };
    writeln!(out, "Build of the gateway and functions: {build}.\n").unwrap();
    writeln!(
        out,
        "Budget: request ≤ 3 DynamoDB calls; every copy delivered on the local stack ≤ 60 s; none twice after the worker is interrupted. Worker: pages of {page} fans, {inflight} copies in flight, one checkpoint per page.\n"
    )
    .unwrap();

    // ---- set-up
    let t = Instant::now();
    let (acc, acc_token) = account(&http).await;
    let users = bench_users(&app.ctx, n, 32).await;
    let fans: Vec<UserId> = users.iter().map(|u| u.0).collect();
    eprintln!("    {n} fans created in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    futures_util::stream::iter(fans.clone())
        .for_each_concurrent(16, |f| async move {
            let ctx = &app.ctx;
            shared::services::relations::apply(&ctx.db, ctx.now_ms(), f, acc, &Op::Follow(String::new()))
                .await
                .expect("follow");
        })
        .await;
    let follow_s = t.elapsed().as_secs_f64();
    let idle = wait_stream_idle(app).await;
    eprintln!("    {n} follows in {follow_s:.1} s (stream idle: {idle})");
    let tokens: Vec<String> = users.iter().take(sockets).map(|u| u.1.clone()).collect();
    let mut fleet = Fleet::connect(app, &tokens, 32).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    fleet.drain();
    writeln!(out, "Set-up: {n} fans and their follows in {:.1} s (store and follow service).\n", follow_s).unwrap();

    // ---- run 1: clean
    let before = app.stream_stats();
    let t0 = Instant::now();
    let (id1, req_ms, req_calls) = send(&http, &acc_token, "bench broadcast one").await;
    let from = acc.0;
    let (j1, done1) = wait_job(app, &id1, Duration::from_secs(900), |j| j.status == JobStatus::Done).await;
    let done_s = t0.elapsed().as_secs_f64();
    let heard = fleet
        .collect(sockets, Duration::from_secs(300), |f| f["event"] == "message" && f["sender"].as_i64() == Some(from))
        .await;
    let heard_s = heard.last().map(|a| (a.at - t0).as_secs_f64()).unwrap_or(f64::NAN);
    let idle1 = wait_stream_idle(app).await;
    let idle_s = t0.elapsed().as_secs_f64() - 1.5;
    let after = app.stream_stats();
    let worker_calls = after.ddb_calls - before.ddb_calls;
    let c1 = copies(app, acc, &fans).await;
    let (exact1, less1, more1) = tally(&c1, 1);
    eprintln!("    run 1: done in {done_s:.1} s, sockets {:.1} s, idle {idle_s:.1} s", heard_s);

    writeln!(out, "### Run 1: clean\n").unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(
        out,
        "| `/mp/textToAll` request | {req_ms:.1} ms, {req_calls} DynamoDB calls (budget ≤ 3: {}) |",
        verdict(req_calls <= 3)
    )
    .unwrap();
    writeln!(
        out,
        "| job done (every copy stored) | {done_s:.1} s (done: {done1}; sent {}, failed {}, pages {}) |",
        j1.done, j1.failed, j1.page
    )
    .unwrap();
    writeln!(out, "| sample sockets heard their copy | {} of {sockets}, last after {heard_s:.1} s |", heard.len())
        .unwrap();
    writeln!(out, "| stream idle (every copy's delivery record handled) | {idle_s:.1} s (idle: {idle1}) |").unwrap();
    writeln!(
        out,
        "| ≤ 60 s on the local stack | {} (all stored and delivered after {:.1} s) |",
        verdict(idle_s <= 60.0 && done1),
        idle_s
    )
    .unwrap();
    writeln!(
        out,
        "| delivery function DynamoDB calls (job pages + copies' deliveries) | {worker_calls} ({:.1} per fan), {} batches |",
        worker_calls as f64 / n as f64,
        after.batches - before.batches
    )
    .unwrap();
    writeln!(out, "| copies per fan | exactly 1: {exact1}; none: {less1}; more: {more1} |\n").unwrap();

    // ---- run 2: interrupted worker
    let pages = n.div_ceil(page) as i64;
    let fail_page = (pages / 2).max(1);
    let fail_at = fail_page.to_string();
    app.fail_delivery(2, move |r| {
        r["dynamodb"]["NewImage"]["ev"]["S"] == "job" && r["dynamodb"]["NewImage"]["page"]["N"] == fail_at.as_str()
    });
    let t0 = Instant::now();
    let (id2, _, req_calls2) = send(&http, &acc_token, "bench broadcast two").await;
    // A checkpoint to replay from, then let the worker go on a few pages.
    let (old, _) = wait_job(app, &id2, Duration::from_secs(300), |j| j.page >= 1 || j.status == JobStatus::Done).await;
    let (ahead, _) =
        wait_job(app, &id2, Duration::from_secs(300), |j| j.page >= old.page + 3 || j.status == JobStatus::Done).await;
    let replayed = ahead.status == JobStatus::Running;
    if replayed {
        app.pause_stream();
        shared::services::jobs::restore(&app.ctx, &old).await.expect("restore the old checkpoint");
        app.resume_stream();
    }
    let (j2, done2) = wait_job(app, &id2, Duration::from_secs(900), |j| j.status == JobStatus::Done).await;
    let done2_s = t0.elapsed().as_secs_f64();
    let idle2 = wait_stream_idle(app).await;
    let c2 = copies(app, acc, &fans).await;
    let (exact2, less2, more2) = tally(&c2, 2);
    let dead = app.stream_dead_letters().len();
    eprintln!("    run 2: done in {done2_s:.1} s; exactly two copies: {exact2}");
    fleet.close().await;

    writeln!(out, "### Run 2: interrupted worker\n").unwrap();
    writeln!(
        out,
        "The job record of page {fail_page} failed twice (DynamoDB unreachable for the worker; the stream retried it), and {} (the job put back at page {} while it was at page {}: pages {}–{} ran again).\n",
        if replayed { "an old checkpoint was replayed" } else { "no replay (the job finished before it could be set back)" },
        old.page,
        ahead.page,
        old.page,
        ahead.page
    )
    .unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(out, "| request | {req_calls2} DynamoDB calls |").unwrap();
    writeln!(
        out,
        "| job done | {done2_s:.1} s (done: {done2}; sent {}, failed {}); stream idle after: {idle2} |",
        j2.done, j2.failed
    )
    .unwrap();
    writeln!(
        out,
        "| copies per fan after both sends | exactly 2: {exact2}; fewer: {less2}; more: {more2} → none twice: {} |",
        verdict(more2 == 0 && less2 == 0)
    )
    .unwrap();
    writeln!(out, "| batches given up (dead letters) | {dead} |\n").unwrap();
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "missed"
    }
}
