//! Minxing `/api/v1/conversations2…`: JSON objects with snake_case fields,
//! timestamps in epoch milliseconds (docs/dialects.md).

use serde_json::{json, Value};
use shared::domain::chat::{Conversation, Kind, Member, NewMessage};
use shared::domain::rooms::GroupEvent;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::conversations as convs;
use shared::{AppError, AppResult, Reply};

pub use shared::dialects::minxing::chat::{conversation_json, message_json};

fn conversation_id(c: &Call<'_>) -> AppResult<String> {
    let cid = c.path_param("conversation_id")?;
    if !shared::domain::chat::valid_id(&cid) {
        return Err(AppError::not_found(format!("conversation {cid}")));
    }
    Ok(cid)
}

pub async fn to_user(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let other = UserId::parse("user_id", &c.path_param("user_id")?)?;
    let (conv, created) = convs::open_single(&c.ctx.db, c.ctx.now_ms(), me, other).await?;
    // 201 when this call made it, 200 when it existed (the Minxing rule for created objects).
    Ok(Reply::data(conversation_json(&conv, None)).status(if created { 201 } else { 200 }))
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
    shared::services::rooms::require_profiles(&c.ctx.db, &members).await?;
    let name = c.params.str_max("name", 64)?.or(c.params.str_max("title", 64)?).unwrap_or_default();
    let conv = shared::services::rooms::create_group(&c.ctx.db, c.ctx.now_ms(), me, &name, &members).await?;
    Ok(Reply::data(group_json(c, &conv, None, me).await?).status(201))
}

pub async fn send(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = conversation_id(c)?;
    let body = c.params.str("body")?.or(c.params.str("content")?).ok_or_else(|| AppError::missing("body"))?;
    let kind = c.params.i64_in("message_type", 1, 99, 1)?;
    let client_id = c.params.str("client_id")?.or(c.params.str("uuid")?);
    let msg = NewMessage { sender: me, kind, content: body, client_id, object_name: None };
    let (m, _dup) = shared::services::chat::send(c.ctx, &cid, msg).await?;
    Ok(Reply::data(message_json(&m)).status(201))
}

/// Conversation with one page of messages, newest first; `before_seq` pages back,
/// `since_seq` returns what came after (oldest first).
pub async fn detail(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = conversation_id(c)?;
    let (conv, member) = convs::as_member(&c.ctx.db, &cid, me).await?;
    let limit = c.params.i64_in("limit", 1, 200, 20)? as i32;
    let before = c.params.i64("before_seq")?;
    let since = c.params.i64("since_seq")?;
    let msgs = shared::services::chat::visible_page(c.ctx, &cid, &member, before, since, limit).await?;
    let mut out = group_json(c, &conv, Some(&member), me).await?;
    // Within Lambda's response limit: the page stops at a whole message (`has_more`), and the
    // client goes on from the last seq it got, as with any page.
    let (page, cut) =
        shared::budget::take_within(msgs.iter().map(message_json).collect(), shared::budget::HTTP_LIST_BUDGET);
    out["messages"] = Value::Array(page);
    if cut {
        out["has_more"] = json!(true);
    }
    Ok(Reply::data(out))
}

pub async fn mark_seen(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = c.params.req_str("conversation_id")?;
    shared::services::chat::mark_seen(c.ctx, me, &cid, || c.params.i64("seq")).await?;
    Ok(Reply::empty())
}

/// Recent conversations, most recently active first, with unread counts.
pub async fn from_last_seen(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = convs::recent(&c.ctx.db, me).await?;
    let items: Vec<Value> = list.iter().map(|(conv, m)| conversation_json(conv, Some(m))).collect();
    // Unpaged (every conversation of the caller), with the `next_cursor` every Minxing list has.
    Ok(Reply::data(json!({"items": items, "next_cursor": null})))
}

/// [`conversation_json`] with a group's `user_ids`: the members `me` may see (the rule of every
/// member list; one Query). A 1:1 chat has them already.
async fn group_json(c: &Call<'_>, conv: &Conversation, member: Option<&Member>, me: UserId) -> AppResult<Value> {
    let mut out = conversation_json(conv, member);
    if conv.kind == Kind::Group {
        let seen = shared::services::rooms::members_as_seen_by(&c.ctx.db, &conv.id, me).await?;
        let (_, _, all) = seen.ok_or_else(|| AppError::not_found(format!("conversation {}", conv.id)))?;
        out["user_ids"] = all.iter().map(|u| u.uid.0).collect();
    }
    Ok(out)
}

