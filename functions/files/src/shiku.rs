//! Shiku `/room/add/share`, `/room/share/{find,get,delete}`, `/upload/copyFile` (seed 001).
//! A share is a file record of the room (shared::services::files).

use super::base;
use serde_json::Value;
use shared::dialects::shiku::files::{copies_json, share_json};
use shared::domain::files::{MAX_NAME, MAX_URL};
use shared::http::Call;
use shared::ids::UserId;
use shared::services::files::{self, NewShare};
use shared::{AppError, AppResult, Reply};

/// Largest `pageSize`, and `pageIndex × pageSize`.
const MAX_PAGE_SIZE: i64 = 100;
const MAX_READ: i64 = 5000;

/// `roomId`: a room id (anything else: the room's not-found, as for non-members).
fn room_id(c: &Call<'_>) -> AppResult<String> {
    let r = c.params.req_str("roomId")?;
    if !shared::domain::chat::valid_id(&r) || !shared::domain::chat::is_group(&r) {
        return Err(AppError::not_found(format!("room {r}")));
    }
    Ok(r)
}

fn share_id(c: &Call<'_>) -> AppResult<String> {
    let id = c.params.req_str("shareId")?;
    if !shared::domain::files::valid_id(&id) {
        return Err(AppError::not_found(format!("share {id}")));
    }
    Ok(id)
}

fn user_id(c: &Call<'_>, name: &str) -> AppResult<UserId> {
    let v = c.params.req_i64(name)?;
    if v <= 0 {
        return Err(AppError::invalid(name, "must be a user id"));
    }
    Ok(UserId(v))
}

/// `/room/add/share`: roomId, type (1–99), size (≥ 0), userId (mine), url (ours: copied into
/// the room; or an external http(s) link ≤ 1024, stored, never fetched), name (≤ 200).
pub async fn add_share(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = room_id(c)?;
    let share_type = c.params.req_i64("type")?;
    if !(1..=99).contains(&share_type) {
        return Err(AppError::invalid("type", "must be between 1 and 99"));
    }
    let size = c.params.req_i64("size")?;
    if size < 0 {
        return Err(AppError::invalid("size", "must not be negative"));
    }
    let uid = user_id(c, "userId")?;
    let url = c.params.req_str("url")?;
    if url.len() > MAX_URL {
        return Err(AppError::invalid("url", format!("longer than {MAX_URL} bytes")));
    }
    let name = c.params.str_max("name", MAX_NAME)?.ok_or_else(|| AppError::missing("name"))?;
    let base = base(c);
    let s = NewShare { room, share_type, size, user_id: uid, url, name };
    let rec = files::add_share(c.ctx, me, &base, s).await?;
    Ok(Reply::data(share_json(&base, &rec)))
}

/// `/room/share/find`: roomId, `time` (shares before it, epoch s), `userId` (uploader),
/// `pageIndex` (0…), `pageSize` (1–100, 20); newest first.
pub async fn find(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = room_id(c)?;
    let before = match c.params.i64("time")? {
        None | Some(0) => None,
        Some(t) if t > 0 => Some(t),
        Some(_) => return Err(AppError::invalid("time", "must be epoch seconds")),
    };
    let uploader = match c.params.i64("userId")? {
        None | Some(0) => None,
        Some(u) if u > 0 => Some(UserId(u)),
        Some(_) => return Err(AppError::invalid("userId", "must be a user id")),
    };
    let size = c.params.i64_in("pageSize", 1, MAX_PAGE_SIZE, 20)?;
    let index = c.params.i64_in("pageIndex", 0, MAX_READ, 0)?;
    if (index + 1) * size > MAX_READ {
        return Err(AppError::invalid("pageIndex", format!("pageIndex × pageSize must stay within {MAX_READ}")));
    }
    let list = files::find_shares(c.ctx, me, &room, before, uploader, index as usize, size as usize).await?;
    let base = base(c);
    Ok(Reply::data(Value::Array(list.iter().map(|f| share_json(&base, f)).collect())))
}

/// `/room/share/get`: roomId, shareId (a share of that room).
pub async fn get(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = room_id(c)?;
    let id = share_id(c)?;
    let rec = files::get_share(c.ctx, me, &room, &id).await?;
    Ok(Reply::data(share_json(&base(c), &rec)))
}

/// `/room/share/delete`: roomId, shareId, userId (mine); the uploader or the room's
/// owner/admins. The record, then its object.
pub async fn delete(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let room = room_id(c)?;
    let id = share_id(c)?;
    let uid = user_id(c, "userId")?;
    files::delete_share(c.ctx, me, &room, &id, uid).await?;
    Ok(Reply::empty())
}

/// `/upload/copyFile`: `paths` (our file URLs or ids, comma list or JSON array, ≤ 10),
/// `validTime` (-1 kept, else 1–3650 days) → `{url, urls}`: copies owned by the caller.
pub async fn copy_file(c: &Call<'_>) -> AppResult<Reply> {
    let me = c.session().await?.uid;
    let paths = c.params.list("paths")?;
    let valid = c.params.req_i64("validTime")?;
    let base = base(c);
    let copies = files::copy(c.ctx, me, &base, &paths, valid).await?;
    Ok(Reply::data(copies_json(&base, &copies)))
}

/// `GET /avatar/{o|t}/{uid % 10000}/{uid}.jpg` (no session, as the original's file server):
/// 302 to the user's avatar (presigned for an hour when uploaded here); 404 with the Shiku
/// error envelope when the path is not that shape, the account is unknown or
/// has no avatar (clients then show their default). The thumbnail (`t`) is the same picture:
/// no resized copy is kept.
pub async fn avatar(c: &Call<'_>) -> AppResult<Reply> {
    let not_found = || Ok(super::raw_not_found("avatar", false, c.ctx.now_ms()));
    let (size, dir, file) = (c.path_param("size")?, c.path_param("dir")?, c.path_param("file")?);
    let uid = file.strip_suffix(".jpg").and_then(|u| u.parse::<i64>().ok()).filter(|u| *u > 0);
    let Some(uid) = uid.filter(|u| matches!(size.as_str(), "o" | "t") && dir == (u % 10_000).to_string()) else {
        return not_found();
    };
    match shared::services::profiles::avatars::of_user(c.ctx, UserId(uid)).await? {
        Some(url) => Ok(Reply::raw(302, None).header("location", url).header("cache-control", "no-store")),
        None => not_found(),
    }
}
