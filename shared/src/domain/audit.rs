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
    // Howard Hinnant's civil_from_days.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(super::day(0), "19700101");
        assert_eq!(super::day(951_782_400_000), "20000229");
        assert_eq!(super::day(1_796_083_199_999), "20261130");
        assert_eq!(super::day(1_796_083_200_000), "20261201");
    }
}
