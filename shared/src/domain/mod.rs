//! Typed entities and ids ("parse, don't validate"): no DynamoDB types, no JSON, no I/O.

pub mod chat;
pub mod events;
pub mod ids;
pub mod relations;
pub mod rooms;
pub mod secrets;
pub mod users;
