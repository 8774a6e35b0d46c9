//! Sessions: password logins under their limits, tokens of each dialect (issue, refresh,
//! device check), per-source-IP limits and verification codes. Every dialect's auth handler
//! logs in through [`login`] / [`login_pair`]; the rule "check the password under the
//! account's lock, then issue the token in the transaction that ends the attempt" is here once.

use crate::auth::{hash_password, new_token, verify_password};
use crate::domain::sessions::{DeviceCheck, IpKind, Issued, Purpose, SerialMatch, TokenKind, CONSOLE_TTL};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::{LoginName, Telephone, UserId};
use crate::store::limits::{self, Attempt, LoginRules, Rule, Subject};
use crate::store::{codes, tokens, users};
use crate::Ctx;

/// Check a login name and password; unknown names and wrong passwords look the same
/// to the caller, and both count against the name's lock (store/limits.rs): the attempt
/// is taken before the comparison and refused with `TooManyAttempts` while the account
/// (or unknown name) is locked or the source `ip` has too many failures. On success the
/// caller ends the attempt in the transaction that issues its token
/// (`Attempt::success_items`).
/// The password is canonical (shared::auth::canonical_password, checked by the handler).
async fn check_password(ctx: &Ctx, ip: &str, name: &LoginName, canonical: String) -> AppResult<(User, Attempt)> {
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
        // A disabled account (operator console) fails like a wrong password.
        Some(user) if ok && !user.disabled => Ok((user, attempt)),
        _ => {
            attempt.failed(&ctx.db).await?;
            Err(AppError::BadCredentials)
        }
    }
}

/// What a successful password check writes with its token: the end of the attempt and a
/// check that the account was not disabled since it was read (operator console).
fn success_items(ctx: &Ctx, user: &User, attempt: &Attempt) -> Vec<aws_sdk_dynamodb::types::TransactWriteItem> {
    let mut items = attempt.success_items(&ctx.db);
    items.push(crate::store::console::enabled_check(&ctx.db, user.uid));
    items
}

/// Password login (Shiku, SealTalk): [`check_password`], then one access token of `ttl`
/// (with the device `serial`), written in one transaction with the end of the attempt.
pub async fn login(
    ctx: &Ctx,
    ip: &str,
    name: &LoginName,
    canonical: String,
    ttl: i64,
    serial: Option<String>,
) -> AppResult<(User, Issued)> {
    login_where(ctx, ip, name, canonical, ttl, serial, |_| true).await
}

/// [`login`] only for the accounts `allow` accepts (`/mp/login`: public accounts); anyone
/// else is a failed attempt (BadCredentials), so the answer does not tell which it was.
pub async fn login_where(
    ctx: &Ctx,
    ip: &str,
    name: &LoginName,
    canonical: String,
    ttl: i64,
    serial: Option<String>,
    allow: impl Fn(&User) -> bool,
) -> AppResult<(User, Issued)> {
    login_kind(ctx, ip, name, canonical, TokenKind::Access, ttl, serial, allow).await
}

/// Operator console login (`/console/login`): [`login_where`] with the operator rule as
/// `allowed` (services::operators), issuing one console token (`TokenKind::Console`,
/// `CONSOLE_TTL`): an account that is not allowed fails like a wrong password, so the console
/// does not tell which accounts exist or what their passwords are.
pub async fn login_console(
    ctx: &Ctx,
    ip: &str,
    name: &LoginName,
    canonical: String,
    allowed: impl Fn(&User) -> bool,
) -> AppResult<(User, Issued)> {
    login_kind(ctx, ip, name, canonical, TokenKind::Console, CONSOLE_TTL, None, allowed).await
}

