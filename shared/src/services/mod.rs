//! The rules, one module per capability. Every dialect's handler calls these; a rule lives
//! here once. Services use `domain`, `store` and `realtime`; never `dialects` or JSON views.

pub mod accounts;
pub mod chat;
pub mod courses;
pub mod delivery;
pub mod presence;
pub mod privacy;
pub mod relations;
pub mod rooms;
