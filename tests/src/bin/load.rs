//! `make load`: sustained mixed traffic of all four dialects against the local stack, bounded
//! in time, then the checks. The stack (`local-stack`: the gateway and every function) runs as
//! a child process on DynamoDB Local and the S3 emulator this process starts, so its memory
//! is measured apart from the generator's (load/stack.rs). Loopback only; stops by itself.
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
//! 5xx, 0 panics in the stack, the stack's memory flat over the soak (e2e::soak: the slope of
//! its VmRSS over the soak's second half under LOAD_MEM_SLOPE MiB/min, default 1; not judged
//! in the fault run, whose outages fall in that half), the generator's memory beside it.
//! Sends in one conversation are serialized (each waits for its answer or ack), so "order
//! kept" is a fair check.

#[allow(dead_code)]
#[path = "../bench/mod.rs"]
mod bench;
#[path = "../load/mod.rs"]
mod load;
#[path = "../load/report.rs"]
mod report;

use e2e::*;
use load::{marker, Sent, Shared, Sockets};
use serde_json::{json, Value};
use std::collections::BTreeMap;
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
    /// When each 5xx came (the fault run expects them only during its outages).
    server_error_at: Vec<Instant>,
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
    /// The fault run (`LOAD_FAULTS=1`): an unanswered send may still have been stored.
    faults: bool,
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
        if status >= 500 {
            s.server_error_at.push(Instant::now());
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
            // Refused or timed out: nobody must receive it (a late frame counts as misdelivered);
            // in the fault run a send that timed out may have been stored: tolerated, not expected.
            let mut t = self.tracker.lock().unwrap();
            if let Some(s) = t.sent.get_mut(&n) {
                let expected = std::mem::take(&mut s.expected);
                if self.faults {
                    s.tolerated.extend(expected);
                }
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
    let faults = std::env::var("LOAD_FAULTS").is_ok_and(|v| v == "1");
    let online = env("LOAD_USERS", if faults { 60 } else { 500 }).max(20);
    let big = env("LOAD_BIG", if faults { 100 } else { 1000 }).max(online);
    let secs = env("LOAD_SECS", if faults { 120 } else { 300 });
    let rate = env("LOAD_RATE", 4).max(1);
    let concurrency = env("LOAD_CONCURRENCY", 4).max(1);
    let slope_max = std::env::var("LOAD_MEM_SLOPE").ok().and_then(|v| v.parse().ok()).unwrap_or(1.0);
    let nofile = bench::raise_fd_limit();
    let loadavg_start = loadavg();
    eprintln!("load: {online} online users, big room {big}, {secs} s at {rate} ops/s ({concurrency} in flight)");
    let (backends, panics, plan) = start_backends(faults).await;
    // The fault run keeps the deployed functions' SDK timeouts (it checks nothing hangs).
    let mut stack = match load::stack::Stack::start(&backends, faults).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(1);
        }
    };
    let ctx = stack.ctx.clone();
    let t_setup = Instant::now();
    let accounts = bench::bench_users(&ctx, big, 16).await;
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
        let (c, _) = shared::store::conversations::ensure_single(&ctx.db, ctx.now_ms(), accounts[a].0, accounts[b].0)
            .await
            .expect("1:1");
        convs.push(conv(c.id, "1:1", vec![a, b], None));
    }
    for g in 0..(online / 25).max(2) {
        let start = (g * 10) % (online - 10 + 1);
        let m = ids(start..start + 10);
        let cid = bench::bench_group(&ctx, m[0], &m[1..]).await;
        convs.push(conv(cid, "group 10", (start..start + 10).collect(), Some(start + 9)));
    }
    let size = 100.min(online);
    for g in 0..2 {
        let start = (g * size) % (online - size + 1);
        let m = ids(start..start + size);
        let cid = bench::bench_group(&ctx, m[0], &m[1..]).await;
        convs.push(conv(cid, "group 100", (start..start + size).collect(), None));
    }
    let m = ids(0..big);
    let cid = bench::bench_group(&ctx, m[0], &m[1..]).await;
    convs.push(conv(cid, "group big", (0..big).collect(), None));
    let (mut sockets, rx) = Sockets::new(&stack.ws_url, tokens[..online].to_vec());
    for i in 0..online {
        sockets.open(i).await.expect("connect");
    }
    let setup_s = t_setup.elapsed().as_secs_f64();
    eprintln!("load: setup {setup_s:.0} s ({} conversations, {online} sockets)", convs.len());

    let tracker: Shared = Default::default();
    tokio::spawn(load::collect(rx, tracker.clone()));
    let run = Arc::new(Run {
        http: Http::at(&stack.http_url),
        uids,
        tokens,
        online,
        convs,
        sockets: tokio::sync::Mutex::new(sockets),
        tracker: tracker.clone(),
        next: AtomicU64::new(0),
        stats: Default::default(),
        faults,
    });
    let probe_users = bench::bench_users(&ctx, 2, 2).await;
    let stats_before = stack.stats().await.expect("stack stats");
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(secs as u64);
    let memory = Arc::new(Mutex::new(report::Memory::default()));
    memory.lock().unwrap().sample(0.0, stack.pid);
    let driver = match &plan {
        Some(plan) => {
            let (p, q) = (&probe_users[0], &probe_users[1]);
            let (c, _) = shared::store::conversations::ensure_single(&ctx.db, ctx.now_ms(), p.0, q.0)
                .await
                .expect("probe conversation");
            let gid = bench::bench_group(&ctx, p.0, &[q.0]).await;
            let ws = Ws::connect_to(&stack.ws_url, &q.1).await.expect("probe socket");
            let http = Http::at(&stack.http_url);
            let prober = load::fault::Prober::new(http, p.1.clone(), q.0 .0, (c.id, gid), ws, t0);
            Some(tokio::spawn(prober.drive(backends.clone(), *plan, end)))
        }
        None => None,
    };
    let hangs = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (memory, pid) = (memory.clone(), stack.pid);
        tokio::spawn(async move {
            while Instant::now() < end {
                tokio::time::sleep(Duration::from_secs(2)).await;
                memory.lock().unwrap().sample(t0.elapsed().as_secs_f64(), pid);
            }
        })
    };
    let ticks = Arc::new(tokio::sync::Mutex::new(tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64))));
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (run, ticks, hangs) = (run.clone(), ticks.clone(), hangs.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
                while Instant::now() < end {
                    ticks.lock().await.tick().await;
                    // Bounded: an operation waits for its answer (10 s at most for an ack) and
                    // for at most a few others on its conversation.
                    if tokio::time::timeout(Duration::from_secs(45), run.op(&mut rng)).await.is_err() {
                        hangs.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let _ = sampler.await;
    let fault_log = match driver {
        Some(d) => Some(d.await.expect("fault driver")),
        None => None,
    };
    let run_s = t0.elapsed().as_secs_f64();
    stack.wait_stream_idle().await;
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
    // The stack's side: its counters and its memory once the traffic is over (still running).
    let stats_after = stack.stats().await;
    let gone = stack.exited();
    {
        let mut m = memory.lock().unwrap();
        m.idle = stack.memory();
        m.verdict = e2e::soak::verdict(&m.stack, Duration::from_secs(secs as u64), slope_max);
    }
    run.sockets.lock().await.close_all();

    let stack_run = report::StackRun {
        pid: stack.pid,
        before: stats_before,
        after: stats_after.clone().unwrap_or_default(),
        error: gone.map(|s| format!("the stack exited during the run ({s})")).or(stats_after.err()),
        memory: std::mem::take(&mut *memory.lock().unwrap()),
        soak: Duration::from_secs(secs as u64),
        threshold: slope_max,
        loadavg: (loadavg_start, loadavg()),
        judged: !faults,
    };
    let mut report = report::report(&run, &o, &stack_run, (setup_s, run_s), nofile, big);
    let mut fault_ok = true;
    if let (Some(log), Some(plan)) = (&fault_log, &plan) {
        let log = log.lock().unwrap();
        let outside = run
            .stats
            .lock()
            .unwrap()
            .server_error_at
            .iter()
            .filter(|at| !load::fault::in_window(&log.windows, at.duration_since(t0).as_secs_f64(), 5.0))
            .count() as u64;
        let mut panics = panics.lock().map(|p| p.clone()).unwrap_or_default();
        panics.extend(stack_run.panics());
        let (text, ok) = load::fault::report(&log, plan, &panics, hangs.load(Ordering::Relaxed), outside);
        report = report.replacen("# Load run (`make load`)", "# Fault run (`make fault`)", 1) + "\n" + &text;
        fault_ok = ok;
    }
    let name = if faults { "bench-results/fault-latest.md" } else { "bench-results/load-latest.md" };
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join(name);
    std::fs::write(&out, &report).expect("write report");
    println!("{report}");
    let s = run.stats.lock().unwrap();
    let ok = o.lost.is_empty() && o.duplicates == 0 && o.misdelivered == 0 && tracker.lock().unwrap().out_of_order == 0;
    // The fault run expects 5xx during its outages (its own check counts those outside them).
    let stack_ok = stack_run.error.is_none() && (faults || (stack_run.panics().is_empty() && stack_run.flat()));
    let log = stack.log.clone();
    if let Some(e) = &stack_run.error {
        eprintln!("load: {e}; the end of its log:\n{}", stack.log_tail());
    }
    eprintln!("load: stack stopped: {}", stack.stop());
    let dir = backends.log_dir.parent().map(|d| d.to_path_buf());
    drop(backends);
    if let Some(d) = dir.filter(|_| faults) {
        let _ = std::fs::remove_dir_all(d);
    }
    if !ok || !fault_ok || !stack_ok || (!faults && !s.server_errors.is_empty()) {
        eprintln!("load: CHECKS FAILED (see {}; the stack's log: {})", out.display(), log.display());
        std::process::exit(1);
    }
    let _ = std::fs::remove_file(log);
}

/// The load average now (`/proc/loadavg`: 1, 5 and 15 minutes): the machine is shared.
fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// The backends (DynamoDB Local, the S3 emulator), this process's own so the fault run can
/// stop, start and freeze them under the stack; the fault run's DynamoDB Local is file-backed
/// in a temp dir, so a restart keeps the table. Also a panic hook counting this process's
/// panics (the stack's come from `GET /_local/stats`).
async fn start_backends(
    faults: bool,
) -> (Arc<local_gateway::Backends>, Arc<Mutex<Vec<String>>>, Option<load::fault::Plan>) {
    let plan = faults.then(|| load::fault::Plan::from_env(env));
    let dir = faults.then(|| std::env::temp_dir().join(format!("fault-run-{}", std::process::id())));
    let cfg = local_gateway::BackendsConfig { data_dir: dir, ..Default::default() };
    let backends = tokio::task::spawn_blocking(move || local_gateway::Backends::start(cfg))
        .await
        .expect("backends thread")
        .expect("backends");
    let panics: Arc<Mutex<Vec<String>>> = Default::default();
    let seen = panics.clone();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        if let Ok(mut p) = seen.lock() {
            p.push(format!("load: [{thread}] {info}"));
        }
        default(info);
    }));
    (Arc::new(backends), panics, plan)
}
