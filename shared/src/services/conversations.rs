//! Conversations as Minxing's `/api/v1/conversations…` sees them: 1:1 chats opened on
//! demand, the caller's recent conversations, and group conversations managed by their
//! members (leave, dismiss, remove, rename) — the same groups as rooms (services::rooms).

use crate::domain::chat::{Conversation, Kind, Member};
use crate::domain::rooms::GroupEvent;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::{conversations as convs, groups, invites, users, Db};

/// The 1:1 conversation of `me` and `other` (an existing user), made on first use (then
/// `true`).
pub async fn open_single(db: &Db, now: i64, me: UserId, other: UserId) -> AppResult<(Conversation, bool)> {
    let u = users::require(db, other).await?;
    let ocu = crate::services::ocus::is_public_account(&u).then_some(other);
    convs::ensure_single_ocu(db, now, me, other, ocu).await
}

/// A conversation `me` is in, with `me`'s membership (not found otherwise).
pub async fn as_member(db: &Db, cid: &str, me: UserId) -> AppResult<(Conversation, Member)> {
    let member = convs::require_member(db, cid, me).await?;
    let conv = convs::get(db, cid).await?.ok_or_else(|| AppError::not_found(format!("conversation {cid}")))?;
    Ok((conv, member))
}

/// A group conversation `me` is in (1:1 chats have no member management).
pub async fn group_as_member(db: &Db, cid: &str, me: UserId) -> AppResult<(Conversation, Member)> {
    let (conv, member) = as_member(db, cid, me).await?;
    if conv.kind != Kind::Group {
        return Err(AppError::invalid("conversation_id", "not a group conversation"));
    }
    Ok((conv, member))
}

/// `me`'s conversations, most recently active first; a 1:1 chat deleted for `me` comes back
/// with its next message.
pub async fn recent(db: &Db, me: UserId) -> AppResult<Vec<(Conversation, Member)>> {
    let mut list = convs::of_user(db, me).await?;
    list.retain(|(conv, m)| m.cleared_seq == 0 || conv.last_seq > m.cleared_seq);
    list.sort_by_key(|(conv, _)| std::cmp::Reverse(conv.last_ts.max(conv.created_at)));
    Ok(list)
}

/// Delete a conversation for `me` (`member`: `me`'s membership of `conv`): a 1:1 chat is
/// hidden until its next message; a group is dismissed by its owner (`dismissed`), else left
/// (`left`).
pub async fn delete_for(
    db: &Db,
    now: i64,
    me: UserId,
    (conv, member): (&Conversation, &Member),
    dismissed: GroupEvent,
    left: &GroupEvent,
) -> AppResult<()> {
    if conv.kind == Kind::Single {
        convs::clear_for(db, &conv.id, me, conv.last_seq).await
    } else if member.role == "owner" {
        invites::dismiss(db, now, &conv.id, dismissed).await.map(|_| ())
    } else {
        invites::remove_member(db, now, &conv.id, me, left).await.map(|_| ())
    }
}

/// Leave a group (`member`: `me`'s membership); its owner must dismiss it instead.
pub async fn leave(db: &Db, now: i64, me: UserId, cid: &str, member: &Member, event: &GroupEvent) -> AppResult<()> {
    if member.role == "owner" {
        return Err(AppError::forbidden("the owner cannot leave; dismiss the conversation instead"));
    }
    invites::remove_member(db, now, cid, me, event).await.map(|_| ())
}

/// Remove `target` from a group (`member`: the caller's membership): owner or admins remove
/// plain members, the owner removes admins too, nobody removes the owner. `event(target)`.
pub async fn remove(
    db: &Db,
    now: i64,
    cid: &str,
    member: &Member,
    target: UserId,
    event: &GroupEvent,
) -> AppResult<()> {
    if !member.is_admin() {
        return Err(AppError::forbidden("only the owner or an admin may remove members"));
    }
    let theirs =
        convs::member(db, cid, target).await?.ok_or_else(|| AppError::not_found(format!("member {target}")))?;
    if theirs.role == "owner" || (theirs.role == "admin" && member.role != "owner") {
        return Err(AppError::forbidden("cannot remove the owner, or an admin unless you are the owner"));
    }
    invites::remove_member(db, now, cid, target, event).await.map(|_| ())
}

/// Rename a group (owner or admins), with its event.
pub async fn rename(db: &Db, now: i64, cid: &str, member: &Member, name: &str, event: &GroupEvent) -> AppResult<()> {
    if !member.is_admin() {
        return Err(AppError::forbidden("only the owner or an admin may rename the conversation"));
    }
    groups::set_name(db, now, cid, name, event).await
}
