//! The `make load` report (bench-results/load-latest.md); a child module of the `load` binary
//! (tests/src/bin/load.rs), so it reads the run's private state.

use super::{bench, load, Run};
use e2e::soak::{proc_memory, warm_up, Mem, Sample, Verdict};
use local_gateway::LocalStats;
use std::fmt::Write as _;
use std::time::Duration;

/// Memory samples of the stack and of this process (the generator) over the soak.
#[derive(Default)]
pub struct Memory {
    pub stack: Vec<Sample>,
    pub load: Vec<Sample>,
    /// The stack's after the traffic, the stream idle.
    pub idle: Option<Mem>,
    pub verdict: Option<Verdict>,
}

impl Memory {
    /// Read both processes `t` s into the soak.
    pub fn sample(&mut self, t: f64, stack_pid: u32) {
        if let Some(mem) = proc_memory(Some(stack_pid)) {
            self.stack.push(Sample { t, mem });
        }
        if let Some(mem) = proc_memory(None) {
            self.load.push(Sample { t, mem });
        }
    }
}

/// The stack's side of a run.
pub struct StackRun {
    pub pid: u32,
    /// `GET /_local/stats` as the soak began and once it was over.
    pub before: LocalStats,
    pub after: LocalStats,
    /// The stack died or stopped answering its stats.
    pub error: Option<String>,
    pub memory: Memory,
    pub soak: Duration,
    /// The verdict's threshold, MiB/min (LOAD_MEM_SLOPE).
    pub threshold: f64,
    /// `/proc/loadavg` at the start and at the end.
    pub loadavg: (String, String),
    /// Whether the memory verdict counts (not in the fault run).
    pub judged: bool,
}

impl StackRun {
    /// The stack's panics, as the report lists them.
    pub fn panics(&self) -> Vec<String> {
        let mut p: Vec<String> = self.after.first_panics.iter().map(|p| format!("stack: {p}")).collect();
        if self.after.panics > p.len() as u64 {
            p.push(format!("stack: {} more panics", self.after.panics - p.len() as u64));
        }
        if !self.after.panics_counted && self.error.is_none() {
            p.push("stack: its panics are not counted (not the local-stack binary?)".into());
        }
        p
    }

    /// The memory verdict passed (or there is none: a soak too short to judge).
    pub fn flat(&self) -> bool {
        self.memory.verdict.as_ref().is_none_or(|v| v.flat)
    }
}

