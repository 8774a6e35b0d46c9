//! One running emulation of the template's APIs against one table and bucket.

use crate::functions::{self, Handler};
use crate::http_api::{self, HttpState, Target};
use crate::iam::{self, Grants};
use crate::routing::RouteTable;
use crate::streams::{Counters, Poller, StreamStats, StreamStatsHandle};
use crate::template::Template;
use crate::ws_api::{self, WsState};
use crate::{filter::FilterSet, sdk_ctx, setup, Error, Result};
use shared::provision::Provision;
use shared::{Ctx, LocalConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub ddb_endpoint: String,
    pub s3_endpoint: String,
    /// `infra/template.yaml` ([`crate::paths::template_path`]).
    pub template_path: PathBuf,
    pub table: String,
    pub bucket: String,
    /// 0 = pick a free port.
    pub http_port: u16,
    /// 0 = pick a free port. Also serves `@connections`.
    pub ws_port: u16,
    /// Run first-start provisioning (idempotent) with these settings.
    pub provision: Option<Provision>,
    /// The deployed functions' SDK timeouts (shared::ctx::timeouts) instead of the tests'
    /// longer ones (shared::ctx::local_timeouts).
    pub lambda_timeouts: bool,
    /// The functions' chunked fan-out size (shared::ctx::Settings::fanout_chunk); None: the
    /// default. Tests use small rooms to exercise it.
    pub fanout_chunk: Option<usize>,
}

/// A running gateway. Dropping it stops the servers and the stream poller
/// (in the background); [`Gateway::shutdown`] stops and waits.
pub struct Gateway {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub http_url: String,
    /// `ws://127.0.0.1:<port>` (no trailing slash).
    pub ws_url: String,
    /// The context handlers get: SDK clients on this gateway's table and bucket.
    pub ctx: Ctx,
    pub local_config: LocalConfig,
    /// False when the table already existed (a dev restart on kept data).
    pub table_created: bool,
    /// Time `start` took (template, table, bucket, provisioning, listeners).
    pub startup: Duration,
    counters: Arc<Counters>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    ws: Option<Arc<WsState>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("http_url", &self.http_url).field("ws_url", &self.ws_url).finish()
    }
}

async fn bind(port: u16, what: &str, env: &str) -> Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        Error(format!("cannot listen on 127.0.0.1:{port} for the {what}: {e} (set {env} to another port)"))
    })
}

