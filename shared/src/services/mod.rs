//! The rules, one module per capability. Every dialect's handler calls these; a rule lives
//! here once. Services use `domain`, `store` and `realtime`; never `dialects` or JSON views.

pub mod accounts;
pub mod broadcasts;
pub mod chat;
pub mod config;
pub mod console;
pub mod console_logs;
pub mod console_rooms;
pub mod console_sends;
pub mod conversations;
pub mod courses;
pub mod delivery;
pub mod fanout;
pub mod favorites;
pub mod feed;
pub mod files;
pub mod integrations;
pub mod jobs;
pub mod join_requests;
pub mod keys;
pub mod live_members;
pub mod mail;
pub mod nearby;
pub mod ocus;
pub mod operators;
pub mod org;
pub mod presence;
pub mod privacy;
pub mod profiles;
pub mod relations;
pub mod room_invites;
pub mod rooms;
pub mod sessions;
pub mod settings;
pub mod wallet;
