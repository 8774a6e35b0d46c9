//! `make bench`: baseline numbers written to bench-results/latest.md.
//! - stripped release size of every function binary
//! - process start → first answered invocation (a minimal Lambda Runtime API serves one event)
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
use serde_json::json;
use shared::auth::md5_hex;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FUNCTIONS: &[&str] = &[
    "system",
    "auth",
    "users",
    "contacts",
    "groups",
    "chat",
    "feed",
    "files",
    "org",
    "accounts",
    "mail",
    "admin",
    "wallet",
    "integrations",
    "realtime",
    "delivery",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summarize(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    format!("p50 {:.1} ms, p99 {:.1} ms, n={}", pct(&v, 0.5), pct(&v, 0.99), v.len())
}

/// One invocation through a minimal Lambda Runtime API: returns ms from spawn to response.
async fn cold_start(bin: &Path, event: serde_json::Value, env: &[(&str, String)]) -> Option<f64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok()?;
    let port = listener.local_addr().ok()?.port();
    let start = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("RUST_LOG", "error")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let body = event.to_string();
    let mut served = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Ok(Ok((mut sock, _))) = tokio::time::timeout(Duration::from_secs(20), listener.accept()).await else {
            break;
        };
        let mut buf = vec![0u8; 65536];
        let n = sock.read(&mut buf).await.ok()?;
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        if head.starts_with("GET /2018-06-01/runtime/invocation/next") {
            if served {
                // Park the runtime's next poll; we are done.
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                let _ = child.kill().await;
                return Some(ms);
            }
            served = true;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-1\r\nLambda-Runtime-Deadline-Ms: {}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\nContent-Length: {}\r\n\r\n{}",
                shared::clock::Clock::now_ms(&shared::clock::SystemClock) + 30_000,
                body.len(),
                body
            );
            sock.write_all(resp.as_bytes()).await.ok()?;
        } else if head.starts_with("POST /2018-06-01/runtime/invocation/req-1/") {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let _ = sock.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n").await;
            let _ = child.kill().await;
            // An error report (the event did not deserialize, the handler failed) is no answer.
            return head.starts_with("POST /2018-06-01/runtime/invocation/req-1/response").then_some(ms);
        } else {
            let _ = sock.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n").await;
        }
    }
    let _ = child.kill().await;
    None
}

/// The event of a function's first invocation in the start-up measure.
fn first_event(function: &str) -> serde_json::Value {
    match function {
        "realtime" => json!({
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "benchConn0001=",
                "requestId": "r", "apiId": "bench", "stage": "ws", "domainName": "bench", "connectedAt": 0,
                "requestTimeEpoch": 0, "identity": {"sourceIp": "127.0.0.1"}},
            "isBase64Encoded": false
        }),
        "delivery" => json!({"Records": []}),
        "system" => http_event("GET", "/config"),
        _ => http_event("GET", "/user/get"),
    }
}

fn http_event(method: &str, path: &str) -> serde_json::Value {
    json!({
        "version": "2.0", "routeKey": format!("ANY {path}"), "rawPath": path, "rawQueryString": "",
        "headers": {"host": "bench"}, "isBase64Encoded": false,
        "requestContext": {"accountId": "000000000000", "apiId": "bench", "domainName": "bench", "domainPrefix": "bench",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": "r", "routeKey": format!("ANY {path}"), "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0}
    })
}