/// [`check_password`], then `allow`, then one token of `kind` written in one transaction with
/// the end of the attempt.
#[allow(clippy::too_many_arguments)]
async fn login_kind(
    ctx: &Ctx,
    ip: &str,
    name: &LoginName,
    canonical: String,
    kind: TokenKind,
    ttl: i64,
    serial: Option<String>,
    allow: impl Fn(&User) -> bool,
) -> AppResult<(User, Issued)> {
    let (user, attempt) = check_password(ctx, ip, name, canonical).await?;
    if !allow(&user) {
        attempt.failed(&ctx.db).await?;
        return Err(AppError::BadCredentials);
    }
    let extra = success_items(ctx, &user, &attempt);
    let issued = tokens::issue_kind_with(&ctx.db, ctx.now_secs(), user.uid, kind, ttl, serial, extra).await?;
    Ok((user, issued))
}

/// OAuth2 password grant (Minxing): [`check_password`], then an access + refresh pair
/// written in one transaction with the end of the attempt.
pub async fn login_pair(ctx: &Ctx, ip: &str, name: &LoginName, canonical: String) -> AppResult<(Issued, Issued)> {
    let (user, attempt) = check_password(ctx, ip, name, canonical).await?;
    tokens::issue_pair(&ctx.db, ctx.now_secs(), user.uid, success_items(ctx, &user, &attempt)).await
}

/// OAuth2 refresh grant with rotation and reuse detection (store/tokens.rs `refresh`);
/// `TokenInvalid` for an unknown, expired, used or non-refresh token.
pub async fn refresh(ctx: &Ctx, raw: &str) -> AppResult<(Issued, Issued)> {
    tokens::refresh(&ctx.db, ctx.now_secs(), raw).await
}

/// One access token of `ttl` for a user who just proved who they are (registration).
pub async fn issue(ctx: &Ctx, uid: UserId, ttl: i64, serial: Option<String>) -> AppResult<Issued> {
    tokens::issue(&ctx.db, ctx.now_secs(), uid, ttl, serial).await
}

/// Whether `token` is a live access token of `uid`, and whether it was opened on the device
/// `serial`. An unknown or expired token is an answer (`live: false`), not an error.
pub async fn check_device(ctx: &Ctx, token: &str, uid: UserId, serial: Option<&str>) -> AppResult<DeviceCheck> {
    let sess = match tokens::resolve_access(&ctx.db, ctx.now_secs(), token).await {
        Ok(s) if s.uid == uid => Some(s),
        Ok(_) | Err(AppError::TokenInvalid) => None,
        Err(e) => return Err(e),
    };
    let serial = match (sess.as_ref().and_then(|s| s.serial.as_deref()), serial) {
        (None, _) => SerialMatch::Unknown,
        (Some(a), Some(b)) if a == b => SerialMatch::Same,
        _ => SerialMatch::Other,
    };
    Ok(DeviceCheck { live: sess.is_some(), serial })
}

pub(crate) async fn verify(canonical: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || verify_password(&canonical, &stored)).await.map_err(AppError::internal)
}

/// An argon2id hash no password matches (made once per container).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
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

/// Check a live code of `phone` for `purpose` and use it up (store/codes.rs: attempts
/// counted). `WrongCode`, or `CodeExpired` when no live code exists.
pub async fn check_code(ctx: &Ctx, phone: &Telephone, purpose: Purpose, code: &str) -> AppResult<()> {
    codes::verify(&ctx.db, phone, purpose, code, ctx.now_secs()).await
}

/// SealTalk: check the phone's `Verify` code and issue a verification token bound to the phone.
pub async fn verify_phone(ctx: &Ctx, phone: &Telephone, code: &str) -> AppResult<String> {
    let now = ctx.now_secs();
    match codes::verify(&ctx.db, phone, Purpose::Verify, code, now).await {
        // The original answers "Unknown phone number." (404) to a number that never asked.
        Err(AppError::CodeExpired) if !codes::ever_sent(&ctx.db, phone, Purpose::Verify).await? => {
            return Err(AppError::not_found("phone"));
        }
        other => other?,
    }
    codes::issue_vtoken(&ctx.db, phone, now).await
}
