//! Checks of profile fields every dialect's edit shares (lengths, ranges, plausible values).

use crate::domain::geo::Point;
use crate::error::{AppError, AppResult};
use crate::params::Params;

pub const NICKNAME_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 256;

pub fn nickname(name: &str, raw: Option<String>, max: usize) -> AppResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(n) if n.chars().count() > max => Err(AppError::invalid(name, format!("1-{max} characters"))),
        Some(n) if n.chars().any(char::is_control) => Err(AppError::invalid(name, "control characters")),
        Some(n) => Ok(Some(n)),
    }
}

pub fn sex(name: &str, v: Option<i64>) -> AppResult<Option<i64>> {
    match v {
        Some(s) if ![0, 1].contains(&s) => Err(AppError::invalid(name, "must be 0 or 1")),
        v => Ok(v),
    }
}

/// Birthday in epoch seconds, not in the future (milliseconds are accepted and converted).
pub fn birthday(name: &str, v: Option<i64>, now_secs: i64) -> AppResult<Option<i64>> {
    match v {
        None => Ok(None),
        Some(b) => {
            // Milliseconds when implausibly large as seconds (unsigned_abs: i64::MIN has no abs).
            let b = if b.unsigned_abs() > 100_000_000_000 { b / 1000 } else { b };
            if b > now_secs || b < -5_000_000_000 {
                return Err(AppError::invalid(name, "not a plausible birthday"));
            }
            Ok(Some(b))
        }
    }
}

pub fn region_id(p: &Params, name: &str) -> AppResult<Option<i64>> {
    match p.i64(name)? {
        Some(v) if !(0..=99_999_999).contains(&v) => Err(AppError::invalid(name, "not a region id")),
        v => Ok(v),
    }
}

/// `latitude` + `longitude`, both or neither.
pub fn location(p: &Params) -> AppResult<Option<Point>> {
    match (p.f64("latitude")?, p.f64("longitude")?) {
        (None, None) => Ok(None),
        (Some(lat), Some(lng)) => Point::new(lat, lng).map(Some),
        (None, Some(_)) => Err(AppError::missing("latitude")),
        (Some(_), None) => Err(AppError::missing("longitude")),
    }
}

/// Opaque client strings (urls, ids, keys): bounded, no control characters.
pub fn text(p: &Params, name: &str, max: usize) -> AppResult<Option<String>> {
    match p.str(name)? {
        Some(v) if v.len() > max => Err(AppError::invalid(name, format!("longer than {max} bytes"))),
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') => {
            Err(AppError::invalid(name, "control characters"))
        }
        v => Ok(v),
    }
}

pub fn req_text(p: &Params, name: &str, max: usize) -> AppResult<String> {
    text(p, name, max)?.ok_or_else(|| AppError::missing(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_checks() {
        let now = 1_700_000_000;
        assert_eq!(crate::domain::users::age(now - 30 * 365 * 86_400 - 20 * 86_400, now), 30);
        assert_eq!(crate::domain::users::age(now + 10, now), 0);
        assert!(sex("sex", Some(2)).is_err());
        assert_eq!(sex("sex", Some(1)).unwrap(), Some(1));
        assert!(birthday("birthday", Some(now + 100), now).is_err());
        assert_eq!(birthday("birthday", Some(now * 1000 - 5000), now).unwrap(), Some(now - 5));
        assert!(nickname("nickname", Some("x".repeat(65)), 64).is_err());
        assert!(nickname("nickname", Some("a\u{7}".into()), 64).is_err());
    }
}