impl Gateway {
    pub async fn start(cfg: GatewayConfig) -> Result<Gateway> {
        let t0 = Instant::now();
        let template = Template::load_cached(&cfg.template_path)?;

        // Every function the template names must be known here, and be of the right kind.
        let mut handlers = std::collections::BTreeMap::new();
        for f in template.functions.values() {
            let h = functions::lookup(&f.binary).ok_or_else(|| {
                Error(format!(
                    "{}: the template names binary `{}` ({}), which the local gateway does not know; \
                     add it to local/gateway/src/functions.rs",
                    cfg.template_path.display(),
                    f.binary,
                    f.logical_id
                ))
            })?;
            handlers.insert(f.logical_id.clone(), h);
        }
        let kind_error = |id: &str, what: &str| {
            Error(format!("{id} (binary `{}`) cannot serve {what}", template.function(id).binary))
        };

        // Least privilege, enforced: each function's DynamoDB calls are checked against its Policies.
        let grants_of = |id: &str| Arc::new(Grants::new(id, &template.function(id).grants));
        let mut routes = RouteTable::new();
        for r in &template.http_routes {
            let Handler::Http(handler) = handlers[&r.function] else {
                return Err(kind_error(&r.function, &format!("HTTP route {}", r.route_key())));
            };
            let f = template.function(&r.function);
            let target = Target {
                binary: f.binary.clone(),
                handler,
                timeout: Duration::from_secs(f.timeout_secs),
                grants: grants_of(&r.function),
            };
            routes.add(&r.method, &r.path, target).map_err(Error)?;
        }
        if let Some(ws) = &template.ws {
            for (key, f) in &ws.routes {
                if !matches!(handlers[f], Handler::Realtime) {
                    return Err(kind_error(f, &format!("WebSocket route {key}")));
                }
            }
        }
        let mut consumers = vec![];
        for c in &template.stream_consumers {
            if !matches!(handlers[&c.function], Handler::Delivery) {
                return Err(kind_error(&c.function, "the table stream"));
            }
            let filters = FilterSet::parse(&c.filter_patterns).map_err(|e| Error(format!("{}: {e}", c.function)))?;
            consumers.push((c.clone(), filters));
        }

        let http_listener = bind(cfg.http_port, "HTTP API", "HTTP_PORT").await?;
        let ws_listener = bind(cfg.ws_port, "WebSocket API", "WS_PORT").await?;
        let http_port = http_listener.local_addr().map_err(crate::ctx("HTTP listener"))?.port();
        let ws_port = ws_listener.local_addr().map_err(crate::ctx("WebSocket listener"))?.port();

        let local_config = LocalConfig {
            table: cfg.table.clone(),
            bucket: cfg.bucket.clone(),
            ddb_endpoint: cfg.ddb_endpoint.clone(),
            s3_endpoint: cfg.s3_endpoint.clone(),
            ws_management_endpoint: format!("http://127.0.0.1:{ws_port}"),
            lambda_timeouts: cfg.lambda_timeouts,
        };
        let mut ctx = Ctx::local(&local_config);
        ctx.db.client = iam::enforcing(&ctx.db.client);
        // The HTTP API base Shiku `/config` announces (deployed: the request's domain).
        ctx.settings.public.api_url = Some(format!("http://127.0.0.1:{http_port}"));
        if let Some(chunk) = cfg.fanout_chunk {
            ctx.settings.fanout_chunk = chunk;
        }
        let t_setup = Instant::now();
        let table_created = setup::ensure_table(&ctx.db.client, &cfg.table, &template.table).await?;
        let t_table = t_setup.elapsed();
        setup::ensure_bucket(&ctx.s3, &cfg.bucket, template.bucket_cors.as_ref()).await?;
        let t_bucket = t_setup.elapsed();
        if let Some(p) = &cfg.provision {
            shared::provision::run(&ctx, p).await.map_err(|e| Error(format!("provisioning failed: {e}")))?;
        }
        tracing::debug!(
            "gateway setup: template {} ms, table {} ms, bucket {} ms, provisioning {} ms",
            (t_setup - t0).as_millis(),
            t_table.as_millis(),
            (t_bucket - t_table).as_millis(),
            (t_setup.elapsed() - t_bucket).as_millis()
        );

        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared_ctx = Arc::new(ctx.clone());
        let counters = Arc::new(Counters::default());
        let mut tasks = vec![];

        if !consumers.is_empty() {
            let table =
                ctx.db.client.describe_table().table_name(&cfg.table).send().await.map_err(sdk_ctx("DescribeTable"))?;
            match table.table().and_then(|t| t.latest_stream_arn()) {
                Some(arn) => {
                    let client = streams_client(&cfg.ddb_endpoint, cfg.lambda_timeouts);
                    for (c, filters) in consumers {
                        let poller = Poller {
                            client: client.clone(),
                            stream_arn: arn.to_string(),
                            ctx: shared_ctx.clone(),
                            filters,
                            timeout: Duration::from_secs(template.function(&c.function).timeout_secs),
                            grants: grants_of(&c.function),
                            consumer: c.clone(),
                            fresh_table: table_created,
                            counters: counters.clone(),
                            shutdown: shutdown_rx.clone(),
                        };
                        tasks.push(tokio::spawn(poller.run()));
                    }
                }
                None => tracing::warn!(table = %cfg.table, "table has no stream: stream consumers will not run"),
            }
        }

        let ws = template.ws.clone().map(|api| {
            Arc::new(WsState {
                ctx: shared_ctx.clone(),
                grants: api.routes.values().map(|f| (f.clone(), grants_of(f))).collect(),
                api,
                api_id: crate::apigw::api_id(),
                port: ws_port,
                conns: Default::default(),
                active: Default::default(),
                shutdown: shutdown_rx.clone(),
            })
        });
        match &ws {
            Some(st) => tasks.push(tokio::spawn(ws_api::serve(ws_listener, st.clone(), shutdown_rx.clone()))),
            None => drop(ws_listener),
        }

        let http_state = Arc::new(HttpState {
            routes,
            ctx: shared_ctx.clone(),
            api_id: crate::apigw::api_id(),
            port: http_port,
            cors: template.http_cors.clone(),
            stats: crate::stats::Source { counters: counters.clone(), ws: ws.clone() },
        });
        tasks.push(tokio::spawn(http_api::serve(http_listener, http_state, shutdown_rx.clone())));

        Ok(Gateway {
            http_url: format!("http://127.0.0.1:{http_port}"),
            ws_url: format!("ws://127.0.0.1:{ws_port}"),
            ctx,
            local_config,
            table_created,
            startup: t0.elapsed(),
            counters,
            shutdown,
            tasks,
            ws,
        })
    }

    /// What the stream consumer delivered so far.
    pub fn stream_stats(&self) -> StreamStats {
        self.counters.snapshot()
    }

    /// A handle on [`Gateway::stream_stats`] that outlives borrows of the gateway.
    pub fn stream_stats_handle(&self) -> StreamStatsHandle {
        StreamStatsHandle(self.counters.clone())
    }

    /// The open WebSocket connections (a cloneable view).
    pub fn connections(&self) -> Connections {
        Connections(self.ws.clone())
    }

    /// Close every WebSocket connection (running `$disconnect`), stop the servers and the poller, and wait.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(ws) = &self.ws {
            ws_api::drain(ws, Duration::from_secs(5)).await;
        }
        for t in std::mem::take(&mut self.tasks) {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// A view of a gateway's open WebSocket connections, usable from any thread.
#[derive(Clone)]
pub struct Connections(Option<Arc<WsState>>);

impl Connections {
    /// Ids of the open connections, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .0
            .as_ref()
            .map(|w| w.conns.lock().expect("connections lock").keys().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |w| w.conns.lock().expect("connections lock").len())
    }

    /// A virtual connection `id` (no socket): posts to it land on the answered channel
    /// (ws_api::attach_virtual). None when the template has no WebSocket API.
    pub fn attach_virtual(&self, id: &str) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
        self.0.as_ref().map(|w| ws_api::attach_virtual(w, id))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

/// DynamoDB Streams client on the local endpoint (static credentials, us-east-1).
fn streams_client(endpoint: &str, lambda_timeouts: bool) -> aws_sdk_dynamodbstreams::Client {
    use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(crate::apigw::REGION))
        .credentials_provider(Credentials::new("local", "local", None, None, "local-stack"))
        .endpoint_url(endpoint)
        .timeout_config(if lambda_timeouts { shared::ctx::timeouts() } else { shared::ctx::local_timeouts() })
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(conf)
}
