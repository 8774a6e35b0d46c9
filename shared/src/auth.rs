//! Passwords and tokens. Passwords are canonicalised to MD5 hex (what Shiku
//! clients send) and stored as argon2id of that. Tokens are 128-bit random,
//! stored only as SHA-256, resolved with one GetItem.

use crate::dialects::Dialect;
use crate::error::{AppError, AppResult};
use crate::params::Params;
use crate::store::tokens::{self, Session};
use crate::Ctx;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use lambda_http::Request;

pub use crate::domain::secrets::{md5_hex, new_token, token_hash};

pub const SEALTALK_COOKIE: &str = "rong_im_auth";

fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Shiku clients send md5(password); the others send the password itself.
pub fn canonical_password(dialect: Dialect, raw: &str) -> AppResult<String> {
    if raw.is_empty() || raw.len() > 128 {
        return Err(AppError::invalid("password", "must be 1-128 characters"));
    }
    Ok(match dialect {
        Dialect::Shiku if is_md5_hex(raw) => raw.to_ascii_lowercase(),
        _ => md5_hex(raw),
    })
}

pub fn hash_password(canonical: &str) -> AppResult<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(AppError::internal)?;
    Argon2::default().hash_password(canonical.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

pub fn verify_password(canonical: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(canonical.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers().get_all(http::header::COOKIE).iter().find_map(|v| {
        v.to_str().ok()?.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
    })
}

fn bearer(req: &Request) -> Option<String> {
    let h = req.headers().get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, tok) = h.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !tok.trim().is_empty()).then(|| tok.trim().to_string())
}

/// Where each dialect's clients put their token.
pub fn token_from_request(dialect: Dialect, req: &Request, params: &Params) -> Option<String> {
    let param = || params.str("access_token").ok().flatten();
    match dialect {
        Dialect::Shiku => param().or_else(|| bearer(req)),
        Dialect::Minxing => bearer(req).or_else(param),
        Dialect::SealTalk => cookie(req, SEALTALK_COOKIE).or_else(|| bearer(req)),
        Dialect::Xuanxuan => None,
    }
}

/// Resolve the caller's session: one GetItem. Only access tokens authenticate (a Minxing
/// refresh token is good for `/oauth2/token` alone).
pub async fn authenticate(ctx: &Ctx, dialect: Dialect, req: &Request, params: &Params) -> AppResult<Session> {
    let token = token_from_request(dialect, req, params).ok_or(AppError::TokenMissing)?;
    let sess = tokens::resolve_access(&ctx.db, ctx.now_secs(), &token).await?;
    crate::metrics::record_user(sess.uid);
    Ok(sess)
}

/// The client address as API Gateway saw it (`requestContext.http.sourceIp`). Never a
/// header: `X-Forwarded-For` is whatever the client wrote.
pub fn source_ip(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".to_string())
}

/// Logout: revoke the session (and its paired token) and close the WebSocket connections
/// opened with either.
pub async fn logout(ctx: &Ctx, sess: &Session) -> AppResult<()> {
    tokens::revoke(&ctx.db, sess).await?;
    let mine: Vec<&String> = std::iter::once(&sess.hash).chain(sess.pair.as_ref()).collect();
    close_sockets(ctx, sess.uid, |tok| tok.is_some_and(|t| mine.contains(&t))).await
}

/// Revoke every token of a user but `keep` (and its pair) — password change keeps the
/// caller's session, reset and account removal keep nothing — and close every WebSocket
/// connection not opened with a kept token.
pub async fn revoke_all(ctx: &Ctx, uid: crate::UserId, keep: Option<&Session>) -> AppResult<()> {
    tokens::revoke_all_except(&ctx.db, uid, keep).await?;
    let kept: Vec<&String> =
        keep.map(|k| std::iter::once(&k.hash).chain(k.pair.as_ref()).collect()).unwrap_or_default();
    close_sockets(ctx, uid, |tok| !tok.is_some_and(|t| kept.contains(&t))).await
}

/// Close the user's connections whose token hash passes `doomed`: the records go first
/// (so no further frame on them is served, store/connections.rs `remove`), then
/// `DeleteConnection` closes the socket (its `$disconnect` then finds nothing to clean).
/// Calls: presence GetItem (+ BatchGetItem of the records when any) + per closed connection
/// what a disconnect costs.
async fn close_sockets(ctx: &Ctx, uid: crate::UserId, doomed: impl Fn(Option<&String>) -> bool) -> AppResult<()> {
    use crate::store::connections;
    let conns = connections::of_user_with_tokens(&ctx.db, ctx.now_secs(), uid).await?;
    for (id, _) in conns.iter().filter(|(_, tok)| doomed(tok.as_ref())) {
        connections::remove(&ctx.db, id, uid).await?;
        if let Err(e) = ctx.ws.delete_connection().connection_id(id).send().await {
            if !e.as_service_error().is_some_and(|s| s.is_gone_exception()) {
                let detail = aws_smithy_types::error::display::DisplayErrorContext(&e);
                tracing::warn!(connection = %id, error = %detail, "DeleteConnection failed (record already removed)");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_canonicalise_across_dialects() {
        let md5 = md5_hex("secret1");
        assert_eq!(canonical_password(Dialect::Shiku, &md5).unwrap(), md5);
        assert_eq!(canonical_password(Dialect::Minxing, "secret1").unwrap(), md5);
        assert_eq!(canonical_password(Dialect::SealTalk, "secret1").unwrap(), md5);
        assert!(canonical_password(Dialect::Minxing, "").is_err());
        let stored = hash_password(&md5).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(&md5, &stored));
        assert!(!verify_password(&md5_hex("other"), &stored));
        assert!(!verify_password(&md5, "garbage"));
    }

    #[test]
    fn cookie_and_bearer_extraction() {
        let req = http::Request::builder()
            .header("cookie", "a=1; rong_im_auth=tok; b=2")
            .header("authorization", "Bearer xyz")
            .body(lambda_http::Body::Empty)
            .unwrap();
        let p = Params::default();
        assert_eq!(token_from_request(Dialect::SealTalk, &req, &p).as_deref(), Some("tok"));
        assert_eq!(token_from_request(Dialect::Minxing, &req, &p).as_deref(), Some("xyz"));
    }
}
