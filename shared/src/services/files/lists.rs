//! Minxing file lists (`{items, next_cursor}`, newest first) and follows. Lists read one Query
//! per page plus one BatchGetItem for what the page needs checked (rooms, my follows): never
//! a read per item.

use super::{sees_room, visible};
use crate::domain::files::FileRecord;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::files::{self, FollowOutcome, Listing};
use crate::Ctx;

/// A page of files as `me` sees them, each with whether I follow it.
#[derive(Debug, Default)]
pub struct Listed {
    pub items: Vec<(FileRecord, bool)>,
    pub next: Option<String>,
}

fn file_not_found(id: &str) -> AppError {
    AppError::not_found(format!("file {id}"))
}

fn rooms_of(items: &[FileRecord], me: UserId) -> Vec<String> {
    let mut r: Vec<String> = items.iter().filter(|f| f.owner != me).filter_map(|f| f.room.clone()).collect();
    r.sort();
    r.dedup();
    r
}

/// Files uploaded by `uid` that `me` sees (mine: all of them). One Query + one BatchGetItem.
pub async fn uploaded_by(ctx: &Ctx, me: UserId, uid: UserId, cursor: Option<&str>, limit: usize) -> AppResult<Listed> {
    let now = ctx.now_secs();
    let page = files::page(&ctx.db, Listing::Owner(uid), cursor, 0, limit, now).await?;
    let ids: Vec<String> = page.items.iter().map(|f| f.id.clone()).collect();
    let l = files::load(&ctx.db, me, &rooms_of(&page.items, me), &[], &ids, false, now).await?;
    let items = page
        .items
        .into_iter()
        .filter(|f| visible(f, me, &l))
        .map(|f| {
            let followed = l.followed.contains(&f.id);
            (f, followed)
        })
        .collect();
    Ok(Listed { items, next: page.next })
}

/// Files of a group `me` sees (member, or public; else not-found). BatchGetItem (room) +
/// Query + BatchGetItem (my follows of the page).
pub async fn in_group(ctx: &Ctx, me: UserId, gid: &str, cursor: Option<&str>, limit: usize) -> AppResult<Listed> {
    let now = ctx.now_secs();
    let l = files::load(&ctx.db, me, &[gid.to_string()], &[], &[], false, now).await?;
    if !l.rooms.get(gid).is_some_and(sees_room) {
        return Err(AppError::not_found(format!("group {gid}")));
    }
    let listing = Listing::Room { room: gid, before_ms: None, uploader: None };
    let page = files::page(&ctx.db, listing, cursor, 0, limit, now).await?;
    let ids: Vec<String> = page.items.iter().map(|f| f.id.clone()).collect();
    let f = files::load(&ctx.db, me, &[], &[], &ids, false, now).await?;
    let items = page
        .items
        .into_iter()
        .map(|x| {
            let followed = f.followed.contains(&x.id);
            (x, followed)
        })
        .collect();
    Ok(Listed { items, next: page.next })
}

/// Files I follow that I still see (gone or no longer visible: skipped). Query + BatchGetItem
/// (records) + BatchGetItem (their rooms, when any is another's room file).
pub async fn followed_by_me(ctx: &Ctx, me: UserId, cursor: Option<&str>, limit: usize) -> AppResult<Listed> {
    let now = ctx.now_secs();
    let (ids, next) = files::follows_page(&ctx.db, me, cursor, limit).await?;
    let found = files::many(&ctx.db, &ids, now).await?;
    let recs: Vec<FileRecord> = ids.iter().filter_map(|i| found.get(i).cloned()).collect();
    let l = files::load(&ctx.db, me, &rooms_of(&recs, me), &[], &[], false, now).await?;
    let items = recs.into_iter().filter(|f| visible(f, me, &l)).map(|f| (f, true)).collect();
    Ok(Listed { items, next })
}

/// Follow a file I see (unknown or invisible: not-found); true when new. GetItem + PutItem
/// (a room file of a room I am in: GetItem + one TransactWriteItems checking membership).
pub async fn follow(ctx: &Ctx, me: UserId, fid: &str) -> AppResult<bool> {
    let f = super::get(ctx, fid).await?.ok_or_else(|| file_not_found(fid))?;
    let now = ctx.now_ms();
    if f.owner == me || f.vis == crate::domain::files::Vis::Network {
        return files::follow(&ctx.db, me, fid, now).await;
    }
    let Some(room) = f.room.clone() else { return Err(file_not_found(fid)) };
    match files::follow_in_room(&ctx.db, me, fid, &room, now).await? {
        FollowOutcome::New => Ok(true),
        FollowOutcome::Existing => Ok(false),
        FollowOutcome::NotMember => {
            // A public room's file: outsiders may follow it too.
            let l = files::load(&ctx.db, me, std::slice::from_ref(&room), &[], &[], false, ctx.now_secs()).await?;
            if !l.rooms.get(&room).is_some_and(sees_room) {
                return Err(file_not_found(fid));
            }
            files::follow(&ctx.db, me, fid, now).await
        }
    }
}

/// Stop following (idempotent); a file I never followed that I cannot see: not-found.
/// DeleteItem (+ GetItem and BatchGetItem when there was no follow).
pub async fn unfollow(ctx: &Ctx, me: UserId, fid: &str) -> AppResult<()> {
    if !crate::domain::files::valid_id(fid) {
        return Err(file_not_found(fid));
    }
    if files::unfollow(&ctx.db, me, fid).await? {
        return Ok(());
    }
    let f = super::get(ctx, fid).await?.ok_or_else(|| file_not_found(fid))?;
    let rooms: Vec<String> = f.room.iter().cloned().collect();
    let l = files::load(&ctx.db, me, &rooms, &[], &[], false, ctx.now_secs()).await?;
    if !visible(&f, me, &l) {
        return Err(file_not_found(fid));
    }
    Ok(())
}
