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
use shared::auth::source_ip;
use shared::domain::sessions::IpKind;
use shared::http::{serve, Call};
use shared::services::sessions;
use shared::{AppResult, Ctx, Reply};

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

/// Count one per-source-IP event of `kind` (shared::services::sessions::ip_limit).
pub(crate) async fn ip_limit(c: &Call<'_>, kind: IpKind) -> AppResult<()> {
    sessions::ip_limit(c.ctx, &source_ip(&c.req), kind).await
}
