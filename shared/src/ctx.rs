//! Everything a handler needs, built once per cold start (or once per local
//! stack) and shared by every request.

use crate::clock::{self, Clock};
use crate::metrics::CountDdbCalls;
use crate::objects::Objects;
use crate::store::Db;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Connect timeout of every AWS client: a dead endpoint refuses or stays silent; either way
/// an attempt gives up after this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One attempt (request sent → response read): the SDK retries a timed-out attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// All attempts of one operation, retries and their back-off included: under the HTTP
/// functions' 10 s Lambda timeout, so a dead backend makes a request answer the dialect's
/// internal error (Shiku 1020101, Minxing/SealTalk 500, Xuanxuan `fail`) instead of hanging
/// until Lambda kills it (issue 15 §4).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(7);

/// Timeouts of the local stack's tests: DynamoDB Local on a loaded 2-core machine holds a
/// contended transaction's locks up to 10 s and answers a 100-item transaction in seconds, so
/// the Lambda bounds above would turn slow answers into errors there. Still bounded: a dead
/// backend fails in at most a minute. [`LocalConfig::lambda_timeouts`] picks [`timeouts`].
pub fn local_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The timeouts above, for every client (DynamoDB, S3, `@connections`, SNS; the local
/// stack's stream poller too).
pub fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    /// Built on first use (`Lazy`), like `ws` and `sns`.
    pub s3: Lazy<aws_sdk_s3::Client>,
    /// The same bucket without the S3 client (presigned URLs, HEAD, DELETE): the functions
    /// that need no more (`users`) then do not link the client (issue 15 §2).
    pub objects: Objects,
    pub bucket: String,
    /// `@connections` management API of the WebSocket API.
    pub ws: Lazy<aws_sdk_apigatewaymanagement::Client>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// SNS client for verification codes by SMS (deployed stacks; None on the local stack,
    /// which logs codes instead: shared::sms).
    pub sns: Option<Lazy<aws_sdk_sns::Client>>,
}

/// What an AWS client is built from.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub sdk: SdkConfig,
    pub endpoint: Option<String>,
    /// S3 only: path-style addressing.
    pub path_style: bool,
}

/// An AWS client built on its first use (then shared by every clone of the context).
/// Size, not speed (issue 15 §2): a client is only linked into the functions that reach one
/// of its operations, because its construction (config, endpoint resolver, runtime plugins:
/// for S3 its checksum tables and Express session auth) is only reached through `Deref`.
/// Built eagerly in `Ctx::build`, every binary linked every client whatever its routes;
/// cargo features per function would not help `make build`, one `cargo lambda build` of
/// the workspace, which unifies features.
#[derive(Clone)]
pub struct Lazy<C> {
    spec: Arc<ClientSpec>,
    cell: Arc<OnceLock<C>>,
}

impl<C> Lazy<C> {
    pub fn new(spec: ClientSpec) -> Self {
        Lazy { spec: Arc::new(spec), cell: Arc::new(OnceLock::new()) }
    }
}

/// A client built from a `ClientSpec`.
pub trait FromSpec {
    fn from_spec(spec: &ClientSpec) -> Self;
}

impl<C: FromSpec> Deref for Lazy<C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.cell.get_or_init(|| C::from_spec(&self.spec))
    }
}

impl FromSpec for aws_sdk_s3::Client {
    fn from_spec(spec: &ClientSpec) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(&spec.sdk).force_path_style(spec.path_style);
        let conf = match &spec.endpoint {
            Some(e) => conf.endpoint_url(e),
            None => conf,
        };
        aws_sdk_s3::Client::from_conf(conf.build())
    }
}

impl FromSpec for aws_sdk_apigatewaymanagement::Client {
    fn from_spec(spec: &ClientSpec) -> Self {
        let conf = aws_sdk_apigatewaymanagement::config::Builder::from(&spec.sdk);
        let conf = match &spec.endpoint {
            Some(e) => conf.endpoint_url(e),
            None => conf,
        };
        aws_sdk_apigatewaymanagement::Client::from_conf(conf.build())
    }
}

