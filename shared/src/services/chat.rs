//! Chat: send, recall, read, history of one conversation (the rules: who may recall, which
//! messages a member sees).

use crate::domain::chat::{
    single_id, single_peer, valid_id, valid_mid, valid_object_name, Conversation, Member, Message, NewMessage,
    MAX_CONTENT,
};
use crate::domain::relations::FRIENDS;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::realtime::frames::{message_frame_within, sync_envelope_len, sync_frame, MAX_WS_MESSAGE};
use crate::store::conversations as convs;
use crate::store::messages::{self, Claimed};
use crate::store::relations as store_relations;
use crate::store::{users, Db};
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
            let u = users::require(&ctx.db, to).await?;
            let ocu = crate::services::ocus::is_public_account(&u).then_some(to);
            Ok(convs::ensure_single_ocu(&ctx.db, ctx.now_ms(), me, to, ocu).await?.0.id)
        }
    }
}

/// Store a message from a member: (message, whether it was a resend of an earlier one).
pub async fn send(ctx: &Ctx, cid: &str, m: NewMessage) -> AppResult<(Message, bool)> {
    send_at(&ctx.db, ctx.now_ms(), cid, m, true).await
}

/// A message from a service (Xuanxuan notifyMSG, the system account) that is not a member:
/// no membership or blacklist check; the caller has authorised it.
pub async fn send_as_service(ctx: &Ctx, cid: &str, m: NewMessage) -> AppResult<(Message, bool)> {
    send_at(&ctx.db, ctx.now_ms(), cid, m, false).await
}

/// The send rules (content limits, the peer's blacklist, room mutes) around the store.
/// Calls: one consistent BatchGetItem (META, the sender's MEMBER, for 1:1 the peer's relation
/// to the sender), one conditional Put claiming a client id (when given), one UpdateItem (the
/// seq), one TransactWriteItems (+1 UpdateItem giving the seq back when that write fails).
pub async fn send_at(db: &Db, now: i64, cid: &str, m: NewMessage, as_member: bool) -> AppResult<(Message, bool)> {
    if m.content.len() > MAX_CONTENT {
        return Err(AppError::invalid("content", format!("longer than {MAX_CONTENT} bytes")));
    }
    if m.client_id.as_deref().is_some_and(|id| !valid_mid(id)) {
        return Err(AppError::invalid("messageId", "1-64 letters, digits, '-' or '_'"));
    }
    if let Some(o) = &m.object_name {
        if !valid_object_name(o) {
            return Err(AppError::invalid("objectName", "1-32 letters, digits, ':' or '_'"));
        }
    }
    let gone = || AppError::not_found(format!("conversation {cid}"));
    if !valid_id(cid) {
        return Err(gone());
    }
    // 1:1: the peer may have blacklisted the sender (the id names both).
    let peer = single_peer(cid, m.sender).filter(|_| as_member);
    let sc = messages::send_context(db, cid, m.sender, as_member, peer).await?.ok_or_else(gone)?;
    // Room mutes (Shiku talkTime, epoch seconds): the member's own, and the room's "mute all"
    // for everyone but owner/admins (also in the store's condition).
    let now_secs = now / 1000;
    if sc.sender.as_ref().is_some_and(|s| s.talk_time > now_secs) {
        return Err(AppError::Refused { code: convs::REFUSED_MUTED, message: "you are muted in this room".into() });
    }
    // The client id is claimed before anything is written, so racing resends store nothing
    // twice. A resend is answered before the remaining checks.
    let claim = match &m.client_id {
        Some(id) => match messages::claim_client_id(db, now, cid, id, m.sender).await? {
            Claimed::Stored(prev) => return Ok((prev, true)),
            Claimed::Mine(token) => Some((id.as_str(), token)),
        },
        None => None,
    };
    let stored = async {
        if sc.blocked {
            return Err(AppError::forbidden("blocked"));
        }
        let check_mute_all = sc.sender.as_ref().is_some_and(|s| !s.is_admin());
        if check_mute_all && sc.room_talk_time > now_secs {
            return Err(AppError::Refused { code: convs::REFUSED_ALL_MUTED, message: "the room is muted".into() });
        }
        let to_account = sc.ocu.is_some_and(|o| o != m.sender);
        let claim = claim.as_ref().map(|(_, t)| t.as_str());
        messages::store_claimed(db, now, cid, &m, check_mute_all, claim, to_account).await
    }
    .await;
    if let (Err(_), Some((id, token))) = (&stored, &claim) {
        messages::release_claim(db, id, token).await;
    }
    stored.map(|msg| (msg, false))
}

