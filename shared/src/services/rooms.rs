//! Rooms: who may do what in a room, and the changes every dialect shares (invite, join,
//! leave, kick, dismiss, transfer, notices). Shiku `/room/*`, SealTalk `/group/*` and Minxing
//! groups call these; the store only writes what they decide (docs/dialects.md "Rooms").

use crate::domain::audit::AuditEntry;
use crate::domain::rooms::{Changes, DismissedRoom, Notice, Room, RoomMember, ADMIN, MAX_USERS};
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::rooms::{self, GroupEvent};
use crate::store::{invites, notices, room_writes, users, Db};
use serde_json::json;
use std::collections::HashMap;

pub use super::room_invites::{add_screened, create_group, create_room, invite, invite_with, may_invite};

pub fn require_admin(m: &RoomMember) -> AppResult<()> {
    if m.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("only the room owner or an admin may do this"))
    }
}

pub fn require_owner(m: &RoomMember) -> AppResult<()> {
    if m.is_owner() {
        Ok(())
    } else {
        Err(AppError::forbidden("only the room owner may do this"))
    }
}

/// May `me` remove `target` (kick): admins remove ordinary members, the owner removes admins
/// too, nobody removes the owner.
pub fn may_remove(me: &RoomMember, target: &RoomMember) -> AppResult<()> {
    require_admin(me)?;
    if target.is_owner() || (target.role == ADMIN && !me.is_owner()) {
        return Err(AppError::forbidden("the owner, and admins (except by the owner), cannot be removed"));
    }
    Ok(())
}

/// Members `me` may see in a member list: everyone, or with `showMember = 0` (unless `me` is
/// an owner/admin) only the owner, the admins and `me`. Every dialect's member list uses it.
pub fn visible(room: &Room, me: Option<&RoomMember>, members: &mut Vec<RoomMember>) {
    if room.flag("showMember") == 0 && !me.is_some_and(RoomMember::is_admin) {
        let uid = me.map(|m| m.uid);
        members.retain(|m| m.is_admin() || Some(m.uid) == uid);
    }
}

/// Join by id (Shiku `/room/join`, SealTalk `group/join`): already a member is a no-op;
/// `isNeedVerify = 1` rooms take invitations only.
pub async fn join(db: &Db, now: i64, me: UserId, cid: &str) -> AppResult<()> {
    let room = rooms::get(db, cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
    if room.flag("isNeedVerify") == 1 {
        if rooms::member(db, cid, me).await?.is_some() {
            return Ok(());
        }
        return Err(AppError::Refused {
            code: rooms::REFUSED_NEEDS_VERIFY,
            message: "this room takes members by invitation only".into(),
        });
    }
    invites::join(db, now, cid, me, room.max_users(), &GroupEvent::new("joined", me, json!({"userIds": [me.0]})))
        .await?;
    Ok(())
}

/// Leave a room. The owner hands it to the longest-standing admin, else the longest-standing
/// member (as SealTalk does); a room whose last member leaves is dismissed.
pub async fn leave(db: &Db, now: i64, me: UserId, cid: &str) -> AppResult<()> {
    depart(db, now, cid, me, None).await
}

/// An operator removes `uid` from a room (console `deleteMember`): the leave rule ([`leave`]:
/// an owner hands the room over, the last member's room is dismissed), announced as a
/// `kicked` event by the operator; `audit` joins the removal's (or dismissal's) transaction.
/// Not a member: not found.
pub async fn remove_by_operator(db: &Db, now: i64, cid: &str, uid: UserId, audit: &AuditEntry) -> AppResult<()> {
    depart(db, now, cid, uid, Some(audit)).await
}

/// `uid` leaves (`by` None) or is removed by an operator (`by`: the console's audit entry).
async fn depart(db: &Db, now: i64, cid: &str, uid: UserId, by: Option<&AuditEntry>) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, uid).await?;
    let actor = by.map(|a| a.operator).unwrap_or(uid);
    if mine.is_owner() {
        let (_, members) =
            rooms::with_members(db, cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
        let mut others: Vec<&RoomMember> = members.iter().filter(|m| m.uid != uid).collect();
        others.sort_by_key(|m| (m.role != ADMIN, m.joined_at, m.uid));
        let Some(next) = others.first() else {
            return dismiss_as(db, now, actor, cid, by).await;
        };
        let nick = users::get(db, next.uid).await?.map(|u| u.nickname).unwrap_or_default();
        let ev = GroupEvent::new("transferred", actor, json!({"from": uid.0, "to": next.uid.0}));
        if !room_writes::transfer(db, now, cid, (uid, next.uid), &nick, &ev).await? {
            return Err(AppError::Conflict("the room changed meanwhile, try again".into()));
        }
    }
    let ev = match by {
        None => GroupEvent::new("left", uid, json!({"userId": uid.0})),
        Some(a) => GroupEvent::new("kicked", a.operator, json!({"userIds": [uid.0], "userId": uid.0})).audited(Some(a)),
    };
    let removed = invites::remove_member(db, now, cid, uid, &ev.also_to(&[uid])).await?;
    if !removed && by.is_some() {
        return Err(AppError::not_found(format!("member {uid}")));
    }
    Ok(())
}

