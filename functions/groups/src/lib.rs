//! `groups` endpoints (routes: infra/template.yaml, `GroupsFunction`): Shiku `/room/*` and
//! SealTalk `/sealtalk/group/*`, `/sealtalk/user/groups`. A room is a group conversation
//! (shared/src/store/rooms.rs), so a room made in one dialect is a group in the others and its
//! messages flow through the same conversation. Minxing `/api/v1/groups…` (work-circle groups,
//! minxing.rs) are the same rooms; joining a private one (`isNeedVerify = 1`) makes a pending
//! request (store/requests.rs) decided through `/api/v1/pendings/requests/{id}/approve|reject`.
//!
//! Rules every dialect shares (docs/dialects.md "Rooms"): only members see a room (others get
//! not-found); owner/admins change settings, notices and mutes and remove members; only the
//! owner transfers, dismisses and appoints admins; every change members should see is one
//! group event item (`GroupEvent`), written in the change's own transaction and pushed by
//! `delivery`.

mod minxing;
mod sealtalk;
mod shiku;

use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::http::{serve, Call};
use shared::ids::UserId;
use shared::store::conversations as convs;
use shared::store::invites;
use shared::store::rooms::{self, GroupEvent, RoomMember, ADMIN};
use shared::store::users::{self, User};
use shared::{AppError, AppResult, Ctx, Reply};
use std::collections::HashMap;

pub async fn handle(ctx: &Ctx, req: Request) -> Response<Body> {
    serve(ctx, req, route).await
}

async fn route(c: Call<'_>) -> AppResult<Reply> {
    match (c.method.as_str(), c.route.as_str()) {
        (_, "/room/add") => shiku::add(&c).await,
        (_, "/room/delete") => shiku::delete(&c).await,
        (_, "/room/update") => shiku::update(&c).await,
        (_, "/room/transfer") => shiku::transfer(&c).await,
        (_, "/room/get") => shiku::get(&c).await,
        (_, "/room/list") => shiku::list(&c).await,
        (_, "/room/member/update") => shiku::member_update(&c).await,
        (_, "/room/member/delete") => shiku::member_delete(&c).await,
        (_, "/room/member/get") => shiku::member_get(&c).await,
        (_, "/room/member/list") => shiku::member_list(&c).await,
        (_, "/room/notice/list") => shiku::notice_list(&c).await,
        (_, "/room/notice/delete") => shiku::notice_delete(&c).await,
        (_, "/room/get/call") => shiku::get_call(&c).await,
        (_, "/room/join") => shiku::join(&c).await,
        (_, "/room/leave") => shiku::leave(&c).await,
        (_, "/room/list/his") => shiku::list_his(&c).await,
        (_, "/room/set/admin") => shiku::set_admin(&c).await,
        (_, "/room/member/setOfflineNoPushMsg") => shiku::set_offline_no_push(&c).await,
        (_, "/room/copyRoom") => shiku::copy(&c).await,
        ("GET", "/sealtalk/user/groups") => sealtalk::user_groups(&c).await,
        ("POST", "/sealtalk/group/create") => sealtalk::create(&c).await,
        ("POST", "/sealtalk/group/add") => sealtalk::add(&c).await,
        ("POST", "/sealtalk/group/join") => sealtalk::join(&c).await,
        ("POST", "/sealtalk/group/kick") => sealtalk::kick(&c).await,
        ("POST", "/sealtalk/group/quit") => sealtalk::quit(&c).await,
        ("POST", "/sealtalk/group/dismiss") => sealtalk::dismiss(&c).await,
        ("POST", "/sealtalk/group/transfer") => sealtalk::transfer(&c).await,
        ("POST", "/sealtalk/group/rename") => sealtalk::rename(&c).await,
        ("POST", "/sealtalk/group/set_bulletin") => sealtalk::set_bulletin(&c).await,
        ("POST", "/sealtalk/group/set_portrait_uri") => sealtalk::set_portrait_uri(&c).await,
        ("POST", "/sealtalk/group/set_display_name") => sealtalk::set_display_name(&c).await,
        ("GET", "/sealtalk/group/{id}") => sealtalk::get(&c).await,
        ("GET", "/sealtalk/group/{id}/members") => sealtalk::members(&c).await,
        ("POST", "/api/v1/pendings/requests/{request_id}/approve") => minxing::approve(&c).await,
        ("POST", "/api/v1/pendings/requests/{request_id}/reject") => minxing::reject(&c).await,
        ("GET", "/api/v1/groups") => minxing::list(&c).await,
        ("POST", "/api/v1/groups") => minxing::create(&c).await,
        ("PUT", "/api/v1/groups/{group_id}") => minxing::update(&c).await,
        ("DELETE", "/api/v1/groups/{group_id}") => minxing::delete(&c).await,
        ("GET", "/api/v1/groups/{group_id}/members") => minxing::members(&c).await,
        ("GET", "/api/v1/groups/{group_id}/members/{user_id}") => minxing::member(&c).await,
        ("POST", "/api/v1/groups/{group_id}/members") => minxing::join(&c).await,
        ("DELETE", "/api/v1/groups/{group_id}/members") => minxing::leave(&c).await,
        _ => Err(c.not_found()),
    }
}

