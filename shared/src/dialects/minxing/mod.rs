//! Minxing JSON shapes rendered by more than one function (users, groups).

pub mod chat;
pub mod feed;
pub mod files;
pub mod mail;
pub mod ocus;
pub mod org;
pub mod relations;
pub mod rooms;
pub mod users;

pub use users::{gender_name, user_json};

/// The single network every account belongs to (functions/org).
pub const NETWORK_ID: i64 = 1;
