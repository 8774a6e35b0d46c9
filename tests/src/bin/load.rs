//! `make load`: sustained mixed traffic of all four dialects against the local stack (started
//! in this process: DynamoDB Local, the gateway, every function), bounded in time, then the
//! checks. Loopback only; stops by itself.
//!
//! Traffic (LOAD_RATE operations a second, LOAD_CONCURRENCY in flight, for LOAD_SECS):
//! 1:1 sends over WebSocket (the Shiku/Xuanxuan apps' path), group sends to rooms of 10, 100
//! and LOAD_BIG members through WebSocket, Minxing HTTP, SealTalk `/misc/send_message` and
//! Xuanxuan `notifyMSG`, recalls, reconnects followed by a multi-conversation `sync`, room
//! member churn (Shiku) and follow/unfollow (Shiku). LOAD_USERS users keep sockets open; the
//! big room's other members are offline.
//!
//! Reported (bench-results/load-latest.md): send → delivery p50/p99/max per conversation
//! size, throughput, DynamoDB calls per message (HTTP sends' `x-ddb-calls`, delivery's from
//! the stream consumer), and the checks: 0 lost (every expected recipient got the message
//! live or through `sync`), 0 duplicated, per-conversation order kept, 0 misdelivered, no
//! 5xx, memory over the run. Sends in one conversation are serialized (each waits for its
//! answer or ack), so "order kept" is a fair check.

#[allow(dead_code)]
#[path = "../bench/mod.rs"]
mod bench;
#[path = "../load/mod.rs"]
mod load;

