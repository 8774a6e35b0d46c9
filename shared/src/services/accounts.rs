//! Accounts: registration, login names, passwords, profiles and settings. The rules every
//! dialect's auth and users handlers share; handlers parse, call these, and render.
//! Logins, tokens, limits and codes: services::sessions.

use super::sessions::{ip_limit, login_rules, verify};
use crate::auth::hash_password;
use crate::domain::sessions::{IpKind, Purpose, Session};
use crate::domain::users::{NewUser, User};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, Telephone};
use crate::store::limits::{self, Subject};
use crate::store::{codes, users};
use crate::Ctx;

/// argon2id of a canonical password, off the async worker.
pub async fn hash_new_password(canonical: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&canonical)).await.map_err(AppError::internal)?
}

/// Whether a telephone is some account's login name.
pub async fn is_registered(ctx: &Ctx, phone: &Telephone) -> AppResult<bool> {
    login_taken(ctx, &LoginName::Phone(phone.clone())).await
}

/// Whether a login name belongs to an account.
pub async fn login_taken(ctx: &Ctx, name: &LoginName) -> AppResult<bool> {
    Ok(users::find_login(&ctx.db, name).await?.is_some())
}

/// Check the old password (a password check like a login: it takes an attempt of the
/// account's lock, store/limits.rs), store the new one (conditional on the old hash),
/// revoke the caller's other tokens and close their WebSocket connections. Passwords are
/// canonical (shared::auth::canonical_password).
pub async fn change_password(ctx: &Ctx, ip: &str, sess: &Session, old: String, new: String) -> AppResult<()> {
    let user = users::get(&ctx.db, sess.uid).await?.ok_or(AppError::TokenInvalid)?;
    let subject = Subject::User(sess.uid);
    let attempt = limits::begin(&ctx.db, ctx.now_secs(), ip, &subject, login_rules(ctx)).await?;
    if !verify(old, user.password_hash.clone()).await? {
        attempt.failed(&ctx.db).await?;
        return Err(AppError::BadCredentials);
    }
    attempt.succeeded(&ctx.db).await?;
    let new_hash = hash_new_password(new).await?;
    users::set_password(&ctx.db, sess.uid, Some(&user.password_hash), &new_hash, ctx.now_ms()).await?;
    crate::auth::revoke_all(ctx, sess.uid, Some(sess)).await
}

/// Shiku reset: check the SMS `code` (Purpose::Reset) of `phone`, then `reset_password`.
pub async fn reset_password_with_code(ctx: &Ctx, phone: Telephone, code: &str, new: String) -> AppResult<()> {
    codes::verify(&ctx.db, &phone, Purpose::Reset, code, ctx.now_secs()).await?;
    reset_password(ctx, phone, new).await
}

/// SealTalk reset: use up the verification token (404 when unknown, expired or used), then
/// `reset_password` for its telephone.
pub async fn reset_password_with_vtoken(ctx: &Ctx, token: &str, new: String) -> AppResult<()> {
    let phone = codes::consume_vtoken(&ctx.db, token, ctx.now_secs()).await?;
    reset_password(ctx, phone, new).await
}

/// Store a new (canonical) password for the account of `phone`, revoke all its tokens and
/// close all its WebSocket connections.
pub async fn reset_password(ctx: &Ctx, phone: Telephone, new: String) -> AppResult<()> {
    let uid = users::find_login(&ctx.db, &LoginName::Phone(phone)).await?.ok_or(AppError::AccountNotFound)?;
    set_password(ctx, uid, new, vec![]).await
}

/// Store a new (canonical) password for `uid` with `extra` items (the console's audit entry)
/// in its transaction, then revoke all its tokens and close all its WebSocket connections.
pub async fn set_password(
    ctx: &Ctx,
    uid: crate::UserId,
    new: String,
    extra: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> AppResult<()> {
    let new_hash = hash_new_password(new).await?;
    if extra.is_empty() {
        users::set_password(&ctx.db, uid, None, &new_hash, ctx.now_ms()).await?;
    } else {
        users::set_password_with(&ctx.db, uid, &new_hash, ctx.now_ms(), extra).await?;
    }
    crate::auth::revoke_all(ctx, uid, None).await
}

/// Create an account with the canonical password (hashed here). "Already registered" tells
/// whether a login name has an account: it counts as an existence answer of the source `ip`.
pub async fn register(ctx: &Ctx, ip: &str, new: NewUser, canonical: String) -> AppResult<User> {
    register_with(ctx, ip, new, canonical, None).await
}

/// [`register`] with an audit entry in the account's creation transaction (the operator
/// console's `/console/useralladd`).
pub async fn register_with(
    ctx: &Ctx,
    ip: &str,
    mut new: NewUser,
    canonical: String,
    audit: Option<&crate::domain::audit::AuditEntry>,
) -> AppResult<User> {
    new.password_hash = hash_new_password(canonical).await?;
    let extra = audit.map(|a| crate::store::audit::put(&ctx.db, a)).into_iter().collect();
    match users::create_with(&ctx.db, ctx.now_ms(), new, extra).await {
        Err(AppError::AccountExists) => {
            ip_limit(ctx, ip, IpKind::Exists).await?;
            Err(AppError::AccountExists)
        }
        r => r,
    }
}

/// SealTalk registration: the telephone comes from the verification `token`, which is used
/// up only once the account exists (so a taken username does not cost the user a new SMS;
/// it cannot create two accounts: it is bound to one phone and the phone is unique).
pub async fn register_with_vtoken(ctx: &Ctx, mut new: NewUser, canonical: String, token: &str) -> AppResult<User> {
    let now = ctx.now_secs();
    let phone = codes::peek_vtoken(&ctx.db, token, now).await?;
    new.password_hash = hash_new_password(canonical).await?;
    new.telephone = Some(phone);
    let user = users::create(&ctx.db, ctx.now_ms(), new).await?;
    // Lost race with a concurrent use of the same token: the account exists, fine.
    match codes::consume_vtoken(&ctx.db, token, now).await {
        Ok(_) | Err(AppError::NotFound(_)) => Ok(user),
        Err(e) => Err(e),
    }
}
