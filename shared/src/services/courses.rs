//! Shiku courses (`/course/add`): a named recording of messages of one room, kept per user.

use crate::domain::chat::MAX_COURSE_MESSAGES;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::{conversations as convs, courses, messages};
use crate::Ctx;

/// Record a course of `ids` (≤ [`MAX_COURSE_MESSAGES`]): the caller must be a member of
/// `room` and every message must belong to it. Returns the course id. Calls: one membership
/// read, one GetItem per message, one PutItem.
pub async fn add(ctx: &Ctx, me: UserId, name: &str, room: &str, ids: &[String], create_time: i64) -> AppResult<String> {
    if ids.len() > MAX_COURSE_MESSAGES {
        return Err(AppError::invalid("messageIds", format!("at most {MAX_COURSE_MESSAGES}")));
    }
    convs::require_member(&ctx.db, room, me).await?;
    for mid in ids {
        let m = messages::by_id(&ctx.db, mid).await?.filter(|m| m.conversation_id == room);
        m.ok_or_else(|| AppError::not_found(format!("message {mid} in room {room}")))?;
    }
    courses::add(&ctx.db, me, name, room, ids, create_time).await
}
