//! Presence: WebSocket connect/disconnect, online state, typing and read signals and their
//! throttle (docs/realtime.md).

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::{frames, push_to_members};
use crate::store::conversations as convs;
use crate::store::{connections, tokens};
use crate::Ctx;

/// `$connect` with an access token of any dialect (a Minxing refresh token opens nothing but
/// /oauth2/token): the connection record, written only while the token is still live (a
/// logout racing this connect: store/connections.rs `connect_session`).
pub async fn connect(ctx: &Ctx, conn: &str, token: &str) -> AppResult<()> {
    let sess = tokens::resolve_access(&ctx.db, ctx.now_secs(), token).await?;
    crate::metrics::record_user(sess.uid);
    connections::connect_session(&ctx.db, ctx.now_secs(), conn, sess.uid, Some(&sess.hash)).await
}

/// `$disconnect`: forget the connection (if it is still known).
pub async fn disconnect(ctx: &Ctx, conn: &str) -> AppResult<()> {
    if let Some(uid) = connections::user_of(&ctx.db, ctx.now_secs(), conn).await? {
        crate::metrics::record_user(uid);
        connections::remove(&ctx.db, conn, uid).await?;
    }
    Ok(())
}

/// The user behind a connection (TokenInvalid when it is unknown or expired).
pub async fn user_of(ctx: &Ctx, conn: &str) -> AppResult<UserId> {
    connections::user_of(&ctx.db, ctx.now_secs(), conn).await?.ok_or(AppError::TokenInvalid)
}

/// Frames a connection may send per [`FRAME_WINDOW_SECS`]: cheap to send, fanned out to others.
pub const FRAME_LIMITS: [(&str, i64); 2] = [("typing", 5), ("read", 20)];
pub const FRAME_WINDOW_SECS: i64 = 10;

/// `typing` / `read` past the connection's limit: the `RateLimited` error to answer (nothing is
/// done or fanned out). One conditional UpdateItem (store/connections.rs `frame_allowed`);
/// other actions are not throttled (no call).
pub async fn throttle(ctx: &Ctx, conn: &str, action: &str) -> AppResult<Option<AppError>> {
    let Some((kind, max)) = FRAME_LIMITS.into_iter().find(|(k, _)| *k == action) else {
        return Ok(None);
    };
    if connections::frame_allowed(&ctx.db, ctx.now_secs(), conn, kind, max, FRAME_WINDOW_SECS).await? {
        return Ok(None);
    }
    Ok(Some(AppError::RateLimited(format!("at most {max} {kind} frames per {FRAME_WINDOW_SECS} s"))))
}

/// Not stored: a typing signal straight to the other members' connections (`on: false` =
/// stopped). `on` is read once membership is known (a non-member hears 404 first).
pub async fn typing(ctx: &Ctx, me: UserId, cid: &str, on: impl FnOnce() -> AppResult<bool>) -> AppResult<()> {
    convs::require_member(&ctx.db, cid, me).await?;
    let on = on()?;
    let frame = frames::typing_frame(cid, me, on, ctx.now_ms());
    push_to_members(ctx, cid, me, &frame).await?;
    Ok(())
}

/// Move the read pointer; when it moved, tell the other side of a 1:1 chat, or the other
/// members of a room with `showRead`. `seq` is read once membership is known; returns it.
pub async fn read(ctx: &Ctx, me: UserId, cid: &str, seq: impl FnOnce() -> AppResult<i64>) -> AppResult<i64> {
    convs::require_member(&ctx.db, cid, me).await?;
    let seq = seq()?;
    let moved = convs::mark_read(&ctx.db, cid, me, seq).await?;
    if moved {
        let tell = if convs::single_peer(cid, me).is_some() {
            true
        } else {
            convs::get(&ctx.db, cid).await?.is_some_and(|c| c.show_read)
        };
        if tell {
            push_to_members(ctx, cid, me, &frames::read_frame(cid, me, seq)).await?;
        }
    }
    Ok(seq)
}

/// Shiku `OnlineState` (0/1): 0 appears offline (`/user/getOnLine` answers 0) until 1 or the
/// next WebSocket connect. One UpdateItem.
pub async fn set_online_state(ctx: &Ctx, me: UserId, state: i64) -> AppResult<()> {
    connections::set_state(&ctx.db, me, state).await
}
