//! Chat: send, recall, read, history of one conversation (the rules: who may recall, which
//! messages a member sees).

use crate::domain::chat::{Member, Message, NewMessage};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::frames::{message_frame_within, sync_envelope_len, sync_frame, MAX_WS_MESSAGE};
use crate::store::conversations as convs;
use crate::store::{messages, users};
use crate::Ctx;
use serde_json::Value;
use std::collections::HashMap;

/// Where a send goes: a conversation id, or a user for the 1:1 chat created on first use.
pub enum Target {
    Conversation(String),
    User(UserId),
}

/// The conversation id of `target` (a 1:1 conversation is created on first use).
pub async fn resolve(ctx: &Ctx, me: UserId, target: Target) -> AppResult<String> {
    match target {
        Target::Conversation(cid) => Ok(cid),
        Target::User(to) => {
            users::require(&ctx.db, to).await?;
            Ok(convs::ensure_single(&ctx.db, ctx.now_ms(), me, to).await?.id)
        }
    }
}

/// Store a message from a member: (message, whether it was a resend of an earlier one).
pub async fn send(ctx: &Ctx, cid: &str, m: NewMessage) -> AppResult<(Message, bool)> {
    messages::send(&ctx.db, ctx.now_ms(), cid, m).await
}

/// A message to recall: by seq, or by id (which must be in the conversation).
pub enum Recall {
    Seq(i64),
    Id(String),
}

/// Recall for everyone: the sender, or an owner/admin of a room (never the other side of a
/// 1:1 chat). The message becomes a tombstone; `delivery` pushes the `recall` frames.
/// `which` is read once membership is known (a non-member hears 404 first).
pub async fn recall(ctx: &Ctx, me: UserId, cid: &str, which: impl FnOnce() -> AppResult<Recall>) -> AppResult<Message> {
    let member = convs::require_member(&ctx.db, cid, me).await?;
    let seq = match which()? {
        Recall::Seq(seq) => seq,
        Recall::Id(mid) => {
            let m = messages::by_id(&ctx.db, &mid).await?.filter(|m| m.conversation_id == cid);
            m.ok_or_else(|| AppError::not_found(format!("message {mid}")))?.seq
        }
    };
    let admin = member.is_admin() && convs::single_peer(cid, me).is_none();
    convs::recall(&ctx.db, ctx.now_ms(), cid, seq, me, admin).await
}

/// A sync page of one conversation: its message frames, whether there is more, the next seq.
pub struct SyncPage {
    pub frames: Vec<Value>,
    pub has_more: bool,
    pub next_seq: i64,
}

/// One page of a conversation (the caller is a member) after `after`, one Query. Recalled
/// messages come as tombstones (`recalled: true`, empty content); messages the member deleted
/// for themselves are left out, so `next_seq` (the last seq looked at) is where the next page
/// starts. The page also stops early when its frame would exceed one WebSocket message
/// ([`MAX_WS_MESSAGE`]): `has_more` then is true and `next_seq` is the last message in it.
pub async fn sync_page(ctx: &Ctx, cid: &str, member: &Member, after: i64, limit: i64) -> AppResult<SyncPage> {
    let mut msgs = messages::history(&ctx.db, cid, None, Some(after), limit as i32 + 1).await?;
    let mut has_more = msgs.len() > limit as usize;
    msgs.truncate(limit as usize);
    let mut next = msgs.last().map(|m| m.seq).unwrap_or(after);
    let msgs = convs::visible_to(&ctx.db, cid, member, msgs).await?;
    // The envelope at its longest (hasMore false, a 19-digit nextSeq), then the frames.
    let budget = MAX_WS_MESSAGE.saturating_sub(sync_envelope_len(cid));
    let (mut frames, mut used) = (Vec::with_capacity(msgs.len()), 0);
    for m in &msgs {
        // A message too big for a frame of its own comes marked `tooLarge`, so the page moves on.
        let (f, len) = message_frame_within(m, budget);
        let len = len + usize::from(!frames.is_empty());
        if used + len > budget {
            has_more = true;
            next = frames.last().and_then(|f: &Value| f["seq"].as_i64()).unwrap_or(after);
            break;
        }
        used += len;
        frames.push(f);
    }
    Ok(SyncPage { frames, has_more, next_seq: next })
}

impl SyncPage {
    /// The `sync` frame of this page.
    pub fn frame(self, cid: &str) -> Value {
        sync_frame(cid, self.frames, self.has_more, self.next_seq)
    }
}

/// [`sync_page`] after checking membership (one consistent BatchGetItem); `page` (after,
/// limit) is read once membership is known.
pub async fn sync(
    ctx: &Ctx,
    me: UserId,
    cid: &str,
    page: impl FnOnce() -> AppResult<(i64, i64)>,
) -> AppResult<SyncPage> {
    let member = convs::require_member(&ctx.db, cid, me).await?;
    let (after, limit) = page()?;
    sync_page(ctx, cid, &member, after, limit).await
}

/// Memberships of `me` in `cids` (multi-conversation sync: one BatchGetItem); conversations
/// they are not in are absent.
pub async fn memberships(ctx: &Ctx, me: UserId, cids: &[String]) -> AppResult<HashMap<String, Member>> {
    convs::memberships(&ctx.db, me, cids).await
}
