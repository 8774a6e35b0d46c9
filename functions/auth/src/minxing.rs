//! Minxing OAuth2 (RFC 6749): `POST /oauth2/token` with grant_type `password`
//! or `refresh_token`; `DELETE /api/v1/users/current/devices` signs this device out.

use serde_json::json;
use shared::http::Call;
use shared::ids::LoginName;
use shared::store::tokens::{self, TokenKind, MINXING_ACCESS_TTL};
use shared::{AppError, AppResult, Reply};

pub async fn token(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let now = c.ctx.now_secs();
    let (user_id, rotate) = match p.req_str("grant_type")?.as_str() {
        "password" => {
            let name = LoginName::guess(&p.req_str("login_name").or_else(|_| p.req_str("username"))?, None)?;
            let user = crate::check_password(c.ctx, c.dialect, &name, &p.req_str("password")?).await?;
            (user.uid, None)
        }
        "refresh_token" => {
            let raw = p.req_str("refresh_token")?;
            let sess = match tokens::resolve(&c.ctx.db, now, &raw).await {
                Ok(s) if s.kind == TokenKind::Refresh => s,
                Ok(_) | Err(AppError::TokenInvalid) => return Err(AppError::BadCredentials),
                Err(e) => return Err(e),
            };
            (sess.uid, Some(sess))
        }
        other => return Err(AppError::invalid("grant_type", format!("unsupported grant type {other}"))),
    };
    let (access, refresh) =
        tokens::issue_pair(&c.ctx.db, now, user_id, rotate.as_ref()).await.map_err(|e| match e {
            AppError::TokenInvalid => AppError::BadCredentials,
            e => e,
        })?;
    Ok(Reply::data(json!({
        "access_token": access.token,
        "token_type": "bearer",
        "expires_in": MINXING_ACCESS_TTL,
        "refresh_token": refresh.token,
        "user_id": user_id.0,
    }))
    .header("cache-control", "no-store"))
}

pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    tokens::revoke(&c.ctx.db, &sess).await?;
    Ok(Reply::empty())
}
