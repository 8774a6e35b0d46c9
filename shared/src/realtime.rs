//! Server → client WebSocket frames and their delivery through the
//! `@connections` management API (PostToConnection). Frames are JSON objects
//! with an `event` field (docs/realtime.md).

use crate::error::AppResult;
use crate::ids::UserId;
use crate::store::connections;
use crate::store::conversations::Message;
use crate::Ctx;
use serde_json::{json, Value};

pub fn message_frame(m: &Message) -> Value {
    let mut f = json!({
        "event": "message",
        "conversationId": m.conversation_id,
        "seq": m.seq,
        "messageId": m.id,
        "sender": m.sender.0,
        "type": m.kind,
        "content": m.content,
        "ts": m.ts,
    });
    // Tombstones (sync after a recall) and SealTalk object names only when they apply.
    if m.recalled {
        f["recalled"] = json!(true);
    }
    if let Some(o) = &m.object_name {
        f["objectName"] = json!(o);
    }
    f
}

/// `{"event":"recall",…}`: a message became a tombstone (pushed by `delivery` on the MODIFY).
pub fn recall_frame(m: &Message) -> Value {
    json!({"event": "recall", "conversationId": m.conversation_id, "seq": m.seq, "messageId": m.id})
}

#[derive(Debug, PartialEq, Eq)]
pub enum PostOutcome {
    Sent,
    /// 410: the client is gone; its record must be removed.
    Gone,
    Failed,
}

pub async fn post(ctx: &Ctx, conn_id: &str, frame: &Value) -> PostOutcome {
    let r = ctx
        .ws
        .post_to_connection()
        .connection_id(conn_id)
        .data(aws_smithy_types::Blob::new(frame.to_string().into_bytes()))
        .send()
        .await;
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

/// Send `frame` to every live connection of `users`; forget connections that are gone.
pub async fn push_to_users(ctx: &Ctx, users: &[UserId], frame: &Value) -> AppResult<FanOut> {
    let conns = connections::of_users(&ctx.db, users).await?;
    let targets: Vec<(UserId, String)> =
        conns.into_iter().flat_map(|(u, cs)| cs.into_iter().map(move |c| (u, c))).collect();
    let mut stats = FanOut::default();
    // Post concurrently: a 1000-member room must not wait on 1000 sequential round trips.
    let mut set = tokio::task::JoinSet::new();
    for (uid, conn) in targets {
        let c = ctx.clone();
        let frame = frame.clone();
        set.spawn(async move {
            let outcome = post(&c, &conn, &frame).await;
            (uid, conn, outcome)
        });
        if set.len() >= 64 {
            if let Some(Ok(r)) = set.join_next().await {
                tally(ctx, &mut stats, r).await;
            }
        }
    }
    while let Some(Ok(r)) = set.join_next().await {
        tally(ctx, &mut stats, r).await;
    }
    Ok(stats)
}

async fn tally(ctx: &Ctx, stats: &mut FanOut, (uid, conn, outcome): (UserId, String, PostOutcome)) {
    match outcome {
        PostOutcome::Sent => stats.sent += 1,
        PostOutcome::Gone => {
            stats.gone += 1;
            if let Err(e) = connections::remove(&ctx.db, &conn, uid).await {
                tracing::warn!(conn, error = %e, "could not remove stale connection");
            }
        }
        PostOutcome::Failed => stats.failed += 1,
    }
}
