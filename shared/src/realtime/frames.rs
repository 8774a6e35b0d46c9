//! Every realtime frame, built here and nowhere else (docs/realtime.md lists them).

use crate::domain::chat::Message;
use crate::error::AppError;
use serde_json::{json, Value};

// ---- messages: new message, recall, sync ------------------------------------------------

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

/// API Gateway's limit for one WebSocket message (PostToConnection answers 413 PayloadTooLarge
/// above 128 KB), counted as 128 000 bytes so either reading of "KB" holds.
pub const MAX_WS_MESSAGE: usize = 128_000;

/// [`message_frame`] if it serializes to at most `cap` bytes; otherwise the frame without its
/// content and with `"tooLarge": true` (64 KB of content can be 6× that once JSON-escaped),
/// so the client knows to fetch the message over HTTP history instead of never hearing of it.
/// Also returns the frame's serialized size.
pub fn message_frame_within(m: &Message, cap: usize) -> (Value, usize) {
    let f = message_frame(m);
    let len = f.to_string().len();
    if len <= cap {
        return (f, len);
    }
    let mut f = f;
    f["content"] = json!("");
    f["tooLarge"] = json!(true);
    let len = f.to_string().len();
    (f, len)
}

/// `{"event":"recall",…}`: a message became a tombstone (pushed by `delivery` on the MODIFY).
pub fn recall_frame(m: &Message) -> Value {
    json!({"event": "recall", "conversationId": m.conversation_id, "seq": m.seq, "messageId": m.id})
}

/// `{"event":"sync",…}`: one page of a conversation (`messages` are [`message_frame`]s).
pub fn sync_frame(cid: &str, messages: Vec<Value>, has_more: bool, next_seq: i64) -> Value {
    json!({"event": "sync", "conversationId": cid, "messages": messages, "hasMore": has_more, "nextSeq": next_seq})
}

/// Serialized size of a [`sync_frame`] at its longest with no messages (hasMore false, a
/// 19-digit nextSeq): what a page's messages may not use of one WebSocket message.
pub fn sync_envelope_len(cid: &str) -> usize {
    sync_frame(cid, vec![], false, i64::MAX).to_string().len()
}

/// `{"event":"ack","action":"send",…}`: the sender's answer to a WS `send`.
pub fn send_ack(cid: &str, m: &Message, duplicate: bool) -> Value {
    json!({"event": "ack", "action": "send", "conversationId": cid, "messageId": m.id, "seq": m.seq, "ts": m.ts, "duplicate": duplicate})
}

/// `{"event":"ack","action":"recall",…}`.
pub fn recall_ack(cid: &str, m: &Message) -> Value {
    json!({"event": "ack", "action": "recall", "conversationId": cid, "seq": m.seq, "messageId": m.id})
}

/// `{"event":"ack","action":"sync","conversations":n}`: after a multi-conversation sync.
pub fn sync_ack(conversations: usize) -> Value {
    json!({"event": "ack", "action": "sync", "conversations": conversations})
}

/// Xuanxuan notification card as a user event: the card with `event: notify` and `ts`.
pub fn notify_frame(card: &Value, ts: i64) -> Value {
    let mut frame = card.clone();
    frame["event"] = json!("notify");
    frame["ts"] = json!(ts);
    frame
}

// ---- group events: room created, members, settings, dismissed ---------------------------

/// `{"event":"group","type",…}` with both `roomId` (Shiku) and `groupId` (SealTalk) naming the
/// conversation. Its one definition is in the store (store/groups.rs), which writes it into
/// the event item in the change's own transaction (the store sits below realtime); frames
/// posted directly (join requests) use it from here.
pub use crate::store::groups::event_frame as group_event;

// ---- relations: friend requests, friend added/removed, blocks ---------------------------

