//! Shared crate of every function. Layers, top to bottom (docs/architecture.md); a module
//! may use only the layers below it (checked by tests/layers.rs):
//!
//! - `dialects`: one module per product: envelope, error codes, JSON views, request structs.
//! - `services`: the rules, one module per capability, called by every dialect's handler.
//! - `realtime`: frames (built in one place) and posting them to sockets.
//! - `store`: DynamoDB only: key formats (`store::keys`), items, conditional writes.
//! - `domain`: typed entities and ids; no DynamoDB, no JSON.
//!
//! Plumbing any layer may use: `error`, `clock`, `budget`, `metrics`, `ctx`, `params`, `objects`.

pub mod auth;
pub mod budget;
pub mod clock;
pub mod ctx;
pub mod dialects;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod objects;
pub mod params;
pub mod privacy;
pub mod provision;
pub mod push;
pub mod realtime;
pub mod services;
pub mod sms;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use ctx::{Ctx, LocalConfig};
pub use dialects::{Dialect, Reply};
pub use domain::ids;
pub use error::{AppError, AppResult};
pub use ids::UserId;
pub use params::Params;
