use std::sync::Arc;

/// Time source injected through `Ctx` so handlers are testable with a fixed clock.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
    fn now_secs(&self) -> i64 {
        self.now_ms() / 1000
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// The UTC calendar day of an epoch-ms instant as `yyyymmdd` (day partitions: audit, wallet
/// journal). Howard Hinnant's civil_from_days.
pub fn utc_day(ms: i64) -> String {
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
        assert_eq!(super::utc_day(0), "19700101");
        assert_eq!(super::utc_day(951_782_400_000), "20000229");
        assert_eq!(super::utc_day(1_795_910_400_000 - 1), "20261128");
        assert_eq!(super::utc_day(1_796_083_199_999), "20261130");
        assert_eq!(super::utc_day(1_796_083_200_000), "20261201");
    }
}
