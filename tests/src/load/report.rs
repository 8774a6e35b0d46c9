//! The `make load` report (bench-results/load-latest.md); a child module of the `load` binary
//! (tests/src/bin/load.rs), so it reads the run's private state.

use super::{bench, load, Run};
use std::fmt::Write as _;

pub fn report(
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
