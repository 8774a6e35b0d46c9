//! Password change (old password + session) and reset (SMS code or SealTalk
//! verification token).
//!
//! Shiku: `/user/password/update`, `/user/password/reset`.
//! SealTalk: `/user/change_password`, `/user/reset_password`.
//! A change keeps the calling session (and its paired token) and revokes every
//! other token of the account; a reset revokes all of them.

use shared::auth::{canonical_password, source_ip};
use shared::dialects::sealtalk::input;
use shared::domain::sessions::Session;
use shared::http::Call;
use shared::ids::Telephone;
use shared::services::accounts;
use shared::{AppResult, Reply};

async fn change(c: &Call<'_>, sess: &Session, old: String, new: String) -> AppResult<()> {
    accounts::change_password(c.ctx, &source_ip(&c.req), sess, old, new).await
}

/// Shiku `/user/password/update`: oldPassword, newPassword (md5 hex from Shiku clients).
pub async fn shiku_update(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    let p = &c.params;
    let old = canonical_password(c.dialect, &p.req_str("oldPassword")?)?;
    let new = canonical_password(c.dialect, &p.req_str("newPassword")?)?;
    change(c, &sess, old, new).await?;
    Ok(Reply::empty())
}

/// Shiku `/user/password/reset`: telephone, areaCode, randcode (from sendSms
/// with isRegister=0), newPassword. Open route: the user has forgotten the
/// password, so there is no token.
pub async fn shiku_reset(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = Telephone::parse(p.str("areaCode")?.as_deref(), &p.req_str("telephone")?)?;
    let code = p.req_str("randcode")?;
    let new = canonical_password(c.dialect, &p.req_str("newPassword")?)?;
    accounts::reset_password_with_code(c.ctx, phone, &code, new).await?;
    Ok(Reply::empty())
}

/// SealTalk `/user/change_password`: newPassword (6-20 characters, no space → else 400);
/// oldPassword is only compared (wrong, whatever its shape → 1000, user.coffee:350-369).
pub async fn sealtalk_change(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    let p = &c.params;
    let old = p.req_str("oldPassword")?;
    let new = p.req_str("newPassword")?;
    input::check_password("newPassword", &new)?;
    let old = canonical_password(c.dialect, &old)?;
    let new = canonical_password(c.dialect, &new)?;
    change(c, &sess, old, new).await?;
    Ok(Reply::empty())
}

/// SealTalk `/user/reset_password`: password (6-20 characters, no space), verification_token
/// (not a UUID → 400; used up; 404 when unknown, expired or used; user.coffee:319-333).
pub async fn sealtalk_reset(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let password = p.req_str("password")?;
    input::check_password("password", &password)?;
    let token = p.req_str("verification_token")?;
    input::check_uuid("verification_token", &token)?;
    let new = canonical_password(c.dialect, &password)?;
    match accounts::reset_password_with_vtoken(c.ctx, &token, new).await {
        // The original updates 0 rows and answers 200 (user.coffee:338-346).
        Ok(()) | Err(shared::AppError::AccountNotFound) => Ok(Reply::empty()),
        Err(e) => Err(e),
    }
}
