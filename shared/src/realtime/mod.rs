//! Server → client WebSocket frames and their delivery through the
//! `@connections` management API (PostToConnection). Frames are JSON objects
//! with an `event` field (docs/realtime.md).

pub mod frames;

pub use frames::{message_frame, message_frame_within, recall_frame, MAX_WS_MESSAGE};

use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::connections;
use crate::store::conversations as convs;
use crate::store::live::{self, FanMember};
use crate::Ctx;
use serde_json::Value;

#[derive(Debug, PartialEq, Eq)]
pub enum PostOutcome {
    Sent,
    /// 410: the client is gone; its record must be removed.
    Gone,
    Failed,
}

pub async fn post(ctx: &Ctx, conn_id: &str, frame: &Value) -> PostOutcome {
    post_bytes(ctx, conn_id, frame.to_string().as_bytes()).await
}

/// [`post`] of a frame serialized already (a fan-out serializes it once for every target).
async fn post_bytes(ctx: &Ctx, conn_id: &str, frame: &[u8]) -> PostOutcome {
    let r = ctx.ws.post_to_connection().connection_id(conn_id).data(aws_smithy_types::Blob::new(frame)).send().await;
    match r {
        Ok(_) => PostOutcome::Sent,
        Err(e) => {
            if e.as_service_error().is_some_and(|s| s.is_gone_exception()) {
                PostOutcome::Gone
            } else {
                tracing::warn!(conn_id, error = %aws_smithy_types::error::display::DisplayErrorContext(&e), "post to connection failed");
                PostOutcome::Failed
            }
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct FanOut {
    pub sent: usize,
    pub gone: usize,
    pub failed: usize,
}

impl std::ops::AddAssign for FanOut {
    fn add_assign(&mut self, o: FanOut) {
        self.sent += o.sent;
        self.gone += o.gone;
        self.failed += o.failed;
    }
}

/// Send `frame` to every live connection of `users`; forget connections that are gone.
pub async fn push_to_users(ctx: &Ctx, users: &[UserId], frame: &Value) -> AppResult<FanOut> {
    let targets = connection_targets(ctx, users).await?;
    Ok(push_to_targets(ctx, targets, frame).await.0)
}

/// Live connections of a conversation's `members`: for a group, those carried on the stamped
/// member items of a large room (no read) plus the presence items of everyone else (small
/// rooms, unstamped or just-stamped members: ⌈n/100⌉ BatchGetItem); the two presence items
/// for a 1:1 conversation (one BatchGetItem). store/live.rs.
pub async fn member_targets(ctx: &Ctx, cid: &str, members: &[FanMember]) -> AppResult<Vec<(UserId, String)>> {
    if live::is_group(cid) {
        let now = ctx.now_ms();
        let (read, carried): (Vec<&FanMember>, Vec<&FanMember>) = members.iter().partition(|m| m.needs_presence(now));
        let mut targets: Vec<(UserId, String)> =
            carried.iter().flat_map(|m| m.conns.iter().map(move |c| (m.uid, c.clone()))).collect();
        let read: Vec<UserId> = read.iter().map(|m| m.uid).collect();
        if !read.is_empty() {
            targets.extend(connection_targets(ctx, &read).await?);
        }
        return Ok(targets);
    }
    let uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    connection_targets(ctx, &uids).await
}

/// `frame` to every member of `cid` but `except` (typing, read receipts): the peer's
/// presence for a 1:1 chat (named by its id), one member Query for a group.
pub async fn push_to_members(ctx: &Ctx, cid: &str, except: UserId, frame: &Value) -> AppResult<FanOut> {
    if let Some(peer) = convs::single_peer(cid, except) {
        return push_to_users(ctx, &[peer], frame).await;
    }
    let mut members = live::members(&ctx.db, cid).await?;
    members.retain(|m| m.uid != except);
    let targets = member_targets(ctx, cid, &members).await?;
    Ok(push_to_targets(ctx, targets, frame).await.0)
}

/// Every live connection of `users` as (user, connection id): ⌈users/100⌉ BatchGetItem.
/// Delivery looks them up once per conversation and stream batch, then posts each message.
pub async fn connection_targets(ctx: &Ctx, users: &[UserId]) -> AppResult<Vec<(UserId, String)>> {
    let conns = connections::of_users(&ctx.db, users).await?;
    Ok(conns.into_iter().flat_map(|(u, cs)| cs.into_iter().map(move |c| (u, c))).collect())
}

/// Post `frame` to each target (64 in flight); gone connections are removed from the
/// table and left out of the returned targets, so the next frame of the batch skips them.
pub async fn push_to_targets(
    ctx: &Ctx,
    targets: Vec<(UserId, String)>,
    frame: &Value,
) -> (FanOut, Vec<(UserId, String)>) {
    let mut stats = FanOut::default();
    let mut live = Vec::with_capacity(targets.len());
    // Serialized once, shared by every post (with the context) instead of copied per target.
    let frame: std::sync::Arc<[u8]> = frame.to_string().into_bytes().into();
    let shared_ctx = std::sync::Arc::new(ctx.clone());
    // Post concurrently: a 1000-member room must not wait on 1000 sequential round trips.
    let mut set = tokio::task::JoinSet::new();
    for (uid, conn) in targets {
        let (c, frame) = (shared_ctx.clone(), frame.clone());
        set.spawn(async move {
            let outcome = post_bytes(&c, &conn, &frame).await;
            (uid, conn, outcome)
        });
        if set.len() >= 64 {
            if let Some(Ok(r)) = set.join_next().await {
                tally(ctx, &mut stats, &mut live, r).await;
            }
        }
    }
    while let Some(Ok(r)) = set.join_next().await {
        tally(ctx, &mut stats, &mut live, r).await;
    }
    (stats, live)
}

async fn tally(
    ctx: &Ctx,
    stats: &mut FanOut,
    live: &mut Vec<(UserId, String)>,
    (uid, conn, outcome): (UserId, String, PostOutcome),
) {
    match outcome {
        PostOutcome::Sent => {
            stats.sent += 1;
            live.push((uid, conn));
        }
        PostOutcome::Gone => {
            stats.gone += 1;
            if let Err(e) = connections::remove_gone(&ctx.db, ctx.now_secs(), &conn, uid).await {
                tracing::warn!(conn, error = %e, "could not remove stale connection");
            }
        }
        PostOutcome::Failed => {
            stats.failed += 1;
            live.push((uid, conn));
        }
    }
}
