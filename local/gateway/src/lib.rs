//! Local emulator of the AWS side of the IM backend.
//!
//! - [`Backends`] runs DynamoDB Local and the moto S3 server as child processes.
//! - [`Gateway`] reads `infra/template.yaml` and serves the HTTP API (payload
//!   format 2.0), the WebSocket API with its `@connections` management endpoint,
//!   and polls the table's DynamoDB stream into the delivery function — calling
//!   the function crates' `handle` functions in-process.
//! - [`testing::spawn_app`] gives integration tests a fresh gateway on a unique table.
//! - [`stats`]: `GET /_local/stats`, the stack's counters for a load generator in another process.
//!
//! `bin/local-stack` (`make dev`) wires both together for development.

pub mod apigw;
pub mod backends;
pub mod ddb_json;
pub mod filter;
pub mod functions;
pub mod gateway;
mod http_api;
pub mod iam;
pub mod openapi;
pub mod paths;
pub mod routing;
mod setup;
pub mod stats;
pub mod streams;
pub mod template;
pub mod testing;
mod ws_api;

pub use backends::{Backends, BackendsConfig, Child as BackendChild};
pub use gateway::{Connections, Gateway, GatewayConfig};
pub use stats::LocalStats;
pub use streams::{StreamStats, StreamStatsHandle};

/// Every start-up failure of the local stack: a message meant for a developer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Error` from anything printable, with context: `.map_err(ctx("creating table"))`.
pub(crate) fn ctx<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> Error + '_ {
    move |e| Error(format!("{what}: {e}"))
}

/// Same as [`ctx`] for AWS SDK errors, whose Display hides the service's message.
pub(crate) fn sdk_ctx<E: std::error::Error + 'static>(what: &str) -> impl FnOnce(E) -> Error + '_ {
    move |e| Error(format!("{what}: {}", aws_smithy_types::error::display::DisplayErrorContext(&e)))
}
