//! `make fault` (`LOAD_FAULTS=1 … --bin load`): the load run with faults injected mid-run
//! (issue 15 §4). The backends are this run's own (DynamoDB Local file-backed, so a restart
//! keeps the table); at `ddb_at` DynamoDB Local is stopped (SIGTERM) and started again after
//! `ddb_down` on the same port; at `s3_at` (or once delivery recovered, if later) the S3
//! emulator is frozen (SIGSTOP: it accepts connections and answers nothing, the worst case;
//! a restarted moto would come back without its buckets) for `s3_down`, then thawed.
//! Meanwhile probes of every dialect measure what a client sees (answer, envelope, time);
//! after each outage a send → live delivery probe (and an upload probe) measures the time
//! to recover. The load's own checks (lost, duplicated, order) run on top.

use e2e::{Http, Ws};
use local_gateway::{BackendChild, Backends};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An answer slower than this is a hang (the functions' Lambda timeout is 10 s).
pub const HANG: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub ddb_at: Duration,
    pub ddb_down: Duration,
    pub s3_at: Duration,
    pub s3_down: Duration,
}

impl Plan {
    /// `LOAD_FAULT_DDB_AT` (s, 20), `LOAD_FAULT_DDB_DOWN` (10), `LOAD_FAULT_S3_AT` (55),
    /// `LOAD_FAULT_S3_DOWN` (30).
    pub fn from_env(env: impl Fn(&str, usize) -> usize) -> Plan {
        let s = |name, d| Duration::from_secs(env(name, d) as u64);
        Plan {
            ddb_at: s("LOAD_FAULT_DDB_AT", 20),
            ddb_down: s("LOAD_FAULT_DDB_DOWN", 10),
            s3_at: s("LOAD_FAULT_S3_AT", 55),
            s3_down: s("LOAD_FAULT_S3_DOWN", 30),
        }
    }
}

/// One probe answer.
#[derive(Debug, Clone)]
pub struct Probe {
    pub at: f64,
    pub phase: &'static str,
    pub what: &'static str,
    /// 0: no HTTP answer (transport error or client timeout).
    pub status: u16,
    pub ms: f64,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The dialect's error envelope (Shiku resultCode ≠ 1, Minxing `{error}`, Xuanxuan `fail`…).
    DialectError,
    /// Anything else: no answer, not the dialect's envelope.
    Bad,
}

/// What the fault driver saw; shared with the load's report.
#[derive(Debug, Default)]
pub struct Log {
    pub events: Vec<(f64, String)>,
    pub probes: Vec<Probe>,
    /// Outage windows (start, end) in seconds since t0: 5xx of the load inside them are expected.
    pub windows: Vec<(f64, f64)>,
    /// Seconds from DynamoDB Local answering again to the first send delivered live.
    pub ddb_recovery: Option<f64>,
    /// Seconds from the S3 emulator answering again to the first upload stored.
    pub s3_recovery: Option<f64>,
    pub ddb_restart_s: f64,
    pub errors: Vec<String>,
}

pub type SharedLog = Arc<Mutex<Log>>;

/// The probe's own two users, their 1:1 conversation and the receiver's socket.
pub struct Prober {
    pub http: Http,
    pub sender: String,
    pub receiver_uid: i64,
    pub cid: String,
    /// A group of the two, for Xuanxuan `notifyMSG`.
    pub gid: String,
    pub ws: Ws,
    pub t0: Instant,
    pub log: SharedLog,
    n: u64,
}

impl Prober {
    pub fn new(http: Http, sender: String, receiver: i64, (cid, gid): (String, String), ws: Ws, t0: Instant) -> Prober {
        Prober { http, sender, receiver_uid: receiver, cid, gid, ws, t0, log: Default::default(), n: 0 }
    }

