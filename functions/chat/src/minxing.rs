//! Minxing `/api/v1/conversations2…`: JSON objects with snake_case fields,
//! timestamps in epoch milliseconds (docs/dialects.md).

use serde_json::{json, Value};
use shared::http::Call;
use shared::ids::UserId;
use shared::store::conversations::{self as convs, Conversation, Kind, Member, Message, NewMessage};
use shared::store::users;
use shared::{AppError, AppResult, Reply};

pub fn conversation_json(c: &Conversation, me: Option<&Member>) -> Value {
    json!({
        "id": c.id,
        "conversation_type": if c.kind == Kind::Group { "group" } else { "private" },
        "title": c.name,
        "creator_id": c.owner.map(|u| u.0),
        "user_ids": c.pair.iter().map(|u| u.0).collect::<Vec<_>>(),
        "last_seq": c.last_seq,
        "last_message": if c.last_seq > 0 { json!({"body": c.last_preview, "sender_id": c.last_sender.map(|u| u.0), "created_at": c.last_ts}) } else { Value::Null },
        "unread_count": me.map(|m| (c.last_seq - m.read_seq).max(0)).unwrap_or(0),
        "created_at": c.created_at,
        "updated_at": c.last_ts.max(c.created_at),
    })
}

pub fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "sender_id": m.sender.0,
        "body": if m.recalled { "" } else { m.content.as_str() },
        "message_type": m.kind,
        "recalled": m.recalled,
        "created_at": m.ts,
    })
}

fn conversation_id(c: &Call<'_>) -> AppResult<String> {
    let cid = c.path_param("conversation_id")?;
    if !convs::valid_id(&cid) {
        return Err(AppError::not_found(format!("conversation {cid}")));
    }
    Ok(cid)
}

pub async fn to_user(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let other = UserId::parse("user_id", &c.path_param("user_id")?)?;
    users::require(&c.ctx.db, other).await?;
    let conv = convs::ensure_single(&c.ctx.db, c.ctx.now_ms(), me, other).await?;
    Ok(Reply::data(conversation_json(&conv, None)))
}

pub async fn create_group(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let ids = c.params.list("user_ids")?;
    if ids.is_empty() {
        return Err(AppError::missing("user_ids"));
    }
    let mut members = ids.iter().map(|s| UserId::parse("user_ids", s)).collect::<AppResult<Vec<_>>>()?;
    members.sort();
    members.dedup();
    let found = users::get_many(&c.ctx.db, &members).await?;
    if let Some(missing) = members.iter().find(|u| !found.iter().any(|f| f.uid == **u)) {
        return Err(AppError::not_found(format!("user {missing}")));
    }
    let name = c.params.str_max("name", 64)?.or(c.params.str_max("title", 64)?).unwrap_or_default();
    let conv = convs::create_group(&c.ctx.db, c.ctx.now_ms(), me, &name, &members).await?;
    Ok(Reply::data(conversation_json(&conv, None)).status(201))
}

pub async fn send(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = conversation_id(c)?;
    let body = c.params.str("body")?.or(c.params.str("content")?).ok_or_else(|| AppError::missing("body"))?;
    let kind = c.params.i64_in("message_type", 1, 99, 1)?;
    let client_id = c.params.str("client_id")?.or(c.params.str("uuid")?);
    let msg = NewMessage { sender: me, kind, content: body, client_id, object_name: None };
    let (m, _dup) = convs::send(&c.ctx.db, c.ctx.now_ms(), &cid, msg).await?;
    Ok(Reply::data(message_json(&m)).status(201))
}

/// Conversation with one page of messages, newest first; `before_seq` pages back,
/// `since_seq` returns what came after (oldest first).
pub async fn detail(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = conversation_id(c)?;
    let member = convs::require_member(&c.ctx.db, &cid, me).await?;
    let conv = convs::get(&c.ctx.db, &cid).await?.ok_or_else(|| AppError::not_found(format!("conversation {cid}")))?;
    let limit = c.params.i64_in("limit", 1, 200, 20)? as i32;
    let before = c.params.i64("before_seq")?;
    let since = c.params.i64("since_seq")?;
    let msgs = convs::history(&c.ctx.db, &cid, before, since, limit).await?;
    let mut out = conversation_json(&conv, Some(&member));
    out["messages"] = msgs.iter().map(message_json).collect();
    Ok(Reply::data(out))
}

pub async fn mark_seen(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = c.params.req_str("conversation_id")?;
    convs::require_member(&c.ctx.db, &cid, me).await?;
    let seq = match c.params.i64("seq")? {
        Some(s) if s < 0 => return Err(AppError::invalid("seq", "must not be negative")),
        Some(s) => s,
        None => convs::get(&c.ctx.db, &cid).await?.map(|c| c.last_seq).unwrap_or(0),
    };
    convs::mark_read(&c.ctx.db, &cid, me, seq).await?;
    Ok(Reply::empty())
}

/// Recent conversations, most recently active first, with unread counts.
pub async fn from_last_seen(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mut list = convs::of_user(&c.ctx.db, me).await?;
    list.sort_by_key(|(conv, _)| std::cmp::Reverse(conv.last_ts.max(conv.created_at)));
    let items: Vec<Value> = list.iter().map(|(conv, m)| conversation_json(conv, Some(m))).collect();
    Ok(Reply::data(json!({"items": items})))
}
