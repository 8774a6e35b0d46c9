//! Parsed identifiers ("parse, don't validate"): once a value is one of these
//! types it is known to be well-formed.

use crate::error::{AppError, AppResult};

/// Numeric user id shared by every dialect (Shiku userId, Minxing user id,
/// Xuanxuan member id; SealTalk sees it as an opaque string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl UserId {
    pub fn parse(name: &str, raw: &str) -> AppResult<UserId> {
        match raw.trim().parse::<i64>() {
            Ok(v) if v > 0 => Ok(UserId(v)),
            _ => Err(AppError::invalid(name, "must be a positive integer user id")),
        }
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A telephone number with its country calling code, digits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telephone {
    pub area: String,
    pub number: String,
}

impl Telephone {
    pub fn parse(area: Option<&str>, number: &str) -> AppResult<Telephone> {
        let area = area.unwrap_or("86").trim().trim_start_matches('+');
        let number = number.trim();
        if area.is_empty() || area.len() > 4 || !area.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid("areaCode", "must be 1-4 digits"));
        }
        if number.len() < 5 || number.len() > 15 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid("telephone", "must be 5-15 digits"));
        }
        Ok(Telephone { area: area.to_string(), number: number.to_string() })
    }
    /// `86` + `13800000000`, the form Shiku stores and MD5-hashes.
    pub fn full(&self) -> String {
        format!("{}{}", self.area, self.number)
    }
}

/// A name a person can log in with; each maps to exactly one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Phone(Telephone),
    /// md5 hex of area code + number, as Shiku clients send the telephone at login.
    PhoneMd5(String),
    /// Shiku `/user/login` only: md5 hex of area code + number or of the number alone (seed
    /// 001: "the telephone, MD5-encrypted"). Same record as [`LoginName::PhoneMd5`]; the
    /// other dialects keep the strict form, so they see no new login name.
    PhoneMd5OrBare(String),
    Email(String),
    Username(String),
}

impl LoginName {
    pub fn key(&self) -> String {
        match self {
            LoginName::Phone(t) => format!("phone:{}:{}", t.area, t.number),
            LoginName::PhoneMd5(h) | LoginName::PhoneMd5OrBare(h) => format!("phonemd5:{h}"),
            LoginName::Email(e) => format!("email:{e}"),
            LoginName::Username(u) => format!("name:{u}"),
        }
    }

    /// The Shiku login form of this name: an md5 may also be the bare number's.
    pub fn or_bare(self) -> LoginName {
        match self {
            LoginName::PhoneMd5(h) => LoginName::PhoneMd5OrBare(h),
            other => other,
        }
    }

    pub fn username(raw: &str) -> AppResult<LoginName> {
        let u = raw.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&u.len())
            && u.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            && !u.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(AppError::invalid("username", "3-32 letters, digits, '_', '.', '-', not only digits"));
        }
        Ok(LoginName::Username(u))
    }

    pub fn email(raw: &str) -> AppResult<LoginName> {
        let e = raw.trim().to_ascii_lowercase();
        let ok = e.len() <= 254 && e.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.'));
        if !ok {
            return Err(AppError::invalid("email", "not an email address"));
        }
        Ok(LoginName::Email(e))
    }

    /// A free-form login name (Minxing `login_name`, Shiku `telephone`):
    /// email if it has '@', md5 hex, telephone if digits (optional +area prefix), else username.
    pub fn guess(raw: &str, area: Option<&str>) -> AppResult<LoginName> {
        let t = raw.trim();
        if t.contains('@') {
            return LoginName::email(t);
        }
        if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) && !t.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(LoginName::PhoneMd5(t.to_ascii_lowercase()));
        }
        let digits = t.trim_start_matches('+');
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Telephone::parse(area, digits).map(LoginName::Phone);
        }
        LoginName::username(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephone_rejects_garbage() {
        assert!(Telephone::parse(None, "13800000000").is_ok());
        assert!(Telephone::parse(Some("+86"), "13800000000").is_ok());
        assert!(Telephone::parse(Some("86a"), "13800000000").is_err());
        assert!(Telephone::parse(None, "138-0000").is_err());
        assert!(Telephone::parse(None, "1234").is_err());
    }

    #[test]
    fn login_name_guess() {
        assert!(matches!(LoginName::guess("a@b.cn", None).unwrap(), LoginName::Email(_)));
        assert!(matches!(LoginName::guess("13800000000", Some("86")).unwrap(), LoginName::Phone(_)));
        assert!(matches!(LoginName::guess("admin", None).unwrap(), LoginName::Username(_)));
        let h = format!("{:x}", md5::Md5::digest_str("8613800000000"));
        assert!(matches!(LoginName::guess(&h, None).unwrap(), LoginName::PhoneMd5(_)));
        assert!(LoginName::guess("a b", None).is_err());
        assert_eq!(UserId::parse("userId", "12").unwrap(), UserId(12));
        assert!(UserId::parse("userId", "-1").is_err());
        assert!(UserId::parse("userId", "x").is_err());
    }

    trait DigestStr {
        fn digest_str(s: &str) -> md5::digest::Output<md5::Md5>;
    }
    impl DigestStr for md5::Md5 {
        fn digest_str(s: &str) -> md5::digest::Output<md5::Md5> {
            use md5::Digest;
            md5::Md5::digest(s.as_bytes())
        }
    }
}
