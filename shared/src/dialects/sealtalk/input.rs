//! SealTalk input rules as the original server (rongcloud/sealtalk-server `dev`,
//! src/routes/user.coffee, src/util/util.coffee) applies them, for the SealTalk handlers only.

use crate::ids::Telephone;
use crate::params::Params;
use crate::{AppError, AppResult};

/// `Utility.xss(str, max)` (util.coffee:114-121): js-xss with an empty white list escapes
/// only `<` and `>` ([`super::super::sealtalk_escape`]); when the raw text fits `max`
/// characters but the escaped one does not, the escaped text is cut to `max`.
pub fn xss(text: &str, max: usize) -> String {
    let out = crate::dialects::sealtalk_escape(text);
    if text.chars().count() <= max && out.chars().count() > max {
        return out.chars().take(max).collect();
    }
    out
}

/// `region` + `phone` (user.coffee:36-37 `isMobilePhone(phone, regionMap[region])`):
/// `region: ""` → 400 (the original's "Empty region."); region 86 numbers must be
/// mainland mobile numbers `1[345789]` + 9 digits (validator.js zh-CN). Other regions keep
/// the generic 5–15 digit rule (the original refuses every region but 86; ours serves
/// international numbers, docs/dialects.md).
pub fn phone(p: &Params) -> AppResult<Telephone> {
    if matches!(p.raw("region"), Some(serde_json::Value::String(s)) if s.trim().is_empty()) {
        return Err(AppError::missing("region"));
    }
    let region = p.str("region")?;
    phone_of(region.as_deref(), &p.req_str("phone")?)
}

/// [`phone`] for a region and number given as path segments (`/user/find/{region}/{phone}`).
pub fn phone_of(region: Option<&str>, number: &str) -> AppResult<Telephone> {
    let t = Telephone::parse(region, number)?;
    if t.area == "86" && !is_cn_mobile(&t.number) {
        return Err(AppError::invalid("phone", "invalid region and phone number"));
    }
    Ok(t)
}

fn is_cn_mobile(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 11 && b[0] == b'1' && b"345789".contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// Passwords (user.coffee:19-26, 193-198, 323-326, 354-357): 6–20 characters, no ASCII
/// space (tabs and other whitespace pass, as in the original).
pub fn check_password(name: &str, p: &str) -> AppResult<()> {
    if p.contains(' ') {
        return Err(AppError::invalid(name, "must have no space"));
    }
    if !(6..=20).contains(&p.chars().count()) {
        return Err(AppError::invalid(name, "length must be 6-20 characters"));
    }
    Ok(())
}

/// `verification_token` must look like a UUID (`validator.isUUID`, any version) → else 400.
pub fn check_uuid(name: &str, token: &str) -> AppResult<()> {
    let groups: Vec<&str> = token.split('-').collect();
    let ok = groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(AppError::invalid(name, "must be a UUID"));
    }
    Ok(())
}

/// `isURL(u, {protocols: [http, https], require_protocol: true})` and 12–256 characters
/// (user.coffee:447-450), for absolute portrait URLs: a host of letters, digits, `.`, `-`
/// (and an optional port), then printable characters without spaces.
pub fn check_portrait_url(name: &str, uri: &str) -> AppResult<()> {
    let bad = || AppError::invalid(name, "must be an http(s) URL of 12-256 characters");
    if !(12..=256).contains(&uri.chars().count()) || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let rest = uri.strip_prefix("http://").or_else(|| uri.strip_prefix("https://")).ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            "" // a port that is not a number
        }
    });
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !host_ok {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xss_escapes_angle_brackets_only_and_cuts() {
        assert_eq!(xss("Tom & \"J\" 'x' <b>", 32), "Tom & \"J\" 'x' &lt;b&gt;");
        assert_eq!(xss(&"<".repeat(10), 32).chars().count(), 32);
        assert_eq!(xss(&"a".repeat(33), 32).len(), 33, "too long already: left for the length check");
    }

    #[test]
    fn rules() {
        assert!(phone_of(Some("86"), "13912345678").is_ok());
        assert!(phone_of(Some("86"), "20012341234").is_err());
        assert!(phone_of(Some("86"), "1231234123").is_err());
        assert!(phone_of(Some("1"), "2025550123").is_ok());
        assert!(check_password("p", "密码密码密码密").is_ok());
        assert!(check_password("p", "a\tbcdef").is_ok());
        assert!(check_password("p", "ab cdef").is_err());
        assert!(check_password("p", "abcde").is_err());
        assert!(check_uuid("t", "75dd0f90-9b0d-11e5-803f-59b82644bc50").is_ok());
        assert!(check_uuid("t", "75dd0f90-9b0d-11e5-803f-59b82644bc5").is_err());
        assert!(check_portrait_url("u", "http://a.b/cd").is_ok());
        assert!(check_portrait_url("u", "https://img.example:8080/a.jpg").is_ok());
        assert!(check_portrait_url("u", "http://a.b/").is_err());
        assert!(check_portrait_url("u", "ftp://a.b/cdef").is_err());
        assert!(check_portrait_url("u", "http://:80/abcd").is_err());
    }
}
