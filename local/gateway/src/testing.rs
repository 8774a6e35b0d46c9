//! Integration-test support: `spawn_app()` gives each test its own gateway,
//! table and bucket on backends shared by the whole test process.
//!
//! - The backends (in-memory DynamoDB Local, moto) start once per process and
//!   live in a std static, independent of any tokio runtime.
//! - Each gateway runs on its own multi-thread runtime in a std thread owned
//!   by the [`TestApp`], so it outlives nothing it depends on: `#[tokio::test]`
//!   runtimes come and go, and dropping the `TestApp` shuts the gateway down.

use crate::streams::StreamStatsHandle;
use crate::{paths, Backends, BackendsConfig, Connections, Error, Gateway, GatewayConfig, Result, StreamStats};
use rand::distr::{Alphanumeric, SampleString};
use shared::provision::Provision;
use shared::{Ctx, LocalConfig};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::oneshot;

static BACKENDS: OnceLock<std::result::Result<Backends, String>> = OnceLock::new();

/// The process-wide backends (started on first use; blocking).
pub fn backends() -> Result<&'static Backends> {
    BACKENDS
        .get_or_init(|| {
            Backends::start(BackendsConfig::default())
                .inspect(|b| tracing::info!("backends ready in {} ms: {b:?}", b.startup.as_millis()))
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error(format!("local backends unavailable: {e}")))
}

/// One test's gateway. Dropping it shuts the gateway down.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub http_url: String,
    /// `ws://127.0.0.1:<port>`.
    pub ws_url: String,
    /// SDK clients on this test's table and bucket, for direct assertions
    /// (built for the caller's runtime, separate from the gateway's clients).
    pub ctx: Ctx,
    pub config: LocalConfig,
    /// What the gateway's `start` took.
    pub gateway_startup: Duration,
    stats: StreamStatsHandle,
    connections: Connections,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("http_url", &self.http_url)
            .field("ws_url", &self.ws_url)
            .field("table", &self.config.table)
            .finish()
    }
}

impl TestApp {
    /// Ids of the gateway's open WebSocket connections.
    pub fn ws_connection_ids(&self) -> Vec<String> {
        self.connections.ids()
    }

    /// A virtual WebSocket connection `id` (no socket; benches): the gateway answers
    /// `@connections` posts to it and hands their frames to the answered channel. The caller
    /// writes its connection records (no `$connect` runs).
    pub fn attach_virtual(&self, id: &str) -> tokio::sync::mpsc::UnboundedReceiver<String> {
        self.connections.attach_virtual(id).expect("the template has a WebSocket API")
    }

    /// Records the stream consumer delivered so far (after FilterCriteria).
    pub fn stream_stats(&self) -> StreamStats {
        self.stats.get()
    }

    /// Stop reading the table stream until [`TestApp::resume_stream`]: records written
    /// meanwhile reach `delivery` together (one batch, up to its BatchSize).
    pub fn pause_stream(&self) {
        self.stats.pause(true);
    }

    pub fn resume_stream(&self) {
        self.stats.pause(false);
    }

    /// Make `delivery` fail on stream records matching `matches` (the Lambda event record as
    /// JSON: `r["dynamodb"]["NewImage"]…`), the first `times` times an invocation reaches one
    /// (the function meets an unreachable DynamoDB from that record on).
    pub fn fail_delivery(&self, times: u32, matches: impl Fn(&serde_json::Value) -> bool + Send + Sync + 'static) {
        self.stats.fail_delivery(times, matches);
    }

    /// Stream batches the consumer gave up on (the local stand-in for the SQS on-failure queue).
    pub fn stream_dead_letters(&self) -> Vec<crate::streams::DeadLetter> {
        self.stats.dead_letters()
    }

    /// Wait until `pred(stats)` holds; false after `timeout`.
    pub async fn wait_for_stream(&self, timeout: Duration, pred: impl Fn(&StreamStats) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if pred(&self.stats.get()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(&mut rand::rng(), 12).to_ascii_lowercase())
}

fn init_test_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}

/// A fresh gateway (unique table `t…` and bucket `b…`, free ports, provisioned
/// with the defaults: admin/admin123, Xuanxuan demo/demo-key). Panics when the
/// local tools are missing (run `make setup`).
pub async fn spawn_app() -> TestApp {
    match try_spawn_app().await {
        Ok(app) => app,
        Err(e) => panic!("spawn_app: {e}"),
    }
}

/// Where a [`spawn_app_with`] gateway finds its backends (None: the process-wide ones).
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// A DynamoDB endpoint of the test's own: a proxy that can go silent, or restartable
    /// [`Backends`] (the fault run, `make fault`).
    pub ddb_endpoint: Option<String>,
    pub s3_endpoint: Option<String>,
    /// The deployed functions' SDK timeouts (a test that checks nothing hangs).
    pub lambda_timeouts: bool,
    /// Chunked fan-out size of the functions (None: the default).
    pub fanout_chunk: Option<usize>,
}

/// [`spawn_app`] returning the error instead of panicking.
pub async fn try_spawn_app() -> Result<TestApp> {
    try_spawn_app_with(AppOptions::default()).await
}

/// [`spawn_app`] on the given endpoints (the process-wide backends start only when one is missing).
pub async fn spawn_app_with(opts: AppOptions) -> TestApp {
    match try_spawn_app_with(opts).await {
        Ok(app) => app,
        Err(e) => panic!("spawn_app_with: {e}"),
    }
}

pub async fn try_spawn_app_with(opts: AppOptions) -> Result<TestApp> {
    init_test_tracing();
    let (ddb_endpoint, s3_endpoint) = match (opts.ddb_endpoint, opts.s3_endpoint) {
        (Some(d), Some(s)) => (d, s),
        (d, s) => {
            let b = tokio::task::spawn_blocking(backends).await.map_err(crate::ctx("backends start-up"))??;
            (d.unwrap_or_else(|| b.ddb_endpoint.clone()), s.unwrap_or_else(|| b.s3_endpoint.clone()))
        }
    };
    let cfg = GatewayConfig {
        ddb_endpoint,
        s3_endpoint,
        template_path: paths::template_path(),
        table: unique("t"),
        bucket: unique("b"),
        http_port: 0,
        ws_port: 0,
        provision: Some(Provision::default()),
        lambda_timeouts: opts.lambda_timeouts,
        fanout_chunk: opts.fanout_chunk,
    };

    type Ready = std::result::Result<(String, String, LocalConfig, Duration, StreamStatsHandle, Connections), String>;
    let (ready_tx, ready_rx) = oneshot::channel::<Ready>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(format!("gateway-{}", cfg.table))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot build the gateway runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                match Gateway::start(cfg).await {
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                    Ok(gw) => {
                        let info = (
                            gw.http_url.clone(),
                            gw.ws_url.clone(),
                            gw.local_config.clone(),
                            gw.startup,
                            gw.stream_stats_handle(),
                            gw.connections(),
                        );
                        if ready_tx.send(Ok(info)).is_ok() {
                            // Until the TestApp is dropped (or was never received).
                            let _ = stop_rx.await;
                        }
                        gw.shutdown().await;
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_secs(2));
        })
        .map_err(crate::ctx("cannot start the gateway thread"))?;

    match ready_rx.await {
        Ok(Ok((http_url, ws_url, config, gateway_startup, stats, connections))) => Ok(TestApp {
            http_url,
            ws_url,
            ctx: Ctx::local(&config),
            config,
            gateway_startup,
            stats,
            connections,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(Error(e))
        }
        Err(_) => {
            let _ = thread.join();
            Err(Error::new("the gateway thread died during start-up"))
        }
    }
}
