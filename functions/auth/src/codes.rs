//! Verification codes and the SealTalk registration flow.
//!
//! Shiku: `/basic/randcode/sendSms`. SealTalk: `/user/send_code`,
//! `/user/verify_code` (→ `verification_token`), `/user/check_username_available`,
//! `/user/check_phone_available`, `/user/register`.
//! Codes are rate-limited per phone, 6 digits, 5 minutes, 5 tries, single use
//! (shared::services::sessions); they are delivered by `shared::sms::sender`.

use serde_json::{json, Value};
use shared::auth::{canonical_password, source_ip};
use shared::dialects::sealtalk::input;
use shared::domain::sessions::{IpKind, Purpose, SEALTALK_TTL};
use shared::domain::users::NewUser;
use shared::http::Call;
use shared::ids::{LoginName, Telephone};
use shared::services::{accounts, config, sessions};
use shared::sms::Lang;
use shared::{AppError, AppResult, Reply};

/// Rate-limit, store and send a code. The answer carries the code only when
/// the deployment exposes codes (local stack; no SMS provider reachable).
/// Sends are limited per source IP as well as per phone (the IP slot is taken first).
async fn send(c: &Call<'_>, phone: &Telephone, purpose: Purpose, lang: Lang) -> AppResult<Value> {
    Ok(match sessions::send_code(c.ctx, &source_ip(&c.req), phone, purpose, lang).await? {
        Some(code) => json!({"code": code}),
        None => json!({}),
    })
}

/// Shiku `/basic/randcode/sendSms`: `isRegister` 1 (default) = the number must
/// be free (registration), 0 = it must belong to an account (password reset).
/// Open route: clients call it before they have a token.
pub async fn shiku_send_sms(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = Telephone::parse(p.str("areaCode")?.as_deref(), &p.req_str("telephone")?)?;
    let lang = Lang::parse(p.str("language")?.as_deref());
    let purpose = match p.i64("isRegister")?.unwrap_or(1) {
        1 => Purpose::Register,
        0 => Purpose::Reset,
        _ => return Err(AppError::invalid("isRegister", "must be 0 or 1")),
    };
    // The answer says whether the number is registered: an existence check.
    crate::ip_limit(c, IpKind::Exists).await?;
    match (purpose, accounts::is_registered(c.ctx, &phone).await?) {
        (Purpose::Register, true) => return Err(AppError::AccountExists),
        (Purpose::Reset, false) => return Err(AppError::AccountNotFound),
        _ => {}
    }
    Ok(Reply::data(send(c, &phone, purpose, lang).await?))
}

/// `region` + `phone` by the original's rules (region 86: mainland mobile numbers).
fn sealtalk_phone(c: &Call<'_>) -> AppResult<Telephone> {
    input::phone(&c.params)
}

/// SealTalk `/user/send_code`: `{code: 200}`, rate limit → `{code: 5000}`.
pub async fn sealtalk_send_code(c: &Call<'_>) -> AppResult<Reply> {
    let phone = sealtalk_phone(c)?;
    let data = send(c, &phone, Purpose::Verify, Lang::Zh).await?;
    Ok(if data.get("code").is_some() { Reply::data(data) } else { Reply::empty() })
}

/// SealTalk `/user/verify_code` → `verification_token` (30 minutes, single use,
/// bound to the phone). Wrong code → 1000, expired/used/out of tries → 2000, no code for
/// the number (never sent, or already used) → 404 as the original's "Unknown phone number."
pub async fn sealtalk_verify_code(c: &Call<'_>) -> AppResult<Reply> {
    let phone = sealtalk_phone(c)?;
    let code = c.params.req_str("code")?;
    let token = sessions::verify_phone(c.ctx, &phone, &code).await?;
    Ok(Reply::data(json!({"verification_token": token})))
}

/// SealTalk `/user/check_username_available` → `true` when the name is free (limited per source IP).
pub async fn sealtalk_check_username(c: &Call<'_>) -> AppResult<Reply> {
    let name = LoginName::username(&c.params.req_str("username")?)?;
    crate::ip_limit(c, IpKind::Exists).await?;
    let taken = accounts::login_taken(c.ctx, &name).await?;
    Ok(Reply::data(json!(!taken)))
}

/// SealTalk `/user/check_phone_available` → `true` when the number is free (limited per source IP).
pub async fn sealtalk_check_phone(c: &Call<'_>) -> AppResult<Reply> {
    let phone = sealtalk_phone(c)?;
    crate::ip_limit(c, IpKind::Exists).await?;
    Ok(Reply::data(json!(!accounts::is_registered(c.ctx, &phone).await?)))
}

/// SealTalk `/user/register` (user.coffee:187-237): password (no space, 6-20 characters),
/// nickname (escaped as `Utility.xss`, then 1-32 characters), verification_token (not a UUID
/// → 400; unknown, expired or used → 404), optional username (an extra login name; taken →
/// 200 `{code: 409}`). The telephone comes from the token; a number that has an account →
/// HTTP 400 as the original. Logs the new account in (session cookie), as the original does.
pub async fn sealtalk_register(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let password = p.req_str("password")?;
    if password.contains(' ') {
        return Err(AppError::invalid("password", "must have no space"));
    }
    let nickname = input::xss(&p.req_str("nickname")?, NICKNAME_MAX);
    if nickname.chars().count() > NICKNAME_MAX {
        return Err(AppError::invalid("nickname", format!("1-{NICKNAME_MAX} characters")));
    }
    input::check_password("password", &password)?;
    let token = p.req_str("verification_token")?;
    input::check_uuid("verification_token", &token)?;
    let username = match p.str("username")? {
        Some(u) => match LoginName::username(&u)? {
            LoginName::Username(u) => Some(u),
            _ => unreachable!("username() returns Username"),
        },
        None => None,
    };
    let canonical = canonical_password(c.dialect, &password)?;
    let new = NewUser { nickname, username: username.clone(), ..Default::default() };
    let user = match accounts::register_with_vtoken(c.ctx, new, canonical, &token).await {
        // Which login name is taken: the username (our extension, 409) or the number (400).
        Err(AppError::AccountExists) => {
            let name_taken = match username {
                Some(u) => accounts::login_taken(c.ctx, &LoginName::Username(u)).await?,
                None => false,
            };
            return Err(match name_taken {
                true => AppError::AccountExists,
                false => AppError::invalid("phone", "phone number has already existed"),
            });
        }
        other => other?,
    };
    let issued = sessions::issue(c.ctx, user.uid, SEALTALK_TTL, None).await?;
    let cookie = crate::sealtalk::session_cookie(&issued.token, SEALTALK_TTL);
    Ok(Reply::data(json!({"id": user.uid.to_string()})).header("set-cookie", cookie))
}

const NICKNAME_MAX: usize = 32;

/// Shiku `/user/register` requires no code unless the Shiku config document
/// has `isOpenSMSCode: 1`; then `smsCode` (or `randcode`) must be a live
/// registration code of the number (sendSms with isRegister=1).
pub async fn shiku_register_code_check(c: &Call<'_>, phone: &Telephone) -> AppResult<()> {
    if !config::shiku_sms_code_required(c.ctx).await? {
        return Ok(());
    }
    let code = match c.params.str("smsCode")? {
        Some(code) => code,
        None => c.params.req_str("randcode").map_err(|_| AppError::missing("smsCode"))?,
    };
    sessions::check_code(c.ctx, phone, Purpose::Register, &code).await
}
