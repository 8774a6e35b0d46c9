//! Feed (issue 12 §5): (a) a following page of 20 for a reader following `BENCH_FEED_FOLLOWS`
//! (500) authors with 2 posts each (1000), against a reader following 10 of them, both pages
//! measured through the gateway (latency and `x-ddb-calls`); (b) an author with
//! `BENCH_FEED_FANS` (500) fans posts `BENCH_FEED_POSTS` (20) starters through the gateway:
//! request latency and calls, time until every fan's inbox holds the ref (polled with
//! BatchGetItem of `FEEDIN#<fan>/<mid>`), and the DynamoDB calls of the fan-out (gateway
//! `StreamStats` per delivery batch, plus one direct run of the fan-out with a per-operation
//! breakdown). Set-up (accounts, follows, the 1000 posts) goes through the store and the
//! services on `app.ctx`; the posts are fanned out by the stream consumer as in production.

use super::{bench_users, counting_ctx, env_usize, ms, p50_p99, wait_stream_idle};
use e2e::{Http, TestApp};
use futures_util::StreamExt;
use serde_json::json;
use shared::domain::relations::Op;
use shared::ids::UserId;
use shared::services::feed::{self as feed_svc, Draft};
use shared::store::keys::{feed_sort, feedin_pk};
use shared::store::Db;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// `me` follows `to` (the service every dialect's follow goes through).
async fn follow(app: &TestApp, me: UserId, to: UserId) {
    let ctx = &app.ctx;
    let r = shared::services::relations::apply(&ctx.db, ctx.now_ms(), me, to, &Op::Follow(String::new()))
        .await
        .expect("follow");
    assert!(r.mine.is_some(), "{me} does not follow {to} after the follow ({:?})", r.outcome);
}

async fn follow_all(app: &TestApp, pairs: Vec<(UserId, UserId)>) {
    futures_util::stream::iter(pairs).for_each_concurrent(8, |(me, to)| async move { follow(app, me, to).await }).await;
}

