//! `make bench`: baseline numbers written to bench-results/latest.md.
//! - stripped release size of every function binary and process start → first answered
//!   invocation (a minimal Lambda Runtime API serves one event), before the size work and after,
//!   in the same run (tests/src/bench/baseline.rs; "before": tests/bench-before.sh)
//! - p50/p99 of Shiku login and of a Minxing 1:1 send through the local gateway
//! - DynamoDB calls per request of each slice endpoint (gateway header `x-ddb-calls`)
//! - messaging (`tests/src/bench/`): (a) group vs 1:1 send latency, (b) fan-out to a
//!   1000-member group on real WebSockets, (c) our fan-out vs a Scan of every
//!   connection, (d) sync after N missed messages
//!
//! - `feed` (only when asked for): following page with 500 follows, a post's fan-out to 500 fans
//! - `broadcast` (only when asked for): a public account's mass send to 10 000 fans
//! - `connect` (only when asked for): `$connect`/`$disconnect` of a user in 10 … 2000 groups
//! - `storm` (only when asked for): every socket of 1000 users in 50 rooms each dropped and
//!   reconnected within 10 s while sends go on (tests/src/bench/storm.rs)
//! - `bigroom` (only when asked for): a 10 000-member room with every member online, fanned
//!   out in parts (tests/src/bench/big_room.rs)
//!
//! `BENCH_SECTIONS` (default `baseline,a,b,c,d`) picks sections; sizes: see tests/src/bench/mod.rs.
//! Output: `bench-results/$BENCH_OUT`; default `latest.md` (the baseline run), except a run of
//! the `feed` section alone, which writes `feed-latest.md` and leaves the baseline alone (and
//! of `broadcast` alone: `broadcast-latest.md`; of `connect` alone: `connect-latest.md`; of `storm` alone: `storm-latest.md`; of `bigroom` alone: `bigroom-latest.md`).

#[path = "../bench/mod.rs"]
mod bench;

use e2e::*;
use std::fmt::Write as _;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let sections = std::env::var("BENCH_SECTIONS").unwrap_or_else(|_| "baseline,a,b,c,d".into());
    let want = |s: &str| sections.split(',').any(|x| x.trim() == s);
    // A run of one solo section alone writes its own file and runs on the first table.
    let alone = SOLO.iter().find(|s| sections.split(',').all(|x| x.trim() == s.name));
    let out_name = std::env::var("BENCH_OUT")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| alone.map_or("latest.md", |s| s.file).into());
    let title = alone.map_or("Benchmark baseline", |s| s.title);
    let mut out = String::new();
    writeln!(out, "# {title}\n").unwrap();
    writeln!(
        out,
        "Machine: {} cores; local stack (DynamoDB Local, moto S3, local gateway) on loopback.\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    )
    .unwrap();

    let t = Instant::now();
    let app = spawn_app().await;
    let stack_ms = t.elapsed().as_secs_f64() * 1000.0;
    if want("baseline") {
        out.push_str(&bench::baseline::run(&app, stack_ms).await);
    }
    // (c) and (d) on their own table first: DynamoDB Local slows down once (a) and (b)
    // have filled it, and (c) loads 10,000 connection records.
    let mut cd = String::new();
    if want("c") || want("d") {
        let app = spawn_app().await;
        if want("c") {
            eprintln!("==> (c) our fan-out vs Scan of every connection");
            cd.push_str(&bench::scan_compare::run(&app).await);
        }
        if want("d") {
            eprintln!("==> (d) sync after missed messages");
            cd.push_str(&bench::sync::run(&app).await);
        }
    }
    if want("a") || want("b") {
        eprintln!("==> messaging: big group");
        let g = bench::group_send::BigGroup::create(&app).await;
        if want("a") {
            eprintln!("==> (a) group vs 1:1 send latency");
            out.push_str(&bench::group_send::run(&app, &g).await);
        }
        if want("b") {
            eprintln!("==> (b) fan-out to every member's WebSocket");
            out.push_str(&bench::fanout::run(&app, &g).await);
        }
    }
    // Sections in the order a, b, c, d.
    out.push_str(&cd);
    for s in SOLO.iter().filter(|s| want(s.name)) {
        // On its own table (the first one when it runs alone).
        eprintln!("==> {}: {}", s.name, s.what);
        let own;
        let app = if alone.is_some() {
            &app
        } else {
            own = spawn_app().await;
            &own
        };
        out.push_str(&run_solo(s.name, app).await);
    }
    let dir = bench::root().join("bench-results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&out_name), &out).unwrap();
    println!("{out}");
    eprintln!("==> written to bench-results/{out_name}");
}

/// A section that runs only when asked for, on a table of its own.
struct Solo {
    name: &'static str,
    /// Output file when it runs alone.
    file: &'static str,
    title: &'static str,
    what: &'static str,
}

const SOLO: [Solo; 5] = [
    Solo {
        name: "feed",
        file: "feed-latest.md",
        title: "Benchmark: feed (issue 12 §5)",
        what: "following page with 500 follows, fan-out to 500 fans",
    },
    Solo {
        name: "broadcast",
        file: "broadcast-latest.md",
        title: "Benchmark: mass send (issue 13)",
        what: "a public account's mass send to its fans",
    },
    Solo {
        name: "connect",
        file: "connect-latest.md",
        title: "Benchmark: connect cost (issue 16)",
        what: "$connect/$disconnect of a user in N groups",
    },
    Solo {
        name: "storm",
        file: "storm-latest.md",
        title: "Benchmark: reconnect storm (issue 16)",
        what: "every socket dropped and reconnected",
    },
    Solo {
        name: "bigroom",
        file: "bigroom-latest.md",
        title: "Benchmark: a 10 000-member room (issue 16)",
        what: "a room with every member online, fanned out in parts",
    },
];

async fn run_solo(name: &str, app: &TestApp) -> String {
    match name {
        "feed" => bench::feed::run(app).await,
        "broadcast" => bench::broadcast::run(app).await,
        "connect" => bench::connect::run(app).await,
        "storm" => bench::storm::run(app).await,
        "bigroom" => bench::big_room::run(app).await,
        other => unreachable!("no solo section {other}"),
    }
}
