//! Accounts: registration, login names, passwords, profiles and settings. The rules every
//! dialect's auth and users handlers share; handlers parse, call these, and render.

use crate::auth::{hash_password, new_token, verify_password};
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, Telephone};
use crate::store::codes::{self, Purpose};
use crate::store::limits::{self, Attempt, IpKind, LoginRules, Rule, Subject};
use crate::store::tokens::Session;
use crate::store::users::{self, NewUser, User};
use crate::Ctx;

/// Check a login name and password; unknown names and wrong passwords look the same
/// to the caller, and both count against the name's lock (store/limits.rs): the attempt
/// is taken before the comparison and refused with `TooManyAttempts` while the account
/// (or unknown name) is locked or the source `ip` has too many failures. On success the
/// caller ends the attempt in the transaction that issues its token
/// (`Attempt::success_items`).
/// The password is canonical (shared::auth::canonical_password, checked by the handler).
pub async fn check_password(ctx: &Ctx, ip: &str, name: &LoginName, canonical: String) -> AppResult<(User, Attempt)> {
    let uid = users::find_login(&ctx.db, name).await?;
    let subject = Subject::of(uid, name);
    let (attempt, user) = tokio::join!(limits::begin(&ctx.db, ctx.now_secs(), ip, &subject, login_rules(ctx)), async {
        match uid {
            Some(uid) => users::get(&ctx.db, uid).await,
            None => Ok(None),
        }
    });
    let (attempt, user) = (attempt?, user?);
    let ok = match &user {
        // argon2 is CPU-bound: keep it off the async worker.
        Some(u) => verify(canonical, u.password_hash.clone()).await?,
        // No account: spend the same argon2 time, so response times do not tell which names exist.
        None => {
            verify(canonical, dummy_hash().to_string()).await?;
            false
        }
    };
    match user {
        Some(user) if ok => Ok((user, attempt)),
        _ => {
            attempt.failed(&ctx.db).await?;
            Err(AppError::BadCredentials)
        }
    }
}

async fn verify(canonical: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || verify_password(&canonical, &stored)).await.map_err(AppError::internal)
}

/// An argon2id hash no password matches (made once per container).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// argon2id of a canonical password, off the async worker.
pub async fn hash_new_password(canonical: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&canonical)).await.map_err(AppError::internal)?
}

/// Password-check limits from the settings.
pub fn login_rules(ctx: &Ctx) -> LoginRules {
    let l = &ctx.settings.limits;
    LoginRules {
        account: Rule { max: l.login_fails_per_account, window: l.login_window_secs },
        ip: Rule { max: l.login_fails_per_ip, window: l.login_window_secs },
        lock_secs: l.login_lock_secs,
        lock_max_secs: l.login_lock_max_secs,
    }
}

/// Count one per-source-IP event of `kind` (SMS send, existence answer); `RateLimited` when over.
pub async fn ip_limit(ctx: &Ctx, ip: &str, kind: IpKind) -> AppResult<()> {
    let l = &ctx.settings.limits;
    let rule = match kind {
        IpKind::Sms => Rule { max: l.sms_per_ip, window: l.sms_ip_window_secs },
        IpKind::Exists => Rule { max: l.exists_checks_per_ip, window: l.exists_window_secs },
        IpKind::Login => Rule { max: l.login_fails_per_ip, window: l.login_window_secs },
    };
    limits::hit_ip(&ctx.db, ctx.now_secs(), ip, kind, rule).await
}

/// Whether a telephone is some account's login name.
pub async fn is_registered(ctx: &Ctx, phone: &Telephone) -> AppResult<bool> {
    login_taken(ctx, &LoginName::Phone(phone.clone())).await
}

/// Rate-limit (source `ip` first, then the phone), store and send a code; returns the code
/// only when the deployment exposes codes (local stack; no SMS provider reachable).
pub async fn send_code(
    ctx: &Ctx,
    ip: &str,
    phone: &Telephone,
    purpose: Purpose,
    lang: crate::sms::Lang,
) -> AppResult<Option<String>> {
    use crate::sms::CodeSender;
    ip_limit(ctx, ip, IpKind::Sms).await?;
    let code = codes::issue(&ctx.db, phone, purpose, ctx.now_secs()).await?;
    crate::sms::sender(ctx).send(phone, &code, purpose, lang).await?;
    Ok(ctx.settings.expose_verification_codes.then_some(code))
}

/// Whether a login name belongs to an account.
pub async fn login_taken(ctx: &Ctx, name: &LoginName) -> AppResult<bool> {
    Ok(users::find_login(&ctx.db, name).await?.is_some())
}

/// SealTalk: check the phone's `Verify` code and issue a verification token bound to the phone.
pub async fn verify_phone(ctx: &Ctx, phone: &Telephone, code: &str) -> AppResult<String> {
    let now = ctx.now_secs();
    codes::verify(&ctx.db, phone, Purpose::Verify, code, now).await?;
    codes::issue_vtoken(&ctx.db, phone, now).await
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
    let new_hash = hash_new_password(new).await?;
    users::set_password(&ctx.db, uid, None, &new_hash, ctx.now_ms()).await?;
    crate::auth::revoke_all(ctx, uid, None).await
}

/// Shiku registration needs an SMS code only when the Shiku config document has
/// `isOpenSMSCode: 1` (or true, or "1").
pub async fn shiku_sms_code_required(ctx: &Ctx) -> AppResult<bool> {
    let cfg = crate::store::config::get(&ctx.db, crate::store::config::SHIKU).await?;
    Ok(cfg
        .as_ref()
        .and_then(|d| d.get("isOpenSMSCode"))
        .is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true) || v.as_str() == Some("1")))
}

/// Check a live code of `phone` for `purpose` (store/codes.rs: attempts counted, used up).
pub async fn check_code(ctx: &Ctx, phone: &Telephone, purpose: Purpose, code: &str) -> AppResult<()> {
    codes::verify(&ctx.db, phone, purpose, code, ctx.now_secs()).await
}

/// Create an account with the canonical password (hashed here). "Already registered" tells
/// whether a login name has an account: it counts as an existence answer of the source `ip`.
pub async fn register(ctx: &Ctx, ip: &str, mut new: NewUser, canonical: String) -> AppResult<User> {
    new.password_hash = hash_new_password(canonical).await?;
    match users::create(&ctx.db, ctx.now_ms(), new).await {
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