/// Remove members (Shiku `/room/member/delete`, SealTalk `group/kick`).
pub async fn kick(db: &Db, now: i64, me: UserId, cid: &str, targets: &[UserId]) -> AppResult<Vec<UserId>> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_admin(&mine)?;
    if targets.contains(&me) {
        return Err(AppError::invalid("userId", "cannot remove yourself; leave the room instead"));
    }
    let found = rooms::members_among(db, cid, targets).await?;
    if found.is_empty() {
        return Err(AppError::not_found("member"));
    }
    for t in &found {
        may_remove(&mine, t)?;
    }
    let removed: Vec<UserId> = found.iter().map(|t| t.uid).collect();
    let ids: Vec<i64> = removed.iter().map(|u| u.0).collect();
    let ev = GroupEvent::new("kicked", me, json!({"userIds": ids, "userId": ids[0]})).also_to(&removed);
    if !invites::remove_members(db, now, cid, &removed, &ev).await? {
        return Err(AppError::Conflict("the members changed meanwhile, try again".into()));
    }
    Ok(removed)
}

/// Dismiss (owner only): every membership and the room go; all former members get the event.
pub async fn dismiss(db: &Db, now: i64, me: UserId, cid: &str) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_owner(&mine)?;
    dismiss_as(db, now, me, cid, None).await
}

/// The dismissal itself, once allowed (the owner, [`dismiss`]; an operator with the console's
/// `audit` entry, written in the transaction that deletes the room). Unknown: not found.
pub async fn dismiss_as(db: &Db, now: i64, by: UserId, cid: &str, audit: Option<&AuditEntry>) -> AppResult<()> {
    invites::dismiss(db, now, cid, GroupEvent::new("dismissed", by, json!({})).audited(audit)).await?;
    Ok(())
}

/// Transfer ownership to another member (owner only).
pub async fn transfer(db: &Db, now: i64, me: UserId, cid: &str, to: UserId) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_owner(&mine)?;
    if to == me {
        return Err(AppError::invalid("toUserId", "you already own the room"));
    }
    let nick = users::get(db, to).await?.map(|u| u.nickname).unwrap_or_default();
    let ev = GroupEvent::new("transferred", me, json!({"from": me.0, "to": to.0}));
    if !room_writes::transfer(db, now, cid, (me, to), &nick, &ev).await? {
        return Err(AppError::not_found(format!("member {to}")));
    }
    Ok(())
}

/// Post a notice (owner/admins): Shiku `notice`, SealTalk bulletin.
pub async fn post_notice(db: &Db, now: i64, me: UserId, mine: &RoomMember, cid: &str, text: &str) -> AppResult<()> {
    require_admin(mine)?;
    let nick = users::get(db, me).await?.map(|u| u.nickname).unwrap_or_default();
    notices::add_notice(db, now, (cid, me, &nick), text, |n| {
        GroupEvent::new("notice", me, json!({"noticeId": n.id, "notice": n.text}))
    })
    .await?;
    Ok(())
}

/// The room and `me`'s membership: non-members and unknown rooms get the same not-found.
pub async fn as_member(db: &Db, cid: &str, me: UserId) -> AppResult<(Room, RoomMember)> {
    rooms::as_member(db, cid, me).await
}

/// The room with its members as `me` may see them ([`visible`]) and `me`'s membership;
/// None when the room is unknown or `me` is not in it. One Query.
pub async fn members_as_seen_by(
    db: &Db,
    cid: &str,
    me: UserId,
) -> AppResult<Option<(Room, RoomMember, Vec<RoomMember>)>> {
    let Some((room, mut members)) = rooms::with_members(db, cid).await? else { return Ok(None) };
    let Some(mine) = members.iter().find(|m| m.uid == me).cloned() else { return Ok(None) };
    visible(&room, Some(&mine), &mut members);
    Ok(Some((room, mine, members)))
}

/// Whether a live room `cid` exists (SealTalk tells an unknown group, 404, from a group the
/// caller is not in, 403). Only read after a membership check failed: one GetItem.
pub async fn exists(db: &Db, cid: &str) -> AppResult<bool> {
    Ok(rooms::get(db, cid).await?.is_some())
}

