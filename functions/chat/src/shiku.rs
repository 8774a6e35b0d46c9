//! Shiku `/tigase/*` history: records shaped like the Tigase message archive
//! (`_id`, `body`, `sender`, `receiver`, `ts`, `type`, …).

use serde_json::{json, Value};
use shared::domain::chat::{single_peer, Kind, MAX_CONTENT, MAX_COURSE_MESSAGES};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::chat::{self as chat, DensePage};
use shared::services::delivery::{self, Recipients};
use shared::{AppError, AppResult, Reply};

use shared::dialects::shiku::chat::record;

/// pageIndex/pageSize (default size per route); startTime/endTime are seconds.
fn page(c: &Call<'_>, default_size: i64) -> AppResult<DensePage> {
    let size = c.params.i64_in("pageSize", 1, 500, default_size)?;
    let index = c.params.i64_in("pageIndex", 0, 1_000_000, 0)?;
    let start_ms = c.params.i64("startTime")?.filter(|t| *t > 0).map(|t| t.saturating_mul(1000));
    let end_ms = c.params.i64("endTime")?.filter(|t| *t > 0).map(|t| t.saturating_mul(1000));
    Ok(DensePage { index, size, start_ms, end_ms })
}

pub async fn single_history(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let other = UserId::parse("receiver", &c.params.req_str("receiver")?)?;
    let msgs = chat::single_history(c.ctx, me, other, || page(c, 50)).await?;
    let out: Vec<Value> = msgs.iter().map(|m| record(m, Some(if m.sender == me { other } else { me }))).collect();
    Ok(Reply::data(Value::Array(within_budget(out))))
}

pub async fn room_history(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = c.params.req_str("roomId")?;
    let msgs = chat::room_history(c.ctx, me, &room, || page(c, 20)).await?;
    Ok(Reply::data(Value::Array(within_budget(msgs.iter().map(|m| record(m, None)).collect()))))
}

/// A page keeps its newest messages within Lambda's response limit; Shiku clients load older
/// ones with `endTime` = the oldest `timeSend` they hold, so nothing is skipped.
fn within_budget(page: Vec<Value>) -> Vec<Value> {
    shared::budget::take_within(page, shared::budget::HTTP_LIST_BUDGET).0
}

pub async fn get_message(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let mid = c.params.req_str("messageId")?;
    let m = chat::message_for(c.ctx, me, &mid).await?;
    let receiver = single_peer(&m.conversation_id, m.sender);
    let mut r = record(&m, receiver);
    r["type"] = json!(if receiver.is_some() { 1 } else { 2 });
    Ok(Reply::data(r))
}

/// Recent chats for the home screen: one entry per conversation with its last message.
pub async fn last_chat_list(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let list = chat::recent_chats(c.ctx, me).await?;
    let out: Vec<Value> = list
        .iter()
        .map(|(conv, m)| {
            let is_room = conv.kind == Kind::Group;
            let peer = conv.pair.iter().copied().find(|u| *u != me).unwrap_or(me);
            json!({
                "jid": if is_room { conv.id.clone() } else { peer.0.to_string() },
                "isRoom": i32::from(is_room),
                "roomId": if is_room { json!(conv.id) } else { Value::Null },
                "toUserName": conv.name,
                "content": conv.last_preview,
                "fromUserId": conv.last_sender.map(|u| u.0),
                "timeSend": conv.last_ts / 1000,
                "seq": conv.last_seq,
                "msgNum": (conv.last_seq - m.read_seq).max(0),
            })
        })
        .collect();
    Ok(Reply::data(Value::Array(out)))
}

/// The caller, or an explicit id that must be the caller (Shiku sends `userId`/`from`).
fn must_be_me(c: &Call<'_>, name: &str, me: UserId) -> AppResult<()> {
    if let Some(raw) = c.params.str(name)? {
        if UserId::parse(name, &raw)? != me {
            return Err(AppError::forbidden(format!("{name} must be your own id")));
        }
    }
    Ok(())
}

/// Ids given as one id, a comma list or a JSON array.
fn id_list(c: &Call<'_>, name: &str, max: usize) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = match c.params.raw(name) {
        Some(Value::String(t)) if t.trim_start().starts_with('[') => serde_json::from_str::<Vec<Value>>(t)
            .map_err(|_| AppError::invalid(name, "must be a JSON array or a comma-separated list"))?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        _ => c
            .params
            .list(name)?
            .into_iter()
            .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .collect(),
    };
    out.iter_mut().for_each(|x| *x = x.trim().to_string());
    out.retain(|x| !x.is_empty());
    out.dedup();
    if out.is_empty() {
        return Err(AppError::missing(name));
    }
    if out.len() > max {
        return Err(AppError::invalid(name, format!("at most {max}")));
    }
    Ok(out)
}