/// The frame of a friend event (`type` requested / accepted / added / deleted / unfollowed /
/// blacklisted / unblacklisted, docs/realtime.md) from `from` to `to`, plus `extra` fields.
pub fn friend_event(
    kind: &str,
    from: crate::ids::UserId,
    from_nickname: &str,
    to: crate::ids::UserId,
    now: i64,
    extra: &serde_json::Value,
) -> serde_json::Value {
    let mut f = serde_json::json!({
        "event": "friend",
        "type": kind,
        "from": from.0,
        "to": to.0,
        "fromNickname": from_nickname,
        "ts": now,
    });
    if let (Some(o), Some(x)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    f
}

// ---- presence and signals: online, typing, read, session closed --------------------------

/// `{"event":"pong","ts"}`: the answer to a `ping` action.
pub fn pong(ts: i64) -> Value {
    json!({"event": "pong", "ts": ts})
}

/// `{"event":"error","code","message"}`: an action that failed (HTTP-like codes).
pub fn error_frame(e: &AppError) -> Value {
    let code = match e {
        AppError::TokenMissing | AppError::TokenInvalid => 401,
        AppError::Forbidden(_) => 403,
        AppError::NotFound(_) | AppError::RouteNotFound(_) => 404,
        AppError::RateLimited(_) => 429,
        AppError::Internal(_) => 500,
        _ => 400,
    };
    json!({"event": "error", "code": code, "message": e.to_string()})
}

/// [`error_frame`] naming the action it refuses (`typing`/`read` past the throttle).
pub fn throttled_frame(e: &AppError, action: &str) -> Value {
    let mut f = error_frame(e);
    f["action"] = json!(action);
    f
}

/// [`error_frame`] of a multi-sync naming the conversation it is about.
pub fn conversation_error_frame(e: &AppError, cid: &str) -> Value {
    let mut f = error_frame(e);
    f["conversationId"] = json!(cid);
    f
}

/// `{"event":"read","conversationId","uid","seq"}`: a read receipt to the other members.
pub fn read_frame(cid: &str, uid: crate::ids::UserId, seq: i64) -> Value {
    json!({"event": "read", "conversationId": cid, "uid": uid.0, "seq": seq})
}

/// `{"event":"ack","action":"read",…}`.
pub fn read_ack(cid: &str, seq: i64) -> Value {
    json!({"event": "ack", "action": "read", "conversationId": cid, "seq": seq})
}

/// `{"event":"typing","conversationId","uid","typing","ts"}` (not stored).
pub fn typing_frame(cid: &str, uid: crate::ids::UserId, on: bool, ts: i64) -> Value {
    json!({"event": "typing", "conversationId": cid, "uid": uid.0, "typing": on, "ts": ts})
}

/// `{"event":"friend","type":"profile",…}`: a user changed nickname or avatar (to their fans,
/// functions/users on the profile stream).
pub fn profile_changed_frame(uid: crate::ids::UserId, nickname: &str, avatar: Option<&str>, ts: i64) -> Value {
    json!({
        "event": "friend", "type": "profile", "from": uid.0, "fromNickname": nickname,
        "nickname": nickname, "avatar": avatar, "ts": ts,
    })
}

// ---- feed: the Minxing work circle -------------------------------------------------------

/// `{"event":"feed","type":"reply"|"like",…}` to a post's author: `message_id` (the reply or
/// the liked post), `thread_id`, `replied_to_id` (replies), `user_id` (who), `created_at`.
pub fn feed_event(
    kind: &str,
    message_id: i64,
    thread_id: i64,
    replied_to_id: Option<i64>,
    by: crate::ids::UserId,
    ts: i64,
) -> Value {
    json!({
        "event": "feed",
        "type": kind,
        "message_id": message_id,
        "thread_id": thread_id,
        "replied_to_id": replied_to_id,
        "user_id": by.0,
        "created_at": ts,
    })
}

// ---- mail: Minxing internal mail -----------------------------------------------------------

/// `{"event":"mail","type":"new",…}` to a mail's recipients, in every dialect's socket: the
/// mail's `id` (read it with `GET /api/v1/mails/{id}`), `subject`, `from` / `fromNickname`
/// (the sender), `attachments` (their count), `created_at`; never the body (up to 100 KB).
pub fn mail_event(m: &crate::domain::mail::Mail) -> Value {
    json!({
        "event": "mail",
        "type": "new",
        "id": m.id,
        "subject": m.subject,
        "from": m.sender.id.0,
        "fromNickname": m.sender.name,
        "attachments": m.attachments.len(),
        "created_at": m.created_at,
        "ts": m.created_at,
    })
}