    fn now(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    fn event(&self, text: String) {
        eprintln!("fault: {:>5.1}s {text}", self.now());
        self.log.lock().unwrap().events.push((self.now(), text));
    }

    /// One request with a client-side cap (a hang shows as status 0 after 30 s).
    async fn timed(&self, what: &'static str, phase: &'static str, rb: reqwest::RequestBuilder) -> (Probe, Value) {
        let at = self.now();
        let t = Instant::now();
        let (status, body) = match tokio::time::timeout(Duration::from_secs(30), rb.send()).await {
            Ok(Ok(r)) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            _ => (0, Value::Null),
        };
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let outcome = classify(what, status, &body);
        let p = Probe { at, phase, what, status, ms, outcome };
        self.log.lock().unwrap().probes.push(p.clone());
        (p, body)
    }

    /// Shiku read, Minxing send (checked live on the receiver's socket when `live`), SealTalk
    /// and Xuanxuan calls, all at once; true when the send succeeded (and arrived, if asked).
    async fn round(&mut self, phase: &'static str, live: bool) -> bool {
        self.n += 1;
        let base = self.http.base.clone();
        let c = &self.http.client;
        let content = format!("fault probe {}", self.n);
        let uid = self.receiver_uid.to_string();
        let shiku =
            c.post(format!("{base}/user/get")).form(&[("access_token", self.sender.as_str()), ("userId", &uid)]);
        let send = c
            .post(format!("{base}/api/v1/conversations2/{}/messages", self.cid))
            .bearer_auth(&self.sender)
            .json(&json!({"body": content}));
        let st = c.get(format!("{base}/sealtalk/user/batch")).query(&[("id", uid.as_str())]).bearer_auth(&self.sender);
        let query = "m=chat&f=notifyMSG&code=demo";
        let token = shared::auth::md5_hex(&(shared::auth::md5_hex(query) + "demo-key"));
        let data = json!({"receiver": "group", "gid": self.gid, "title": "x", "contentType": "text"});
        let xx = c.post(format!("{base}/api.php?{query}&token={token}")).form(&[("data", data.to_string())]);
        let (_, b, _, _) = tokio::join!(
            self.timed("shiku /user/get", phase, shiku),
            self.timed("minxing send", phase, send),
            self.timed("sealtalk /user/batch", phase, st),
            self.timed("xuanxuan notifyMSG", phase, xx),
        );
        let sent = b.0.outcome == Outcome::Success;
        if !sent || !live {
            return sent;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ws.next_event("message", left).await {
                Some(f) if f["content"] == content.as_str() => return true,
                Some(_) => continue,
                None => break,
            }
        }
        false
    }

    /// Multipart upload (the function writes S3) and presigned PUT + completion.
    async fn upload(&self, phase: &'static str) -> bool {
        let base = &self.http.base;
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(vec![7u8; 1024]).file_name("probe.bin"));
        let rb =
            self.http.client.post(format!("{base}/api/v1/uploaded_files")).bearer_auth(&self.sender).multipart(form);
        let (p, _) = self.timed("minxing upload (S3 PutObject)", phase, rb).await;
        let body = json!({"name": "big.bin", "content_type": "application/octet-stream", "size": 16});
        let rb = self
            .http
            .client
            .post(format!("{base}/api/v1/uploaded_files/presigned"))
            .bearer_auth(&self.sender)
            .json(&body);
        let (pre, d) = self.timed("minxing presign (no S3 call)", phase, rb).await;
        if pre.outcome == Outcome::Success {
            if let (Some(url), Some(id)) = (d["upload_url"].as_str(), d["id"].as_str()) {
                let put = self
                    .http
                    .client
                    .put(url)
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Length", "16")
                    .body(vec![1u8; 16]);
                let at = self.now();
                let t = Instant::now();
                // The client's own bound (S3 is not behind the API): 5 s.
                let status = match tokio::time::timeout(Duration::from_secs(5), put.send()).await {
                    Ok(Ok(r)) => r.status().as_u16(),
                    _ => 0,
                };
                // A refused PUT is the client's own error: the API is not in the path.
                let outcome = if status == 200 { Outcome::Success } else { Outcome::DialectError };
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let probe = Probe { at, phase, what: "presigned PUT (client → S3)", status, ms, outcome };
                self.log.lock().unwrap().probes.push(probe);
                let rb = self
                    .http
                    .client
                    .post(format!("{base}/api/v1/uploaded_files/{id}/complete"))
                    .bearer_auth(&self.sender)
                    .json(&json!({}));
                self.timed("minxing complete (S3 HeadObject)", phase, rb).await;
            }
        }
        p.outcome == Outcome::Success
    }