/// Largest invitation / kick list in one request (a whole room).
pub(crate) const MAX_IDS: usize = rooms::MAX_USERS as usize;

/// User ids from a list parameter (JSON array, JSON text or comma-separated), deduplicated.
pub(crate) fn user_ids(c: &Call<'_>, name: &str) -> AppResult<Vec<UserId>> {
    let raw = c.params.list(name)?;
    if raw.len() > MAX_IDS {
        return Err(AppError::invalid(name, format!("at most {MAX_IDS} ids")));
    }
    let mut ids = raw.iter().map(|s| UserId::parse(name, s)).collect::<AppResult<Vec<_>>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Profiles of `uids` (⌈n/100⌉ BatchGetItem); an unknown id is a not-found error.
pub(crate) async fn require_users(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    let found = profiles(c, uids).await?;
    if let Some(missing) = uids.iter().find(|u| !found.contains_key(u)) {
        return Err(AppError::not_found(format!("user {missing}")));
    }
    Ok(found)
}

pub(crate) async fn profiles(c: &Call<'_>, uids: &[UserId]) -> AppResult<HashMap<UserId, User>> {
    let mut uids = uids.to_vec();
    uids.sort();
    uids.dedup();
    if uids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::get_many(&c.ctx.db, &uids).await?.into_iter().map(|u| (u.uid, u)).collect())
}

pub(crate) fn require_admin(m: &RoomMember) -> AppResult<()> {
    if m.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("only the room owner or an admin may do this"))
    }
}

pub(crate) fn require_owner(m: &RoomMember) -> AppResult<()> {
    if m.is_owner() {
        Ok(())
    } else {
        Err(AppError::forbidden("only the room owner may do this"))
    }
}