/// One page of history as `member` sees it: newest first below `before`, or oldest first
/// above `since` (one Query), without what they deleted for themselves (one more Query only
/// when they ever hid single messages).
pub async fn visible_page(
    ctx: &Ctx,
    cid: &str,
    member: &Member,
    before: Option<i64>,
    since: Option<i64>,
    limit: i32,
) -> AppResult<Vec<Message>> {
    let msgs = messages::history(&ctx.db, cid, before, since, limit).await?;
    convs::visible_to(&ctx.db, cid, member, msgs).await
}

/// Minxing mark-seen: the read pointer of a member moves to `seq` (default: the last message;
/// never back). `seq` is read once membership is known; a missing conversation reads as 0.
pub async fn mark_seen(
    ctx: &Ctx,
    me: UserId,
    cid: &str,
    seq: impl FnOnce() -> AppResult<Option<i64>>,
) -> AppResult<()> {
    convs::require_member(&ctx.db, cid, me).await?;
    let seq = match seq()? {
        Some(s) if s < 0 => return Err(AppError::invalid("seq", "must not be negative")),
        Some(s) => s,
        None => convs::get(&ctx.db, cid).await?.map(|c| c.last_seq).unwrap_or(0),
    };
    convs::mark_read(&ctx.db, cid, me, seq).await?;
    Ok(())
}

/// A message to recall: by seq, or by id (which must be in the conversation).
pub enum Recall {
    Seq(i64),
    Id(String),
}

/// THE recall rule besides "the sender may": an owner/admin of a room may recall anyone's
/// message; nobody recalls the other side's message in a 1:1 chat (every dialect: Minxing and
/// SealTalk [`recall`], Shiku [`delete_messages`]).
pub fn recalls_as_admin(cid: &str, member: &Member) -> bool {
    member.is_admin() && convs::is_group(cid)
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
    let admin = recalls_as_admin(cid, &member);
    convs::recall(&ctx.db, ctx.now_ms(), cid, seq, me, admin).await
}

