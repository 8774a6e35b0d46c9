//! Shiku `/console/*` message logs: `chat_logs_all` (a person's or a pair's 1:1 messages),
//! `groupchat_logs_all` (a room's) and their `/del` (tombstones through the chat recall rule).
//! Rules: shared::services::console_logs; views: the Shiku history records of
//! `/tigase/shiku_msgs` / `/tigase/shiku_muc_msgs` (shared::dialects::shiku::chat::record).

use serde_json::{json, Value};
use shared::auth::token_from_request;
use shared::dialects::shiku::chat::record;
use shared::domain::chat::single_peer;
use shared::domain::sessions::Session;
use shared::http::Call;
use shared::ids::UserId;
use shared::services::console_logs::{self as logs, Scope, Window, DELETE_LIMIT};
use shared::services::{console, operators};
use shared::{AppError, AppResult, Reply};

async fn operator(c: &Call<'_>) -> AppResult<Session> {
    operators::session(c.ctx, token_from_request(c.dialect, &c.req, &c.params)).await
}

/// startTime / endTime (epoch ms, optional, start ≤ end).
fn window(c: &Call<'_>) -> AppResult<Window> {
    let (start_ms, end_ms) = (c.params.i64("startTime")?, c.params.i64("endTime")?);
    if let (Some(s), Some(e)) = (start_ms, end_ms) {
        if s > e {
            return Err(AppError::invalid("endTime", "must not be before startTime"));
        }
    }
    Ok(Window { start_ms, end_ms })
}

fn user(c: &Call<'_>, name: &str) -> AppResult<Option<UserId>> {
    c.params.str(name)?.filter(|v| !v.is_empty()).map(|v| UserId::parse(name, &v)).transpose()
}

/// sender and/or receiver (one required).
fn people(c: &Call<'_>) -> AppResult<Scope> {
    Scope::people(user(c, "sender")?, user(c, "receiver")?)
}

/// room_jid_id (or roomId).
fn room(c: &Call<'_>) -> AppResult<Scope> {
    let id = match c.params.str_max("room_jid_id", 80)?.filter(|v| !v.is_empty()) {
        Some(id) => id,
        None => {
            c.params.str_max("roomId", 80)?.filter(|v| !v.is_empty()).ok_or_else(|| AppError::missing("room_jid_id"))?
        }
    };
    Ok(Scope::Room(id))
}

async fn list(c: &Call<'_>, scope: Scope, default_size: i64, single: bool) -> AppResult<Reply> {
    operator(c).await?;
    let p = &c.params;
    let (index, size) = (p.i64("pageIndex")?.unwrap_or(0), p.i64("pageSize")?.unwrap_or(default_size));
    let (offset, size) = console::page(index, size)?;
    let w = window(c)?;
    let (msgs, more) = logs::list(c.ctx, &scope, w, offset, size).await?;
    let list: Vec<Value> =
        msgs.iter().map(|m| record(m, if single { single_peer(&m.conversation_id, m.sender) } else { None })).collect();
    Ok(Reply::data(json!({"pageIndex": index, "pageSize": size, "more": more, "list": list})))
}

async fn delete(c: &Call<'_>, scope: Scope) -> AppResult<Reply> {
    let op = operator(c).await?;
    let w = window(c)?;
    let mid = c.params.str_max("messageId", 64)?.filter(|v| !v.is_empty());
    let (deleted, more) = logs::delete(c.ctx, &op, &c.route, &scope, w, mid.as_deref(), DELETE_LIMIT).await?;
    Ok(Reply::data(json!({"deleted": deleted, "more": more})))
}

/// sender / receiver (one required), startTime, endTime, pageIndex (0), pageSize (10, ≤ 50).
pub async fn chat_logs(c: &Call<'_>) -> AppResult<Reply> {
    let scope = people(c)?;
    list(c, scope, 10, true).await
}

/// The same filters (pageSize ignored), optional messageId → `{deleted, more}`.
pub async fn chat_logs_del(c: &Call<'_>) -> AppResult<Reply> {
    let scope = people(c)?;
    delete(c, scope).await
}

/// room_jid_id (or roomId), startTime, endTime, pageIndex (0), pageSize (25, ≤ 50).
pub async fn group_logs(c: &Call<'_>) -> AppResult<Reply> {
    let scope = room(c)?;
    list(c, scope, 25, false).await
}

/// The same filters (pageSize ignored), optional messageId → `{deleted, more}`.
pub async fn group_logs_del(c: &Call<'_>) -> AppResult<Reply> {
    let scope = room(c)?;
    delete(c, scope).await
}
