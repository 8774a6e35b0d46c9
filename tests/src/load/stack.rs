//! The stack under load in a process of its own: `local-stack` (local/gateway, the binary
//! `make dev` runs; the one next to this binary, so built with the same profile: `make load`
//! and `make fault` build it first; `LOCAL_STACK` overrides) on free loopback ports, on
//! backends this process owns (the fault run restarts and freezes them). Its memory is read
//! from `/proc/<pid>/status`, apart from the generator's; its counters (stream consumer,
//! connections, panics) from `GET /_local/stats`.

use e2e::soak::{proc_memory, Mem};
use local_gateway::{Backends, LocalStats};
use shared::{Ctx, LocalConfig};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the child may take to print its `ready:` line.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Stack {
    pub http_url: String,
    pub ws_url: String,
    /// The generator's own SDK clients on the stack's table and bucket (setup writes).
    pub ctx: Ctx,
    pub pid: u32,
    /// The child's stdout and stderr.
    pub log: PathBuf,
    child: Child,
    client: reqwest::Client,
}

fn binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("LOCAL_STACK").filter(|p| !p.is_empty()) {
        return Ok(p.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let p = exe.with_file_name("local-stack");
    if p.is_file() {
        return Ok(p);
    }
    let profile = exe.parent().and_then(|d| d.file_name()).and_then(|d| d.to_str()).unwrap_or("dev").to_string();
    let profile = if profile == "debug" { "dev".to_string() } else { profile };
    Err(format!(
        "{} is missing: build it with the load's profile (`cargo build --profile {profile} -p local-gateway --bin \
         local-stack`; make load / make fault do) or set LOCAL_STACK",
        p.display()
    ))
}

impl Stack {
    /// Start the child on `backends` and wait for its `ready:` line. Call it from the main
    /// thread: the child is killed when the thread that spawned it ends (PR_SET_PDEATHSIG),
    /// which covers this process dying without stopping it.
    pub async fn start(backends: &Backends, lambda_timeouts: bool) -> Result<Stack, String> {
        let bin = binary()?;
        let tag = format!("load{}x{}", std::process::id(), shared::clock::Clock::now_ms(&shared::clock::SystemClock));
        let log = std::env::temp_dir().join(format!("{tag}-stack.log"));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let (table, bucket) = (format!("t{tag}"), format!("b{tag}"));
        let mut cmd = Command::new(&bin);
        cmd.env("HTTP_PORT", "0")
            .env("WS_PORT", "0")
            .env("DDB_ENDPOINT", &backends.ddb_endpoint)
            .env("S3_ENDPOINT", &backends.s3_endpoint)
            .env("TABLE_NAME", &table)
            .env("BUCKET_NAME", &bucket)
            .env("SDK_TIMEOUTS", if lambda_timeouts { "lambda" } else { "tests" })
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            // The load signs Xuanxuan calls with the default app and logs in nobody else.
            .env_remove("XX_APP_CODE")
            .env_remove("XX_APP_KEY")
            .env_remove("ADMIN_USER")
            .env_remove("ADMIN_PASSWORD")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?;
        let pid = child.id();
        eprintln!("load: stack {} (pid {pid}), log {}", bin.display(), log.display());
        let t0 = Instant::now();
        let (http_url, ws_url) = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.starts_with("ready: ")) {
                let word = |k: &str| line.split_whitespace().find_map(|w| w.strip_prefix(k)).map(str::to_string);
                match (word("http="), word("ws=")) {
                    (Some(h), Some(w)) => break (h, w),
                    _ => return Err(format!("the stack's ready line names no URLs: {line}")),
                }
            }
            // An error return drops `child`, which does not kill it: do it here.
            let failed = match child.try_wait() {
                Ok(Some(status)) => Some(format!("the stack exited during start-up ({status})")),
                _ if t0.elapsed() > READY_TIMEOUT => {
                    Some(format!("the stack was not ready in {} s", READY_TIMEOUT.as_secs()))
                }
                _ => None,
            };
            if let Some(e) = failed {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{e}; its log {}:\n{}", log.display(), tail(&text)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let ctx = Ctx::local(&LocalConfig {
            table,
            bucket,
            ddb_endpoint: backends.ddb_endpoint.clone(),
            s3_endpoint: backends.s3_endpoint.clone(),
            ws_management_endpoint: ws_url.replacen("ws://", "http://", 1),
            lambda_timeouts,
        });
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
        Ok(Stack { http_url, ws_url, ctx, pid, log, child, client })
    }

    /// `GET /_local/stats`.
    pub async fn stats(&self) -> Result<LocalStats, String> {
        let url = format!("{}{}", self.http_url, local_gateway::stats::PATH);
        let r = self.client.get(url).send().await.map_err(|e| format!("stack stats: {e}"))?;
        r.json().await.map_err(|e| format!("stack stats: {e}"))
    }

    /// The child's memory now; None once it is gone.
    pub fn memory(&self) -> Option<Mem> {
        proc_memory(Some(self.pid))
    }

    /// The exit status, once the child ended.
    pub fn exited(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(|s| s.to_string())
    }

    /// Wait until the stream consumer has been idle for 1.5 s; false after a minute.
    pub async fn wait_stream_idle(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = self.stats().await.ok().map(|s| s.stream);
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let now = self.stats().await.ok().map(|s| s.stream);
            if now.is_some() && now == last {
                return true;
            }
            last = now;
        }
        false
    }

    /// SIGTERM (the stack closes its connections and stops), SIGKILL after 20 s; the exit status.
    pub fn stop(mut self) -> String {
        unsafe { libc::kill(self.pid as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(s) = self.exited() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        self.child.wait().map_or_else(|e| e.to_string(), |s| format!("{s} (killed after 20 s)"))
    }

    /// The end of the child's log.
    pub fn log_tail(&self) -> String {
        tail(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // Not stopped through `stop` (a panic of the load): no stack left behind.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