/// Recall by a console operator (services::console_logs, `/console/*_logs_all/del`): any
/// message of any conversation, as a room admin recalls (the same tombstone; `delivery`
/// pushes the same `recall` frames to the members). Idempotent on a tombstone.
pub async fn recall_as_operator(ctx: &Ctx, op: UserId, cid: &str, seq: i64) -> AppResult<Message> {
    convs::recall(&ctx.db, ctx.now_ms(), cid, seq, op, true).await
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

/// A member of `cid` (404 for anyone else): the check before reading or writing a conversation.
pub async fn require_member(ctx: &Ctx, cid: &str, me: UserId) -> AppResult<Member> {
    convs::require_member(&ctx.db, cid, me).await
}

/// The 1:1 conversation a PRIVATE send goes to: only to a friend who has not blacklisted
/// the sender (my relation to them: status friends, no blacklist), never to oneself; created
/// on first use. SealTalk `/misc/send_message`.
pub async fn friend_chat(ctx: &Ctx, me: UserId, to: UserId) -> AppResult<String> {
    let friends = store_relations::get(&ctx.db, me, to).await?.is_some_and(|r| r.status == FRIENDS && !r.blacklist);
    if !friends || to == me {
        return Err(AppError::forbidden("not your friend"));
    }
    Ok(convs::ensure_single(&ctx.db, ctx.now_ms(), me, to).await?.0.id)
}

/// A GROUP send: only by a member (403, not 404, as the SealTalk original).
pub async fn group_chat(ctx: &Ctx, me: UserId, cid: String) -> AppResult<String> {
    if convs::member(&ctx.db, &cid, me).await?.is_none() {
        return Err(AppError::forbidden("you are not a member of this group"));
    }
    Ok(cid)
}

/// The 1:1 conversation of `me` with an existing user `to` (not oneself): created on first
/// use when `create`, else only when `me` is in it already.
pub async fn private_chat(ctx: &Ctx, me: UserId, to: UserId, create: bool) -> AppResult<Option<String>> {
    if to == me {
        return Err(AppError::invalid("targetId", "cannot be yourself"));
    }
    let u = users::require(&ctx.db, to).await?;
    if create {
        let ocu = crate::services::ocus::is_public_account(&u).then_some(to);
        Ok(Some(convs::ensure_single_ocu(&ctx.db, ctx.now_ms(), me, to, ocu).await?.0.id))
    } else {
        let cid = single_id(me, to);
        Ok(convs::member(&ctx.db, &cid, me).await?.map(|_| cid))
    }
}

/// SealTalk screen-capture notification state, one per conversation (0 off, 1 on).
pub async fn set_screen_capture(ctx: &Ctx, cid: &str, status: i64) -> AppResult<()> {
    crate::store::conversations::set_screen_capture(&ctx.db, cid, status).await
}

/// The screen-capture state of `cid` (0 when the conversation is unknown).
pub async fn screen_capture(ctx: &Ctx, cid: &str) -> AppResult<i64> {
    Ok(convs::get(&ctx.db, cid).await?.map(|conv| conv.screen_capture).unwrap_or(0))
}

/// Shiku history paging: `index` pages of `size` back from the newest message, then only
/// messages with `start_ms <= ts <= end_ms` (when given).
#[derive(Debug, Clone, Copy)]
pub struct DensePage {
    pub index: i64,
    pub size: i64,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// pageIndex/pageSize over a dense seq range, as `member` sees it: one Query whatever the
/// page (plus the HIDE# Query when they ever hid single messages).
async fn dense_page(ctx: &Ctx, cid: &str, member: &Member, last_seq: i64, p: DensePage) -> AppResult<Vec<Message>> {
    let before = last_seq - p.index * p.size + 1;
    if before <= 1 {
        return Ok(vec![]);
    }
    let mut msgs = messages::history(&ctx.db, cid, Some(before), None, p.size as i32).await?;
    msgs.retain(|m| p.start_ms.is_none_or(|s| m.ts >= s) && p.end_ms.is_none_or(|e| m.ts <= e));
    convs::visible_to(&ctx.db, cid, member, msgs).await
}

/// The 1:1 history of `me` with `other` (Shiku `/tigase/shiku_msgs`): empty when they never
/// talked. `page` is read once the conversation is known.
pub async fn single_history(
    ctx: &Ctx,
    me: UserId,
    other: UserId,
    page: impl FnOnce() -> AppResult<DensePage>,
) -> AppResult<Vec<Message>> {
    // The id is derived from both users, so the caller is a member by construction.
    let cid = single_id(me, other);
    let (conv, member) = tokio::try_join!(convs::get(&ctx.db, &cid), convs::member(&ctx.db, &cid, me))?;
    let (Some(conv), Some(member)) = (conv, member) else {
        return Ok(vec![]);
    };
    dense_page(ctx, &cid, &member, conv.last_seq, page()?).await
}

/// A room's history for a member (Shiku `/tigase/shiku_muc_msgs`). `page` is read once
/// membership is known.
pub async fn room_history(
    ctx: &Ctx,
    me: UserId,
    room: &str,
    page: impl FnOnce() -> AppResult<DensePage>,
) -> AppResult<Vec<Message>> {
    let member = convs::require_member(&ctx.db, room, me).await?;
    let conv = convs::get(&ctx.db, room).await?.ok_or_else(|| AppError::not_found(format!("room {room}")))?;
    dense_page(ctx, room, &member, conv.last_seq, page()?).await
}

/// One message by id, for a member of its conversation. The same 404 for "no such message"
/// and "not yours": ids are not probeable.
pub async fn message_for(ctx: &Ctx, me: UserId, mid: &str) -> AppResult<Message> {
    let gone = || AppError::not_found(format!("message {mid}"));
    let m = messages::by_id(&ctx.db, mid).await?.ok_or_else(gone)?;
    convs::member(&ctx.db, &m.conversation_id, me).await?.ok_or_else(gone)?;
    Ok(m)
}

/// Recent chats (home screen): the conversations of `me` with messages they have not
/// cleared, newest first.
pub async fn recent_chats(ctx: &Ctx, me: UserId) -> AppResult<Vec<(Conversation, Member)>> {
    let mut list = convs::of_user(&ctx.db, me).await?;
    list.retain(|(conv, m)| conv.last_seq > m.cleared_seq);
    list.sort_by_key(|(conv, _)| std::cmp::Reverse(conv.last_ts));
    Ok(list)
}

/// Delete messages named by id (Shiku deleteMsg): `recall` = for everyone (sender, or a room
/// owner/admin; tombstones, members' sockets get `recall` frames from the stream), else my
/// copy only (hidden for me in every history). `single`: the ids must all be in 1:1 chats
/// (else all in rooms). All ids are checked before anything changes. Calls: two BatchGetItem
/// (id items, messages), one membership BatchGetItem per conversation, then one write per
/// conversation (my copy) or per message (recall).
pub async fn delete_messages(ctx: &Ctx, me: UserId, single: bool, recall: bool, ids: &[String]) -> AppResult<()> {
    // Ids are unique across conversations (store/messages.rs): two BatchGetItem find them all.
    let mut by_id: HashMap<String, Message> =
        messages::by_ids(&ctx.db, ids).await?.into_iter().map(|m| (m.id.clone(), m)).collect();
    let mut found: Vec<Message> = vec![];
    let mut members: HashMap<String, Member> = HashMap::new();
    for mid in ids {
        let gone = || AppError::not_found(format!("message {mid}"));
        let m = by_id.remove(mid).ok_or_else(gone)?;
        // Membership first: to a non-member the id is unknown, whatever `type` says (a kind
        // check before it would tell a stranger that the id exists and where).
        if !members.contains_key(&m.conversation_id) {
            let mem = convs::member(&ctx.db, &m.conversation_id, me).await?.ok_or_else(gone)?;
            members.insert(m.conversation_id.clone(), mem);
        }
        let is_single = !convs::is_group(&m.conversation_id);
        if is_single != single {
            return Err(AppError::invalid(
                "type",
                format!("message {mid} is not in a {}", if single { "single chat" } else { "room" }),
            ));
        }
        let admin = recalls_as_admin(&m.conversation_id, &members[&m.conversation_id]);
        if recall && m.sender != me && !admin {
            return Err(AppError::forbidden("only the sender or a room admin may recall a message"));
        }
        found.push(m);
    }
    if !recall {
        let mut by_conv: HashMap<&str, Vec<i64>> = HashMap::new();
        for m in &found {
            by_conv.entry(m.conversation_id.as_str()).or_default().push(m.seq);
        }
        for (cid, seqs) in by_conv {
            convs::hide_for(&ctx.db, cid, me, &seqs).await?;
        }
    } else {
        for m in &found {
            let admin = recalls_as_admin(&m.conversation_id, &members[&m.conversation_id]);
            convs::recall(&ctx.db, ctx.now_ms(), &m.conversation_id, m.seq, me, admin).await?;
        }
    }
    Ok(())
}

/// Every conversation `me` is a member of, with my membership (one Query + one BatchGetItem).
pub async fn conversations_of(db: &Db, me: UserId) -> AppResult<Vec<(crate::domain::chat::Conversation, Member)>> {
    convs::of_user(db, me).await
}
