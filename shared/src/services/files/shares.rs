//! Shiku room shares (`/room/add/share`, `/room/share/*`) and `/upload/copyFile`. A share is a
//! file record in the room (GSI2 `GFILES#<roomId>`), the same records Minxing lists as
//! `uploaded_files/in_group/{id}`. Every share route asks for membership (unknown room and
//! not a member: the same not-found).

use super::{copy_object, fresh, may_upload, our_file_id};
use crate::domain::files::{FileRecord, Vis, MAX_COPY_PATHS, MAX_URL, MAX_VALID_DAYS};
use crate::domain::rooms::{Room, RoomMember};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::files::{self, Listing, Loaded};
use crate::Ctx;

/// `/room/add/share` input (checked by the handler: lengths, ranges).
pub struct NewShare {
    pub room: String,
    pub share_type: i64,
    pub size: i64,
    pub user_id: UserId,
    pub url: String,
    pub name: String,
}

fn room_not_found(room: &str) -> AppError {
    AppError::not_found(format!("room {room}"))
}

fn share_not_found(id: &str) -> AppError {
    AppError::not_found(format!("share {id}"))
}

/// The room and my membership from a load (not a member or unknown: not-found).
fn membership(l: &Loaded, room: &str) -> AppResult<(Room, RoomMember)> {
    match l.rooms.get(room).cloned() {
        Some(files::RoomSeen { room: Some(r), member: Some(m) }) => Ok((r, m)),
        _ => Err(room_not_found(room)),
    }
}

fn must_be_me(me: UserId, user_id: UserId) -> AppResult<()> {
    if user_id != me {
        return Err(AppError::forbidden("userId must be your own id"));
    }
    Ok(())
}

/// Add a share: `url` one of our stable URLs (the file is copied into the room: name, size and
/// type of the bytes come from the source record) or an external http(s) link (stored, never
/// fetched). One BatchGetItem (room, membership, nickname, source) + CopyObject + PutItem.
pub async fn add_share(ctx: &Ctx, me: UserId, base: &str, s: NewShare) -> AppResult<FileRecord> {
    must_be_me(me, s.user_id)?;
    let ours = our_file_id(base, &s.url);
    let srcs: Vec<String> = ours.iter().cloned().collect();
    let l = files::load(&ctx.db, me, std::slice::from_ref(&s.room), &srcs, &[], true, ctx.now_secs()).await?;
    let (room, mine) = membership(&l, &s.room)?;
    may_upload(&room, &mine)?;
    let mut rec = fresh(ctx, me, &s.name, "", s.size);
    rec.room = Some(s.room.clone());
    rec.vis = Vis::Group;
    rec.share_type = s.share_type;
    rec.nickname = l.nickname.clone().unwrap_or_default();
    match ours {
        Some(fid) => {
            let src = l.files.get(&fid).ok_or_else(|| AppError::not_found(format!("file {fid}")))?;
            if src.has_object() {
                rec.size = src.size;
                rec.content_type = src.content_type.clone();
                copy_object(ctx, &src.s3_key, &rec.s3_key).await?;
            } else {
                rec.s3_key = String::new();
                rec.url = src.url.clone();
            }
        }
        None => {
            if !is_external(&s.url) {
                return Err(AppError::invalid("url", "must be a file URL of ours or an http(s) URL"));
            }
            rec.s3_key = String::new();
            rec.url = Some(s.url.clone());
        }
    }
    files::put(&ctx.db, &rec).await?;
    Ok(rec)
}

