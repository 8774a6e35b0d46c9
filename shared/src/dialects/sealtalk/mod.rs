//! SealTalk dialect: envelope, error codes, JSON views of domain types, request structs.

pub mod chat;
pub mod input;
pub mod relations;
pub mod rooms;
pub mod users;

/// SealTalk timestamps: epoch ms as ISO 8601 (`2026-11-28T07:44:52.123Z`).
pub fn iso(ms: i64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_millis(ms).fmt(Format::DateTime).unwrap_or_default()
}
