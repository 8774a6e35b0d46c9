//! Shiku dialect: envelope, error codes, JSON views of domain types, request structs.

pub mod chat;
pub mod codes;
pub mod console;
pub mod files;
pub mod org;
pub mod relations;
pub mod rooms;
pub mod users;
