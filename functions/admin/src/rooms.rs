//! Shiku `/console/*` rooms part: list every live room, make one, list and add members,
//! dismiss, remove a member, read a room's messages (shared::services::console_rooms;
//! decisions docs/dialects.md "Shiku console").

use serde_json::{json, Value};
use shared::auth::token_from_request;
use shared::dialects::shiku::chat::record;
use shared::dialects::shiku::console_rooms::console_room_json;
use shared::dialects::shiku::rooms::{member_json, room_json};
use shared::domain::sessions::Session;
use shared::http::Call;
use shared::ids::UserId;
use shared::params::user_ids;
use shared::services::console::page;
use shared::services::{console_rooms as svc, operators, rooms};
use shared::{AppError, AppResult, Reply};
use std::collections::HashMap;

/// Most user ids one call takes (`ids`, `userIds`).
const MAX_IDS: usize = 100;
/// Longest room name (as `/room/add`) and name search.
const MAX_NAME: usize = 64;

async fn operator(c: &Call<'_>) -> AppResult<Session> {
    operators::session(c.ctx, token_from_request(c.dialect, &c.req, &c.params)).await
}

/// `(pageIndex, pageSize)` with the route's default size → (index, offset, size).
fn paging(c: &Call<'_>, default: i64) -> AppResult<(i64, usize, usize)> {
    let index = c.params.i64("pageIndex")?.unwrap_or(0);
    let (offset, size) = page(index, c.params.i64("pageSize")?.unwrap_or(default))?;
    Ok((index, offset, size))
}

fn listing(index: i64, size: usize, more: bool, list: Vec<Value>) -> Reply {
    Reply::data(json!({"pageIndex": index, "pageSize": size, "more": more, "list": list}))
}

/// roomName (substring, ≤ 64), pageIndex (0), pageSize (50, ≤ 50) → every live room,
/// private ones included, newest first.
pub async fn room_list(c: &Call<'_>) -> AppResult<Reply> {
    operator(c).await?;
    let (index, offset, size) = paging(c, 50)?;
    let name = c.params.str_max("roomName", MAX_NAME)?;
    let (list, more) = svc::room_list(c.ctx, name.as_deref(), offset, size).await?;
    Ok(listing(index, size, more, list.iter().map(console_room_json).collect()))
}

/// id (room), pageIndex (0), pageSize (10, ≤ 50) → a page of members (`/room/member/list`
/// view). With `userIds` (JSON list ≤ 100): adds them first (the invite path).
pub async fn room_user_manager(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    let cid = c.params.req_str("id")?;
    let (index, offset, size) = paging(c, 10)?;
    if c.params.raw("userIds").is_some() {
        let uids = user_ids(&c.params, "userIds", MAX_IDS)?;
        if uids.is_empty() {
            return Err(AppError::missing("userIds"));
        }
        svc::add_members(c.ctx, &op, &c.route, &cid, &uids).await?;
    }
    let p = svc::members(c.ctx, &cid, offset, size).await?;
    let list = p.members.iter().map(|m| member_json(&p.room.id, m, p.profiles.get(&m.uid))).collect();
    Ok(listing(index, size, p.more, list))
}

/// roomId: the room is dismissed (its members hear `dismissed`).
pub async fn delete_room(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    svc::delete_room(c.ctx, &op, &c.route, &c.params.req_str("roomId")?).await?;
    Ok(Reply::empty())
}

/// roomId, userId: the member is removed (an owner hands the room over; the last member's
/// room is dismissed).
pub async fn delete_member(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    let cid = c.params.req_str("roomId")?;
    let uid = UserId::parse("userId", &c.params.req_str("userId")?)?;
    svc::delete_member(c.ctx, &op, &c.route, &cid, uid).await?;
    Ok(Reply::empty())
}

/// room_jid_id (or roomId), pageIndex (0), pageSize (50, ≤ 50) → the room's messages newest
/// first (`/tigase/shiku_muc_msgs` records; recalled ones marked `isRecall = 1`, no body).
pub async fn room_msg_detail(c: &Call<'_>) -> AppResult<Reply> {
    operator(c).await?;
    let cid = match c.params.str("room_jid_id")? {
        Some(id) => id,
        None => c.params.req_str("roomId").map_err(|_| AppError::missing("room_jid_id"))?,
    };
    let (index, offset, size) = paging(c, 50)?;
    let (msgs, more) = svc::messages(c.ctx, &cid, offset, size).await?;
    Ok(listing(index, size, more, msgs.iter().map(|m| record(m, None)).collect()))
}

/// The `room` parameter: a JSON object, or its text.
fn room_param(c: &Call<'_>) -> AppResult<serde_json::Map<String, Value>> {
    let v = match c.params.raw("room") {
        None | Some(Value::Null) => return Err(AppError::missing("room")),
        Some(Value::String(s)) => {
            serde_json::from_str(s.trim()).map_err(|_| AppError::invalid("room", "malformed JSON object"))?
        }
        Some(v) => v.clone(),
    };
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(AppError::invalid("room", "must be a JSON object")),
    }
}

fn text(o: &serde_json::Map<String, Value>, name: &str, max: usize) -> AppResult<Option<String>> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.trim().chars().count() > max => {
            Err(AppError::invalid(name, format!("longer than {max} characters")))
        }
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(AppError::invalid(name, "must be a string")),
    }
}

/// GET: `{}` (the seed's page). POST room (`{name, desc, userId}`: userId = the owner, an
/// enabled ordinary user), ids (JSON list ≤ 100), header `Idempotency-Key` (optional: a
/// replay answers the room the first request made) → the room as `/room/add` answers it.
pub async fn add_room(c: &Call<'_>) -> AppResult<Reply> {
    let op = operator(c).await?;
    if c.method == http::Method::GET {
        return Ok(Reply::data(json!({})));
    }
    let o = room_param(c)?;
    let name = text(&o, "name", MAX_NAME)?.ok_or_else(|| AppError::missing("name"))?;
    let desc = text(&o, "desc", 1000)?;
    let owner = text(&o, "userId", 20)?.ok_or_else(|| AppError::missing("userId"))?;
    let owner = UserId::parse("userId", &owner)?;
    let members = user_ids(&c.params, "ids", MAX_IDS)?;
    let idem = crate::console::idem_key(c, &op)?;
    let new = svc::ConsoleRoom { name, desc, owner, members, idem };
    let (room, owner) = svc::add_room(c.ctx, &op, &c.route, new).await?;
    let now = c.ctx.now_ms();
    let uid = owner.uid;
    let profiles = HashMap::from([(uid, owner)]);
    Ok(Reply::data(room_json(&room, Some(&rooms::fresh_owner(uid, now)), &[], &profiles, &[])))
}
