//! The operator console's audit trail: one entry per console mutation, written in the
//! transaction of the change (store/audit.rs). Typed values only.

use crate::ids::UserId;

/// Who changed what through which console route, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub operator: UserId,
    /// The console route (`/console/deleteUser`).
    pub route: String,
    /// What it changed: `user:<uid>`, `room:<jid>`, `msg:<id>` …
    pub targets: Vec<String>,
    pub at_ms: i64,
}

/// The UTC day of a millisecond timestamp as `yyyymmdd` (the audit partition).
pub fn day(ms: i64) -> String {
    crate::clock::utc_day(ms)
}