use e2e::*;
use load::{marker, Sent, Shared, Sockets};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Conv {
    cid: String,
    class: &'static str,
    members: Vec<usize>,
    /// A member the churn operation removes and adds again (never expected to receive).
    churn: Option<usize>,
    owner: usize,
    lock: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Stats {
    ops: BTreeMap<&'static str, u64>,
    failures: BTreeMap<&'static str, u64>,
    server_errors: Vec<String>,
    refusals: Vec<String>,
    /// dialect → (sends, DynamoDB calls) of HTTP sends.
    send_calls: BTreeMap<&'static str, (u64, u64)>,
    ws_sends: Vec<(u64, usize, String)>,
}

struct Run {
    http: Http,
    uids: Vec<i64>,
    tokens: Vec<String>,
    online: usize,
    convs: Vec<Conv>,
    sockets: tokio::sync::Mutex<Sockets>,
    tracker: Shared,
    next: AtomicU64,
    stats: Mutex<Stats>,
}

/// xorshift64*: reproducible choices without another dependency.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

fn env(name: &str, default: usize) -> usize {
    bench::env_usize(name, default)
}

impl Run {
    fn note(&self, op: &'static str, ok: bool, status: u16, text: &str) {
        let mut s = self.stats.lock().unwrap();
        *s.ops.entry(op).or_default() += 1;
        if !ok {
            *s.failures.entry(op).or_default() += 1;
            if s.refusals.len() < 10 {
                s.refusals.push(format!("{op}: {status} {}", text.chars().take(200).collect::<String>()));
            }
        }
        if status >= 500 && s.server_errors.len() < 20 {
            s.server_errors.push(format!("{op}: {status} {}", text.chars().take(200).collect::<String>()));
        }
    }

    fn calls(&self, dialect: &'static str, r: &Resp) {
        let n = r.headers.get("x-ddb-calls").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
        let mut s = self.stats.lock().unwrap();
        let e = s.send_calls.entry(dialect).or_default();
        *e = (e.0 + 1, e.1 + n);
    }

    /// One message into `c` from one of its members through `dialect`.
    async fn send(&self, c: &Conv, rng: &mut Rng) {
        let _one_at_a_time = c.lock.lock().await;
        let candidates: Vec<usize> =
            c.members.iter().copied().filter(|m| Some(*m) != c.churn && *m < self.online).collect();
        let from = candidates[rng.below(candidates.len())];
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let content = format!("{} load message", marker(n));
        let dialects: &[&'static str] = match c.class {
            "1:1" => &["ws"],
            "group 10" => &["ws", "minxing", "sealtalk", "xuanxuan"],
            _ => &["ws", "minxing", "sealtalk"],
        };
        let mut dialect = dialects[rng.below(dialects.len())];
        if dialect == "ws" && !self.sockets.lock().await.is_open(from) {
            dialect = "minxing";
        }
        let sender = if dialect == "xuanxuan" { None } else { Some(from) };
        let expected: Vec<usize> = c
            .members
            .iter()
            .copied()
            .filter(|m| Some(*m) != sender && Some(*m) != c.churn && *m < self.online)
            .collect();
        let tolerated = [sender, c.churn].into_iter().flatten().collect();
        self.tracker
            .lock()
            .unwrap()
            .sent
            .insert(n, Sent { class: c.class, cid: c.cid.clone(), at: Instant::now(), expected, tolerated });
        let op = "send";
        let ok = match dialect {
            "ws" => {
                let client_id = format!("ld-{n}");
                let frame =
                    json!({"action": "send", "conversationId": c.cid, "content": content, "messageId": client_id});
                self.sockets.lock().await.send(from, &frame);
                let ok = self.wait_ack(&client_id).await;
                if ok {
                    let mut t = self.tracker.lock().unwrap();
                    t.mid.insert(n, client_id.clone());
                    t.n_by_mid.insert(client_id.clone(), n);
                    drop(t);
                    self.stats.lock().unwrap().ws_sends.push((n, from, c.cid.clone()));
                }
                self.note(op, ok, 0, "");
                ok
            }
            "minxing" => {
                let path = format!("/api/v1/conversations2/{}/messages", c.cid);
                let r = self.http.json("POST", &path, Some(&self.tokens[from]), json!({"body": content})).await;
                self.calls("minxing", &r);
                self.note(op, r.status == 201, r.status, &r.text);
                r.status == 201
            }
            "sealtalk" => {
                let body = json!({"conversationType": "GROUP", "targetId": c.cid, "objectName": "RC:TxtMsg", "content": content});
                let r = self.http.json("POST", "/sealtalk/misc/send_message", Some(&self.tokens[from]), body).await;
                self.calls("sealtalk", &r);
                let ok = r.status == 200 && r.body["code"] == 200;
                self.note(op, ok, r.status, &r.text);
                ok
            }
            _ => {
                let data = json!({"receiver": "group", "gid": c.cid, "title": content, "contentType": "text"});
                let r = self
                    .http
                    .xuanxuan("POST", "m=chat&f=notifyMSG&code=demo", "demo-key", &[("data", &data.to_string())])
                    .await;
                self.calls("xuanxuan", &r);
                let ok = r.status == 200 && r.body["result"] == "success";
                self.note(op, ok, r.status, &r.text);
                ok
            }
        };
        if !ok {
            // Refused or timed out: nobody must receive it (a late frame counts as misdelivered).
            let mut t = self.tracker.lock().unwrap();
            if let Some(s) = t.sent.get_mut(&n) {
                s.expected.clear();
            }
        }
    }

    async fn wait_ack(&self, client_id: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.tracker.lock().unwrap().acks.remove(client_id).is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    /// Recall a recent WebSocket send by its sender.
    async fn recall(&self, rng: &mut Rng) {
        let pick = {
            let s = self.stats.lock().unwrap();
            let k = s.ws_sends.len();
            (k > 0).then(|| s.ws_sends[k - 1 - rng.below(k.min(20))].clone())
        };
        let Some((n, from, cid)) = pick else { return };
        let frame = json!({"action": "recall", "conversationId": cid, "messageId": format!("ld-{n}")});
        let sent = self.sockets.lock().await.send(from, &frame);
        self.note("recall", sent, 0, "");
    }

    /// Drop a user's socket, connect again, then sync every conversation of theirs.
    async fn reconnect(&self, rng: &mut Rng) {
        let i = rng.below(self.online);
        {
            let mut s = self.sockets.lock().await;
            s.close(i);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ok = self.sockets.lock().await.open(i).await.is_ok();
        self.note("reconnect", ok, 0, "");
        if ok {
            self.sync(i, None).await;
        }
    }

    /// A multi-conversation `sync` of user `i` from the last seq they received live (or from `from`).
    async fn sync(&self, i: usize, from: Option<&BTreeMap<String, i64>>) {
        let mut convs = serde_json::Map::new();
        {
            let t = self.tracker.lock().unwrap();
            for c in self.convs.iter().filter(|c| c.members.contains(&i)) {
                let seq = match from {
                    Some(m) => match m.get(&c.cid) {
                        Some(s) => *s,
                        None => continue,
                    },
                    None => t.last_seq.get(&(i, c.cid.clone())).copied().unwrap_or(0),
                };
                convs.insert(c.cid.clone(), json!(seq));
            }
        }
        for chunk in convs.into_iter().collect::<Vec<_>>().chunks(100) {
            let map: serde_json::Map<String, Value> = chunk.iter().cloned().collect();
            self.sockets.lock().await.send(i, &json!({"action": "sync", "conversations": map, "limit": 200}));
        }
    }

    /// The churn member of a room of 10 leaves (removed by the owner) and is invited back.
    async fn churn(&self, rng: &mut Rng) {
        let rooms: Vec<&Conv> = self.convs.iter().filter(|c| c.churn.is_some()).collect();
        let c = rooms[rng.below(rooms.len())];
        let _one_at_a_time = c.lock.lock().await;
        let (owner, who) = (&self.tokens[c.owner], self.uids[c.churn.unwrap()].to_string());
        let r = self.http.shiku_as("/room/member/delete", owner, &[("roomId", &c.cid), ("userId", &who)]).await;
        self.note("room change", r.shiku_code() == 1, r.status, &r.text);
        let text = format!("[{who}]");
        let r = self.http.shiku_as("/room/member/update", owner, &[("roomId", &c.cid), ("text", &text)]).await;
        self.note("room change", r.shiku_code() == 1, r.status, &r.text);
    }

    /// Follow and unfollow between two online users.
    async fn follow(&self, rng: &mut Rng) {
        let (a, b) = (rng.below(self.online), rng.below(self.online));
        if a == b {
            return;
        }
        let to = self.uids[b].to_string();
        let r = self.http.shiku_as("/friends/attention/add", &self.tokens[a], &[("toUserId", &to)]).await;
        self.note("follow", r.shiku_code() == 1, r.status, &r.text);
        let r = self.http.shiku_as("/friends/attention/delete", &self.tokens[a], &[("toUserId", &to)]).await;
        self.note("follow", r.shiku_code() == 1, r.status, &r.text);
    }

    async fn op(&self, rng: &mut Rng) {
        let pick = |class: &str, rng: &mut Rng| {
            let v: Vec<&Conv> = self.convs.iter().filter(|c| c.class == class).collect();
            v[rng.below(v.len())]
        };
        match rng.below(100) {
            0..=44 => self.send(pick("1:1", rng), rng).await,
            45..=59 => self.send(pick("group 10", rng), rng).await,
            60..=67 => self.send(pick("group 100", rng), rng).await,
            68..=70 => self.send(pick("group big", rng), rng).await,
            71..=77 => self.recall(rng).await,
            78..=85 => self.reconnect(rng).await,
            86..=92 => self.churn(rng).await,
            _ => self.follow(rng).await,
        }
    }
}

#[tokio::main]
async fn main() {
    let online = env("LOAD_USERS", 500).max(20);
    let big = env("LOAD_BIG", 1000).max(online);
    let secs = env("LOAD_SECS", 300);
    let rate = env("LOAD_RATE", 4).max(1);
    let concurrency = env("LOAD_CONCURRENCY", 4).max(1);
    let nofile = bench::raise_fd_limit();
    eprintln!("load: {online} online users, big room {big}, {secs} s at {rate} ops/s ({concurrency} in flight)");
    let app = spawn_app().await;
    let t_setup = Instant::now();
    let accounts = bench::bench_users(&app.ctx, big, 16).await;
    let uids: Vec<i64> = accounts.iter().map(|a| a.0 .0).collect();
    let tokens: Vec<String> = accounts.iter().map(|a| a.1.clone()).collect();
    let ids = |r: std::ops::Range<usize>| r.map(|i| accounts[i].0).collect::<Vec<_>>();
    let mut convs = vec![];
    let conv = |cid: String, class, members: Vec<usize>, churn| Conv {
        cid,
        class,
        owner: members[0],
        members,
        churn,
        lock: Default::default(),
    };
    for p in 0..online / 4 {
        let (a, b) = (2 * p, 2 * p + 1);
        let (c, _) =
            shared::store::conversations::ensure_single(&app.ctx.db, app.ctx.now_ms(), accounts[a].0, accounts[b].0)
                .await
                .expect("1:1");
        convs.push(conv(c.id, "1:1", vec![a, b], None));
    }
    for g in 0..(online / 25).max(2) {
        let start = (g * 10) % (online - 10 + 1);
        let m = ids(start..start + 10);
        let cid = bench::bench_group(&app.ctx, m[0], &m[1..]).await;
        convs.push(conv(cid, "group 10", (start..start + 10).collect(), Some(start + 9)));
    }
    let size = 100.min(online);
    for g in 0..2 {
        let start = (g * size) % (online - size + 1);
        let m = ids(start..start + size);
        let cid = bench::bench_group(&app.ctx, m[0], &m[1..]).await;
        convs.push(conv(cid, "group 100", (start..start + size).collect(), None));
    }
    let m = ids(0..big);
    let cid = bench::bench_group(&app.ctx, m[0], &m[1..]).await;
    convs.push(conv(cid, "group big", (0..big).collect(), None));
    let (mut sockets, rx) = Sockets::new(&app.ws_url, tokens[..online].to_vec());
    for i in 0..online {
        sockets.open(i).await.expect("connect");
    }
    let setup_s = t_setup.elapsed().as_secs_f64();
    eprintln!("load: setup {setup_s:.0} s ({} conversations, {online} sockets)", convs.len());

    let tracker: Shared = Default::default();
    tokio::spawn(load::collect(rx, tracker.clone()));
    let run = Arc::new(Run {
        http: Http::new(&app),
        uids,
        tokens,
        online,
        convs,
        sockets: tokio::sync::Mutex::new(sockets),
        tracker: tracker.clone(),
        next: AtomicU64::new(0),
        stats: Default::default(),
    });
    let memory = Arc::new(Mutex::new(vec![(0u64, load::rss_kib())]));
    let stream_before = app.stream_stats();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs as u64);
    let sampler = {
        let memory = memory.clone();
        tokio::spawn(async move {
            while Instant::now() < end {
                tokio::time::sleep(Duration::from_secs(5)).await;
                memory.lock().unwrap().push((t0.elapsed().as_secs(), load::rss_kib()));
            }
        })
    };
    let ticks = Arc::new(tokio::sync::Mutex::new(tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64))));
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (run, ticks) = (run.clone(), ticks.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
                while Instant::now() < end {
                    ticks.lock().await.tick().await;
                    run.op(&mut rng).await;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let _ = sampler.await;
    let run_s = t0.elapsed().as_secs_f64();
    bench::wait_stream_idle(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Whoever missed a message live syncs from just before it: recovered, or lost.
    let first = load::outcome(&tracker.lock().unwrap());
    let mut from: BTreeMap<usize, BTreeMap<String, i64>> = BTreeMap::new();
    {
        let t = tracker.lock().unwrap();
        for (n, u) in &first.lost {
            let cid = t.sent[n].cid.clone();
            let seq = t.seq.get(n).map_or(0, |s| s - 1).max(0);
            let e = from.entry(*u).or_default().entry(cid).or_insert(seq);
            *e = (*e).min(seq);
        }
    }
    for (u, convs) in &from {
        if !run.sockets.lock().await.is_open(*u) {
            let _ = run.sockets.lock().await.open(*u).await;
        }
        run.sync(*u, Some(convs)).await;
    }
    if !from.is_empty() {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let o = load::outcome(&tracker.lock().unwrap());
    let stream_after = app.stream_stats();
    run.sockets.lock().await.close_all();

    let report =
        report(&run, &o, &memory.lock().unwrap(), (setup_s, run_s), (stream_before, stream_after), nofile, big);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("bench-results/load-latest.md");
    std::fs::write(&out, &report).expect("write report");
    println!("{report}");
    let s = run.stats.lock().unwrap();
    let ok = o.lost.is_empty() && o.duplicates == 0 && o.misdelivered == 0 && tracker.lock().unwrap().out_of_order == 0;
    if !ok || !s.server_errors.is_empty() {
        eprintln!("load: CHECKS FAILED (see {})", out.display());
        std::process::exit(1);
    }
}

fn report(
    run: &Run,
    o: &load::Outcome,
    memory: &[(u64, u64)],
    (setup_s, run_s): (f64, f64),
    (before, after): (local_gateway::streams::StreamStats, local_gateway::streams::StreamStats),
    nofile: u64,
    big: usize,
) -> String {
    let s = run.stats.lock().unwrap();
    let t = run.tracker.lock().unwrap();
    let mut r = String::new();
    let _ = writeln!(r, "# Load run (`make load`)\n");
    let _ = writeln!(
        r,
        "{} online users (sockets), big room {big} members, {:.0} s of traffic after {setup_s:.0} s setup; \
         debug/release: {}; fd limit {nofile}. Local stack in one process (DynamoDB Local on loopback).\n",
        run.online,
        run_s,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let _ = writeln!(r, "## Send → delivery (first frame per recipient)\n");
    let _ = writeln!(
        r,
        "| conversation | messages | deliveries | p50 ms | p99 ms | max ms | last recipient p50 / p99 ms |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|");
    for (class, (all, last)) in &o.latency {
        let (mut a, mut l) = (all.clone(), last.clone());
        a.sort_by(|x, y| x.total_cmp(y));
        l.sort_by(|x, y| x.total_cmp(y));
        let p = |v: &[f64], q: f64| if v.is_empty() { 0.0 } else { bench::pct(v, q) };
        let _ = writeln!(
            r,
            "| {class} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} / {:.0} |",
            o.sent.get(class).unwrap_or(&0),
            a.len(),
            p(&a, 0.5),
            p(&a, 0.99),
            a.last().copied().unwrap_or(0.0),
            p(&l, 0.5),
            p(&l, 0.99)
        );
    }
    let msgs: u64 = o.sent.values().sum();
    let _ = writeln!(
        r,
        "\nThroughput: {:.1} messages/s sent, {:.1} deliveries/s; {} operations in all.\n",
        msgs as f64 / run_s,
        o.delivered as f64 / run_s,
        s.ops.values().sum::<u64>()
    );
    let _ = writeln!(r, "## Checks\n");
    let _ = writeln!(r, "| check | result |\n|---|---|");
    let _ = writeln!(r, "| lost (not live, not through sync) | {} |", o.lost.len());
    let _ = writeln!(r, "| duplicated live deliveries | {} |", o.duplicates);
    let _ = writeln!(r, "| out of order (per recipient and conversation) | {} |", t.out_of_order);
    let _ = writeln!(r, "| misdelivered (to a non-member) | {} |", o.misdelivered);
    let _ =
        writeln!(r, "| missed live, recovered by sync (reconnects) | {} of {} |", o.recovered_by_sync, o.missed_live);
    let _ = writeln!(r, "| server errors (5xx) | {} |", s.server_errors.len());
    let _ = writeln!(r, "| error frames | {} |", t.error_frames.len());
    let _ = writeln!(r, "| recall frames received | {} |", t.recall_frames);
    let _ = writeln!(r, "\n## Operations\n\n| operation | count | refused/failed |\n|---|---|---|");
    for (op, n) in &s.ops {
        let _ = writeln!(r, "| {op} | {n} | {} |", s.failures.get(op).unwrap_or(&0));
    }
    let _ = writeln!(r, "\n## DynamoDB calls\n\n| path | calls per message |\n|---|---|");
    for (d, (n, calls)) in &s.send_calls {
        let _ = writeln!(
            r,
            "| {d} HTTP send (x-ddb-calls, token lookup included) | {:.1} (n={n}) |",
            *calls as f64 / (*n).max(1) as f64
        );
    }
    let (records, calls) = (after.records - before.records, after.ddb_calls - before.ddb_calls);
    let _ = writeln!(
        r,
        "| delivery (stream consumer: all records, messages and recalls) | {:.2} per record ({calls} calls, {records} records, {} batches) |",
        calls as f64 / records.max(1) as f64,
        after.batches - before.batches
    );
    let _ = writeln!(r, "\n## Memory (this process: gateway, functions, clients), RSS MiB\n");
    let first = memory.first().map_or(0, |m| m.1);
    let max = memory.iter().map(|m| m.1).max().unwrap_or(0);
    let last = memory.last().map_or(0, |m| m.1);
    let _ = writeln!(
        r,
        "start {:.0}, max {:.0}, end {:.0} (samples every 5 s: {})",
        first as f64 / 1024.0,
        max as f64 / 1024.0,
        last as f64 / 1024.0,
        memory.len()
    );
    let series: Vec<String> = memory
        .iter()
        .step_by((memory.len() / 12).max(1))
        .map(|(t, k)| format!("{t}s {:.0}", *k as f64 / 1024.0))
        .collect();
    let _ = writeln!(r, "\n{}", series.join(" · "));
    if !s.server_errors.is_empty() {
        let _ = writeln!(r, "\n## Server errors\n\n```\n{}\n```", s.server_errors.join("\n"));
    }
    if !s.refusals.is_empty() {
        let _ = writeln!(r, "\n## First refusals (status 0: a WebSocket op)\n\n```\n{}\n```", s.refusals.join("\n"));
    }
    if !o.lost.is_empty() {
        let _ = writeln!(r, "\nLost (message, user): {:?}", o.lost.iter().take(20).collect::<Vec<_>>());
    }
    r
}