impl FromSpec for aws_sdk_sns::Client {
    fn from_spec(spec: &ClientSpec) -> Self {
        aws_sdk_sns::Client::new(&spec.sdk)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Return verification codes in responses (no SMS provider is reachable in dev).
    pub expose_verification_codes: bool,
    /// Abuse limits (store/limits.rs).
    pub limits: Limits,
    /// Public addresses of this deployment (Shiku `/config`).
    pub public: PublicUrls,
    /// Wallet providers (issue 14; domain/wallet.rs `Providers`).
    pub wallet: crate::domain::wallet::Providers,
    /// Login names (telephone with or without area code, username, email) whose accounts are
    /// console operators besides those of role `operator` (env `CONSOLE_OPERATORS`, comma
    /// separated; template parameter `ConsoleOperators`): services::operators.
    pub console_operators: Vec<String>,
    /// Rooms with more members than this fan out in parts of this many members (store/fanout.rs;
    /// env `FANOUT_CHUNK`, default domain::chat::FANOUT_CHUNK; 0 = never).
    pub fanout_chunk: usize,
}

/// `CONSOLE_OPERATORS`: comma-separated login names.
fn console_operators_from_env() -> Vec<String> {
    std::env::var("CONSOLE_OPERATORS")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where clients reach this deployment. Deployed stacks: `DOWNLOAD_URL` from the template
/// (the bucket's regional domain); the HTTP API base is the request's own domain (API
/// Gateway `requestContext.domainName`: the template cannot pass the HttpApi's URL to its
/// functions, a circular dependency). The local stack sets both.
#[derive(Debug, Clone, Default)]
pub struct PublicUrls {
    /// HTTP API base without a trailing slash; None: `https://<request domain>`.
    pub api_url: Option<String>,
    /// Shiku `/config` `downloadUrl` when the operator serves files from elsewhere (a CDN in
    /// front of the bucket; env `DOWNLOAD_URL`). None: `<api base>/files/`, this stack's route.
    pub download_url: Option<String>,
}

/// Abuse limits; the defaults are the production values (overridable with `LIMIT_*`
/// environment variables). The local stack uses them too: every e2e test has its own
/// table, so no test shares a counter with another.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed password checks of one account (or one unknown login name) per window
    /// before its password login locks.
    pub login_fails_per_account: i64,
    pub login_window_secs: i64,
    /// First lock; each further lock (without a success in between) doubles, up to the max.
    pub login_lock_secs: i64,
    pub login_lock_max_secs: i64,
    /// Failed logins from one source IP per `login_window_secs` (a success does not clear it).
    pub login_fails_per_ip: i64,
    /// Verification code sends per source IP per window (besides the per-phone limit).
    pub sms_per_ip: i64,
    pub sms_ip_window_secs: i64,
    /// "Is this phone/username registered?" answers per source IP per window.
    pub exists_checks_per_ip: i64,
    pub exists_window_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            login_fails_per_account: 5,
            login_window_secs: 900,
            login_lock_secs: 300,
            login_lock_max_secs: 86_400,
            login_fails_per_ip: 50,
            sms_per_ip: 10,
            sms_ip_window_secs: 3600,
            exists_checks_per_ip: 30,
            exists_window_secs: 600,
        }
    }
}

impl Limits {
    fn from_env() -> Limits {
        let d = Limits::default();
        let v = |name: &str, default: i64| {
            std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|v: &i64| *v > 0).unwrap_or(default)
        };
        Limits {
            login_fails_per_account: v("LIMIT_LOGIN_FAILS_PER_ACCOUNT", d.login_fails_per_account),
            login_window_secs: v("LIMIT_LOGIN_WINDOW_SECS", d.login_window_secs),
            login_lock_secs: v("LIMIT_LOGIN_LOCK_SECS", d.login_lock_secs),
            login_lock_max_secs: v("LIMIT_LOGIN_LOCK_MAX_SECS", d.login_lock_max_secs),
            login_fails_per_ip: v("LIMIT_LOGIN_FAILS_PER_IP", d.login_fails_per_ip),
            sms_per_ip: v("LIMIT_SMS_PER_IP", d.sms_per_ip),
            sms_ip_window_secs: v("LIMIT_SMS_IP_WINDOW_SECS", d.sms_ip_window_secs),
            exists_checks_per_ip: v("LIMIT_EXISTS_CHECKS_PER_IP", d.exists_checks_per_ip),
            exists_window_secs: v("LIMIT_EXISTS_WINDOW_SECS", d.exists_window_secs),
        }
    }
}

/// Wallet providers of a deployed stack (issue 14): `PAYMENT_PROVIDER` / `PAYOUT_PROVIDER`
/// (template parameters PaymentProvider / PayoutProvider) name a real provider; none is
/// built yet, so every value (including "local": no free money on a deployed stack) leaves
/// them unset and the wallet refuses recharges and withdrawals. `PAYOUT_API_KEY`: the
/// withdrawal secret's apiKey. Only `Ctx::local` has the local providers.
fn wallet_from_env() -> crate::domain::wallet::Providers {
    for var in ["PAYMENT_PROVIDER", "PAYOUT_PROVIDER"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() && v != "none" {
                tracing::warn!(var, value = %v, "unknown wallet provider: the wallet refuses");
            }
        }
    }
    crate::domain::wallet::Providers {
        payment: None,
        payout: None,
        payout_api_key: std::env::var("PAYOUT_API_KEY").unwrap_or_default(),
    }
}

/// Explicit endpoints for the local stack; on AWS everything comes from the environment.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub table: String,
    pub bucket: String,
    pub ddb_endpoint: String,
    pub s3_endpoint: String,
    pub ws_management_endpoint: String,
    /// The deployed functions' SDK timeouts ([`timeouts`]) instead of [`local_timeouts`]:
    /// `make dev` and the fault runs, which check that nothing hangs.
    pub lambda_timeouts: bool,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("environment variable {name} must be set"))
}