    /// The whole timeline; returns when `end` is reached.
    pub async fn drive(mut self, backends: Arc<Backends>, plan: Plan, end: Instant) -> SharedLog {
        let log = self.log.clone();
        let t0 = self.t0;
        let sleep_until = |t: Duration| tokio::time::sleep_until((t0 + t).into());
        // Baseline.
        while self.t0.elapsed() < plan.ddb_at.saturating_sub(Duration::from_secs(2)) {
            self.round("before", true).await;
            self.upload("before").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        sleep_until(plan.ddb_at).await;

        // DynamoDB Local: stop, keep down, start on the same port.
        let down_at = self.now();
        self.event("DynamoDB Local: SIGTERM".into());
        if let Err(e) = child(&backends, BackendChild::DynamoDb, false).await {
            self.log.lock().unwrap().errors.push(format!("stopping DynamoDB Local: {e}"));
        }
        while self.t0.elapsed() < plan.ddb_at + plan.ddb_down {
            self.round("DynamoDB down", false).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.event("DynamoDB Local: starting".into());
        let t = Instant::now();
        if let Err(e) = child(&backends, BackendChild::DynamoDb, true).await {
            self.log.lock().unwrap().errors.push(format!("starting DynamoDB Local: {e}"));
        }
        let back_at = self.now();
        log.lock().unwrap().ddb_restart_s = t.elapsed().as_secs_f64();
        self.event(format!("DynamoDB Local answers again (start took {:.1} s)", t.elapsed().as_secs_f64()));
        while Instant::now() < end {
            if self.round("DynamoDB back", true).await {
                let r = self.now() - back_at;
                log.lock().unwrap().ddb_recovery = Some(r);
                self.event(format!("send → live delivery works again after {r:.1} s"));
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // Writes acknowledged before the stop are checked by the load (history / sync).
        log.lock().unwrap().windows.push((down_at, self.now()));

        // S3 emulator: stop for s3_down.
        while self.t0.elapsed() < plan.s3_at && Instant::now() < end {
            self.round("between", true).await;
            self.upload("between").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        if Instant::now() >= end {
            return log;
        }
        let s3_down_at = self.now();
        self.event("S3 emulator: SIGSTOP".into());
        if let Err(e) = pause(&backends, true).await {
            self.log.lock().unwrap().errors.push(format!("stopping the S3 emulator: {e}"));
        }
        // Thawed on time by its own timer: a probe round with S3 frozen takes ~20 s.
        let thaw = {
            let (backends, log, t0) = (backends.clone(), log.clone(), self.t0);
            tokio::spawn(async move {
                tokio::time::sleep(plan.s3_down).await;
                let r = pause(&backends, false).await;
                let at = t0.elapsed().as_secs_f64();
                eprintln!("fault: {at:>5.1}s S3 emulator: SIGCONT");
                let mut l = log.lock().unwrap();
                l.events.push((at, "S3 emulator: SIGCONT".into()));
                if let Err(e) = r {
                    l.errors.push(format!("starting the S3 emulator: {e}"));
                }
                at
            })
        };
        while !thaw.is_finished() {
            self.upload("S3 down").await;
            self.round("S3 down", true).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let back_at = thaw.await.unwrap_or_else(|_| self.now());
        while Instant::now() < end {
            let start = self.now();
            if self.upload("S3 back").await {
                let r = self.now() - back_at;
                log.lock().unwrap().s3_recovery = Some(r);
                let (late, took) = (start - back_at, self.now() - start);
                self.event(format!(
                    "uploads work again {r:.1} s after the thaw (the first upload probe started {late:.1} s after \
                     it, behind a probe round begun while frozen, and took {took:.1} s)"
                ));
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        log.lock().unwrap().windows.push((s3_down_at, self.now()));
        while Instant::now() < end {
            self.round("after", true).await;
            self.upload("after").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        log
    }
}

async fn pause(b: &Arc<Backends>, paused: bool) -> Result<(), String> {
    let b = b.clone();
    tokio::task::spawn_blocking(move || b.pause_child(BackendChild::S3, paused))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

async fn child(b: &Arc<Backends>, which: BackendChild, start: bool) -> Result<(), String> {
    let b = b.clone();
    tokio::task::spawn_blocking(move || if start { b.start_child(which) } else { b.stop_child(which, false) })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Success, the dialect's error envelope, or neither.
fn classify(what: &str, status: u16, b: &Value) -> Outcome {
    if status == 0 {
        return Outcome::Bad;
    }
    let ok = match what.split(' ').next().unwrap_or("") {
        "shiku" => status == 200 && b["resultCode"] == 1,
        "xuanxuan" => status == 200 && b["result"] == "success",
        "sealtalk" => status == 200 && b["code"] == 200,
        _ => (200..300).contains(&status),
    };
    if ok {
        return Outcome::Success;
    }
    let envelope = match what.split(' ').next().unwrap_or("") {
        "shiku" => status == 200 && b["resultCode"].as_i64().is_some_and(|c| c != 1),
        "xuanxuan" => b["result"] == "fail",
        "sealtalk" => status >= 400 && (b["code"].is_i64() || b["error"].is_string() || b["msg"].is_string()),
        _ => status >= 400 && b["error"].is_string(),
    };
    if envelope {
        Outcome::DialectError
    } else {
        Outcome::Bad
    }
}

/// Whether `at` (s since t0) falls in an outage window or within `grace` s after one.
pub fn in_window(windows: &[(f64, f64)], at: f64, grace: f64) -> bool {
    windows.iter().any(|(a, b)| at >= *a && at <= b + grace)
}

/// The fault part of the report, and whether its checks passed.
pub fn report(log: &Log, plan: &Plan, panics: &[String], load_hangs: u64, load_5xx_outside: u64) -> (String, bool) {
    let mut r = String::new();
    let _ = writeln!(r, "## Fault timeline\n");
    let _ = writeln!(
        r,
        "Plan: DynamoDB Local stopped (SIGTERM) at {} s for {} s, then started on the same port (file-backed: the \
         table survives); S3 emulator frozen (SIGSTOP) at {} s (or once delivery recovered) for {} s. The gateway and its clients are never restarted.\n",
        plan.ddb_at.as_secs(),
        plan.ddb_down.as_secs(),
        plan.s3_at.as_secs(),
        plan.s3_down.as_secs()
    );
    for (t, e) in &log.events {
        let _ = writeln!(r, "- {t:.1} s: {e}");
    }
    let _ = writeln!(r, "\n## Probes (every dialect, each phase)\n");
    let _ = writeln!(r, "| phase | probe | n | success | dialect error | bad / no answer | max ms | statuses |");
    let _ = writeln!(r, "|---|---|---|---|---|---|---|---|");
    let mut keys: Vec<(&str, &str)> = vec![];
    for p in &log.probes {
        if !keys.contains(&(p.phase, p.what)) {
            keys.push((p.phase, p.what));
        }
    }
    for (phase, what) in &keys {
        let v: Vec<&Probe> = log.probes.iter().filter(|p| p.phase == *phase && p.what == *what).collect();
        let count = |o: Outcome| v.iter().filter(|p| p.outcome == o).count();
        let max = v.iter().map(|p| p.ms).fold(0.0, f64::max);
        let mut statuses: Vec<u16> = v.iter().map(|p| p.status).collect();
        statuses.sort();
        statuses.dedup();
        let _ = writeln!(
            r,
            "| {phase} | {what} | {} | {} | {} | {} | {max:.0} | {statuses:?} |",
            v.len(),
            count(Outcome::Success),
            count(Outcome::DialectError),
            count(Outcome::Bad)
        );
    }
    let hangs = log.probes.iter().filter(|p| p.ms > HANG.as_secs_f64() * 1000.0).count();
    let bad = log.probes.iter().filter(|p| p.outcome == Outcome::Bad).count();
    let errors_in_outage = log.probes.iter().filter(|p| p.outcome == Outcome::DialectError).count();
    let failed_outside = log
        .probes
        .iter()
        .filter(|p| p.outcome != Outcome::Success && !in_window(&log.windows, p.at, 0.0))
        .filter(|p| !p.what.starts_with("presigned PUT"))
        .count();
    let mut checks: Vec<(String, bool)> = vec![
        (format!("probe answers over {} s (hangs)", HANG.as_secs()), hangs == 0),
        ("probe answers that are not the dialect's envelope (or none)".into(), bad == 0),
        ("load operations over 45 s (hangs)".into(), load_hangs == 0),
        ("panics (gateway, functions, load)".into(), panics.is_empty()),
        ("probe failures outside the outages".into(), failed_outside == 0),
        ("load 5xx outside the outages (+5 s)".into(), load_5xx_outside == 0),
        ("send → live delivery works again after the DynamoDB restart".into(), log.ddb_recovery.is_some()),
        ("uploads work again after the S3 stop".into(), log.s3_recovery.is_some()),
        ("fault driver errors".into(), log.errors.is_empty()),
    ];
    let _ = writeln!(r, "\n## Fault checks\n\n| check | value | result |\n|---|---|---|");
    let values = [
        hangs.to_string(),
        bad.to_string(),
        load_hangs.to_string(),
        panics.len().to_string(),
        failed_outside.to_string(),
        load_5xx_outside.to_string(),
        log.ddb_recovery.map_or("never".into(), |s| format!("{s:.1} s after DynamoDB Local answered")),
        log.s3_recovery.map_or("never".into(), |s| format!("{s:.1} s after the emulator answered")),
        log.errors.len().to_string(),
    ];
    for ((name, ok), value) in checks.iter_mut().zip(values) {
        let _ = writeln!(r, "| {name} | {value} | {} |", if *ok { "pass" } else { "FAIL" });
    }
    let _ = writeln!(
        r,
        "\nDialect errors answered during the outages: {errors_in_outage}; DynamoDB Local start took {:.1} s.",
        log.ddb_restart_s
    );
    if !panics.is_empty() {
        let _ = writeln!(r, "\nPanics:\n\n```\n{}\n```", panics.join("\n"));
    }
    if !log.errors.is_empty() {
        let _ = writeln!(r, "\nDriver errors:\n\n```\n{}\n```", log.errors.join("\n"));
    }
    (r, checks.iter().all(|c| c.1))
}
