//! Shared crate of every function: envelopes, errors, parameters, auth and
//! the DynamoDB single-table data model.

pub mod auth;
pub mod budget;
pub mod clock;
pub mod ctx;
pub mod dialect;
pub mod error;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod minxing;
pub mod params;
pub mod privacy;
pub mod provision;
pub mod push;
pub mod realtime;
pub mod sms;
pub mod store;

pub use ctx::{Ctx, LocalConfig};
pub use dialect::{Dialect, Reply};
pub use error::{AppError, AppResult};
pub use ids::UserId;
pub use params::Params;
