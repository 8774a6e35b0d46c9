//! `make bench` baseline section (issue 15 §2 "before and after, same run"): every function's
//! stripped release size and process start → first answered invocation, for this tree's
//! release build ("after") and for the binaries of the commit before the size work ("before",
//! built once and kept by tests/bench-before.sh), measured in the same run with before and
//! after alternating; then stack start-up, gateway latency and DynamoDB calls per request.

use e2e::*;
use serde_json::json;
use shared::auth::md5_hex;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const FUNCTIONS: &[&str] = &[
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

fn summarize(v: Vec<f64>) -> String {
    let n = v.len();
    let (p50, p99) = super::p50_p99(v);
    format!("p50 {p50:.1} ms, p99 {p99:.1} ms, n={n}")
}

/// The "before" binaries: ready (directory, commit, its release profile) or why not.
enum Before {
    Ready { dir: PathBuf, commit: String, profile: String },
    Unavailable(String),
}

/// Builds the "before" set when it is missing (tests/bench-before.sh: cached, so a no-op once
/// built). Never fails the bench: a missing commit or a failed build is reported instead.
fn before_set(target: &Path) -> Before {
    if std::env::var("BENCH_BEFORE").is_ok_and(|v| v == "0") {
        return Before::Unavailable("not measured (BENCH_BEFORE=0)".into());
    }
    eprintln!("==> \"before\" binaries (tests/bench-before.sh; the first build takes many minutes)");
    let status = std::process::Command::new("bash")
        .arg(super::root().join("tests/bench-before.sh"))
        .env("CARGO", env!("CARGO"))
        .env("CARGO_TARGET_DIR", target)
        .status();
    let dir = target.join("before/bin");
    match status.map(|s| s.code()) {
        Ok(Some(0)) => Before::Ready {
            commit: std::fs::read_to_string(dir.join("COMMIT")).unwrap_or_default().trim().to_string(),
            profile: std::fs::read_to_string(dir.join("Cargo.toml")).map(|t| release_profile(&t)).unwrap_or_default(),
            dir,
        },
        Ok(Some(3)) => Before::Unavailable("unavailable: its commit is not in this clone (a shallow clone?)".into()),
        Ok(_) => Before::Unavailable(format!(
            "unavailable: its build failed (log: {})",
            target.join("before/build.log").display()
        )),
        Err(e) => Before::Unavailable(format!("unavailable: tests/bench-before.sh did not run ({e})")),
    }
}

/// `key = value, …` of the `[profile.release]` table of a Cargo.toml.
pub fn release_profile(toml: &str) -> String {
    let mut in_table = false;
    let mut keys = vec![];
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[profile.release]";
        } else if in_table && !line.is_empty() && !line.starts_with('#') {
            keys.push(line.to_string());
        }
    }
    keys.join(", ")
}

/// `/proc/loadavg`'s three load averages (the machine may be shared with other work).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn utc_now() -> String {
    let ms = shared::clock::Clock::now_ms(&shared::clock::SystemClock);
    let d = shared::clock::utc_day(ms);
    let s = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{}-{}-{} {:02}:{:02} UTC", &d[..4], &d[4..6], &d[6..], s / 3600, s / 60 % 60)
}

/// Start-up samples of one function on one side, what it answered, and the runs that got no answer.
#[derive(Default)]
struct Starts {
    ms: Vec<f64>,
    answers: std::collections::BTreeSet<String>,
    failed: usize,
}

impl Starts {
    fn cell(&self) -> String {
        if self.ms.is_empty() {
            return if self.failed == 0 { "–".into() } else { format!("no answer ({} runs)", self.failed) };
        }
        let (p50, p99) = super::p50_p99(self.ms.clone());
        let failed = if self.failed > 0 {
            format!(" ({} of {} no answer)", self.failed, self.failed + self.ms.len())
        } else {
            String::new()
        };
        format!("{p50:.1} / {p99:.1} ms{failed}")
    }
}