impl Ctx {
    fn build(
        sdk: &SdkConfig,
        table: String,
        bucket: String,
        ws_endpoint: String,
        path_style: bool,
        settings: Settings,
    ) -> Ctx {
        let ddb_conf = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(CountDdbCalls).build();
        Ctx {
            db: Db::new(aws_sdk_dynamodb::Client::from_conf(ddb_conf), table),
            s3: Lazy::new(ClientSpec { sdk: sdk.clone(), endpoint: None, path_style }),
            objects: Objects::new(sdk.clone(), bucket.clone(), None, path_style),
            bucket,
            ws: Lazy::new(ClientSpec { sdk: sdk.clone(), endpoint: Some(ws_endpoint), path_style: false }),
            clock: clock::system(),
            settings,
            sns: None,
        }
    }

    /// Lambda cold start: TABLE_NAME, BUCKET_NAME, WS_ENDPOINT from the template.
    pub async fn from_env() -> Ctx {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).load().await;
        let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
        let bucket = env("BUCKET_NAME");
        let public =
            PublicUrls { api_url: None, download_url: std::env::var("DOWNLOAD_URL").ok().filter(|v| !v.is_empty()) };
        let settings = Settings {
            expose_verification_codes: std::env::var("EXPOSE_VERIFICATION_CODES").is_ok_and(|v| v == "true"),
            limits: Limits::from_env(),
            public,
            wallet: wallet_from_env(),
            console_operators: console_operators_from_env(),
            fanout_chunk: std::env::var("FANOUT_CHUNK")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(crate::domain::chat::FANOUT_CHUNK),
        };
        let mut ctx = Ctx::build(&sdk, env("TABLE_NAME"), bucket, env("WS_ENDPOINT"), path_style, settings);
        // Deployed stacks send codes by SMS; only the local stack logs them.
        ctx.sns = Some(Lazy::new(ClientSpec { sdk, endpoint: None, path_style: false }));
        ctx
    }

    /// Local stack: static credentials, explicit endpoints, path-style S3.
    pub fn local(cfg: &LocalConfig) -> Ctx {
        let creds = aws_credential_types::Credentials::new("local", "local", None, None, "local-stack");
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
            .timeout_config(if cfg.lambda_timeouts { timeouts() } else { local_timeouts() })
            .build();
        let mut ctx = Ctx::build(
            &sdk,
            cfg.table.clone(),
            cfg.bucket.clone(),
            cfg.ws_management_endpoint.clone(),
            true,
            Settings {
                expose_verification_codes: true,
                limits: Limits::default(),
                // Path-style objects on the S3 emulator; the gateway sets `api_url` once bound.
                public: PublicUrls { api_url: None, download_url: None },
                wallet: crate::domain::wallet::Providers::local(),
                console_operators: console_operators_from_env(),
                fanout_chunk: crate::domain::chat::FANOUT_CHUNK,
            },
        );
        let ddb_conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&cfg.ddb_endpoint)
            .interceptor(CountDdbCalls)
            .build();
        ctx.db = Db::new(aws_sdk_dynamodb::Client::from_conf(ddb_conf), cfg.table.clone());
        ctx.objects = Objects::new(sdk.clone(), cfg.bucket.clone(), Some(cfg.s3_endpoint.clone()), true);
        ctx.s3 = Lazy::new(ClientSpec { sdk, endpoint: Some(cfg.s3_endpoint.clone()), path_style: true });
        ctx
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
    pub fn now_secs(&self) -> i64 {
        self.clock.now_secs()
    }
}

/// JSON logs to CloudWatch, one object per line with the current span's fields (the
/// request's id, route, dialect and user: shared::http::serve); call once at the top of
/// every `main`. CloudWatch stamps the time.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time();
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    let _ = tracing_subscriber::registry().with(json).with(filter).try_init();
}

/// `RUST_LOG` as per-target levels (`info`, `warn,shared=debug`; the template sets `info`):
/// tracing-subscriber's `Targets`, not its `EnvFilter`, whose directive parser links `regex`
/// into every function (issue 15 §2; span-field directives are not supported). Unset or
/// unreadable: info; empty: errors only, as `EnvFilter` does.
fn log_filter(v: Option<&str>) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    match v.map(str::trim) {
        None => Targets::new().with_default(LevelFilter::INFO),
        Some("") => Targets::new().with_default(LevelFilter::ERROR),
        Some(v) => v.parse().unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO)),
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;
    use tracing::Level;

    #[test]
    fn rust_log_sets_levels_per_target() {
        let on = |v: Option<&str>, target: &str, level: Level| log_filter(v).would_enable(target, &level);
        assert!(on(None, "users", Level::INFO) && !on(None, "users", Level::DEBUG));
        assert!(on(Some(" DEBUG "), "shared", Level::DEBUG));
        assert!(!on(Some("warn"), "shared", Level::INFO) && on(Some("warn"), "shared", Level::WARN));
        assert!(!on(Some("off"), "shared", Level::ERROR));
        let mixed = Some("warn,shared::store=debug");
        assert!(on(mixed, "shared::store::live", Level::DEBUG) && !on(mixed, "delivery", Level::INFO));
        // As EnvFilter: set but empty enables errors only; unreadable: info.
        assert!(on(Some(""), "x", Level::ERROR) && !on(Some(""), "x", Level::WARN));
        assert!(on(Some("=;!"), "x", Level::INFO));
    }
}