/// A group conversation the caller belongs to (1:1 chats have no member management).
async fn my_group(c: &Call<'_>, me: UserId) -> AppResult<(String, Conversation, Member)> {
    let cid = conversation_id(c)?;
    let (conv, member) = convs::group_as_member(&c.ctx.db, &cid, me).await?;
    Ok((cid, conv, member))
}

/// `{"event":"group","type",…}` to the members (and `also_to`), through `delivery` — the
/// frame Shiku rooms and SealTalk groups send (store/groups.rs), plus `conversationId`.
fn group_event(cid: &str, kind: &str, me: UserId, mut extra: Value, also_to: &[UserId]) -> GroupEvent {
    extra["conversationId"] = json!(cid);
    GroupEvent::new(kind, me, extra).also_to(also_to)
}

/// `POST /api/v1/conversations/{id}/users` (`user_ids`, ≤ 500): the rooms' invite path
/// (services::rooms: plain members only when the room allows it, else 403; unknown ids → 404
/// and nothing added; members already in, users who blacklisted the inviter and users at the
/// group cap are skipped; a full room → 403). Answers the conversation with the members' ids
/// (as the room's `showMember` lets the caller see them).
pub async fn invite(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, conv, _) = my_group(c, me).await?;
    let ids = c.params.list("user_ids")?;
    if ids.is_empty() {
        return Err(AppError::missing("user_ids"));
    }
    if ids.len() > 500 {
        return Err(AppError::invalid("user_ids", "at most 500 per call"));
    }
    let wanted = ids.iter().map(|s| UserId::parse("user_ids", s)).collect::<AppResult<Vec<_>>>()?;
    let event = |added: &[UserId]| {
        let ids: Vec<i64> = added.iter().map(|u| u.0).collect();
        group_event(&cid, "invited", me, json!({"userIds": ids}), &[])
    };
    let db = &c.ctx.db;
    shared::services::rooms::invite_with(db, c.ctx.now_ms(), &cid, me, &wanted, &event).await.map_err(|e| match e {
        AppError::NotFound(what) if what.starts_with("room ") => AppError::not_found(format!("conversation {cid}")),
        other => other,
    })?;
    Ok(Reply::data(group_json(c, &conv, None, me).await?))
}

/// `DELETE /api/v1/conversations/{id}`: a 1:1 chat is deleted for me (hidden until its next
/// message); a group is left, or dismissed by its owner (every member removed). 204.
pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let cid = conversation_id(c)?;
    let (conv, member) = convs::as_member(&c.ctx.db, &cid, me).await?;
    let dismissed = group_event(&cid, "dismissed", me, json!({}), &[]);
    let left = group_event(&cid, "left", me, json!({"userId": me.0}), &[me]);
    convs::delete_for(&c.ctx.db, c.ctx.now_ms(), me, (&conv, &member), dismissed, &left).await?;
    Ok(Reply::empty())
}

/// `DELETE /api/v1/conversations/{id}/users/{user_id}`: yourself = leave (the owner must
/// dismiss instead); someone else = an owner or admin removes a plain member (admins only by
/// the owner; the owner never). 204.
pub async fn remove_user(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let (cid, _, member) = my_group(c, me).await?;
    let target = UserId::parse("user_id", &c.path_param("user_id")?)?;
    if target == me {
        let ev = group_event(&cid, "left", me, json!({"userId": me.0}), &[me]);
        convs::leave(&c.ctx.db, c.ctx.now_ms(), me, &cid, &member, &ev).await?;
        return Ok(Reply::empty());
    }
    let ev = group_event(&cid, "removed", me, json!({"userId": target.0}), &[target]);
    convs::remove(&c.ctx.db, c.ctx.now_ms(), &cid, &member, target, &ev).await?;
    Ok(Reply::empty())
}

/// `PUT /api/v1/conversations/{id}` (`name` or `title`, ≤ 64): owner or admin renames.
pub async fn rename(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let name =
        c.params.str_max("name", 64)?.or(c.params.str_max("title", 64)?).ok_or_else(|| AppError::missing("name"))?;
    let (cid, mut conv, member) = my_group(c, me).await?;
    let ev = group_event(&cid, "renamed", me, json!({"name": name}), &[]);
    convs::rename(&c.ctx.db, c.ctx.now_ms(), &cid, &member, &name, &ev).await?;
    conv.name = name;
    Ok(Reply::data(group_json(c, &conv, Some(&member), me).await?))
}
