//! Xuanxuan dialect: envelope, error codes, JSON views of domain types, request structs.

pub mod chat;
pub mod users;
