//! Minxing OAuth2 (RFC 6749): `POST /oauth2/token` with grant_type `password`
//! or `refresh_token`; `DELETE /api/v1/users/current/devices` signs this device out.

use serde_json::json;
use shared::auth::{canonical_password, source_ip};
use shared::domain::sessions::MINXING_ACCESS_TTL;
use shared::http::Call;
use shared::ids::LoginName;
use shared::services::sessions;
use shared::{AppError, AppResult, Reply};

pub async fn token(c: &Call<'_>) -> AppResult<Reply> {
    let p = &c.params;
    let (access, refresh) = match p.req_str("grant_type")?.as_str() {
        "password" => {
            let name = LoginName::guess(&p.req_str("login_name").or_else(|_| p.req_str("username"))?, None)?;
            let canonical = canonical_password(c.dialect, &p.req_str("password")?)?;
            sessions::login_pair(c.ctx, &source_ip(&c.req), &name, canonical).await?
        }
        // Rotation with reuse detection: unknown, expired, used or non-refresh → invalid_grant.
        "refresh_token" => sessions::refresh(c.ctx, &p.req_str("refresh_token")?).await.map_err(|e| match e {
            AppError::TokenInvalid => AppError::BadCredentials,
            e => e,
        })?,
        other => return Err(AppError::invalid("grant_type", format!("unsupported grant type {other}"))),
    };
    let user_id = access.session.uid;
    Ok(Reply::data(json!({
        "access_token": access.token,
        "token_type": "bearer",
        "expires_in": MINXING_ACCESS_TTL,
        "refresh_token": refresh.token,
        "user_id": user_id.0,
    }))
    .header("cache-control", "no-store")
    .header("pragma", "no-cache"))
}

/// Signs this device out: the access token, its refresh token and its WebSocket connections.
pub async fn logout(c: &Call<'_>) -> AppResult<Reply> {
    let sess = c.session().await?;
    shared::auth::logout(c.ctx, &sess).await?;
    Ok(Reply::empty())
}
