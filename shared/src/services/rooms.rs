//! Rooms: who may do what in a room, and the changes every dialect shares (invite, join,
//! leave, kick, dismiss, transfer, notices). Shiku `/room/*`, SealTalk `/group/*` and Minxing
//! groups call these; the store only writes what they decide (docs/dialects.md "Rooms").

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::store::rooms::{self, GroupEvent, RoomMember, ADMIN};
use crate::store::{invites, notices, users, Db};
use serde_json::json;

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

/// Invite users: the one invite path of every dialect (store/invites.rs): the room's rules
/// (`allowInviteFriend`, `isNeedVerify`: plain members may not), unknown users refuse the call,
/// members already in, users who blacklisted the inviter and users at the group cap are
/// skipped, the room's capacity holds. Returns the users added.
pub async fn invite(db: &Db, now: i64, me: UserId, cid: &str, uids: &[UserId]) -> AppResult<Vec<UserId>> {
    let event = |added: &[UserId]| {
        let ids: Vec<i64> = added.iter().map(|u| u.0).collect();
        GroupEvent::new("joined", me, json!({"userIds": ids, "inviter": me.0}))
    };
    invites::invite(db, now, cid, me, uids, &event).await
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
    rooms::join(db, now, cid, me, room.max_users(), &GroupEvent::new("joined", me, json!({"userIds": [me.0]}))).await?;
    Ok(())
}

/// Leave a room. The owner hands it to the longest-standing admin, else the longest-standing
/// member (as SealTalk does); a room whose last member leaves is dismissed.
pub async fn leave(db: &Db, now: i64, me: UserId, cid: &str) -> AppResult<()> {
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    if mine.is_owner() {
        let (_, members) =
            rooms::with_members(db, cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
        let mut others: Vec<&RoomMember> = members.iter().filter(|m| m.uid != me).collect();
        others.sort_by_key(|m| (m.role != ADMIN, m.joined_at, m.uid));
        let Some(next) = others.first() else {
            return dismiss(db, now, me, cid).await;
        };
        let nick = users::get(db, next.uid).await?.map(|u| u.nickname).unwrap_or_default();
        let ev = GroupEvent::new("transferred", me, json!({"from": me.0, "to": next.uid.0}));
        if !rooms::transfer(db, now, cid, (me, next.uid), &nick, &ev).await? {
            return Err(AppError::Conflict("the room changed meanwhile, try again".into()));
        }
    }
    let ev = GroupEvent::new("left", me, json!({"userId": me.0})).also_to(&[me]);
    invites::remove_member(db, now, cid, me, &ev).await?;
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
    invites::dismiss(db, now, cid, GroupEvent::new("dismissed", me, json!({}))).await?;
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
    if !rooms::transfer(db, now, cid, (me, to), &nick, &ev).await? {
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

/// A room and the members `me` may see in its member list (`showMember = 0` hides plain
/// members from plain members): one Query (META + members). None for an unknown room.
pub async fn members_visible_to(db: &Db, cid: &str, me: UserId) -> AppResult<Option<(rooms::Room, Vec<RoomMember>)>> {
    let Some((room, mut members)) = rooms::with_members(db, cid).await? else {
        return Ok(None);
    };
    let mine = members.iter().find(|x| x.uid == me).cloned();
    rooms::visible(&room, mine.as_ref(), &mut members);
    Ok(Some((room, members)))
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
