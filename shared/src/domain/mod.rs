//! Typed entities and ids ("parse, don't validate"): no DynamoDB types, no JSON, no I/O.

pub mod apps;
pub mod chat;
pub mod config;
pub mod ids;
pub mod relations;
pub mod rooms;
pub mod secrets;
pub mod sessions;
pub mod users;
