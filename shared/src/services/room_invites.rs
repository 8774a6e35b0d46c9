//! Who joins a room, the one path of every dialect: invitations (Shiku `/room/member/update`,
//! SealTalk `group/add`, Minxing groups and `conversations/{id}/users`) and the initial
//! members of a creation. The rules: a plain member invites only when the room has
//! `allowInviteFriend = 1` and `isNeedVerify = 0`; a user who blacklisted the inviter is
//! skipped (never added, no error: the others still are), on creation as on invitations;
//! users at the group cap (store/group_counts.rs) are skipped when invited and refused when
//! creating; unknown users refuse an invitation; rooms hold at most `maxUserSize` members.
//! The store only writes what is decided here (store/invites.rs, store/room_writes.rs).

use crate::domain::chat::Conversation;
use crate::domain::rooms::{Field, GroupEvent, NewRoom, Room, RoomMember, MAX_USERS, MEMBER};
use crate::error::refused::ROOM_FULL;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::group_counts::{max_groups, too_many_groups};
use crate::store::{groups, invites, room_writes, rooms, Db};
use serde_json::json;

/// May `me` invite to `room`: owner/admins always; plain members when the room lets them
/// (`allowInviteFriend = 1` and `isNeedVerify = 0`; private rooms take members from their
/// admins or by approved request).
pub fn may_invite(room: &Room, me: &RoomMember) -> AppResult<()> {
    if !me.is_admin() && (room.flag("allowInviteFriend") == 0 || room.flag("isNeedVerify") == 1) {
        return Err(AppError::forbidden("only the room's owner or admins may invite to this room"));
    }
    Ok(())
}

/// Who of `uids` `inviter` may add: users who blacklisted the inviter, members already in and
/// users at the group cap are skipped (no error: the others still are added).
struct Screen {
    unknown: Vec<UserId>,
    admitted: Vec<UserId>,
    /// The inviter's own group count.
    inviter_count: i64,
}

async fn screen(db: &Db, cid: Option<&str>, inviter: UserId, uids: &[UserId], profiles: bool) -> AppResult<Screen> {
    let facts = invites::invite_facts(db, cid, inviter, uids, profiles).await?;
    let cap = max_groups();
    let count = |u: &UserId| facts.counts.get(u).copied().unwrap_or(0);
    let unknown = uids.iter().copied().filter(|u| profiles && !facts.known.contains(u)).collect();
    let admitted = uids
        .iter()
        .copied()
        .filter(|u| !facts.members.contains(u) && !facts.blocking.contains(u) && count(u) < cap)
        .collect();
    Ok(Screen { unknown, admitted, inviter_count: count(&inviter) })
}

fn sorted(uids: &[UserId], without: UserId) -> Vec<UserId> {
    let mut v: Vec<UserId> = uids.iter().copied().filter(|u| *u != without).collect();
    v.sort();
    v.dedup();
    v
}

/// The initial members of a new group that `owner` may add (blacklists, caps); an owner at
/// the cap is refused. One consistent BatchGetItem (per 50 members).
async fn screen_new_room(db: &Db, owner: UserId, members: &[UserId]) -> AppResult<Vec<UserId>> {
    let screened = screen(db, None, owner, &sorted(members, owner), false).await?;
    if screened.inviter_count >= max_groups() {
        return Err(too_many_groups(owner));
    }
    Ok(screened.admitted)
}

/// Create a plain group conversation (Minxing `conversations`): members who blacklisted the
/// owner or are in too many groups are left out; an owner in too many groups is refused.
pub async fn create_group(db: &Db, now: i64, owner: UserId, name: &str, members: &[UserId]) -> AppResult<Conversation> {
    let members = screen_new_room(db, owner, members).await?;
    groups::create_group(db, now, owner, name, &members).await
}

/// Create a room (every dialect): at most `maxUserSize` (≤ [`MAX_USERS`]) members, screened as
/// [`create_group`]'s; `event`'s `userIds`, when it has them, name the members actually added.
pub async fn create_room(db: &Db, now: i64, new: NewRoom, event: &GroupEvent) -> AppResult<Room> {
    let others = sorted(&new.members, new.owner);
    let max = new.settings.get("maxUserSize").and_then(Field::int).unwrap_or(MAX_USERS).clamp(1, MAX_USERS);
    if others.len() as i64 + 1 > max {
        return Err(AppError::Refused { code: ROOM_FULL, message: format!("a room holds at most {max} members") });
    }
    let others = screen_new_room(db, new.owner, &others).await?;
    let mut event = event.clone();
    if event.extra.get("userIds").is_some() {
        event.extra["userIds"] = others.iter().map(|u| u.0).collect();
    }
    room_writes::create(db, now, &new, (&others, max), &event).await
}

/// Invite users: the one invite path of every dialect: the inviter must be a member allowed
/// to invite ([`may_invite`]); an unknown user refuses the whole call (not found); members
/// already in, users who blacklisted the inviter and users at the group cap are skipped; the
/// room's capacity (`maxUserSize`) holds for the rest. `event` names the users of each
/// transaction. Returns the users added.
/// Calls: one BatchGetItem (room + my membership), ⌈4n/100⌉ BatchGetItem, one presence read,
/// ⌈n/49⌉ TransactWriteItems, one UpdateItem per added member online.
pub async fn invite_with(
    db: &Db,
    now: i64,
    cid: &str,
    inviter: UserId,
    uids: &[UserId],
    event: &(dyn Fn(&[UserId]) -> GroupEvent + Sync),
) -> AppResult<Vec<UserId>> {
    let (room, mine) = rooms::as_member(db, cid, inviter).await?;
    may_invite(&room, &mine)?;
    add_screened(db, now, &room, inviter, uids, event).await
}

/// The invite path once the inviter is allowed ([`invite_with`]; an operator adds to any room
/// as its owner's invitation, console `roomUserManager`): the same screening, capacity and
/// events. Returns the users added.
pub async fn add_screened(
    db: &Db,
    now: i64,
    room: &Room,
    inviter: UserId,
    uids: &[UserId],
    event: &(dyn Fn(&[UserId]) -> GroupEvent + Sync),
) -> AppResult<Vec<UserId>> {
    let cid = room.id.as_str();
    let uids = sorted(uids, inviter);
    if uids.is_empty() {
        return Ok(uids);
    }
    let screened = screen(db, Some(cid), inviter, &uids, true).await?;
    if let Some(u) = screened.unknown.first() {
        return Err(AppError::not_found(format!("user {u}")));
    }
    let limits = (room.max_users(), Some(room.member_count()));
    invites::add_members(db, now, cid, &screened.admitted, MEMBER, limits, invites::Announce::Each(event)).await?;
    Ok(screened.admitted)
}

/// [`invite_with`] announcing `joined` events (Shiku, SealTalk, Minxing groups).
pub async fn invite(db: &Db, now: i64, me: UserId, cid: &str, uids: &[UserId]) -> AppResult<Vec<UserId>> {
    let event = |added: &[UserId]| {
        let ids: Vec<i64> = added.iter().map(|u| u.0).collect();
        GroupEvent::new("joined", me, json!({"userIds": ids, "inviter": me.0}))
    };
    invite_with(db, now, cid, me, uids, &event).await
}
