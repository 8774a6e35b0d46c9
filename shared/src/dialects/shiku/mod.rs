//! Shiku dialect: envelope, error codes, JSON views of domain types, request structs.

pub mod broadcasts;
pub mod chat;
pub mod codes;
pub mod console;
pub mod console_rooms;
pub mod files;
pub mod ocus;
pub mod org;
pub mod relations;
pub mod rooms;
pub mod users;
pub mod wallet;
