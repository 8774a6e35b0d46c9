//! SealTalk: `POST /sealtalk/user/login` (sets the session cookie) and `/user/logout`.

use serde_json::json;
use shared::auth::{canonical_password, source_ip, SEALTALK_COOKIE};
use shared::dialects::sealtalk::input;
use shared::domain::sessions::SEALTALK_TTL;
use shared::http::Call;
use shared::ids::LoginName;
use shared::services::sessions;
use shared::{AppResult, Reply};

pub async fn login(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = input::phone(p)?;
    // No shape check: the original compares any password (wrong → 1000, user.coffee:240-270).
    let password = p.req_str("password")?;
    let canonical = canonical_password(c.dialect, &password)?;
    let name = LoginName::Phone(phone);
    let (user, issued) = sessions::login(c.ctx, &source_ip(&c.req), &name, canonical, SEALTALK_TTL, None).await?;
    Ok(Reply::data(json!({"id": user.uid.to_string(), "token": issued.token}))
        .header("set-cookie", session_cookie(&issued.token, SEALTALK_TTL)))
}

/// The session cookie: `Secure` (HTTPS only; browsers and reqwest's cookie store still
/// send it to http://localhost / 127.0.0.1, so the local stack needs no exception),
/// `HttpOnly` (no script access), `SameSite=Lax` (not sent on cross-site POSTs).
pub(crate) fn session_cookie(token: &str, max_age: i64) -> String {
    format!("{SEALTALK_COOKIE}={token}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax")
}

/// Ends the session: its token, its cookie and its WebSocket connections.
pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    shared::auth::logout(c.ctx, &sess).await?;
    Ok(Reply::empty().header("set-cookie", session_cookie("", 0)))
}