/// Refs in `uid`'s following inbox (paged Query, COUNT).
async fn inbox_len(app: &TestApp, uid: UserId) -> usize {
    use aws_sdk_dynamodb::types::{AttributeValue as A, Select};
    let db = &app.ctx.db;
    let (mut total, mut start) = (0usize, None);
    loop {
        let out = db
            .client
            .query()
            .table_name(&db.table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", A::S(feedin_pk(uid)))
            .select(Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("count inbox");
        total += out.count as usize;
        start = out.last_evaluated_key;
        if start.is_none() {
            return total;
        }
    }
}

/// Which of `fans` hold the inbox ref of `mid` (BatchGetItem of 100 keys, in parallel).
async fn holding(app: &TestApp, fans: &[UserId], mid: i64) -> usize {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let db = &app.ctx.db;
    let gets = fans.chunks(100).map(|chunk| async move {
        let keys = chunk.iter().map(|u| Db::key(feedin_pk(*u), feed_sort(mid))).collect();
        let ka = KeysAndAttributes::builder().set_keys(Some(keys)).projection_expression("pk").build().expect("keys");
        let out = db.client.batch_get_item().request_items(&db.table, ka).send().await.expect("poll inboxes");
        out.responses.and_then(|mut r| r.remove(&db.table)).map(|v| v.len()).unwrap_or(0)
    });
    futures_util::future::join_all(gets).await.into_iter().sum()
}

fn calls_set(s: &BTreeSet<u32>) -> String {
    s.iter().map(u32::to_string).collect::<Vec<_>>().join("/")
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "missed"
    }
}

pub async fn run(app: &TestApp) -> String {
    let follows = env_usize("BENCH_FEED_FOLLOWS", 500).max(20);
    let posts_each = 2;
    let pages = env_usize("BENCH_FEED_PAGES", 100).max(1);
    let fans_n = env_usize("BENCH_FEED_FANS", 500).max(1);
    let posts_n = env_usize("BENCH_FEED_POSTS", 20).max(1);
    let http = Http::new(app);
    let mut out = String::new();

    // ---- (a) set-up: two readers, `follows` authors, `posts_each` posts per author.
    let t = Instant::now();
    let users = bench_users(&app.ctx, 2 + follows.max(fans_n) + 1, 16).await;
    let (big_reader, small_reader) = (&users[0], &users[1]);
    let authors: Vec<UserId> = users[2..2 + follows].iter().map(|u| u.0).collect();
    let mut pairs: Vec<(UserId, UserId)> = authors.iter().map(|a| (big_reader.0, *a)).collect();
    pairs.extend(authors[..10].iter().map(|a| (small_reader.0, *a)));
    follow_all(app, pairs).await;
    eprintln!("    {} users, {} follows in {:.1} s", users.len(), follows + 10, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let jobs: Vec<(usize, UserId)> =
        (0..posts_each).flat_map(|round| authors.iter().map(move |a| (round, *a))).collect();
    futures_util::stream::iter(jobs)
        .for_each_concurrent(8, |(round, a)| async move {
            let d = Draft { body: format!("bench post {round} of {a}"), ..Default::default() };
            feed_svc::post(&app.ctx, a, d).await.expect("post");
        })
        .await;
    let posted_s = t.elapsed().as_secs_f64();
    // A delivery batch reports only when it ends (long batches look idle): wait for the inboxes.
    let (want_big, want_small) = (follows * posts_each, 10 * posts_each);
    let deadline = Instant::now() + Duration::from_secs(600);
    let (mut big_inbox, mut small_inbox);
    loop {
        (big_inbox, small_inbox) = (inbox_len(app, big_reader.0).await, inbox_len(app, small_reader.0).await);
        if (big_inbox >= want_big && small_inbox >= want_small) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fanned_s = t.elapsed().as_secs_f64();
    let idle = wait_stream_idle(app).await;
    eprintln!(
        "    {want_big} posts in {posted_s:.1} s, in the inboxes after {fanned_s:.1} s (stream idle: {idle}); inboxes {big_inbox} / {small_inbox}"
    );

    // ---- (a) measured: first pages (alternating readers), then older pages by cursor.
    let page = |tok: String, query: String| {
        let http = &http;
        async move {
            let t = Instant::now();
            let r = http.get(&format!("/api/v1/messages/following{query}"), Some(&tok)).await;
            let el = ms(t.elapsed());
            assert_eq!(r.status, 200, "{}", r.text);
            let n = r.body["items"].as_array().map(Vec::len).unwrap_or(0);
            (el, r.ddb_calls(), n, r.body["next_cursor"].as_str().map(str::to_string))
        }
    };
    let (mut big_ms, mut small_ms) = (vec![], vec![]);
    let (mut big_calls, mut small_calls) = (BTreeSet::new(), BTreeSet::new());
    let (mut big_items, mut small_items) = (BTreeSet::new(), BTreeSet::new());
    let mut cursor = None;
    for _ in 0..pages {
        let (el, c, n, next) = page(big_reader.1.clone(), String::new()).await;
        big_ms.push(el);
        big_calls.insert(c);
        big_items.insert(n);
        cursor = next;
        let (el, c, n, _) = page(small_reader.1.clone(), String::new()).await;
        small_ms.push(el);
        small_calls.insert(c);
        small_items.insert(n);
    }
    let (mut older_ms, mut older_calls, mut older_items) = (vec![], BTreeSet::new(), 0usize);
    for _ in 0..pages.min(50) {
        let Some(cur) = cursor.take() else { break };
        let (el, c, n, next) = page(big_reader.1.clone(), format!("?cursor={cur}")).await;
        older_ms.push(el);
        older_calls.insert(c);
        older_items += n;
        cursor = next;
    }
    let (b50, b99) = p50_p99(big_ms);
    let (s50, s99) = p50_p99(small_ms);
    let (o50, o99) = p50_p99(older_ms.clone());
    let max_page_calls = big_calls.iter().chain(&small_calls).chain(&older_calls).max().copied().unwrap_or(0);
    writeln!(out, "\n## Feed (a): following page of 20 (`GET /api/v1/messages/following`)\n").unwrap();
    writeln!(
        out,
        "Reader A follows {follows} authors who posted {} starters ({posts_each} each, set up through the \
         services in {posted_s:.0} s, fanned out by the stream consumer: all refs in the inboxes after \
         {fanned_s:.0} s; A's inbox holds {big_inbox} refs); reader B follows 10 of them (inbox {small_inbox} refs), \
         measured once the stream is idle. {pages} sequential first pages per reader, alternating; then A's older \
         pages by `cursor`. Latency through the local gateway, calls from `x-ddb-calls` (token included).\n",
        follows * posts_each
    )
    .unwrap();
    writeln!(
        out,
        "| reader | requests | items per page | p50 / p99 | DynamoDB calls per page |\n|---|---|---|---|---|"
    )
    .unwrap();
    let items = |s: &BTreeSet<usize>| s.iter().map(usize::to_string).collect::<Vec<_>>().join("/");
    let calls_u = |s: &BTreeSet<u32>| calls_set(s);
    writeln!(
        out,
        "| A, {follows} follows, first page | {pages} | {} | {b50:.1} / {b99:.1} ms | {} |",
        items(&big_items),
        calls_u(&big_calls)
    )
    .unwrap();
    writeln!(
        out,
        "| B, 10 follows, first page | {pages} | {} | {s50:.1} / {s99:.1} ms | {} |",
        items(&small_items),
        calls_u(&small_calls)
    )
    .unwrap();
    writeln!(
        out,
        "| A, older pages (`cursor`) | {} ({older_items} items) | 20 | {o50:.1} / {o99:.1} ms | {} |",
        older_ms.len(),
        calls_u(&older_calls)
    )
    .unwrap();
    writeln!(
        out,
        "\nThe first request of each reader also moved the seen mark (one conditional UpdateItem more). \
         Budget ≤ 5 calls whatever the follow count: **{}** (max {max_page_calls}).",
        verdict(max_page_calls <= 5)
    )
    .unwrap();

    // ---- (b) an author with `fans_n` fans posts `posts_n` starters.
    let author = &users[2 + follows.max(fans_n)];
    let fans: Vec<UserId> = users[2..2 + fans_n].iter().map(|u| u.0).collect();
    let t = Instant::now();
    follow_all(app, fans.iter().map(|f| (*f, author.0)).collect()).await;
    eprintln!("    {fans_n} fans follow the author in {:.1} s", t.elapsed().as_secs_f64());
    let (mut req_ms, mut req_calls, mut all_ms, mut batch_calls) = (vec![], BTreeSet::new(), vec![], BTreeSet::new());
    let (mut incomplete, mut multi_batch) = (0, 0);
    let mut last_mid = 0;
    for i in 0..posts_n {
        wait_stream_idle(app).await;
        let before = app.stream_stats();
        let t0 = Instant::now();
        let r =
            http.json("POST", "/api/v1/messages", Some(&author.1), json!({"body": format!("to my fans {i}")})).await;
        req_ms.push(ms(t0.elapsed()));
        assert_eq!(r.status, 201, "{}", r.text);
        req_calls.insert(r.ddb_calls());
        let mid = r.body["id"].as_i64().expect("message id");
        last_mid = mid;
        let deadline = t0 + Duration::from_secs(30);
        loop {
            if holding(app, &fans, mid).await == fans.len() {
                all_ms.push(ms(t0.elapsed()));
                break;
            }
            if Instant::now() > deadline {
                incomplete += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.wait_for_stream(Duration::from_secs(10), |s| s.batches > before.batches).await;
        wait_stream_idle(app).await;
        let after = app.stream_stats();
        if after.batches != before.batches + 1 {
            multi_batch += 1;
        }
        batch_calls.insert((after.ddb_calls - before.ddb_calls) as u32);
    }

    // The last post's fan-out once more, run directly, with the calls per operation.
    let (cctx, counter) = counting_ctx(app);
    let post = shared::store::feed::get(&cctx.db, last_mid).await.expect("read post").expect("the post");
    counter.take();
    let t0 = Instant::now();
    let (res, direct_calls) = shared::metrics::count_ddb_calls(feed_svc::following::fan_out(&cctx, &post)).await;
    let direct_ms = ms(t0.elapsed());
    let to = res.expect("fan-out");
    let ops = counter.take();

    let (r50, r99) = p50_p99(req_ms);
    let (a50, a99) = p50_p99(all_ms.clone());
    let amax = all_ms.iter().cloned().fold(0.0, f64::max);
    let max_req = req_calls.iter().max().copied().unwrap_or(0);
    writeln!(out, "\n## Feed (b): a post by an author with {fans_n} fans (`POST /api/v1/messages`)\n").unwrap();
    writeln!(
        out,
        "{posts_n} sequential starters through the local gateway (the stream idle before each). \"In every \
         inbox\": from sending the request until a BatchGetItem poll (every ~20 ms, 100 keys per call) finds \
         `FEEDIN#<fan>/<mid>` in all {} fans' inboxes; the stream consumer polls GetRecords every 50 ms.\n",
        fans.len()
    )
    .unwrap();
    writeln!(out, "| measure | value |\n|---|---|").unwrap();
    writeln!(out, "| request latency p50 / p99 | {r50:.1} / {r99:.1} ms |").unwrap();
    writeln!(out, "| request DynamoDB calls (`x-ddb-calls`) | {} |", calls_set(&req_calls)).unwrap();
    writeln!(
        out,
        "| request → in all {fans_n} inboxes p50 / p99 / max ({} posts) | {a50:.0} / {a99:.0} / {amax:.0} ms |",
        all_ms.len()
    )
    .unwrap();
    writeln!(out, "| posts not in every inbox after 30 s | {incomplete} |").unwrap();
    writeln!(
        out,
        "| DynamoDB calls of `delivery` per post (gateway `StreamStats`; posts spread over several batches: {multi_batch}) | {} |",
        calls_set(&batch_calls)
    )
    .unwrap();
    writeln!(
        out,
        "| direct fan-out run (`services::feed::following::fan_out`, {to} recipients incl. the author) | {direct_calls} calls ({}), {direct_ms:.0} ms |",
        ops.breakdown()
    )
    .unwrap();
    let (q, w, g) = (ops.get("Query"), ops.get("BatchWriteItem"), ops.get("GetItem"));
    writeln!(
        out,
        "\nBudgets: request ≤ 4 calls **{}** (max {max_req}); in all {fans_n} inboxes ≤ 3 s p99 **{}** \
         ({a99:.0} ms{}); fan-out \"1 Query + 20 BatchWriteItem\": {q} Query + {w} BatchWriteItem + {g} GetItem \
         (the fan-out threshold `FEEDBIG/LIST`) for {to} recipients; the author's own inbox ref makes \
         ⌈{to}/25⌉ = {} BatchWriteItem.",
        verdict(max_req <= 4),
        verdict(incomplete == 0 && a99 <= 3000.0),
        if incomplete > 0 { format!(", {incomplete} incomplete") } else { String::new() },
        to.div_ceil(25)
    )
    .unwrap();
    out
}