/// `/tigase/deleteMsg`: `type` 1 single / 2 room, `delete` 1 = my copy only (hidden for me
/// in every history), 2 = recall for everyone (sender, or a room owner/admin; the message
/// becomes a tombstone and members' sockets get a `recall` frame). `messageId`: one id or a
/// comma list (≤ 100). All ids are checked before anything changes. Calls: two BatchGetItem
/// (id items, messages), one membership BatchGetItem per conversation, then one write per conversation (delete=1) or per
/// message (delete=2).
pub async fn delete_msg(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let kind = c.params.req_i64("type")?;
    if kind != 1 && kind != 2 {
        return Err(AppError::invalid("type", "1 (single chat) or 2 (room)"));
    }
    let delete = c.params.req_i64("delete")?;
    if delete != 1 && delete != 2 {
        return Err(AppError::invalid("delete", "1 (my copy) or 2 (recall for everyone)"));
    }
    let ids = id_list(c, "messageId", 100)?;
    chat::delete_messages(c.ctx, me, kind == 1, delete == 2, &ids).await?;
    Ok(Reply::empty())
}

/// `/tigase/notify` (`from`, `to`, `body`, `ts`): a push job for `to` when they have no live
/// connection, unless they set DND (global, or for the caller) or blacklisted the caller.
pub async fn notify(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    must_be_me(c, "from", me)?;
    let to = UserId::parse("to", &c.params.req_str("to")?)?;
    let body = c.params.req_str("body")?;
    delivery::require_recipients(c.ctx, Recipients::One(to)).await?;
    let ts = c.params.i64("ts")?.filter(|t| *t > 0).unwrap_or_else(|| c.ctx.now_ms());
    push_direct(c, me, &[to], "notify", &body, ts).await?;
    Ok(Reply::empty())
}

/// `/tigase/baiduPush` (`from`, `to`, `type`): like notify, the text names the message type.
pub async fn baidu_push(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    must_be_me(c, "from", me)?;
    let to = UserId::parse("to", &c.params.req_str("to")?)?;
    let kind = c.params.i64_in("type", 1, 99, 1)?;
    delivery::require_recipients(c.ctx, Recipients::One(to)).await?;
    let body = match kind {
        1 => "[text]",
        2 => "[image]",
        3 => "[voice]",
        4 => "[location]",
        6 => "[video]",
        9 => "[file]",
        _ => "[new message]",
    };
    push_direct(c, me, &[to], "baidu", body, c.ctx.now_ms()).await?;
    Ok(Reply::empty())
}

/// `/tigase/push` (`text`: JSON array of user ids, ≤ 100; `body`): a job for each offline one.
pub async fn push(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let raw = c.params.req_str("text")?;
    let ids: Vec<Value> =
        serde_json::from_str(&raw).map_err(|_| AppError::invalid("text", "must be a JSON array of user ids"))?;
    if ids.is_empty() || ids.len() > 100 {
        return Err(AppError::invalid("text", "1 to 100 user ids"));
    }
    let mut to = vec![];
    for v in &ids {
        let s = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        to.push(UserId::parse("text", &s)?);
    }
    to.sort();
    to.dedup();
    let body = c.params.req_str("body")?;
    delivery::require_recipients(c.ctx, Recipients::Many(&to)).await?;
    push_direct(c, me, &to, "push", &body, c.ctx.now_ms()).await?;
    Ok(Reply::empty())
}

async fn push_direct(c: &Call<'_>, me: UserId, to: &[UserId], kind: &str, body: &str, ts: i64) -> AppResult<()> {
    delivery::direct_push(c.ctx, me, to, kind, body, ts).await
}

/// `/tigase/OnlineState` (`userId` = the caller, `OnlineState` 0/1): 0 appears offline
/// (`/user/getOnLine` answers 0) until 1 or the next WebSocket connect.
pub async fn online_state(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    must_be_me(c, "userId", me)?;
    let state = c.params.req_i64("OnlineState")?;
    if state != 0 && state != 1 {
        return Err(AppError::invalid("OnlineState", "0 (offline) or 1 (online)"));
    }
    shared::services::presence::set_online_state(c.ctx, me, state).await?;
    Ok(Reply::empty())
}

pub async fn encrypt(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let text = c.params.req_str("text")?;
    let key = c.params.req_str("key")?;
    if text.len() > MAX_CONTENT {
        return Err(AppError::invalid("text", format!("longer than {} bytes", MAX_CONTENT)));
    }
    Ok(Reply::data(json!({"text": crate::crypto::encrypt(&key, &text)?})))
}

pub async fn decrypt(c: &Call<'_>) -> AppResult<Reply> {
    c.session().await?;
    let text = c.params.req_str("text")?;
    let key = c.params.req_str("key")?;
    Ok(Reply::data(json!({"text": crate::crypto::decrypt(&key, &text)?})))
}

/// `/course/add` (`userId` = the caller, `messageIds`, `createTime`, `courseName`, `roomJid`):
/// every message must belong to that room and the caller must be a member. Answers `{courseId}`.
pub async fn course_add(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    must_be_me(c, "userId", me)?;
    let name = c.params.str_max("courseName", 64)?.ok_or_else(|| AppError::missing("courseName"))?;
    let room = c.params.req_str("roomJid")?;
    let ids = id_list(c, "messageIds", MAX_COURSE_MESSAGES)?;
    let create_time = c.params.i64("createTime")?.filter(|t| *t > 0).unwrap_or_else(|| c.ctx.now_secs());
    let id = shared::services::courses::add(c.ctx, me, &name, &room, &ids, create_time).await?;
    Ok(Reply::data(
        json!({"courseId": id, "courseName": name, "roomJid": room, "messageIds": ids, "createTime": create_time}),
    ))
}
