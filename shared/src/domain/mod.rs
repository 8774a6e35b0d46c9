//! Typed entities and ids ("parse, don't validate"): no DynamoDB types, no JSON, no I/O.

pub mod apps;
pub mod audit;
pub mod broadcasts;
pub mod chat;
pub mod config;
pub mod events;
pub mod favorites;
pub mod feed;
pub mod files;
pub mod geo;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod join_requests;
pub mod keypairs;
pub mod mail;
pub mod ocus;
pub mod org;
pub mod relations;
pub mod rooms;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod users;
pub mod wallet;
