//! `GET /_local/stats` (the stack's counters for a load generator in another process) and
//! `local-stack` on someone else's backends (`DDB_ENDPOINT` / `S3_ENDPOINT`), as `make load`
//! runs it.

use local_gateway::testing::{backends, spawn_app};
use local_gateway::LocalStats;
use serde_json::Value;
use shared::store::tokens;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn stats(http_url: &str) -> LocalStats {
    let r = reqwest::get(format!("{http_url}/_local/stats")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().await.unwrap()
}

async fn eventually(what: &str, f: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn stats_count_connections_and_stream_records_of_this_gateway() {
    let app = spawn_app().await;
    let s = stats(&app.http_url).await;
    // The gateway of spawn_app runs in this process, which installs no panic counter.
    assert_eq!((s.pid, s.ws_connections, s.ws_tasks), (std::process::id(), 0, 0));
    assert_eq!((s.panics_counted, s.panics, s.dead_letters), (false, 0, 0));

    let token =
        tokens::issue(&app.ctx.db, app.ctx.now_secs(), shared::UserId(7), tokens::SHIKU_TTL, None).await.unwrap().token;
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}/?access_token={token}", app.ws_url)).await.unwrap();
    eventually("one connection", async || stats(&app.http_url).await.ws_connections == 1).await;

    // A record delivery reads (`ev` set) is counted as the test hook counts it.
    let before = stats(&app.http_url).await.stream.records;
    let db = &app.ctx.db;
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    let put = db.client.put_item().table_name(&db.table).item("pk", s("LSTATS#1")).item("sk", s("A"));
    put.item("ev", s("stats")).send().await.unwrap();
    eventually("the record delivered", async || stats(&app.http_url).await.stream.records > before).await;
    assert_eq!(stats(&app.http_url).await.stream, app.stream_stats());

    drop(ws);
    eventually("the connection gone", async || stats(&app.http_url).await.ws_connections == 0).await;

    // Only GET: anything else is the API's (the $default route's Shiku envelope).
    let r = reqwest::Client::new().post(format!("{}/_local/stats", app.http_url)).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(body.get("pid").is_none() && body["resultCode"].is_i64(), "{body}");
}

#[tokio::test]
async fn local_stack_runs_on_given_backends_with_its_panics_counted_and_leaves_them_running() {
    let b = tokio::task::spawn_blocking(backends).await.unwrap().unwrap();
    let log = std::env::temp_dir().join(format!("local-stats-test-{}.log", std::process::id()));
    let out = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .env("HTTP_PORT", "0")
        .env("WS_PORT", "0")
        .env("DDB_ENDPOINT", &b.ddb_endpoint)
        .env("S3_ENDPOINT", &b.s3_endpoint)
        .env("TABLE_NAME", format!("tstats{}", std::process::id()))
        .env("BUCKET_NAME", format!("bstats{}", std::process::id()))
        .env("SDK_TIMEOUTS", "tests")
        .env("RUST_LOG", "warn")
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let http_url = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(l) = text.lines().find(|l| l.starts_with("ready: ")) {
            assert!(l.contains(&format!("dynamodb={}", b.ddb_endpoint)), "{l}");
            break l.split_whitespace().find_map(|w| w.strip_prefix("http=")).unwrap().to_string();
        }
        assert!(child.try_wait().unwrap().is_none(), "local-stack exited:\n{text}");
        assert!(Instant::now() < deadline, "local-stack not ready:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!std::fs::read_to_string(&log).unwrap().contains("starting DynamoDB Local"));
    let s = stats(&http_url).await;
    assert_eq!((s.pid, s.panics_counted, s.panics), (child.id(), true, 0));

    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(status.success(), "{status}: {}", std::fs::read_to_string(&log).unwrap());
    // The backends are not its own: still answering.
    let r = reqwest::get(&b.ddb_endpoint).await;
    assert!(r.is_ok(), "DynamoDB Local stopped with the stack: {r:?}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_bad_sdk_timeouts_value_fails_the_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .env("SDK_TIMEOUTS", "fast")
        .env("HTTP_PORT", "0")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SDK_TIMEOUTS=\"fast\""), "{out:?}");
}
