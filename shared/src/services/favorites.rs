//! Favourites (Shiku emoji and collections): only ever the owner's own, in the owner's
//! partition; nobody reaches another user's favourites by id.

use crate::domain::favorites::{new_id, Favorite, EMOJI, TYPES};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::favorites;
use crate::Ctx;

/// A favourite to add, as parsed (bounded texts); checked by [`add`].
#[derive(Debug, Clone, Default)]
pub struct NewFavorite {
    /// 1-6 (6 = emoji, the default).
    pub kind: Option<i64>,
    pub url: Option<String>,
    pub msg: Option<String>,
    pub msg_id: Option<String>,
    pub room_jid: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
}

/// Add a favourite: a known type, a `url` (without whitespace) or a `msg`, no negative size.
pub async fn add(ctx: &Ctx, me: UserId, f: NewFavorite) -> AppResult<Favorite> {
    let kind = f.kind.unwrap_or(EMOJI);
    if !TYPES.contains(&kind) {
        return Err(AppError::invalid("type", "1 image, 2 video, 3 file, 4 voice, 5 text, 6 emoji"));
    }
    if f.url.is_none() && f.msg.is_none() {
        return Err(AppError::missing("url"));
    }
    if f.url.as_ref().is_some_and(|u| u.chars().any(char::is_whitespace)) {
        return Err(AppError::invalid("url", "contains whitespace"));
    }
    if f.file_size.is_some_and(|s| s < 0) {
        return Err(AppError::invalid("fileSize", "negative"));
    }
    let now = ctx.now_ms();
    let fav = Favorite {
        id: new_id(now, kind),
        owner: me,
        kind,
        url: f.url,
        msg: f.msg,
        msg_id: f.msg_id,
        room_jid: f.room_jid,
        file_name: f.file_name,
        file_size: f.file_size,
        created_at: now,
    };
    favorites::add(&ctx.db, &fav).await?;
    Ok(fav)
}

/// A page of `owner`'s favourites of one type (`None`: all), newest first. Only my own:
/// Forbidden for anyone else's list.
pub async fn list(
    ctx: &Ctx,
    me: UserId,
    owner: UserId,
    kind: Option<i64>,
    skip: usize,
    size: usize,
) -> AppResult<Vec<Favorite>> {
    if owner != me {
        return Err(AppError::forbidden("favourites are private"));
    }
    if kind.is_some_and(|t| !TYPES.contains(&t)) {
        return Err(AppError::invalid("type", "1-6"));
    }
    favorites::list(&ctx.db, me, kind, skip, size).await
}

/// Delete some of my favourites (1-100 ids): all or none; NotFound for ids not mine.
pub async fn delete(ctx: &Ctx, me: UserId, ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::missing("emojiId"));
    }
    if ids.len() > 100 {
        return Err(AppError::invalid("emojiId", "at most 100 ids"));
    }
    favorites::delete_many(&ctx.db, me, ids).await
}