pub fn report(
    run: &Run,
    o: &load::Outcome,
    stack: &StackRun,
    (setup_s, run_s): (f64, f64),
    nofile: u64,
    big: usize,
) -> String {
    let (before, after) = (stack.before.stream, stack.after.stream);
    let s = run.stats.lock().unwrap();
    let t = run.tracker.lock().unwrap();
    let mut r = String::new();
    let _ = writeln!(r, "# Load run (`make load`)\n");
    let _ = writeln!(
        r,
        "{} online users (sockets), big room {big} members, {:.0} s of traffic after {setup_s:.0} s setup; \
         debug/release: {}; fd limit {nofile}. The stack (`local-stack`: gateway and every function, pid {}) in \
         its own process, the load generator in another, DynamoDB Local and the S3 emulator in theirs, all on \
         loopback. Load average (1/5/15 min; {} cores, shared with other work) {} at the start, {} at the end.\n",
        run.online,
        run_s,
        if cfg!(debug_assertions) { "debug" } else { "release" },
        stack.pid,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        stack.loadavg.0,
        stack.loadavg.1,
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
    let _ = writeln!(r, "| panics in the stack | {} |", stack.after.panics);
    if let Some(e) = &stack.error {
        let _ = writeln!(r, "| stack process | {e} |");
    }
    let _ = writeln!(r, "| stack memory flat ({}) | {} |", criterion(stack), verdict_text(stack));
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
    let (records, calls) =
        (after.records.saturating_sub(before.records), after.ddb_calls.saturating_sub(before.ddb_calls));
    let _ = writeln!(
        r,
        "| delivery (stream consumer: all records, messages and recalls) | {:.2} per record ({calls} calls, {records} records, {} batches) |",
        calls as f64 / records.max(1) as f64,
        after.batches.saturating_sub(before.batches)
    );
    memory(&mut r, stack);
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

fn criterion(stack: &StackRun) -> String {
    format!("VmRSS slope over the soak's second half < {} MiB/min", stack.threshold)
}

fn verdict_text(stack: &StackRun) -> String {
    match &stack.memory.verdict {
        None => "not judged: too few samples".into(),
        Some(v) => format!(
            "{:+.2} MiB/min over {:.0}–{:.0} s ({} samples): {}{}",
            v.slope_mib_min,
            v.from,
            v.to,
            v.n,
            if v.flat { "flat" } else { "GROWING" },
            if stack.judged { "" } else { " (reported, not judged: the fault run's outages fall in that half)" }
        ),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// One process's row: VmRSS at the start, then after the warm-up (first, min, max, last and
/// the slope), VmHWM at the end.
fn row(r: &mut String, what: &str, samples: &[Sample], warm: f64) {
    let v: Vec<&Sample> = samples.iter().filter(|s| s.t >= warm).collect();
    let all: Vec<u64> = v.iter().map(|s| s.mem.rss_kib).collect();
    let slope = e2e::soak::slope_mib_min(&v).map_or("-".into(), |s| format!("{s:+.2}"));
    let _ = writeln!(
        r,
        "| {what} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {slope} | {:.1} |",
        mib(samples.first().map_or(0, |s| s.mem.rss_kib)),
        mib(*all.first().unwrap_or(&0)),
        mib(*all.iter().min().unwrap_or(&0)),
        mib(*all.iter().max().unwrap_or(&0)),
        mib(*all.last().unwrap_or(&0)),
        mib(samples.last().map_or(0, |s| s.mem.hwm_kib)),
    );
}

/// Every `k`-th sample after the warm-up (about 15), "t s MiB".
fn series(samples: &[Sample], warm: f64) -> String {
    let v: Vec<&Sample> = samples.iter().filter(|s| s.t >= warm).collect();
    let step = v.len().div_ceil(15).max(1);
    let mut picked: Vec<&Sample> = v.iter().copied().step_by(step).collect();
    if let (Some(last), Some(p)) = (v.last(), picked.last()) {
        if last.t != p.t {
            picked.push(last);
        }
    }
    picked.iter().map(|s| format!("{:.0}s {:.1}", s.t, mib(s.mem.rss_kib))).collect::<Vec<_>>().join(" · ")
}

fn memory(r: &mut String, stack: &StackRun) {
    let m = &stack.memory;
    let warm = warm_up(stack.soak);
    let _ = writeln!(r, "\n## Memory over the soak (MiB; samples every 2 s, the first {warm:.0} s are warm-up)\n");
    let _ = writeln!(
        r,
        "| process | RSS at 0 s | after warm-up | min | max | end | slope after warm-up, MiB/min | VmHWM at the end |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|---|");
    row(r, "stack (local-stack)", &m.stack, warm);
    row(r, "load generator (clients, tracker)", &m.load, warm);
    let _ = writeln!(r, "\nVerdict for the stack: {} → {}.", criterion(stack), verdict_text(stack));
    if let Some(v) = &m.verdict {
        let _ = writeln!(
            r,
            "Mean VmRSS of the soak's second third {:.1} MiB, last third {:.1} MiB ({:+.1} %).",
            v.second_third_mib,
            v.last_third_mib,
            (v.last_third_mib / v.second_third_mib - 1.0) * 100.0
        );
    }
    if let Some(idle) = m.idle {
        let _ = writeln!(
            r,
            "Stack after the traffic (stream idle, final syncs done, sockets still open): VmRSS {:.1}, VmHWM {:.1}.",
            mib(idle.rss_kib),
            mib(idle.hwm_kib)
        );
    }
    let (b, a) = (&stack.before, &stack.after);
    let _ = writeln!(
        r,
        "Stack state, soak start → end: {} → {} WebSocket connections, {} → {} connection tasks, {} → {} dead letters.",
        b.ws_connections, a.ws_connections, b.ws_tasks, a.ws_tasks, b.dead_letters, a.dead_letters
    );
    let _ = writeln!(r, "\nStack VmRSS: {}\n", series(&m.stack, warm));
    let _ = writeln!(r, "Generator VmRSS: {}", series(&m.load, warm));
}