/// A dismissed group as its former members may still see it (None for anyone else: a group
/// never was visible to outsiders, so it stays unknown to them). One GetItem.
pub async fn dismissed_seen_by(db: &Db, cid: &str, me: UserId) -> AppResult<Option<DismissedRoom>> {
    Ok(rooms::dismissed(db, cid).await?.filter(|d| d.members.contains(&me)))
}

/// The groups of a user with their membership (GSI1 Query + ⌈n/100⌉ BatchGetItem).
pub async fn of_user(db: &Db, me: UserId) -> AppResult<Vec<(Room, RoomMember)>> {
    rooms::of_user(db, me).await
}

/// Change room settings (owner or admins) with their events, in one transaction.
pub async fn update_as_admin(
    db: &Db,
    now: i64,
    me: UserId,
    cid: &str,
    changes: Changes,
    events: &[GroupEvent],
) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_admin(&mine)?;
    room_writes::update(db, now, cid, me, changes, events).await
}

/// Change a member's settings the room sees (nickname, talkTime) with their events.
/// Ok(false): not a member.
pub async fn update_member(
    db: &Db,
    now: i64,
    cid: &str,
    uid: UserId,
    changes: Changes,
    events: &[GroupEvent],
) -> AppResult<bool> {
    room_writes::update_member(db, now, cid, uid, changes, events).await
}

/// The room and `me`'s membership when `me` is its owner or an admin (else forbidden;
/// non-members get not-found).
pub async fn as_admin(db: &Db, cid: &str, me: UserId) -> AppResult<(Room, RoomMember)> {
    let (room, mine) = rooms::as_member(db, cid, me).await?;
    require_admin(&mine)?;
    Ok((room, mine))
}

/// A new `maxUserSize` is never below the current member count.
pub fn check_capacity(room: &Room, changes: &Changes) -> AppResult<()> {
    if let Some((_, Some(v))) = changes.iter().find(|(k, _)| k == "maxUserSize") {
        if v.int().unwrap_or(MAX_USERS) < room.member_count() {
            return Err(AppError::invalid("maxUserSize", "below the current member count"));
        }
    }
    Ok(())
}

/// Write settings changes an admin made ([`as_admin`], [`check_capacity`]) with their events.
pub async fn update_settings(
    db: &Db,
    now: i64,
    me: UserId,
    cid: &str,
    changes: Changes,
    events: &[GroupEvent],
) -> AppResult<()> {
    room_writes::update(db, now, cid, me, changes, events).await
}

/// One member of a room (None: not a member, or no such room).
pub async fn member(db: &Db, cid: &str, uid: UserId) -> AppResult<Option<RoomMember>> {
    rooms::member(db, cid, uid).await
}

/// May `me` mute `target`: admins mute ordinary members, the owner mutes admins too, nobody
/// mutes the owner.
pub fn may_mute(me: &RoomMember, target: &RoomMember) -> AppResult<()> {
    require_admin(me)?;
    if target.is_owner() || (target.role == ADMIN && !me.is_owner()) {
        return Err(AppError::forbidden("the owner, and admins (except by the owner), cannot be muted"));
    }
    Ok(())
}

/// The room with its first `limit` members as `me` may see them, and `me`'s membership
/// (one Query, one GetItem more when `me` is past the first `limit`); not found for others.
pub async fn head_as_seen_by(
    db: &Db,
    cid: &str,
    me: UserId,
    limit: i32,
) -> AppResult<(Room, RoomMember, Vec<RoomMember>)> {
    let not_found = || AppError::not_found(format!("room {cid}"));
    let (room, mut members) = rooms::head(db, cid, limit).await?.ok_or_else(not_found)?;
    let mine = match members.iter().find(|m| m.uid == me) {
        Some(m) => m.clone(),
        None => rooms::member(db, cid, me).await?.ok_or_else(not_found)?,
    };
    visible(&room, Some(&mine), &mut members);
    Ok((room, mine, members))
}

/// Public rooms, newest first (at most `limit`; `name`: a name search).
pub async fn public(db: &Db, limit: i32, name: Option<&str>) -> AppResult<Vec<Room>> {
    rooms::public(db, limit, name).await
}

/// The room's newest notices (callers check membership).
pub async fn notices(db: &Db, cid: &str, limit: i32) -> AppResult<Vec<Notice>> {
    notices::notices(db, cid, limit).await
}