#[tokio::main]
async fn main() {
    let sections = std::env::var("BENCH_SECTIONS").unwrap_or_else(|_| "baseline,a,b,c,d".into());
    let want = |s: &str| sections.split(',').any(|x| x.trim() == s);
    let feed_only = sections.split(',').all(|x| x.trim() == "feed");
    let broadcast_only = sections.split(',').all(|x| x.trim() == "broadcast");
    let connect_only = sections.split(',').all(|x| x.trim() == "connect");
    let storm_only = sections.split(',').all(|x| x.trim() == "storm");
    let bigroom_only = sections.split(',').all(|x| x.trim() == "bigroom");
    let out_name = std::env::var("BENCH_OUT").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        if feed_only {
            "feed-latest.md"
        } else if broadcast_only {
            "broadcast-latest.md"
        } else if connect_only {
            "connect-latest.md"
        } else if storm_only {
            "storm-latest.md"
        } else if bigroom_only {
            "bigroom-latest.md"
        } else {
            "latest.md"
        }
        .into()
    });
    let mut out = String::new();
    let title = if feed_only {
        "Benchmark: feed (issue 12 §5)"
    } else if broadcast_only {
        "Benchmark: mass send (issue 13)"
    } else if connect_only {
        "Benchmark: connect cost (issue 16)"
    } else if storm_only {
        "Benchmark: reconnect storm (issue 16)"
    } else if bigroom_only {
        "Benchmark: a 10 000-member room (issue 16)"
    } else {
        "Benchmark baseline"
    };
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
        baseline(&mut out, &app, stack_ms).await;
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
    if want("feed") {
        // On its own table, like (c) and (d) (the first one when it runs alone).
        eprintln!("==> feed: following page with 500 follows, fan-out to 500 fans");
        if feed_only {
            out.push_str(&bench::feed::run(&app).await);
        } else {
            out.push_str(&bench::feed::run(&spawn_app().await).await);
        }
    }
    if want("broadcast") {
        // On its own table (the first one when it runs alone).
        eprintln!("==> broadcast: a public account's mass send to its fans");
        if broadcast_only {
            out.push_str(&bench::broadcast::run(&app).await);
        } else {
            out.push_str(&bench::broadcast::run(&spawn_app().await).await);
        }
    }
    if want("connect") {
        // On its own table (the first one when it runs alone).
        eprintln!("==> connect: $connect/$disconnect of a user in N groups");
        if connect_only {
            out.push_str(&bench::connect::run(&app).await);
        } else {
            out.push_str(&bench::connect::run(&spawn_app().await).await);
        }
    }
    if want("storm") {
        // On its own table (the first one when it runs alone).
        eprintln!("==> storm: every socket dropped and reconnected");
        if storm_only {
            out.push_str(&bench::storm::run(&app).await);
        } else {
            out.push_str(&bench::storm::run(&spawn_app().await).await);
        }
    }
    if want("bigroom") {
        // On its own table (the first one when it runs alone).
        eprintln!("==> bigroom: a room with every member online, fanned out in parts");
        if bigroom_only {
            out.push_str(&bench::big_room::run(&app).await);
        } else {
            out.push_str(&bench::big_room::run(&spawn_app().await).await);
        }
    }
    let dir = root().join("bench-results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&out_name), &out).unwrap();
    println!("{out}");
    eprintln!("==> written to bench-results/{out_name}");
}