pub async fn run(app: &TestApp, stack_ms: f64) -> String {
    let mut out = String::new();
    // 1. Release binaries: this tree's ("after"), and the kept "before" set.
    eprintln!("==> building release binaries of every function");
    let mut args = vec!["build".to_string(), "--release".into()];
    for f in FUNCTIONS {
        args.push("-p".into());
        args.push((*f).into());
    }
    let ok = std::process::Command::new(env!("CARGO"))
        .args(&args)
        .current_dir(super::root())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| super::root().join("target"));
    let target = if target.is_absolute() { target } else { super::root().join(target) };
    let after = ok.then(|| target.join("release"));
    let before = before_set(&target);
    let before_dir = match &before {
        Before::Ready { dir, .. } => Some(dir.clone()),
        Before::Unavailable(_) => None,
    };

    // 2. Size and start-up, before and after in the same run.
    let runs = super::env_usize("BENCH_START_RUNS", 100).max(1);
    let env = [
        ("TABLE_NAME", app.ctx.db.table.clone()),
        ("BUCKET_NAME", app.ctx.bucket.clone()),
        ("WS_ENDPOINT", app.ws_url.replace("ws://", "http://")),
        ("AWS_ENDPOINT_URL_DYNAMODB", app.config.ddb_endpoint.clone()),
        // users seals private keys with it (the template: an SSM parameter).
        ("PAY_KEY_SECRET", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string()),
    ];
    let sides = [before_dir, after];
    let mut starts: Vec<[Starts; 2]> = FUNCTIONS.iter().map(|_| Default::default()).collect();
    let (load_start, time_start) = (load_average(), utc_now());
    eprintln!("==> start-up: {runs} runs of each function, before and after alternating");
    for run in 0..runs {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            // Alternate which side goes first, so neither always follows the other.
            for side in if run % 2 == 0 { [0, 1] } else { [1, 0] } {
                let Some(bin) = sides[side].as_ref().map(|d| d.join(f)).filter(|b| b.exists()) else { continue };
                match cold_start(&bin, first_event(f), &env).await {
                    Some((ms, answer)) => {
                        starts[i][side].ms.push(ms);
                        starts[i][side].answers.insert(answer);
                    }
                    None => starts[i][side].failed += 1,
                }
            }
        }
    }
    let load_end = load_average();

    writeln!(out, "## Function size and start-up, before and after (issue 15 §2)\n").unwrap();
    match &before {
        Before::Ready { commit, profile, .. } => writeln!(
            out,
            "- before: the functions of {} (the last commit before the size work), its release profile: `{profile}`",
            &commit[..commit.len().min(10)]
        ),
        Before::Unavailable(why) => writeln!(out, "- before: {why}"),
    }
    .unwrap();
    let profile =
        std::fs::read_to_string(super::root().join("Cargo.toml")).map(|t| release_profile(&t)).unwrap_or_default();
    writeln!(
        out,
        "- after: this tree, `cargo build --release` of the functions, profile `{profile}`{}",
        if ok { "" } else { " — **the release build failed**" }
    )
    .unwrap();
    writeln!(
        out,
        "- sizes: stripped ELF bytes (x86_64; before: {}); start → answer: process start → first answered invocation through a minimal Lambda Runtime API, p50 / p99 of {runs} runs \
         of each, before and after alternating in one run (an error report is no answer): `system` answers \
         `/config` (one DynamoDB read); the other HTTP functions a request without a token to one of their \
         own routes, refused before any DynamoDB call (`integrations`: a Xuanxuan call without `m`), `realtime` a `$connect` without a token, `delivery` an empty stream batch; \
         answer: the `statusCode` the function returned and the dialect's `resultCode` if any (`ok`: not an \
         HTTP response)\n\
         - measured {time_start}; load average (1/5/15 min) {load_start} at the start, {load_end} at the end \
         (the machine may be shared with other work: a load above its core count means the runs competed \
         for CPU)\n",
        match &before {
            Before::Ready { profile, .. } if !profile.contains("strip = true") =>
                "its profile does not strip: copies stripped with `strip` by tests/bench-before.sh",
            Before::Ready { .. } => "stripped by its profile",
            Before::Unavailable(_) => "none",
        }
    )
    .unwrap();
    writeln!(
        out,
        "| function | size before | size after | start → answer before (p50 / p99) | after | answer (before / after) |\n\
         |---|---:|---:|---:|---:|---|"
    )
    .unwrap();
    let size =
        |dir: &Option<PathBuf>, f: &str| dir.as_ref().and_then(|d| std::fs::metadata(d.join(f)).ok()).map(|m| m.len());
    for (i, f) in FUNCTIONS.iter().enumerate() {
        let (b, a) = (size(&sides[0], f), size(&sides[1], f));
        let a_cell = match (b, a) {
            (Some(b), Some(a)) => format!("{a} ({:.2}×)", a as f64 / b as f64),
            (_, Some(a)) => a.to_string(),
            _ => "–".into(),
        };
        let b_cell = b.map(|b| b.to_string()).unwrap_or_else(|| "–".into());
        let answers = starts[i].each_ref().map(|s| {
            let kinds = s.answers.iter().cloned().collect::<Vec<_>>().join(", ");
            if kinds.is_empty() {
                "–".to_string()
            } else {
                kinds
            }
        });
        let answer = if answers[0] == answers[1] { answers[0].clone() } else { answers.join(" / ") };
        let (b_start, a_start) = (starts[i][0].cell(), starts[i][1].cell());
        writeln!(out, "| {f} | {b_cell} | {a_cell} | {b_start} | {a_start} | {answer} |").unwrap();
    }

    writeln!(
        out,
        "\n## Start-up\n\n- local stack (backends already warm in-process) + gateway + provisioning: {stack_ms:.0} ms"
    )
    .unwrap();
    gateway(&mut out, app).await;
    out
}