/// An external link we store: http(s), ≤ 1024 bytes, no spaces or control characters.
pub fn is_external(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    url.len() <= MAX_URL
        && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A room's shares, newest first: `before_s` (Shiku `time`, seconds), one uploader, page
/// `index` of `size`. One BatchGetItem (membership) + one Query (more when filtered).
pub async fn find_shares(
    ctx: &Ctx,
    me: UserId,
    room: &str,
    before_s: Option<i64>,
    uploader: Option<UserId>,
    index: usize,
    size: usize,
) -> AppResult<Vec<FileRecord>> {
    let l = files::load(&ctx.db, me, &[room.to_string()], &[], &[], false, ctx.now_secs()).await?;
    membership(&l, room)?;
    let before_ms = before_s.map(|s| s.saturating_mul(1000));
    let listing = Listing::Room { room, before_ms, uploader };
    Ok(files::page(&ctx.db, listing, None, index * size, size, ctx.now_secs()).await?.items)
}

/// One share of a room (another room's file, or none: not-found). One BatchGetItem.
pub async fn get_share(ctx: &Ctx, me: UserId, room: &str, id: &str) -> AppResult<FileRecord> {
    Ok(get_share_loaded(ctx, me, room, id).await?.0)
}

/// Delete a share: its uploader, or the room's owner/admins; the record, then its object.
/// One BatchGetItem + DeleteItem + DeleteObject.
pub async fn delete_share(ctx: &Ctx, me: UserId, room: &str, id: &str, user_id: UserId) -> AppResult<()> {
    must_be_me(me, user_id)?;
    let (share, mine) = get_share_loaded(ctx, me, room, id).await?;
    if share.owner != me && !mine.is_admin() {
        return Err(AppError::forbidden("only the uploader or the room owner/admins may delete a share"));
    }
    super::delete(ctx, id).await
}

async fn get_share_loaded(ctx: &Ctx, me: UserId, room: &str, id: &str) -> AppResult<(FileRecord, RoomMember)> {
    let l = files::load(&ctx.db, me, &[room.to_string()], &[id.to_string()], &[], false, ctx.now_secs()).await?;
    let (_, mine) = membership(&l, room)?;
    let f = l.files.get(id).filter(|f| f.room.as_deref() == Some(room)).cloned().ok_or_else(|| share_not_found(id))?;
    Ok((f, mine))
}

/// copyFile: copies of our files (stable URLs or ids; ≤ 10, each a CopyObject) owned by me,
/// private, gone after `valid_days` (-1: kept). External URLs are refused: we never fetch a
/// client's URL. One BatchGetItem (sources, nickname) + one BatchWriteItem (the copies).
pub async fn copy(ctx: &Ctx, me: UserId, base: &str, paths: &[String], valid_days: i64) -> AppResult<Vec<FileRecord>> {
    if paths.is_empty() {
        return Err(AppError::missing("paths"));
    }
    if paths.len() > MAX_COPY_PATHS {
        return Err(AppError::invalid("paths", format!("at most {MAX_COPY_PATHS}")));
    }
    if valid_days != -1 && !(1..=MAX_VALID_DAYS).contains(&valid_days) {
        return Err(AppError::invalid("validTime", format!("-1 or 1 to {MAX_VALID_DAYS} days")));
    }
    let mut ids = vec![];
    for p in paths {
        let id = match our_file_id(base, p) {
            Some(id) => id,
            None if crate::domain::files::valid_id(p) => p.clone(),
            None => return Err(AppError::invalid("paths", "each must be a file URL or id of ours")),
        };
        ids.push(id);
    }
    let l = files::load(&ctx.db, me, &[], &ids, &[], true, ctx.now_secs()).await?;
    let ttl = (valid_days > 0).then(|| ctx.now_secs() + valid_days * 86_400);
    let mut out = vec![];
    for id in &ids {
        let src = l.files.get(id).ok_or_else(|| AppError::not_found(format!("file {id}")))?;
        let mut rec = fresh(ctx, me, &src.name, &src.content_type, src.size);
        rec.ttl = ttl;
        rec.nickname = l.nickname.clone().unwrap_or_default();
        rec.share_type = src.share_type;
        if !src.has_object() {
            rec.s3_key = String::new();
            rec.url = src.url.clone();
        }
        out.push((src.s3_key.clone(), rec));
    }
    // The copies in parallel (≤ 10 CopyObject).
    let copies = out.iter().filter(|(_, r)| r.has_object()).map(|(from, r)| copy_object(ctx, from, &r.s3_key));
    futures_util::future::try_join_all(copies).await?;
    let recs: Vec<FileRecord> = out.into_iter().map(|(_, r)| r).collect();
    files::put_many(&ctx.db, &recs).await?;
    Ok(recs)
}
