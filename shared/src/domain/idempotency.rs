//! Idempotency keys of console creations (`/console/addRoom`, `/console/sendMessage`,
//! `/console/pushToAll`; docs/dialects.md "Shiku console"): a key the client sends with a
//! creation, remembered 24 h with the id of what the first request made, so a replay answers
//! that instead of making it again.

use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// The request header that carries the key.
pub const HEADER: &str = "Idempotency-Key";
/// Longest key.
pub const MAX_LEN: usize = 64;
/// How long a key is remembered (seconds).
pub const TTL_SECS: i64 = 86_400;

/// A claimed key: scoped to the operator and the route (the same key of another operator or
/// on another route is another key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemKey {
    pub operator: UserId,
    pub route: String,
    pub key: String,
}

impl IdemKey {
    /// `raw`: 1–[`MAX_LEN`] characters of `[A-Za-z0-9_-]`, else an invalid-parameter error
    /// named [`HEADER`].
    pub fn parse(operator: UserId, route: &str, raw: &str) -> AppResult<IdemKey> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(AppError::invalid(HEADER, format!("1-{MAX_LEN} characters of A-Z a-z 0-9 _ -")));
        }
        Ok(IdemKey { operator, route: route.to_string(), key: raw.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_plain_tokens() {
        let k = IdemKey::parse(UserId(7), "/console/addRoom", "a1_B-2").unwrap();
        assert_eq!((k.operator, k.route.as_str(), k.key.as_str()), (UserId(7), "/console/addRoom", "a1_B-2"));
        assert!(IdemKey::parse(UserId(7), "/r", &"x".repeat(64)).is_ok());
        for bad in ["", "a b", "a#b", "ä", &"x".repeat(65)] {
            assert!(IdemKey::parse(UserId(7), "/r", bad).is_err(), "{bad:?}");
        }
    }
}