async fn baseline(out: &mut String, app: &TestApp, stack_ms: f64) {
    // 1. Release binaries.
    eprintln!("==> building release binaries of every function");
    let mut args = vec!["build".to_string(), "--release".into()];
    for f in FUNCTIONS {
        args.push("-p".into());
        args.push((*f).into());
    }
    let ok = std::process::Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(root())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root().join("target"));
    writeln!(out, "## Stripped release binary size (x86_64, release profile)\n\n| function | size |\n|---|---|")
        .unwrap();
    if ok {
        for f in FUNCTIONS {
            let size = std::fs::metadata(target.join("release").join(f)).map(|m| m.len()).unwrap_or(0);
            writeln!(out, "| {f} | {:.1} MiB |", size as f64 / 1048576.0).unwrap();
        }
    } else {
        writeln!(out, "| (release build failed) | |").unwrap();
    }

    // 2. Stack and cold start.
    let http = Http::new(app);
    writeln!(
        out,
        "\n## Start-up\n\n- local stack (backends already warm in-process) + gateway + provisioning: {stack_ms:.0} ms"
    )
    .unwrap();
    if ok {
        let env = [
            ("TABLE_NAME", app.ctx.db.table.clone()),
            ("BUCKET_NAME", app.ctx.bucket.clone()),
            ("WS_ENDPOINT", app.ws_url.replace("ws://", "http://")),
            ("AWS_ENDPOINT_URL_DYNAMODB", app.config.ddb_endpoint.clone()),
            // users seals private keys with it (the template: an SSM parameter).
            ("PAY_KEY_SECRET", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string()),
        ];
        writeln!(
            out,
            "\nProcess start → first answered invocation through a minimal Lambda Runtime API (5 runs each): \
             `system` answers `/config` (one DynamoDB read); the other HTTP functions an unauthenticated \
             request to one of their routes (no DynamoDB call), `realtime` a `$connect` without a token, \
             `delivery` an empty stream batch.\n\n| function | stripped size | start → first answer |\n|---|---|---|"
        )
        .unwrap();
        for f in FUNCTIONS {
            let mut v = vec![];
            for _ in 0..5 {
                if let Some(ms) = cold_start(&target.join("release").join(f), first_event(f), &env).await {
                    v.push(ms);
                }
            }
            let size = std::fs::metadata(target.join("release").join(f)).map(|m| m.len()).unwrap_or(0);
            let took = if v.is_empty() { "failed".to_string() } else { summarize(v) };
            writeln!(out, "| {f} | {size} bytes | {took} |").unwrap();
        }
    }

    // 3. Latency through the gateway.
    let a = register(&http, &phone(), "secret1", "A").await;
    let b = register(&http, &phone(), "secret1", "B").await;
    let mut login = vec![];
    for _ in 0..100 {
        let t = Instant::now();
        let r = http.shiku("/user/login", &[("telephone", &a.phone), ("password", &md5_hex("secret1"))]).await;
        login.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.body["resultCode"], 1);
    }
    let r = http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&a.token), json!({})).await;
    let cid = r.body["id"].as_str().unwrap().to_string();
    let mut send = vec![];
    for i in 0..300 {
        let t = Instant::now();
        let r = http
            .json(
                "POST",
                &format!("/api/v1/conversations2/{cid}/messages"),
                Some(&a.token),
                json!({"body": format!("m{i}")}),
            )
            .await;
        send.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 201);
    }
    writeln!(out, "\n## Latency through the local gateway (sequential)\n").unwrap();
    writeln!(out, "- Shiku `/user/login` (argon2id verify): {}", summarize(login)).unwrap();
    writeln!(out, "- Minxing 1:1 send `POST /api/v1/conversations2/{{id}}/messages`: {}", summarize(send)).unwrap();

    // 4. DynamoDB calls per request.
    writeln!(out, "\n## DynamoDB calls per request\n\n| endpoint | calls |\n|---|---|").unwrap();
    let mut row = |name: &str, r: &Resp| writeln!(out, "| {name} | {} |", r.ddb_calls()).unwrap();
    row("Shiku /getCurrentTime", &http.shiku_get("/getCurrentTime", &[]).await);
    row("Shiku /config", &http.shiku_get("/config", &[]).await);
    row("Shiku /verify/telephone", &http.shiku("/verify/telephone", &[("telephone", &phone())]).await);
    row(
        "Shiku /user/register",
        &http.shiku("/user/register", &[("telephone", &phone()), ("password", &md5_hex("x")), ("nickname", "n")]).await,
    );
    let lr = http.shiku("/user/login", &[("telephone", &a.phone), ("password", &md5_hex("secret1"))]).await;
    row("Shiku /user/login", &lr);
    let tok = lr.body["data"]["access_token"].as_str().unwrap().to_string();
    row(
        "Shiku /user/login/auto",
        &http
            .shiku("/user/login/auto", &[("access_token", &tok), ("userId", &a.uid.to_string()), ("serial", "s")])
            .await,
    );
    row(
        "Shiku /tigase/shiku_msgs (50)",
        &http.shiku("/tigase/shiku_msgs", &[("access_token", &tok), ("receiver", &b.uid.to_string())]).await,
    );
    row("Shiku /user/logout", &http.shiku("/user/logout", &[("access_token", &tok)]).await);
    row("Minxing GET /api/v1/ping", &http.get("/api/v1/ping", None).await);
    row("Minxing GET /api/v1/mobile/update_info", &http.get("/api/v1/mobile/update_info?platform=ios", None).await);
    let tr = http
        .send(http.client.post(format!("{}/oauth2/token", http.base)).form(&[
            ("grant_type", "password"),
            ("login_name", a.phone.as_str()),
            ("password", "secret1"),
        ]))
        .await;
    row("Minxing POST /oauth2/token (password)", &tr);
    let refresh = tr.body["refresh_token"].as_str().unwrap().to_string();
    let tr2 = http
        .json("POST", "/oauth2/token", None, json!({"grant_type": "refresh_token", "refresh_token": refresh}))
        .await;
    row("Minxing POST /oauth2/token (refresh)", &tr2);
    let mx = tr2.body["access_token"].as_str().unwrap().to_string();
    row(
        "Minxing POST conversations2/to_user/{id} (existing)",
        &http.json("POST", &format!("/api/v1/conversations2/to_user/{}", b.uid), Some(&mx), json!({})).await,
    );
    row(
        "Minxing POST conversations2/{id}/messages",
        &http.json("POST", &format!("/api/v1/conversations2/{cid}/messages"), Some(&mx), json!({"body": "x"})).await,
    );
    row("Minxing POST conversations2/{id}/messages (client_id resend)", &{
        http.json(
            "POST",
            &format!("/api/v1/conversations2/{cid}/messages"),
            Some(&mx),
            json!({"body": "x", "client_id": "k1"}),
        )
        .await;
        http.json(
            "POST",
            &format!("/api/v1/conversations2/{cid}/messages"),
            Some(&mx),
            json!({"body": "x", "client_id": "k1"}),
        )
        .await
    });
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(vec![1u8; 1000]).file_name("a.bin"));
    row(
        "Minxing POST /api/v1/uploaded_files",
        &http
            .send(http.client.post(format!("{}/api/v1/uploaded_files", http.base)).bearer_auth(&mx).multipart(form))
            .await,
    );
    row(
        "Minxing DELETE /api/v1/users/current/devices",
        &http.json("DELETE", "/api/v1/users/current/devices", Some(&mx), json!({})).await,
    );
    row("SealTalk GET /misc/latest_update", &http.get("/sealtalk/misc/latest_update?version=1.0.0", None).await);
    row("SealTalk GET /misc/client_version", &http.get("/sealtalk/misc/client_version", None).await);
    row(
        "SealTalk POST /user/login",
        &http
            .json(
                "POST",
                "/sealtalk/user/login",
                None,
                json!({"region": "86", "phone": a.phone, "password": "secret1"}),
            )
            .await,
    );
    row("SealTalk POST /user/logout", &http.json("POST", "/sealtalk/user/logout", None, json!({})).await);
    row("Xuanxuan getChatGroups", &http.xuanxuan("GET", "m=chat&f=getChatGroups&code=demo", "demo-key", &[]).await);
}
