//! The rules, one module per capability. Every dialect's handler calls these; a rule lives
//! here once. Services use `domain`, `store` and `realtime`; never `dialects` or JSON views.

pub mod accounts;
pub mod chat;
pub mod conversations;
pub mod presence;
pub mod privacy;
pub mod relations;
pub mod room_invites;
pub mod rooms;