/// Delete a notice (owner/admins), with its event.
pub async fn delete_notice(db: &Db, now: i64, me: UserId, cid: &str, id: &str) -> AppResult<()> {
    as_admin(db, cid, me).await?;
    let ev = GroupEvent::new("noticeDeleted", me, json!({"noticeId": id}));
    if !notices::delete_notice(db, now, cid, id, &ev).await? {
        return Err(AppError::not_found(format!("notice {id}")));
    }
    Ok(())
}

/// The room's call identifiers (members only), allocated on first use.
pub async fn call_id(db: &Db, me: UserId, cid: &str) -> AppResult<(String, String)> {
    let (room, _) = rooms::as_member(db, cid, me).await?;
    room_writes::call_id(db, &room).await
}

/// Make `target` an admin or an ordinary member again (owner only; the owner's own role
/// changes only by transfer). `event` announces it.
pub async fn set_role(
    db: &Db,
    now: i64,
    me: UserId,
    cid: &str,
    target: UserId,
    role: &str,
    event: &GroupEvent,
) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_owner(&mine)?;
    if target == me {
        return Err(AppError::invalid("touserId", "the owner's role changes only by transfer"));
    }
    if !room_writes::set_role(db, now, cid, target, role, event).await? {
        return Err(AppError::not_found(format!("member {target}")));
    }
    Ok(())
}

/// A member's own settings nobody else is told about (DND, pin); None when not a member.
pub async fn set_my_settings(
    db: &Db,
    now: i64,
    me: UserId,
    cid: &str,
    changes: Changes,
) -> AppResult<Option<RoomMember>> {
    if !crate::domain::chat::valid_id(cid) {
        return Ok(None);
    }
    room_writes::set_member_settings(db, now, cid, me, changes).await
}

/// One user's profile, if any.
pub async fn user(db: &Db, uid: UserId) -> AppResult<Option<User>> {
    users::get(db, uid).await
}

/// Profiles of `uids` by id (⌈n/100⌉ BatchGetItem); unknown ids are absent.
pub async fn profiles(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    let mut uids = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::get_many(db, &uids).await?.into_iter().map(|u| (u.uid, u)).collect())
}

/// [`profiles`], where an unknown id refuses the call (not found).
pub async fn require_profiles(db: &Db, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    let found = profiles(db, uids).await?;
    if let Some(missing) = uids.iter().find(|u| !found.contains_key(u)) {
        return Err(AppError::not_found(format!("user {missing}")));
    }
    Ok(found)
}

/// One user's profile; not found when unknown.
pub async fn require_user(db: &Db, uid: UserId) -> AppResult<User> {
    users::require(db, uid).await
}

/// A stored avatar as a URL clients can fetch.
pub async fn avatar_url(ctx: &crate::ctx::Ctx, stored: Option<&str>) -> Option<String> {
    crate::store::profiles::avatar_url(ctx, stored).await
}

/// The creator's membership as a new room has it (answers render it without reading it back).
pub fn fresh_owner(uid: UserId, now: i64) -> RoomMember {
    RoomMember {
        uid,
        role: rooms::OWNER.into(),
        nickname: String::new(),
        talk_time: 0,
        offline_no_push: 0,
        top: 0,
        top_time: 0,
        joined_at: now,
        modified_at: now,
        read_seq: 0,
    }
}

/// A room by id (None: unknown). One GetItem.
pub async fn get(db: &Db, cid: &str) -> AppResult<Option<Room>> {
    rooms::get(db, cid).await
}

/// A room with all its members (None: unknown). One Query; callers check who may see them.
pub async fn with_members(db: &Db, cid: &str) -> AppResult<Option<(Room, Vec<RoomMember>)>> {
    rooms::with_members(db, cid).await
}

/// The memberships of `uids` in room `cid` (non-members absent).
pub async fn members_among(db: &Db, cid: &str, uids: &[UserId]) -> AppResult<Vec<RoomMember>> {
    rooms::members_among(db, cid, uids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: &str) -> RoomMember {
        RoomMember {
            uid: UserId(1),
            role: role.into(),
            nickname: String::new(),
            talk_time: 0,
            offline_no_push: 0,
            top: 0,
            top_time: 0,
            joined_at: 0,
            modified_at: 0,
            read_seq: 0,
        }
    }

    #[test]
    fn who_may_remove_whom() {
        let (owner, admin, plain) = (member("owner"), member("admin"), member("member"));
        assert!(may_remove(&owner, &admin).is_ok());
        assert!(may_remove(&admin, &plain).is_ok());
        assert!(may_remove(&admin, &admin).is_err());
        assert!(may_remove(&admin, &owner).is_err());
        assert!(may_remove(&plain, &plain).is_err());
    }
}