/// Latency through the local gateway and DynamoDB calls per request.
async fn gateway(out: &mut String, app: &TestApp) {
    let http = Http::new(app);
    // Latency through the gateway.
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

    // DynamoDB calls per request.
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

/// One HTTP request of the runtime client: head, then the body by Content-Length.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some((head, buf[end + 4..end + 4 + len].to_vec()));
        }
        let n = sock.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// What the function answered: the `statusCode` of an API Gateway response (with the dialect's
/// `resultCode` when there is one, and a note when the route table missed), else `ok`.
fn answer_kind(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(code) = v.get("statusCode") else { return "ok".into() };
    let inner: serde_json::Value = v["body"].as_str().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
    let mut kind = code.to_string();
    if let Some(rc) = inner.get("resultCode") {
        kind.push_str(&format!(" {rc}"));
    }
    if v["headers"].get("x-route-unmatched").is_some() {
        kind.push_str(" (no such route)");
    }
    kind
}

/// One invocation through a minimal Lambda Runtime API: ms from spawn to the function's answer
/// (the runtime's POST of a response, not of an error report), and what it answered.
async fn cold_start(bin: &Path, event: serde_json::Value, env: &[(&str, String)]) -> Option<(f64, String)> {
    use tokio::io::AsyncWriteExt;
    // Every answer closes its connection: a kept-alive one that we dropped made the runtime's
    // next request fail now and then (connection reset), a lost run that was no fault of the function.
    const ACCEPTED: &[u8] = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
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
        let Some((head, posted)) = read_request(&mut sock).await else { continue };
        if head.starts_with("GET /2018-06-01/runtime/invocation/next") {
            if served {
                // Not reached: the answer's POST comes first and ends the run.
                break;
            }
            served = true;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-1\r\nLambda-Runtime-Deadline-Ms: {}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                shared::clock::Clock::now_ms(&shared::clock::SystemClock) + 30_000,
                body.len(),
                body
            );
            sock.write_all(resp.as_bytes()).await.ok()?;
        } else if head.starts_with("POST /2018-06-01/runtime/invocation/req-1/") {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let _ = sock.write_all(ACCEPTED).await;
            let _ = child.kill().await;
            // An error report (the event did not deserialize, the handler failed) is no answer.
            return head
                .starts_with("POST /2018-06-01/runtime/invocation/req-1/response")
                .then(|| (ms, answer_kind(&posted)));
        } else {
            let _ = sock.write_all(ACCEPTED).await;
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
        // One of the function's own routes (infra/template.yaml; the same before and after)
        // without a token: refused by the auth gate, no DynamoDB call. A path of another
        // function would only measure the route table's miss (`x-route-unmatched`).
        f => {
            let (method, path) = first_route(f);
            http_event(method, path)
        }
    }
}

/// The route an HTTP function's first invocation asks for, without a token (a route whose
/// first step is the token check; `mail`'s other route is templated).
fn first_route(function: &str) -> (&'static str, &'static str) {
    let path = match function {
        "auth" => "/user/password/update",
        "users" => "/user/get",
        "contacts" => "/friends/add",
        "groups" => "/room/get",
        "chat" => "/tigase/shiku_msgs",
        "feed" => "/api/v1/messages",
        "files" => "/room/share/find",
        "org" => "/org/company/getByUserId",
        "accounts" => "/mp/home",
        "mail" => return ("POST", "/api/v1/mails"),
        "admin" => "/console/userList",
        "wallet" => "/user/getUserMoeny",
        "integrations" => "/api.php",
        _ => "/",
    };
    ("GET", path)
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
