//! Password change (old password + session) and reset (SMS code or SealTalk
//! verification token).
//!
//! Shiku: `/user/password/update`, `/user/password/reset`.
//! SealTalk: `/user/change_password`, `/user/reset_password`.
//! A change keeps the calling session (and its paired token) and revokes every
//! other token of the account; a reset revokes all of them.

use shared::auth::{canonical_password, hash_password, source_ip, verify_password};
use shared::http::Call;
use shared::ids::{LoginName, Telephone};
use shared::store::codes::{self, Purpose};
use shared::store::limits::{self, Subject};
use shared::store::tokens::Session;
use shared::store::users;
use shared::{AppError, AppResult, Ctx, Reply};

async fn argon2_hash(canonical: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&canonical)).await.map_err(AppError::internal)?
}

/// Check the old password (a password check like a login: it takes an attempt of the
/// account's lock, store/limits.rs), store the new one (conditional on the old hash),
/// revoke the caller's other tokens and close their WebSocket connections.
async fn change(c: &Call<'_>, sess: &Session, old: String, new: String) -> AppResult<()> {
    let ctx = c.ctx;
    let user = users::get(&ctx.db, sess.uid).await?.ok_or(AppError::TokenInvalid)?;
    let subject = Subject::User(sess.uid);
    let attempt = limits::begin(&ctx.db, ctx.now_secs(), &source_ip(&c.req), &subject, crate::login_rules(ctx)).await?;
    let stored = user.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&old, &stored)).await.map_err(AppError::internal)?;
    if !ok {
        attempt.failed(&ctx.db).await?;
        return Err(AppError::BadCredentials);
    }
    attempt.succeeded(&ctx.db).await?;
    let new_hash = argon2_hash(new).await?;
    users::set_password(&ctx.db, sess.uid, Some(&user.password_hash), &new_hash, ctx.now_ms()).await?;
    shared::auth::revoke_all(ctx, sess.uid, Some(sess)).await
}

/// Store a new password for the account of `phone`, revoke all its tokens and close all
/// its WebSocket connections.
async fn reset(ctx: &Ctx, phone: Telephone, new: String) -> AppResult<()> {
    let uid = users::find_login(&ctx.db, &LoginName::Phone(phone)).await?.ok_or(AppError::AccountNotFound)?;
    let new_hash = argon2_hash(new).await?;
    users::set_password(&ctx.db, uid, None, &new_hash, ctx.now_ms()).await?;
    shared::auth::revoke_all(ctx, uid, None).await
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
    codes::verify(&c.ctx.db, &phone, Purpose::Reset, &code, c.ctx.now_secs()).await?;
    reset(c.ctx, phone, new).await?;
    Ok(Reply::empty())
}

/// SealTalk `/user/change_password`: oldPassword, newPassword (6-20 bytes each); cookie session.
pub async fn sealtalk_change(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    let p = &c.params;
    let old = p.req_str("oldPassword")?;
    let new = p.req_str("newPassword")?;
    crate::sealtalk::check_password_shape(&old)
        .map_err(|_| AppError::invalid("oldPassword", "6-20 bytes without spaces"))?;
    crate::sealtalk::check_password_shape(&new)
        .map_err(|_| AppError::invalid("newPassword", "6-20 bytes without spaces"))?;
    let old = canonical_password(c.dialect, &old)?;
    let new = canonical_password(c.dialect, &new)?;
    change(c, &sess, old, new).await?;
    Ok(Reply::empty())
}

/// SealTalk `/user/reset_password`: password, verification_token (used up; 404
/// when unknown, expired or used).
pub async fn sealtalk_reset(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let password = p.req_str("password")?;
    crate::sealtalk::check_password_shape(&password)?;
    let token = p.req_str("verification_token")?;
    let new = canonical_password(c.dialect, &password)?;
    let phone = codes::consume_vtoken(&c.ctx.db, &token, c.ctx.now_secs()).await?;
    reset(c.ctx, phone, new).await?;
    Ok(Reply::empty())
}
