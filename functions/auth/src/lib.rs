//! `auth` endpoints: registration, login, logout and token refresh in each
//! dialect. One account per person: a telephone registered through Shiku logs
//! in through Minxing (`login_name`) and SealTalk (`region` + `phone`).
//! Routes: infra/template.yaml, `AuthFunction`.

mod codes;
mod minxing;
mod passwords;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use shared::auth::{canonical_password, source_ip, verify_password};
use shared::http::{serve, Call};
use shared::ids::LoginName;
use shared::store::limits::{self, Attempt, IpKind, LoginRules, Rule, Subject};
use shared::store::users::{self, User};
use shared::{AppError, AppResult, Ctx, Reply};

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/user/register") => shiku::register(&c).await,
        (_, "/user/login") => shiku::login(&c).await,
        (_, "/user/login/auto") => shiku::login_auto(&c).await,
        (_, "/user/logout") => shiku::logout(&c).await,
        (_, "/verify/telephone") => shiku::verify_telephone(&c).await,
        (_, "/basic/randcode/sendSms") => codes::shiku_send_sms(&c).await,
        (_, "/user/password/update") => passwords::shiku_update(&c).await,
        (_, "/user/password/reset") => passwords::shiku_reset(&c).await,
        ("POST", "/oauth2/token") => minxing::token(&c).await,
        ("DELETE", "/api/v1/users/current/devices") => minxing::logout(&c).await,
        ("POST", "/sealtalk/user/login") => sealtalk::login(&c).await,
        ("POST", "/sealtalk/user/logout") => sealtalk::logout(&c).await,
        ("POST", "/sealtalk/user/send_code") => codes::sealtalk_send_code(&c).await,
        ("POST", "/sealtalk/user/verify_code") => codes::sealtalk_verify_code(&c).await,
        ("POST", "/sealtalk/user/check_username_available") => codes::sealtalk_check_username(&c).await,
        ("POST", "/sealtalk/user/check_phone_available") => codes::sealtalk_check_phone(&c).await,
        ("POST", "/sealtalk/user/register") => codes::sealtalk_register(&c).await,
        ("POST", "/sealtalk/user/reset_password") => passwords::sealtalk_reset(&c).await,
        ("POST", "/sealtalk/user/change_password") => passwords::sealtalk_change(&c).await,
        _ => Err(c.not_found()),
    }
}

/// Check a login name and password; unknown names and wrong passwords look the same
/// to the caller, and both count against the name's lock (store/limits.rs): the attempt
/// is taken before the comparison and refused with `TooManyAttempts` while the account
/// (or unknown name) is locked or the source IP has too many failures. On success the
/// caller ends the attempt in the transaction that issues its token
/// (`Attempt::success_items`).
pub(crate) async fn check_password(c: &Call<'_>, name: &LoginName, password: &str) -> AppResult<(User, Attempt)> {
    let ctx = c.ctx;
    let canonical = canonical_password(c.dialect, password)?;
    let uid = users::find_login(&ctx.db, name).await?;
    let (ip, subject) = (source_ip(&c.req), Subject::of(uid, name));
    let (attempt, user) =
        tokio::join!(limits::begin(&ctx.db, ctx.now_secs(), &ip, &subject, login_rules(ctx)), async {
            match uid {
                Some(uid) => users::get(&ctx.db, uid).await,
                None => Ok(None),
            }
        });
    let (attempt, user) = (attempt?, user?);
    let ok = match &user {
        // argon2 is CPU-bound: keep it off the async worker.
        Some(u) => {
            let stored = u.password_hash.clone();
            tokio::task::spawn_blocking(move || verify_password(&canonical, &stored))
                .await
                .map_err(AppError::internal)?
        }
        // No account: spend the same argon2 time, so response times do not tell which names exist.
        None => {
            tokio::task::spawn_blocking(move || verify_password(&canonical, dummy_hash()))
                .await
                .map_err(AppError::internal)?;
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

/// An argon2id hash no password matches (made once per container).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| shared::auth::hash_password(&shared::auth::new_token()).unwrap_or_default())
}

/// Password-check limits from the settings.
pub(crate) fn login_rules(ctx: &Ctx) -> LoginRules {
    let l = &ctx.settings.limits;
    LoginRules {
        account: Rule { max: l.login_fails_per_account, window: l.login_window_secs },
        ip: Rule { max: l.login_fails_per_ip, window: l.login_window_secs },
        lock_secs: l.login_lock_secs,
        lock_max_secs: l.login_lock_max_secs,
    }
}

/// Count one per-source-IP event of `kind` (SMS send, existence answer); `RateLimited` when over.
pub(crate) async fn ip_limit(c: &Call<'_>, kind: IpKind) -> AppResult<()> {
    let l = &c.ctx.settings.limits;
    let rule = match kind {
        IpKind::Sms => Rule { max: l.sms_per_ip, window: l.sms_ip_window_secs },
        IpKind::Exists => Rule { max: l.exists_checks_per_ip, window: l.exists_window_secs },
        IpKind::Login => Rule { max: l.login_fails_per_ip, window: l.login_window_secs },
    };
    limits::hit_ip(&c.ctx.db, c.ctx.now_secs(), &source_ip(&c.req), kind, rule).await
}