/// May `me` remove `target` (kick): admins remove ordinary members, the owner removes admins
/// too, nobody removes the owner.
pub(crate) fn may_remove(me: &RoomMember, target: &RoomMember) -> AppResult<()> {
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
pub(crate) async fn invite(c: &Call<'_>, me: UserId, cid: &str, uids: &[UserId]) -> AppResult<Vec<UserId>> {
    let event = |added: &[UserId]| {
        let ids: Vec<i64> = added.iter().map(|u| u.0).collect();
        GroupEvent::new("joined", me, json!({"userIds": ids, "inviter": me.0}))
    };
    invites::invite(&c.ctx.db, c.ctx.now_ms(), cid, me, uids, &event).await
}

/// Join by id (Shiku `/room/join`, SealTalk `group/join`): already a member is a no-op;
/// `isNeedVerify = 1` rooms take invitations only.
pub(crate) async fn join(c: &Call<'_>, me: UserId, cid: &str) -> AppResult<()> {
    let db = &c.ctx.db;
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
    let now = c.ctx.now_ms();
    rooms::join(db, now, cid, me, room.max_users(), &GroupEvent::new("joined", me, json!({"userIds": [me.0]}))).await?;
    Ok(())
}

/// Leave a room. The owner hands it to the longest-standing admin, else the longest-standing
/// member (as SealTalk does); a room whose last member leaves is dismissed.
pub(crate) async fn leave(c: &Call<'_>, me: UserId, cid: &str) -> AppResult<()> {
    let db = &c.ctx.db;
    let now = c.ctx.now_ms();
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    if mine.is_owner() {
        let (_, members) =
            rooms::with_members(db, cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
        let mut others: Vec<&RoomMember> = members.iter().filter(|m| m.uid != me).collect();
        others.sort_by_key(|m| (m.role != ADMIN, m.joined_at, m.uid));
        let Some(next) = others.first() else {
            return dismiss(c, me, cid).await;
        };
        let nick = users::get(db, next.uid).await?.map(|u| u.nickname).unwrap_or_default();
        let ev = GroupEvent::new("transferred", me, json!({"from": me.0, "to": next.uid.0}));
        if !rooms::transfer(db, now, cid, (me, next.uid), &nick, &ev).await? {
            return Err(AppError::Conflict("the room changed meanwhile, try again".into()));
        }
    }
    let ev = GroupEvent::new("left", me, json!({"userId": me.0})).also_to(&[me]);
    convs::remove_member(db, now, cid, me, &ev).await?;
    Ok(())
}

/// Remove members (Shiku `/room/member/delete`, SealTalk `group/kick`).
pub(crate) async fn kick(c: &Call<'_>, me: UserId, cid: &str, targets: &[UserId]) -> AppResult<Vec<UserId>> {
    let db = &c.ctx.db;
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
    if !convs::remove_members(db, c.ctx.now_ms(), cid, &removed, &ev).await? {
        return Err(AppError::Conflict("the members changed meanwhile, try again".into()));
    }
    Ok(removed)
}

/// Dismiss (owner only): every membership and the room go; all former members get the event.
pub(crate) async fn dismiss(c: &Call<'_>, me: UserId, cid: &str) -> AppResult<()> {
    let db = &c.ctx.db;
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_owner(&mine)?;
    convs::dismiss(db, c.ctx.now_ms(), cid, GroupEvent::new("dismissed", me, json!({}))).await?;
    Ok(())
}

/// Transfer ownership to another member (owner only).
pub(crate) async fn transfer(c: &Call<'_>, me: UserId, cid: &str, to: UserId) -> AppResult<()> {
    let db = &c.ctx.db;
    let (_, mine) = rooms::as_member(db, cid, me).await?;
    require_owner(&mine)?;
    if to == me {
        return Err(AppError::invalid("toUserId", "you already own the room"));
    }
    let nick = users::get(db, to).await?.map(|u| u.nickname).unwrap_or_default();
    let now = c.ctx.now_ms();
    let ev = GroupEvent::new("transferred", me, json!({"from": me.0, "to": to.0}));
    if !rooms::transfer(db, now, cid, (me, to), &nick, &ev).await? {
        return Err(AppError::not_found(format!("member {to}")));
    }
    Ok(())
}

/// Post a notice (owner/admins): Shiku `notice`, SealTalk bulletin.
pub(crate) async fn post_notice(c: &Call<'_>, me: UserId, mine: &RoomMember, cid: &str, text: &str) -> AppResult<()> {
    require_admin(mine)?;
    let db = &c.ctx.db;
    let nick = users::get(db, me).await?.map(|u| u.nickname).unwrap_or_default();
    let now = c.ctx.now_ms();
    shared::store::notices::add_notice(db, now, (cid, me, &nick), text, |n| {
        GroupEvent::new("notice", me, json!({"noticeId": n.id, "notice": n.text}))
    })
    .await?;
    Ok(())
}

/// The creator's membership as a new room has it (answers render it without reading it back).
pub(crate) fn fresh_owner(uid: UserId, now: i64) -> RoomMember {
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
