//! The operator console's rooms (`/console/roomList`, `addRoom`, `roomUserManager`,
//! `deleteRoom`, `deleteMember`, `roomMsgDetail`). Reads: one Query per page
//! (store/console_rooms.rs). Changes go through the rooms rules (services::rooms,
//! services::room_invites) with the console's audit entry carried by their group event, so
//! it is written in the change's transaction (store/groups.rs).

use crate::domain::chat::Message;
use crate::domain::idempotency::IdemKey;
use crate::domain::relations::SYSTEM_UID;
use crate::domain::rooms::{Field, GroupEvent, NewRoom, Room, RoomMember};
use crate::domain::sessions::Session;
use crate::domain::users::User;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::services::operators::{audit, is_protected, SERVICE_UID};
use crate::services::rooms;
use crate::store::console_rooms as store;
use crate::Ctx;
use serde_json::json;
use std::collections::HashMap;

fn target(cid: &str) -> String {
    format!("room:{cid}")
}

/// `/console/roomList`: live rooms, newest first, `name` a case-insensitive substring. One
/// Query.
pub async fn room_list(ctx: &Ctx, name: Option<&str>, offset: usize, size: usize) -> AppResult<(Vec<Room>, bool)> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    store::room_page(&ctx.db, name, offset, size).await
}

/// A page of a room's members with their profiles (names): one Query + one BatchGetItem.
pub struct MemberPage {
    pub room: Room,
    pub members: Vec<RoomMember>,
    pub profiles: HashMap<UserId, User>,
    pub more: bool,
}

/// `/console/roomUserManager`: one page of the members of any live room; not found otherwise.
pub async fn members(ctx: &Ctx, cid: &str, offset: usize, size: usize) -> AppResult<MemberPage> {
    let (room, members, more) = crate::store::rooms::head_page(&ctx.db, cid, offset, size)
        .await?
        .ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
    let uids: Vec<UserId> = members.iter().map(|m| m.uid).collect();
    let profiles = rooms::profiles(&ctx.db, &uids).await?;
    Ok(MemberPage { room, members, profiles, more })
}

/// `/console/roomUserManager` `userIds`: the invite path (screening, capacity, `joined`
/// events), as an invitation of the room's owner by the operator; audited in each add
/// transaction. Unknown room or user: not found. Returns the users added.
pub async fn add_members(ctx: &Ctx, op: &Session, route: &str, cid: &str, uids: &[UserId]) -> AppResult<Vec<UserId>> {
    let room = rooms::get(&ctx.db, cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))?;
    let entry = audit(ctx, op, route, vec![target(cid)]);
    let by = op.uid;
    let event = |added: &[UserId]| {
        let ids: Vec<i64> = added.iter().map(|u| u.0).collect();
        GroupEvent::new("joined", by, json!({"userIds": ids, "inviter": by.0})).audited(Some(&entry))
    };
    rooms::add_screened(&ctx.db, ctx.now_ms(), &room, room.owner(), uids, &event).await
}

/// `/console/deleteRoom`: the room is dismissed as its owner's `/room/delete` does (every
/// member hears `dismissed`); audited in the transaction that deletes it.
pub async fn delete_room(ctx: &Ctx, op: &Session, route: &str, cid: &str) -> AppResult<()> {
    if rooms::get(&ctx.db, cid).await?.is_none() {
        return Err(AppError::not_found(format!("room {cid}")));
    }
    let entry = audit(ctx, op, route, vec![target(cid)]);
    rooms::dismiss_as(&ctx.db, ctx.now_ms(), op.uid, cid, Some(&entry)).await
}

/// `/console/deleteMember`: the member goes as by the leave rule (an owner hands the room
/// over, the last member's room is dismissed), announced as `kicked`; audited.
pub async fn delete_member(ctx: &Ctx, op: &Session, route: &str, cid: &str, uid: UserId) -> AppResult<()> {
    let entry = audit(ctx, op, route, vec![target(cid), format!("user:{uid}")]);
    rooms::remove_by_operator(&ctx.db, ctx.now_ms(), cid, uid, &entry).await
}

/// `/console/roomMsgDetail`: one page of a room's messages, newest first (recalled ones
/// marked). One Query; an empty page reads the room (one GetItem) to tell an unknown id.
pub async fn messages(ctx: &Ctx, cid: &str, offset: usize, size: usize) -> AppResult<(Vec<Message>, bool)> {
    let (msgs, more) = store::message_page(&ctx.db, cid, offset, size).await?;
    if msgs.is_empty() && rooms::get(&ctx.db, cid).await?.is_none() {
        return Err(AppError::not_found(format!("room {cid}")));
    }
    Ok((msgs, more))
}

/// A new room from the console.
pub struct ConsoleRoom {
    pub name: String,
    pub desc: Option<String>,
    pub owner: UserId,
    pub members: Vec<UserId>,
    /// Claimed with the room; a replay answers the room it made.
    pub idem: Option<IdemKey>,
}

/// `/console/addRoom`: a room as `/room/add` makes it (services::rooms::create_room) owned by
/// an existing, enabled, ordinary user (not an operator nor a built-in account); unknown
/// members refuse it. Audited in the transaction that completes the room. With an
/// idempotency key (claimed in the creating transaction): a replay writes nothing and
/// answers the room the first request made (+ two GetItem after the failed transaction).
pub async fn add_room(ctx: &Ctx, op: &Session, route: &str, new: ConsoleRoom) -> AppResult<(Room, User)> {
    let owner = rooms::require_user(&ctx.db, new.owner).await?;
    if owner.disabled || is_protected(ctx, &owner) || owner.uid == SYSTEM_UID || owner.uid == SERVICE_UID {
        return Err(AppError::invalid("userId", "the owner must be an enabled ordinary user"));
    }
    let members: Vec<UserId> = new.members.iter().copied().filter(|u| *u != owner.uid).collect();
    rooms::require_profiles(&ctx.db, &members).await?;
    let mut settings = crate::domain::rooms::Settings::new();
    if let Some(d) = new.desc {
        settings.insert("desc".into(), Field::Text(d));
    }
    let ids: Vec<i64> = members.iter().map(|u| u.0).collect();
    let entry = audit(ctx, op, route, vec![format!("owner:{}", owner.uid)]);
    let ev = GroupEvent::new("created", owner.uid, json!({"name": new.name, "userIds": ids})).audited(Some(&entry));
    let idem = new.idem;
    let room = NewRoom {
        id: None,
        name: new.name,
        owner: owner.uid,
        owner_nickname: owner.nickname.clone(),
        members,
        settings,
        idem: idem.clone(),
    };
    match (rooms::create_room(&ctx.db, ctx.now_ms(), room, &ev).await, idem) {
        (Err(AppError::Conflict(m)), Some(k)) if m == crate::store::idempotency::TAKEN => {
            Ok((replayed(ctx, &k).await?, owner))
        }
        (room, _) => Ok((room?, owner)),
    }
}

/// The room a replayed key made (one GetItem for the key, one for the room); nothing
/// written. A room dismissed since is not found.
async fn replayed(ctx: &Ctx, k: &IdemKey) -> AppResult<Room> {
    let Some(cid) = crate::store::idempotency::result(&ctx.db, k, ctx.now_secs()).await? else {
        return Err(AppError::Conflict("idempotency key changed meanwhile, try again".into()));
    };
    rooms::get(&ctx.db, &cid).await?.ok_or_else(|| AppError::not_found(format!("room {cid}")))
}
