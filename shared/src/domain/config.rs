//! Server configuration values: client versions and the platforms they are published for.

use crate::error::{AppError, AppResult};

/// The platforms of the version document (CONFIG/versions).
pub const PLATFORMS: [&str; 3] = ["desktop", "iOS", "Android"];

/// A client version "1.2.3" → (1, 2, 3); versions are exactly three numbers (SealTalk's
/// rule, used for every dialect), compared as tuples.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().split('.').map(|p| if p.is_empty() || p.len() > 9 { None } else { p.parse::<u64>().ok() });
    let r = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(r)
}

/// A client's own version (`version` parameter): `x.y.z` or `InvalidParam`.
pub fn client_version(v: &str) -> AppResult<(u64, u64, u64)> {
    parse_version(v).ok_or_else(|| AppError::invalid("version", "must look like 1.2.3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("1.0.2"), Some((1, 0, 2)));
        assert_eq!(parse_version("1.0"), None);
        assert_eq!(parse_version("1.0.2.3"), None);
        assert_eq!(parse_version("a.b.c"), None);
        assert_eq!(parse_version("1..2"), None);
        assert!(parse_version("1.10.0") > parse_version("1.9.9"));
    }
}
