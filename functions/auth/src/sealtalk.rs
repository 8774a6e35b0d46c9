//! SealTalk: `POST /sealtalk/user/login` (sets the session cookie) and `/user/logout`.

use serde_json::json;
use shared::auth::SEALTALK_COOKIE;
use shared::http::Call;
use shared::ids::{LoginName, Telephone};
use shared::store::tokens::{self, SEALTALK_TTL};
use shared::{AppError, AppResult, Reply};

/// SealTalk passwords: 6-20 bytes without spaces.
pub(crate) fn check_password_shape(p: &str) -> AppResult<()> {
    if !(6..=20).contains(&p.len()) || p.contains(char::is_whitespace) {
        return Err(AppError::invalid("password", "6-20 bytes without spaces"));
    }
    Ok(())
}

pub async fn login(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let phone = Telephone::parse(p.str("region")?.as_deref(), &p.req_str("phone")?)?;
    let password = p.req_str("password")?;
    check_password_shape(&password)?;
    let user = crate::check_password(c.ctx, c.dialect, &LoginName::Phone(phone), &password).await?;
    let issued = tokens::issue(&c.ctx.db, c.ctx.now_secs(), user.uid, SEALTALK_TTL, None).await?;
    let cookie = format!("{SEALTALK_COOKIE}={}; Path=/; Max-Age={SEALTALK_TTL}; HttpOnly; SameSite=Lax", issued.token);
    Ok(Reply::data(json!({"id": user.uid.to_string(), "token": issued.token})).header("set-cookie", cookie))
}

pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    tokens::revoke(&c.ctx.db, &sess).await?;
    Ok(Reply::empty().header("set-cookie", format!("{SEALTALK_COOKIE}=; Path=/; Max-Age=0; HttpOnly")))
}
