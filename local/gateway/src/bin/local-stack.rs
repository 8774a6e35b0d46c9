//! `make dev`: DynamoDB Local + moto + the gateway, until Ctrl-C.
//!
//! Environment: HTTP_PORT (3000), WS_PORT (3001), DDB_PORT (8000), S3_PORT (4569),
//! LOCAL_DATA_DIR (<root>/.local/data, kept between runs), TABLE_NAME (im-local),
//! BUCKET_NAME (im-files), plus ADMIN_USER / ADMIN_PASSWORD / XX_APP_CODE / XX_APP_KEY
//! for provisioning, DDB_LOCAL_DIR / MOTO_SERVER / JAVA for the tools, RUST_LOG.
//!
//! DDB_ENDPOINT and S3_ENDPOINT (both): use these running backends instead of starting
//! DynamoDB Local and moto (`make load` owns them, to restart them in its fault run, and runs
//! this binary as its child to measure the stack's memory alone). HTTP_PORT / WS_PORT 0: free
//! ports (the `ready:` line names them). SDK_TIMEOUTS=tests: the tests' longer SDK timeouts
//! instead of the deployed functions' (the load's default, as its in-process stack had).
//! Panics are counted for `GET /_local/stats`.

use local_gateway::{paths, Backends, BackendsConfig, Gateway, GatewayConfig};
use shared::provision::Provision;
use std::process::ExitCode;
use std::time::Instant;

fn port(name: &str, default: u16) -> Result<u16, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| format!("{name}={v:?} is not a port number")),
        _ => Ok(default),
    }
}

fn string(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_string())
}

/// The backends: started here (stopped on exit) or someone else's.
enum Running {
    Own(Backends),
    External(String, String),
}

impl Running {
    fn endpoints(&self) -> (String, String) {
        match self {
            Running::Own(b) => (b.ddb_endpoint.clone(), b.s3_endpoint.clone()),
            Running::External(d, s) => (d.clone(), s.clone()),
        }
    }

    fn stop(self) {
        if let Running::Own(b) = self {
            b.stop();
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    local_gateway::stats::count_panics();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .try_init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-stack: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let http_port = port("HTTP_PORT", 3000)?;
    let ws_port = port("WS_PORT", 3001)?;
    let ddb_port = port("DDB_PORT", 8000)?;
    let s3_port = port("S3_PORT", 4569)?;
    let data_dir = paths::local_data_dir();
    let table = string("TABLE_NAME", "im-local");
    let bucket = string("BUCKET_NAME", "im-files");
    let lambda_timeouts = match std::env::var("SDK_TIMEOUTS").as_deref() {
        Ok("tests") => false,
        Ok("lambda") | Ok("") | Err(_) => true,
        Ok(other) => return Err(format!("SDK_TIMEOUTS={other:?}: expected `lambda` (default) or `tests`")),
    };

    let t0 = Instant::now();
    let backends = match (std::env::var("DDB_ENDPOINT"), std::env::var("S3_ENDPOINT")) {
        (Ok(ddb), Ok(s3)) if !ddb.trim().is_empty() && !s3.trim().is_empty() => {
            println!("using DynamoDB at {ddb} and S3 at {s3} (DDB_ENDPOINT, S3_ENDPOINT)");
            Running::External(ddb.trim().to_string(), s3.trim().to_string())
        }
        _ => {
            println!("starting DynamoDB Local (:{ddb_port}) and moto S3 (:{s3_port}), data in {}", data_dir.display());
            let cfg = BackendsConfig { ddb_port, s3_port, data_dir: Some(data_dir) };
            let b = tokio::task::spawn_blocking(move || Backends::start(cfg))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            println!("backends ready in {} ms (logs in {})", b.startup.as_millis(), b.log_dir.display());
            Running::Own(b)
        }
    };
    let (ddb_endpoint, s3_endpoint) = backends.endpoints();
    println!("starting the gateway from {}", paths::template_path().display());
    let gateway = Gateway::start(GatewayConfig {
        ddb_endpoint: ddb_endpoint.clone(),
        s3_endpoint: s3_endpoint.clone(),
        template_path: paths::template_path(),
        table: table.clone(),
        bucket: bucket.clone(),
        http_port,
        ws_port,
        provision: Some(Provision::from_env()),
        lambda_timeouts,
        // FANOUT_CHUNK from the environment, like a deployed function's.
        fanout_chunk: std::env::var("FANOUT_CHUNK").ok().and_then(|v| v.parse().ok()),
    })
    .await;
    let gateway = match gateway {
        Ok(g) => g,
        Err(e) => {
            tokio::task::spawn_blocking(move || backends.stop()).await.ok();
            return Err(e.to_string());
        }
    };
    println!(
        "gateway ready in {} ms: table {table} ({}), bucket {bucket}",
        gateway.startup.as_millis(),
        if gateway.table_created { "created" } else { "existing data" },
    );
    println!(
        "ready: http={} ws={} dynamodb={} s3={} ({} ms)",
        gateway.http_url,
        gateway.ws_url,
        ddb_endpoint,
        s3_endpoint,
        t0.elapsed().as_millis()
    );

    wait_for_signal().await?;
    println!("stopping");
    gateway.shutdown().await;
    tokio::task::spawn_blocking(move || backends.stop()).await.map_err(|e| e.to_string())?;
    println!("stopped");
    Ok(())
}

async fn wait_for_signal() -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    Ok(())
}
